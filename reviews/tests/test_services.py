"""reviews/services.py: the lifecycle of a defense, every refusal, the mail and the audit trail.

Every refused call is checked with `refused`, which asserts that no review, seat,
vote, event or grade change was written or changed, that the candidate's level is
as it was, and that no mail went out.
"""

import datetime

import pytest
from django.utils import timezone

from grades import rules as grade_rules
from grades.models import Employee, GradeChange, GradeChangeKind, Level
from grades.roles import COMMITTEE, HR, TEAM_LEAD
from grades.services import grade_change_record
from grades.tests.factories import (
    EmployeeFactory,
    EvidenceFactory,
    RequirementFactory,
    TrackFactory,
    TrackLevelFactory,
    UserFactory,
    hire,
    level,
)
from reviews import services
from reviews.models import (
    CommitteeSeat,
    DecisionPolicy,
    PacketSnapshot,
    PromotionReview,
    ReviewEvent,
    ReviewStatus,
    SeatRole,
    Vote,
    VoteValue,
)
from reviews.services import ReviewError
from reviews.tests.factories import defense_day_came

pytestmark = pytest.mark.django_db

A, R, X = VoteValue.APPROVE, VoteValue.REJECT, VoteValue.ABSTAIN
CTO, PRODUCT, HR_DIRECTOR, LEAD = SeatRole.CTO, SeatRole.PRODUCT, SeatRole.HR_DIRECTOR, SeatRole.TEAM_LEAD


def in_a_week():
    return timezone.now() + datetime.timedelta(days=7)


def snapshot(employee):
    """Every row a review service may write, and the candidate's denormalised level."""
    return {
        "reviews": list(PromotionReview.objects.order_by("id").values()),
        "seats": list(CommitteeSeat.objects.order_by("id").values()),
        "votes": list(Vote.objects.order_by("id").values()),
        "events": list(ReviewEvent.objects.order_by("id").values()),
        "grade_changes": list(GradeChange.objects.order_by("id").values()),
        "packets": list(PacketSnapshot.objects.order_by("id").values()),
        "employee": Employee.objects.filter(pk=employee.pk)
        .values("current_level_id", "current_level_since")
        .get(),
    }


@pytest.fixture
def refused(mailoutbox, django_capture_on_commit_callbacks):
    """refused(call, Exc, "part of the message", employee): the call raises and changes nothing."""

    def check(call, exc, message, employee):
        before = snapshot(employee)
        sent = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(exc) as info:
                call()
        assert message in str(info.value)
        assert callbacks == []
        assert len(mailoutbox) == sent
        assert snapshot(employee) == before
        return str(info.value)

    return check


@pytest.fixture
def hr():
    return UserFactory(roles=[HR])


@pytest.fixture
def candidate():
    return ready_candidate()


def recipients(mails):
    return sorted(address for mail in mails for address in mail.to)


def emails(users):
    return sorted(user.email for user in users)


def actions(review):
    return list(review.events.order_by("at", "id").values_list("action", flat=True))


# --- Builders (through the services, so every row is what production writes) -------------------


def committee_for(candidate):
    """Four members: three from the Committee group and the candidate's team lead."""
    return {
        CTO: UserFactory(roles=[COMMITTEE]),
        PRODUCT: UserFactory(roles=[COMMITTEE]),
        HR_DIRECTOR: UserFactory(roles=[COMMITTEE]),
        LEAD: candidate.team_lead.user,
    }


def ready_candidate(*, level_code="middle", hire_date=datetime.date(2022, 1, 10), probation_end=None,
                    requirements=1, confirmed=True):
    """A developer with a team lead on a fresh track whose next level has `requirements` lines.

    A fresh track keeps the checklist to exactly those lines. With `confirmed` the lead
    has confirmed each, so HR can schedule without an override; hired long enough ago
    to request a defense today.
    """
    track = TrackFactory()
    current = level(level_code)
    target = Level.objects.filter(rank=current.rank + 1).first()
    lead = hire(level_code="senior", track_slug=track.slug, roles=[TEAM_LEAD])
    candidate = hire(level_code=level_code, track_slug=track.slug, hire_date=hire_date,
                     probation_end=probation_end, team_lead=lead)
    if target is not None:
        track_level = TrackLevelFactory(track=track, level=target)
        for _ in range(requirements):
            requirement = RequirementFactory(track_level=track_level)
            if confirmed:
                EvidenceFactory(employee=candidate, requirement=requirement, confirmed=True,
                                decided_by=lead.user)
    return candidate


def requested_review(candidate=None):
    candidate = candidate or ready_candidate()
    return services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user, recommendation="Shipped search")


def scheduled_review(candidate=None, *, hr=None):
    """(review, members, hr): a review of `candidate` scheduled a week ahead."""
    review = requested_review(candidate)
    hr = hr or UserFactory(roles=[HR])
    members = committee_for(review.candidate)
    review = services.review_schedule(review=review, when=in_a_week(), place="Room 4", members=members, by=hr)
    return review, members, hr


def held_review(candidate=None, *, hr=None):
    """(review, members, hr): scheduled, and the defense's day has come (votes are taken)."""
    review, members, hr = scheduled_review(candidate, hr=hr)
    return defense_day_came(review), members, hr


def voted_review(candidate=None, *, hr=None, votes=None):
    """(review, members, hr): held, and every seat has voted; `votes` overrides approvals by role."""
    review, members, hr = held_review(candidate, hr=hr)
    for role, member in members.items():
        services.review_vote(review=review, by=member, value=(votes or {}).get(role, A))
    return review, members, hr


# --- The whole defense -------------------------------------------------------------------------


def test_a_full_defense_promotes_the_candidate(candidate, hr, mailoutbox, django_capture_on_commit_callbacks):
    lead = candidate.team_lead.user
    start = timezone.now()

    review = services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user, recommendation="Led the search rewrite")
    assert (review.status, review.from_level, review.to_level) == ("requested", level("middle"), level("middle-plus"))
    assert review.track_id == candidate.track_id
    assert review.requested_by == candidate.user
    assert start <= review.requested_at <= timezone.now()

    members = committee_for(candidate)
    when = in_a_week()
    review = services.review_schedule(review=review, when=when, place="Room 4", members=members, by=hr)
    review.refresh_from_db()
    assert (review.status, review.scheduled_for, review.place, review.scheduled_by) == ("scheduled", when, "Room 4", hr)
    assert review.override_reason == ""
    assert {seat.role: seat.member for seat in review.seats.all()} == members

    defense_day_came(review, days_ago=2)
    for role, member in members.items():
        services.review_vote(review=review, by=member, value=A, comment=f"{role} is convinced")

    with django_capture_on_commit_callbacks(execute=True):
        review = services.review_decide(review=review, by=hr, note="Well argued")

    review.refresh_from_db()
    assert review.status == ReviewStatus.PASSED
    assert (review.decided_by, review.decision_note) == (hr, "Well argued")
    assert start <= review.decided_at <= timezone.now()
    promotion = review.grade_change
    assert promotion == GradeChange.objects.filter(employee=candidate).order_by("-id").first()
    assert (promotion.kind, promotion.level, promotion.track_id) == (
        GradeChangeKind.PROMOTION, level("middle-plus"), candidate.track_id)
    # Dated at the defense, two days before HR recorded the decision.
    assert promotion.effective_date == timezone.localdate(review.scheduled_for) == timezone.localdate() - datetime.timedelta(days=2)
    assert promotion.recorded_by == hr
    assert f"#{review.pk}" in promotion.reason
    candidate.refresh_from_db()
    assert (candidate.current_level, candidate.current_level_since) == (level("middle-plus"), promotion.effective_date)
    assert list(candidate.grade_changes.values_list("kind", flat=True).order_by("id")) == ["hire", "promotion"]

    assert actions(review) == ["requested", "scheduled", "voted", "voted", "voted", "voted", "passed"]
    assert recipients(mailoutbox) == emails([candidate.user, lead])


def test_the_team_lead_may_request(candidate):
    lead = candidate.team_lead.user
    review = services.review_request(statement="Ready for the next level.", candidate=candidate, by=lead, recommendation="Ready for Middle+")
    assert review.requested_by == lead
    event = review.events.get()
    assert (event.action, event.actor, event.note) == ("requested", lead, "Ready for Middle+")


def test_every_state_change_records_who_and_when(hr):
    start = timezone.now()
    review, members, _hr = voted_review(hr=hr, votes={CTO: R})
    services.review_vote(review=review, by=members[CTO], value=A)
    services.review_decide(review=review, by=hr)
    events = list(review.events.order_by("at", "id"))
    expected = [
        ("requested", review.candidate.user),
        ("scheduled", hr),
        *[("voted", members[role]) for role in SeatRole.values],
        ("vote_changed", members[CTO]),
        ("passed", hr),
    ]
    assert [(e.action, e.actor) for e in events] == expected
    times = [e.at for e in events]
    assert times == sorted(times)
    assert start <= times[0] and times[-1] <= timezone.now()
    assert events[1].data["members"] == {role: member.username for role, member in members.items()}
    assert events[2].data == {"role": CTO, "vote": R, "notes": {}}
    assert events[-2].data == {"role": CTO, "vote": A, "notes": {}}
    assert events[-1].data == {
        "rule": "majority", "votes": {CTO: A, PRODUCT: A, HR_DIRECTOR: A, LEAD: A}, "reasons": {},
        "held_on": timezone.localdate(review.scheduled_for).isoformat(), "packet_schema": 1,
    }


# --- Request ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "current, target",
    [("junior", "junior-plus"), ("middle", "middle-plus"), ("middle-plus-plus", "senior"),
     ("senior-plus", "senior-plus-plus")],
)
def test_a_request_is_always_for_the_next_level(current, target):
    # No caller can ask for a skip: the service picks the target from the ledger.
    candidate = ready_candidate(level_code=current)
    review = services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user)
    assert (review.from_level, review.to_level) == (level(current), level(target))


@pytest.mark.parametrize("who", ["developer", "hr", "committee", "other lead", "manager"])
def test_only_the_candidate_or_their_lead_may_request(who, candidate, refused):
    by = {
        "developer": lambda: hire(level_code="middle").user,
        "hr": lambda: UserFactory(roles=[HR]),
        "committee": lambda: UserFactory(roles=[COMMITTEE]),
        "other lead": lambda: hire(level_code="senior", roles=[TEAM_LEAD]).user,
        "manager": lambda: UserFactory(roles=["Manager"]),
    }[who]()
    refused(lambda: services.review_request(statement="Ready for the next level.", candidate=candidate, by=by), PermissionError,
            "Only the candidate or their team lead", candidate)


def test_a_person_at_the_top_of_the_ladder_cannot_request(refused):
    candidate = ready_candidate(level_code="senior-plus-plus")
    refused(lambda: services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user), ReviewError,
            "top of the ladder", candidate)


def test_a_person_without_a_grade_cannot_request(refused):
    candidate = EmployeeFactory(team_lead=hire(level_code="senior"))
    refused(lambda: services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user), ReviewError,
            "no grade yet", candidate)


def test_too_early_names_the_earliest_date(refused):
    hired = timezone.localdate() - datetime.timedelta(days=60)
    candidate = ready_candidate(hire_date=hired)
    earliest = grade_rules.add_months(hired, 6)  # Middle+ needs six months in Middle
    message = refused(lambda: services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user), ReviewError,
                      earliest.isoformat(), candidate)
    assert "Too early" in message
    day_before = earliest - datetime.timedelta(days=1)
    refused(lambda: services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user, on=day_before),
            ReviewError, earliest.isoformat(), candidate)
    review = services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user, on=earliest)
    assert review.status == ReviewStatus.REQUESTED


def test_no_request_during_probation(refused):
    today = timezone.localdate()
    hired = today - datetime.timedelta(days=30)
    probation_end = today + datetime.timedelta(days=60)
    candidate = ready_candidate(hire_date=hired, probation_end=probation_end)
    message = refused(lambda: services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user), ReviewError,
                      probation_end.isoformat(), candidate)
    assert "probation" in message
    # Time in level counts from the end of probation.
    assert grade_rules.add_months(probation_end, 6).isoformat() in message


def test_a_second_open_review_is_refused(candidate, hr, refused):
    review = requested_review(candidate)
    refused(lambda: services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.team_lead.user), ReviewError,
            "already an open review", candidate)
    services.review_schedule(review=review, when=in_a_week(), place="", members=committee_for(candidate), by=hr)
    refused(lambda: services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user), ReviewError,
            "already an open review", candidate)


def test_a_withdrawn_review_frees_the_way_for_a_new_request(candidate):
    first = requested_review(candidate)
    services.review_withdraw(review=first, by=candidate.user)
    second = services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user)
    assert second.pk != first.pk
    assert list(PromotionReview.objects.filter(candidate=candidate).open()) == [second]


def test_an_overlong_recommendation_is_refused(candidate, refused):
    refused(lambda: services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user, recommendation="x" * 5001),
            ReviewError, "longer than", candidate)


# --- The cool-down after a failed defense -----------------------------------------------------------


def test_after_a_failed_defense_the_next_request_waits_three_months(candidate, hr, refused):
    review, _members, _hr = voted_review(candidate, hr=hr, votes={CTO: R, PRODUCT: R})
    services.review_decide(review=review, by=hr, note="Not yet")
    review.refresh_from_db()
    assert review.status == ReviewStatus.FAILED
    failed_on = timezone.localdate(review.scheduled_for)
    allowed_from = grade_rules.add_months(failed_on, 3)

    for day in (failed_on, allowed_from - datetime.timedelta(days=1)):
        message = refused(lambda: services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user, on=day),
                          ReviewError, allowed_from.isoformat(), candidate)
        assert "Too early" in message

    again = services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user, on=allowed_from)
    assert (again.status, again.to_level) == (ReviewStatus.REQUESTED, level("middle-plus"))


def test_the_cool_down_follows_the_setting(candidate, hr, settings, refused):
    settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS = 1
    review, _members, _hr = voted_review(candidate, hr=hr, votes={CTO: R, PRODUCT: R})
    services.review_decide(review=review, by=hr, note="Not yet")
    review.refresh_from_db()
    allowed_from = grade_rules.add_months(timezone.localdate(review.scheduled_for), 1)
    refused(lambda: services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user,
                                            on=allowed_from - datetime.timedelta(days=1)),
            ReviewError, allowed_from.isoformat(), candidate)
    assert services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user, on=allowed_from).pk


def test_a_withdrawn_review_starts_no_cool_down(candidate):
    review, _members, hr = scheduled_review(candidate)
    services.review_withdraw(review=review, by=hr)
    assert services.review_request(statement="Ready for the next level.", candidate=candidate, by=candidate.user).status == ReviewStatus.REQUESTED


# --- Schedule -----------------------------------------------------------------------------------


def test_scheduling_mails_the_committee_and_the_candidate(candidate, hr, mailoutbox, django_capture_on_commit_callbacks):
    review = requested_review(candidate)
    members = committee_for(candidate)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_schedule(review=review, when=in_a_week(), place="Room 4", members=members, by=hr)
    assert recipients(mailoutbox) == emails([*members.values(), candidate.user])
    by_address = {mail.to[0]: mail for mail in mailoutbox}
    mail = by_address[members[CTO].email]
    assert mail.subject.startswith("Defense scheduled")
    assert "Room 4" in mail.body
    assert review.get_absolute_url() in mail.body
    # The candidate's own wording, without the committee's voting form.
    own = by_address[candidate.user.email]
    assert own.subject.startswith("Your defense is scheduled")
    assert "voting form" not in own.body and review.get_absolute_url() in own.body


@pytest.mark.parametrize("who", ["candidate", "lead", "committee", "developer"])
def test_only_hr_schedules(who, candidate, refused):
    review = requested_review(candidate)
    by = {
        "candidate": candidate.user,
        "lead": candidate.team_lead.user,
        "committee": UserFactory(roles=[COMMITTEE]),
        "developer": hire(level_code="middle").user,
    }[who]
    refused(lambda: services.review_schedule(review=review, when=in_a_week(), place="Room 4",
                                             members=committee_for(candidate), by=by),
            PermissionError, "Only HR", candidate)


def test_every_seat_needs_a_member(candidate, hr, refused):
    review = requested_review(candidate)
    members = committee_for(candidate)
    del members[PRODUCT]
    members[HR_DIRECTOR] = None
    message = refused(lambda: services.review_schedule(review=review, when=in_a_week(), place="", members=members, by=hr),
                      ReviewError, "Every seat needs a member", candidate)
    assert "Product director" in message and "HR director" in message
    assert "CTO" not in message


def test_one_person_holds_one_seat(candidate, hr, refused):
    review = requested_review(candidate)
    members = committee_for(candidate)
    members[PRODUCT] = members[CTO]
    refused(lambda: services.review_schedule(review=review, when=in_a_week(), place="", members=members, by=hr),
            ReviewError, "only one seat", candidate)


def test_the_candidate_does_not_sit_on_their_own_committee(candidate, hr, refused):
    review = requested_review(candidate)
    members = {**committee_for(candidate), HR_DIRECTOR: candidate.user}
    refused(lambda: services.review_schedule(review=review, when=in_a_week(), place="", members=members, by=hr),
            ReviewError, "own committee", candidate)


def test_an_inactive_member_is_refused(candidate, hr, refused):
    review = requested_review(candidate)
    members = committee_for(candidate)
    members[CTO].is_active = False
    members[CTO].save()
    refused(lambda: services.review_schedule(review=review, when=in_a_week(), place="", members=members, by=hr),
            ReviewError, "active user", candidate)


@pytest.mark.parametrize("delta", [datetime.timedelta(minutes=-1), datetime.timedelta(days=-30)])
def test_the_defense_is_in_the_future(delta, candidate, hr, refused):
    review = requested_review(candidate)
    refused(lambda: services.review_schedule(review=review, when=timezone.now() + delta, place="",
                                             members=committee_for(candidate), by=hr),
            ReviewError, "in the future", candidate)


def test_unmet_requirements_block_scheduling_and_the_count_is_named(hr, refused):
    candidate = ready_candidate(requirements=3, confirmed=False)
    review = requested_review(candidate)
    members = committee_for(candidate)
    message = refused(lambda: services.review_schedule(review=review, when=in_a_week(), place="", members=members, by=hr),
                      ReviewError, "3 requirement(s)", candidate)
    assert "Middle+" in message
    # Whitespace is no reason.
    refused(lambda: services.review_schedule(review=review, when=in_a_week(), place="", members=members, by=hr,
                                             override_reason="   "),
            ReviewError, "3 requirement(s)", candidate)


def test_hr_may_override_unmet_requirements_with_a_reason(hr):
    candidate = ready_candidate(requirements=3, confirmed=False)
    review = requested_review(candidate)
    reason = "The CTO vouches for the security work, confirmed verbally."
    services.review_schedule(review=review, when=in_a_week(), place="", members=committee_for(candidate), by=hr,
                             override_reason=reason)
    review.refresh_from_db()
    assert (review.status, review.override_reason) == (ReviewStatus.SCHEDULED, reason)
    event = review.events.get(action="scheduled")
    assert (event.actor, event.note, event.data["unmet_requirements"]) == (hr, reason, 3)


def test_partly_confirmed_requirements_count_only_the_missing_ones(hr, refused):
    candidate = ready_candidate(requirements=3, confirmed=False)
    requirement = candidate.track.requirements.order_by("id").first()
    EvidenceFactory(employee=candidate, requirement=requirement, confirmed=True)
    review = requested_review(candidate)
    refused(lambda: services.review_schedule(review=review, when=in_a_week(), place="",
                                             members=committee_for(candidate), by=hr),
            ReviewError, "2 requirement(s)", candidate)


@pytest.mark.parametrize("trait", ["withdrawn", "passed", "failed"])
def test_a_closed_review_cannot_be_scheduled(trait, hr, refused):
    review, members, _hr = voted_review(hr=hr, votes={CTO: R, PRODUCT: R} if trait == "failed" else None)
    if trait == "withdrawn":
        services.review_withdraw(review=review, by=hr)
    else:
        services.review_decide(review=review, by=hr, note="Decided")
    refused(lambda: services.review_schedule(review=review, when=in_a_week(), place="", members=members, by=hr),
            ReviewError, "can no longer be scheduled", review.candidate)


def test_moving_a_defense(candidate, hr, mailoutbox, django_capture_on_commit_callbacks):
    review, members, _hr = held_review(candidate, hr=hr)
    services.review_vote(review=review, by=members[CTO], value=A)
    seats_before = list(review.seats.order_by("id").values_list("id", "role", "member"))
    later = timezone.now() + datetime.timedelta(days=14)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_schedule(review=review, when=later, place="Room 9", members=members, by=hr)
    review.refresh_from_db()
    assert (review.status, review.scheduled_for, review.place) == (ReviewStatus.SCHEDULED, later, "Room 9")
    assert list(review.seats.order_by("id").values_list("id", "role", "member")) == seats_before
    assert Vote.objects.filter(seat__review=review).count() == 1
    event = review.events.order_by("-id").first()
    assert (event.action, event.actor, event.data["place"]) == ("moved", hr, "Room 9")
    assert event.data["when"] == later.isoformat()
    assert recipients(mailoutbox) == emails([*members.values(), candidate.user])
    assert all(mail.subject.startswith("Your defense is moved" if mail.to == [candidate.user.email] else "Defense moved")
               for mail in mailoutbox)
    assert all("has been moved" in mail.body for mail in mailoutbox)


def test_moving_may_replace_a_member_who_has_not_voted(candidate, hr, mailoutbox, django_capture_on_commit_callbacks):
    review, members, _hr = held_review(candidate, hr=hr)
    services.review_vote(review=review, by=members[CTO], value=A)
    replacement = UserFactory(roles=[COMMITTEE])
    new_members = {**members, PRODUCT: replacement}
    with django_capture_on_commit_callbacks(execute=True):
        services.review_schedule(review=review, when=in_a_week(), place="", members=new_members, by=hr)
    assert {seat.role: seat.member for seat in review.seats.all()} == new_members
    assert recipients(mailoutbox) == emails([*new_members.values(), candidate.user])
    assert review.events.order_by("-id").first().data["members"][PRODUCT] == replacement.username


def test_moving_may_not_give_away_a_seat_that_has_voted(candidate, hr, refused):
    review, members, _hr = held_review(candidate, hr=hr)
    services.review_vote(review=review, by=members[CTO], value=A)
    new_members = {**members, CTO: UserFactory(roles=[COMMITTEE])}
    message = refused(lambda: services.review_schedule(review=review, when=in_a_week(), place="",
                                                       members=new_members, by=hr),
                      ReviewError, "already voted", candidate)
    assert "CTO" in message


def test_moving_may_swap_two_members_who_have_not_voted(candidate, hr):
    """Two members trade seats. Each still holds one seat, so this is a legitimate move.

    A clear ReviewError that changes nothing would be acceptable too; an IntegrityError
    from the one-seat-per-member constraint (a 500 in the browser) is not.
    """
    review, members, _hr = scheduled_review(candidate, hr=hr)
    swapped = {**members, CTO: members[PRODUCT], PRODUCT: members[CTO]}
    before = snapshot(candidate)
    try:
        services.review_schedule(review=review, when=in_a_week(), place="", members=swapped, by=hr)
    except ReviewError:
        assert snapshot(candidate) == before
    else:
        assert {seat.role: seat.member for seat in review.seats.all()} == swapped
        assert review.seats.count() == 4


def test_moving_an_overridden_defense_keeps_the_stored_reason(hr):
    """HR gave a reason once; moving the date must not demand it again or erase it."""
    candidate = ready_candidate(requirements=2, confirmed=False)
    review = requested_review(candidate)
    members = committee_for(candidate)
    reason = "Confirmed in the quarterly calibration."
    services.review_schedule(review=review, when=in_a_week(), place="", members=members, by=hr,
                             override_reason=reason)
    later = timezone.now() + datetime.timedelta(days=10)
    services.review_schedule(review=review, when=later, place="Room 7", members=members, by=hr)
    review.refresh_from_db()
    assert (review.scheduled_for, review.override_reason) == (later, reason)
    assert actions(review)[-1] == "moved"


# --- Vote ---------------------------------------------------------------------------------------


def test_a_member_votes(hr):
    review, members, _hr = held_review(hr=hr)
    before = timezone.now()
    vote = services.review_vote(review=review, by=members[PRODUCT], value=X, comment="Not my area")
    vote.refresh_from_db()
    assert (vote.seat.role, vote.value, vote.comment, vote.changed_at) == (PRODUCT, X, "Not my area", None)
    assert before <= vote.cast_at <= timezone.now()
    event = review.events.get(action="voted")
    assert (event.actor, event.at, event.note, event.data) == (
        members[PRODUCT], vote.cast_at, "Not my area", {"role": PRODUCT, "vote": X, "notes": {}})


def test_a_vote_may_change_until_the_decision(hr):
    review, members, _hr = held_review(hr=hr)
    first = services.review_vote(review=review, by=members[CTO], value=R, comment="Weak on design")
    second = services.review_vote(review=review, by=members[CTO], value=A, comment="Convinced after all")
    assert second.pk == first.pk
    vote = Vote.objects.get(seat__review=review)
    assert (vote.value, vote.comment, vote.cast_at) == (A, "Convinced after all", first.cast_at)
    assert vote.changed_at >= vote.cast_at
    assert actions(review)[-2:] == ["voted", "vote_changed"]
    changed = review.events.get(action="vote_changed")
    assert (changed.actor, changed.data) == (members[CTO], {"role": CTO, "vote": A, "notes": {}})


def test_a_vote_recorded_later_than_the_clock_is_not_changed(hr, refused):
    """A vote whose cast time is ahead of the server's clock (an import, a clock set back) is
    refused with a message instead of breaking the changed-after-cast rule with an error."""
    review, members, _hr = held_review(hr=hr)
    vote = services.review_vote(review=review, by=members[CTO], value=R, comment="Weak on design")
    Vote.objects.filter(pk=vote.pk).update(cast_at=timezone.now() + datetime.timedelta(hours=3))
    refused(lambda: services.review_vote(review=review, by=members[CTO], value=A), ReviewError,
            "later than the server's clock", review.candidate)
    assert Vote.objects.get(pk=vote.pk).value == R


@pytest.mark.parametrize("who", ["hr", "candidate", "stranger", "other committee"])
def test_only_seated_members_vote(who, hr, refused):
    review, _members, _hr = scheduled_review(hr=hr)
    by = {
        "hr": hr,
        "candidate": review.candidate.user,
        "stranger": UserFactory(),
        "other committee": UserFactory(roles=[COMMITTEE]),
    }[who]
    refused(lambda: services.review_vote(review=review, by=by, value=A), PermissionError,
            "Only members of this committee", review.candidate)


def test_nobody_votes_before_the_defense_is_scheduled(candidate, refused):
    review = requested_review(candidate)
    # Nobody has a seat yet, so even the future team lead seat is refused.
    refused(lambda: services.review_vote(review=review, by=candidate.team_lead.user, value=A), PermissionError,
            "Only members", candidate)


@pytest.mark.parametrize("value", ["", "yes", "APPROVE", None])
def test_an_unknown_vote_is_refused(value, hr, refused):
    review, members, _hr = held_review(hr=hr)
    refused(lambda: services.review_vote(review=review, by=members[CTO], value=value), ReviewError,
            "approve, reject or abstain", review.candidate)


def test_an_overlong_comment_is_refused(hr, refused):
    review, members, _hr = held_review(hr=hr)
    refused(lambda: services.review_vote(review=review, by=members[CTO], value=A, comment="x" * 5001),
            ReviewError, "longer than", review.candidate)


@pytest.mark.parametrize("outcome", ["passed", "failed", "withdrawn"])
def test_no_votes_after_the_review_is_closed(outcome, hr, refused):
    review, members, _hr = voted_review(hr=hr, votes={CTO: R, PRODUCT: R} if outcome == "failed" else None)
    if outcome == "withdrawn":
        services.review_withdraw(review=review, by=hr)
    else:
        services.review_decide(review=review, by=hr, note="Decided")
    refused(lambda: services.review_vote(review=review, by=members[CTO], value=R), ReviewError,
            outcome, review.candidate)


# --- Decide -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, votes, passed",
    [
        ("majority", {CTO: A, PRODUCT: A, HR_DIRECTOR: A, LEAD: R}, True),
        ("unanimous", {CTO: A, PRODUCT: A, HR_DIRECTOR: A, LEAD: R}, False),
        ("majority", {CTO: A, PRODUCT: X, HR_DIRECTOR: X, LEAD: X}, True),
        ("unanimous", {CTO: A, PRODUCT: X, HR_DIRECTOR: X, LEAD: X}, True),
        ("majority", {CTO: A, PRODUCT: A, HR_DIRECTOR: R, LEAD: R}, False),  # a tie fails
        ("majority", {CTO: X, PRODUCT: X, HR_DIRECTOR: X, LEAD: X}, False),
        ("unanimous", {CTO: X, PRODUCT: X, HR_DIRECTOR: X, LEAD: X}, False),
    ],
)
def test_the_decision_follows_the_decision_policy(rule, votes, passed, hr):
    review, _members, _hr = voted_review(hr=hr, votes=votes)
    # Changed after the votes: the rule in force when HR records the decision is the one applied.
    DecisionPolicy.objects.filter(pk=DecisionPolicy.ROW_ID).update(rule=rule)
    candidate = review.candidate
    review = services.review_decide(review=review, by=hr, note="Decided by the rule")
    review.refresh_from_db()
    candidate.refresh_from_db()
    assert review.status == (ReviewStatus.PASSED if passed else ReviewStatus.FAILED)
    assert review.events.order_by("-id").first().data["rule"] == rule
    promotions = GradeChange.objects.filter(employee=candidate, kind=GradeChangeKind.PROMOTION)
    if passed:
        assert list(promotions) == [review.grade_change]
        assert candidate.current_level == level("middle-plus")
    else:
        assert review.grade_change is None
        assert not promotions.exists()
        assert candidate.current_level == level("middle")
        assert actions(review)[-1] == "failed"


def test_a_failed_decision_is_recorded_like_a_passed_one(hr):
    review, _members, _hr = voted_review(hr=hr, votes={CTO: R, PRODUCT: R})
    services.review_decide(review=review, by=hr, note="Come back with the design doc")
    review.refresh_from_db()
    assert (review.status, review.decided_by, review.decision_note) == ("failed", hr, "Come back with the design doc")
    assert review.decided_at is not None
    assert review.open_marker is None


@pytest.mark.parametrize("who", ["candidate", "lead", "committee member", "stranger"])
def test_only_hr_decides(who, hr, refused):
    review, members, _hr = voted_review(hr=hr)
    by = {
        "candidate": review.candidate.user,
        "lead": members[LEAD],
        "committee member": members[CTO],
        "stranger": UserFactory(),
    }[who]
    refused(lambda: services.review_decide(review=review, by=by), PermissionError, "Only HR", review.candidate)


def test_no_decision_before_every_seat_has_voted(hr, refused):
    review, members, _hr = held_review(hr=hr)
    services.review_vote(review=review, by=members[CTO], value=A)
    services.review_vote(review=review, by=members[LEAD], value=A)
    message = refused(lambda: services.review_decide(review=review, by=hr), ReviewError,
                      "Not everyone has voted", review.candidate)
    assert "Product director" in message and "HR director" in message
    assert "CTO" not in message and "Team lead" not in message


def test_no_decision_of_a_requested_review(candidate, hr, refused):
    review = requested_review(candidate)
    refused(lambda: services.review_decide(review=review, by=hr), ReviewError, "only a scheduled defense", candidate)


def test_a_review_is_decided_once(hr, refused):
    review, _members, _hr = voted_review(hr=hr)
    services.review_decide(review=review, by=hr)
    refused(lambda: services.review_decide(review=review, by=hr), ReviewError, "passed", review.candidate)
    assert GradeChange.objects.filter(employee=review.candidate, kind=GradeChangeKind.PROMOTION).count() == 1


def test_a_ledger_that_moved_meanwhile_refuses_the_promotion(hr, refused):
    review, _members, _hr = voted_review(hr=hr)
    candidate = review.candidate
    grade_change_record(employee=candidate, kind=GradeChangeKind.CORRECTION, level=level("senior"),
                        effective_date=timezone.localdate(), reason="Hired at the wrong level", by=hr)
    refused(lambda: services.review_decide(review=review, by=hr), ReviewError, "cannot be recorded", candidate)


def test_the_promotion_and_the_decision_are_one_transaction(hr, monkeypatch, refused):
    review, _members, _hr = voted_review(hr=hr)
    real_event = services._event

    def failing_event(review, action, *args, **kwargs):
        if action == "passed":
            raise RuntimeError("disk full")
        return real_event(review, action, *args, **kwargs)

    monkeypatch.setattr(services, "_event", failing_event)
    # The promotion was appended before the event failed; it must be rolled back with it.
    refused(lambda: services.review_decide(review=review, by=hr), RuntimeError, "disk full", review.candidate)


def test_a_decision_mails_the_candidate_and_the_team_lead_only(hr, mailoutbox, django_capture_on_commit_callbacks):
    review, members, _hr = voted_review(hr=hr, votes={CTO: R})
    with django_capture_on_commit_callbacks(execute=True):
        services.review_decide(review=review, by=hr, note="Congratulations")
    candidate = review.candidate
    assert recipients(mailoutbox) == emails([candidate.user, candidate.team_lead.user])
    assert all(mail.subject.startswith("Defense passed") for mail in mailoutbox)
    assert all("Middle+" in mail.body and "Congratulations" in mail.body for mail in mailoutbox)


def test_a_failed_decision_mail_says_so(hr, mailoutbox, django_capture_on_commit_callbacks):
    review, _members, _hr = voted_review(hr=hr, votes={CTO: R, PRODUCT: R})
    with django_capture_on_commit_callbacks(execute=True):
        services.review_decide(review=review, by=hr, note="Not yet")
    assert len(mailoutbox) == 2
    assert all(mail.subject.startswith("Defense not passed") for mail in mailoutbox)


def test_no_mail_carries_anyone_s_vote(candidate, hr, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        review, members, _hr = held_review(candidate, hr=hr)
    comments = {role: f"secret-{role}-remark" for role in members}
    for role, member in members.items():
        services.review_vote(review=review, by=member, value=R if role == CTO else A, comment=comments[role])
    with django_capture_on_commit_callbacks(execute=True):
        services.review_schedule(review=review, when=in_a_week(), place="Room 2", members=members, by=hr)
    defense_day_came(review)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_decide(review=review, by=hr, note="Decided")
    # HR of the request; the committee and the candidate twice (scheduled, moved); the decision.
    assert len(mailoutbox) == 1 + 5 + 5 + 2
    for mail in mailoutbox:
        text = "\n".join([mail.subject, mail.body, *(str(a[1]) for a in mail.attachments)]).lower()
        for comment in comments.values():
            assert comment not in text
        for word in ("approve", "reject", "abstain"):
            assert word not in text


# --- Withdraw -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["candidate", "lead", "hr"])
def test_withdrawal_by_the_candidate_their_lead_or_hr(who, candidate, hr):
    review = requested_review(candidate)
    by = {"candidate": candidate.user, "lead": candidate.team_lead.user, "hr": hr}[who]
    services.review_withdraw(review=review, by=by, reason="Switching teams")
    review.refresh_from_db()
    assert (review.status, review.withdrawn_reason, review.open_marker) == ("withdrawn", "Switching teams", None)
    event = review.events.get(action="withdrawn")
    assert (event.actor, event.note) == (by, "Switching teams")


def test_withdrawing_a_scheduled_defense_tells_the_committee(hr, mailoutbox, django_capture_on_commit_callbacks):
    review, members, _hr = scheduled_review(hr=hr)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_withdraw(review=review, by=review.candidate.user)
    assert recipients(mailoutbox) == emails(members.values())
    assert all(mail.subject.startswith("Defense cancelled") for mail in mailoutbox)


def test_withdrawing_a_requested_review_mails_nobody(candidate, mailoutbox, django_capture_on_commit_callbacks):
    review = requested_review(candidate)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_withdraw(review=review, by=candidate.user)
    assert mailoutbox == []


@pytest.mark.parametrize("who", ["stranger", "committee member", "other lead"])
def test_others_may_not_withdraw(who, hr, refused):
    review, members, _hr = scheduled_review(hr=hr)
    by = {
        "stranger": UserFactory(),
        "committee member": members[CTO],
        "other lead": hire(level_code="senior", roles=[TEAM_LEAD]).user,
    }[who]
    refused(lambda: services.review_withdraw(review=review, by=by), PermissionError,
            "Only the candidate, their team lead or HR", review.candidate)


@pytest.mark.parametrize("outcome", ["passed", "failed", "withdrawn"])
def test_a_closed_review_cannot_be_withdrawn(outcome, hr, refused):
    review, _members, _hr = voted_review(hr=hr, votes={CTO: R, PRODUCT: R} if outcome == "failed" else None)
    if outcome == "withdrawn":
        services.review_withdraw(review=review, by=hr)
    else:
        services.review_decide(review=review, by=hr, note="Decided")
    refused(lambda: services.review_withdraw(review=review, by=review.candidate.user), ReviewError,
            "can no longer be withdrawn", review.candidate)


@pytest.mark.parametrize("failing_action", ["passed", "voted"])
def test_a_database_error_mid_way_leaves_nothing_half_written(hr, monkeypatch, refused, failing_action):
    """A vote or a decision that the database fails half-way (after its first writes) is undone whole."""
    from django.db import OperationalError

    review, members, _hr = voted_review(hr=hr)
    real_event = services._event

    def failing_event(review, action, *args, **kwargs):
        if action == failing_action or action == "vote_changed":
            raise OperationalError(2013, "Lost connection to server during query")
        return real_event(review, action, *args, **kwargs)

    monkeypatch.setattr(services, "_event", failing_event)
    if failing_action == "passed":
        refused(lambda: services.review_decide(review=review, by=hr), OperationalError, "Lost connection",
                review.candidate)
    else:
        member = next(iter(members.values())) if isinstance(members, dict) else members[0]
        refused(lambda: services.review_vote(review=review, by=member, value="reject", comment="changed"),
                OperationalError, "Lost connection", review.candidate)
