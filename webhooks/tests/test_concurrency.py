"""Two senders at the same moment (a cron overlap, a second server) post each delivery once.

Both are held until both have read the same list of due deliveries, the worst case; then
both try to claim and send every one. The receiver counts the posts per delivery id.
The threaded race runs on MariaDB/MySQL, where each thread has its own connection to a
shared database and the claim's UPDATE waits for the other's row lock, then finds the row
taken (SQLite's in-memory test database refuses a second writer at once instead of letting
it wait, as the file database does). The same interleaving, played out in one thread, runs
on every database.
"""

import threading

import pytest

from grades import events
from grades.tests.threads import in_threads
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus
from webhooks.tests.factories import endpoint


TIMEOUT = 30


def race(monkeypatch, call):
    """Run `call` in two threads that both read the due list before either claims."""
    barrier = threading.Barrier(2)
    due = services._due

    def due_when_both_have_read(now, limit):
        ids = due(now, limit)
        barrier.wait(timeout=TIMEOUT)
        return ids

    monkeypatch.setattr(services, "_due", due_when_both_have_read)
    results = in_threads(call, call, timeout=TIMEOUT * 2)
    assert not [r for r in results if isinstance(r, Exception)], results
    return results


def announce(n: int) -> None:
    for number in range(n):
        events.announce(events.Event(
            type=events.ELIGIBLE, key=f"person.eligible:{number}:2026-03-10",
            data={"employee_id": number, "next_level": "Middle+", "earliest": "2026-03-10"},
            path=f"/people/{number}/",
        ))


@pytest.mark.django_db
def test_a_sender_that_read_the_same_due_list_finds_each_delivery_taken(receiver, monkeypatch):
    """Sender A reads the due list; sender B then reads the same list and sends everything;
    A goes on with its list and sends nothing."""
    endpoint(receiver.url())
    announce(3)
    due = services._due
    other = {}

    def due_then_the_other_sender_runs(now, limit):
        ids = due(now, limit)
        monkeypatch.setattr(services, "_due", due)
        other["result"] = services.deliveries_send()
        return ids

    monkeypatch.setattr(services, "_due", due_then_the_other_sender_runs)
    first = services.deliveries_send()

    assert (other["result"].delivered, first.delivered, first.taken_by_another) == (3, 0, 3)
    assert sorted(receiver.by_delivery().values()) == [1, 1, 1]
    assert DeliveryAttempt.objects.count() == 3


@pytest.mark.mysql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_senders_at_once_post_each_delivery_once(receiver, monkeypatch, round_):
    endpoint(receiver.url("/a"), name="a")
    endpoint(receiver.url("/b"), name="b")
    announce(6)
    assert Delivery.objects.count() == 12

    results = race(monkeypatch, lambda: services.deliveries_send())

    assert sum(result.delivered for result in results) == 12
    assert sum(result.taken_by_another for result in results) == 12
    assert sorted(receiver.by_delivery().values()) == [1] * 12
    assert set(receiver.by_delivery()) == {str(delivery.uuid) for delivery in Delivery.objects.all()}
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert DeliveryAttempt.objects.count() == 12


@pytest.mark.mysql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_overlapping_job_runs_queue_each_event_once(receiver, monkeypatch, round_):
    """The producers serialise the same event themselves: of two runs that planned the same
    people, the second waits on the reminders' unique index, finds them taken and announces
    nothing, so the outbox never sees the same event from two transactions at once."""
    from jobs import services as job_services
    from jobs.tests.factories import TODAY, eligible_on, team_lead

    endpoint(receiver.url())
    leads = [team_lead(f"hooklead{n}-{round_}") for n in range(2)]
    people = [eligible_on(TODAY, lead=leads[n % 2]) for n in range(4)]
    barrier = threading.Barrier(2)
    record = job_services._record_and_send

    def record_after_both_planned(**kwargs):
        barrier.wait(timeout=TIMEOUT)
        return record(**kwargs)

    monkeypatch.setattr(job_services, "_record_and_send", record_after_both_planned)
    results = in_threads(*[lambda: job_services.eligible_people_notify(today=TODAY)] * 2, timeout=TIMEOUT * 2)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert sorted(d.payload["data"]["employee_id"] for d in Delivery.objects.all()) == sorted(p.pk for p in people)
    services.deliveries_send()
    assert sorted(receiver.by_delivery().values()) == [1] * 4
