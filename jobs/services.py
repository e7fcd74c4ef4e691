"""
The scheduled jobs. Each one plans its mail from the database, and then (unless it is a
dry run) records the run and the reminders in one transaction and sends the mail only
after that transaction commits.

Idempotence rests on the reminder log: every mailed item is a Reminder row whose unique
key (kind, object, recipient, key) is inserted *before* anything is sent. The insert
ignores rows that exist already, and the run then mails only the rows it inserted
itself. A second run, the same day or concurrently, finds its rows ignored and sends
nothing; on MariaDB the second insert waits for the first transaction and is ignored
once it commits, on SQLite the transactions queue whole (BEGIN IMMEDIATE).

The price is "at most once": a mail server failure after commit is logged (with the
reminder ids only) and not retried, since a retry could not tell a lost mail from a
delivered one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from . import events, notifications, rules, selectors
from .models import JobRun, Reminder, ReminderKind

User = get_user_model()

NOTIFY_ELIGIBLE = "notify_eligible"
REMIND_REVIEWS = "remind_reviews"


@dataclass
class PlannedMail:
    """One mail to one person: the items it lists, each with the reminder that records it."""

    template: str
    recipient: User
    entries: list[tuple[Reminder, dict]] = field(default_factory=list)

    @property
    def items(self) -> list[dict]:
        return [item for _reminder, item in self.entries]

    @property
    def reminder_ids(self) -> list[int]:
        return [reminder.pk for reminder, _item in self.entries if reminder.pk]


@dataclass
class JobResult:
    job: str
    dry_run: bool
    covered_until: datetime.date
    mails: list[PlannedMail]
    counts: dict
    window: rules.Window | None = None
    run: JobRun | None = None


def _identity(reminder: Reminder) -> tuple:
    return (reminder.kind, reminder.object_id, reminder.recipient_id, reminder.key)


def _record_and_send(
    *, job: str, started_at: datetime.datetime, covered_until: datetime.date, mails: list[PlannedMail],
    counts: dict,
) -> tuple[JobRun, list[PlannedMail]]:
    """Insert the run and its reminders; keep only the items whose reminder this run inserted.

    Call inside transaction.atomic. Queries: the run, the reminders (one INSERT per
    batch), the read-back, the run's update.
    """
    run = JobRun.objects.create(job=job, started_at=started_at, covered_until=covered_until)
    reminders = [reminder for mail in mails for reminder, _item in mail.entries]
    for reminder in reminders:
        reminder.job_run = run
    # Sorted, so that two concurrent runs take the unique index's locks in the same order.
    reminders.sort(key=_identity)
    Reminder.objects.bulk_create(reminders, ignore_conflicts=True)
    inserted = {
        (row.kind, row.object_id, row.recipient_id, row.key): row
        for row in Reminder.objects.filter(job_run=run)
    }
    kept: list[PlannedMail] = []
    for mail in mails:
        entries = [
            (inserted[_identity(reminder)], item)
            for reminder, item in mail.entries
            if _identity(reminder) in inserted
        ]
        if entries:
            kept.append(PlannedMail(template=mail.template, recipient=mail.recipient, entries=entries))
    run.finished_at = max(timezone.now(), started_at)
    run.counts = {**counts, "mails": len(kept), "reminders": len(inserted)}
    run.save(update_fields=["finished_at", "counts"])
    events.planned_announce(kept)
    transaction.on_commit(partial(notifications.send_planned, job, kept))
    return run, kept


# --- notify_eligible ----------------------------------------------------------------------------


def _eligible_mails(people: list[selectors.EligiblePerson], today: datetime.date) -> tuple[list[PlannedMail], dict]:
    """One mail per team lead, listing their reports not announced yet for this earliest date."""
    sent = selectors.announced(ReminderKind.ELIGIBLE, [p.employee.pk for p in people])
    by_lead: dict[int, PlannedMail] = {}
    counts = {"eligible": len(people), "already_announced": 0, "no_team_lead_to_tell": 0}
    for person in sorted(people, key=lambda p: (p.earliest, p.employee.name.lower(), p.employee.pk)):
        lead = person.employee.team_lead
        if not selectors.can_be_told(lead, today):
            counts["no_team_lead_to_tell"] += 1
            continue
        key = rules.eligible_key(person.earliest)
        if (person.employee.pk, lead.user_id, key) in sent:
            counts["already_announced"] += 1
            continue
        mail = by_lead.setdefault(lead.user_id, PlannedMail(template="eligible", recipient=lead.user))
        reminder = Reminder(
            kind=ReminderKind.ELIGIBLE, object_id=person.employee.pk, recipient=lead.user, key=key,
            sent_on=today,
        )
        mail.entries.append(
            (
                reminder,
                {
                    "employee_id": person.employee.pk,
                    "name": person.employee.name,
                    "next_level": person.next_level,
                    "earliest": person.earliest,
                    "url": person.employee.get_absolute_url(),
                },
            )
        )
    return list(by_lead.values()), counts


def eligible_people_notify(*, today: datetime.date | None = None, dry_run: bool = False) -> JobResult:
    """Tell each team lead which of their reports became eligible since the last run.

    The window runs from the day after the last covered day up to `today`
    (rules.notify_window); the run records `today` as covered. A run for a day at or
    before the last covered one has an empty window and sends nothing.
    """
    started_at = timezone.now()
    today = today or timezone.localdate()
    with transaction.atomic():
        last_covered = JobRun.objects.covered_until(NOTIFY_ELIGIBLE)
        window = rules.notify_window(last_covered=last_covered, today=today)
        people = selectors.newly_eligible(window=window, today=today)
        mails, counts = _eligible_mails(people, today)
        covered_until = max(today, last_covered) if last_covered else today
        counts["window_days"] = window.days
        if dry_run:
            return JobResult(NOTIFY_ELIGIBLE, True, covered_until, mails, counts, window=window)
        run, sent = _record_and_send(
            job=NOTIFY_ELIGIBLE, started_at=started_at, covered_until=covered_until, mails=mails,
            counts=counts,
        )
    return JobResult(NOTIFY_ELIGIBLE, False, covered_until, sent, run.counts, window=window, run=run)


# --- remind_reviews -----------------------------------------------------------------------------


def _defense_mails(now: datetime.datetime, days: int, today: datetime.date) -> tuple[list[PlannedMail], dict]:
    """One mail per committee member listing their defenses of the next `days` days."""
    seats = selectors.upcoming_seats(now=now, days=days)
    sent = selectors.announced(ReminderKind.DEFENSE, {seat.review_id for seat in seats})
    by_member: dict[int, PlannedMail] = {}
    counts = {"defense_seats": len(seats), "defense_already_reminded": 0}
    for seat in seats:
        review = seat.review
        key = rules.defense_key(review.scheduled_for)
        if (review.pk, seat.member_id, key) in sent:
            counts["defense_already_reminded"] += 1
            continue
        mail = by_member.setdefault(seat.member_id, PlannedMail(template="defenses", recipient=seat.member))
        reminder = Reminder(
            kind=ReminderKind.DEFENSE, object_id=review.pk, recipient=seat.member, key=key, sent_on=today
        )
        mail.entries.append(
            (
                reminder,
                {
                    "review_id": review.pk,
                    "candidate": review.candidate.name,
                    "from_level": review.from_level,
                    "to_level": review.to_level,
                    "when": review.scheduled_for,
                    "place": review.place,
                    "role": seat.get_role_display(),
                    "seat": seat.role,
                    "url": review.get_absolute_url(),
                },
            )
        )
    return list(by_member.values()), counts


def _claim_mails(now: datetime.datetime, older_than_days: int, today: datetime.date) -> tuple[list[PlannedMail], dict]:
    """One mail per team lead listing their reports' claims that have waited too long."""
    claims = selectors.overdue_claims(now=now, older_than_days=older_than_days)
    last_sent = selectors.last_claim_reminders(today)
    by_lead: dict[int, PlannedMail] = {}
    counts = {"claims_overdue": len(claims), "claims_reminded_this_week": 0, "claims_no_team_lead_to_tell": 0}
    key = rules.claim_key(today)
    for claim in claims:
        lead = claim.employee.team_lead
        if not selectors.can_be_told(lead, today):
            counts["claims_no_team_lead_to_tell"] += 1
            continue
        if not rules.claim_reminder_due(last_reminded_on=last_sent.get((claim.pk, lead.user_id)), today=today):
            counts["claims_reminded_this_week"] += 1
            continue
        mail = by_lead.setdefault(lead.user_id, PlannedMail(template="claims", recipient=lead.user))
        reminder = Reminder(
            kind=ReminderKind.CLAIM, object_id=claim.pk, recipient=lead.user, key=key, sent_on=today
        )
        mail.entries.append(
            (
                reminder,
                {
                    "claim_id": claim.pk,
                    "employee_id": claim.employee_id,
                    "name": claim.employee.name,
                    "requirement": claim.requirement,
                    "claimed_on": timezone.localdate(claim.claimed_at),
                    "days_waiting": (today - timezone.localdate(claim.claimed_at)).days,
                    "url": claim.employee.get_absolute_url(),
                },
            )
        )
    return list(by_lead.values()), counts


def _goal_mails(today: datetime.date) -> tuple[list[PlannedMail], dict]:
    """One mail per person listing growth goals past their due date and not done: to the
    person (their own goals) and to their team lead (their reports'), each goal at most once
    a week per recipient (rules.goal_reminder_due)."""
    goals = selectors.overdue_goals(today=today)
    counts = {"goals_overdue": len(goals), "goals_reminded_this_week": 0, "goals_nobody_to_tell": 0}
    if not goals:
        return [], counts
    last_sent = selectors.last_reminders(ReminderKind.GOAL, today, every_days=rules.GOAL_REMINDER_EVERY_DAYS)
    by_recipient: dict[int, PlannedMail] = {}
    key = rules.goal_key(today)
    for goal in goals:
        employee = goal.employee
        recipients = [employee] + ([employee.team_lead] if employee.team_lead_id else [])
        told = False
        for person in recipients:
            if not selectors.can_be_told(person, today):
                continue
            told = True
            if not rules.goal_reminder_due(last_reminded_on=last_sent.get((goal.pk, person.user_id)), today=today):
                counts["goals_reminded_this_week"] += 1
                continue
            mail = by_recipient.setdefault(person.user_id, PlannedMail(template="goals", recipient=person.user))
            reminder = Reminder(kind=ReminderKind.GOAL, object_id=goal.pk, recipient=person.user, key=key, sent_on=today)
            mail.entries.append(
                (
                    reminder,
                    {
                        "goal_id": goal.pk,
                        "name": employee.name,
                        "own": person.pk == employee.pk,
                        "requirement": goal.requirement,
                        "goal": goal.text,
                        "due_on": goal.due_on,
                        "days_overdue": (today - goal.due_on).days,
                        "url": employee.get_absolute_url(),
                    },
                )
            )
        if not told:
            counts["goals_nobody_to_tell"] += 1
    return list(by_recipient.values()), counts


def reviews_remind(
    *,
    now: datetime.datetime | None = None,
    days: int = 3,
    claims_older_than: int = 7,
    dry_run: bool = False,
) -> JobResult:
    """Remind committee members of their defenses in the next `days` days, team leads
    of claims waiting more than `claims_older_than` days, and people and their team
    leads of growth goals past their due date and not done.

    A defense is reminded once per review, member and scheduled moment: if it is
    moved, its members hear about the new date again. A waiting claim is mentioned
    at most once every seven days (rules.claim_reminder_due), and so is a goal past
    due (rules.goal_reminder_due). None depends on a
    window, so a missed day is caught up by the next run.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    if claims_older_than < 0:
        raise ValueError("claims_older_than cannot be negative")
    started_at = timezone.now()
    now = now or started_at
    today = timezone.localdate(now)
    with transaction.atomic():
        defense_mails, defense_counts = _defense_mails(now, days, today)
        claim_mails, claim_counts = _claim_mails(now, claims_older_than, today)
        goal_mails, goal_counts = _goal_mails(today)
        mails = defense_mails + claim_mails + goal_mails
        counts = {
            **defense_counts, **claim_counts, **goal_counts, "days": days, "claims_older_than": claims_older_than,
        }
        last_covered = JobRun.objects.covered_until(REMIND_REVIEWS)
        covered_until = max(today, last_covered) if last_covered else today
        if dry_run:
            return JobResult(REMIND_REVIEWS, True, covered_until, mails, counts)
        run, sent = _record_and_send(
            job=REMIND_REVIEWS, started_at=started_at, covered_until=covered_until, mails=mails,
            counts=counts,
        )
    return JobResult(REMIND_REVIEWS, False, covered_until, sent, run.counts, run=run)
