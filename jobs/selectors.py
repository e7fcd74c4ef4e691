"""
Reads for the scheduled jobs. Each runs a fixed number of queries whatever the number
of people, reviews or claims (the tests pin the commands' totals).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from grades import rules as grade_rules
from grades import selectors as grade_selectors
from grades.models import Employee, Evidence, EvidenceStatus, GrowthGoal, Level
from reviews.models import CommitteeSeat, PromotionReview, ReviewStatus

from . import rules
from .models import Reminder, ReminderKind


def still_employed(today: datetime.date, prefix: str = "") -> Q:
    """People who have not left by `today` (a leaving date still ahead counts as employed)."""
    return Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gt": today})


# --- Newly eligible people ----------------------------------------------------------------------


@dataclass(frozen=True)
class EligiblePerson:
    employee: Employee  # with user and team_lead.user loaded
    next_level: Level
    earliest: datetime.date


def newly_eligible(*, window: rules.Window, today: datetime.date) -> list[EligiblePerson]:
    """People whose earliest defense date falls in `window`, who can defend now.

    The earliest date is the progress page's (grades.rules.earliest_defense_date): time in
    level counted from the later of the last grade change and probation's end, and the
    cool-down after the latest failed defense. It is computed from the denormalised
    `current_level_since`, `probation_end` and `last_failed_defense_on`, so the whole
    company is one light query; only the few people in the window are then loaded with their names.
    People at the top level, who have left, or with an open review are left out.
    Three queries: the ladders, everyone's dates, the people in the window.
    """
    if window.is_empty:
        return []
    # Each track's full ladder: a person's next level is the one after theirs on their own ladder.
    ladders = grade_selectors.ladders_of_tracks()
    next_of: dict[tuple[int, int], Level] = {
        (track_id, lower.pk): upper
        for track_id, ladder in ladders.items()
        for lower, upper in zip(ladder, ladder[1:])
    }
    if not next_of:
        return []
    rows = (
        Employee.objects.filter(still_employed(today))
        .filter(
            team_lead__isnull=False,
            current_level__isnull=False,
            current_level_since__isnull=False,
        )
        .exclude(Exists(PromotionReview.objects.open().filter(candidate=OuterRef("pk"))))
        # Ordering by name would join the user table for every person; the mail sorts later.
        .order_by("pk")
        .values_list("pk", "current_level_since", "probation_end", "track_id", "current_level_id", "last_failed_defense_on")
    )
    cooldown = settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS
    found: dict[int, tuple[Level, datetime.date]] = {}
    for pk, since, probation_end, track_id, level_id, failed_on in rows.iterator(chunk_size=2000):
        # None at the top of the ladder.
        next_level = next_of.get((track_id, level_id))
        if next_level is None:
            continue
        earliest = grade_rules.earliest_defense_date(
            last_change=since,
            probation_end=probation_end,
            min_months=next_level.min_months_in_previous,
            last_failed_defense=failed_on,
            cooldown_months=cooldown,
        )
        if earliest in window:
            found[pk] = (next_level, earliest)
    if not found:
        return []
    people = Employee.objects.filter(pk__in=list(found)).select_related("user", "team_lead__user")
    return [
        EligiblePerson(employee=person, next_level=found[person.pk][0], earliest=found[person.pk][1])
        for person in people
    ]


def can_be_told(lead: Employee, today: datetime.date) -> bool:
    """A team lead still here, with an active account and an address to write to."""
    user = lead.user
    return (lead.left_on is None or lead.left_on > today) and user.is_active and bool(user.email)


def announced(kind: str, object_ids) -> set[tuple[int, int, str]]:
    """(object id, recipient id, key) of reminders of `kind` already sent about these objects."""
    object_ids = list(object_ids)
    if not object_ids:
        return set()
    return set(
        Reminder.objects.filter(kind=kind, object_id__in=object_ids).values_list(
            "object_id", "recipient_id", "key"
        )
    )


# --- Reviews and claims ---------------------------------------------------------------------------


def upcoming_seats(*, now: datetime.datetime, days: int) -> list[CommitteeSeat]:
    """Committee seats of defenses scheduled after `now` and at most `days` days ahead.

    One query (index review_status_date); seats of inactive accounts or without an
    address are left out, since nobody would read their mail.
    """
    return list(
        CommitteeSeat.objects.filter(
            review__status=ReviewStatus.SCHEDULED,
            review__scheduled_for__gt=now,
            review__scheduled_for__lte=now + datetime.timedelta(days=days),
            member__is_active=True,
        )
        .exclude(member__email="")
        .select_related("member", "review__candidate__user", "review__from_level", "review__to_level")
        .order_by("review__scheduled_for", "review_id", "id")
    )


def overdue_claims(*, now: datetime.datetime, older_than_days: int) -> list[Evidence]:
    """Claims still waiting for the team lead's decision, made more than `older_than_days` ago.

    Only claims of people still employed who have a team lead; one query.
    """
    today = timezone.localdate(now)
    return list(
        Evidence.objects.filter(
            status=EvidenceStatus.CLAIMED,
            claimed_at__lt=rules.overdue_before(now=now, older_than_days=older_than_days),
            employee__team_lead__isnull=False,
        )
        .filter(still_employed(today, "employee__"))
        .select_related("employee__user", "employee__team_lead__user", "requirement")
        .order_by("claimed_at", "id")
    )


def last_claim_reminders(today: datetime.date) -> dict[tuple[int, int], datetime.date]:
    """{(claim id, recipient id): day of the latest reminder} for reminders of the last week.

    Older reminders cannot hold a new one back (rules.claim_reminder_due), so they are
    not read: one query bounded by a week of reminders (index reminder_kind_sent_on).
    """
    return last_reminders(ReminderKind.CLAIM, today, every_days=rules.CLAIM_REMINDER_EVERY_DAYS)


def last_reminders(kind: str, today: datetime.date, *, every_days: int) -> dict[tuple[int, int], datetime.date]:
    """{(object id, recipient id): day of the latest reminder} of `kind` in the last `every_days` days.

    One query bounded by those days of reminders (index reminder_kind_sent_on).
    """
    since = today - datetime.timedelta(days=every_days)
    latest: dict[tuple[int, int], datetime.date] = {}
    rows = Reminder.objects.filter(kind=kind, sent_on__gte=since).values_list(
        "object_id", "recipient_id", "sent_on"
    )
    for object_id, recipient_id, sent_on in rows:
        pair = (object_id, recipient_id)
        if pair not in latest or sent_on > latest[pair]:
            latest[pair] = sent_on
    return latest



# --- Growth goals -----------------------------------------------------------------------------------


def overdue_goals(*, today: datetime.date) -> list[GrowthGoal]:
    """Growth goals not done whose due date is before `today`, of people still employed.

    One query (index growthgoal_open_due), with the person, their team lead and the requirement.
    """
    return list(
        GrowthGoal.objects.filter(done_at__isnull=True, due_on__lt=today)
        .filter(still_employed(today, "employee__"))
        .select_related("employee__user", "employee__team_lead__user", "requirement")
        .order_by("due_on", "id")
    )
