"""Who sees the dashboard and at what scope: dashboard.policies.dashboard_scope for each role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from dashboard import policies
from grades.tests.factories import UserFactory, hire

pytestmark = pytest.mark.django_db


def test_scope_of_each_role(settings):
    settings.PAY_BANDS_VISIBLE_TO = "hr"
    lead = hire(level_code="senior", roles=["Developer", "Team lead"])
    report = hire(level_code="middle", team_lead=lead)
    hr = policies.dashboard_scope(UserFactory(roles=["HR"]))
    manager = policies.dashboard_scope(UserFactory(roles=["Manager"]))
    own = policies.dashboard_scope(lead.user)
    assert (hr.kind, hr.anonymised, hr.sees_pay, hr.may_filter_by_lead) == ("hr", False, True, True)
    assert (manager.kind, manager.anonymised, manager.sees_pay) == ("manager", True, False)
    assert (own.kind, own.lead_id, own.anonymised, own.may_filter_by_lead, own.sees_pay) == ("lead", lead.pk, False, False, False)
    assert policies.dashboard_scope(UserFactory(is_superuser=True)).kind == "hr"
    for user in (report.user, UserFactory(roles=["Committee"]), AnonymousUser()):
        assert policies.dashboard_scope(user) is None
        assert not policies.may_see_dashboard(user)
    # The "Team lead" group without anyone reporting to them leads no team: nothing to show.
    assert policies.dashboard_scope(UserFactory(roles=["Team lead"])) is None


def test_a_manager_who_leads_a_team_sees_everyone_anonymised():
    lead = hire(level_code="senior", roles=["Manager", "Team lead"])
    hire(level_code="middle", team_lead=lead)
    scope = policies.dashboard_scope(lead.user)
    assert scope.kind == "manager" and scope.lead_id is None


def test_pay_follows_the_pay_policy(settings):
    settings.PAY_BANDS_VISIBLE_TO = "everyone"
    lead = hire(level_code="senior", roles=["Developer", "Team lead"])
    hire(level_code="middle", team_lead=lead)
    assert policies.dashboard_scope(lead.user).sees_pay
    assert policies.dashboard_scope(UserFactory(roles=["Manager"])).sees_pay
