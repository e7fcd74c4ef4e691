"""Test data for the scheduled jobs: people who become eligible on a chosen day, waiting claims,
and a way to run a command the way cron does (the transaction commits, then the mail goes)."""

from __future__ import annotations

import datetime
from io import StringIO

from django.core.management import call_command

from grades import rules as grade_rules
from grades.models import Level, Requirement
from grades.tests.factories import EvidenceFactory, UserFactory, hire
from jobs.models import JobRun, Reminder

# A fixed day in the past: every notify_eligible test names its days, and --today may not be
# later than the real today. All days the tests use are before the 29th, so that "6 months
# before" always exists.
TODAY = datetime.date(2026, 3, 10)


def days_before(n: int, day: datetime.date = TODAY) -> datetime.date:
    return day - datetime.timedelta(days=n)


def team_lead(username: str | None = None, **kwargs):
    """A Senior team lead hired long ago, with no lead of their own."""
    user = UserFactory(roles=["Developer", "Team lead"], **({"username": username} if username else {}), **kwargs)
    return hire(level_code="senior", hire_date=datetime.date(2018, 1, 1), user=user)


def eligible_on(day: datetime.date, *, lead, level_code: str = "middle", **kwargs):
    """A report of `lead` whose earliest defense of the next level is exactly `day`."""
    level = Level.objects.get(code=level_code)
    months = Level.objects.get(rank=level.rank + 1).min_months_in_previous
    hire_date = grade_rules.add_months(day, -months)
    person = hire(level_code=level_code, hire_date=hire_date, team_lead=lead, **kwargs)
    # The helper is only useful if the rule agrees; a day with no such hire date would fail here.
    assert grade_rules.earliest_defense_date(
        last_change=hire_date, probation_end=None, min_months=months
    ) == day
    return person


def claim(employee, *, claimed_at: datetime.datetime, requirement=None, **kwargs):
    """A claim waiting for the team lead (status claimed) made at `claimed_at`."""
    requirement = requirement or (
        Requirement.objects.filter(track=employee.track, check_kind="")
        .exclude(evidence__employee=employee)
        .order_by("id")
        .first()
    )
    return EvidenceFactory(employee=employee, requirement=requirement, claimed_at=claimed_at, **kwargs)


def run(capture, name: str, *args: str) -> str:
    """Run a command and the mail it queues after commit, as a real run would; its output."""
    out = StringIO()
    with capture(execute=True):
        call_command(name, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def output(name: str, *args: str) -> str:
    """Run a command without executing on-commit callbacks; its output."""
    out = StringIO()
    call_command(name, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def written():
    """Every row the jobs write: compare before and after a run that must write nothing."""
    return (
        list(JobRun.objects.order_by("id").values()),
        list(Reminder.objects.order_by("id").values()),
    )


def mails_to(outbox, user) -> list:
    return [message for message in outbox if message.to == [user.email]]
