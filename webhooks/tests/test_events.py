"""Each event the product announces reaches a subscribed receiver once, with its body and signature."""

import datetime
import time

import pytest
from django.db import transaction
from django.utils import timezone

from grades import events
from jobs import services as job_services
from jobs.tests.factories import TODAY, claim, eligible_on, team_lead
from reviews import services as review_services
from reviews.services import ReviewError
from reviews.tests.factories import decided, members, organisation, requested, scheduled
from webhooks import rules, services
from webhooks.models import Delivery, DeliveryStatus, EndpointFormat
from webhooks.tests.factories import SECRET, endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://grades.example.com"


def signed_events(receiver) -> dict[str, dict]:
    """{type: body} of what the receiver got, after checking each signature and that no type came twice."""
    bodies = {}
    now = int(time.time())
    for request in receiver.received:
        assert rules.signature_valid(SECRET, request.headers["X-Gradesys-Signature"], request.body, now=now)
        body = request.json()
        assert request.headers["X-Gradesys-Event"] == body["type"]
        assert body["type"] not in bodies, f"{body['type']} arrived twice"
        bodies[body["type"]] = body
    return bodies


def test_a_scheduled_and_decided_defense_reach_the_receiver_once_each(receiver):
    hook = endpoint(receiver.url())
    org = organisation()
    review = decided(org)

    result = services.deliveries_send()

    assert result.delivered == 2 and result.retrying == result.failed == 0
    bodies = signed_events(receiver)
    assert set(bodies) == {events.DEFENSE_SCHEDULED, events.DECISION}
    scheduled_body = bodies[events.DEFENSE_SCHEDULED]
    assert scheduled_body["data"] == {
        "review_id": review.pk, "track": "backend", "from_level": "Middle", "to_level": "Middle+",
        "scheduled_for": scheduled_body["data"]["scheduled_for"], "moved": False,
    }
    assert scheduled_body["url"] == f"https://grades.example.com/reviews/{review.pk}/"
    decision = bodies[events.DECISION]
    assert decision["data"]["outcome"] == "passed"
    assert decision["data"]["review_id"] == review.pk
    assert decision["id"] == str(events.Event(type=events.DECISION, key=f"defense.decided:{review.pk}",
                                               data={}, path="").id)
    # No names, no addresses, no notes: the chat may be read by more people than may see the review.
    everything = b" ".join(request.body for request in receiver.received).decode()
    for word in ("Dana", "Dev", "Lena", "Hanna", "@", "The committee has spoken", "Room 4"):
        assert word not in everything
    # Sent: nothing is due any more, a second run posts nothing.
    assert services.deliveries_send().attempted == 0
    assert len(receiver.received) == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert hook.deliveries.get(event_type=events.DECISION).attempt_log.get().status_code == 200


def test_a_moved_defense_is_a_new_event_and_says_so(receiver):
    endpoint(receiver.url(), kinds=[events.DEFENSE_SCHEDULED])
    org = organisation()
    review = scheduled(org)
    review_services.review_schedule(review=review, when=review.scheduled_for + datetime.timedelta(days=1),
                                    place="", members=members(org), by=org["hr"])
    services.deliveries_send()

    moved = [request.json()["data"]["moved"] for request in receiver.received]
    assert sorted(moved) == [False, True]


def at(days: int) -> datetime.datetime:
    return (timezone.localtime() + datetime.timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)


def test_the_reminder_job_announces_a_vote_needed_and_a_waiting_claim_once(receiver):
    endpoint(receiver.url())
    org = organisation()
    review = scheduled(org, when=at(2))
    waiting = claim(org["colleague"], claimed_at=timezone.now() - datetime.timedelta(days=10))
    Delivery.objects.all().delete()  # the scheduling's own event is not what this test is about

    job_services.reviews_remind()
    job_services.reviews_remind()  # a second run reminds nobody again, and announces nothing again
    services.deliveries_send()

    bodies = signed_events(receiver)
    assert set(bodies) == {events.VOTE_NEEDED, events.CLAIM_WAITING}
    vote = bodies[events.VOTE_NEEDED]["data"]
    assert vote["review_id"] == review.pk
    assert vote["seats"] == ["cto", "hr_director", "product", "team_lead"]
    assert bodies[events.CLAIM_WAITING]["data"] == {
        "claim_id": waiting.pk, "employee_id": org["colleague"].pk,
        "claimed_on": bodies[events.CLAIM_WAITING]["data"]["claimed_on"], "days_waiting": 10,
    }
    assert bodies[events.CLAIM_WAITING]["url"].endswith(f"/people/{org['colleague'].pk}/")


def test_a_dry_run_of_a_job_announces_nothing(receiver):
    endpoint(receiver.url())
    lead = team_lead()
    eligible_on(TODAY, lead=lead)

    job_services.eligible_people_notify(today=TODAY, dry_run=True)

    assert Delivery.objects.count() == 0


def test_the_eligibility_job_announces_each_person_once(receiver):
    endpoint(receiver.url())
    lead = team_lead()
    person = eligible_on(TODAY, lead=lead)

    job_services.eligible_people_notify(today=TODAY)
    job_services.eligible_people_notify(today=TODAY)
    services.deliveries_send()

    bodies = signed_events(receiver)
    assert list(bodies) == [events.ELIGIBLE]
    assert bodies[events.ELIGIBLE]["data"] == {
        "employee_id": person.pk, "next_level": "Middle+", "earliest": TODAY.isoformat(),
    }


def test_the_chat_format_posts_a_readable_sentence_and_the_link(receiver):
    endpoint(receiver.url("/slack"), format=EndpointFormat.SLACK, kinds=[events.DECISION])
    org = organisation()
    review = decided(org, values=("reject", "reject", "approve", "reject"))
    services.deliveries_send()

    [request] = receiver.received
    assert request.path == "/slack"
    assert "X-Gradesys-Signature" not in request.headers
    assert request.json() == {
        "text": f"Defense #{review.pk} (backend, Middle → Middle+) failed. "
                f"<https://grades.example.com/reviews/{review.pk}/|Open>"
    }


def test_the_chat_sentence_follows_the_site_language(receiver, settings):
    settings.LANGUAGE_CODE = "ru"
    endpoint(receiver.url(), format=EndpointFormat.SLACK, kinds=[events.DECISION])
    decided(organisation())
    services.deliveries_send()

    text = receiver.received[0].json()["text"]
    assert "Defense" not in text and "Middle → Middle+" in text


def test_a_rolled_back_write_queues_and_sends_nothing(receiver):
    endpoint(receiver.url())
    org = organisation()
    review = requested(org)

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            scheduled(org, review)
            assert Delivery.objects.count() == 1  # queued in the write's transaction…
            raise RuntimeError("the request fails after the schedule")
    assert Delivery.objects.count() == 0  # …and gone with it

    assert services.deliveries_send().attempted == 0
    assert receiver.received == []


def test_a_refused_write_queues_nothing(receiver):
    endpoint(receiver.url())
    org = organisation()
    review = requested(org)

    with pytest.raises(ReviewError):
        review_services.review_schedule(review=review, when=timezone.now() - datetime.timedelta(days=1),
                                        place="", members=members(org), by=org["hr"])

    assert Delivery.objects.count() == 0
    services.deliveries_send()
    assert receiver.received == []


def test_an_inactive_or_unsubscribed_endpoint_gets_nothing(receiver):
    subscribed = endpoint(receiver.url("/yes"), kinds=[events.DECISION])
    endpoint(receiver.url("/inactive"), active=False)
    endpoint(receiver.url("/other"), kinds=[events.ELIGIBLE, events.CLAIM_WAITING])

    decided(organisation())
    services.deliveries_send()

    assert [request.path for request in receiver.received] == ["/yes"]
    assert list(Delivery.objects.values_list("endpoint_id", flat=True)) == [subscribed.pk]


def test_an_endpoint_turned_off_after_queueing_gets_nothing_until_turned_on(receiver):
    hook = endpoint(receiver.url())
    scheduled(organisation())
    hook.is_active = False
    hook.save()

    assert services.deliveries_send().attempted == 0
    assert receiver.received == []

    hook.is_active = True
    hook.save()
    assert services.deliveries_send().delivered == 1


def test_the_same_event_announced_twice_is_queued_once(receiver):
    endpoint(receiver.url())
    event = events.Event(type=events.ELIGIBLE, key="person.eligible:7:2026-03-10",
                         data={"employee_id": 7, "next_level": "Middle+", "earliest": "2026-03-10"},
                         path="/people/7/")
    events.announce(event)
    events.announce(event)

    assert Delivery.objects.count() == 1
    services.deliveries_send()
    assert len(receiver.received) == 1


def test_the_outbox_is_part_of_the_write_a_failing_insert_undoes_the_schedule(receiver, monkeypatch):
    """Outbox and write commit together or not at all: no schedule without its event, no event without it."""
    from reviews.models import PromotionReview
    from reviews.tests.factories import db_state

    endpoint(receiver.url())
    org = organisation()
    review = requested(org)
    before = db_state()

    def refuse(**kwargs):
        raise RuntimeError("the database refused the outbox row")

    monkeypatch.setattr(services, "deliveries_queue", refuse)
    with pytest.raises(RuntimeError):
        scheduled(org, review)

    assert db_state() == before
    assert PromotionReview.objects.get(pk=review.pk).status == "requested"
    assert Delivery.objects.count() == 0
