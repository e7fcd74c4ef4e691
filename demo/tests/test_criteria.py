"""Tests of the defense's other criteria in the demo (demo/criteria.py and what demo/reviews.py
writes of them) as `manage.py seed_demo` creates them."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from demo import criteria
from demo import people as grades_demo
from demo import reviews as review_demo
from grades.models import BookReading, DeliveryFact, Employee, Evidence, EvidenceStatus, GrowthGoal
from reviews import rules
from reviews.models import (
    FeedbackAnswer, FeedbackRequest, PacketSnapshot, PromotionReview, RelationsAssessment, ReviewStatus, Vote,
)
from reviews.selectors import packet_from_snapshot

pytestmark = pytest.mark.django_db

User = get_user_model()
TODAY = datetime.date(2025, 6, 30)
END_OF_TODAY = datetime.datetime.combine(TODAY, datetime.time(15), tzinfo=datetime.timezone.utc)


def seed(**options) -> str:
    options.setdefault("employees", 80)
    options.setdefault("today", TODAY.isoformat())
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded() -> str:
    return seed()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (DeliveryFact, BookReading, GrowthGoal, RelationsAssessment, FeedbackRequest, FeedbackAnswer,
                      PacketSnapshot)
    }  # fmt: skip


def test_every_review_has_a_statement_and_failed_decisions_give_reasons(seeded):
    assert not PromotionReview.objects.filter(statement="").exists()
    assert PromotionReview.objects.values("statement").distinct().count() > 1
    failed = list(PromotionReview.objects.filter(status=ReviewStatus.FAILED))
    assert failed and all(review.decision_reasons for review in failed)
    passed = list(PromotionReview.objects.filter(status=ReviewStatus.PASSED))
    assert any(review.decision_reasons for review in passed) and any(not r.decision_reasons for r in passed)
    for review in failed + passed:
        assert set(review.decision_reasons) <= set(rules.CRITERION_KEYS)
        assert rules.decision_reasons_refusal(
            passed=review.status == ReviewStatus.PASSED, note=review.decision_note, reasons=review.decision_reasons
        ) is None


def test_votes_carry_notes_per_criterion_and_none_is_cast_before_the_defense_day(seeded):
    notes = [vote.notes for vote in Vote.objects.all()]
    assert any(notes) and any(not n for n in notes)
    assert all(set(n) <= set(rules.CRITERION_KEYS) and all(n.values()) for n in notes)
    for vote in Vote.objects.select_related("seat__review"):
        assert vote.seat.review.scheduled_for <= vote.cast_at <= END_OF_TODAY


def test_sprint_completion_for_the_people_a_defense_is_about(seeded):
    dev = Employee.objects.get(user__username="dev")
    facts = list(DeliveryFact.objects.filter(employee=dev).order_by("period_start"))
    assert len(facts) == criteria.SPRINTS
    for fact, following in zip(facts, facts[1:]):
        assert fact.period_end < following.period_start  # never overlapping
    assert all(f.is_sprint_completion and f.committed > 0 and f.done >= 0 for f in facts)
    assert facts[-1].period_end < TODAY
    open_candidates = set(PromotionReview.objects.open().values_list("candidate_id", flat=True))
    assert open_candidates <= set(DeliveryFact.objects.values_list("employee_id", flat=True))
    # Bounded: not everyone gets facts.
    assert DeliveryFact.objects.values("employee_id").distinct().count() < Employee.objects.count()


def test_books_read_are_of_the_persons_ladder_at_or_below_their_level(seeded):
    readings = list(BookReading.objects.select_related("book__track_level__level", "employee__current_level"))
    assert readings
    assert any(r.acknowledged_at for r in readings) and any(not r.acknowledged_at for r in readings)
    for reading in readings:
        assert reading.book.track_level.level.rank <= reading.employee.current_level.rank
        assert reading.marked_at <= END_OF_TODAY and reading.read_on <= TODAY
        if reading.acknowledged_at:
            assert reading.marked_at <= reading.acknowledged_at <= END_OF_TODAY
            assert reading.acknowledged_by_id == reading.employee.team_lead.user_id
    assert BookReading.objects.filter(employee__user__username="dev").exists()


def test_growth_goals_on_unmet_lines_of_the_next_level(seeded):
    dev = Employee.objects.select_related("current_level").get(user__username="dev")
    goals = list(GrowthGoal.objects.filter(employee=dev).select_related("requirement__track_level__level"))
    assert len(goals) == 3
    assert sum(1 for g in goals if g.done_at) == 1
    assert sum(1 for g in goals if not g.done_at and g.due_on < TODAY) == 1
    confirmed = set(
        Evidence.objects.filter(employee=dev, status=EvidenceStatus.CONFIRMED).values_list("requirement_id", flat=True)
    )
    for goal in goals:
        assert goal.requirement.track_level.level.rank == dev.current_level.rank + 1
        assert goal.requirement_id not in confirmed
        assert goal.created_by_id == dev.team_lead.user_id


def test_scheduled_reviews_have_team_relations_and_colleague_feedback(seeded):
    scheduled = list(PromotionReview.objects.filter(status=ReviewStatus.SCHEDULED).select_related("candidate"))
    assert scheduled
    for review in scheduled:
        roles = {a.role: a for a in review.relations_assessments.all()}
        assert roles["hr"].author.username == "hr"
        if review.candidate.team_lead_id:
            assert roles["team_lead"].author_id == review.candidate.team_lead.user_id
        for request in review.feedback_requests.select_related("colleague"):
            assert request.colleague.team_lead_id == review.candidate.team_lead_id
            assert request.colleague_id != review.candidate_id
    assert FeedbackAnswer.objects.exists()
    for answer in FeedbackAnswer.objects.select_related("request__colleague"):
        assert answer.author_id == answer.request.colleague.user_id
        assert answer.request.asked_at <= answer.answered_at <= END_OF_TODAY


def test_recent_failed_defenses_keep_their_packet(seeded, client):
    kept = list(PacketSnapshot.objects.select_related("review"))
    assert 0 < len(kept) <= criteria.KEPT_PACKETS
    for snapshot in kept:
        assert snapshot.review.status == ReviewStatus.FAILED
        assert snapshot.taken_at == snapshot.review.decided_at
        frozen = packet_from_snapshot(snapshot.data, taken_at=snapshot.taken_at)
        assert frozen is not None
    client.force_login(User.objects.get(username="hr"))
    response = client.get(kept[0].review.get_absolute_url())
    assert response.status_code == 200
    assert 'data-testid="packet-frozen"' in response.content.decode()
    # Passed and older reviews were not given one: their page says so.
    old = PromotionReview.objects.filter(status=ReviewStatus.PASSED).order_by("decided_at").first()
    assert 'data-testid="packet-not-kept"' in client.get(old.get_absolute_url()).content.decode()


def test_a_second_run_adds_nothing(seeded):
    before = counts()
    assert all(before.values()), before
    out = seed()
    assert counts() == before
    assert "for the defenses" not in out


def test_the_number_of_queries_does_not_grow_with_each_person():
    grades_demo.demo_seed(employees=150, seed=1, today=TODAY, password="x")
    review_demo.seed_reviews(today=TODAY, seed=1)
    with CaptureQueriesContext(connection) as queries:
        created = criteria.seed_criteria(today=TODAY, seed=1)
    assert created["delivery facts"] > 150
    # About 16 reads and a transaction, an INSERT per batch, and three reads per kept packet
    # (at most KEPT_PACKETS). A query per person would be hundreds.
    assert len(queries) < 30 + 3 * criteria.KEPT_PACKETS
