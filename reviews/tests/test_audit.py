"""The audit trail of a review: each service leaves history rows naming who acted, and its event.

The services are called outside a request, as a command or a job would call them,
so each history user below is the one the service names itself.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from grades.models import Employee, GradeChange
from grades.tests.factories import UserFactory
from reviews import services
from reviews.models import CommitteeSeat, PromotionReview, ReviewEvent, SeatRole, Vote
from reviews.tests.factories import confirm_checklist, defense_day_came, in_a_week, members, organisation, requested, scheduled

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    org = organisation()
    confirm_checklist(org["dev"])
    return org


@pytest.fixture
def start():
    return timezone.now()


def recent(records, start) -> bool:
    return all(start <= record.history_date <= timezone.now() for record in records)


def history_counts() -> dict[str, int]:
    return {model.__name__: model.history.count() for model in (PromotionReview, CommitteeSeat, Vote, Employee)}


def test_a_request_records_who_asked(org, start):
    review = requested(org)

    record = review.history.get()
    assert (record.history_type, record.status, record.history_user) == ("+", "requested", org["lead"].user)
    assert recent([record], start)
    assert ReviewEvent.objects.get(review=review).actor == org["lead"].user


def test_scheduling_records_the_review_and_each_seat_with_hr(org, start):
    review = scheduled(org)

    record = review.history.latest()
    assert (record.status, record.place, record.history_user) == ("scheduled", "Room 4", org["hr"])
    seats = CommitteeSeat.history.filter(review_id=review.pk)
    assert seats.count() == 4
    assert {(s.history_type, s.history_user, s.history_change_reason) for s in seats} == {
        ("+", org["hr"], "committee seated")
    }
    assert sorted(seats.values_list("role", flat=True)) == sorted(SeatRole.values)
    assert recent([record, *seats], start)


def test_giving_a_seat_to_someone_else_records_the_old_seat_gone_and_the_new_one(org):
    review = scheduled(org)
    old_seat = review.seats.get(role=SeatRole.CTO)
    seated = {**members(org), SeatRole.CTO: org["spare"]}

    services.review_schedule(review=review, when=in_a_week(), place="Room 5", members=seated, by=org["hr"])

    gone = CommitteeSeat.history.get(id=old_seat.pk, history_type="-")
    new_seat = review.seats.get(role=SeatRole.CTO)
    added = CommitteeSeat.history.get(id=new_seat.pk)
    assert (gone.member_id, gone.history_user) == (org["cto"].pk, org["hr"])
    assert (added.history_type, added.member_id, added.history_user) == ("+", org["spare"].pk, org["hr"])
    assert gone.history_change_reason == added.history_change_reason == "seat given to another member"
    # The other three seats were not touched.
    assert CommitteeSeat.history.filter(review_id=review.pk).count() == 4 + 2


def test_a_vote_and_its_change_record_the_member(org, start):
    review = defense_day_came(scheduled(org))

    vote = services.review_vote(review=review, by=org["cto"], value="approve", comment="Ready")
    services.review_vote(review=review, by=org["cto"], value="reject", comment="Second thoughts")

    rows = list(vote.history.order_by("history_id"))
    assert [(r.history_type, r.value, r.history_user) for r in rows] == [
        ("+", "approve", org["cto"]),
        ("~", "reject", org["cto"]),
    ]
    assert recent(rows, start)


def test_a_vote_refused_writes_no_history(org):
    review = scheduled(org)
    before = history_counts()

    with pytest.raises(PermissionError):
        services.review_vote(review=review, by=UserFactory(), value="approve")

    assert history_counts() == before


def test_the_decision_records_hr_and_the_promotion_is_its_own_record(org, start):
    review = defense_day_came(scheduled(org))
    for user in members(org).values():
        services.review_vote(review=review, by=user, value="approve")
    employee_history = Employee.history.filter(id=org["dev"].pk).count()

    services.review_decide(review=review, by=org["hr"], note="Well defended")

    record = review.history.latest()
    assert (record.status, record.decided_by_id, record.history_user) == ("passed", org["hr"].pk, org["hr"])
    assert recent([record], start)
    entry = GradeChange.objects.get(review=review)
    assert (entry.recorded_by, entry.level_id) == (org["hr"], review.to_level_id)
    # The person's level is copied from the ledger: no employee history row of its own.
    assert Employee.history.filter(id=org["dev"].pk).count() == employee_history


def test_a_withdrawal_records_who_withdrew(org):
    review = requested(org)

    services.review_withdraw(review=review, by=org["dev"].user, reason="Not this quarter")

    record = review.history.latest()
    assert (record.status, record.withdrawn_reason, record.history_user) == (
        "withdrawn", "Not this quarter", org["dev"].user
    )
