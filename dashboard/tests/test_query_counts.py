"""How many SQL statements the dashboard costs, pinned, whatever the size of the organisation.

The page is read-only (common.http.read_only): no request transaction adds statements.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from dashboard.tests.factories import claim, decided_review, months_ago, organisation, promote
from grades.models import Level
from grades.tests.factories import hire
from pay.models import SalaryBand

pytestmark = pytest.mark.django_db

# Every viewer's page, in order:
#   1. the session;
#   2. the signed-in user;
#   3. the viewer's roles, employee id and whether they lead anyone (grades.roles.viewer_facts);
#   4. every track (the filter, the labels);
#  [5. the team leads' names (the filter, the labels): not for a team lead;]
#   6. every level with its minimum time (labels, the ladder's minimums);
#   7. head counts by track, team lead and level (both level distributions, the team sizes
#      behind k-anonymity, the people beside the pay bands); for whoever may pick a team
#      lead, of everyone, read before the filter is checked (every team's size) and
#      narrowed to the filter in Python;
#   8. promotions by quarter (GROUP BY year and quarter of the ledger);
#   9. decided defenses by level and outcome (GROUP BY);
#  10. one narrow row per promotion of the period with the start of the level before (the
#      median has no portable SQL aggregate);
#  11. the eligibility pipeline and the time in level, bucketed together (GROUP BY two CASEs);
#  12. claims waiting longer than N days by team lead (GROUP BY);
# [13. the salary bands started by today: only for those who may see pay.]
HR = 13
MANAGER = 12  # no pay bands (PAY_BANDS_VISIBLE_TO is "hr")
LEAD = 11  # neither the team leads' list nor pay bands


def grow(org):
    """More of everything the figures count: people, promotions, defenses, claims, bands."""
    big = org["big"]
    for months in range(3, 30, 3):
        person = hire(level_code="junior-plus", team_lead=big, hire_date=months_ago(months + 12))
        promote(person, to="junior-plus-plus", months=months)
        decided_review(person, to="middle", passed=bool(months % 2), by=org["hr"])
        claim(person, index=0, days=months * 5)
    other = hire(level_code="senior", roles=["Developer", "Team lead"], track_slug="fullstack")
    for _ in range(6):
        hire(level_code="middle", track_slug="fullstack", team_lead=other, hire_date=months_ago(7))
    for code in ("junior", "middle-plus", "senior"):
        SalaryBand.objects.create(level=Level.objects.get(ladder__slug="standard", code=code), currency="USD",
                                  minimum=Decimal("1000"), maximum=Decimal("2000"), valid_from=months_ago(2))


@pytest.mark.parametrize("query", ["", "track=backend&days=3", "quarter={quarter}"])
def test_dashboard_statements_do_not_grow_with_the_data(client, django_assert_num_queries, query):
    org = organisation()
    today = timezone.localdate()
    query = query.format(quarter=f"{today.year}-Q{(today.month - 1) // 3 + 1}")
    viewers = ((org["hr"], HR), (org["manager"], MANAGER), (org["big"].user, LEAD))
    url = "/dashboard/" + (f"?{query}" if query else "")
    for grown in (False, True):
        if grown:
            grow(org)
        for user, expected in viewers:
            client.force_login(user)
            client.get(url)  # anything a first request does once
            with django_assert_num_queries(expected):
                assert client.get(url).status_code == 200


def test_a_refused_filter_costs_fewer_statements(client, django_assert_num_queries):
    """Session, user, roles, tracks, everyone's head counts (the team sizes), the team leads:
    the form is shown again without a figure."""
    org = organisation()
    client.force_login(org["hr"])
    with django_assert_num_queries(6):
        assert client.get("/dashboard/?track=nope").status_code == 400
