"""Test data for reviews: an organisation with a committee, and reviews in each state made
through the real services (so every row, seat, vote and event is what production writes)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from grades.models import GradeChange, Requirement
from grades.tests.factories import EvidenceFactory, UserFactory, hire
from reviews import services
from reviews.models import CommitteeSeat, PacketSnapshot, PromotionReview, ReviewEvent, SeatRole, Vote


def organisation() -> dict:
    """A backend team (lead, dev, colleague), another team, HR, a manager, and the committee.

    `dev` is Middle since 2021 with probation over: eligible to defend Middle+ today.
    `spare` is in the Committee group but is never seated in these tests.
    """
    lead = hire(level_code="senior", hire_date=datetime.date(2018, 1, 1),
                user=UserFactory(username="lead", first_name="Lena", last_name="Lead",
                                 roles=["Developer", "Team lead"]))
    dev = hire(level_code="middle", team_lead=lead, hire_date=datetime.date(2021, 3, 1),
               probation_end=datetime.date(2021, 6, 1),
               user=UserFactory(username="dev", first_name="Dana", last_name="Dev", roles=["Developer"]))
    colleague = hire(level_code="junior-plus", team_lead=lead)
    other_lead = hire(level_code="senior", roles=["Developer", "Team lead"], track_slug="fullstack")
    other_dev = hire(level_code="middle", team_lead=other_lead, track_slug="fullstack",
                     hire_date=datetime.date(2020, 1, 1))
    return {
        "lead": lead,
        "dev": dev,
        "colleague": colleague,
        "other_lead": other_lead,
        "other_dev": other_dev,
        "hr": UserFactory(username="hr", first_name="Hanna", last_name="HR", roles=["HR"], is_staff=True),
        "manager": UserFactory(username="manager", roles=["Manager"]),
        "cto": UserFactory(username="cto", first_name="Carl", last_name="CTO", roles=["Committee"]),
        "product": UserFactory(username="product", first_name="Pia", last_name="Product", roles=["Committee"]),
        "hrdirector": UserFactory(username="hrdirector", first_name="Hugo", last_name="Director",
                                  roles=["Committee"]),
        "spare": UserFactory(username="spare", roles=["Committee"]),
    }


def user_of(person):
    """The user of an Employee, or the user itself."""
    return getattr(person, "user", person)


def members(org: dict) -> dict:
    """The four seats for a review of `dev`: their team lead sits in the team-lead seat."""
    return {
        SeatRole.CTO: org["cto"],
        SeatRole.PRODUCT: org["product"],
        SeatRole.HR_DIRECTOR: org["hrdirector"],
        SeatRole.TEAM_LEAD: org["lead"].user,
    }


def confirm_checklist(employee) -> None:
    """Confirm every people-judged line of the person's next-level checklist."""
    rank = employee.current_level.rank + 1
    for requirement in Requirement.objects.for_track_up_to(employee.track_id, rank).filter(check_kind=""):
        EvidenceFactory(employee=employee, requirement=requirement, confirmed=True)


def in_a_week() -> datetime.datetime:
    return (timezone.localtime() + datetime.timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)


def requested(org: dict, *, candidate=None, by=None) -> PromotionReview:
    candidate = candidate or org["dev"]
    return services.review_request(
        candidate=candidate, by=user_of(by or candidate.team_lead), recommendation="Led the billing rewrite.",
        statement="Ready: the search rewrite and the on-call runbook show the Middle+ skills.",
    )


def scheduled(org: dict, review=None, *, when=None) -> PromotionReview:
    review = review or requested(org)
    return services.review_schedule(
        review=review, when=when or in_a_week(), place="Room 4", members=members(org), by=org["hr"],
        override_reason="Strong performer; the last two lines are confirmed next week.",
    )


def defense_day_came(review: PromotionReview, *, days_ago: int = 0) -> PromotionReview:
    """Time passes: the defense scheduled ahead is held now (or `days_ago` days ago).

    Votes and the decision are taken only from the defense's day; the services refuse to
    schedule in the past, so the date is moved here, as the clock would move it.
    """
    when = timezone.now() - datetime.timedelta(days=days_ago, minutes=1)
    PromotionReview.objects.filter(pk=review.pk).update(scheduled_for=when)
    review.scheduled_for = when
    return review


def voted(org: dict, review=None, *, values=("approve", "approve", "approve", "approve")) -> PromotionReview:
    review = defense_day_came(review or scheduled(org))
    for (role, user), value in zip(members(org).items(), values):
        services.review_vote(review=review, by=user, value=value, comment=f"{role} says {value}")
    return review


def decided(org: dict, *, values=("approve", "approve", "approve", "approve")) -> PromotionReview:
    review = voted(org, values=values)
    return services.review_decide(review=review, by=org["hr"], note="The committee has spoken.")


def db_state():
    """Every row a review action could write: compare before and after a refused action."""
    from grades.models import Employee

    return (
        list(PromotionReview.objects.order_by("id").values()),
        list(CommitteeSeat.objects.order_by("id").values()),
        list(Vote.objects.order_by("id").values()),
        list(ReviewEvent.objects.order_by("id").values()),
        list(GradeChange.objects.order_by("id").values()),
        list(PacketSnapshot.objects.order_by("id").values()),
        list(Employee.objects.order_by("id").values("id", "current_level_id", "current_level_since")),
    )
