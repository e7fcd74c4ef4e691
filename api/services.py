"""
Writes of the API's own records (tokens) and the people writes for HR's integrations.

Tokens: made, revoked and recognised here. A token is `gs_<prefix>_<secret>`; only the
SHA-256 of the whole string is kept. Creation and revocation write a history row
naming who and why (common.audit); the last use is a derived column, written with
update() and no history row.

People: what HR does in the admin, through the same services and checks: a new person
is an account (no usable password, the Developer role, as the people import makes them)
and `grades.services.employee_hire`; an edit is the admin change page's edit of the
employee row (the same model validation and constraints), recorded in its history.
Each raises `ApiRefused` (with the HTTP status it means) or `grades.services.GradeError`
and then writes nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common import audit
from grades import services as grade_services
from grades.models import Employee, Level, Track
from grades.roles import DEVELOPER

from . import policies
from .models import ApiToken, TokenScope

User = get_user_model()

TOKEN_START = "gs_"
PREFIX_LENGTH = 12
# How often the last use is written: a script calling many times a minute writes it once.
LAST_USED_EVERY = datetime.timedelta(minutes=1)


class ApiRefused(Exception):
    """A refused write; `status` is the HTTP status it answers with, the message is for the reader."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- Tokens ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    # The whole token, shown once to its owner and never stored.
    plaintext: str


@transaction.atomic
def token_create(*, user, name: str, scope: str, by) -> NewToken:
    """A new token for `user`, made by `by` (only ever themself: may_make_tokens)."""
    if by is None or by.pk != user.pk or not policies.may_make_tokens(by):
        raise PermissionError("Only the person themself makes their tokens.")
    name = " ".join((name or "").split())
    if not name:
        raise ApiRefused(_("Give the token a name that says where it is used."))
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ApiRefused(_("The name is longer than %(n)s characters.") % {"n": 100})
    if scope not in TokenScope.values:
        raise ApiRefused(_("Choose the token's scope: read, or read and write."))
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    plaintext = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    token = audit.create(
        ApiToken, by=by, reason="token created",
        user=user, name=name, scope=scope, prefix=prefix, digest=_digest(plaintext), created_at=timezone.now(),
    )
    return NewToken(token=token, plaintext=plaintext)


@transaction.atomic
def token_revoke(*, token: ApiToken, by) -> ApiToken:
    """Revoke `token` for good. Its owner may, and an administrator in the admin."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if not policies.may_revoke_token(by, token):
        raise PermissionError("Only the token's owner or an administrator revokes it.")
    if token.revoked_at is not None:
        raise ApiRefused(_("The token was revoked already."), status=409)
    token.revoked_at = timezone.now()
    token.revoked_by = by
    audit.save(token, by=by, reason="token revoked", update_fields=["revoked_at", "revoked_by"])
    return token


def token_authenticate(raw: str) -> ApiToken | None:
    """The active token `raw` is, with its active user, or None. Notes the use (at most once a minute)."""
    raw = (raw or "").strip()
    if not raw.startswith(TOKEN_START) or len(raw) > 200:
        return None
    prefix, _sep, secret = raw[len(TOKEN_START):].partition("_")
    if len(prefix) != PREFIX_LENGTH or not secret:
        return None
    token = ApiToken.objects.active().select_related("user").filter(prefix=prefix).first()
    # Compared in constant time, so the answer's timing says nothing about the digest.
    if token is None or not hmac.compare_digest(token.digest, _digest(raw)) or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        # A derived column (see the module docstring): no history row.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- People ---------------------------------------------------------------------------------------


def _validated(employee: Employee) -> None:
    try:
        employee.full_clean(exclude=["user"])
    except ValidationError as exc:
        raise ApiRefused(" ".join(exc.messages)) from exc


def _team_lead(team_lead_id: int | None) -> Employee | None:
    if team_lead_id is None:
        return None
    lead = Employee.objects.filter(pk=team_lead_id).first()
    if lead is None:
        raise ApiRefused(_("There is no person with the id %(id)s to be the team lead.") % {"id": team_lead_id})
    return lead


@transaction.atomic
def person_create(
    *,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    track_slug: str,
    level_code: str,
    hire_date: datetime.date,
    probation_end: datetime.date | None = None,
    career_start: datetime.date | None = None,
    team_lead_id: int | None = None,
    by,
) -> Employee:
    """A new person: their account (no usable password, the Developer role) and their hire."""
    if not policies.may_create_people(by):
        raise PermissionError("Only HR adds people.")
    username, email = (username or "").strip(), (email or "").strip()
    user = User(username=username, email=email, first_name=(first_name or "").strip(),
                last_name=(last_name or "").strip())
    user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        if "username" in exc.message_dict and User.objects.filter(username=username).exists():
            raise ApiRefused(_("The username %(name)s is taken.") % {"name": username}, status=409) from exc
        raise ApiRefused(" ".join(exc.messages)) from exc
    if not email:
        raise ApiRefused(_("Give the person's e-mail address."))
    if User.objects.filter(email__iexact=email).exists():
        raise ApiRefused(_("An account with the e-mail address %(email)s exists already.") % {"email": email}, status=409)
    track = Track.objects.active().filter(slug=track_slug).first()
    if track is None:
        raise ApiRefused(_("There is no active track %(slug)s.") % {"slug": track_slug})
    level = Level.objects.of_track(track.pk).filter(code=level_code).first()
    if level is None:
        raise ApiRefused(_("%(code)s is not a level of the %(track)s track's ladder.") % {"code": level_code, "track": track})
    lead = _team_lead(team_lead_id)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # the same username made at the same moment
        raise ApiRefused(_("The username %(name)s is taken.") % {"name": username}, status=409) from exc
    developers = Group.objects.filter(name=DEVELOPER).first()
    if developers is not None:
        user.groups.add(developers)
    # Accounts are recorded in the admin's log (common.audit.ADMIN_LOGGED).
    LogEntry.objects.log_actions(
        user_id=by.pk, queryset=[user], action_flag=ADDITION,
        change_message=[{"added": {}}], single_object=True,
    )
    return grade_services.employee_hire(
        user=user, track=track, level=level, hire_date=hire_date, probation_end=probation_end,
        career_start=career_start, team_lead=lead, by=by,
    )


UNCHANGED = object()


@transaction.atomic
def person_update(
    *,
    employee: Employee,
    by,
    team_lead_id=UNCHANGED,
    probation_end=UNCHANGED,
    career_start=UNCHANGED,
    first_name=UNCHANGED,
    last_name=UNCHANGED,
    email=UNCHANGED,
) -> Employee:
    """HR changes what the admin's change page changes: the team lead and the dates, and the
    name and e-mail of the account. Track and level move only through the ledger."""
    if not policies.may_change_people(by):
        raise PermissionError("Only HR changes people.")
    employee = Employee.objects.select_for_update().select_related("user").get(pk=employee.pk)
    if team_lead_id is not UNCHANGED:
        lead = _team_lead(team_lead_id)
        employee.team_lead = lead
    if probation_end is not UNCHANGED:
        employee.probation_end = probation_end
    if career_start is not UNCHANGED:
        if career_start is None:
            raise ApiRefused(_("The career start cannot be empty."))
        employee.career_start = career_start
    _validated(employee)
    audit.save(employee, by=by, reason="changed through the API")
    user = employee.user
    changed = []
    for field, value in (("first_name", first_name), ("last_name", last_name), ("email", email)):
        if value is not UNCHANGED:
            setattr(user, field, (value or "").strip())
            changed.append(field)
    if changed:
        if "email" in changed:
            if not user.email:
                raise ApiRefused(_("Give the person's e-mail address."))
            if User.objects.filter(email__iexact=user.email).exclude(pk=user.pk).exists():
                raise ApiRefused(
                    _("An account with the e-mail address %(email)s exists already.") % {"email": user.email}, status=409
                )
        try:
            user.full_clean(exclude=["password", "username"])
        except ValidationError as exc:
            raise ApiRefused(" ".join(exc.messages)) from exc
        user.save(update_fields=changed)
        LogEntry.objects.log_actions(
            user_id=by.pk, queryset=[user], action_flag=CHANGE,
            change_message=[{"changed": {"fields": changed}}], single_object=True,
        )
    return employee


@transaction.atomic
def person_leave(*, employee: Employee, on: datetime.date, by) -> Employee:
    """HR records that a person leaves (or left) on `on`; the date may be corrected later."""
    if not policies.may_change_people(by):
        raise PermissionError("Only HR records that someone leaves.")
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    latest = employee.grade_changes.order_by("-effective_date").values_list("effective_date", flat=True).first()
    if latest is not None and on < latest:
        raise ApiRefused(
            _("The person's grade history has an entry on %(date)s; they cannot leave before it.")
            % {"date": latest.isoformat()}
        )
    employee.left_on = on
    _validated(employee)
    audit.save(employee, by=by, reason="leaving recorded through the API")
    return employee
