"""The chat format's sentence for every event type, from the data the event carries."""

import pytest
from django.utils import translation

from grades import events
from webhooks import messages

DATA = {
    events.DEFENSE_SCHEDULED: {"review_id": 4, "track": "backend", "from_level": "Middle", "to_level": "Middle+",
                               "scheduled_for": "2026-03-10T10:00:00Z", "moved": False},
    events.VOTE_NEEDED: {"review_id": 4, "from_level": "Middle", "to_level": "Middle+",
                         "scheduled_for": "2026-03-10T10:00:00Z", "seats": ["cto", "hr_director", "product", "team_lead"]},
    events.DECISION: {"review_id": 4, "track": "backend", "from_level": "Middle", "to_level": "Middle+",
                      "outcome": "passed", "decided_at": "2026-03-11T09:00:00Z"},
    events.ELIGIBLE: {"employee_id": 9, "next_level": "Senior", "earliest": "2026-03-10"},
    events.CLAIM_WAITING: {"claim_id": 31, "employee_id": 9, "claimed_on": "2026-02-20", "days_waiting": 18},
}


@pytest.fixture(autouse=True)
def _utc(settings):
    settings.TIME_ZONE = "UTC"
    settings.LANGUAGE_CODE = "en"


@pytest.mark.parametrize("event_type, expected", [
    (events.DEFENSE_SCHEDULED, "Defense #4 (backend, Middle → Middle+) is scheduled for March 10, 2026, 10:00 UTC."),
    (events.VOTE_NEEDED, "Defense #4 (Middle → Middle+) takes place on March 10, 2026, 10:00 UTC: 4 committee seat(s) will vote."),
    (events.DECISION, "Defense #4 (backend, Middle → Middle+) passed."),
    (events.ELIGIBLE, "Person #9 may defend Senior from March 10, 2026."),
    (events.CLAIM_WAITING, "Claim #31 of person #9 has waited 18 day(s) for the team lead's decision."),
])
def test_each_event_reads_as_a_sentence(event_type, expected):
    with translation.override("en"):
        assert messages.sentence(event_type, DATA[event_type]) == expected


def test_times_are_shown_in_the_sites_time_zone(settings):
    settings.TIME_ZONE = "Europe/Moscow"
    with translation.override("en"):
        text = messages.sentence(events.DECISION, DATA[events.DECISION])
        scheduled = messages.sentence(events.DEFENSE_SCHEDULED, DATA[events.DEFENSE_SCHEDULED])
    assert text.endswith("passed.")
    assert "March 10, 2026, 13:00 MSK" in scheduled


def test_a_moved_defense_says_so():
    with translation.override("en"):
        text = messages.sentence(events.DEFENSE_SCHEDULED, {**DATA[events.DEFENSE_SCHEDULED], "moved": True})
    assert text.startswith("Defense #4 (backend, Middle → Middle+) was moved to ")


@pytest.mark.parametrize("event_type", list(events.TYPES))
def test_each_sentence_is_in_russian_with_the_site_language(settings, event_type):
    settings.LANGUAGE_CODE = "ru"
    with translation.override("en"):
        english = messages.sentence(event_type, DATA[event_type])
    text = messages.chat_text({"type": event_type, "data": DATA[event_type], "url": "https://x.example/p/"})
    assert english not in text
    assert text.endswith("<https://x.example/p/|Открыть>")


def test_markup_in_the_data_is_escaped_for_the_chat():
    data = {**DATA[events.ELIGIBLE], "next_level": "<!channel> & co"}
    text = messages.chat_text({"type": events.ELIGIBLE, "data": data, "url": ""})
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; co" in text
