"""
The audit trail: every change to the product's records says who made it and when.

Three kinds of record keep it, and every model belongs to one of them (the
inventory below; `gradesys/tests/test_audit.py` fails for a model that
belongs to none):

* **History rows** (django-simple-history): a model with `history =
  HistoricalRecords(...)` gets a row on every save() and delete(), holding the
  whole row, `history_date`, `history_user` and, where it says something,
  `history_change_reason`.
* **Its own record**: append-only ledgers whose rows are the history, each with
  a who and a when column (`OWN_RECORD`).
* **Django admin's log**: accounts, groups and sign-in lockouts change in admin
  only, and admin writes a LogEntry (who, when, what) for each change (`ADMIN_LOGGED`).
  Rows a scheduled job or the sign-in guard writes for itself, with no person
  acting, are listed in `SYSTEM_RECORD`.

simple-history sees save() and delete() only: QuerySet.update(), bulk_create() and
bulk_update() write no history row, and outside a request (a management command,
a scheduled job) it knows no user unless the instance names one. So product code
writes audited rows through the functions here, which always name the actor and
write the history of bulk changes too; `gradesys/tests/test_audit.py`
reads the product's source and refuses manager-level writes to audited models
that go around them.

Derived columns: a column the services compute from other records (a person's
current level, copied from the grade ledger; the checklist counts, counted from
evidence; the day of the latest failed defense, copied from the committee's
decision; the framework version that brought a requirement's wording) is refreshed with QuerySet.update() in the same transaction as the
audited write that changed what it is computed from, and leaves no history row of
its own: that write's record already says who and when. Such columns are left
out of their model's history (`DERIVED_FIELDS`), so that an edit of the row does
not show them as changed by whoever made the edit.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, models, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

# history_change_reason is a CharField(max_length=100).
REASON_LENGTH = 100

# Append-only models that are their own record: app_label.Model -> (who, when) fields.
OWN_RECORD = {
    "grades.GradeChange": ("recorded_by", "recorded_at"),
    "grades.EvidenceEvent": ("actor", "at"),
    "grades.FrameworkVersion": ("loaded_by", "loaded_at"),
    "reviews.ReviewEvent": ("actor", "at"),
    "reviews.RelationsAssessment": ("author", "at"),
    "reviews.FeedbackAnswer": ("author", "answered_at"),
    "imports.ImportRun": ("recorded_by", "recorded_at"),
}

# Rows the system writes for itself, with no person acting: app_label.Model -> when field.
SYSTEM_RECORD = {
    "jobs.JobRun": "started_at",
    "jobs.Reminder": "sent_on",
    # Kept by the decision service in the decision's transaction; the review's decided_by
    # and decided_at say who decided and when.
    "reviews.PacketSnapshot": "taken_at",
    # The webhook outbox and its attempts, written by the announcing write and by send_webhooks.
    "webhooks.Delivery": "created_at",
    "webhooks.DeliveryAttempt": "started_at",
    "axes.AccessLog": "attempt_time",
    # A role granted or taken away at a sign-in, as the identity provider's groups say
    # (sso.services); the row names the person and the provider.
    "sso.RoleChange": "at",
    "axes.AccessFailureLog": "attempt_time",
}

# Models outside the product's apps that people change in admin, where Django admin logs
# each change (grades.admin_lockouts writes the log entry of a lifted lockout itself).
# An account an import makes comes with its employee, whose history row names the
# importer, and the import's ImportRun says when and from what. Webhook endpoints are set
# up in admin only (its log names the fields changed, never the signing secret's value).
ADMIN_LOGGED = frozenset({"auth.User", "auth.Group", "axes.AccessAttempt", "webhooks.Endpoint"})

# Columns computed from other records and refreshed with them (see the module docstring).
DERIVED_FIELDS = {
    "grades.Employee": frozenset(
        {
            # Copied from the grade ledger.
            "current_level", "current_level_since",
            # Counted from evidence and requirements.
            "checklist_total", "checklist_done", "waiting_claims",
            # Copied from the committee's decision on a failed defense.
            "last_failed_defense_on",
        }
    ),
    # The framework version that brought the requirement's current wording, set by the
    # load that appends that version (grades.versions); the version row says who and when.
    "grades.Requirement": frozenset({"wording_version"}),
    # When a personal access token was last used: noted by the API call that used it.
    "api.ApiToken": frozenset({"last_used_at"}),
}


def has_history(model) -> bool:
    """Whether django-simple-history keeps rows for `model`."""
    return hasattr(model._meta, "simple_history_manager_attribute")


def _reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    return reason if len(reason) <= REASON_LENGTH else reason[: REASON_LENGTH - 1] + "…"


def _actor(by):
    """The user to record, or None (then the request's user, if any, is recorded)."""
    return by if by is not None and by.is_authenticated else None


class _Attributed:
    """Names the actor and the reason on an instance for one save or delete, then forgets them."""

    def __init__(self, obj, by, reason):
        self.obj, self.by, self.reason = obj, _actor(by), _reason(reason)

    def __enter__(self):
        names = ("_history_user", "_change_reason")
        self.saved = {name: self.obj.__dict__[name] for name in names if name in self.obj.__dict__}
        if self.by is not None:
            self.obj._history_user = self.by
        if self.reason:
            self.obj._change_reason = self.reason
        return self.obj

    def __exit__(self, *exc):
        for name in ("_history_user", "_change_reason"):
            self.obj.__dict__.pop(name, None)
        self.obj.__dict__.update(self.saved)


def save(obj: models.Model, *, by, reason: str = "", **kwargs) -> models.Model:
    """obj.save(**kwargs), recording `by` (and `reason`) in the history row it writes."""
    with _Attributed(obj, by, reason):
        obj.save(**kwargs)
    return obj


def create(model: type[models.Model], *, by, reason: str = "", using: str | None = None, **values) -> models.Model:
    """model.objects.create(**values), recording `by` (and `reason`) in the history row."""
    obj = model(**values)
    return save(obj, by=by, reason=reason, force_insert=True, using=using)


def get_or_create(
    model: type[models.Model], *, by, reason: str = "", using: str | None = None, defaults=None, **lookup
) -> tuple[models.Model, bool]:
    """model.objects.get_or_create(), recording `by` (and `reason`) in the history row of a new row.

    As Django's: a concurrent insert of the same row that wins the race is read back.
    """
    manager = model._default_manager.db_manager(using)
    found = manager.filter(**lookup).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic(using=manager.db):
            return create(model, by=by, reason=reason, using=manager.db, **lookup, **(defaults or {})), True
    except IntegrityError:
        return manager.get(**lookup), False


def delete(obj: models.Model, *, by, reason: str = "", using: str | None = None):
    """obj.delete(), recording `by` (and `reason`) in the history row of the deletion."""
    with _Attributed(obj, by, reason):
        return obj.delete(using=using)


def bulk_create(objs: Iterable[models.Model], *, by, reason: str = "", batch_size: int | None = None) -> list:
    """bulk_create() and one history row per new row, in the caller's transaction.

    The rows come back with their ids (read back by their values where the
    database does not return them from a bulk insert).
    """
    objs = list(objs)
    if not objs:
        return []
    model = type(objs[0])
    return bulk_create_with_history(
        objs, model, batch_size=batch_size, default_user=_actor(by), default_change_reason=_reason(reason) or None
    )


def bulk_update(
    objs: Sequence[models.Model], fields: Sequence[str], *, by, reason: str = "", batch_size: int | None = None
) -> int:
    """bulk_update() and one history row per changed row, in the caller's transaction."""
    objs = list(objs)
    if not objs:
        return 0
    model = type(objs[0])
    return bulk_update_with_history(
        objs, model, list(fields), batch_size=batch_size,
        default_user=_actor(by), default_change_reason=_reason(reason) or None,
    )


# --- Management commands --------------------------------------------------------------------


def add_user_argument(parser) -> None:
    """The --user option of a command that writes audited data."""
    parser.add_argument(
        "--user",
        metavar="USERNAME",
        help="the account of the person running the command, recorded in the history as who "
        "made the change (without it the history names no account, and its reason names the "
        "system login)",
    )


def command_actor(username: str | None):
    """The active user named by --user, or None; CommandError for an unknown or inactive one."""
    from django.contrib.auth import get_user_model
    from django.core.management.base import CommandError

    if not username:
        return None
    User = get_user_model()
    user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
    if user is None or not user.is_active:
        raise CommandError(f"--user {username}: there is no active account with that username.")
    return user


def command_reason(what: str, by) -> str:
    """The history reason of a command's writes: the command, and the system login when no --user names the person."""
    if _actor(by) is not None:
        return _reason(what)
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment or the password database
        login = "unknown"
    suffix = f" (command line, system login {login[:30]})"
    return _reason(what)[: REASON_LENGTH - len(suffix)] + suffix
