"""Growth plans: goals on unmet lines of the next level's checklist, kept by the person and their
team lead, read by whoever sees the person; on the progress page and in a review's packet.
Every refusal (role, line, input) changes nothing; the pages' statements do not grow with goals."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grades import services
from grades.models import GrowthGoal, Requirement
from grades.services import GradeError
from grades.tests.factories import EvidenceFactory, UserFactory, hire
from grades.tests.test_employee_counts import next_line
from grades.tests.test_query_counts import OWN_PROGRESS_PAGE, PROGRESS_PAGE

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def team():
    lead = hire(level_code="senior", roles=["Developer", "Team lead"], hire_date=D(2018, 1, 1))
    dev = hire(level_code="middle", team_lead=lead, hire_date=D(2021, 3, 1))
    return {
        "lead": lead,
        "dev": dev,
        "colleague": hire(level_code="middle", team_lead=lead),
        "other_lead": hire(level_code="senior", roles=["Developer", "Team lead"]),
        "hr": UserFactory(roles=["HR"], is_staff=True),
        "manager": UserFactory(roles=["Manager"]),
    }


def user_of(person):
    return getattr(person, "user", person)


def login(client, person):
    client.force_login(user_of(person))
    return client


def body(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def state():
    """Every goal and its history: compare before and after a refused action."""
    return (
        list(GrowthGoal.objects.order_by("id").values()),
        list(GrowthGoal.history.order_by("history_id").values()),
    )


def line_html(html: str, requirement_pk: int) -> str:
    start = html.index(f'id="req-{requirement_pk}"')
    return html[start : html.index("</li>", start)]


def in_days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def add(team, requirement=None, *, by="dev", text="Pair with Lena on the retry worker.", **kwargs):
    return services.growth_goal_add(
        employee=team["dev"], requirement=requirement or next_line(team["dev"]), text=text, by=user_of(team[by]),
        **kwargs,
    )


# --- Adding -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["dev", "lead"])
def test_the_person_and_their_lead_add_a_goal_on_an_unmet_line(client, team, who):
    dev = team["dev"]
    requirement = next_line(dev)
    page = login(client, team[who]).get(f"/people/{dev.pk}/")
    # The line links to its form, read when its box opens (test_line_forms.py).
    assert f'href="/people/{dev.pk}/plan/{requirement.pk}/form/"' in line_html(body(page), requirement.pk)
    form = body(client.get(f"/people/{dev.pk}/plan/{requirement.pk}/form/", headers={"X-Requested-With": "fetch"}))
    assert f'action="/people/{dev.pk}/plan/{requirement.pk}/#req-{requirement.pk}"' in form

    response = client.post(f"/people/{dev.pk}/plan/{requirement.pk}/", {
        "text": "Write the retry worker's runbook", "link": "https://wiki.example.com/runbook",
        "due_on": in_days(30).isoformat(),
    })
    assert response.status_code == 302
    goal = GrowthGoal.objects.get(employee=dev, requirement=requirement)
    assert (goal.text, goal.link, goal.due_on, goal.created_by) == (
        "Write the retry worker's runbook", "https://wiki.example.com/runbook", in_days(30), user_of(team[who]),
    )
    assert goal.done_at is None and goal.done_by is None
    # Audited: a history row naming who wrote it.
    assert goal.history.get().history_user == user_of(team[who])
    line = line_html(body(client.get(f"/people/{dev.pk}/")), requirement.pk)
    assert "Write the retry worker&#x27;s runbook" in line or "Write the retry worker's runbook" in line
    assert f"Due {in_days(30):%Y-%m-%d}" in line
    assert f'action="/goals/{goal.pk}/edit/"' in line and f'action="/goals/{goal.pk}/done/"' in line
    # A line with a goal offers no second one.
    assert f"/plan/{requirement.pk}/" not in line


def test_others_who_see_the_person_read_the_plan_without_forms(client, team):
    goal = add(team)
    html = body(login(client, team["hr"]).get(f"/people/{team['dev'].pk}/"))
    line = line_html(html, goal.requirement_id)
    assert "Pair with Lena on the retry worker." in line
    assert "/goals/" not in html and "/plan/" not in html


@pytest.mark.parametrize("who, status", [
    ("hr", 403), ("colleague", 404), ("other_lead", 404), ("manager", 404),
])
def test_anyone_else_may_not_add_and_nothing_changes(client, team, who, status):
    dev = team["dev"]
    before = state()
    response = login(client, team[who]).post(f"/people/{dev.pk}/plan/{next_line(dev).pk}/", {"text": "Mine now"})
    assert response.status_code == status
    assert state() == before
    with pytest.raises(PermissionError):
        add(team, by=who)
    assert state() == before


def _above_next_level(team):
    dev = team["dev"]
    rank = dev.current_level.rank + 2
    return Requirement.objects.filter(track=dev.track, check_kind="", track_level__level__rank=rank).first()


def _other_track(team):
    from grades.selectors import employee_progress

    on_checklist = {item.requirement.pk for item in employee_progress(team["dev"]).items}
    return Requirement.objects.exclude(track=team["dev"].track).exclude(pk__in=on_checklist).first()


def _met(team):
    requirement = next_line(team["dev"], offset=1)
    EvidenceFactory(employee=team["dev"], requirement=requirement, confirmed=True)
    return requirement


def _with_a_goal(team):
    return add(team).requirement


@pytest.mark.parametrize("line, message", [
    (_above_next_level, "That requirement is not on the checklist of Middle+, the next level."),
    (_other_track, "That requirement is not on the checklist of Middle+, the next level."),
    (_met, "That requirement is already met; a goal is for what is still to do."),
    (_with_a_goal, "There is already a goal for that requirement; edit it instead."),
])
def test_a_goal_on_a_line_that_is_not_to_do_is_400_and_changes_nothing(client, team, line, message):
    dev = team["dev"]
    requirement = line(team)
    before = state()
    response = login(client, dev).post(f"/people/{dev.pk}/plan/{requirement.pk}/", {"text": "Another goal"})
    assert response.status_code == 400
    assert message in messages_of(response)
    assert state() == before


@pytest.mark.parametrize("data, message", [
    ({"text": ""}, "Write the goal: what is to be done for this requirement."),
    ({"text": "   "}, "Write the goal: what is to be done for this requirement."),
    ({"text": "x" * (services.MAX_GOAL + 1)}, f"at most {services.MAX_GOAL} characters"),
    ({"text": "Ok", "link": "javascript:alert(1)"}, "http"),
    ({"text": "Ok", "link": "https://example.com/\u202egpj.exe"}, "invisible characters"),
    ({"text": "Ok", "due_on": "2026-02-30"}, "Enter the due date as a real day, e.g. 2026-09-30."),
    ({"text": "Ok", "due_on": "soon"}, "Enter the due date as a real day, e.g. 2026-09-30."),
    ({"text": "Ok", "due_on": "3000-01-01"}, "Enter a date between 1900-01-01 and 2999-12-31."),
    ({"text": "Ok", "due_on": "2001-01-01"}, "The due date 2001-01-01 is in the past; choose today or a later day."),
])
def test_invalid_input_is_400_and_changes_nothing(client, team, data, message):
    dev = team["dev"]
    requirement = next_line(dev)
    before = state()
    response = login(client, dev).post(f"/people/{dev.pk}/plan/{requirement.pk}/", data)
    assert response.status_code == 400
    assert message in body(response)
    assert state() == before
    # The refused form is shown again on its line, with what was typed.
    if data["text"].strip() and "past" not in message:
        assert 'class="error"' in line_html(body(response), requirement.pk)


def test_an_unknown_requirement_is_400(client, team):
    dev = team["dev"]
    before = state()
    response = login(client, dev).post(f"/people/{dev.pk}/plan/999999/", {"text": "Ok"})
    assert response.status_code == 400
    assert "That requirement does not exist." in messages_of(response)
    assert state() == before


def test_the_service_refuses_nonsense_dates(team):
    before = state()
    for due_on in [in_days(-1), D(3000, 1, 1), "2026-01-01"]:
        with pytest.raises(GradeError):
            add(team, due_on=due_on)
    assert state() == before
    assert add(team, due_on=timezone.localdate()).due_on == timezone.localdate()


# --- Editing and marking done -------------------------------------------------------------------


def test_the_lead_edits_a_goal_and_the_history_keeps_both_versions(client, team):
    goal = add(team, due_on=in_days(10))
    response = login(client, team["lead"]).post(f"/goals/{goal.pk}/edit/", {
        "text": "Pair on the retry worker and write its runbook", "link": "", "due_on": in_days(20).isoformat(),
    })
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.text, goal.due_on) == ("Pair on the retry worker and write its runbook", in_days(20))
    rows = list(goal.history.order_by("history_id"))
    assert [row.history_user for row in rows] == [team["dev"].user, team["lead"].user]
    assert rows[0].text == "Pair with Lena on the retry worker."


def test_a_goal_past_due_keeps_its_date_when_its_words_change(client, team):
    goal = add(team, due_on=in_days(1))
    GrowthGoal.objects.filter(pk=goal.pk).update(due_on=in_days(-5))
    response = login(client, team["dev"]).post(f"/goals/{goal.pk}/edit/", {
        "text": "Reworded", "due_on": in_days(-5).isoformat(),
    })
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.text, goal.due_on) == ("Reworded", in_days(-5))
    # Moving it to another day in the past is refused.
    before = state()
    response = client.post(f"/goals/{goal.pk}/edit/", {"text": "Reworded", "due_on": in_days(-2).isoformat()})
    assert response.status_code == 400
    assert state() == before


@pytest.mark.parametrize("who, status", [("hr", 403), ("colleague", 404), ("other_lead", 404)])
def test_anyone_else_may_not_edit_or_mark_and_nothing_changes(client, team, who, status):
    goal = add(team)
    before = state()
    client = login(client, team[who])
    assert client.post(f"/goals/{goal.pk}/edit/", {"text": "Changed"}).status_code == status
    assert client.post(f"/goals/{goal.pk}/done/", {"done": "1"}).status_code == status
    assert state() == before
    with pytest.raises(PermissionError):
        services.growth_goal_mark(goal=goal, done=True, by=user_of(team[who]))
    with pytest.raises(PermissionError):
        services.growth_goal_edit(goal=goal, text="Changed", by=user_of(team[who]))
    assert state() == before


def test_an_invalid_edit_is_400_and_changes_nothing(client, team):
    goal = add(team)
    before = state()
    client = login(client, team["dev"])
    for data in [{"text": ""}, {"text": "Ok", "link": "ftp://example.com/x"}, {"text": "Ok", "due_on": "2026-13-01"}]:
        response = client.post(f"/goals/{goal.pk}/edit/", data)
        assert response.status_code == 400, data
    assert state() == before


def test_marking_done_records_who_and_when_and_can_be_undone(client, team):
    goal = add(team)
    response = login(client, team["dev"]).post(f"/goals/{goal.pk}/done/", {"done": "1"})
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.done_by == team["dev"].user and goal.done_at is not None
    line = line_html(body(client.get("/me/")), goal.requirement_id)
    assert "Done: marked by" in line and "Open the goal again" in line

    # Marked twice, or a value that is neither: refused, nothing changed.
    before = state()
    response = client.post(f"/goals/{goal.pk}/done/", {"done": "1"})
    assert response.status_code == 400 and "The goal is already marked done." in messages_of(response)
    response = client.post(f"/goals/{goal.pk}/done/", {"done": "yes"})
    assert response.status_code == 400 and "Say whether the goal is done or open again." in messages_of(response)
    assert state() == before

    assert login(client, team["lead"]).post(f"/goals/{goal.pk}/done/", {"done": "0"}).status_code == 302
    goal.refresh_from_db()
    assert goal.done_by is None and goal.done_at is None
    assert [row.history_change_reason for row in goal.history.order_by("history_id")] == [
        "goal agreed", "goal done", "goal reopened",
    ]
    before = state()
    response = client.post(f"/goals/{goal.pk}/done/", {"done": "0"})
    assert response.status_code == 400 and "The goal is not marked done." in messages_of(response)
    assert state() == before


def test_a_goal_past_due_says_so(client, team):
    goal = add(team, due_on=in_days(1))
    GrowthGoal.objects.filter(pk=goal.pk).update(due_on=in_days(-3))
    line = line_html(body(login(client, team["dev"]).get("/me/")), goal.requirement_id)
    assert "past due" in line


def test_goal_texts_are_escaped(client, team):
    goal = add(team, text="<script>alert(1)</script>")
    html = body(login(client, team["lead"]).get(f"/people/{team['dev'].pk}/"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in line_html(html, goal.requirement_id)


# --- What it costs --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["dev", "lead", "hr"])
def test_the_progress_page_costs_the_same_whatever_the_number_of_goals(client, team, who, django_assert_max_num_queries):
    dev = team["dev"]
    add(team)
    url = "/me/" if who == "dev" else f"/people/{dev.pk}/"
    login(client, team[who]).get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    from grades.selectors import employee_progress

    taken = GrowthGoal.objects.get().requirement_id
    lines = [item.requirement for item in employee_progress(dev).unmet if item.requirement.pk != taken][:8]
    for offset, requirement in enumerate(lines, start=1):
        add(team, requirement, due_on=in_days(offset), text=f"Goal {offset}", by="lead" if offset % 2 else "dev")
    assert GrowthGoal.objects.count() == 9
    expected = OWN_PROGRESS_PAGE if url == "/me/" else PROGRESS_PAGE
    with django_assert_max_num_queries(expected):
        page = client.get(url)
    assert len(one.captured_queries) == expected
    assert body(page).count('data-testid="goal"') >= GrowthGoal.objects.count()


def test_the_persons_audit_trail_lists_the_goals_writes(client, team):
    goal = add(team)
    services.growth_goal_edit(goal=goal, text="Pair on the retry worker, then demo it", by=team["lead"].user)
    services.growth_goal_mark(goal=goal, done=True, by=team["dev"].user)
    html = body(login(client, team["hr"]).get(f"/people/{team['dev'].pk}/trail/"))
    assert html.count(f"Growth goal: {goal.requirement}") == 3
    assert "text: Pair with Lena on the retry worker. → Pair on the retry worker, then demo it" in html
