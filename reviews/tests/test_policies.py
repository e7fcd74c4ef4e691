"""reviews.policies: who may hold a committee seat, as a table and through the schedule service and page."""

import datetime

import pytest
from django.utils import timezone

from grades.models import Employee
from grades.roles import COMMITTEE, TEAM_LEAD
from grades.tests.factories import UserFactory
from reviews import policies, services
from reviews.models import CommitteeSeat, PromotionReview, ReviewEvent, SeatRole
from reviews.services import ReviewError
from reviews.tests.factories import defense_day_came
from reviews.tests.test_services import (
    committee_for, held_review, in_a_week, ready_candidate, requested_review, scheduled_review,
)

pytestmark = pytest.mark.django_db

CTO, PRODUCT, HR_DIRECTOR, LEAD = SeatRole.CTO, SeatRole.PRODUCT, SeatRole.HR_DIRECTOR, SeatRole.TEAM_LEAD


@pytest.mark.parametrize(
    "role, groups, superuser, holds_it, leads, allowed",
    [
        (CTO, {COMMITTEE}, False, False, False, True),
        (PRODUCT, {COMMITTEE}, False, False, False, True),
        (HR_DIRECTOR, {COMMITTEE}, False, False, False, True),
        (CTO, {TEAM_LEAD}, False, False, False, False),
        (CTO, set(), False, False, True, False),  # leading the candidate is no director's seat
        (CTO, set(), True, False, False, True),
        (CTO, set(), False, True, False, True),  # seated before leaving the group: kept
        (LEAD, {TEAM_LEAD}, False, False, False, True),
        (LEAD, {COMMITTEE}, False, False, False, False),
        (LEAD, set(), False, False, True, True),
        (LEAD, set(), False, True, False, True),
        (LEAD, set(), False, False, False, False),
        (LEAD, {"HR", "Developer"}, False, False, False, False),
    ],
)
def test_who_may_hold_a_seat(role, groups, superuser, holds_it, leads, allowed):
    assert policies.may_hold_seat(
        role, groups=groups, is_superuser=superuser, holds_it_now=holds_it, leads_candidate=leads
    ) is allowed


def seats_of(review):
    return sorted(CommitteeSeat.objects.filter(review=review).values_list("role", "member_id"))


def test_a_team_lead_cannot_take_a_directors_seat_and_nothing_is_written():
    review = requested_review()
    hr = UserFactory(roles=["HR"])
    members = {**committee_for(review.candidate), CTO: UserFactory(roles=[TEAM_LEAD])}
    events = ReviewEvent.objects.count()
    with pytest.raises(ReviewError, match="CTO"):
        services.review_schedule(review=review, when=in_a_week(), place="Room 4", members=members, by=hr)
    review.refresh_from_db()
    assert review.status == "requested" and review.scheduled_for is None
    assert seats_of(review) == [] and ReviewEvent.objects.count() == events


def test_a_director_cannot_take_the_team_leads_seat():
    review = requested_review()
    hr = UserFactory(roles=["HR"])
    members = {**committee_for(review.candidate), LEAD: UserFactory(roles=[COMMITTEE])}
    with pytest.raises(ReviewError, match="Team lead"):
        services.review_schedule(review=review, when=in_a_week(), place="Room 4", members=members, by=hr)
    assert seats_of(review) == []


def test_the_candidates_own_lead_sits_without_the_group_and_a_seated_member_keeps_the_seat():
    candidate = ready_candidate()
    lead_user = candidate.team_lead.user
    lead_user.groups.clear()  # the lead of the candidate, not (or no longer) in the group
    review, members, hr = scheduled_review(candidate)
    assert dict(seats_of(review))[LEAD] == lead_user.pk
    # The CTO leaves the Committee group; moving the defense keeps them in their seat ...
    members[CTO].groups.clear()
    later = in_a_week() + datetime.timedelta(days=1)
    services.review_schedule(review=review, when=later, place="Room 5", members=members, by=hr)
    review.refresh_from_db()
    assert review.place == "Room 5" and dict(seats_of(review))[CTO] == members[CTO].pk
    # ... but not in another one.
    swapped = {**members, CTO: members[PRODUCT], PRODUCT: members[CTO]}
    with pytest.raises(ReviewError, match="Product director"):
        services.review_schedule(review=review, when=later, place="Room 6", members=swapped, by=hr)
    review.refresh_from_db()
    assert review.place == "Room 5" and dict(seats_of(review))[CTO] == members[CTO].pk


def test_the_schedule_page_offers_each_seat_its_own_people_and_refuses_others(client):
    review = requested_review()
    hr = UserFactory(roles=["HR"])
    members = committee_for(review.candidate)
    outsider_lead = UserFactory(roles=[TEAM_LEAD], first_name="Otto", last_name="Outsider")
    client.force_login(hr)
    page = client.get(f"/reviews/{review.pk}/")
    form = page.context["forms"]["schedule"]
    assert page.status_code == 200 and form is not None
    selects = dict((field.name, html) for field, html in page.context["member_selects"])
    assert f'value="{outsider_lead.pk}"' in selects["team_lead"]
    assert f'value="{outsider_lead.pk}"' not in selects["cto"]
    assert f'value="{members[CTO].pk}"' in selects["cto"] and f'value="{members[CTO].pk}"' not in selects["team_lead"]
    assert f'value="{review.candidate.user_id}"' not in "".join(selects.values())
    # Posting a team lead for the CTO's seat: 400 in the page, the field marked, nothing scheduled.
    when = timezone.localtime(in_a_week()).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/reviews/{review.pk}/schedule/", {
        "when": when, "place": "Room 4", CTO: outsider_lead.pk, PRODUCT: members[PRODUCT].pk,
        HR_DIRECTOR: members[HR_DIRECTOR].pk, LEAD: members[LEAD].pk,
    })
    assert response.status_code == 400
    assert response.context["forms"]["schedule"].errors.get("cto")
    assert PromotionReview.objects.get(pk=review.pk).status == "requested" and seats_of(review) == []


def test_a_failed_defense_is_noted_on_the_persons_row_and_starts_the_cooldown():
    candidate = ready_candidate()
    review, members, hr = scheduled_review(candidate)
    defense_day_came(review, days_ago=3)
    for member in members.values():
        services.review_vote(review=review, by=member, value="reject")
    assert Employee.objects.get(pk=candidate.pk).last_failed_defense_on is None
    services.review_decide(review=review, by=hr, note="Not yet")
    # The cool-down counts from the defense, not from the day HR recorded the decision.
    held_on = timezone.localdate() - datetime.timedelta(days=3)
    assert Employee.objects.get(pk=candidate.pk).last_failed_defense_on == held_on
    with pytest.raises(ReviewError, match="Too early"):
        services.review_request(statement="Ready for the next level.", candidate=Employee.objects.get(pk=candidate.pk), by=candidate.user)


def test_a_passed_defense_leaves_the_failed_day_alone():
    candidate = ready_candidate()
    Employee.objects.filter(pk=candidate.pk).update(last_failed_defense_on=datetime.date(2020, 5, 1))
    review, members, hr = held_review(candidate)
    for member in members.values():
        services.review_vote(review=review, by=member, value="approve")
    services.review_decide(review=review, by=hr)
    assert Employee.objects.get(pk=candidate.pk).last_failed_defense_on == datetime.date(2020, 5, 1)


def test_who_may_act_on_a_review():
    """may_request, may_withdraw, may_vote, may_schedule and may_decide against each kind of person."""
    review, members, hr = scheduled_review()
    candidate = review.candidate
    lead = candidate.team_lead.user
    stranger = UserFactory(roles=["Developer"])
    director = members[CTO]
    seat = CommitteeSeat.objects.get(review=review, member=director)
    table = {
        # person: (request, withdraw, schedule, decide, vote with the CTO's seat)
        "candidate": (candidate.user, True, True, False, False, False),
        "lead": (lead, True, True, False, False, False),
        "hr": (hr, False, True, True, True, False),
        "director": (director, False, False, False, False, True),
        "stranger": (stranger, False, False, False, False, False),
    }
    for who, (person, request, withdraw, schedule, decide, vote) in table.items():
        assert policies.may_request(person, candidate) is request, who
        assert policies.may_withdraw(person, review) is withdraw, who
        assert policies.may_schedule(person) is schedule, who
        assert policies.may_decide(person) is decide, who
        assert policies.may_vote(person, seat) is vote, who
        assert policies.may_see_review(person, review, list(review.seats.all())) is (who != "stranger"), who
        assert policies.visible_reviews(person).filter(pk=review.pk).exists() is (who != "stranger"), who
    assert policies.may_vote(director, None) is False
