"""send_webhooks: retries with back-off until the receiver answers, each delivery posted by one sender."""

import datetime
import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from grades import events
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus
from webhooks.tests.factories import SECRET, endpoint

pytestmark = pytest.mark.django_db


def announce(n: int = 1) -> None:
    for number in range(1, n + 1):
        events.announce(events.Event(
            type=events.ELIGIBLE, key=f"person.eligible:{number}:2026-03-10",
            data={"employee_id": number, "next_level": "Middle+", "earliest": "2026-03-10"},
            path=f"/people/{number}/",
        ))


def later(now: datetime.datetime, seconds: float) -> datetime.datetime:
    return now + datetime.timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def _retries(settings):
    settings.WEBHOOKS_RETRY_SECONDS = 60
    settings.WEBHOOKS_MAX_ATTEMPTS = 4
    settings.WEBHOOKS_TIMEOUT = 2.0


def test_a_failing_receiver_is_retried_after_the_back_off_and_gets_the_event_once_it_answers(receiver):
    endpoint(receiver.url())
    announce()
    receiver.answers = [500, 503]
    now = timezone.now()

    first = services.deliveries_send(now=now)
    delivery = Delivery.objects.get()
    assert (first.retrying, delivery.status, delivery.attempts) == (1, DeliveryStatus.PENDING, 1)
    assert delivery.next_attempt_at == later(now, 60)
    assert (delivery.last_status_code, delivery.last_error) == (500, "HTTP 500")

    # Not due yet: nothing is posted before the back-off has passed.
    assert services.deliveries_send(now=later(now, 59)).attempted == 0
    assert len(receiver.received) == 1

    second = services.deliveries_send(now=later(now, 60))
    delivery.refresh_from_db()
    assert second.retrying == 1
    assert delivery.next_attempt_at == later(now, 60 + 120)  # twice the first wait

    third = services.deliveries_send(now=later(now, 180))
    delivery.refresh_from_db()
    assert third.delivered == 1
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 3, 200)
    assert delivery.delivered_at == later(now, 180)
    assert list(delivery.attempt_log.values_list("number", "status_code", "succeeded")) == [
        (1, 500, False), (2, 503, False), (3, 200, True),
    ]
    # Every attempt carried the same delivery id, for the receiver to drop repeats; one succeeded.
    assert receiver.by_delivery() == {str(delivery.uuid): 3}
    assert services.deliveries_send(now=later(now, 10_000)).attempted == 0
    assert len(receiver.received) == 3


def test_a_receiver_that_is_down_gets_the_event_once_it_is_up(down_receiver):
    endpoint(down_receiver.url())
    announce()
    now = timezone.now()

    assert services.deliveries_send(now=now).retrying == 1
    delivery = Delivery.objects.get()
    assert delivery.last_status_code is None
    assert "refused" in delivery.last_error.lower()
    assert delivery.attempt_log.get().error == delivery.last_error

    down_receiver.start()
    assert services.deliveries_send(now=later(now, 60)).delivered == 1
    assert services.deliveries_send(now=later(now, 600)).attempted == 0
    assert len(down_receiver.received) == 1
    assert down_receiver.received[0].json()["data"]["employee_id"] == 1


def test_a_slow_receiver_times_out_and_is_retried(receiver, settings):
    settings.WEBHOOKS_TIMEOUT = 0.3
    receiver.delay = 1.5
    endpoint(receiver.url())
    announce()

    assert services.deliveries_send().retrying == 1
    assert "timed out" in Delivery.objects.get().last_error


def test_a_delivery_is_given_up_after_the_last_attempt(receiver):
    endpoint(receiver.url())
    announce()
    receiver.answers = [500] * 10
    now = timezone.now()

    for minutes in (0, 1, 3, 7):
        services.deliveries_send(now=later(now, minutes * 60))
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 4)
    assert services.deliveries_send(now=later(now, 86_400)).attempted == 0
    assert len(receiver.received) == 4


@pytest.mark.parametrize("status", [400, 404, 410])
def test_a_refusal_that_will_not_pass_fails_at_once(receiver, status):
    endpoint(receiver.url())
    announce()
    receiver.answers = [status]

    assert services.deliveries_send().failed == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.FAILED, 1, status)


def test_throttling_is_retried(receiver):
    endpoint(receiver.url())
    announce()
    receiver.answers = [429]
    assert services.deliveries_send().retrying == 1


def test_a_claimed_delivery_is_not_sent_by_another_sender(receiver):
    endpoint(receiver.url())
    announce()
    now = timezone.now()
    pk = Delivery.objects.get().pk

    assert services.delivery_claim(pk, now=now) is not None
    assert services.delivery_claim(pk, now=now) is None  # the second sender loses
    result = services.deliveries_send(now=later(now, 1))
    assert result.attempted == 0
    assert receiver.received == []


def test_a_sender_that_died_holding_a_delivery_lets_another_send_it_after_its_lease(receiver):
    endpoint(receiver.url())
    announce()
    now = timezone.now()
    pk = Delivery.objects.get().pk
    services.delivery_claim(pk, now=now)  # …and the process is killed before it posts

    assert services.deliveries_send(now=later(now, 30)).attempted == 0
    assert services.deliveries_send(now=later(now, 120)).delivered == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert list(delivery.attempt_log.values_list("number", flat=True)) == [1]  # the dead one left no record
    assert len(receiver.received) == 1


def test_a_late_sender_whose_claim_was_taken_over_records_nothing(receiver):
    endpoint(receiver.url())
    announce()
    now = timezone.now()
    pk = Delivery.objects.get().pk
    stale = services.delivery_claim(pk, now=now)
    services.deliveries_send(now=later(now, 120))  # another sender takes it over and delivers

    delivery = Delivery.objects.get()
    outcome = services.Outcome(500, "HTTP 500", 5)
    assert services._record(delivery, stale, outcome, started_at=now, now=later(now, 121)) == "lost"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert DeliveryAttempt.objects.count() == 1


def test_the_limit_leaves_the_rest_for_the_next_run(receiver):
    endpoint(receiver.url())
    announce(3)

    assert services.deliveries_send(limit=2).delivered == 2
    assert services.deliveries_send(limit=2).delivered == 1
    assert sorted(receiver.by_delivery().values()) == [1, 1, 1]


def test_failures_are_logged_without_the_address_or_the_secret(receiver, caplog):
    hook = endpoint(receiver.url("/services/T000/B000/tokenthatmustnotleak"))
    announce()
    receiver.answers = [500]

    with caplog.at_level(logging.DEBUG):
        services.deliveries_send()

    assert caplog.records, "the failure is logged"
    text = caplog.text + Delivery.objects.get().last_error
    assert "tokenthatmustnotleak" not in text and SECRET not in text and hook.url not in text
    assert str(Delivery.objects.get().uuid) in caplog.text


def test_the_command_sends_and_prints_the_totals(receiver):
    endpoint(receiver.url())
    announce(2)
    out = StringIO()

    call_command("send_webhooks", stdout=out)

    assert out.getvalue().strip() == "Delivered 2, to retry 0, failed 0, taken by another run 0."
    assert len(receiver.received) == 2


@pytest.mark.parametrize("limit", ["0", "10001", "-5"])
def test_the_command_refuses_a_limit_out_of_range_and_sends_nothing(receiver, limit):
    endpoint(receiver.url())
    announce()

    with pytest.raises(CommandError, match="--limit must be a number from 1 to 10000"):
        call_command("send_webhooks", "--limit", limit, stdout=StringIO())
    assert receiver.received == []
    assert Delivery.objects.get().attempts == 0


def test_failed_deliveries_are_sent_again_on_request_under_the_same_id(receiver):
    hook = endpoint(receiver.url())
    off = endpoint(receiver.url("/off"), name="off")
    announce(2)
    receiver.answers = [404] * 4
    assert services.deliveries_send().failed == 4
    off.is_active = False
    off.save()
    out = StringIO()

    call_command("send_webhooks", "--retry-failed", stdout=out)

    assert out.getvalue().splitlines() == [
        "Failed deliveries queued again: 2.",
        "Delivered 2, to retry 0, failed 0, taken by another run 0.",
    ]
    # Only the active endpoint's; the receiver can tell a repeat by its delivery id.
    assert sorted(receiver.by_delivery().values()) == [1, 1, 2, 2]
    assert set(off.deliveries.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    for delivery in hook.deliveries.all():
        assert delivery.status == DeliveryStatus.DELIVERED
        assert list(delivery.attempt_log.values_list("number", "status_code")) == [(1, 404), (2, 200)]
    # Nothing failed is left: asking again queues nothing.
    assert services.deliveries_retry_failed() == 0
