"""remind_reviews: defenses coming up to their committee, waiting claims to team leads, each once."""

import datetime
import logging

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grades.models import Employee
from grades.tests.factories import hire
from jobs import rules, services
from jobs.models import JobRun, Reminder, ReminderKind
from jobs.tests.factories import claim, mails_to, output, run, team_lead, written
from reviews import services as review_services
from reviews.tests.factories import members, organisation, requested, scheduled

pytestmark = pytest.mark.django_db


def at(days: float, hour: int = 10) -> datetime.datetime:
    """A moment `days` days from now at a round hour (so a +2 days defense stays within 3 days)."""
    moment = timezone.localtime() + datetime.timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0) if days >= 1 else moment


def ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def remind(capture, *args: str) -> str:
    return run(capture, "remind_reviews", *args)


def remind_at(capture, now: datetime.datetime, **kwargs):
    """The job as cron would run it at `now` (the command always runs at the real now)."""
    with capture(execute=True):
        return services.reviews_remind(now=now, **kwargs)


@pytest.fixture
def org():
    return organisation()


@pytest.fixture
def committee(org):
    return list(members(org).values())


# --- Defenses ---------------------------------------------------------------------------------------


def test_dry_run_lists_the_reminders_and_writes_and_sends_nothing(
    org, committee, mailoutbox, django_capture_on_commit_callbacks
):
    review = scheduled(org, when=at(2))
    waiting = claim(org["colleague"], claimed_at=ago(10))
    before = written()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        out = output("remind_reviews", "--dry-run")

    assert "Dry run" in out
    for user in committee:
        assert f"Would mail {user.username} (1 defense(s)):" in out
    assert out.count(f"review #{review.pk} at ") == 4
    assert "Would mail lead (1 claim(s)):" in out
    assert f"claim #{waiting.pk} by {org['colleague'].name}, 10 days waiting" in out
    assert "Would send 5 mail(s): 4 defense(s), 1 claim(s), 0 goal(s)." in out
    assert written() == before == ([], [])
    assert callbacks == [] and mailoutbox == []


def test_committee_members_are_reminded_of_a_defense_in_two_days_once(
    org, committee, mailoutbox, django_capture_on_commit_callbacks
):
    review = scheduled(org, when=at(2))
    dev = org["dev"]

    out = remind(django_capture_on_commit_callbacks)

    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in committee)
    message = mails_to(mailoutbox, org["cto"])[0]
    assert message.subject == "Reminder: 1 defense coming up"
    when = timezone.localtime(review.scheduled_for)
    assert f"- {when:%Y-%m-%d %H:%M} UTC, Room 4: {dev.name}, Middle → Middle+ (CTO)" in message.body
    assert f"/reviews/{review.pk}/" in message.body
    assert "(Team lead)" in mails_to(mailoutbox, org["lead"].user)[0].body
    assert set(Reminder.objects.values_list("kind", "object_id", "recipient_id", "key")) == {
        (ReminderKind.DEFENSE, review.pk, user.pk, rules.defense_key(review.scheduled_for)) for user in committee
    }
    assert "Sent 4 mail(s): 4 defense(s), 0 claim(s), 0 goal(s)." in out

    remind(django_capture_on_commit_callbacks)
    remind(django_capture_on_commit_callbacks, "--days", "5")

    assert len(mailoutbox) == 4
    assert Reminder.objects.count() == 4
    assert JobRun.objects.count() == 3


def test_a_defense_beyond_the_window_waits_until_it_is_within_it(org, mailoutbox, django_capture_on_commit_callbacks):
    scheduled(org, when=at(5))

    remind(django_capture_on_commit_callbacks)
    assert mailoutbox == [] and Reminder.objects.count() == 0

    remind(django_capture_on_commit_callbacks, "--days", "6")
    assert len(mailoutbox) == 4


def test_a_moved_defense_is_reminded_again_once(org, committee, mailoutbox, django_capture_on_commit_callbacks):
    review = scheduled(org, when=at(2))
    remind(django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 4

    moved_to = at(1, hour=15)
    review_services.review_schedule(review=review, when=moved_to, place="Room 5", members=members(org), by=org["hr"])
    remind(django_capture_on_commit_callbacks)
    remind(django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 8
    for user in committee:
        first, second = mails_to(mailoutbox, user)
        assert f"{moved_to:%Y-%m-%d} 15:00 UTC, Room 5" in second.body
        assert "Room 5" not in first.body
    keys = set(Reminder.objects.filter(kind=ReminderKind.DEFENSE).values_list("key", flat=True))
    assert keys == {rules.defense_key(at(2)), rules.defense_key(moved_to)}


def test_withdrawn_and_past_defenses_are_not_reminded(org, mailoutbox, django_capture_on_commit_callbacks):
    review = scheduled(org, when=at(2))
    review_services.review_withdraw(review=review, by=org["hr"], reason="Postponed to next quarter")
    other = scheduled(org, requested(org, candidate=org["other_dev"]), when=at(1))

    # An hour after the other defense began.
    remind_at(django_capture_on_commit_callbacks, other.scheduled_for + datetime.timedelta(hours=1))

    assert mailoutbox == []
    assert Reminder.objects.count() == 0


# --- Claims -----------------------------------------------------------------------------------------


def test_claims_waiting_longer_than_the_threshold_are_sent_to_the_team_lead(
    org, mailoutbox, django_capture_on_commit_callbacks
):
    colleague, lead = org["colleague"], org["lead"]
    old = claim(colleague, claimed_at=ago(10))
    young = claim(colleague, claimed_at=ago(3))
    decided_long_ago = claim(colleague, claimed_at=ago(30), confirmed=True, decided_at=ago(20))
    other_team = claim(org["other_dev"], claimed_at=ago(8))

    out = remind(django_capture_on_commit_callbacks)

    to_lead = mails_to(mailoutbox, lead.user)
    assert len(to_lead) == 1 and len(mailoutbox) == 2
    body = to_lead[0].body
    assert to_lead[0].subject == "1 claim is waiting for your decision"
    assert f"- {colleague.name}: {old.requirement}" in body
    assert f"claimed on {timezone.localdate(old.claimed_at):%Y-%m-%d}, 10 days ago — /people/{colleague.pk}/" in body
    assert str(young.requirement) not in body and str(decided_long_ago.requirement) not in body
    assert str(other_team.requirement) in mails_to(mailoutbox, org["other_lead"].user)[0].body
    assert set(Reminder.objects.values_list("kind", "object_id", "recipient_id")) == {
        (ReminderKind.CLAIM, old.pk, lead.user_id),
        (ReminderKind.CLAIM, other_team.pk, org["other_lead"].user_id),
    }
    assert "Sent 2 mail(s): 0 defense(s), 2 claim(s), 0 goal(s)." in out

    remind(django_capture_on_commit_callbacks, "--claims-older-than", "2")
    [_first, second] = mails_to(mailoutbox, lead.user)
    assert str(young.requirement) in second.body and str(old.requirement) not in second.body


def test_a_waiting_claim_is_mentioned_at_most_once_a_week(org, mailoutbox, django_capture_on_commit_callbacks):
    waiting = claim(org["colleague"], claimed_at=ago(10))
    now = timezone.now()

    sent_on = []
    for day in range(0, 23):
        before = len(mailoutbox)
        remind_at(django_capture_on_commit_callbacks, now + datetime.timedelta(days=day))
        if len(mailoutbox) > before:
            sent_on.append(day)

    assert sent_on == [0, 7, 14, 21]
    assert Reminder.objects.filter(object_id=waiting.pk).count() == 4


def test_a_missed_day_delays_the_weekly_claim_reminder_instead_of_doubling_it(
    org, mailoutbox, django_capture_on_commit_callbacks
):
    claim(org["colleague"], claimed_at=ago(10))
    now = timezone.now()

    sent_on = []
    for day in [0, 1, 2, 8, 9, 14, 15, 16]:  # cron was down on days 3 to 7
        before = len(mailoutbox)
        remind_at(django_capture_on_commit_callbacks, now + datetime.timedelta(days=day))
        if len(mailoutbox) > before:
            sent_on.append(day)

    assert sent_on == [0, 8, 15]


def test_claims_of_people_who_left_or_of_a_lead_who_left_are_not_sent(
    org, mailoutbox, django_capture_on_commit_callbacks
):
    claim(org["colleague"], claimed_at=ago(10))
    Employee.objects.filter(pk=org["colleague"].pk).update(left_on=timezone.localdate() - datetime.timedelta(days=1))
    gone = team_lead("gone")
    report = hire(level_code="middle", team_lead=gone)
    claim(report, claimed_at=ago(10))
    Employee.objects.filter(pk=gone.pk).update(left_on=timezone.localdate())

    remind(django_capture_on_commit_callbacks)

    assert mailoutbox == []
    assert Reminder.objects.count() == 0
    counts = JobRun.objects.get().counts
    assert counts["claims_overdue"] == 1 and counts["claims_no_team_lead_to_tell"] == 1


# --- Bad paths ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["--days", "0"], "--days must be a number of days from 1 to 366"),
        (["--days", "-3"], "--days must be"),
        (["--claims-older-than", "-1"], "--claims-older-than must be"),
    ],
)
def test_bad_arguments_are_refused_without_writing(org, args, message, mailoutbox):
    scheduled(org, when=at(2))
    with pytest.raises(CommandError, match=message):
        call_command("remind_reviews", *args)
    assert written() == ([], [])
    assert mailoutbox == []


def test_a_failing_address_is_logged_without_personal_data_and_the_others_still_get_their_mail(
    org, committee, mailoutbox, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from jobs import notifications

    class RefusedForCto(notifications.EmailMessage):
        def send(self, fail_silently=False):
            if self.to == [org["cto"].email]:
                raise ConnectionRefusedError("mailbox unavailable")
            return super().send(fail_silently)

    monkeypatch.setattr(notifications, "EmailMessage", RefusedForCto)
    review = scheduled(org, when=at(2))

    with caplog.at_level(logging.ERROR, logger="jobs.notifications"):
        remind(django_capture_on_commit_callbacks)

    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in committee if u != org["cto"])
    [record] = caplog.records
    cto_reminder = Reminder.objects.get(recipient=org["cto"])
    assert record.getMessage() == f"remind_reviews: could not send a defenses mail (reminders [{cto_reminder.pk}])"
    logged = caplog.text
    for secret in (org["cto"].email, org["cto"].username, org["cto"].last_name, review.candidate.name):
        assert secret not in logged
    # Recorded all the same: at most once, never twice.
    assert Reminder.objects.count() == 4


# --- Cost ---------------------------------------------------------------------------------------------


def test_the_query_count_does_not_grow_with_the_number_of_claims_and_defenses(
    org, mailoutbox, django_capture_on_commit_callbacks
):
    leads = [team_lead(f"lead{n}") for n in range(3)]
    people = [hire(level_code="middle", team_lead=leads[n % 3]) for n in range(30)]
    for person in people[:5]:
        claim(person, claimed_at=ago(10))
    scheduled(org, when=at(2))
    now = timezone.now()

    with CaptureQueriesContext(connection) as few:
        remind_at(django_capture_on_commit_callbacks, now)
    assert len(mailoutbox) == 4 + 3

    for person in people[5:]:
        claim(person, claimed_at=ago(10))
    in_a_week = now + datetime.timedelta(days=7)
    scheduled(org, requested(org, candidate=org["other_dev"]), when=in_a_week + datetime.timedelta(days=1))
    scheduled(org, requested(org, candidate=org["colleague"]), when=in_a_week + datetime.timedelta(days=2))

    with CaptureQueriesContext(connection) as many:
        remind_at(django_capture_on_commit_callbacks, in_a_week)
    assert Reminder.objects.filter(kind=ReminderKind.CLAIM, sent_on=timezone.localdate(in_a_week)).count() == 30
    assert Reminder.objects.filter(kind=ReminderKind.DEFENSE).count() == 12

    # Savepoint; seats of coming defenses, their reminders; waiting claims, last week's
    # claim reminders; growth goals past due (none: their reminders are not read); last
    # covered day; the run, the reminders' insert, their read-back, the run's update; the
    # webhook endpoints, read once for the run's events (no endpoint: no insert); release.
    assert len(few) == len(many) == 13, [q["sql"] for q in many.captured_queries]
