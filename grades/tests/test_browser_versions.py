"""
In Chromium: a framework's version history from the ladder page, and a confirmation given against
an earlier wording confirmed again by the team lead (the progress bar follows).
"""

from __future__ import annotations

import datetime

import pytest
import yaml

from grades import services
from grades.versions import load_framework
from grades.models import Evidence, Requirement
from grades.tests.factories import hire
from grades.tests.test_browser import browser, done_count, live_server, new_page, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LADDER = [
    "junior", "junior-plus", "junior-plus-plus",
    "middle", "middle-plus", "middle-plus-plus",
    "senior", "senior-plus", "senior-plus-plus",
]  # fmt: skip


def framework(plan_text: str, *, reconfirm: bool = False) -> dict:
    data = {
        "schema": 1,
        "track": {"slug": "qa-browser", "name": "QA browser"},
        "levels": [{"level": code, "requirements": []} for code in LADDER],
    }
    plan = {"key": "plan", "category": "practice", "text": plan_text, "text_en": plan_text}
    if reconfirm:
        plan["reconfirm"] = True
    data["levels"][1]["requirements"] = [
        plan,
        {"key": "tests", "category": "hard_skill", "text": "Пишет тесты", "text_en": "Writes tests"},
    ]
    return data


def load(tmp_path, data, name):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_framework(path)


def test_versions_and_confirming_again(new_page, tmp_path):  # noqa: F811
    load(tmp_path, framework("Plans own work"), "qa-1.yaml")
    lead = hire(level_code="senior", track_slug="qa-browser", roles=["Team lead", "Developer"])
    dev = hire(level_code="junior", track_slug="qa-browser", team_lead=lead, hire_date=datetime.date(2022, 1, 10))
    plan = Requirement.objects.get(track__slug="qa-browser", key="plan")
    evidence = services.evidence_claim(employee=dev, requirement=plan, description="Weekly plans", by=dev.user)
    services.evidence_decide(evidence=evidence, confirm=True, by=lead.user)
    load(tmp_path, framework("Plans own work and flags risks early", reconfirm=True), "qa-2.yaml")
    item = f"#req-{plan.pk}"

    # The ladder page leads to the versions; the latest difference shows by itself.
    page = new_page()
    sign_in(page, lead.user)
    page.goto("/tracks/qa-browser/")
    with page.expect_navigation():
        page.get_by_test_id("versions-link").click()
    assert page.url.endswith("/tracks/qa-browser/versions/")
    assert page.locator("table.versions tbody tr[data-version]").count() == 2
    change = page.locator("#diff li.change[data-key=plan]")
    assert change.get_attribute("data-sign") == "~"
    assert "Plans own work and flags risks early" in change.inner_text()
    page.select_option("#from", "2")
    page.select_option("#to", "1")
    with page.expect_navigation():
        page.click("form.compare button[type=submit]")
    assert "from=2" in page.url and "to=1" in page.url
    assert page.locator("#diff li.change[data-key=plan] .now").inner_text().endswith("Plans own work")

    # The confirmation was given against the earlier wording: it does not count until confirmed again.
    page.goto(f"/people/{dev.pk}/")
    assert page.get_attribute(item, "data-state") == "reconfirm"
    done_before, total, _label = done_count(page)
    assert (done_before, total) == (0, 2)
    with page.expect_navigation() as response:
        page.click(f"{item} .reconfirm-form button[value=confirm]")
    assert response.value.status == 200
    assert page.get_attribute(item, "data-state") == "confirmed"
    assert done_count(page)[:2] == (1, 2)
    evidence = Evidence.objects.get(pk=evidence.pk)
    assert not evidence.reconfirm_needed and evidence.decided_version.number == 2
