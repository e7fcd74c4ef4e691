"""
In Chromium: the people list fits a laptop screen (1280 px) without scrolling sideways, and on a
phone (390 px) each row is a card of labelled lines. Screenshots go to test-artifacts/ (not kept
in the repository).
"""

from __future__ import annotations

import datetime

import pytest

from grades import services
from grades.models import Level
from grades.tests.factories import UserFactory, hire
from grades.tests.test_browser import (  # noqa: F401  (fixtures used by name)
    ARTIFACTS,
    CSP_RECORDER,
    browser,
    live_server,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# How wide the page is against the window, and whether the table scrolls inside its box.
MEASURE = """() => {
  const table = document.querySelector('table.people');
  const wrap = table.closest('.table-wrap');
  return {
    page: document.documentElement.scrollWidth,
    window: window.innerWidth,
    table: Math.ceil(table.getBoundingClientRect().right),
    wrapScroll: wrap.scrollWidth, wrapBox: wrap.clientWidth,
  };
}"""

# On a phone: each row's display, its width, and the label shown before each of its cells.
CARDS = """() => {
  const row = document.querySelector('table.people tbody tr');
  const head = document.querySelector('table.people thead');
  return {
    display: getComputedStyle(row).display,
    right: Math.ceil(row.getBoundingClientRect().right),
    headHeight: head.getBoundingClientRect().height,
    labels: [...row.querySelectorAll('td')].map(td => getComputedStyle(td, '::before').content),
  };
}"""


@pytest.fixture
def sized_page(browser, live_server):  # noqa: F811
    """sized_page(viewport) -> a page of that size in a fresh context; CSP violations fail the test."""
    contexts = []

    def make(viewport):
        context = browser.new_context(base_url=live_server.url, locale="en-US", viewport=viewport)
        context.set_default_timeout(15_000)
        context.add_init_script(CSP_RECORDER)
        contexts.append(context)
        return context.new_page()

    yield make
    violations = []
    for context in contexts:
        for page in context.pages:
            violations += page.evaluate("() => window.__cspViolations || []")
        context.close()
    assert violations == [], violations


@pytest.fixture
def long_team():
    """A team lead with reports whose names, tracks and trail are long enough to stretch a table."""
    lead = hire(level_code="senior", roles=["Team lead", "Developer"])
    names = [
        ("Maximiliana-Konstantina", "Vasilevskaya-Rimskaya-Korsakova-Trubetskaya"),
        ("Bartholomew", "Featherstonehaugh-Cholmondeley"),
        ("Ана", "Шварценеггер-Преображенская"),
        ("Li", "Xu"),
    ]
    for first, last in names:
        hire(level_code="middle", team_lead=lead, user=UserFactory(first_name=first, last_name=last))
    dev = hire(level_code="junior-plus", team_lead=lead,
               user=UserFactory(first_name="Supercalifragilisticexpialidocious" * 2, last_name="Dev"))
    hr = UserFactory(roles=["HR"], is_staff=True)
    # A correction with a long, unbroken link as its reason: a line of the trail.
    services.grade_change_record(
        employee=dev, kind="correction", effective_date=datetime.date(2023, 1, 10),
        level=Level.objects.get(ladder_id=dev.current_level.ladder_id, code="middle"),
        reason="https://wiki.example.com/" + "very-long-page-name-" * 12, by=hr,
    )
    return lead, dev, hr


def test_the_people_list_fits_a_laptop_and_is_cards_on_a_phone(sized_page, long_team):
    lead, dev, hr = long_team
    ARTIFACTS.mkdir(exist_ok=True)

    page = sized_page(LAPTOP)
    sign_in(page, lead.user)
    page.goto("/people/")
    size = page.evaluate(MEASURE)
    assert size["page"] <= 1280 and size["table"] <= 1280, size
    assert size["wrapScroll"] <= size["wrapBox"], size  # the table fits its box: no scrolling inside
    assert page.evaluate("() => getComputedStyle(document.querySelector('table.people tbody tr')).display") == "table-row"
    page.screenshot(path=str(ARTIFACTS / "people-1280.png"), full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    size = page.evaluate(MEASURE)
    assert size["page"] <= 390, size  # no sideways scrolling on a phone
    cards = page.evaluate(CARDS)
    assert cards["display"] == "block" and cards["right"] <= 390, cards
    assert cards["headHeight"] <= 1, cards  # the heading row is only for screen readers now
    assert cards["labels"] == [
        '"Name"', '"Track"', '"Level"', '"In level"', '"Next level checklist"', '"Waiting claims"', '"Earliest defense"',
        '"Open review"',
    ], cards
    page.screenshot(path=str(ARTIFACTS / "people-390.png"), full_page=True)
    assert (ARTIFACTS / "people-390.png").stat().st_size > 0


def test_the_trail_fits_a_laptop_and_a_phone(sized_page, long_team):
    lead, dev, hr = long_team
    for viewport in (LAPTOP, PHONE):
        page = sized_page(viewport)
        sign_in(page, hr)
        page.goto(f"/people/{dev.pk}/trail/")
        size = page.evaluate(MEASURE)
        assert size["page"] <= viewport["width"], (viewport, size)
        assert size["wrapScroll"] <= size["wrapBox"], (viewport, size)
        page.screenshot(path=str(ARTIFACTS / f"trail-{viewport['width']}.png"), full_page=True)


def test_the_reviews_list_fits_a_laptop_and_a_phone(sized_page):
    from reviews.tests.factories import organisation, requested, scheduled

    org = organisation()
    scheduled(org)
    requested(org, candidate=org["other_dev"], by=org["other_lead"].user)
    for viewport in (LAPTOP, PHONE):
        page = sized_page(viewport)
        sign_in(page, org["hr"])
        page.goto("/reviews/")
        assert page.locator("table.people tbody tr[data-review]").count() == 2
        size = page.evaluate(MEASURE)
        assert size["page"] <= viewport["width"], (viewport, size)
        assert size["wrapScroll"] <= size["wrapBox"], (viewport, size)
        page.screenshot(path=str(ARTIFACTS / f"reviews-{viewport['width']}.png"), full_page=True)
