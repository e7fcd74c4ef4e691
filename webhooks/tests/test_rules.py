"""The signature a receiver checks, the back-off, and which answers are retried: no database."""

import datetime

import pytest

from grades import events
from webhooks import rules

SECRET = "a-secret-of-enough-length"
BODY = b'{"id":"x","type":"defense.decided"}'


def test_a_signature_checks_with_the_same_secret_and_body():
    header = rules.signature(SECRET, 1_767_000_000, BODY)
    assert header.startswith("t=1767000000,v1=")
    assert rules.signature_valid(SECRET, header, BODY, now=1_767_000_010)


@pytest.mark.parametrize("secret, body, now", [
    ("another-secret-of-length", BODY, 1_767_000_010),  # wrong secret
    (SECRET, BODY + b" ", 1_767_000_010),               # body changed on the way
    (SECRET, BODY, 1_767_000_000 + 301),                # replayed too late
])
def test_a_signature_fails_with_another_secret_body_or_an_old_timestamp(secret, body, now):
    header = rules.signature(SECRET, 1_767_000_000, BODY)
    assert not rules.signature_valid(secret, header, body, now=now)


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", "v1=00", "t=1767000000", "nonsense"])
def test_a_malformed_signature_header_is_refused(header):
    assert not rules.signature_valid(SECRET, header, BODY, now=1_767_000_000)


def test_the_wait_doubles_after_each_failure_up_to_six_hours():
    waits = [rules.next_attempt_delay(n, base_seconds=60).total_seconds() for n in range(1, 11)]
    assert waits[:5] == [60, 120, 240, 480, 960]
    assert waits[-1] == 6 * 3600
    assert rules.next_attempt_delay(100, base_seconds=60) == datetime.timedelta(hours=6)
    with pytest.raises(ValueError):
        rules.next_attempt_delay(0, base_seconds=60)


@pytest.mark.parametrize("status, retried", [
    (None, True), (408, True), (429, True), (500, True), (503, True),
    (301, False), (400, False), (401, False), (404, False), (410, False),
])
def test_what_is_retried(status, retried):
    assert rules.retryable(status) is retried


def test_an_event_key_names_its_type_and_gives_a_stable_id():
    first = events.Event(type=events.DECISION, key="defense.decided:3", data={}, path="/reviews/3/")
    again = events.Event(type=events.DECISION, key="defense.decided:3", data={"x": 1}, path="")
    assert first.id == again.id
    assert first.id != events.Event(type=events.DECISION, key="defense.decided:4", data={}, path="").id
    with pytest.raises(ValueError):
        events.Event(type="defense.unknown", key="defense.unknown:1", data={}, path="")
    with pytest.raises(ValueError):
        events.Event(type=events.DECISION, key="defense.scheduled:3", data={}, path="")
