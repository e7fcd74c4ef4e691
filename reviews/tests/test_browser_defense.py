"""
The whole defense in a real browser, on the demo organisation: Playwright drives Debian's
Chromium against pytest-django's live server, with the machinery (and the strictness about
Chromium being there) of grades/tests/test_browser.py.

The demo is seeded with a reference date in the past, so that the candidate's defense, held
on that date at the latest, has come for the server's clock: the committee can vote and HR
can decide.
"""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from grades.models import Employee, GrowthGoal
from grades.tests.test_browser import (  # noqa: F401  (fixtures used by name)
    ARTIFACTS,
    PASSWORD,
    browser,
    live_server,
    new_page,
)
from reviews.models import PromotionReview, RelationsAssessment, ReviewStatus, Vote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TODAY = datetime.date(2025, 6, 30)
SECTIONS = ("packet-skills", "packet-productivity", "packet-relations", "packet-reading", "packet-statement",
            "packet-plan")  # fmt: skip


@pytest.fixture
def demo():
    """A small demo organisation; dev's defense scheduled and held on the reference date."""
    call_command("seed_demo", employees=20, today=TODAY.isoformat(), password=PASSWORD, stdout=StringIO())
    dev = Employee.objects.get(user__username="dev")
    review = PromotionReview.objects.open().get(candidate=dev)
    assert review.status == ReviewStatus.SCHEDULED
    assert review.scheduled_for.date() <= TODAY, "the demo holds dev's defense by the reference date"
    return review


def sign_in(new_page, username: str):
    page = new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/login/" not in page.url, f"sign-in of {username} failed"
    return page


def open_review(page, review):
    response = page.goto(f"/reviews/{review.pk}/")
    assert response.status == 200
    return page


def test_the_whole_defense_from_the_packet_to_the_decision(new_page, demo):
    review = demo
    goal = GrowthGoal.objects.filter(employee=review.candidate).order_by("id").first()
    assert goal is not None

    # The candidate reads their statement and their growth plan on the review.
    dev = open_review(sign_in(new_page, "dev"), review)
    assert review.statement in dev.locator("#packet-statement").inner_text()
    plan = dev.locator("#packet-plan")
    assert goal.text in plan.inner_text()
    assert plan.locator("li.goal").count() >= 2

    # HR sees all six sections of the packet, each with content.
    hr = open_review(sign_in(new_page, "hr"), review)
    for section in SECTIONS:
        box = hr.locator(f"#{section}")
        assert box.count() == 1, section
        assert box.is_visible(), section
        heading = box.locator("h2, h3").first.inner_text()
        assert len(box.inner_text().strip()) > len(heading) + 10, section
    assert "/" in hr.get_by_test_id("packet-progress").inner_text()
    assert "%" in hr.locator("#packet-productivity").inner_text()
    assert "books read" in hr.get_by_test_id("packet-reading-figures").inner_text()
    assert hr.locator("#packet-relations [data-testid=assessment-hr]").count() == 1

    # HR records (revises) the team relations assessment.
    form = hr.locator("#relations-hr")
    form.locator("input[name='hr-rating'][value='5']").check()
    form.locator("textarea[name='hr-note']").fill("Runs the team's retrospectives; everyone speaks up.")
    with hr.expect_navigation() as saved:
        form.locator("button[type=submit]").click()
    assert saved.value.status == 200
    assert "Runs the team's retrospectives" in hr.get_by_test_id("assessment-hr").inner_text()
    latest = RelationsAssessment.objects.filter(review=review, role="hr").order_by("-revision").first()
    assert (latest.rating, latest.author.username) == (5, "hr") and latest.revision >= 2

    # The four committee members vote (or change a vote cast earlier), one with notes.
    members = dict(review.seats.values_list("role", "member__username"))
    assert len(members) == 4
    for role, username in sorted(members.items()):
        page = open_review(sign_in(new_page, username), review)
        vote = page.locator("#vote")
        vote.locator("input[name=value][value=approve]").check()
        vote.locator("textarea[name=comment]").fill(f"Ready, says the {role} seat.")
        if role == "cto":
            vote.locator("textarea[name=note_skills]").fill("Designed the queue consumer end to end.")
            vote.locator("textarea[name=note_productivity]").fill("Completion rising for four sprints.")
        with page.expect_navigation() as voted:
            vote.locator("button[type=submit]").click()
        assert voted.value.status == 200, username
    votes = {v.seat.role: v for v in Vote.objects.filter(seat__review=review).select_related("seat")}
    assert set(votes) == set(members) and all(v.value == "approve" for v in votes.values())
    assert votes["cto"].notes == {
        "skills": "Designed the queue consumer end to end.", "productivity": "Completion rising for four sprints.",
    }

    # HR records the decision with its reasons.
    hr.reload()
    decide = hr.locator("#decide")
    assert "passes" in decide.inner_text()
    decide.locator("textarea[name=note]").fill("Promoted: the examples cover the level.")
    decide.locator("textarea[name=reason_relations]").fill("Colleagues and both assessments speak well of them.")
    with hr.expect_navigation() as decided:
        decide.locator("button[type=submit]").click()
    assert decided.value.status == 200
    review.refresh_from_db()
    assert review.status == ReviewStatus.PASSED
    assert review.decision_reasons == {"relations": "Colleagues and both assessments speak well of them."}
    assert hr.get_by_test_id("review-status").text_content().strip() == "Passed"
    assert hr.get_by_test_id("packet-frozen").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    hr.screenshot(path=str(ARTIFACTS / "defense-decided.png"), full_page=True)
    assert (ARTIFACTS / "defense-decided.png").stat().st_size > 0

    # The candidate reads the outcome and the reasons, and not who voted how.
    dev.reload()
    assert "Promoted: the examples cover the level." in dev.get_by_test_id("decision-note").inner_text()
    reasons = dev.get_by_test_id("decision-reasons").inner_text()
    assert "Relations in the team" in reasons and "speak well of them" in reasons
    html = dev.content()
    assert dev.locator("[data-testid=vote], [data-testid=vote-notes], [data-action=voted]").count() == 0
    assert "Designed the queue consumer" not in html and "says the" not in html


def test_the_session_page_shows_the_candidates_side_by_side(new_page, demo):
    review = demo
    assert review.session_id is not None, "the demo puts the defenses of the quarter in a session"
    others = PromotionReview.objects.filter(session_id=review.session_id).exclude(pk=review.pk)
    assert others.exists()
    page = sign_in(new_page, "hr")
    assert page.goto(f"/reviews/sessions/{review.session_id}/").status == 200
    rows = page.locator("[data-testid=session-candidates] tbody tr[data-review]")
    shown = {int(rows.nth(i).get_attribute("data-review")) for i in range(rows.count())}
    assert review.pk in shown and shown & set(others.values_list("pk", flat=True))
    row = page.locator(f"[data-testid=session-candidates] tr[data-review='{review.pk}']")
    for cell in ("skills", "productivity"):
        assert row.locator(f"td[data-cell={cell}]").inner_text().strip(), cell
    assert "%" in row.locator("td[data-cell=productivity]").inner_text()
    assert str(review.candidate) in row.inner_text()
