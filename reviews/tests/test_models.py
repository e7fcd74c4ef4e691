"""reviews/models.py: the invariants the database itself holds, on SQLite and on MariaDB."""

import datetime

import factory
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from grades.models import Employee, GradeChange, GradeChangeKind, Level
from grades.roles import COMMITTEE, HR, TEAM_LEAD
from grades.tests.factories import UserFactory, hire, level
from reviews.models import (
    CommitteeSeat,
    PromotionReview,
    ReviewEvent,
    ReviewStatus,
    SeatRole,
    Vote,
    VoteValue,
)

pytestmark = pytest.mark.django_db

UTC = datetime.timezone.utc
REQUESTED_AT = datetime.datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
DEFENSE_AT = datetime.datetime(2024, 6, 3, 14, 0, tzinfo=UTC)
DECIDED_AT = datetime.datetime(2024, 6, 3, 16, 0, tzinfo=UTC)


# Rows written directly, bypassing the services, so that each constraint is met head-on.


class PromotionReviewFactory(factory.django.DjangoModelFactory):
    """A Middle developer's review of Middle+; traits for the other states."""

    class Meta:
        model = PromotionReview

    candidate = factory.LazyFunction(
        lambda: hire(level_code="middle", team_lead=hire(level_code="senior", roles=[TEAM_LEAD]))
    )
    track = factory.LazyAttribute(lambda r: r.candidate.track)
    from_level = factory.LazyAttribute(lambda r: r.candidate.current_level)
    to_level = factory.LazyAttribute(lambda r: Level.objects.get(rank=r.from_level.rank + 1))
    requested_by = factory.LazyAttribute(lambda r: r.candidate.user)
    requested_at = REQUESTED_AT

    class Params:
        scheduled = factory.Trait(
            status=ReviewStatus.SCHEDULED,
            scheduled_for=DEFENSE_AT,
            scheduled_by=factory.SubFactory(UserFactory, roles=[HR]),
        )
        passed = factory.Trait(
            status=ReviewStatus.PASSED,
            scheduled_for=DEFENSE_AT,
            scheduled_by=factory.SubFactory(UserFactory, roles=[HR]),
            decided_at=DECIDED_AT,
            decided_by=factory.SelfAttribute("scheduled_by"),
        )
        failed = factory.Trait(
            status=ReviewStatus.FAILED,
            scheduled_for=DEFENSE_AT,
            scheduled_by=factory.SubFactory(UserFactory, roles=[HR]),
            decided_at=DECIDED_AT,
            decided_by=factory.SelfAttribute("scheduled_by"),
        )
        withdrawn = factory.Trait(status=ReviewStatus.WITHDRAWN)


class CommitteeSeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeSeat

    review = factory.SubFactory(PromotionReviewFactory, scheduled=True)
    role = SeatRole.CTO
    member = factory.SubFactory(UserFactory, roles=[COMMITTEE])


class VoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vote

    seat = factory.SubFactory(CommitteeSeatFactory)
    value = VoteValue.APPROVE
    cast_at = DEFENSE_AT


class ReviewEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewEvent

    review = factory.SubFactory(PromotionReviewFactory)
    action = ReviewEvent.Action.REQUESTED
    actor = factory.LazyAttribute(lambda e: e.review.requested_by)
    at = REQUESTED_AT



def refused(**fields):
    """Writing `fields` onto a new review violates a constraint; nothing is left behind."""
    before = PromotionReview.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        PromotionReviewFactory(**fields)
    assert PromotionReview.objects.count() == before


def update_refused(review, **fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        PromotionReview.objects.filter(pk=review.pk).update(**fields)
    assert PromotionReview.objects.filter(pk=review.pk).values(*fields).get() != fields


# --- One open review per candidate --------------------------------------------------------------


@pytest.fixture
def candidate():
    return hire(level_code="middle", team_lead=hire(level_code="senior"))


def test_open_marker_is_one_while_open_and_null_otherwise(candidate):
    review = PromotionReviewFactory(candidate=candidate)
    assert PromotionReview.objects.get(pk=review.pk).open_marker == 1
    for status, marker in [
        (ReviewStatus.SCHEDULED, 1),
        (ReviewStatus.WITHDRAWN, None),
    ]:
        PromotionReview.objects.filter(pk=review.pk).update(status=status, scheduled_for=DEFENSE_AT)
        assert PromotionReview.objects.get(pk=review.pk).open_marker == marker


def test_two_requested_reviews_of_one_person_are_refused(candidate):
    PromotionReviewFactory(candidate=candidate)
    refused(candidate=candidate)


def test_a_requested_and_a_scheduled_review_of_one_person_are_refused(candidate):
    PromotionReviewFactory(candidate=candidate, scheduled=True)
    refused(candidate=candidate)
    refused(candidate=candidate, scheduled=True)


def test_closed_reviews_do_not_count_against_the_open_one(candidate):
    # NULL markers never collide, so any number of closed reviews sit beside one open review.
    for _ in range(2):
        PromotionReviewFactory(candidate=candidate, failed=True)
        PromotionReviewFactory(candidate=candidate, withdrawn=True)
    PromotionReviewFactory(candidate=candidate, scheduled=True)
    assert PromotionReview.objects.filter(candidate=candidate).count() == 5
    assert PromotionReview.objects.filter(candidate=candidate).open().count() == 1


def test_a_passed_review_beside_an_open_one(candidate):
    PromotionReviewFactory(candidate=candidate, passed=True)
    PromotionReviewFactory(candidate=candidate, passed=True)
    PromotionReviewFactory(candidate=candidate)
    assert PromotionReview.objects.filter(candidate=candidate).open().count() == 1


def test_reopening_a_closed_review_beside_an_open_one_is_refused(candidate):
    closed = PromotionReviewFactory(candidate=candidate, withdrawn=True)
    PromotionReviewFactory(candidate=candidate)
    update_refused(closed, status=ReviewStatus.REQUESTED)


def test_open_reviews_of_different_people_coexist(candidate):
    other = hire(level_code="middle")
    PromotionReviewFactory(candidate=candidate)
    PromotionReviewFactory(candidate=other)
    assert PromotionReview.objects.open().count() == 2


# --- Check constraints on the review ------------------------------------------------------------


def test_status_must_be_known():
    refused(status="approved")
    review = PromotionReviewFactory()
    update_refused(review, status="")


def test_levels_must_differ():
    refused(to_level=level("middle"), from_level=level("middle"))


def test_a_scheduled_review_needs_a_date():
    refused(status=ReviewStatus.SCHEDULED, scheduled_for=None)
    review = PromotionReviewFactory(scheduled=True)
    update_refused(review, scheduled_for=None)


@pytest.mark.parametrize("trait", ["passed", "failed"])
def test_a_decided_review_needs_a_date_a_time_and_an_author(trait):
    refused(**{trait: True, "scheduled_for": None})
    refused(**{trait: True, "decided_at": None})
    refused(**{trait: True, "decided_by": None})


@pytest.mark.parametrize("trait", [{}, {"scheduled": True}, {"withdrawn": True}])
def test_an_undecided_review_has_no_decision_time(trait):
    refused(**trait, decided_at=DECIDED_AT)


def test_requested_and_withdrawn_reviews_need_no_date():
    assert PromotionReviewFactory(scheduled_for=None).pk
    assert PromotionReviewFactory(withdrawn=True, scheduled_for=None).pk


def promotion_for(review):
    return GradeChange.objects.create(
        employee=review.candidate,
        kind=GradeChangeKind.PROMOTION,
        track=review.track,
        level=review.to_level,
        effective_date=datetime.date(2024, 6, 3),
    )


@pytest.mark.parametrize("trait", [{}, {"scheduled": True}, {"failed": True}, {"withdrawn": True}])
def test_only_a_passed_review_links_a_grade_change(trait):
    review = PromotionReviewFactory(**trait)
    update_refused(review, grade_change=promotion_for(review))


def test_a_passed_review_links_its_grade_change():
    review = PromotionReviewFactory(passed=True)
    change = promotion_for(review)
    PromotionReview.objects.filter(pk=review.pk).update(grade_change=change)
    assert GradeChange.objects.get(pk=change.pk).review.pk == review.pk


def test_a_grade_change_is_linked_from_one_review_only():
    review = PromotionReviewFactory(passed=True)
    change = promotion_for(review)
    PromotionReview.objects.filter(pk=review.pk).update(grade_change=change)
    other = PromotionReviewFactory(candidate=review.candidate, passed=True)
    update_refused(other, grade_change=change)


# --- Seats and votes ----------------------------------------------------------------------------


def seat_refused(**fields):
    before = CommitteeSeat.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitteeSeat.objects.create(**fields)
    assert CommitteeSeat.objects.count() == before


def test_one_seat_per_role():
    seat = CommitteeSeatFactory(role=SeatRole.CTO)
    seat_refused(review=seat.review, role=SeatRole.CTO, member=UserFactory())


def test_one_seat_per_member():
    seat = CommitteeSeatFactory(role=SeatRole.CTO)
    seat_refused(review=seat.review, role=SeatRole.PRODUCT, member=seat.member)


def test_the_same_member_and_role_on_another_review_is_fine():
    seat = CommitteeSeatFactory(role=SeatRole.CTO)
    other = CommitteeSeatFactory(role=SeatRole.CTO, member=seat.member)
    assert other.review_id != seat.review_id


def test_a_full_committee_fits():
    review = PromotionReviewFactory(scheduled=True)
    for role in SeatRole.values:
        CommitteeSeatFactory(review=review, role=role)
    assert review.seats.count() == 4


def test_seat_role_must_be_known():
    review = PromotionReviewFactory(scheduled=True)
    seat_refused(review=review, role="janitor", member=UserFactory())


def vote_refused(**fields):
    before = Vote.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(**{"value": VoteValue.APPROVE, "cast_at": DEFENSE_AT, **fields})
    assert Vote.objects.count() == before


def test_one_vote_per_seat():
    vote = VoteFactory()
    vote_refused(seat=vote.seat, value=VoteValue.REJECT)
    assert Vote.objects.get(seat=vote.seat).value == VoteValue.APPROVE


def test_vote_value_must_be_known():
    vote_refused(seat=CommitteeSeatFactory(), value="maybe")
    vote_refused(seat=CommitteeSeatFactory(), value="")


def test_a_vote_cannot_change_before_it_was_cast():
    vote_refused(seat=CommitteeSeatFactory(), changed_at=DEFENSE_AT - datetime.timedelta(minutes=1))
    assert VoteFactory(changed_at=DEFENSE_AT + datetime.timedelta(minutes=1)).pk


# --- The audit trail is append-only ---------------------------------------------------------------


def test_events_cannot_be_changed_after_creation():
    event = ReviewEventFactory(note="first")
    event.note = "rewritten"
    with pytest.raises(ValidationError):
        event.save()
    assert ReviewEvent.objects.get(pk=event.pk).note == "first"


def test_events_cannot_be_deleted():
    event = ReviewEventFactory()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(ValidationError):
        ReviewEvent.objects.filter(pk=event.pk).delete()
    assert ReviewEvent.objects.filter(pk=event.pk).exists()


def test_events_cannot_be_updated_in_bulk():
    event = ReviewEventFactory(note="first")
    with pytest.raises(ValidationError):
        ReviewEvent.objects.filter(pk=event.pk).update(note="rewritten")
    assert ReviewEvent.objects.get(pk=event.pk).note == "first"


def test_event_action_must_be_known():
    review = PromotionReviewFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewEvent.objects.create(review=review, action="erased", actor=review.requested_by, at=DEFENSE_AT)
    assert not ReviewEvent.objects.filter(review=review).exists()


# --- Nothing is deleted ---------------------------------------------------------------------------


def test_a_review_with_seats_cannot_be_deleted():
    seat = CommitteeSeatFactory()
    with pytest.raises(ProtectedError), transaction.atomic():
        seat.review.delete()
    assert PromotionReview.objects.filter(pk=seat.review_id).exists()
    assert CommitteeSeat.objects.filter(pk=seat.pk).exists()


def test_a_seat_with_a_vote_cannot_be_deleted():
    vote = VoteFactory()
    with pytest.raises(ProtectedError), transaction.atomic():
        vote.seat.delete()
    assert Vote.objects.filter(pk=vote.pk).exists()


def test_a_review_with_events_cannot_be_deleted():
    event = ReviewEventFactory()
    with pytest.raises(ProtectedError), transaction.atomic():
        event.review.delete()
    assert PromotionReview.objects.filter(pk=event.review_id).exists()


def test_an_employee_with_reviews_cannot_be_deleted():
    review = PromotionReviewFactory()
    candidate = review.candidate
    with pytest.raises(ProtectedError), transaction.atomic():
        Employee.objects.filter(pk=candidate.pk).delete()
    assert Employee.objects.filter(pk=candidate.pk).exists()
    assert PromotionReview.objects.filter(pk=review.pk).exists()


def test_a_committee_member_with_a_seat_cannot_be_deleted():
    seat = CommitteeSeatFactory()
    with pytest.raises(ProtectedError), transaction.atomic():
        seat.member.delete()
    assert CommitteeSeat.objects.filter(pk=seat.pk, member=seat.member).exists()


# --- Small behaviour on the model -----------------------------------------------------------------


@pytest.mark.parametrize(
    "trait, is_open, is_decided",
    [
        ({}, True, False),
        ({"scheduled": True}, True, False),
        ({"passed": True}, False, True),
        ({"failed": True}, False, True),
        ({"withdrawn": True}, False, False),
    ],
)
def test_open_and_decided(trait, is_open, is_decided):
    review = PromotionReviewFactory(**trait)
    assert (review.is_open, review.is_decided) == (is_open, is_decided)
    assert PromotionReview.objects.open().filter(pk=review.pk).exists() is is_open
    assert PromotionReview.objects.decided().filter(pk=review.pk).exists() is is_decided
