"""Salary bands on the ladder page: who sees them (PAY_BANDS_VISIBLE_TO), which ones, at what cost."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grades import extensions
from grades.models import Employee, Level
from grades.tests.factories import UserFactory, hire
from pay.models import SalaryBand
from pay.tests.factories import SalaryBandFactory, ladder, track

pytestmark = pytest.mark.django_db

D = Decimal
MINIMUMS = [1000, 1500, 2000, 3000, 3500, 4000, 5000, 6000, 7000]
LADDER = "/tracks/backend/"


@pytest.fixture
def people():
    return {
        "hr": UserFactory(username="hr", roles=["HR"], is_staff=True),
        "developer": hire(level_code="middle").user,
        "manager": UserFactory(username="manager", roles=["Manager"]),
        "team lead": hire(level_code="senior", roles=["Developer", "Team lead"]).user,
        "admin": UserFactory(username="root", is_staff=True, is_superuser=True),
    }


def band_lines(body: str) -> list[str]:
    return re.findall(r'<tr class="band" id="band-([a-z-]+)-eur">', body)


def page(client, user) -> str:
    client.force_login(user)
    response = client.get(LADDER)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("setting, allowed", [
    ("hr", {"hr", "admin"}),
    ("everyone", {"hr", "admin", "developer", "manager", "team lead"}),
])
def test_who_sees_the_bands(client, settings, people, setting, allowed):
    settings.PAY_BANDS_VISIBLE_TO = setting
    ladder(minimums=MINIMUMS, track_slug="backend", top=8000)
    for role, user in people.items():
        body = page(client, user)
        if role in allowed:
            assert 'id="salary-bands"' in body, role
            assert len(band_lines(body)) == 9, role
            assert "3,000 – 3,500 EUR" in body, role
        else:
            assert 'id="salary-bands"' not in body, role
            assert "Salary bands" not in body and "3,000 – 3,500" not in body, role


def test_the_page_says_whether_the_bands_are_published(client, settings, people):
    ladder(minimums=MINIMUMS, track_slug="backend")
    settings.PAY_BANDS_VISIBLE_TO = "hr"
    assert "Shown to HR only." in page(client, people["hr"])
    settings.PAY_BANDS_VISIBLE_TO = "everyone"
    assert "Published to everyone in the company." in page(client, people["developer"])


def test_a_track_without_bands_says_so_to_those_allowed(client, people):
    body = page(client, people["hr"])
    assert "No salary bands are in force for this track." in body


def test_the_page_shows_the_bands_in_force_today(client, people):
    today = timezone.localdate()
    # Old all-tracks bands, replaced by newer all-tracks ones, and backend's own Middle band.
    ladder(minimums=MINIMUMS, valid_from=today.replace(year=today.year - 2))
    ladder(minimums=[m + 100 for m in MINIMUMS], valid_from=today.replace(year=today.year - 1))
    SalaryBandFactory(level=Level.objects.get(code="middle"), track=track("backend"),
                      minimum=D(3050), maximum=D(3555), valid_from=today.replace(year=today.year - 3))
    # Not yet in force, and another track's.
    ladder(minimums=[m + 900 for m in MINIMUMS], valid_from=today + datetime.timedelta(days=1))
    ladder(minimums=[m + 50 for m in MINIMUMS], track_slug="fullstack")
    body = page(client, people["hr"])
    assert len(band_lines(body)) == 9
    assert "1,100 – 1,600 EUR" in body  # Junior: the newer all-tracks band
    assert "1,000 – 1,500 EUR" not in body and "1,900 – 2,400" not in body and "1,050 – 1,550" not in body
    assert "3,050 – 3,555 EUR" in body  # backend's own band wins over the newer all-tracks one
    assert "3,100 – 3,600 EUR" not in body


def test_bands_in_several_currencies_are_all_shown(client, people):
    ladder(minimums=MINIMUMS, track_slug="backend")
    ladder(minimums=[m * 2 for m in MINIMUMS], track_slug="backend", currency="PLN")
    body = page(client, people["hr"])
    assert len(band_lines(body)) == 9
    assert body.count('-pln">') == 9
    assert "6,000 – 7,000 PLN" in body


def _render(user, backend=None):
    request = RequestFactory().get(LADDER)
    request.user = user
    # What the ladder page shows of the pay app: the panels it registered, as the page includes them.
    shown = extensions.built(extensions.LADDER_PANELS, request, backend or track("backend"))
    return "".join(render_to_string(template, {"panel": panel, "request": request}) for template, panel in shown)


def _band_queries(queries) -> int:
    return sum("pay_salaryband" in q["sql"] for q in queries)


@pytest.mark.parametrize("generations", [1, 5])
def test_one_query_for_the_whole_ladder_whatever_the_number_of_bands(people, generations):
    for year in range(generations):
        ladder(minimums=[m + 10 * year for m in MINIMUMS], valid_from=datetime.date(2020 + year, 1, 1))
        ladder(minimums=[m + 10 * year for m in MINIMUMS], track_slug="backend",
               valid_from=datetime.date(2020 + year, 1, 1))
    user, backend = people["hr"], track("backend")
    _render(user)  # the user's roles are read once per request, before the tag
    with CaptureQueriesContext(connection) as queries:
        html = _render(user, backend)
    # The bands with their levels (select_related), in one statement.
    assert len(queries) == 1 and _band_queries(queries) == 1
    assert html.count('<tr class="band"') == 9


def test_no_query_at_all_for_someone_who_may_not_see_bands(people):
    ladder(minimums=MINIMUMS, track_slug="backend")
    user = people["developer"]
    _render(user)
    with CaptureQueriesContext(connection) as queries:
        assert _render(user).strip() == ""
    assert _band_queries(queries) == 0


def test_anonymous_sees_nothing_even_when_bands_are_published(settings):
    from django.contrib.auth.models import AnonymousUser

    settings.PAY_BANDS_VISIBLE_TO = "everyone"
    ladder(minimums=MINIMUMS, track_slug="backend")
    assert _render(AnonymousUser()).strip() == ""


def test_there_is_no_personal_pay_anywhere():
    """Bands are per level; nothing stores what a person earns."""
    words = ("salary", "pay", "wage", "compensation", "bonus")
    employee_fields = [f.name for f in Employee._meta.get_fields()]
    assert not [name for name in employee_fields if any(word in name for word in words)], employee_fields
    targets = {f.related_model for f in SalaryBand._meta.get_fields() if f.is_relation}
    assert targets == {Level, type(track("backend"))}
