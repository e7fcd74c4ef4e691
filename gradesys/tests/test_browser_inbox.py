"""
The team lead's inbox in a real browser: from a waiting claim in the inbox to the claim on the
person's page, confirmed there, and back to the inbox, with the machinery (and the strictness
about Chromium being there) of grades/tests/test_browser.py.
"""

from __future__ import annotations

import pytest

from grades.models import Evidence, EvidenceStatus
from grades.tests.test_browser import (  # noqa: F401  (fixtures used by name)
    PASSWORD,
    browser,
    live_server,
    new_page,
)
from grades.tests.test_employee_counts import claim, next_line
from reviews.tests.factories import organisation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_lead_follows_a_waiting_claim_from_the_inbox_and_confirms_it(new_page):
    org = organisation()
    dev, lead = org["dev"], org["lead"]
    evidence = claim(dev, next_line(dev))
    stranger = claim(org["other_dev"], next_line(org["other_dev"]))
    item = f"#req-{evidence.requirement_id}"

    # Signing in lands on the inbox, which lists the claim of the lead's person only.
    page = new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", lead.user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith("/")
    claims = page.get_by_test_id("lead-claims")
    assert claims.locator("li").count() == 1
    assert page.locator(f"[data-claim='{stranger.pk}']").count() == 0

    # One click: the person's page, scrolled to the claim's line.
    with page.expect_navigation():
        claims.locator(f"[data-claim='{evidence.pk}'] a").click()
    assert page.url.endswith(f"/people/{dev.pk}/{item}")
    assert page.evaluate("() => document.querySelector(':target') && document.querySelector(':target').id") == item[1:]
    assert page.get_attribute(item, "data-state") == "claimed"
    page.fill(f"{item} .decide-form textarea[name=comment]", "Seen it in production")
    with page.expect_navigation() as decided:
        page.click(f"{item} .decide-form button[value=confirm]")
    assert decided.value.status == 200
    assert page.get_attribute(item, "data-state") == "confirmed"
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.CONFIRMED and evidence.decided_by_id == lead.user_id

    # The way back: the menu's inbox, where nothing waits any more.
    with page.expect_navigation():
        page.click("header nav a[data-nav=inbox]")
    assert page.url.endswith("/")
    assert page.get_by_test_id("claims-total").inner_text() == "0"
    assert page.locator("[data-claim]").count() == 0
    assert Evidence.objects.get(pk=stranger.pk).status == EvidenceStatus.CLAIMED
