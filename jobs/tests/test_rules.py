"""jobs/rules.py: windows, keys and the weekly claim reminder, without a database."""

import datetime
import zoneinfo

import pytest

from jobs import rules

D = datetime.date


@pytest.mark.parametrize(
    "last_covered, today, after, days",
    [
        (None, D(2026, 3, 10), D(2026, 3, 9), 1),  # first run: today only
        (D(2026, 3, 9), D(2026, 3, 10), D(2026, 3, 9), 1),  # daily
        (D(2026, 3, 7), D(2026, 3, 10), D(2026, 3, 7), 3),  # two days missed
        (D(2026, 3, 10), D(2026, 3, 10), D(2026, 3, 10), 0),  # again the same day
        (D(2026, 3, 12), D(2026, 3, 10), D(2026, 3, 12), 0),  # a day already behind us
        (D(2026, 2, 27), D(2026, 3, 1), D(2026, 2, 27), 2),  # across a month end
    ],
)
def test_notify_window(last_covered, today, after, days):
    window = rules.notify_window(last_covered=last_covered, today=today)
    assert (window.after, window.until, window.days) == (after, today, days)
    assert window.is_empty == (days == 0)


def test_a_window_holds_the_days_after_its_start_up_to_its_end():
    window = rules.Window(after=D(2026, 3, 7), until=D(2026, 3, 10))
    assert [d.day for d in (D(2026, 3, n) for n in range(5, 13)) if d in window] == [8, 9, 10]
    assert D(2026, 3, 8) not in rules.Window(after=D(2026, 3, 10), until=D(2026, 3, 8))


@pytest.mark.parametrize(
    "last, today, due",
    [
        (None, D(2026, 3, 10), True),
        (D(2026, 3, 10), D(2026, 3, 10), False),
        (D(2026, 3, 4), D(2026, 3, 10), False),  # six days
        (D(2026, 3, 3), D(2026, 3, 10), True),  # seven days
        (D(2026, 2, 1), D(2026, 3, 10), True),
        (D(2026, 3, 12), D(2026, 3, 10), False),  # sent "later" than this run's day
    ],
)
def test_claim_reminder_due(last, today, due):
    assert rules.claim_reminder_due(last_reminded_on=last, today=today) is due


def test_defense_key_is_the_moment_whatever_the_time_zone():
    utc = datetime.datetime(2026, 3, 12, 9, 0, tzinfo=datetime.timezone.utc)
    moscow = utc.astimezone(zoneinfo.ZoneInfo("Europe/Moscow"))
    assert rules.defense_key(utc) == rules.defense_key(moscow) == "2026-03-12T09:00Z"
    assert rules.defense_key(utc + datetime.timedelta(hours=2)) != rules.defense_key(utc)
    assert rules.defense_key(utc + datetime.timedelta(days=1)) != rules.defense_key(utc)


def test_keys_fit_the_column():
    longest = datetime.datetime(9999, 12, 31, 23, 59, tzinfo=datetime.timezone.utc)
    assert len(rules.defense_key(longest)) <= 40
    assert rules.eligible_key(D(2026, 3, 10)) == rules.claim_key(D(2026, 3, 10)) == "2026-03-10"


def test_overdue_before():
    now = datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.timezone.utc)
    assert rules.overdue_before(now=now, older_than_days=7) == datetime.datetime(2026, 3, 3, 12, tzinfo=datetime.timezone.utc)
