"""Each chart's report link carries the dashboard's filters, and the report's rows agree with the table."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections import Counter
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from dashboard.tests.factories import organisation

# The links are followed: on MariaDB a report reads through a connection of its own,
# which sees committed rows only.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def org():
    return organisation()


def links(html: str) -> dict[str, str]:
    """{figure key: the href of its report link}."""
    found = {}
    for key, section in re.findall(r'<section class="card figure" id="([^"]+)"(.*?)</section>', html, re.S):
        href = re.search(r'<p class="csv"><a href="([^"]+)" data-report=', section)
        if href:
            found[key] = unescape(href.group(1))
    return found


def report(client, href: str) -> list[dict]:
    response = client.get(href)
    assert response.status_code == 200, (href, response.content[:500])
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body), delimiter=";"))


def table(response, key) -> tuple[list[str], dict]:
    figure = next(f for f in response.context["figures"] if f.key == key)
    return figure.headers, {row[0]: row[1:] for row in figure.rows}


def test_every_link_carries_the_track_the_lead_and_the_period(client, org):
    client.force_login(org["hr"])
    lead = org["big"].pk
    today = timezone.localdate()
    start = today - datetime.timedelta(days=90)
    response = client.get(f"/dashboard/?track=backend&lead={lead}&date_from={start:%Y-%m-%d}&date_to={today:%Y-%m-%d}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "not narrowed" not in html and "filter by request" not in html
    hrefs = links(html)
    assert set(hrefs) == {f.key for f in response.context["figures"]}
    period = {"date_from": [f"{start:%Y-%m-%d}"], "date_to": [f"{today:%Y-%m-%d}"]}
    for key, href in hrefs.items():
        url = urlsplit(href)
        query = parse_qs(url.query, keep_blank_values=True)
        name = url.path.removeprefix("/exports/").removesuffix(".csv")
        expected = {"track": ["backend"]}
        if name != "salary-bands":  # bands are no one's
            expected["lead"] = [str(lead)]
        if name in ("grade-history", "reviews"):
            expected.update(period)
        if name == "reviews":
            expected["dates"] = ["decided"]  # the defenses decided in the period
        assert query == expected, key
        report(client, href)  # every link answers with its CSV


@pytest.mark.parametrize("query", ["", "track=fullstack", "lead={big}", "lead={small}&track=backend"])
def test_the_reports_behind_the_links_hold_the_tables_numbers(client, org, query):
    client.force_login(org["hr"])
    query = query.format(big=org["big"].pk, small=org["small"].pk)
    response = client.get(f"/dashboard/?{query}")
    assert response.status_code == 200
    hrefs = links(response.content.decode())

    # Levels per team lead against the people report filtered the same way: people per level.
    headers, rows = table(response, "by-lead")
    roster = report(client, hrefs["by-lead"])
    assert hrefs["by-track"] == hrefs["by-lead"]
    from_table = Counter()
    for cells in rows.values():
        for level, people in zip(headers[1:-1], cells[:-1]):
            from_table[level] += people
    assert +from_table == Counter(row["level"] for row in roster)
    assert sum(cells[-1] for cells in rows.values()) == len(roster)
    # Time in level covers the same people.
    assert sum(cells[0] for cells in table(response, "in-level")[1].values()) == len(roster)

    # Defense outcomes against the reviews decided in the period.
    _headers, rows = table(response, "outcomes")
    reviews = report(client, hrefs["outcomes"])
    assert {level: cells[:2] for level, cells in rows.items()} == {
        level: [sum(1 for r in reviews if r["to_level"] == level and r["status"] == status) for status in ("passed", "failed")]
        for level in {r["to_level"] for r in reviews}
    }

    # Promotions per quarter against the ledger's promotions of the period.
    _headers, rows = table(response, "promotions")
    ledger = report(client, hrefs["promotions"])
    assert sum(cells[0] for cells in rows.values()) == sum(1 for r in ledger if r["kind"] == "promotion")


def test_a_managers_links_carry_the_lead_too(client, org):
    client.force_login(org["manager"])
    response = client.get(f"/dashboard/?lead={org['big'].pk}")
    assert response.status_code == 200
    hrefs = links(response.content.decode())
    assert hrefs and all(f"lead={org['big'].pk}" in href for href in hrefs.values())
    _headers, rows = table(response, "by-lead")
    assert [cells[-1] for cells in rows.values()] == [len(report(client, hrefs["by-lead"]))]
