"""
A person's audit trail: who changed what about them, and when, from every record the product keeps.

Sources, merged by time:
  * django-simple-history: the employee row, their mentorships, their growth goals, their
    claims, the books they marked as read, their delivery facts (with the reason of each correction)
    (changes made in the product and in Django admin alike: the history middleware
    records the user);
  * the append-only ledgers: grade changes, claim events;
  * what the apps built on the core register in extensions.TRAIL_SOURCES (the
    reviews app: review events and the committee's votes);
  * Django admin's own log for the employee and their user account.
History rows are only ever read here; nothing offers to edit them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from . import extensions
from .models import BookReading, Employee, Evidence, EvidenceEvent, GradeChange, GrowthGoal, Mentorship

HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# Fields whose values are not shown in the trail (internal markers and denormalised copies).
HIDDEN_FIELDS = {"open_marker", "hire_marker", "current_level", "current_level_since"}


@dataclass
class TrailEntry:
    at: datetime.datetime
    actor: str
    subject: str
    action: str
    detail: str


def actor_name(user) -> str:
    if user is None:
        return _("system")
    return user.get_full_name() or user.get_username()


def _changes(record, previous) -> str:
    """'field: old → new' between two history records of one object."""
    if previous is None:
        return ""
    delta = record.diff_against(previous)
    parts = []
    for change in delta.changes:
        if change.field in HIDDEN_FIELDS:
            continue
        parts.append(f"{change.field}: {change.old if change.old not in (None, '') else '—'} → "
                     f"{change.new if change.new not in (None, '') else '—'}")
    return "; ".join(parts)


def history_entries(records, subject) -> list[TrailEntry]:
    """Trail entries from history records in time order (each compared with its object's previous one)."""
    entries = []
    last_of: dict = {}
    for record in records:
        previous = last_of.get(record.id)
        last_of[record.id] = record
        detail = _changes(record, previous) if record.history_type == "~" else ""
        if record.history_type == "~" and not detail:
            continue  # a save that changed nothing shown
        entries.append(
            TrailEntry(
                at=record.history_date,
                actor=actor_name(record.history_user),
                subject=subject(record),
                action=HISTORY_ACTIONS.get(record.history_type, record.history_type),
                detail=detail,
            )
        )
    return entries


def person_trail(employee: Employee) -> list[TrailEntry]:
    """Every recorded change about `employee`, newest first, in a fixed number of queries.

    The apps built on the core add their records through extensions.TRAIL_SOURCES.
    """

    entries: list[TrailEntry] = []
    entries += history_entries(
        Employee.history.filter(id=employee.pk).select_related("history_user").order_by("history_date"),
        lambda r: _("Employee record"),
    )
    entries += history_entries(
        Mentorship.history.filter(mentee_id=employee.pk).select_related("history_user", "mentor__user")
        .order_by("history_date"),
        lambda r: _("Mentorship (mentor %(name)s)") % {"name": r.mentor},
    )
    entries += history_entries(
        Mentorship.history.filter(mentor_id=employee.pk).select_related("history_user", "mentee__user")
        .order_by("history_date"),
        lambda r: _("Mentorship (mentee %(name)s)") % {"name": r.mentee},
    )
    entries += history_entries(
        GrowthGoal.history.filter(employee_id=employee.pk).select_related("history_user", "requirement")
        .order_by("history_date"),
        lambda r: _("Growth goal: %(requirement)s") % {"requirement": r.requirement},
    )
    for change in GradeChange.objects.filter(employee=employee).select_related("level", "recorded_by"):
        entries.append(
            TrailEntry(
                at=change.recorded_at,
                actor=actor_name(change.recorded_by),
                subject=_("Grade history"),
                action=change.get_kind_display(),
                detail=f"{change.level} · {change.effective_date:%Y-%m-%d}"
                + (f" · {change.reason_display}" if change.reason else ""),
            )
        )
    evidence_ids = list(Evidence.objects.filter(employee=employee).values_list("pk", flat=True))
    for event in (
        EvidenceEvent.objects.filter(evidence_id__in=evidence_ids)
        .select_related("actor", "evidence__requirement")
    ):
        entries.append(
            TrailEntry(
                at=event.at,
                actor=actor_name(event.actor),
                subject=_("Claim: %(requirement)s") % {"requirement": event.evidence.requirement},
                action=event.get_action_display(),
                detail=event.comment,
            )
        )
    entries += history_entries(
        BookReading.history.filter(employee_id=employee.pk).select_related("history_user")
        .order_by("history_date", "history_id"),
        lambda r: _("Book read: %(title)s") % {"title": r.title},
    )
    entries += _delivery_entries(employee)
    for source in extensions.TRAIL_SOURCES:
        entries += source(employee)
    user_type = ContentType.objects.get_for_model(employee.user)
    employee_type = ContentType.objects.get_for_model(Employee)
    for log in LogEntry.objects.filter(
        content_type__in=[user_type, employee_type],
        object_id__in=[str(employee.user_id), str(employee.pk)],
    ).select_related("user", "content_type"):
        if (log.content_type_id, log.object_id) not in (
            (user_type.pk, str(employee.user_id)),
            (employee_type.pk, str(employee.pk)),
        ):
            continue
        entries.append(
            TrailEntry(
                at=log.action_time,
                actor=actor_name(log.user),
                subject=_("Admin: %(object)s") % {"object": log.object_repr},
                action={1: _("added"), 2: _("changed"), 3: _("deleted")}.get(log.action_flag, ""),
                detail=log.get_change_message(),
            )
        )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _delivery_entries(employee: Employee) -> list[TrailEntry]:
    """The recording and every correction of the person's delivery facts, with the reason given."""
    from .models import DeliveryFact

    entries = []
    last_of: dict = {}
    for record in (
        DeliveryFact.history.filter(employee_id=employee.pk).select_related("history_user").order_by("history_date", "history_id")
    ):
        previous = last_of.get(record.id)
        last_of[record.id] = record
        label = _("Sprint completion") if record.measure == "" else record.measure
        detail = _changes(record, previous) if record.history_type == "~" else ""
        if record.history_change_reason and record.history_type != "+":
            detail = f"{detail} ({record.history_change_reason})" if detail else record.history_change_reason
        entries.append(
            TrailEntry(
                at=record.history_date,
                actor=actor_name(record.history_user),
                subject=_("Delivery: %(measure)s %(start)s – %(end)s")
                % {"measure": label, "start": f"{record.period_start:%Y-%m-%d}", "end": f"{record.period_end:%Y-%m-%d}"},
                action=HISTORY_ACTIONS.get(record.history_type, record.history_type),
                detail=detail,
            )
        )
    return entries
