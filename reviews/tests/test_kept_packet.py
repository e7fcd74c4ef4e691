"""Every part of the packet is kept at the decision (reviews.selectors.packet_freeze,
packet_from_snapshot, kept_relations) and a decided review's page shows each as kept,
whatever changes in the live data afterwards; packets kept before a part was show it from
today's data, labelled so."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from markupsafe import escape

from grades import services as grade_services
from grades.models import Book, GrowthGoal
from grades.selectors import employee_progress
from reviews import services
from reviews.models import FeedbackRequest, PacketSnapshot, RelationsAssessment
from reviews.services import ReviewError
from reviews.tests.factories import db_state, organisation, scheduled, user_of, voted

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def org():
    return organisation()


def section(html: str, section_id: str) -> str:
    found = re.search(rf'<section[^>]* id="{section_id}".*?</section>', html, re.S)
    assert found, f"{section_id} is on the page"
    return found.group(0)


def page_section(client, person, review, section_id: str) -> str:
    client.force_login(user_of(person))
    response = client.get(f"/reviews/{review.pk}/")
    assert response.status_code == 200
    return section(response.content.decode(), section_id)


def decide(org, review):
    return services.review_decide(review=review, by=org["hr"], note="Well defended")


def record(org, start: D, done: str, committed: str = "20", **extra):
    return grade_services.delivery_fact_record(
        employee=org["dev"], by=org["lead"].user, period_start=start, period_end=start + datetime.timedelta(days=13),
        committed=Decimal(committed), done=Decimal(done), **extra,
    )


def book_of(level_code: str) -> Book:
    return Book.objects.filter(track_level__track__slug="backend", track_level__level__code=level_code).order_by(
        "position", "id").first()


# --- Productivity ------------------------------------------------------------------------------------


def test_the_kept_productivity_does_not_follow_facts_recorded_or_corrected_later(client, org):
    first = record(org, D(2024, 1, 1), "14")
    record(org, D(2024, 1, 15), "16", link="https://jira.example.com/board/3?sprint=2")
    review = voted(org)
    seen = page_section(client, org["hr"], review, "packet-productivity")
    decide(org, review)
    kept = page_section(client, org["hr"], review, "packet-productivity")
    assert kept == seen
    assert "70%" in kept and 'data-trend="rising"' in kept and kept.count("<circle") == 2

    grade_services.delivery_fact_correct(fact=first, by=org["lead"].user, reason="Miscounted",
                                         period_start=D(2024, 1, 1), period_end=D(2024, 1, 14),
                                         committed=Decimal("20"), done=Decimal("3"))
    record(org, D(2024, 1, 29), "2")
    for who in ("hr", "dev", "cto"):
        assert page_section(client, org[who], review, "packet-productivity") == kept, who
    assert "15%" not in kept and "10%" not in kept


# --- Team relations ----------------------------------------------------------------------------------


def relations_before_decision(org):
    review = scheduled(org)
    services.relations_assess(review=review, by=org["hr"], role="hr", rating=4, note="Helps newcomers.")
    services.relations_assess(review=review, by=org["lead"].user, role="team_lead", rating=3, note="First take.")
    services.relations_assess(review=review, by=org["lead"].user, role="team_lead", rating=5, note="Second take.")
    asked = services.feedback_ask(review=review, by=org["hr"], colleague=org["colleague"])
    services.feedback_answer(feedback_request=asked, by=org["colleague"].user, text="Always ready to help.", rating=5)
    return voted(org, review), asked


def test_the_kept_relations_do_not_follow_later_changes_and_a_later_assessment_is_refused(client, org):
    review, asked = relations_before_decision(org)
    decide(org, review)
    kept = {who: page_section(client, org[who], review, "packet-relations") for who in ("hr", "cto", "dev")}
    assert "Second take." in kept["hr"] and "Always ready to help." in kept["hr"]
    assert escape(str(org["colleague"])) in kept["hr"]

    # After the decision the relations are closed: a new assessment or request is refused.
    before = db_state(), list(RelationsAssessment.objects.values()), list(FeedbackRequest.objects.values())
    with pytest.raises(ReviewError):
        services.relations_assess(review=review, by=org["hr"], role="hr", rating=1, note="Changed my mind.")
    with pytest.raises(ReviewError):
        services.feedback_ask(review=review, by=org["hr"], colleague=org["other_dev"])
    after = db_state(), list(RelationsAssessment.objects.values()), list(FeedbackRequest.objects.values())
    assert after == before
    # What changes outside the review (a name) does not change the kept packet either.
    type(org["hr"]).objects.filter(pk=org["colleague"].user_id).update(first_name="Renamed")
    type(org["hr"]).objects.filter(pk=org["lead"].user_id).update(last_name="Married")
    for who, html in kept.items():
        assert page_section(client, org[who], review, "packet-relations") == html, who


def test_the_kept_relations_show_names_by_todays_rules(client, org):
    review, asked = relations_before_decision(org)
    decide(org, review)
    colleague = escape(str(org["colleague"]))

    hr = page_section(client, org["hr"], review, "packet-relations")
    assert colleague in hr and "Always ready to help." in hr and f'data-request="{asked.pk}"' in hr
    assert 'data-testid="assessment-earlier"' in hr and "First take." in hr

    candidate = page_section(client, org["dev"], review, "packet-relations")
    # The candidate reads the assessments once decided, never who was asked nor what they said.
    assert "Second take." in candidate and "Helps newcomers." in candidate
    assert colleague not in candidate and "Always ready to help." not in candidate
    assert 'data-testid="feedback-request"' not in candidate

    # The committee reads who said what, as HR does.
    committee = page_section(client, org["cto"], review, "packet-relations")
    assert colleague in committee and "Always ready to help." in committee
    assert "<form" not in hr + candidate + committee


# --- Books read -----------------------------------------------------------------------------------------


def test_the_kept_books_read_do_not_follow_books_marked_later(client, org):
    dev, lead = org["dev"], org["lead"]
    waiting, later = book_of("middle"), book_of("middle-plus")
    marked = grade_services.book_mark_read(employee=dev, book=waiting, note="Patterns in practice", by=dev.user)
    review = voted(org)
    seen = page_section(client, org["hr"], review, "packet-reading")
    decide(org, review)
    kept = page_section(client, org["hr"], review, "packet-reading")
    assert kept == seen
    assert f'data-book="{waiting.pk}" data-state="read"' in kept
    assert f'data-book="{later.pk}" data-state="unread"' in kept

    grade_services.book_mark_read(employee=dev, book=later, note="Read after the defense", by=dev.user)
    grade_services.book_acknowledge(reading=marked, by=lead.user)
    for who in ("hr", "dev"):
        assert page_section(client, org[who], review, "packet-reading") == kept, who


# --- Statement and growth plan ------------------------------------------------------------------------


def test_the_kept_statement_is_the_one_decided_on(client, org):
    review = voted(org)
    decide(org, review)
    kept = page_section(client, org["dev"], review, "packet-statement")
    assert escape(review.statement) in kept
    type(review).objects.filter(pk=review.pk).update(statement="Written after the decision")
    assert page_section(client, org["dev"], review, "packet-statement") == kept


def test_the_kept_plan_does_not_follow_goals_edited_or_marked_done_later(client, org):
    dev = org["dev"]
    lines = [item.requirement for item in employee_progress(dev).unmet][:2]
    goals = [
        grade_services.growth_goal_add(
            employee=dev, requirement=requirement, text=f"Goal on line {requirement.pk}",
            link="https://wiki.example.com/goal", due_on=timezone.localdate() + datetime.timedelta(days=20),
            by=dev.user,
        )
        for requirement in lines
    ]
    review = voted(org)
    seen = page_section(client, org["hr"], review, "packet-plan")
    decide(org, review)
    kept = page_section(client, org["hr"], review, "packet-plan")
    assert kept == seen
    assert all(f'data-requirement="{goal.requirement_id}"' in kept for goal in goals)
    assert "https://wiki.example.com/goal" in kept and 'class="goal done"' not in kept

    grade_services.growth_goal_edit(goal=goals[0], text="Reworded after the decision", by=dev.user)
    grade_services.growth_goal_mark(goal=GrowthGoal.objects.get(pk=goals[1].pk), done=True, by=org["lead"].user)
    for who in ("hr", "dev", "lead"):
        assert page_section(client, org[who], review, "packet-plan") == kept, who


# --- The format -------------------------------------------------------------------------------------------


def test_every_part_is_kept_under_its_own_key_as_plain_json(org):
    record(org, D(2024, 1, 1), "14")
    review, _asked = relations_before_decision(org)
    decide(org, review)
    data = PacketSnapshot.objects.get(review=review).data
    assert data["schema"] == 1
    assert {"productivity", "relations", "reading", "statement", "plan"} <= set(data)
    assert data["productivity"]["facts"][0]["figure"] == str(Decimal("70"))
    assert [row["note"] for row in data["relations"]["assessments"]] == [
        "Helps newcomers.", "First take.", "Second take."]
    assert data["relations"]["requests"][0]["colleague"] == str(org["colleague"])
    assert data["statement"] == review.statement


def test_a_packet_kept_before_the_other_parts_still_renders_them_from_today_labelled(client, org):
    record(org, D(2024, 1, 1), "14")
    review, _asked = relations_before_decision(org)
    decide(org, review)
    snapshot = PacketSnapshot.objects.get(review=review)
    old = {key: value for key, value in snapshot.data.items()
           if key not in ("productivity", "relations", "reading", "statement", "plan")}
    PacketSnapshot.objects.filter(pk=snapshot.pk)._raw_delete(PacketSnapshot.objects.db)
    PacketSnapshot.objects.create(review=review, taken_at=snapshot.taken_at, data=old)

    client.force_login(org["hr"])
    response = client.get(f"/reviews/{review.pk}/")
    assert response.status_code == 200
    assert response.context["packet_frozen"]
    assert response.context["packet_sections_not_kept"] == ["productivity", "relations", "reading", "plan"]
    html = response.content.decode()
    for section_id in ("packet-productivity", "packet-relations", "packet-reading", "packet-plan"):
        assert 'data-testid="section-not-kept"' in section(html, section_id), section_id
    assert 'data-testid="section-not-kept"' not in section(html, "packet-statement")
    assert escape(review.statement) in section(html, "packet-statement")
    assert "70%" in section(html, "packet-productivity")
    assert "Always ready to help." in section(html, "packet-relations")
    # The new packets are not labelled.
    client.force_login(user_of(org["dev"]))
    candidate = client.get(f"/reviews/{review.pk}/").content.decode()
    assert "Always ready to help." not in candidate
