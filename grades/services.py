"""
Writes to the grades domain that span rows or need a transaction.

Each service validates before writing, runs in one transaction and raises
`GradeError` with a sentence a person can act on when it refuses; a refused
call writes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from common import audit
from common.validators import validate_calendar_date, validate_link

from . import extensions, notifications, policies, rules
from .models import (
    OPEN_EVIDENCE_STATUSES,
    Employee,
    FrameworkVersion,
    GradeChange,
    GradeChangeKind,
    Level,
    Track,
)

User = get_user_model()


class GradeError(Exception):
    """A refused grade-domain action; the message is meant for the user."""


def _latest_entry(employee: Employee) -> GradeChange | None:
    return employee.grade_changes.order_by("-effective_date", "-id").first()


def _refresh_current_level(employee: Employee) -> None:
    """Copy the ledger's latest level, and the day it began, onto the employee row.

    Derived columns, written with update() and so without a history row: the ledger
    entry that changed them records who and when (common.audit.DERIVED_FIELDS).
    """
    from .selectors import level_since

    entries = list(employee.grade_changes.order_by("effective_date", "id").only(
        "kind", "level_id", "effective_date"
    ))
    employee.current_level_id = entries[-1].level_id if entries else None
    employee.current_level_since = level_since(entries)
    Employee.objects.filter(pk=employee.pk).update(
        current_level_id=employee.current_level_id,
        current_level_since=employee.current_level_since,
    )
    # The checklist of the next level is another one now.
    employee_counts_refresh(employees=Employee.objects.filter(pk=employee.pk))


def employee_counts_refresh(*, employees=None, fields=None) -> int:
    """Recount the figures the people list shows (checklist_total, checklist_done,
    waiting_claims) for `employees` (a QuerySet of Employee; everyone when None).

    `fields` names the figures the caller's write can move (all three when None): a
    claim, a withdrawal or a rejection moves only waiting_claims; a confirmation
    checklist_done too; only the level, the track and the framework move checklist_total.

    Call inside the transaction of the write that changed what they count, so that
    they commit, or roll back, with it. The counts are derived data: they are written
    with update() and leave no history row, because the write that changed what they
    count (a claim, a decision, a ledger entry, a requirement) has its own record of
    who and when (common.audit.DERIVED_FIELDS). The rows are locked first, in id order, and
    recounted by a later statement: every writer of evidence or ledger locks the
    person's row before writing, so the recount sees every such write committed
    before it and none can commit while it runs. Returns the number of rows.
    """
    from .selectors import employee_counts

    if employees is None:
        employees = Employee.objects.all()
    using = employees.db
    with transaction.atomic(using=using):
        ids = list(employees.select_for_update().order_by("pk").values_list("pk", flat=True))
        expressions = employee_counts() if fields is None else employee_counts(fields)
        for start in range(0, len(ids), COUNTS_BATCH):
            Employee.objects.using(using).filter(pk__in=ids[start : start + COUNTS_BATCH]).update(**expressions)
    return len(ids)


# Rows per UPDATE when recounting many people (well inside every database's parameter limit).
COUNTS_BATCH = 500


def record_failed_defense(*, employee: Employee, on: datetime.date) -> None:
    """Note that `employee` failed a defense on `on`: the cool-down before the next counts from it.

    Called by the app that runs defenses, inside the transaction of its decision, which
    is the audited record; this copy on the person's row is what the progress page and
    the people list read. A later failure moves it on, an earlier date never moves it back.
    """
    Employee.objects.filter(pk=employee.pk).filter(
        Q(last_failed_defense_on__isnull=True) | Q(last_failed_defense_on__lt=on)
    ).update(last_failed_defense_on=on)
    if employee.last_failed_defense_on is None or employee.last_failed_defense_on < on:
        employee.last_failed_defense_on = on


@transaction.atomic
def employee_hire(
    *,
    user: User,
    track: Track,
    level: Level,
    hire_date: datetime.date,
    career_start: datetime.date | None = None,
    probation_end: datetime.date | None = None,
    team_lead: Employee | None = None,
    by: User | None = None,
) -> Employee:
    """Create an employee and the hire entry of their ledger, together.

    The level must be one of the track's full ladder (a fork's shared levels included).
    """
    if not Level.objects.of_track(track.pk).filter(pk=level.pk).exists():
        raise GradeError(
            _("%(level)s is not a level of the %(track)s track's ladder.") % {"level": level, "track": track}
        )
    if Employee.objects.filter(user=user).exists():
        raise GradeError(_("%(user)s is already an employee.") % {"user": user.get_username()})
    employee = Employee(
        user=user,
        track=track,
        team_lead=team_lead,
        hire_date=hire_date,
        probation_end=probation_end,
        career_start=career_start or hire_date,
    )
    try:
        employee.full_clean(exclude=["user"])
    except ValidationError as exc:
        raise GradeError(" ".join(exc.messages)) from exc
    try:
        with transaction.atomic():
            audit.save(employee, by=by)
    except IntegrityError as exc:  # a concurrent hire of the same user won the race
        raise GradeError(_("%(user)s is already an employee.") % {"user": user.get_username()}) from exc
    entry = GradeChange(
        employee=employee,
        kind=GradeChangeKind.HIRE,
        track=track,
        level=level,
        effective_date=hire_date,
        recorded_by=by,
    )
    entry.full_clean(exclude=["employee", "recorded_by"])
    entry.save()
    _refresh_current_level(employee)
    return employee


@transaction.atomic
def grade_change_record(
    *,
    employee: Employee,
    kind: str,
    level: Level,
    effective_date: datetime.date,
    reason: str = "",
    by: User | None = None,
) -> GradeChange:
    """Append a promotion or correction to a person's ledger.

    A promotion goes to the next level of the person's own ladder only (their track's
    full ladder) and never into an entry-only level; a correction may set any level of
    that ladder but must give a reason. Entries are never dated
    before the person's latest entry: history is appended, not rewritten.
    Locks the employee row so that two writers append one after the other.
    """
    caller = employee
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    latest = _latest_entry(employee)
    reason = (reason or "").strip()
    if kind not in (GradeChangeKind.PROMOTION, GradeChangeKind.CORRECTION):
        raise GradeError(_("Only a promotion or a correction can be appended; hiring creates the first entry."))
    if latest is None:
        raise GradeError(_("%(person)s has no hire entry yet.") % {"person": employee})
    if effective_date < latest.effective_date:
        raise GradeError(
            _("The date %(date)s is before the latest entry (%(latest)s); history cannot be rewritten.")
            % {"date": effective_date.isoformat(), "latest": latest.effective_date.isoformat()}
        )
    if employee.left_on and effective_date > employee.left_on:
        raise GradeError(_("%(person)s left on %(date)s.") % {"person": employee, "date": employee.left_on.isoformat()})
    from .selectors import track_ladder

    ladder = track_ladder(employee.track_id)
    if level.pk not in {rung.pk for rung in ladder}:
        raise GradeError(
            _("%(level)s is not a level of the %(track)s track's ladder.") % {"level": level, "track": employee.track}
        )
    if kind == GradeChangeKind.PROMOTION:
        current = latest.level
        following = next((rung for rung in ladder if rung.rank == current.rank + 1), None)
        if following is None or level.pk != following.pk:
            raise GradeError(
                _("A promotion goes to the next level only: from %(current)s that is %(next)s, not %(level)s.")
                % {"current": current, "next": following or _("none (the top of the ladder)"), "level": level}
            )
        if level.entry_only:
            raise GradeError(_("Nobody is promoted into %(level)s; people are hired into it.") % {"level": level})
    elif not reason:
        raise GradeError(_("A correction needs a reason."))
    entry = GradeChange(
        employee=employee,
        kind=kind,
        track=employee.track,
        level=level,
        effective_date=effective_date,
        reason=reason,
        recorded_by=by,
        # The locked row's kept start of the level held until now (_refresh_current_level).
        previous_level_since=employee.current_level_since,
    )
    entry.save()
    _refresh_current_level(employee)
    # The caller's object shows the new level too.
    caller.current_level_id = employee.current_level_id
    caller.current_level_since = employee.current_level_since
    return entry


# --- Evidence ---------------------------------------------------------------------------------

MAX_LINKS = 10
MAX_DESCRIPTION = 5000
MAX_COMMENT = 2000


def clean_links(links) -> list[str]:
    """Validate evidence links: http(s) URLs only (common.validators.validate_link), at most
    MAX_LINKS, no duplicates."""
    cleaned: list[str] = []
    for raw in links or []:
        link = (raw or "").strip()
        if not link:
            continue
        try:
            validate_link(link)
        except ValidationError as exc:
            raise GradeError(" ".join(exc.messages)) from exc
        if link not in cleaned:
            cleaned.append(link)
    if len(cleaned) > MAX_LINKS:
        raise GradeError(_("At most %(n)s links per claim.") % {"n": MAX_LINKS})
    return cleaned


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if not description:
        raise GradeError(_("Describe the work that shows the requirement is met."))
    if len(description) > MAX_DESCRIPTION:
        raise GradeError(_("The description is longer than %(n)s characters.") % {"n": MAX_DESCRIPTION})
    return description


def _record_event(evidence, action, actor, at, *, comment=""):
    from .models import EvidenceEvent

    EvidenceEvent.objects.create(
        evidence=evidence,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        at=at,
        description=evidence.description,
        links=evidence.links,
        comment=comment,
    )


def version_in_force(requirement_id: int) -> FrameworkVersion | None:
    """The latest version of the framework of the requirement's track: the wording a
    decision made now is made against (None while the track has no version). One query."""
    from django.db.models import Subquery

    from .models import Requirement

    track = Subquery(Requirement.objects.filter(pk=requirement_id).values("track_id")[:1])
    return FrameworkVersion.objects.filter(track_id=track).order_by("-number").first()


def claimable_requirements(employee: Employee):
    """Requirements the employee may claim: those of their track's full ladder (for a fork,
    the parent's on the shared levels) up to the next level, judged by people, and not the
    expectations of the entry level."""
    from .models import Requirement

    current_rank = employee.current_level.rank if employee.current_level_id else 0
    return (
        Requirement.objects.active()
        .counted()
        .on_ladder_of(employee.track_id)
        .filter(track_level__level__rank__lte=current_rank + 1)
        .filter(check_kind="")
    )


@transaction.atomic
def evidence_claim(*, employee: Employee, requirement, description: str, links=(), by: User):
    """A developer claims that they meet a requirement. Only the person themself may claim."""
    from django.utils import timezone

    from .models import Evidence, EvidenceStatus, Requirement

    if not policies.may_claim(by, employee):
        raise PermissionError("Only the person themself can claim their requirements.")
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    if not claimable_requirements(employee).filter(pk=requirement.pk).exists():
        if not Requirement.objects.on_ladder_of(employee.track_id).filter(pk=requirement.pk).exists():
            raise GradeError(_("That requirement belongs to another track."))
        if requirement.check_kind:
            raise GradeError(_("That requirement is judged from data; it needs no claim."))
        if not requirement.is_active:
            raise GradeError(_("That requirement has been retired; it is on nobody's checklist."))
        if not Requirement.objects.counted().filter(pk=requirement.pk).exists():
            raise GradeError(
                _("That requirement is an expectation of the entry level: it is shown on the ladder, never claimed.")
            )
        raise GradeError(_("That requirement is above your next level."))
    if Evidence.objects.filter(
        employee=employee, requirement=requirement,
        status__in=[EvidenceStatus.CLAIMED, EvidenceStatus.CONFIRMED],
    ).exists():
        raise GradeError(_("You already have a claim for that requirement that is waiting or confirmed."))
    now = timezone.now()
    evidence = audit.create(
        Evidence,
        by=by,
        employee=employee,
        requirement=requirement,
        description=_clean_description(description),
        links=clean_links(links),
        claimed_by=by,
        claimed_at=now,
    )
    _record_event(evidence, "claimed", by, now)
    employee_counts_refresh(employees=Employee.objects.filter(pk=employee.pk), fields=["waiting_claims"])
    return evidence


def _lock_evidence(evidence):
    """The claim, locked, with its person's row locked first.

    The person first, as every writer of their claims or ledger does (evidence_claim,
    grade_change_record, employee_change_track), so two writers never wait for each
    other in opposite orders, and the recount of their figures sees every write.
    """
    from .models import Evidence

    employee_id = Evidence.objects.filter(pk=evidence.pk).values_list("employee_id", flat=True).get()
    employee = Employee.objects.select_for_update().get(pk=employee_id)
    locked = Evidence.objects.select_for_update().get(pk=evidence.pk)
    locked.employee = employee
    return locked


@transaction.atomic
def evidence_edit(*, evidence, description: str, links=(), by: User):
    """The claimant changes their claim while it waits for a decision."""
    from django.utils import timezone

    from .models import EvidenceStatus

    evidence = _lock_evidence(evidence)
    if not policies.may_claim(by, evidence.employee):
        raise PermissionError("Only the claimant can edit a claim.")
    if evidence.status != EvidenceStatus.CLAIMED:
        raise GradeError(_("The claim is %(status)s and can no longer be edited.") % {"status": evidence.get_status_display().lower()})
    evidence.description = _clean_description(description)
    evidence.links = clean_links(links)
    audit.save(evidence, by=by, update_fields=["description", "links"])
    _record_event(evidence, "edited", by, timezone.now())
    return evidence


@transaction.atomic
def evidence_withdraw(*, evidence, by: User):
    from django.utils import timezone

    from .models import EvidenceStatus

    evidence = _lock_evidence(evidence)
    if not policies.may_claim(by, evidence.employee):
        raise PermissionError("Only the claimant can withdraw a claim.")
    if evidence.status != EvidenceStatus.CLAIMED:
        raise GradeError(_("The claim is %(status)s and can no longer be withdrawn.") % {"status": evidence.get_status_display().lower()})
    evidence.status = EvidenceStatus.WITHDRAWN
    audit.save(evidence, by=by, update_fields=["status"])
    _record_event(evidence, "withdrawn", by, timezone.now())
    employee_counts_refresh(employees=Employee.objects.filter(pk=evidence.employee_id), fields=["waiting_claims"])
    return evidence


@transaction.atomic
def evidence_decide(*, evidence, confirm: bool, comment: str = "", by: User):
    """The team lead (or HR) confirms or rejects a waiting claim. The decision is final."""
    from django.utils import timezone

    from .models import EvidenceStatus

    evidence = _lock_evidence(evidence)
    if not policies.may_decide_claim(by, evidence.employee):
        raise PermissionError("Only the person's team lead or HR can decide this claim.")
    if evidence.status != EvidenceStatus.CLAIMED:
        raise GradeError(_("The claim is already %(status)s.") % {"status": evidence.get_status_display().lower()})
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise GradeError(_("The comment is longer than %(n)s characters.") % {"n": MAX_COMMENT})
    if not confirm and not comment:
        raise GradeError(_("Say why the claim is rejected, so the developer knows what to do next."))
    now = timezone.now()
    if now < evidence.claimed_at:  # the server clock went back, or the claim was imported with a later time
        raise GradeError(_("The claim is recorded at %(at)s, later than the server's clock; it can be "
                           "decided from then on.") % {"at": date_format(timezone.localtime(evidence.claimed_at), "DATETIME_FORMAT")})
    evidence.status = EvidenceStatus.CONFIRMED if confirm else EvidenceStatus.REJECTED
    evidence.decided_by = by
    evidence.decided_at = now
    evidence.decision_comment = comment
    evidence.decided_version = version_in_force(evidence.requirement_id)
    audit.save(
        evidence, by=by, update_fields=["status", "decided_by", "decided_at", "decision_comment", "decided_version"]
    )
    _record_event(evidence, "confirmed" if confirm else "rejected", by, now, comment=comment)
    employee_counts_refresh(
        employees=Employee.objects.filter(pk=evidence.employee_id),
        fields=["checklist_done", "waiting_claims"] if confirm else ["waiting_claims"],
    )
    return evidence


@transaction.atomic
def evidence_reconfirm(*, evidence, confirm: bool, comment: str = "", by: User):
    """The team lead (or HR) decides again a claim confirmed against an earlier wording.

    A framework load that reworded the requirement substantively marked the claim
    (grades.versions); it counts again once confirmed against the wording now in force,
    which the decision records (decided_version). Rejecting it, with a reason, lets the
    developer claim the requirement again.
    """
    from django.utils import timezone

    from .models import EvidenceEvent, EvidenceStatus, Requirement

    evidence = _lock_evidence(evidence)
    if not policies.may_decide_claim(by, evidence.employee):
        raise PermissionError("Only the person's team lead or HR can decide this claim.")
    if evidence.status != EvidenceStatus.CONFIRMED or not evidence.reconfirm_needed:
        raise GradeError(_("This claim does not need to be confirmed again."))
    if not Requirement.objects.filter(pk=evidence.requirement_id, is_active=True).exists():
        raise GradeError(_("The requirement has been removed from the framework; its claims are history now."))
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise GradeError(_("The comment is longer than %(n)s characters.") % {"n": MAX_COMMENT})
    if not confirm and not comment:
        raise GradeError(_("Say why the claim is rejected, so the developer knows what to do next."))
    now = timezone.now()
    if not confirm:
        evidence.status = EvidenceStatus.REJECTED
    evidence.reconfirm_needed = False
    evidence.decided_by = by
    evidence.decided_at = max(now, evidence.claimed_at)
    evidence.decided_version = version_in_force(evidence.requirement_id)
    if comment or not confirm:
        evidence.decision_comment = comment
    audit.save(
        evidence, by=by, reason="confirmed again" if confirm else "rejected against the new wording",
        update_fields=["status", "reconfirm_needed", "decided_by", "decided_at", "decided_version", "decision_comment"],
    )
    action = EvidenceEvent.Action.RECONFIRMED if confirm else EvidenceEvent.Action.REJECTED
    _record_event(evidence, action, by, now, comment=comment)
    employee_counts_refresh(employees=Employee.objects.filter(pk=evidence.employee_id), fields=["checklist_done"])
    return evidence


def claims_withdraw_removed(
    *, requirement_ids, comment: str, by: User | None = None, at=None, reason: str = "", using: str = "default"
) -> list:
    """Withdraw the waiting claims on requirements that left the framework.

    Nobody should decide, or be reminded of, a line that is on no checklist any more.
    Each claim gets a history row and a "withdrawn" event carrying `comment` (the
    reason); the developer and their team lead are told by mail once the transaction
    commits. Confirmed claims stay as they are: history, off the checklist with their
    requirement. Call inside the transaction of the removal; the people's rows are
    locked first, in id order, as every writer of their claims does. The caller
    recounts their figures. Returns the withdrawn claims.
    """
    from django.utils import timezone

    from .models import Evidence, EvidenceEvent, EvidenceStatus

    waiting = Evidence.objects.using(using).filter(
        requirement_id__in=list(requirement_ids), status=EvidenceStatus.CLAIMED
    )
    people = sorted(set(waiting.values_list("employee_id", flat=True)))
    if not people:
        return []
    list(Employee.objects.using(using).select_for_update().filter(pk__in=people).order_by("pk").values_list("pk", flat=True))
    claims = list(waiting.select_for_update().order_by("pk"))
    for claim in claims:
        claim.status = EvidenceStatus.WITHDRAWN
    audit.bulk_update(claims, ["status"], by=by, reason=reason or "requirement removed")
    at = at or timezone.now()
    actor = by if by is not None and by.is_authenticated else None
    EvidenceEvent.objects.using(using).bulk_create(
        [
            EvidenceEvent(
                evidence=claim, action=EvidenceEvent.Action.WITHDRAWN, actor=actor, at=at,
                description=claim.description, links=claim.links, comment=comment,
            )
            for claim in claims
        ]
    )
    ids = [claim.pk for claim in claims]
    transaction.on_commit(lambda: notifications.claims_withdrawn(ids, reason=comment), using=using)
    return claims


# --- Moving a person to another track ---------------------------------------------------------


@dataclass
class TrackChange:
    """What `employee_change_track` did: the ledger entry and the claims it touched."""

    entry: GradeChange
    # New claims on the new track's requirements, copied from the old track's.
    carried: list = field(default_factory=list)
    # The old track's waiting claims, closed because the old checklist no longer applies.
    closed: list = field(default_factory=list)


@transaction.atomic
def employee_change_track(
    *,
    employee: Employee,
    track: Track,
    by: User,
    reason: str,
    level: Level | None = None,
    effective_date: datetime.date | None = None,
) -> TrackChange:
    """HR moves a person to another track: a lateral move recorded in the grade ledger.

    Appends a "transfer" entry on the new track at the person's level (or `level` when
    HR sets another, a level of the new track's ladder). When the person's level is not
    on the new track's ladder, across a fork (the tracks share the levels below it),
    the level of the same rank on the new side is taken; between unrelated ladders, or
    where the new side has no such rank, HR must name the level, else the move is
    refused. Requirements both tracks share (a fork's parent's, below the fork) keep
    their claims as they are, the same rows. The other live claims move: a claim on a
    requirement whose key the new track also has (active, judged by people) is copied onto the new track's
    requirement with its status, words, claimant and decision; the old rows stay as
    they were, except that claims still waiting for a decision are withdrawn, because
    nobody should decide or be reminded of a line that is no longer on the person's
    checklist. The move is dated today unless `effective_date` says otherwise; it
    cannot be dated in the future, because the person's track changes at once.

    Locks the employee row, as `grade_change_record` and `review_request` do, so a
    move, a ledger entry and a defense request for one person happen one after another.
    """
    from django.utils import timezone

    from .models import Evidence, EvidenceEvent, EvidenceStatus, Requirement

    if not policies.may_record_grade_change(by):
        raise PermissionError("Only HR can move a person to another track.")
    caller = employee
    employee = Employee.objects.select_for_update().select_related("track").get(pk=employee.pk)
    today = timezone.localdate()
    effective_date = effective_date or today
    reason = (reason or "").strip()
    latest = _latest_entry(employee)
    if not reason:
        raise GradeError(_("A track change needs a reason."))
    if latest is None:
        raise GradeError(_("%(person)s has no hire entry yet.") % {"person": employee})
    if employee.left_on is not None and employee.left_on <= today:
        raise GradeError(
            _("%(person)s left on %(date)s; a person who has left cannot change track.")
            % {"person": employee, "date": employee.left_on.isoformat()}
        )
    if track.pk == employee.track_id:
        raise GradeError(_("%(person)s is already on the %(track)s track.") % {"person": employee, "track": track})
    if not track.is_active:
        raise GradeError(_("The %(track)s track is not active; nobody can be moved onto it.") % {"track": track})
    if effective_date < latest.effective_date:
        raise GradeError(
            _("The date %(date)s is before the latest entry (%(latest)s); history cannot be rewritten.")
            % {"date": effective_date.isoformat(), "latest": latest.effective_date.isoformat()}
        )
    if effective_date > today:
        raise GradeError(
            _("A track change takes effect at once; it cannot be dated in the future (%(date)s). Record it on the day.")
            % {"date": effective_date.isoformat()}
        )
    for check in extensions.TRACK_CHANGE_CHECKS:
        refusal = check(employee)
        if refusal:
            raise GradeError(refusal)

    from .selectors import track_ladder

    new_ladder = track_ladder(track.pk)
    new_levels = {rung.pk: rung for rung in new_ladder}
    if level is not None and level.pk not in new_levels:
        raise GradeError(
            _("%(level)s is not a level of the %(track)s track's ladder.") % {"level": level, "track": track}
        )
    if level is None and latest.level_id not in new_levels:
        old_ladder = track_ladder(employee.track_id)
        shared = {rung.pk for rung in old_ladder} & set(new_levels)
        same_rank = next((rung for rung in new_ladder if rung.rank == latest.level.rank), None)
        if not shared or same_rank is None:
            raise GradeError(
                _("%(level)s is not a level of the %(track)s track's ladder, and no level there takes its place: "
                  "choose the level %(person)s will hold.")
                % {"level": latest.level, "track": track, "person": employee}
            )
        level = same_rank

    old_track = employee.track
    entry = GradeChange(
        employee=employee,
        kind=GradeChangeKind.TRANSFER,
        track=track,
        level=level or latest.level,
        effective_date=effective_date,
        reason=reason,
        recorded_by=by,
        previous_level_since=employee.current_level_since,
    )
    entry.save()
    employee.track = track
    audit.save(employee, by=by, reason="track change", update_fields=["track"])
    _refresh_current_level(employee)

    now = timezone.now()
    # Requirements on both ladders (a fork's parent's, on the shared levels) stay as they
    # are, with their claims: the person meets the same lines on either side.
    old_lines = dict(Requirement.objects.on_ladder_of(old_track.pk).values_list("pk", "key"))
    new_lines = set(Requirement.objects.on_ladder_of(track.pk).values_list("pk", flat=True))
    shared = set(old_lines) & new_lines
    targets = {
        r.key: r
        for r in Requirement.objects.active().filter(pk__in=new_lines - shared, check_kind="")
    }
    taken = set(
        Evidence.objects.filter(
            employee=employee, requirement__in=targets.values(), status__in=OPEN_EVIDENCE_STATUSES
        ).values_list("requirement_id", flat=True)
    )
    # Locked so that a team lead deciding one of them meanwhile is not overwritten below.
    # No join in the locking query: on MySQL it would lock the requirement rows too.
    keys = {pk: key for pk, key in old_lines.items() if pk not in shared}
    live = list(
        Evidence.objects.select_for_update()
        .filter(employee=employee, requirement_id__in=list(keys), status__in=OPEN_EVIDENCE_STATUSES)
        .order_by("claimed_at", "id")
    )
    result = TrackChange(entry=entry)
    # The new track's framework as it stands: the wording a carried confirmation now counts against.
    in_force = FrameworkVersion.objects.filter(track=track).order_by("-number").first()
    for old in live:
        target = targets.get(keys[old.requirement_id])
        copy = None
        # A claim already live on the new requirement (from an earlier time on that
        # track) stands; a second one would break "one live claim per requirement".
        if target is not None and target.pk not in taken:
            confirmed = old.status == EvidenceStatus.CONFIRMED
            note = _("Carried over from the %(track)s track (claim #%(id)s).") % {"track": old_track, "id": old.pk}
            copy = audit.create(
                Evidence,
                by=by,
                reason="carried over on a track change",
                employee=employee,
                requirement=target,
                status=old.status,
                description=old.description,
                links=old.links,
                claimed_by=old.claimed_by,
                claimed_at=old.claimed_at,
                decided_by=old.decided_by if confirmed else None,
                decided_at=old.decided_at if confirmed else None,
                # A confirmation counts on the new track as it did on the old one: against
                # the wording in force there now, or still to be confirmed again.
                decided_version=in_force if confirmed else None,
                reconfirm_needed=confirmed and old.reconfirm_needed,
                decision_comment=(
                    " ".join(part for part in (note, old.decision_comment) if part) if confirmed else ""
                ),
            )
            taken.add(target.pk)
            _record_event(copy, EvidenceEvent.Action.CARRIED, by, now, comment=note)
            result.carried.append(copy)
        if old.status == EvidenceStatus.CLAIMED:
            old.status = EvidenceStatus.WITHDRAWN
            audit.save(old, by=by, reason="withdrawn on a track change", update_fields=["status"])
            if copy is not None:
                why = _("Moved to the %(track)s track, where it waits as claim #%(id)s.") % {"track": track, "id": copy.pk}
            else:
                why = _("Moved to the %(track)s track, which does not have this requirement.") % {"track": track}
            _record_event(old, EvidenceEvent.Action.WITHDRAWN, by, now, comment=why)
            result.closed.append(old)

    # Claims were carried and closed: count again after them.
    employee_counts_refresh(employees=Employee.objects.filter(pk=employee.pk))
    caller.track = track
    caller.current_level_id = employee.current_level_id
    caller.current_level_since = employee.current_level_since
    return result


# --- Checklists of a track ---------------------------------------------------------------------

# The fields of a requirement that decide whether, and at which level, it is on people's
# checklists; a change to any of them changes the counts of everyone on its track.
CHECKLIST_FIELDS = frozenset({"is_active", "check_kind", "track_level", "group"})


def checklists_changed(*, track_ids) -> int:
    """Recount the people of these tracks (and of their forks) after their requirements changed (added,
    retired, reactivated, moved to another level, judged otherwise). Call inside the
    transaction of the change. Returns the number of people recounted."""
    track_ids = [pk for pk in track_ids if pk is not None]
    if not track_ids:
        return 0
    return employee_counts_refresh(employees=people_meeting_requirements_of(track_ids))


def people_meeting_requirements_of(track_ids, *, using: str = "default"):
    """The people whose checklists hold requirements of these tracks: theirs, and those of
    the forks that share a track's levels below the fork (a rung owned by the track)."""
    from .models import TrackRung

    climbing = TrackRung.objects.using(using).filter(owner_id__in=list(track_ids)).values("track_id")
    return Employee.objects.using(using).filter(Q(track_id__in=list(track_ids)) | Q(track_id__in=climbing))


@transaction.atomic
def requirements_set_active(*, requirements, active: bool, by: User | None = None, reason: str = "") -> int:
    """Retire (active=False) or reactivate requirements, recording each change in their
    history (with `by` and `reason`), and recount the checklists of the people on their tracks.

    Retired requirements stay for the history of the evidence that points at them but
    leave everyone's checklist; their waiting claims are withdrawn, with the reason, and
    the people told (claims_withdraw_removed). Returns how many requirements changed.
    """
    from .models import Requirement

    ids = list(requirements.values_list("pk", flat=True))
    # No join in the locking query: on MySQL it would lock the joined rows too.
    changing = list(
        Requirement.objects.filter(pk__in=ids, is_active=not active).select_for_update().order_by("pk")
    )
    if not changing:
        return 0
    for requirement in changing:
        requirement.is_active = active
    audit.bulk_update(changing, ["is_active"], by=by, reason=reason or ("reactivated" if active else "retired"))
    if not active:
        # A claim waiting on a line that is on no checklist any more would wait for ever.
        claims_withdraw_removed(
            requirement_ids=[requirement.pk for requirement in changing], by=by,
            comment=_("The requirement was retired."), reason=reason or "retired",
        )
    checklists_changed(track_ids={requirement.track_id for requirement in changing})
    return len(changing)


# --- Ladders ----------------------------------------------------------------------------------


class LadderError(GradeError):
    """Tracks' ladders and forks that do not make a ladder (a gap, too few or many levels, a loop)."""


def track_ladders_refresh(*, tracks=None, by: User | None = None, reason: str = "", using: str = "default") -> int:
    """Lay out again the full ladders (TrackRung rows) of `tracks` (Track ids or rows) and of
    every fork that branches from them, or of every track when None.

    Each full ladder comes from rules.full_ladder, from the track's ladder and, for a fork,
    its parent's full ladder below the fork. Call inside the transaction of the write that
    changed a ladder, a level's rank or a fork; rows that already match stay, others are
    replaced, each change with a history row naming `by` and `reason`. Raises LadderError
    (and writes nothing of its own) when a track's ladder is broken. Returns the number of
    rungs written or removed.
    """
    from .models import TrackRung

    all_tracks = {track.pk: track for track in Track.objects.using(using).only("pk", "slug", "ladder_id", "fork_of_id", "fork_at_id")}
    levels_of: dict[int, list[tuple[int, int]]] = {}
    rank_of: dict[int, int] = {}
    for pk, rank, ladder_id in Level.objects.using(using).values_list("pk", "rank", "ladder_id"):
        levels_of.setdefault(ladder_id, []).append((pk, rank))
        rank_of[pk] = rank
    children: dict[int, list[int]] = {}
    for track in all_tracks.values():
        if track.fork_of_id is not None:
            children.setdefault(track.fork_of_id, []).append(track.pk)
    if tracks is None:
        wanted = set(all_tracks)
    else:
        wanted, queue = set(), [getattr(track, "pk", track) for track in tracks]
        while queue:
            pk = queue.pop()
            if pk not in wanted:
                wanted.add(pk)
                queue += children.get(pk, [])

    laid_out: dict[int, list[rules.Rung]] = {}

    def lay_out(pk: int, seen: tuple[int, ...] = ()) -> list[rules.Rung]:
        if pk in laid_out:
            return laid_out[pk]
        track = all_tracks[pk]
        if pk in seen:
            raise LadderError(_("The %(track)s track forks from itself through its parents.") % {"track": track.slug})
        parent = None
        if track.fork_of_id is not None:
            parent = lay_out(track.fork_of_id, (*seen, pk))
        try:
            rungs = rules.full_ladder(
                track_id=pk, own=levels_of.get(track.ladder_id, []), parent=parent,
                fork_rank=rank_of.get(track.fork_at_id),
            )
        except ValueError as exc:
            raise LadderError(f"{track.slug}: {exc}") from exc
        if parent is not None and track.fork_at_id not in {rung.level_id for rung in parent}:
            raise LadderError(
                _("%(track)s: a fork branches at a level of its parent's ladder.") % {"track": track.slug}
            )
        laid_out[pk] = rungs
        return rungs

    wanted_rows = {(rung.level_id, rung.rank, rung.owner_id, pk) for pk in wanted for rung in lay_out(pk)}
    changed = 0
    existing = list(TrackRung.objects.using(using).filter(track_id__in=wanted).order_by("pk"))
    for rung in existing:
        if (rung.level_id, rung.rank, rung.owner_id, rung.track_id) in wanted_rows:
            wanted_rows.discard((rung.level_id, rung.rank, rung.owner_id, rung.track_id))
        else:
            audit.delete(rung, by=by, reason=reason or "ladder laid out again", using=using)
            changed += 1
    for level_id, rank, owner_id, track_id in sorted(wanted_rows, key=lambda row: (row[3], row[1])):
        audit.create(
            TrackRung, by=by, reason=reason or "ladder laid out again", using=using,
            track_id=track_id, level_id=level_id, rank=rank, owner_id=owner_id,
        )
        changed += 1
    return changed


# --- Books read -----------------------------------------------------------------------------------


def _clean_reading_note(note: str) -> str:
    from .models import READING_NOTE_LENGTH

    note = " ".join((note or "").split())
    if not note:
        raise GradeError(_("Write a short note on the book: what you took from it."))
    if len(note) > READING_NOTE_LENGTH:
        raise GradeError(_("The note is longer than %(n)s characters.") % {"n": READING_NOTE_LENGTH})
    return note


def _clean_read_on(read_on: datetime.date | None, today: datetime.date) -> datetime.date:
    if read_on is None:
        return today
    if read_on > today:
        raise GradeError(_("The day you finished the book cannot be in the future."))
    try:
        from common.validators import validate_calendar_date

        validate_calendar_date(read_on)
    except ValidationError as exc:
        raise GradeError(" ".join(exc.messages)) from exc
    return read_on


@transaction.atomic
def book_mark_read(*, employee: Employee, book, note: str, read_on: datetime.date | None = None, by: User):
    """The person marks a book of their ladder's reading list as read, with a note and the day
    they finished it (today when not given). Once per person and book."""
    from django.utils import timezone

    from .models import Book, BookReading

    if not policies.may_mark_book_read(by, employee):
        raise PermissionError("Only the person themself can mark their books as read.")
    # The person's row first, as every writer of their records locks it.
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    if not Book.objects.on_ladder_of(employee.track_id).filter(pk=book.pk).exists():
        raise GradeError(_("That book is not on the reading list of your track."))
    note = _clean_reading_note(note)
    read_on = _clean_read_on(read_on, timezone.localdate())
    already = _("You have already marked that book as read.")
    if BookReading.objects.filter(employee=employee, book=book).exists():
        raise GradeError(already)
    try:
        # A savepoint: the unique constraint settles a race the lock did not (a row of
        # the person written without it).
        with transaction.atomic():
            return audit.create(
                BookReading, by=by, employee=employee, book=book, title=book.title, author=book.author,
                note=note, read_on=read_on, marked_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise GradeError(already) from exc


def _lock_reading(reading):
    """The reading, locked, with its person's row locked first (_lock_evidence's order).

    The team lead is not joined: a joined row would be locked too (MariaDB locks every
    row of the statement and knows no FOR UPDATE OF); the policy reads it afterwards.
    """
    from .models import BookReading

    employee_id = BookReading.objects.filter(pk=reading.pk).values_list("employee_id", flat=True).first()
    if employee_id is None:
        raise GradeError(_("That book is no longer marked as read."))
    employee = Employee.objects.select_for_update().get(pk=employee_id)
    locked = BookReading.objects.select_for_update().get(pk=reading.pk)
    locked.employee = employee
    return locked


@transaction.atomic
def book_unmark_read(*, reading, by: User) -> None:
    """The person takes back a book marked as read, while their team lead has not acknowledged it.

    The row goes; its history keeps the marking and the taking back, each with who and when.
    """
    reading = _lock_reading(reading)
    if not policies.may_mark_book_read(by, reading.employee):
        raise PermissionError("Only the person themself can take back a book marked as read.")
    if reading.is_acknowledged:
        raise GradeError(_("Your team lead has acknowledged this book; it stays marked as read."))
    audit.delete(reading, by=by, reason="taken back before acknowledgement")


@transaction.atomic
def book_acknowledge(*, reading, by: User):
    """The person's team lead acknowledges a book they marked as read. Once, and final."""
    from django.utils import timezone

    reading = _lock_reading(reading)
    if not policies.may_acknowledge_reading(by, reading.employee):
        raise PermissionError("Only the person's team lead can acknowledge the books they read.")
    if reading.is_acknowledged:
        raise GradeError(_("This book has already been acknowledged."))
    now = timezone.now()
    if now < reading.marked_at:  # the server clock went back
        raise GradeError(_("The book is marked as read at %(at)s, later than the server's clock; it can be "
                           "acknowledged from then on.") % {"at": date_format(timezone.localtime(reading.marked_at), "DATETIME_FORMAT")})
    reading.acknowledged_by = by
    reading.acknowledged_at = now
    audit.save(reading, by=by, update_fields=["acknowledged_by", "acknowledged_at"])
    return reading


# --- Delivery facts ---------------------------------------------------------------------------

MAX_MEASURE = 100
MAX_UNIT = 30
# The reason goes into the history row with "corrected: " before it (common.audit.REASON_LENGTH).
CORRECTED = "corrected: "
MAX_CORRECTION_REASON = audit.REASON_LENGTH - len(CORRECTED)
# The longest period a fact may cover: a sprint, a month, a quarter, up to a year.
MAX_PERIOD_DAYS = 366
# Digits before the decimal point the columns hold (DeliveryFact: 10 and 12 digits, 2 after it).
_NUMBER_LIMITS = {"committed": Decimal("99999999.99"), "done": Decimal("99999999.99"), "value": Decimal("9999999999.99")}
# Names that mean the default measure when typed out (a spreadsheet's measure column).
SPRINT_COMPLETION_NAMES = frozenset({"sprint completion", "sprint_completion", "sprint-completion"})


@dataclass
class DeliveryValues:
    """A delivery fact's values, normalised (the measure's name, numbers as Decimal)."""

    period_start: datetime.date | None
    period_end: datetime.date | None
    measure: str = ""
    committed: Decimal | None = None
    done: Decimal | None = None
    value: Decimal | None = None
    unit: str = ""
    link: str = ""

    def as_fields(self) -> dict:
        return {
            "period_start": self.period_start, "period_end": self.period_end, "measure": self.measure,
            "committed": self.committed, "done": self.done, "value": self.value, "unit": self.unit,
            "link": self.link,
        }


def delivery_measure(name: str) -> str:
    """The stored name of a measure: spaces collapsed; "" (sprint completion) for its own names."""
    name = " ".join((name or "").split())
    if name.casefold() in SPRINT_COMPLETION_NAMES or name.casefold() == _("Sprint completion").casefold():
        return ""
    return name


def delivery_values(
    *, period_start, period_end, measure="", committed=None, done=None, value=None, unit="", link="",
    today: datetime.date | None = None,
) -> tuple[DeliveryValues, list[str]]:
    """The values of a delivery fact, normalised, and every reason they cannot be one (empty when they can).

    Reads no database: the web form, the service and the spreadsheet import check with it.
    Sprint completion (measure "") needs committed (more than zero: a sprint with nothing
    committed has no completion) and done (zero or more; more than committed is allowed,
    work pulled into a running sprint counts); a named measure needs a value of zero or
    more. A period ends on or after its start, by today, and lasts at most a year.
    """
    from django.utils import timezone

    problems: list[str] = []
    values = DeliveryValues(
        period_start=period_start, period_end=period_end, measure=delivery_measure(measure),
        committed=committed, done=done, value=value,
        unit=" ".join((unit or "").split()), link=(link or "").strip(),
    )
    today = today or timezone.localdate()
    for name, day in (("period_start", period_start), ("period_end", period_end)):
        if day is None:
            problems.append(_("%(field)s: enter a date.") % {"field": name})
            continue
        try:
            validate_calendar_date(day)
        except ValidationError as exc:
            problems.append(f"{name}: {' '.join(exc.messages)}")
    if period_start is not None and period_end is not None and not problems:
        if period_end < period_start:
            problems.append(
                _("The period ends on %(end)s, before it starts (%(start)s).")
                % {"end": period_end.isoformat(), "start": period_start.isoformat()}
            )
        elif (period_end - period_start).days + 1 > MAX_PERIOD_DAYS:
            problems.append(_("A period lasts at most a year; split a longer one into periods."))
        if period_end > today:
            problems.append(
                _("The period ends on %(end)s, after today: record it once the period is over.")
                % {"end": period_end.isoformat()}
            )
    if len(values.measure) > MAX_MEASURE:
        problems.append(_("The measure's name is longer than %(n)s characters.") % {"n": MAX_MEASURE})
    if len(values.unit) > MAX_UNIT:
        problems.append(_("The unit is longer than %(n)s characters.") % {"n": MAX_UNIT})
    for name in ("committed", "done", "value"):
        number = getattr(values, name)
        if number is None:
            continue
        if not isinstance(number, Decimal) or not number.is_finite():
            problems.append(_("%(field)s: enter a number.") % {"field": name})
            setattr(values, name, None)
        elif number < 0:
            problems.append(_("%(field)s cannot be negative (%(number)s).") % {"field": name, "number": number})
        elif number > _NUMBER_LIMITS[name]:
            problems.append(_("%(field)s is too large (%(number)s).") % {"field": name, "number": number})
        elif number.as_tuple().exponent < -2:
            problems.append(_("%(field)s: at most two decimal places (%(number)s).") % {"field": name, "number": number})
    if values.measure == "":
        if values.committed is None or values.done is None:
            problems.append(_("Sprint completion needs both the committed and the done amounts."))
        elif values.committed == 0:
            problems.append(_("Committed is zero: a sprint with nothing committed has no completion."))
        if values.value is not None:
            problems.append(_("Sprint completion has committed and done, not a value; name the measure the value is of."))
    else:
        if values.value is None:
            problems.append(_("The measure %(measure)s needs a value.") % {"measure": values.measure})
        if values.committed is not None or values.done is not None:
            problems.append(
                _("Committed and done are for sprint completion; %(measure)s takes a value.") % {"measure": values.measure}
            )
    if values.link:
        try:
            validate_link(values.link)
        except ValidationError as exc:
            problems.append(" ".join(exc.messages))
    return values, problems


def delivery_overlap(employee_id: int, values: DeliveryValues, *, exclude: int | None = None):
    """The person's stored fact of the same measure whose period shares a day with `values`', or None."""
    from .models import DeliveryFact

    found = DeliveryFact.objects.filter(employee_id=employee_id).of_measure(values.measure).overlapping(
        values.period_start, values.period_end
    )
    if exclude is not None:
        found = found.exclude(pk=exclude)
    return found.order_by("period_start", "id").first()


def _overlap_message(fact) -> str:
    return _("The period overlaps the %(measure)s fact of %(start)s – %(end)s already recorded for this person; "
             "correct that one instead.") % {
        "measure": fact.measure_label, "start": fact.period_start.isoformat(), "end": fact.period_end.isoformat(),
    }


def _checked_delivery(employee: Employee, values: dict, *, exclude: int | None = None) -> DeliveryValues:
    checked, problems = delivery_values(**values)
    if problems:
        raise GradeError(" ".join(problems))
    overlap = delivery_overlap(employee.pk, checked, exclude=exclude)
    if overlap is not None:
        raise GradeError(_overlap_message(overlap))
    return checked


@transaction.atomic
def delivery_fact_record(*, employee: Employee, by: User, **values):
    """The person's team lead (or HR) records a delivery fact (see delivery_values for what one holds).

    Periods of one person and measure never overlap. Locks the person's row, so two
    writers of their facts check for overlaps one after the other.
    """
    from .models import DeliveryFact

    if not policies.may_record_delivery(by, employee):
        raise PermissionError("Only the person's team lead or HR records their delivery facts.")
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    checked = _checked_delivery(employee, values)
    fact = DeliveryFact(employee=employee, recorded_by=by, **checked.as_fields())
    try:
        fact.full_clean(exclude=["employee", "recorded_by"])
    except ValidationError as exc:
        raise GradeError(" ".join(exc.messages)) from exc
    return audit.save(fact, by=by, reason="delivery fact recorded", force_insert=True)


@transaction.atomic
def delivery_fact_correct(*, fact, by: User, reason: str, **values):
    """The person's team lead (or HR) corrects a recorded fact, saying why.

    The fact is changed in place; its history keeps every earlier version with who
    changed it, when and why. The same checks as recording apply.
    """
    from .models import DeliveryFact

    employee_id = DeliveryFact.objects.filter(pk=fact.pk).values_list("employee_id", flat=True).get()
    employee = Employee.objects.select_for_update().select_related("team_lead").get(pk=employee_id)
    if not policies.may_record_delivery(by, employee):
        raise PermissionError("Only the person's team lead or HR corrects their delivery facts.")
    locked = DeliveryFact.objects.select_for_update().get(pk=fact.pk)
    reason = " ".join((reason or "").split())
    if not reason:
        raise GradeError(_("Say why the fact is corrected; the reason is kept with its history."))
    if len(reason) > MAX_CORRECTION_REASON:
        raise GradeError(_("The reason is longer than %(n)s characters.") % {"n": MAX_CORRECTION_REASON})
    checked = _checked_delivery(employee, values, exclude=locked.pk)
    fields = checked.as_fields()
    changed = [name for name, new in fields.items() if getattr(locked, name) != new]
    if not changed:
        raise GradeError(_("The correction changes nothing."))
    for name in changed:
        setattr(locked, name, fields[name])
    try:
        locked.full_clean(exclude=["employee", "recorded_by"])
    except ValidationError as exc:
        raise GradeError(" ".join(exc.messages)) from exc
    audit.save(locked, by=by, reason=CORRECTED + reason, update_fields=changed)
    return locked


# --- Growth plans -------------------------------------------------------------------------------

MAX_GOAL = 2000


def _clean_goal(*, text: str, link: str, due_on, today: datetime.date, check_due: bool) -> tuple[str, str]:
    """The goal's text and link, cleaned; GradeError for what cannot be stored.

    A due date is checked when it is set or changed (`check_due`): it must be a date the
    product counts with and not before `today`. A goal already past due keeps its date
    when only its words change.
    """
    text = (text or "").strip()
    if not text:
        raise GradeError(_("Write the goal: what is to be done for this requirement."))
    if len(text) > MAX_GOAL:
        raise GradeError(_("The goal is longer than %(n)s characters.") % {"n": MAX_GOAL})
    link = (link or "").strip()
    if link:
        try:
            validate_link(link)
        except ValidationError as exc:
            raise GradeError(" ".join(exc.messages)) from exc
    if due_on is not None and check_due:
        if not isinstance(due_on, datetime.date) or isinstance(due_on, datetime.datetime):
            raise GradeError(_("The due date is not a date."))
        try:
            validate_calendar_date(due_on)
        except ValidationError as exc:
            raise GradeError(" ".join(exc.messages)) from exc
        if due_on < today:
            raise GradeError(
                _("The due date %(date)s is in the past; choose today or a later day.") % {"date": due_on.isoformat()}
            )
    return text, link


@transaction.atomic
def growth_goal_add(
    *, employee: Employee, requirement, text: str, link: str = "", due_on: datetime.date | None = None, by: User
):
    """The person or their team lead agrees a goal for one unmet line of the next level's checklist.

    Refused: anyone else (PermissionError); a requirement that is not on the person's
    checklist of the next level, or one already met (confirmed, met by data, or in an
    "at least N" group that has enough done); a second goal on the same line; an empty
    goal, a link that is not http(s), a due date in the past.
    """
    from django.utils import timezone

    from .models import GrowthGoal
    from .selectors import employee_progress

    employee = Employee.objects.select_for_update().select_related("team_lead").get(pk=employee.pk)
    if not policies.may_plan(by, employee):
        raise PermissionError(_("Only the person and their team lead can change the growth plan."))
    today = timezone.localdate()
    text, link = _clean_goal(text=text, link=link, due_on=due_on, today=today, check_due=True)
    progress = employee_progress(employee, on=today)
    if progress.next_level is None:
        raise GradeError(_("%(person)s is at the top of the ladder; there is no next level to plan for.") % {"person": employee})
    line = next((item for item in progress.items if item.requirement.pk == requirement.pk), None)
    if line is None:
        raise GradeError(
            _("That requirement is not on the checklist of %(level)s, the next level.") % {"level": progress.next_level.display_name}
        )
    if all(item is not line for item in progress.unmet):
        raise GradeError(_("That requirement is already met; a goal is for what is still to do."))
    if GrowthGoal.objects.filter(employee=employee, requirement_id=requirement.pk).exists():
        raise GradeError(_("There is already a goal for that requirement; edit it instead."))
    try:
        with transaction.atomic():
            return audit.create(
                GrowthGoal, by=by, reason="goal agreed", employee=employee, requirement_id=requirement.pk,
                text=text, link=link, due_on=due_on, created_by=by, created_at=timezone.now(),
            )
    except IntegrityError as exc:  # a concurrent add of the same line won the race
        raise GradeError(_("There is already a goal for that requirement; edit it instead.")) from exc


def _lock_goal(goal):
    """The goal, locked, with its person (and their team lead) read, the person's row locked first."""
    from .models import GrowthGoal

    employee_id = GrowthGoal.objects.filter(pk=goal.pk).values_list("employee_id", flat=True).get()
    employee = Employee.objects.select_for_update().select_related("team_lead").get(pk=employee_id)
    locked = GrowthGoal.objects.select_for_update().get(pk=goal.pk)
    locked.employee = employee
    return locked


@transaction.atomic
def growth_goal_edit(*, goal, text: str, link: str = "", due_on: datetime.date | None = None, by: User):
    """The person or their team lead changes a goal's words, link or due date.

    An edit that changes nothing writes nothing.
    """
    from django.utils import timezone

    goal = _lock_goal(goal)
    if not policies.may_plan(by, goal.employee):
        raise PermissionError(_("Only the person and their team lead can change the growth plan."))
    text, link = _clean_goal(
        text=text, link=link, due_on=due_on, today=timezone.localdate(), check_due=due_on != goal.due_on
    )
    if (text, link, due_on) == (goal.text, goal.link, goal.due_on):
        return goal
    goal.text, goal.link, goal.due_on = text, link, due_on
    audit.save(goal, by=by, reason="goal edited", update_fields=["text", "link", "due_on"])
    return goal


@transaction.atomic
def growth_goal_mark(*, goal, done: bool, by: User):
    """The person or their team lead marks a goal done (recording who and when), or open again."""
    from django.utils import timezone

    goal = _lock_goal(goal)
    if not policies.may_plan(by, goal.employee):
        raise PermissionError(_("Only the person and their team lead can change the growth plan."))
    if done and goal.done_at is not None:
        raise GradeError(_("The goal is already marked done."))
    if not done and goal.done_at is None:
        raise GradeError(_("The goal is not marked done."))
    goal.done_at, goal.done_by = (timezone.now(), by) if done else (None, None)
    audit.save(goal, by=by, reason="goal done" if done else "goal reopened", update_fields=["done_at", "done_by"])
    return goal
