"""
The home page's inbox: what waits for the signed-in person, one part per role they hold.

Composed here, above the apps, from their selectors: the core's (grades.selectors) and the
reviews app's (reviews.selectors), which never import each other the other way. Each part
costs a fixed number of statements whatever the size of the organisation, and a person
with several roles gets each part once:

  * developer (anyone with an employee row): their next level, the checklist's share done,
    the earliest defense date, their open review if any, and their open growth goals;
  * team lead (someone has them as team lead): their people's claims waiting for a
    decision, who of them is ready for the next level, and their upcoming defenses;
  * committee (the Committee group always; a team lead when seated): the defenses
    waiting for their vote;
  * HR: the requests to schedule, the defenses whose votes are all in, the claims
    waiting longer than settings.GRADES_OVERDUE_CLAIM_DAYS;
  * managers and HR: a link to the dashboard, when the product has one (a manager with no
    part at all starts on the dashboard instead: gradesys.views.home).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from exports import policies as export_policies
from grades import policies
from grades import selectors as grade_selectors
from grades.roles import viewer_facts
from grades.selectors import Listed, NextStep
from reviews import policies as review_policies
from reviews import selectors as review_selectors
from reviews.models import ReviewStatus


@dataclass
class DeveloperPart:
    step: NextStep
    goals: Listed
    # The person's open review: its page, whether it is scheduled, and its date.
    review_url: str | None = None
    review_scheduled: bool = False
    review_at: datetime.datetime | None = None

    @property
    def next_action(self) -> str:
        """Which sentence the page leads with (the template words it)."""
        step = self.step
        if self.review_url:
            return "defend" if self.review_scheduled else "wait_schedule"
        if step.next_level is None:
            return "top"
        if not step.checklist_complete:
            return "claim"
        if not step.date_reached:
            return "wait_date"
        return "ask"


@dataclass
class LeadPart:
    claims: Listed
    ready: Listed
    defenses: Listed


@dataclass
class CommitteePart:
    reviews: Listed


@dataclass
class HrPart:
    requests: Listed
    decisions: Listed
    overdue: Listed
    overdue_days: int


@dataclass
class Inbox:
    developer: DeveloperPart | None = None
    lead: LeadPart | None = None
    committee: CommitteePart | None = None
    hr: HrPart | None = None
    dashboard_url: str | None = None
    # Where the rest of the product is, for this person (the old start page's targets).
    links: list[tuple[str, str]] = field(default_factory=list)

    @property
    def has_parts(self) -> bool:
        return any((self.developer, self.lead, self.committee, self.hr))


def _days_since(moment: datetime.datetime, today: datetime.date) -> int:
    return (today - timezone.localtime(moment).date()).days


def _mark_claims(claims: Listed, people_url: str, today: datetime.date) -> Listed:
    """Each claim with the address of its line on the person's page, and its age in days."""
    for claim in claims.items:
        claim.url = f"{people_url}{claim.employee_id}/#req-{claim.requirement_id}"
        claim.age_days = _days_since(claim.claimed_at, today)
    return claims


def _mark_reviews(reviews: Listed, reviews_url: str, today: datetime.date) -> Listed:
    """Each review with the address of its page and the age of its request in days."""
    for review in reviews.items:
        review.url = f"{reviews_url}{review.pk}/"
        review.age_days = _days_since(review.requested_at, today)
    return reviews


def inbox_for(user, *, now: datetime.datetime | None = None) -> Inbox:
    """The signed-in `user`'s inbox (see the module's docstring for its parts and their cost)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    facts = viewer_facts(user)
    # One reverse() per list rather than one per row: a person's page is people/<id>/ under the
    # people list's address, a review's <id>/ under the reviews list's.
    people_url = reverse("grades:people")
    reviews_url = reverse("reviews:list")
    inbox = Inbox()

    if facts.is_employee:
        person = (
            grade_selectors.inbox_person(facts.employee_id)
            .annotate(**review_selectors.open_review_annotations())
            .first()
        )
        if person is not None:
            inbox.developer = DeveloperPart(
                step=grade_selectors.next_step(person, on=today),
                goals=grade_selectors.open_goals(person.pk),
                review_url=f"{reviews_url}{person.open_review_id}/" if person.open_review_id else None,
                review_scheduled=person.open_review_status == ReviewStatus.SCHEDULED,
                review_at=person.open_review_at,
            )

    if policies.leads_anyone(user):
        lead_id = facts.employee_id
        candidates = review_selectors.without_open_review(grade_selectors.reports_with_checklist_done(lead_id))
        ready = grade_selectors.ready_people(candidates, on=today)
        for step in ready.items:
            step.url = f"{people_url}{step.employee.pk}/"
        start_of_today = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
        inbox.lead = LeadPart(
            claims=_mark_claims(grade_selectors.waiting_claims_of_reports(lead_id), people_url, today),
            ready=ready,
            defenses=_mark_reviews(
                review_selectors.upcoming_defenses_of_reports(lead_id, since=start_of_today), reviews_url, today
            ),
        )

    if review_policies.may_be_seated(user):
        waiting = _mark_reviews(review_selectors.awaiting_vote(user), reviews_url, today)
        # A director's part is always there; a team lead's only when they sit on a defense.
        if waiting or review_policies.is_committee_member(user):
            inbox.committee = CommitteePart(reviews=waiting)

    if policies.is_hr(user):
        days = settings.GRADES_OVERDUE_CLAIM_DAYS
        inbox.hr = HrPart(
            requests=_mark_reviews(review_selectors.requests_to_schedule(), reviews_url, today),
            decisions=_mark_reviews(review_selectors.awaiting_decision(), reviews_url, today),
            overdue=_mark_claims(
                grade_selectors.overdue_claims(waiting_since=now - datetime.timedelta(days=days)), people_url, today
            ),
            overdue_days=days,
        )

    if policies.is_hr(user) or policies.is_manager(user):
        inbox.dashboard_url = reverse("dashboard:index")

    inbox.links = _links(user, facts.is_employee, people_url, reviews_url)
    return inbox


def _links(user, is_employee: bool, people_url: str, reviews_url: str) -> list[tuple[str, str]]:
    """(key, address) of the pages the start page used to send people to, and the others of
    their roles; the template names them. No statement: the roles are read already."""
    links = []
    if is_employee:
        links.append(("me", reverse("grades:me")))
    if policies.may_see_people_list(user):
        links.append(("people", people_url))
    links.append(("reviews", reviews_url))
    if review_policies.may_see_calendar(user):
        links.append(("upcoming", reverse("reviews:upcoming")))
    if export_policies.may_use_reports(user):
        links.append(("reports", reverse("exports:index")))
    links.append(("ladders", reverse("grades:track_list")))
    return links
