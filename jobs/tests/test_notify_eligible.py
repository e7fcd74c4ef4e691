"""notify_eligible: who is announced to whom, once, with missed days caught up."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grades import rules as grade_rules
from grades.models import Employee
from grades.selectors import employee_progress
from grades.tests.factories import hire
from jobs import services
from jobs.models import JobRun, Reminder, ReminderKind
from jobs.tests.factories import TODAY, days_before, eligible_on, mails_to, output, run, team_lead, written
from reviews import services as review_services
from reviews.tests.factories import decided, organisation

pytestmark = pytest.mark.django_db


def notify(capture, day: datetime.date, *extra: str) -> str:
    return run(capture, "notify_eligible", "--today", day.isoformat(), *extra)


@pytest.fixture
def lead():
    return team_lead("lena", first_name="Lena", last_name="Lead")


def test_dry_run_prints_the_plan_and_writes_and_sends_nothing(lead, mailoutbox, django_capture_on_commit_callbacks):
    person = eligible_on(TODAY, lead=lead)
    before = written()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        out = output("notify_eligible", "--dry-run", "--today", TODAY.isoformat())

    assert "Dry run" in out
    assert "Would mail lena (1 person(s))" in out
    assert f"{person.name} (#{person.pk}): Middle+ from 2026-03-10, /people/{person.pk}/" in out
    assert written() == before == ([], [])
    assert callbacks == []
    assert mailoutbox == []

    # The dry run did not cover the day: the real run that follows still announces the person.
    notify(django_capture_on_commit_callbacks, TODAY)
    assert len(mails_to(mailoutbox, lead.user)) == 1


def test_a_run_mails_each_team_lead_their_newly_eligible_reports(
    lead, mailoutbox, django_capture_on_commit_callbacks
):
    dana = eligible_on(TODAY, lead=lead)
    dima = eligible_on(TODAY, lead=lead, level_code="junior-plus")
    other_lead = team_lead("olga")
    oleg = eligible_on(TODAY, lead=other_lead)
    not_yet = eligible_on(TODAY + datetime.timedelta(days=1), lead=lead)

    out = notify(django_capture_on_commit_callbacks, TODAY)

    assert sorted(m.to[0] for m in mailoutbox) == sorted([lead.user.email, other_lead.user.email])
    [to_lead] = mails_to(mailoutbox, lead.user)
    assert to_lead.subject == "2 of your reports can now defend the next level"
    assert f"- {dana.name}: Middle+, from 2026-03-10\n  /people/{dana.pk}/" in to_lead.body
    assert f"- {dima.name}: Junior++, from 2026-03-10\n  /people/{dima.pk}/" in to_lead.body
    assert oleg.name not in to_lead.body and not_yet.name not in to_lead.body
    [to_other] = mails_to(mailoutbox, other_lead.user)
    assert oleg.name in to_other.body and dana.name not in to_other.body

    run_ = JobRun.objects.get()
    assert run_.job == "notify_eligible" and run_.covered_until == TODAY and run_.finished_at
    assert run_.counts["mails"] == 2 and run_.counts["reminders"] == 3
    assert set(Reminder.objects.values_list("kind", "object_id", "recipient_id", "key", "sent_on")) == {
        (ReminderKind.ELIGIBLE, dana.pk, lead.user_id, "2026-03-10", TODAY),
        (ReminderKind.ELIGIBLE, dima.pk, lead.user_id, "2026-03-10", TODAY),
        (ReminderKind.ELIGIBLE, oleg.pk, other_lead.user_id, "2026-03-10", TODAY),
    }
    assert "Sent 2 mail(s): 3 person(s)" in out
    # Names stay out of a real run's normal output (it goes to cron's mail); -v 2 lists them.
    assert dana.name not in out


def test_the_next_level_is_named_in_the_sites_language(
    settings, lead, mailoutbox, django_capture_on_commit_callbacks
):
    settings.LANGUAGE_CODE = "ru"
    dana = eligible_on(TODAY, lead=lead)
    next_level = employee_progress(dana).next_level
    next_level.name_ru = "Мидл+"
    next_level.save(update_fields=["name_ru"])

    notify(django_capture_on_commit_callbacks, TODAY)

    [to_lead] = mails_to(mailoutbox, lead.user)
    assert f"- {dana.name}: Мидл+, " in to_lead.body
    assert "Middle+" not in to_lead.body


def test_the_first_run_covers_today_only(lead, mailoutbox, django_capture_on_commit_callbacks):
    yesterday = eligible_on(days_before(1), lead=lead)
    today = eligible_on(TODAY, lead=lead)

    notify(django_capture_on_commit_callbacks, TODAY)

    [message] = mailoutbox
    assert today.name in message.body
    assert yesterday.name not in message.body


def test_a_second_run_the_same_day_sends_nothing(lead, mailoutbox, django_capture_on_commit_callbacks):
    eligible_on(TODAY, lead=lead)
    notify(django_capture_on_commit_callbacks, TODAY)
    assert len(mailoutbox) == 1
    reminders = list(Reminder.objects.values())

    out = notify(django_capture_on_commit_callbacks, TODAY)

    assert len(mailoutbox) == 1
    assert list(Reminder.objects.values()) == reminders
    assert "every day up to 2026-03-10 is covered already" in out
    assert list(JobRun.objects.order_by("id").values_list("covered_until", flat=True)) == [TODAY, TODAY]


def test_missed_days_are_caught_up_exactly_once(lead, mailoutbox, django_capture_on_commit_callbacks):
    before_first_run = eligible_on(days_before(5), lead=lead)
    on_first_run = eligible_on(days_before(3), lead=lead)
    missed = [eligible_on(days_before(n), lead=lead) for n in (2, 1)]
    today = eligible_on(TODAY, lead=lead)

    notify(django_capture_on_commit_callbacks, days_before(3))
    [first] = mailoutbox
    assert on_first_run.name in first.body and before_first_run.name not in first.body

    # Cron did not run for two days.
    out = notify(django_capture_on_commit_callbacks, TODAY)
    assert "after 2026-03-07 up to 2026-03-10 (3 day(s))" in out
    [_first, second] = mailoutbox
    for person in [*missed, today]:
        assert person.name in second.body
    assert on_first_run.name not in second.body and before_first_run.name not in second.body

    notify(django_capture_on_commit_callbacks, TODAY)
    assert len(mailoutbox) == 2
    everyone = [before_first_run, on_first_run, *missed, today]
    announced = list(Reminder.objects.values_list("object_id", flat=True))
    assert sorted(announced) == sorted(p.pk for p in everyone[1:])


def test_a_person_covered_days_ago_is_not_repeated_by_daily_runs(
    lead, mailoutbox, django_capture_on_commit_callbacks
):
    person = eligible_on(days_before(5), lead=lead)

    for n in range(5, -1, -1):
        notify(django_capture_on_commit_callbacks, days_before(n))

    assert [m for m in mailoutbox if person.name in m.body] == [mailoutbox[0]]
    assert len(mailoutbox) == 1
    assert JobRun.objects.count() == 6


def test_a_run_for_an_earlier_day_than_covered_sends_nothing(lead, mailoutbox, django_capture_on_commit_callbacks):
    eligible_on(days_before(2), lead=lead)
    notify(django_capture_on_commit_callbacks, TODAY)

    notify(django_capture_on_commit_callbacks, days_before(2))

    assert mailoutbox == []
    assert JobRun.objects.order_by("-id").first().covered_until == TODAY


def test_people_who_cannot_defend_now_are_left_out(lead, mailoutbox, django_capture_on_commit_callbacks):
    listed_ = eligible_on(TODAY, lead=lead)
    with_open_review = eligible_on(TODAY, lead=lead)
    review_services.review_request(statement="Ready for the next level.", candidate=with_open_review, by=lead.user, on=TODAY)
    below_top = eligible_on(TODAY, lead=lead, level_code="senior-plus")
    at_top = hire(level_code="senior-plus-plus", hire_date=grade_rules.add_months(TODAY, -12), team_lead=lead)
    left = eligible_on(TODAY, lead=lead)
    Employee.objects.filter(pk=left.pk).update(left_on=days_before(1))
    leaving_later = eligible_on(TODAY, lead=lead)
    Employee.objects.filter(pk=leaving_later.pk).update(left_on=TODAY + datetime.timedelta(days=30))
    no_lead = hire(level_code="middle", hire_date=grade_rules.add_months(TODAY, -6))

    notify(django_capture_on_commit_callbacks, TODAY)

    [message] = mailoutbox
    for person in (listed_, below_top, leaving_later):
        assert person.name in message.body
    assert "Senior++, from 2026-03-10" in message.body
    for person in (with_open_review, at_top, left, no_lead):
        assert person.name not in message.body
    assert set(Reminder.objects.values_list("object_id", flat=True)) == {listed_.pk, below_top.pk, leaving_later.pk}


def test_reports_of_a_lead_who_left_are_counted_not_mailed(mailoutbox, django_capture_on_commit_callbacks):
    gone = team_lead("gone")
    Employee.objects.filter(pk=gone.pk).update(left_on=days_before(10))
    eligible_on(TODAY, lead=gone)
    no_address = team_lead("silent", email="")
    eligible_on(TODAY, lead=no_address)

    notify(django_capture_on_commit_callbacks, TODAY)

    assert mailoutbox == []
    assert Reminder.objects.count() == 0
    assert JobRun.objects.get().counts["no_team_lead_to_tell"] == 2


def test_a_failed_defense_moves_the_announcement_to_the_end_of_the_cool_down(
    mailoutbox, django_capture_on_commit_callbacks
):
    org = organisation()
    dev = org["dev"]
    decided(org, values=("reject", "reject", "reject", "reject"))
    # Without the failure, dev's date would be six months after probation: 2021-12-01.
    by_time = datetime.date(2021, 12, 1)
    after_cool_down = grade_rules.add_months(timezone.localdate(), 3)
    dev.refresh_from_db()
    assert employee_progress(dev, on=after_cool_down).earliest_defense == after_cool_down

    with django_capture_on_commit_callbacks(execute=True):
        services.eligible_people_notify(today=by_time)
    assert not [m for m in mailoutbox if dev.name in m.body]

    with django_capture_on_commit_callbacks(execute=True):
        result = services.eligible_people_notify(today=after_cool_down)
    [message] = mails_to(mailoutbox, org["lead"].user)
    assert f"- {dev.name}: Middle+, from {after_cool_down:%Y-%m-%d}" in message.body
    assert result.window.after == by_time


def test_bad_dates_are_refused_without_writing(mailoutbox):
    with pytest.raises(CommandError, match="not a date"):
        call_command("notify_eligible", "--today", "2026-02-30")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(CommandError, match="in the future"):
        call_command("notify_eligible", "--today", tomorrow.isoformat())
    assert written() == ([], [])
    assert mailoutbox == []


def test_the_query_count_does_not_grow_with_the_number_of_people(django_capture_on_commit_callbacks, mailoutbox):
    leads = [team_lead(f"lead{n}") for n in range(3)]
    for n in range(5):
        eligible_on(TODAY, lead=leads[n % 3])
    tomorrow = TODAY + datetime.timedelta(days=1)
    for n in range(30):
        eligible_on(tomorrow, lead=leads[n % 3])
    # Not eligible in either window: they must not cost a query each either.
    for n in range(10):
        eligible_on(days_before(40), lead=leads[n % 3])

    with CaptureQueriesContext(connection) as five:
        notify(django_capture_on_commit_callbacks, TODAY)
    with CaptureQueriesContext(connection) as thirty:
        notify(django_capture_on_commit_callbacks, tomorrow)

    assert sum("Middle+" in m.body for m in mailoutbox) == 6
    assert Reminder.objects.count() == 35
    # Savepoint; last covered day, levels, everyone's dates, the people in the window, the
    # reminders already sent; the run, the reminders' insert, their read-back, the run's
    # update; the webhook endpoints, read once for the run's events (no endpoint: no insert);
    # release. Mail is rendered from what was read and costs no query.
    assert len(five) == len(thirty) == 12, [q["sql"] for q in thirty.captured_queries]


def test_a_quiet_run_prints_nothing_but_still_mails(lead, mailoutbox, django_capture_on_commit_callbacks):
    eligible_on(TODAY, lead=lead)

    out = notify(django_capture_on_commit_callbacks, TODAY, "-v", "0")

    assert out == ""
    assert len(mailoutbox) == 1


def test_the_next_level_is_that_of_each_persons_own_ladder():
    """Each person's earliest defense comes from the next level of their track's ladder, and a
    person at the top of their ladder is never announced."""
    from pathlib import Path

    from grades.versions import load_framework
    from jobs import rules as job_rules
    from jobs import selectors as job_selectors

    load_framework(Path(__file__).resolve().parents[2] / "grades" / "tests" / "data" / "five-levels.yaml")
    lead = hire(level_code="senior", roles=["Developer", "Team lead"])
    # Associate after 3 months in Trainee: 2024-04-10.
    support = hire(track_slug="support", level_code="trainee", team_lead=lead, hire_date=datetime.date(2024, 1, 10))
    top = hire(track_slug="support", level_code="lead", team_lead=lead, hire_date=datetime.date(2020, 1, 10))
    window = job_rules.Window(after=datetime.date(2024, 4, 9), until=datetime.date(2024, 4, 11))
    found = job_selectors.newly_eligible(window=window, today=datetime.date(2024, 4, 11))
    assert [(person.employee.pk, person.next_level.code, person.earliest) for person in found] == [
        (support.pk, "associate", datetime.date(2024, 4, 10))
    ]
    assert top.pk not in {person.employee.pk for person in found}
