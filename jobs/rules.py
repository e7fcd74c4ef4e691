"""
Pure decisions of the scheduled jobs: which days a run covers, when a reminder is due
and what makes two reminders "the same". No database access.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

# A claim waiting for its team lead is mentioned again at most this often.
CLAIM_REMINDER_EVERY_DAYS = 7
# So is a growth goal past its due date, to the person and their team lead.
GOAL_REMINDER_EVERY_DAYS = 7


@dataclass(frozen=True)
class Window:
    """The days a run handles: after < day <= until."""

    after: datetime.date
    until: datetime.date

    def __contains__(self, day: datetime.date) -> bool:
        return self.after < day <= self.until

    @property
    def is_empty(self) -> bool:
        return self.until <= self.after

    @property
    def days(self) -> int:
        return max((self.until - self.after).days, 0)


def notify_window(*, last_covered: datetime.date | None, today: datetime.date) -> Window:
    """The days whose newly eligible people a run announces.

    Everything after the last day a previous run covered, up to and including today:
    a missed day is caught up, a day already covered is not repeated. The first run
    ever behaves as if yesterday had been covered, so it announces today only, rather
    than everyone who became eligible in the company's history.
    """
    if last_covered is None:
        last_covered = today - datetime.timedelta(days=1)
    return Window(after=last_covered, until=today)


def eligible_key(earliest: datetime.date) -> str:
    """A person becomes eligible again only with a new earliest date (after a promotion or failure)."""
    return earliest.isoformat()


def defense_key(scheduled_for: datetime.datetime) -> str:
    """One reminder per review, member and moment: moving a defense (day or hour) makes a new one."""
    return scheduled_for.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def claim_key(today: datetime.date) -> str:
    return today.isoformat()


def overdue_before(*, now: datetime.datetime, older_than_days: int) -> datetime.datetime:
    """Claims made before this moment have waited more than `older_than_days` days."""
    return now - datetime.timedelta(days=older_than_days)


def claim_reminder_due(
    *, last_reminded_on: datetime.date | None, today: datetime.date
) -> bool:
    """An overdue claim is mentioned again once its last reminder is a week old (or never sent).

    With a daily cron this is every seventh day; a missed day delays the next reminder
    by that day rather than sending two close together.
    """
    if last_reminded_on is None:
        return True
    return (today - last_reminded_on).days >= CLAIM_REMINDER_EVERY_DAYS


def goal_key(today: datetime.date) -> str:
    return today.isoformat()


def goal_reminder_due(*, last_reminded_on: datetime.date | None, today: datetime.date) -> bool:
    """A goal past due is mentioned again once its last reminder is a week old (or never sent),
    as a waiting claim is (claim_reminder_due)."""
    if last_reminded_on is None:
        return True
    return (today - last_reminded_on).days >= GOAL_REMINDER_EVERY_DAYS
