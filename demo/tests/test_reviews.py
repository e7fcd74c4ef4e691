"""Tests of the demo reviews (demo/reviews.py) as `manage.py seed_demo` creates them."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from demo import people as grades_demo
from demo import reviews as demo
from grades import rules as grade_rules
from grades import selectors as grade_selectors
from grades.models import Employee, Evidence, EvidenceStatus, GradeChange
from reviews import rules, services
from reviews.models import CommitteeSeat, DecisionPolicy, PromotionReview, ReviewEvent, ReviewStatus, SeatRole, Vote

pytestmark = pytest.mark.django_db

User = get_user_model()
TODAY = datetime.date(2025, 6, 30)
SMALL = 60
UTC = datetime.timezone.utc
# Office hours end at 15:00 UTC: nothing in the demo happens later on the reference date.
END_OF_TODAY = datetime.datetime.combine(TODAY, datetime.time(15), tzinfo=UTC)


def seed(**options) -> str:
    options.setdefault("employees", SMALL)
    options.setdefault("today", TODAY.isoformat())
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded() -> str:
    return seed()


def review_counts() -> dict[str, int]:
    return {
        "reviews": PromotionReview.objects.count(),
        "seats": CommitteeSeat.objects.count(),
        "votes": Vote.objects.count(),
        "events": ReviewEvent.objects.count(),
    }


def snapshot() -> list:
    """Every review with its seats, votes and events, by usernames rather than ids."""
    seats = defaultdict(list)
    for review_id, role, member, value, cast_at in CommitteeSeat.objects.values_list(
        "review_id", "role", "member__username", "vote__value", "vote__cast_at"
    ):
        seats[review_id].append((role, member, value, cast_at))
    events = defaultdict(list)
    for review_id, action, actor, at, data in ReviewEvent.objects.order_by("at", "id").values_list(
        "review_id", "action", "actor__username", "at", "data"
    ):
        events[review_id].append((action, actor, at, sorted(data.items(), key=str)))
    rows = PromotionReview.objects.values_list(
        "id", "candidate__user__username", "status", "from_level__code", "to_level__code",
        "requested_by__username", "requested_at", "scheduled_for", "decided_at", "place", "override_reason",
        "decision_note", "withdrawn_reason", "grade_change__effective_date",
    )  # fmt: skip
    return sorted(
        (row[1:], sorted(seats[row[0]]), events[row[0]]) for row in rows
    )


class _Rollback(Exception):
    pass


def snapshot_of_a_run(**options) -> list:
    result = []
    try:
        with transaction.atomic():
            seed(**options)
            result.extend(snapshot())
            raise _Rollback
    except _Rollback:
        pass
    return result


def ledgers() -> dict[int, list[GradeChange]]:
    by_employee = defaultdict(list)
    for change in GradeChange.objects.select_related("level").chronological():
        by_employee[change.employee_id].append(change)
    return by_employee


def reviews_with_everything():
    return list(
        PromotionReview.objects.select_related(
            "candidate__team_lead", "candidate__user", "from_level", "to_level", "grade_change__level",
            "requested_by", "decided_by", "scheduled_by",
        )
        .prefetch_related("seats__vote", "seats__member", "events__actor")
        .order_by("candidate_id", "requested_at")
    )  # fmt: skip


def earliest_for(employee, ledger, review, failed_before=None) -> datetime.date:
    """The first day `employee` could defend `review`'s step, from the ledger entry that gave them
    its from-level (the latest one before the request)."""
    asked = review.requested_at.date()
    since = [c for c in ledger if c.level_id == review.from_level_id and c.effective_date <= asked]
    return grade_rules.earliest_defense_date(
        last_change=since[-1].effective_date,
        probation_end=employee.probation_end,
        min_months=review.to_level.min_months_in_previous,
        last_failed_defense=failed_before,
    )


def scheduled_event(review):
    return next(e for e in review.events.all() if e.action == ReviewEvent.Action.SCHEDULED)


# --- What exists -------------------------------------------------------------------------------------


def test_reviews_in_every_status_and_the_command_says_how_many(seeded):
    statuses = Counter(PromotionReview.objects.values_list("status", flat=True))
    assert set(statuses) == set(ReviewStatus.values)
    total = sum(statuses.values())
    assert f"Created {total:,} promotion reviews" in seeded
    assert f"{statuses['passed']:,} passed" in seeded
    assert f"{CommitteeSeat.objects.count():,} committee seats" in seeded


def test_every_promotion_has_exactly_one_passed_review_that_matches_it(seeded):
    hr = User.objects.get(username="hr")
    passed_by_change = {
        r.grade_change_id: r for r in reviews_with_everything() if r.status == ReviewStatus.PASSED
    }
    promotions = 0
    employees = {e.id: e for e in Employee.objects.all()}
    for employee_id, ledger in ledgers().items():
        for previous, change in zip(ledger, ledger[1:]):
            if change.kind != "promotion":
                continue
            promotions += 1
            review = passed_by_change[change.id]
            assert review.candidate_id == employee_id
            assert (review.from_level_id, review.to_level_id) == (previous.level_id, change.level_id)
            assert review.track_id == change.track_id
            assert review.decided_at.astimezone(UTC).date() == change.effective_date
            assert 6 <= review.decided_at.astimezone(UTC).hour < 15
            assert review.decided_by == review.scheduled_by == hr
            requested = review.requested_at.date()
            assert earliest_for(employees[employee_id], ledger, review) <= requested <= change.effective_date
            assert change.effective_date - requested <= datetime.timedelta(weeks=8)
    assert promotions > 0
    assert len(passed_by_change) == promotions, "no passed review without its promotion"
    assert PromotionReview.objects.filter(grade_change__isnull=False).exclude(status="passed").count() == 0


def test_each_person_row_notes_their_latest_failed_defense(seeded):
    latest = {}
    for candidate_id, decided_at in PromotionReview.objects.filter(status=ReviewStatus.FAILED).values_list(
        "candidate_id", "decided_at"
    ):
        latest[candidate_id] = max(latest.get(candidate_id, decided_at.date()), decided_at.date())
    assert len(latest) >= 3
    noted = dict(Employee.objects.exclude(last_failed_defense_on=None).values_list("id", "last_failed_defense_on"))
    assert noted == latest


def test_failed_defenses_fit_between_eligibility_and_the_cool_down(seeded):
    ledger_of = ledgers()
    by_person = defaultdict(list)
    for review in reviews_with_everything():
        by_person[review.candidate_id].append(review)
    before_a_promotion = 0
    failed_total = 0
    for reviews in by_person.values():
        failed_dates: list[datetime.date] = []
        for index, review in enumerate(reviews):
            employee = review.candidate
            # Every request waited for the time in level and for the cool-down after any failure.
            last_failed = max(failed_dates) if failed_dates else None
            assert review.requested_at.date() >= earliest_for(
                employee, ledger_of[employee.id], review, failed_before=last_failed
            ), review
            if review.status != ReviewStatus.FAILED:
                continue
            failed_total += 1
            decided = review.decided_at.date()
            failed_dates.append(decided)
            assert review.grade_change_id is None
            assert decided <= TODAY
            later = reviews[index + 1 :]
            for other in later:
                assert other.requested_at.date() >= grade_rules.add_months(decided, 3)
            following = later[0] if later else None
            if following and following.status == ReviewStatus.PASSED and following.to_level_id == review.to_level_id:
                before_a_promotion += 1
    assert before_a_promotion > 0, "some promotions were passed at the second attempt"
    assert failed_total > before_a_promotion, "some people failed the defense of the level they hold"


def test_decided_reviews_have_a_full_committee_whose_votes_give_the_outcome(seeded):
    logins = {
        u.username: u for u in User.objects.filter(username__in=["cto", "product", "hrdirector", "admin"])
    }
    lead_users = set(Employee.objects.filter(reports__isnull=False).values_list("user_id", flat=True))
    decided = [r for r in reviews_with_everything() if r.is_decided]
    assert decided
    for review in decided:
        seats = {seat.role: seat for seat in review.seats.all()}
        assert set(seats) == set(SeatRole.values)
        members = [seat.member_id for seat in seats.values()]
        assert len(set(members)) == 4 and review.candidate.user_id not in members
        assert seats[SeatRole.CTO].member == logins["cto"]
        assert seats[SeatRole.PRODUCT].member == logins["product"]
        assert seats[SeatRole.HR_DIRECTOR].member == logins["hrdirector"]
        lead = review.candidate.team_lead
        if lead is not None and lead.hire_date <= review.requested_at.date():
            assert seats[SeatRole.TEAM_LEAD].member_id == lead.user_id
        else:
            assert seats[SeatRole.TEAM_LEAD].member_id in lead_users | {logins["admin"].id}
        votes = [seat.vote for seat in seats.values()]
        assert rules.outcome([v.value for v in votes], "majority") is (review.status == ReviewStatus.PASSED)
        scheduled_at = scheduled_event(review).at
        for vote in votes:
            assert scheduled_at < review.scheduled_for < vote.cast_at < review.decided_at
    outcomes = Counter(
        (r.status, tuple(sorted(Counter(s.vote.value for s in r.seats.all()).items()))) for r in decided
    )
    assert len(outcomes) > 3, "not every committee votes the same way"


def test_open_reviews_are_one_per_person_and_scheduled_ones_lie_ahead(seeded):
    open_per_person = Counter(PromotionReview.objects.open().values_list("candidate_id", flat=True))
    assert open_per_person and max(open_per_person.values()) == 1
    ledger_of = ledgers()
    for review in reviews_with_everything():
        if review.status in (ReviewStatus.PASSED, ReviewStatus.FAILED):
            continue
        employee = review.candidate
        # Open and withdrawn reviews are of the next level, requested once the rules allowed it.
        assert review.from_level_id == employee.current_level_id
        assert review.to_level.rank == review.from_level.rank + 1
        assert review.decided_at is None and review.grade_change_id is None
        assert review.requested_at <= END_OF_TODAY
        seats = list(review.seats.all())
        if review.status == ReviewStatus.REQUESTED:
            assert not seats and review.scheduled_for is None
        elif review.status == ReviewStatus.SCHEDULED:
            assert len(seats) == 4
            votes = [s.vote for s in seats if hasattr(s, "vote")]
            assert len(votes) < 4
            if review.scheduled_for.date() > TODAY:
                # Ahead: votes are taken only from the defense's day.
                assert review.scheduled_for.date() <= TODAY + datetime.timedelta(days=30)
                assert votes == []
            else:
                # Held in the last week, after HR scheduled it; the decision is still to come.
                assert TODAY - datetime.timedelta(days=7) <= review.scheduled_for.date()
                assert scheduled_event(review).at.date() < review.scheduled_for.date()
                assert all(review.scheduled_for < v.cast_at <= END_OF_TODAY for v in votes)
        else:
            assert review.withdrawn_reason
            last = list(review.events.all())[-1]
            assert last.action == ReviewEvent.Action.WITHDRAWN and last.at < END_OF_TODAY
            assert last.actor.username == "hr" or last.actor_id in (
                employee.user_id, employee.team_lead and employee.team_lead.user_id
            )
            assert not any(hasattr(s, "vote") for s in seats)
        assert ledger_of[employee.id][-1].level_id == review.from_level_id


def test_each_trail_is_in_time_order_with_the_right_actors(seeded):
    hr = User.objects.get(username="hr")
    for review in reviews_with_everything():
        events = list(review.events.all())
        assert all(a.at < b.at for a, b in zip(events, events[1:])), review
        first = events[0]
        assert (first.action, first.actor_id, first.at) == (
            "requested", review.requested_by_id, review.requested_at
        )  # fmt: skip
        assert first.note == review.recommendation
        lead = review.candidate.team_lead
        assert review.requested_by_id in (review.candidate.user_id, lead and lead.user_id)
        seats = {seat.role: seat for seat in review.seats.all()}
        voted = [e for e in events if e.action == "voted"]
        assert len(voted) == sum(hasattr(s, "vote") for s in seats.values())
        for event in voted:
            seat = seats[event.data["role"]]
            assert (event.actor_id, event.at, event.data["vote"]) == (
                seat.member_id, seat.vote.cast_at, seat.vote.value
            )  # fmt: skip
        if seats:
            scheduled = scheduled_event(review)
            assert scheduled.actor == hr == review.scheduled_by
            assert scheduled.data["members"] == {role: seat.member.username for role, seat in seats.items()}
            assert datetime.datetime.fromisoformat(scheduled.data["when"]) == review.scheduled_for
            # HR scheduled over unconfirmed lines only with a written reason.
            unmet = scheduled.data["unmet_requirements"]
            assert bool(unmet) == bool(review.override_reason) == bool(scheduled.note)
        if review.is_decided:
            last = events[-1]
            assert (last.action, last.actor_id, last.at) == (
                review.status, review.decided_by_id, review.decided_at
            )  # fmt: skip
            assert last.data["votes"] == {role: seat.vote.value for role, seat in seats.items()}
            assert [e.action for e in events] == ["requested", "scheduled"] + ["voted"] * 4 + [review.status]


def test_the_unmet_lines_recorded_at_scheduling_are_those_the_product_counts(seeded):
    """The demo counts a checklist as the progress page does, on the day HR scheduled."""
    compared = 0
    for review in reviews_with_everything():
        # The page's checklist is that of the person's next level: reviews from the level held now.
        if review.from_level_id != review.candidate.current_level_id or not review.seats.all():
            continue
        scheduled = scheduled_event(review)
        try:
            with transaction.atomic():
                # The checklist as it stood that day: a claim touched later was not confirmed
                # then, and set aside (withdrawn) it leaves its line not done either.
                later = set(
                    Evidence.objects.filter(employee=review.candidate, events__at__gt=scheduled.at)
                    .values_list("id", flat=True)
                )
                Evidence.objects.filter(id__in=later).update(status=EvidenceStatus.WITHDRAWN)
                progress = grade_selectors.employee_progress(review.candidate, on=scheduled.at.date())
                raise _Rollback
        except _Rollback:
            pass
        assert progress.next_level == review.to_level
        assert scheduled.data["unmet_requirements"] == len(progress.unmet), review
        compared += 1
    assert compared >= 3


def test_nothing_happens_after_the_reference_date_except_the_defenses_ahead(seeded):
    assert not PromotionReview.objects.filter(requested_at__gt=END_OF_TODAY).exists()
    assert not PromotionReview.objects.filter(decided_at__gt=END_OF_TODAY).exists()
    assert not Vote.objects.filter(cast_at__gt=END_OF_TODAY).exists()
    assert not ReviewEvent.objects.filter(at__gt=END_OF_TODAY).exists()
    ahead = PromotionReview.objects.filter(scheduled_for__gt=END_OF_TODAY)
    assert set(ahead.values_list("status", flat=True)) <= {"scheduled", "withdrawn"}
    # No vote on a defense whose day has not come.
    assert not Vote.objects.filter(seat__review__scheduled_for__gt=END_OF_TODAY).exists()
    assert PromotionReview.objects.filter(status="scheduled", scheduled_for__lte=END_OF_TODAY).exists()


# --- The demo logins -----------------------------------------------------------------------------


def test_dev_has_a_defense_scheduled_and_lead_and_cto_are_waiting_to_vote(seeded, client):
    dev = Employee.objects.get(user__username="dev")
    (review,) = PromotionReview.objects.open().filter(candidate=dev)
    assert review.status == ReviewStatus.SCHEDULED
    assert review.to_level.code == "middle-plus"
    # Held on the reference date at the latest, so that the committee can vote at once.
    assert review.scheduled_for.date() <= TODAY
    seats = {s.member.username: s for s in review.seats.select_related("member")}
    assert not hasattr(seats["lead"], "vote") and not hasattr(seats["cto"], "vote")
    for username in ("lead", "cto"):
        client.force_login(User.objects.get(username=username))
        response = client.get("/reviews/", {"mine": "1"})
        assert response.status_code == 200
        waiting = list(response.context["page"].object_list)
        assert review in waiting, username
        assert all(r.status == ReviewStatus.SCHEDULED for r in waiting)
        assert client.get(review.get_absolute_url()).status_code == 200


def test_hr_can_open_a_demo_review_of_every_status(seeded, client):
    client.force_login(User.objects.get(username="hr"))
    for status in ReviewStatus.values:
        review = PromotionReview.objects.filter(status=status).order_by("id").first()
        response = client.get(review.get_absolute_url())
        assert response.status_code == 200, status
        assert response.context["review"] == review


def test_lead_still_gets_a_defense_to_vote_on_when_dev_already_has_a_review():
    grades_demo.demo_seed(employees=SMALL, seed=1, today=TODAY, password="x")
    dev = Employee.objects.get(user__username="dev")
    own = services.review_request(statement="Ready for the next level.", candidate=dev, by=dev.user, on=TODAY)
    demo.seed_reviews(today=TODAY, seed=1)
    assert list(PromotionReview.objects.filter(candidate=dev)) == [own]
    assert own.events.count() == 1, "a person who has a review is left as they are"
    waiting = CommitteeSeat.objects.filter(
        member__username="lead", vote__isnull=True, review__status="scheduled",
        review__candidate__team_lead__user__username="lead",
    )  # fmt: skip
    assert waiting.exists()
    assert CommitteeSeat.objects.filter(
        member__username="cto", vote__isnull=True, review__status="scheduled"
    ).exists()


# --- Idempotency and determinism ------------------------------------------------------------------


def test_a_second_run_creates_no_reviews(seeded):
    before = review_counts()
    first = snapshot()
    out = seed()
    assert review_counts() == before
    assert snapshot() == first
    assert "promotion reviews" not in out
    assert "Nothing new was created" in out


def test_a_larger_run_gives_reviews_only_to_the_new_people(seeded):
    before = set(PromotionReview.objects.values_list("id", "candidate_id", "status"))
    old_people = set(Employee.objects.values_list("id", flat=True))
    out = seed(employees=SMALL + 40)
    after = set(PromotionReview.objects.values_list("id", "candidate_id", "status"))
    assert before < after
    assert {candidate for _, candidate, _ in after - before}.isdisjoint(
        {candidate for _, candidate, _ in before}
    )
    new_people = set(Employee.objects.values_list("id", flat=True)) - old_people
    assert {candidate for _, candidate, _ in after - before} <= new_people
    assert "promotion reviews" in out


def test_the_same_seed_gives_the_same_reviews_and_another_seed_does_not():
    first = snapshot_of_a_run(seed=3)
    assert first, "the rollback helper must have seen the run"
    assert snapshot_of_a_run(seed=3) == first
    assert snapshot_of_a_run(seed=4) != first


def test_ids_are_found_again_where_the_database_does_not_return_them(monkeypatch):
    expected = snapshot_of_a_run()
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    seed()
    assert snapshot() == expected


def test_the_unanimous_rule_gives_votes_that_decide_under_it():
    DecisionPolicy.objects.filter(pk=DecisionPolicy.ROW_ID).update(rule="unanimous")
    seed()
    decided = PromotionReview.objects.decided().prefetch_related("seats__vote", "events")
    assert decided
    for review in decided:
        votes = [seat.vote.value for seat in review.seats.all()]
        assert rules.outcome(votes, "unanimous") is (review.status == ReviewStatus.PASSED)
        assert [e.data["rule"] for e in review.events.all() if e.action == review.status] == ["unanimous"]


def test_the_number_of_queries_does_not_grow_with_each_person():
    grades_demo.demo_seed(employees=150, seed=1, today=TODAY, password="x")
    with CaptureQueriesContext(connection) as queries:
        created = demo.seed_reviews(today=TODAY, seed=1)
    # Ten reads, a savepoint pair, one INSERT per batch (on SQLite about 60 rows of a review,
    # 330 seats, 200 votes or 160 events per statement) and one UPDATE noting the failures on
    # the people's rows. A query per review would be 200+. The defense sessions add a few
    # per calendar quarter (at most six: a year back and a month ahead), not per person.
    reviews = sum(count for name, count in created.items() if name.endswith(" reviews"))
    assert reviews > 150
    assert 1 <= created["defense sessions"] <= 6
    assert len(queries) < 40 + 4 * 6


def test_shares_of_failed_and_open_reviews_are_roughly_as_planned():
    seed(employees=600)
    statuses = Counter(PromotionReview.objects.values_list("status", flat=True))
    promotions = GradeChange.objects.filter(kind="promotion").count()
    assert statuses["passed"] == promotions
    # One promotion in seven is tried for a failure first; the dates rule some out.
    assert 0.05 * promotions < statuses["failed"] < 0.25 * promotions
    people = Employee.objects.count()
    assert 0.005 * people < statuses["requested"] < 0.06 * people
    assert 0.005 * people < statuses["scheduled"] < 0.06 * people


# --- Bad input ----------------------------------------------------------------------------------------


def test_missing_committee_logins_are_refused_and_nothing_is_written():
    grades_demo.demo_seed(employees=20, seed=1, today=TODAY, password="x")
    User.objects.filter(username="cto").update(username="former-cto")
    with pytest.raises(grades_demo.DemoError, match="Demo login\\(s\\) cto not found"):
        demo.seed_reviews(today=TODAY, seed=1)
    assert review_counts() == {"reviews": 0, "seats": 0, "votes": 0, "events": 0}


def test_people_outside_the_demo_get_no_reviews(seeded):
    from grades.services import grade_change_record
    from grades.tests.factories import hire, level

    # A promotion would always be given a passed review if the person counted as demo.
    outsider = hire(level_code="junior-plus", hire_date=datetime.date(2021, 1, 11))
    grade_change_record(employee=outsider, kind="promotion", level=level("junior-plus-plus"),
                        effective_date=datetime.date(2022, 3, 1))  # fmt: skip
    before = review_counts()
    demo.seed_reviews(today=TODAY, seed=1)
    assert review_counts() == before
    assert not PromotionReview.objects.filter(candidate=outsider).exists()
