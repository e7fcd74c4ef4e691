"""Two runs of a job at the same moment (a cron overlap, a second server) send each reminder once.

Both runs are held until both have planned the same mail from the same data, the worst
case; then both insert their reminders. The unique constraint lets one run's rows in and
ignores the other's, and only the run that inserted a reminder mails it.
On MariaDB/MySQL only: there each thread has its own connection to a shared database.
"""

import datetime
import threading

import pytest
from django.core import mail
from django.utils import timezone

from grades.tests.threads import in_threads
from jobs import services
from jobs.models import JobRun, Reminder
from jobs.tests.factories import TODAY, claim, eligible_on, team_lead
from reviews.tests.factories import organisation, scheduled

pytestmark = [pytest.mark.mysql_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TIMEOUT = 30


def race(monkeypatch, call):
    """Run `call` in two threads that both plan before either records; [result or exception]."""
    barrier = threading.Barrier(2)
    record = services._record_and_send

    def record_after_both_planned(**kwargs):
        barrier.wait(timeout=TIMEOUT)
        return record(**kwargs)

    monkeypatch.setattr(services, "_record_and_send", record_after_both_planned)
    results = in_threads(call, call, timeout=TIMEOUT * 2)
    assert not [r for r in results if isinstance(r, Exception)], results
    return results


@pytest.mark.parametrize("round_", range(3))
def test_two_concurrent_notify_runs_announce_each_person_once(round_, monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    leads = [team_lead(f"lead{n}-{round_}") for n in range(2)]
    people = [eligible_on(TODAY, lead=leads[n % 2]) for n in range(4)]

    results = race(monkeypatch, lambda: services.eligible_people_notify(today=TODAY))

    assert sorted(len(result.mails) for result in results) == [0, 2]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(lead.user.email for lead in leads)
    assert sorted(Reminder.objects.values_list("object_id", flat=True)) == sorted(p.pk for p in people)
    assert JobRun.objects.count() == 2


def test_two_concurrent_reminder_runs_send_each_reminder_once(monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    org = organisation()
    scheduled(org, when=timezone.now() + datetime.timedelta(days=2))
    claim(org["colleague"], claimed_at=timezone.now() - datetime.timedelta(days=10))
    mail.outbox = []  # scheduling mailed the committee when it committed

    results = race(monkeypatch, lambda: services.reviews_remind())

    assert sorted(len(result.mails) for result in results) == [0, 5]
    assert len(mail.outbox) == 5
    assert Reminder.objects.count() == 5
