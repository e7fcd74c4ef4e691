"""Races between real connections: the row locks in reviews/services.py must serialise them.

Each thread gets its own connection (Django's connections are per thread) and closes
it when done. A barrier releases the threads together so they really overlap.
These run on MariaDB/MySQL only: select_for_update is a no-op on SQLite.
"""

import threading

import pytest

from grades.models import GradeChange, GradeChangeKind
from grades.tests.factories import level
from grades.tests.threads import in_threads
from reviews import services
from reviews.models import PromotionReview, ReviewEvent, ReviewStatus, Vote, VoteValue
from reviews.services import ReviewError
from reviews.tests.test_services import held_review, ready_candidate, voted_review

# Real commits, so that each thread's connection sees the others' rows; serialized_rollback
# puts back the levels, tracks and role groups that the data migrations created.
pytestmark = [pytest.mark.mysql_only, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

TIMEOUT = 30


def race(*calls):
    """Run each call in its own thread, released together; [("ok", value) | ("error", exc)] in order."""
    barrier = threading.Barrier(len(calls))

    def released(call):
        def run():
            barrier.wait(timeout=TIMEOUT)
            return call()

        return run

    results = in_threads(*(released(call) for call in calls), timeout=TIMEOUT * 2)
    return [("error", r) if isinstance(r, Exception) else ("ok", r) for r in results]


def outcomes(results):
    return sorted(kind for kind, _value in results)


def errors(results):
    return [value for kind, value in results if kind == "error"]


@pytest.mark.parametrize("round_", range(5))
def test_two_decisions_racing_promote_once(round_):
    review, _members, hr = voted_review()
    other_hr = type(hr).objects.get(pk=hr.pk)  # a separate object per thread, like two requests
    candidate = review.candidate

    results = race(
        lambda: services.review_decide(review=review, by=hr, note="first"),
        lambda: services.review_decide(review=review, by=other_hr, note="second"),
    )

    assert outcomes(results) == ["error", "ok"]
    [loser] = errors(results)
    assert isinstance(loser, ReviewError), repr(loser)
    assert "only a scheduled defense can be decided" in str(loser)
    review.refresh_from_db()
    assert review.status == ReviewStatus.PASSED
    promotions = GradeChange.objects.filter(employee=candidate, kind=GradeChangeKind.PROMOTION)
    assert promotions.count() == 1
    assert review.grade_change == promotions.get()
    assert review.events.filter(action__in=["passed", "failed"]).count() == 1
    candidate.refresh_from_db()
    assert candidate.current_level == level("middle-plus")


def test_two_failing_decisions_racing_record_one_decision():
    """Without a promotion to append, only the lock on the review stops a second decision."""
    for _round in range(3):
        review, _members, hr = voted_review(votes={"cto": VoteValue.REJECT, "product": VoteValue.REJECT})
        first_at = review.events.order_by("-id").first().at

        results = race(
            lambda: services.review_decide(review=review, by=hr, note="first"),
            lambda: services.review_decide(review=review, by=hr, note="second"),
        )

        assert outcomes(results) == ["error", "ok"]
        [loser] = errors(results)
        assert isinstance(loser, ReviewError), repr(loser)
        review.refresh_from_db()
        assert review.status == ReviewStatus.FAILED
        [winner] = [value for kind, value in results if kind == "ok"]
        assert review.decision_note == winner.decision_note
        assert list(review.events.filter(at__gt=first_at).values_list("action", flat=True)) == ["failed"]
        assert not GradeChange.objects.filter(employee=review.candidate, kind=GradeChangeKind.PROMOTION).exists()


def test_two_requests_racing_open_one_review():
    for _round in range(5):
        candidate = ready_candidate()
        lead = candidate.team_lead.user

        results = race(
            lambda: services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user),
            lambda: services.review_request(statement="Ready for the next level.", candidate=candidate, by=lead),
        )

        assert outcomes(results) == ["error", "ok"]
        [loser] = errors(results)
        assert isinstance(loser, ReviewError), repr(loser)
        assert "already an open review" in str(loser)
        assert PromotionReview.objects.filter(candidate=candidate).count() == 1
        assert PromotionReview.objects.filter(candidate=candidate).open().count() == 1
        assert ReviewEvent.objects.filter(review__candidate=candidate).count() == 1


def test_members_voting_at_the_same_moment_are_all_recorded():
    for _round in range(3):
        review, members, _hr = held_review()
        values = dict(zip(members, [VoteValue.APPROVE, VoteValue.REJECT, VoteValue.ABSTAIN, VoteValue.APPROVE]))

        results = race(*[
            (lambda member=member, value=values[role]: services.review_vote(review=review, by=member, value=value))
            for role, member in members.items()
        ])

        assert outcomes(results) == ["ok"] * 4, errors(results)
        recorded = dict(Vote.objects.filter(seat__review=review).values_list("seat__role", "value"))
        assert recorded == values
        assert review.events.filter(action="voted").count() == 4


def test_a_member_changing_their_vote_twice_at_once_keeps_one_vote():
    review, members, _hr = held_review()
    cto = members["cto"]
    services.review_vote(review=review, by=cto, value=VoteValue.ABSTAIN)

    results = race(
        lambda: services.review_vote(review=review, by=cto, value=VoteValue.APPROVE),
        lambda: services.review_vote(review=review, by=cto, value=VoteValue.REJECT),
    )

    assert outcomes(results) == ["ok", "ok"], errors(results)
    votes = Vote.objects.filter(seat__review=review)
    assert votes.count() == 1
    last_change = review.events.order_by("-at", "-id").first()
    # The later writer wins, and the trail says which one that was.
    assert (last_change.action, last_change.data["vote"]) == ("vote_changed", votes.get().value)
    assert review.events.filter(action="vote_changed").count() == 2


def test_a_decision_racing_a_vote_change_sees_a_consistent_committee():
    """HR decides while a member flips their vote: the decision counts the votes it locked."""
    for _round in range(3):
        review, members, hr = voted_review()

        results = race(
            lambda: services.review_decide(review=review, by=hr),
            lambda: services.review_vote(review=review, by=members["cto"], value=VoteValue.REJECT),
        )

        review.refresh_from_db()
        decided_event = review.events.get(action__in=["passed", "failed"])
        cto_vote = Vote.objects.get(seat__review=review, seat__role="cto").value
        if results[1][0] == "ok":
            # The vote came first; the decision counted the rejection (3 to 1 still passes).
            assert decided_event.data["votes"]["cto"] == cto_vote == VoteValue.REJECT
        else:
            # The decision came first; the late vote was refused and the approval stands.
            assert isinstance(results[1][1], ReviewError)
            assert decided_event.data["votes"]["cto"] == cto_vote == VoteValue.APPROVE
        assert results[0][0] == "ok"
        assert review.status == ReviewStatus.PASSED
