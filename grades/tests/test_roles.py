"""What the menus and permission checks know of the signed-in person (grades.roles.viewer_facts)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from grades.roles import HR, role_names, user_has_role, viewer_facts
from grades.tests.factories import UserFactory, hire

pytestmark = pytest.mark.django_db


def test_one_query_gives_the_roles_the_employee_and_whether_they_lead(django_assert_num_queries):
    lead = hire(level_code="senior", roles=["Developer", "Team lead"])
    hire(team_lead=lead)
    user = type(lead.user).objects.get(pk=lead.user.pk)  # as a request loads it
    with django_assert_num_queries(1):
        facts = viewer_facts(user)
        # Asked again within the request: no further query.
        assert role_names(user) == {"Developer", "Team lead"}
        assert not user_has_role(user, HR)
    assert facts.employee_id == lead.pk and facts.is_employee and facts.is_lead


def test_someone_with_no_group_and_no_employee_row():
    user = UserFactory()
    user.groups.clear()
    facts = viewer_facts(user)
    assert facts.roles == frozenset() and facts.employee_id is None
    assert not facts.is_employee and not facts.is_lead


def test_a_report_is_an_employee_who_leads_nobody():
    dev = hire(level_code="middle")
    facts = viewer_facts(type(dev.user).objects.get(pk=dev.user.pk))
    assert facts.is_employee and not facts.is_lead and facts.roles == {"Developer"}


def test_anonymous_has_no_facts_and_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        facts = viewer_facts(AnonymousUser())
    assert facts.roles == frozenset() and facts.employee_id is None and not facts.is_lead


def test_a_superuser_holds_every_role_without_the_groups():
    admin = UserFactory(is_superuser=True)
    admin.groups.clear()
    assert user_has_role(admin, HR)
