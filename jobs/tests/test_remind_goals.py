"""remind_reviews and growth goals: a goal past its due date and not done is mentioned to the
person and to their team lead, at most once a week each; nothing else is."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grades import services as grade_services
from grades.models import Employee, GrowthGoal
from grades.selectors import employee_progress
from grades.tests.factories import hire
from jobs import services
from jobs.models import JobRun, Reminder, ReminderKind
from jobs.tests.factories import mails_to, output, run, team_lead, written
from reviews.tests.factories import organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return organisation()


def day(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def goal(person, *, due_in: int | None, index: int = 0, by=None, text="Write the retry worker's runbook"):
    """A goal of `person` on their `index`-th unmet line, due `due_in` days from today (None: no date)."""
    requirement = employee_progress(person).unmet[index].requirement
    made = grade_services.growth_goal_add(
        employee=person, requirement=requirement, text=text, due_on=day(1) if due_in is not None else None,
        by=by or person.user,
    )
    if due_in is not None:
        # Agreed earlier, when the date was still ahead.
        GrowthGoal.objects.filter(pk=made.pk).update(due_on=day(due_in))
        made.refresh_from_db()
    return made


def remind(capture, *args: str) -> str:
    return run(capture, "remind_reviews", *args)


def remind_at(capture, now: datetime.datetime):
    with capture(execute=True):
        return services.reviews_remind(now=now)


def test_a_goal_past_due_is_mentioned_to_the_person_and_their_lead(org, mailoutbox, django_capture_on_commit_callbacks):
    dev, lead = org["dev"], org["lead"]
    late = goal(dev, due_in=-3)
    goal(dev, due_in=0, index=1, text="Due today: not late yet")
    goal(dev, due_in=5, index=2, text="Due later")
    goal(dev, due_in=None, index=3, text="No date at all")
    done = goal(dev, due_in=-10, index=4, text="Done already")
    grade_services.growth_goal_mark(goal=done, done=True, by=lead.user)

    out = remind(django_capture_on_commit_callbacks)

    [to_dev] = mails_to(mailoutbox, dev.user)
    [to_lead] = mails_to(mailoutbox, lead.user)
    assert len(mailoutbox) == 2
    assert to_dev.subject == to_lead.subject == "1 growth goal is past its due date"
    assert "- Your goal: Write the retry worker's runbook" in to_dev.body
    assert f"- {dev.name}: Write the retry worker's runbook" in to_lead.body
    for message in (to_dev, to_lead):
        assert f"due on {day(-3):%Y-%m-%d}, 3 days ago — /people/{dev.pk}/" in message.body
        assert str(late.requirement) in message.body
        for other in ("Due today", "Due later", "No date at all", "Done already"):
            assert other not in message.body
    assert set(Reminder.objects.values_list("kind", "object_id", "recipient_id")) == {
        (ReminderKind.GOAL, late.pk, dev.user_id), (ReminderKind.GOAL, late.pk, lead.user_id),
    }
    assert "Sent 2 mail(s): 0 defense(s), 0 claim(s), 2 goal(s)." in out

    # The same day again: nothing new.
    remind(django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2 and Reminder.objects.count() == 2


def test_a_goal_past_due_is_mentioned_at_most_once_a_week(org, mailoutbox, django_capture_on_commit_callbacks):
    late = goal(org["dev"], due_in=-1)
    now = timezone.now()
    sent_on = []
    for n in range(0, 16):
        before = len(mailoutbox)
        remind_at(django_capture_on_commit_callbacks, now + datetime.timedelta(days=n))
        if len(mailoutbox) > before:
            sent_on.append(n)
    assert sent_on == [0, 7, 14]
    assert Reminder.objects.filter(kind=ReminderKind.GOAL, object_id=late.pk).count() == 6


def test_the_dry_run_lists_the_goals_and_writes_nothing(org, mailoutbox, django_capture_on_commit_callbacks):
    late = goal(org["dev"], due_in=-2)
    before = written()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        out = output("remind_reviews", "--dry-run")
    assert "Would mail dev (1 goal(s)):" in out and "Would mail lead (1 goal(s)):" in out
    assert f"goal #{late.pk} of {org['dev'].name}, due {day(-2):%Y-%m-%d}, 2 days past:" in out
    assert "Would send 2 mail(s): 0 defense(s), 0 claim(s), 2 goal(s)." in out
    assert written() == before and callbacks == [] and mailoutbox == []


def test_people_who_left_are_not_reminded_and_a_lead_who_left_is_not_told(
    org, mailoutbox, django_capture_on_commit_callbacks
):
    goal(org["dev"], due_in=-2)
    Employee.objects.filter(pk=org["dev"].pk).update(left_on=day(-1))
    gone = team_lead("gone")
    report = hire(level_code="middle", team_lead=gone)
    goal(report, due_in=-2)
    Employee.objects.filter(pk=gone.pk).update(left_on=day(0))

    remind(django_capture_on_commit_callbacks)

    assert [message.to for message in mailoutbox] == [[report.user.email]]
    counts = JobRun.objects.get().counts
    assert counts["goals_overdue"] == 1 and counts["goals_nobody_to_tell"] == 0


def test_the_query_count_does_not_grow_with_the_number_of_goals(org, mailoutbox, django_capture_on_commit_callbacks):
    leads = [team_lead(f"lead{n}") for n in range(2)]
    people = [hire(level_code="middle", team_lead=leads[n % 2]) for n in range(8)]
    goal(people[0], due_in=-2)
    now = timezone.now()
    with CaptureQueriesContext(connection) as few:
        remind_at(django_capture_on_commit_callbacks, now)
    assert len(mailoutbox) == 2

    for person in people[1:]:
        goal(person, due_in=-2)
        goal(person, due_in=-1, index=1)
    with CaptureQueriesContext(connection) as many:
        remind_at(django_capture_on_commit_callbacks, now + datetime.timedelta(days=7))
    assert Reminder.objects.filter(kind=ReminderKind.GOAL).count() == 2 + 15 * 2
    # Savepoint; seats of coming defenses (none, so their reminders are not read); waiting
    # claims, last week's claim reminders; goals past due, last week's goal reminders; last
    # covered day; the run, the reminders' insert, their read-back, the run's update; release.
    assert len(few) == len(many) == 12, [q["sql"] for q in many.captured_queries]
