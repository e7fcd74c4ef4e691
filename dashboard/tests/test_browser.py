"""The dashboard in Chromium as HR, at a desktop and a phone size: the charts fit the screen,
no script or style breaks the Content-Security-Policy, and a table shows the database's counts."""

from __future__ import annotations

import pytest

from dashboard.tests.factories import organisation
from grades.models import Employee
# The browser, the live server and the page factory (with its CSP check) of the grades app's tests.
from grades.tests.test_browser import browser, live_server, new_page, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def test_hr_reads_the_dashboard_on_a_desktop_and_a_phone(new_page):
    org = organisation()
    expected = {
        "Back-end developer": Employee.objects.filter(left_on__isnull=True, track__slug="backend").count(),
        "Full-stack developer": Employee.objects.filter(left_on__isnull=True, track__slug="fullstack").count(),
    }
    for size, (width, height) in SIZES.items():
        page = new_page()
        page.set_viewport_size({"width": width, "height": height})
        sign_in(page, org["hr"])
        page.goto("/dashboard/")
        rows = page.locator("table[data-figure=by-track] tbody tr")
        found = {}
        for index in range(rows.count()):
            cells = rows.nth(index).locator("th, td").all_inner_texts()
            found[cells[0].strip()] = int(cells[-1])
        assert found == expected, size
        # Every chart is drawn and fits the screen's width.
        charts = page.locator("svg.chart")
        assert charts.count() >= 8
        for index in range(charts.count()):
            box = charts.nth(index).bounding_box()
            assert box is not None and box["width"] > 0 and box["x"] + box["width"] <= width + 1, (size, index)
        # The chart's name for screen readers.
        assert page.locator("svg[data-chart=by-track] title").first.text_content() == "Levels per track"
