"""The candidate's productivity in the defense packet: a chart and a table of the periods in their level."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import translation

from grades import services as grade_services
from reviews.tests.factories import organisation, requested, scheduled, user_of

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def org():
    return organisation()


def record(org, start: D, done: str, committed: str = "20", **extra):
    return grade_services.delivery_fact_record(
        employee=org["dev"], by=org["lead"].user, period_start=start, period_end=start + datetime.timedelta(days=13),
        committed=Decimal(committed), done=Decimal(done), **extra,
    )


def section(html: str) -> str:
    found = re.search(r'<section class="card packet" id="packet-productivity">.*?</section>', html, re.S)
    assert found, "the productivity section is on the page"
    return found.group(0)


@pytest.mark.parametrize("who", ["dev", "lead", "hr", "cto"])
def test_the_packet_shows_the_trend_chart_and_the_periods_in_the_current_level(client, org, who):
    # Dana has been Middle since 2021-03-01: the sprint before that is not in the packet.
    record(org, D(2021, 1, 4), "5")
    record(org, D(2024, 1, 1), "14")
    record(org, D(2024, 1, 15), "16", link="https://jira.example.com/board/3?sprint=2")
    record(org, D(2024, 1, 29), "19")
    review = scheduled(org)
    client.force_login(user_of(org[who]))

    response = client.get(f"/reviews/{review.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    part = section(html)
    # Right after the checklist and grade history of the packet.
    assert html.index('data-testid="grade-history"') < html.index('id="packet-productivity"')
    assert "<svg" in part and "<polyline" in part and part.count("<circle") == 3
    assert "<script" not in part and "http" not in part.split("<table", 1)[0]
    assert 'data-trend="rising"' in part
    rows = re.findall(r"<tr>\s*<td>(\d{4}-\d\d-\d\d) – (\d{4}-\d\d-\d\d)</td>", part)
    assert rows == [("2024-01-01", "2024-01-14"), ("2024-01-15", "2024-01-28"), ("2024-01-29", "2024-02-11")]
    assert "70%" in part and "95%" in part
    assert 'href="https://jira.example.com/board/3?sprint=2"' in part
    assert "2021-01-04" not in part
    productivity = response.context["productivity"]
    assert productivity.since == D(2021, 3, 1)
    assert [series.trend for series in productivity.series] == ["rising"]


def test_a_falling_measure_and_a_named_one_each_get_their_chart(client, org):
    record(org, D(2024, 1, 1), "20")
    record(org, D(2024, 1, 15), "15")
    grade_services.delivery_fact_record(
        employee=org["dev"], by=org["hr"], period_start=D(2024, 1, 1), period_end=D(2024, 3, 31),
        measure="Incidents resolved", value=Decimal(12), unit="incidents",
    )
    review = requested(org)
    client.force_login(org["hr"])
    part = section(client.get(f"/reviews/{review.pk}/").content.decode())
    assert part.count('data-testid="delivery-chart"') == 2
    assert 'data-trend="falling"' in part
    assert "Incidents resolved" in part and "12 incidents" in part
    # One period of a measure: a point, no line, and no trend yet.
    assert part.count("<polyline") == 1 and "no trend yet" in part


def test_a_steady_good_level_says_so(client, org):
    for start in (D(2024, 1, 1), D(2024, 1, 15), D(2024, 1, 29)):
        record(org, start, "18")
    review = requested(org)
    client.force_login(org["hr"])
    part = section(client.get(f"/reviews/{review.pk}/").content.decode())
    assert 'data-trend="steady"' in part and "every period at or above 80% done" in part


def test_no_facts_recorded(client, org):
    review = requested(org)
    client.force_login(org["hr"])
    part = section(client.get(f"/reviews/{review.pk}/").content.decode())
    assert "No facts recorded" in part
    assert "<svg" not in part and "<table" not in part


def test_the_packet_speaks_russian(client, org):
    record(org, D(2024, 1, 1), "14")
    review = requested(org)
    client.force_login(org["hr"])
    client.cookies["django_language"] = "ru"
    # The page switches the language of the thread; the override gives the tests after this one theirs back.
    with translation.override("en"):
        part = section(client.get(f"/reviews/{review.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode())
    assert "Продуктивность" in part and "Выполнение спринта" in part
