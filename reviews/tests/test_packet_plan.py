"""The candidate's growth plan in the review packet: the goals on the packet's lines, in
checklist order, with their due dates and who marked them done; one statement however many."""

import datetime

import pytest
from django.utils import timezone

from grades import services as grade_services
from grades.models import GrowthGoal
from grades.selectors import employee_progress
from reviews.tests.factories import organisation, requested, user_of
from reviews.tests.test_query_counts import DETAIL_QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return organisation()


def body(response) -> str:
    return response.content.decode()


def plan_section(html: str) -> str:
    start = html.index('id="packet-plan"')
    return html[start : html.index("</section>", start)]


def goals_on(org, count: int, *, by="dev"):
    dev = org["dev"]
    lines = [item.requirement for item in employee_progress(dev).unmet][:count]
    return [
        grade_services.growth_goal_add(
            employee=dev, requirement=requirement, text=f"Goal on line {requirement.pk}",
            due_on=timezone.localdate() + datetime.timedelta(days=index + 1), by=user_of(org[by]),
        )
        for index, requirement in enumerate(lines)
    ]


def test_the_packet_shows_the_plan_in_checklist_order(client, org):
    goals = goals_on(org, 3)
    review = requested(org)
    grade_services.growth_goal_mark(goal=goals[1], done=True, by=org["lead"].user)
    GrowthGoal.objects.filter(pk=goals[2].pk).update(due_on=timezone.localdate() - datetime.timedelta(days=2))
    client.force_login(org["hr"])
    response = client.get(review.get_absolute_url())
    plan = plan_section(body(response))
    positions = [plan.index(f"Goal on line {goal.requirement_id}") for goal in goals]
    assert positions == sorted(positions)
    assert "Done: marked by Lena Lead on" in plan
    assert "past due" in plan
    assert [entry.goal.pk for entry in response.context["packet_plan"]] == [goal.pk for goal in goals]
    assert [entry.overdue for entry in response.context["packet_plan"]] == [False, False, True]


def test_without_goals_the_packet_says_none_were_agreed(client, org):
    review = requested(org)
    client.force_login(org["dev"].user)
    plan = plan_section(body(client.get(review.get_absolute_url())))
    assert "No goals were agreed for the lines of this checklist." in plan


def test_the_review_page_costs_the_same_whatever_the_number_of_goals(client, org, django_assert_max_num_queries):
    goals_on(org, 1)
    review = requested(org)
    client.force_login(org["lead"].user)
    client.get(review.get_absolute_url())
    # The lead reads the team relations section too.
    with django_assert_max_num_queries(DETAIL_QUERIES):
        client.get(review.get_absolute_url())
    GrowthGoal.objects.all().delete()
    goals_on(org, 10, by="lead")
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(review.get_absolute_url())
    assert len(response.context["packet_plan"]) == 10
