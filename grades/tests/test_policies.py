"""grades.policies: who may see a person, claim, decide a claim, open the people list, record grades.

Each predicate against its QuerySet filter where it has one: a person is in
visible_employees(user) exactly when may_view_person(user, person) says so.
"""

import pytest
from django.contrib.auth.models import AnonymousUser

from grades import policies
from grades.models import Employee
from grades.tests.factories import UserFactory, hire

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    lead = hire(level_code="senior", user=UserFactory(username="lead", roles=["Developer", "Team lead"]))
    return {
        "lead": lead,
        "dev": hire(level_code="middle", team_lead=lead, user=UserFactory(username="dev")),
        "other": hire(level_code="junior", user=UserFactory(username="other")),
        "hr": UserFactory(username="hr", roles=["HR"]),
        "manager": UserFactory(username="manager", roles=["Manager"]),
        "root": UserFactory(username="root", is_superuser=True),
        "outsider": UserFactory(username="outsider", roles=["Committee"]),
    }


def user(team, who):
    person = team[who]
    return person.user if isinstance(person, Employee) else person


# (viewer, person) -> may view; may decide their claims; may claim for them.
TABLE = [
    ("dev", "dev", True, False, True),
    ("lead", "dev", True, True, False),
    ("hr", "dev", True, True, False),
    ("root", "dev", True, True, False),
    ("other", "dev", False, False, False),
    ("manager", "dev", False, False, False),
    ("outsider", "dev", False, False, False),
    ("dev", "lead", False, False, False),
    ("lead", "lead", True, False, True),  # nobody decides their own claims, not even a lead
    ("lead", "other", False, False, False),
    ("hr", "other", True, True, False),
]


@pytest.mark.parametrize("viewer, person, view, decide, claim", TABLE)
def test_who_may_see_decide_and_claim(team, viewer, person, view, decide, claim):
    viewer_user = user(team, viewer)
    employee = Employee.objects.select_related("team_lead").get(pk=team[person].pk)
    assert policies.may_view_person(viewer_user, employee) is view
    assert policies.visible_employees(viewer_user).filter(pk=employee.pk).exists() is view
    assert policies.may_decide_claim(viewer_user, employee) is decide
    assert policies.may_claim(viewer_user, employee) is claim


@pytest.mark.parametrize(
    "who, people_list, grade_changes",
    [("dev", False, False), ("lead", True, False), ("hr", True, True), ("root", True, True),
     ("manager", False, False), ("outsider", False, False)],
)
def test_who_may_open_the_people_list_and_record_grades(team, who, people_list, grade_changes):
    viewer = user(team, who)
    assert policies.may_see_people_list(viewer) is people_list
    assert policies.may_record_grade_change(viewer) is grade_changes
    assert policies.may_read_trail(viewer) is grade_changes


def test_an_anonymous_visitor_may_do_nothing(team):
    anonymous = AnonymousUser()
    dev = Employee.objects.select_related("team_lead").get(pk=team["dev"].pk)
    assert not policies.may_view_person(anonymous, dev)
    assert not policies.visible_employees(anonymous).exists()
    assert not policies.may_decide_claim(anonymous, dev)
    assert not policies.may_claim(anonymous, dev)
    assert not policies.may_see_people_list(anonymous)
    assert not policies.is_lead_of(anonymous, dev)
