"""
Who may do what, proven on the demo organisation.

ACCESS below is the product's access policy written as one table: a row per page or
action, a column per role, and the answer that role gets. `test_access_row` walks it a
row at a time over the organisation `seed_demo` builds. Every cell runs in a savepoint
that is rolled back, so each cell starts from the same demo data; a cell that is refused
(or only reads) must leave every table an action could write exactly as it was, and a
cell marked "done" must have carried the action out.

The second half is about guessing ids (IDOR): to someone who may not see an object, an
existing id and an id that was never used answer the same 404, byte for byte, and a
sweep over every id shows that only the objects the role may see are reachable.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.html import escape

from api import services as api_services
from api.models import ApiToken
from exports.reports import REPORTS
from grades import selectors
from grades import services as grade_services
from grades.models import (
    Book,
    BookReading,
    DeliveryFact,
    Employee,
    Evidence,
    EvidenceEvent,
    EvidenceStatus,
    GradeChange,
    GrowthGoal,
    Mentorship,
    Requirement,
)
from grades import services as grade_services
from reviews import services as review_services
from reviews.models import CommitteeSeat, DefenseSession, PromotionReview, ReviewEvent, ReviewStatus, SeatRole, Vote
from reviews.models import FeedbackAnswer, FeedbackRequest, RelationsAssessment

pytestmark = pytest.mark.django_db

User = get_user_model()

# A fixed reference date keeps the demo the same on every run (who is eligible, which
# reviews are open); the views judge dates against the real today, which is later.
DEMO_TODAY = datetime.date(2025, 6, 30)
DEMO_EMPLOYEES = 20

ROLES = (
    "anonymous",
    "developer",  # the person: `dev` of the demo
    "other developer",  # a teammate of the person, in no mentorship with them
    "team lead",  # the person's team lead, who also sits on the person's committee
    "other team lead",  # leads another team, not seated on the person's review
    "committee member",  # the CTO, seated on the person's open review
    "HR",
    "manager",
    "admin",  # superuser
)

# The answers, as written in the table:
#   200     the page is shown
#   200+    shown, and it names the person (the developer of the demo)
#   200-    shown, and the person is nowhere on it
#   login   302 to the sign-in page, with ?next= the address asked for
#   admin   302 to the admin's sign-in page
#   done    302 back into the product, and the action was carried out
#   →page   302 to that page: →me (own progress), →people, →tracks (the ladders), →dashboard
#   400 / 403 / 404
# fmt: off
ACCESS: list[tuple[str, ...]] = [
    # row                          anonymous developer other dev lead       other lead committee  HR         manager    admin
    ("start page",                 "login",  "200+",   "200-",   "200+",    "200-",    "200+",    "200",     "→dashboard", "200"),
    ("ladders",                    "login",  "200",    "200",    "200",     "200",     "200",     "200",     "200",     "200"),
    ("ladder of a track",          "login",  "200",    "200",    "200",     "200",     "200",     "200",     "200",     "200"),
    ("versions of a track",        "login",  "200",    "200",    "200",     "200",     "200",     "200",     "200",     "200"),
    ("own progress",               "login",  "200+",   "200-",   "200",     "200-",    "200-",    "200-",    "200-",    "200-"),
    ("the person's progress",      "login",  "200+",   "404",    "200+",    "404",     "404",     "200+",    "404",     "200+"),
    ("the person's audit trail",   "login",  "403",    "404",    "403",     "404",     "404",     "200+",    "404",     "200+"),
    ("a claim's history",          "login",  "200+",   "404",    "200+",    "404",     "404",     "200+",    "404",     "200+"),
    ("the person's delivery",      "login",  "200+",   "404",    "200+",    "404",     "404",     "200+",    "404",     "200+"),
    ("record a delivery fact",     "login",  "403",    "404",    "done",    "404",     "404",     "done",    "404",     "done"),
    ("people list",                "login",  "403",    "403",    "200+",    "200-",    "403",     "200+",    "403",     "200+"),
    ("a line's claim form",        "login",  "200+",   "404",    "403",     "404",     "404",     "403",     "404",     "403"),
    ("claim a requirement",        "login",  "done",   "404",    "403",     "404",     "404",     "403",     "404",     "403"),
    ("edit a claim",               "login",  "done",   "404",    "403",     "404",     "404",     "403",     "404",     "403"),
    ("withdraw a claim",           "login",  "done",   "404",    "403",     "404",     "404",     "403",     "404",     "403"),
    ("confirm a claim",            "login",  "403",    "404",    "done",    "404",     "404",     "done",    "404",     "done"),
    ("confirm a claim again",      "login",  "403",    "404",    "done",    "404",     "404",     "done",    "404",     "done"),
    ("a book's read form",         "login",  "200+",   "404",    "403",     "404",     "404",     "403",     "404",     "403"),
    ("mark a book read",           "login",  "done",   "404",    "403",     "404",     "404",     "403",     "404",     "403"),
    ("take back a book read",      "login",  "done",   "404",    "403",     "404",     "404",     "403",     "404",     "403"),
    ("acknowledge a book read",    "login",  "403",    "404",    "done",    "404",     "404",     "403",     "404",     "403"),
    ("request a review",           "login",  "done",   "404",    "done",    "404",     "404",     "403",     "404",     "403"),
    ("review list",                "login",  "200+",   "200-",   "200+",    "200-",    "200+",    "200+",    "200-",    "200+"),
    ("review detail",              "login",  "200+",   "404",    "200+",    "404",     "200+",    "200+",    "404",     "200+"),
    ("upcoming defenses",          "login",  "403",    "403",    "403",     "403",     "403",     "200",     "403",     "200"),
    ("schedule a review",          "login",  "403",    "404",    "403",     "404",     "403",     "done",    "404",     "done"),
    ("vote",                       "login",  "403",    "404",    "done",    "404",     "done",    "403",     "404",     "403"),
    ("decide a review",            "login",  "403",    "404",    "403",     "404",     "403",     "done",    "404",     "done"),
    ("withdraw a review",          "login",  "done",   "404",    "done",    "404",     "403",     "done",    "404",     "done"),
    ("defense sessions",           "login",  "403",    "403",    "200",     "200",     "200",     "200",     "200",     "200"),
    ("make a defense session",     "login",  "403",    "403",    "403",     "403",     "403",     "done",    "403",     "done"),
    ("a defense session",          "login",  "404",    "404",    "200+",    "404",     "200+",    "200+",    "404",     "200+"),
    ("put a defense in a session", "login",  "404",    "404",    "404",     "404",     "404",     "done",    "404",     "done"),
    ("a session's outcome",        "login",  "404",    "404",    "200-",    "404",     "200-",    "200-",    "404",     "200-"),
    ("edit the statement",         "login",  "done",   "404",    "done",    "404",     "404",     "403",     "404",     "403"),
    ("a line's goal form",         "login",  "200+",   "404",    "200+",    "404",     "404",     "403",     "404",     "403"),
    ("add a growth goal",          "login",  "done",   "404",    "done",    "404",     "404",     "403",     "404",     "403"),
    ("edit a growth goal",         "login",  "done",   "404",    "done",    "404",     "404",     "403",     "404",     "403"),
    ("mark a growth goal done",    "login",  "done",   "404",    "done",    "404",     "404",     "403",     "404",     "403"),
    ("assess relations as HR",     "login",  "403",    "404",    "403",     "404",     "403",     "done",    "404",     "done"),
    ("assess relations as lead",   "login",  "403",    "404",    "done",    "404",     "403",     "403",     "404",     "403"),
    ("ask a colleague's feedback", "login",  "403",    "404",    "403",     "404",     "403",     "done",    "404",     "done"),
    ("a feedback request",         "login",  "404",    "200+",   "200+",    "404",     "200+",    "200+",    "404",     "200+"),
    ("answer a feedback request",  "login",  "404",    "done",   "403",     "404",     "403",     "403",     "404",     "403"),
    ("withdraw a feedback request","login",  "404",    "403",    "403",     "404",     "403",     "done",    "404",     "done"),
    ("dashboard",                  "login",  "403",    "403",    "200",     "200",     "403",     "200",     "200",     "200"),
    ("exports index",              "login",  "403",    "403",    "403",     "403",     "403",     "200",     "200",     "200"),
    ("download roster",            "login",  "403",    "403",    "403",     "403",     "403",     "200",     "200",     "200"),
    ("download grade-history",     "login",  "403",    "403",    "403",     "403",     "403",     "200",     "200",     "200"),
    ("download reviews",           "login",  "403",    "403",    "403",     "403",     "403",     "200",     "200",     "200"),
    ("download votes",             "login",  "403",    "403",    "403",     "403",     "403",     "200",     "200",     "200"),
    ("download skill-matrix",      "login",  "403",    "403",    "403",     "403",     "403",     "200",     "200",     "200"),
    ("download salary-bands",      "login",  "403",    "403",    "403",     "403",     "403",     "200",     "403",     "200"),
    ("download an unknown report", "login",  "403",    "403",    "403",     "403",     "403",     "404",     "404",     "404"),
    ("admin index",                "admin",  "admin",  "admin",  "admin",   "admin",   "admin",   "200",     "admin",   "200"),
    ("admin: change an employee",  "admin",  "admin",  "admin",  "admin",   "admin",   "admin",   "200+",    "admin",   "200+"),
    ("healthz",                    "200",    "200",    "200",    "200",     "200",     "200",     "200",     "200",     "200"),
    ("own API tokens",             "login",  "200",    "200",    "200",     "200",     "200",     "200",     "200",     "200"),
    ("revoke the person's token",  "login",  "done",   "404",    "404",     "404",     "404",     "404",     "404",     "404"),
]
# fmt: on


# --- The demo organisation --------------------------------------------------------------------


@dataclass
class World:
    """The people and objects of the demo the table talks about (ids, fetched afresh per use)."""

    users: dict[str, User | None]
    dev: Employee
    claim_id: int
    requirement_id: int
    review_id: int
    book_id: int = 0

    @property
    def dev_name(self) -> str:
        return escape(self.dev.user.get_full_name())

    def review(self) -> PromotionReview:
        return PromotionReview.objects.select_related("candidate__user").get(pk=self.review_id)

    def claim(self) -> Evidence:
        return Evidence.objects.get(pk=self.claim_id)


def _load_world() -> World:
    dev = Employee.objects.select_related("user", "team_lead__user").get(user__username="dev")
    lead = dev.team_lead
    review = PromotionReview.objects.get(candidate=dev, status=ReviewStatus.SCHEDULED)
    seats = {seat.role: seat.member for seat in review.seats.select_related("member")}
    assert seats[SeatRole.TEAM_LEAD] == lead.user, "the demo seats dev's lead on dev's committee"
    seated = [member.pk for member in seats.values()]
    mentoring_dev = {
        *Mentorship.objects.filter(mentor=dev).values_list("mentee_id", flat=True),
        *Mentorship.objects.filter(mentee=dev).values_list("mentor_id", flat=True),
    }
    other_dev = (
        Employee.objects.filter(team_lead=lead, reports__isnull=True)
        .exclude(pk=dev.pk)
        .exclude(pk__in=mentoring_dev)
        # Not one of the colleagues the demo asked for feedback on dev: the table asks its own.
        .exclude(feedback_requests__review=review)
        .order_by("id")
        .first()
    )
    other_lead = (
        Employee.objects.filter(reports__isnull=False)
        .exclude(pk=lead.pk)
        .exclude(user__in=seated)
        # Nothing of dev's session to see: no defense of their own or of a report in it, no
        # seat on its defenses.
        .exclude(reviews__session_id=review.session_id)
        .exclude(reports__reviews__session_id=review.session_id)
        .exclude(user__committee_seats__review__session_id=review.session_id)
        .distinct()
        .order_by("id")
        .first()
    )
    if other_lead is None:
        # In a small demo every team may have a defense in dev's quarter: a team of its own.
        from grades.tests.factories import hire

        other_lead = hire(level_code="senior", roles=["Team lead", "Developer"])
        hire(level_code="junior", team_lead=other_lead)
    claimed = Evidence.objects.filter(employee=dev, status=EvidenceStatus.CLAIMED).order_by("id").first()
    claimable = next(item for item in selectors.employee_progress(dev).items if item.claimable)
    users = {
        "anonymous": None,
        "developer": dev.user,
        "other developer": other_dev.user,
        "team lead": lead.user,
        "other team lead": other_lead.user,
        "committee member": seats[SeatRole.CTO],
        "HR": User.objects.get(username="hr"),
        "manager": User.objects.get(username="manager"),
        "admin": User.objects.get(username="admin"),
    }
    assert users["committee member"].username == "cto"
    assert claimed is not None, "the demo gives dev a claim waiting for the lead"
    return World(
        users=users,
        dev=dev,
        claim_id=claimed.pk,
        requirement_id=claimable.requirement.pk,
        review_id=review.pk,
        book_id=Book.objects.on_ladder_of(dev.track_id).exclude(readings__employee=dev).order_by("id").first().pk,
    )


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo organisation, built once for this module.

    It lives in a transaction opened here and rolled back at the end of the module, so
    no other test module sees it; each test runs in a savepoint inside it.
    """
    with django_db_blocker.unblock():
        with transaction.atomic():
            call_command("seed_demo", employees=DEMO_EMPLOYEES, today=DEMO_TODAY.isoformat(), verbosity=0)
            yield _load_world()
            transaction.set_rollback(True)


def written_state() -> tuple:
    """Every row a page or action of the table could write; compared before and after."""
    return (
        list(Evidence.objects.order_by("id").values()),
        list(EvidenceEvent.objects.order_by("id").values()),
        list(PromotionReview.objects.order_by("id").values()),
        list(CommitteeSeat.objects.order_by("id").values()),
        list(Vote.objects.order_by("id").values()),
        list(ReviewEvent.objects.order_by("id").values()),
        list(GradeChange.objects.order_by("id").values()),
        list(DefenseSession.objects.order_by("id").values()),
        list(DeliveryFact.objects.order_by("id").values()),
        list(GrowthGoal.objects.order_by("id").values()),
        list(Employee.objects.order_by("id").values()),
        list(BookReading.objects.order_by("id").values()),
        list(User.objects.order_by("id").values("id", "is_staff", "is_superuser", "is_active", "password")),
        list(RelationsAssessment.objects.order_by("id").values()),
        list(FeedbackRequest.objects.order_by("id").values()),
        list(FeedbackAnswer.objects.order_by("id").values()),
        list(ApiToken.objects.order_by("id").values()),
    )


# --- The actions --------------------------------------------------------------------------------


def _nothing(world: World) -> None:
    pass


@dataclass
class Action:
    route: str  # the URL name, so that a URL without a row is noticed
    url: Callable[[World], str]
    method: str = "get"
    data: Callable[[World], dict] = lambda world: {}
    # Runs before the request, inside the cell's savepoint.
    setup: Callable[[World], None] = _nothing
    # After a "done" answer: is the action's effect in the database?
    done: Callable[[World, User], bool] = lambda world, user: False
    csv: bool = False


def _make_dev_token(world: World) -> None:
    api_services.token_create(user=world.dev.user, name="script", scope="read", by=world.dev.user)


def _dev_token_id(world: World) -> int:
    return ApiToken.objects.filter(user=world.dev.user).order_by("-id").values_list("pk", flat=True).first()


def _in_ten_days() -> str:
    return (timezone.localtime() + datetime.timedelta(days=10)).strftime("%Y-%m-%dT10:00")


def _schedule_data(world: World) -> dict:
    review = world.review()
    data = {
        "when": _in_ten_days(),
        "place": "Meeting room Lovelace",
        "override_reason": "The committee checks the remaining lines at the defense.",
    }
    data.update({seat.role: seat.member_id for seat in review.seats.all()})
    return data


def _withdraw_open_review(world: World) -> None:
    """Frees the person for a new request: one open review per person."""
    review_services.review_withdraw(review=world.review(), by=world.users["HR"], reason="Table setup.")


def _everyone_votes(world: World) -> None:
    review = world.review()
    for seat in review.seats.select_related("member"):
        if not Vote.objects.filter(seat=seat).exists():
            review_services.review_vote(review=review, by=seat.member, value="approve")


def _confirmed_against_an_earlier_wording(world: World) -> None:
    """The claim, confirmed by the lead before a load reworded its requirement substantively."""
    claim = world.claim()
    Evidence.objects.filter(pk=claim.pk).update(
        status=EvidenceStatus.CONFIRMED, decided_by=world.dev.team_lead.user, decided_at=claim.claimed_at,
        reconfirm_needed=True,
    )


TABLE_SESSION = "Table session"


def _empty_session(world: World) -> None:
    """The person's defense out of its demo session, and a new session over its day."""
    PromotionReview.objects.filter(pk=world.review_id).update(session=None)
    day = timezone.localdate(world.review().scheduled_for)
    review_services.session_create(name=TABLE_SESSION, starts_on=day, ends_on=day, by=world.users["HR"])


def _table_session(world: World) -> DefenseSession:
    return DefenseSession.objects.get(name=TABLE_SESSION)


def _demo_session(world: World) -> DefenseSession:
    """The session the demo put the person's scheduled defense in."""
    return world.review().session


def _book_read(world: World) -> None:
    """dev has marked the world's book as read."""
    grade_services.book_mark_read(employee=world.dev, book=Book.objects.get(pk=world.book_id), note="Read.", by=world.dev.user)


def _reading_id(world: World) -> int:
    return BookReading.objects.get(employee=world.dev, book_id=world.book_id).pk


def _request_anew(world: World) -> None:
    """The person's scheduled review withdrawn and a new one requested: its statement may change."""
    _withdraw_open_review(world)
    review_services.review_request(candidate=world.dev, by=world.dev.user, statement="Ready: see the billing work.")


def _open_review_id(world: World) -> int:
    return PromotionReview.objects.open().get(candidate=world.dev).pk


def _unmet_requirement_id(world: World) -> int:
    # An unmet line the demo's growth plan of dev has no goal on yet.
    planned = set(GrowthGoal.objects.filter(employee=world.dev).values_list("requirement_id", flat=True))
    return next(
        item.requirement.pk for item in selectors.employee_progress(world.dev).unmet if item.requirement.pk not in planned
    )


def _add_goal(world: World) -> None:
    requirement = Requirement.objects.get(pk=_unmet_requirement_id(world))
    grade_services.growth_goal_add(employee=world.dev, requirement=requirement, text="Pair on the billing retries.",
                                   by=world.dev.user)


def _goal(world: World) -> GrowthGoal:
    return GrowthGoal.objects.filter(employee=world.dev).latest("pk")  # the one _add_goal added


def _other_developer(world: World) -> Employee:
    return Employee.objects.get(user=world.users["other developer"])


def _ask_the_other_developer(world: World) -> None:
    """HR asks the person's teammate how the person gets on with the team."""
    review_services.feedback_ask(review=world.review(), by=world.users["HR"], colleague=_other_developer(world))


def _feedback_request_id(world: World) -> int:
    return FeedbackRequest.objects.filter(review_id=world.review_id).order_by("-pk").values_list("pk", flat=True)[0]


def _claim_status(world: World) -> str:
    return world.claim().status


def _moved(world: World) -> bool:
    return timezone.localtime(world.review().scheduled_for).strftime("%Y-%m-%dT%H:%M") == _in_ten_days()


ACTIONS: dict[str, Action] = {
    "start page": Action("home", lambda w: "/"),
    "ladders": Action("grades:track_list", lambda w: "/tracks/"),
    "ladder of a track": Action("grades:track_detail", lambda w: f"/tracks/{w.dev.track.slug}/"),
    "versions of a track": Action("grades:track_versions", lambda w: f"/tracks/{w.dev.track.slug}/versions/?from=1&to=1"),
    "own progress": Action("grades:me", lambda w: "/me/"),
    "the person's progress": Action("grades:person", lambda w: f"/people/{w.dev.pk}/"),
    "the person's audit trail": Action("grades:person_trail", lambda w: f"/people/{w.dev.pk}/trail/"),
    "a claim's history": Action(
        "grades:claim_history", lambda w: f"/people/{w.dev.pk}/requirements/{w.claim().requirement_id}/history/"
    ),
    "the person's delivery": Action("grades:delivery", lambda w: f"/people/{w.dev.pk}/delivery/"),
    "record a delivery fact": Action(
        "grades:delivery",
        lambda w: f"/people/{w.dev.pk}/delivery/",
        method="post",
        data=lambda w: {"period_start": "2024-03-04", "period_end": "2024-03-17", "committed": "21", "done": "19"},
        done=lambda w, user: DeliveryFact.objects.filter(employee=w.dev, recorded_by=user, done=19).exists(),
    ),
    "people list": Action("grades:people", lambda w: "/people/"),
    "a line's claim form": Action("grades:claim_form", lambda w: f"/people/{w.dev.pk}/claim/{w.requirement_id}/form/"),
    "claim a requirement": Action(
        "grades:claim",
        lambda w: f"/people/{w.dev.pk}/claim/{w.requirement_id}/",
        method="post",
        data=lambda w: {"description": "Wrote the retry policy of the billing client.",
                        "links": "https://git.example.com/billing/pull/7"},
        done=lambda w, user: Evidence.objects.filter(
            employee=w.dev, requirement_id=w.requirement_id, status=EvidenceStatus.CLAIMED, claimed_by=user
        ).exists(),
    ),
    "edit a claim": Action(
        "grades:evidence_edit",
        lambda w: f"/evidence/{w.claim_id}/edit/",
        method="post",
        data=lambda w: {"description": "Edited: also wrote the runbook.", "links": ""},
        done=lambda w, user: w.claim().description == "Edited: also wrote the runbook.",
    ),
    "withdraw a claim": Action(
        "grades:evidence_withdraw",
        lambda w: f"/evidence/{w.claim_id}/withdraw/",
        method="post",
        done=lambda w, user: _claim_status(w) == EvidenceStatus.WITHDRAWN,
    ),
    "confirm a claim": Action(
        "grades:evidence_decide",
        lambda w: f"/evidence/{w.claim_id}/decide/",
        method="post",
        data=lambda w: {"decision": "confirm", "comment": ""},
        done=lambda w, user: _claim_status(w) == EvidenceStatus.CONFIRMED and w.claim().decided_by == user,
    ),
    "confirm a claim again": Action(
        "grades:evidence_reconfirm",
        lambda w: f"/evidence/{w.claim_id}/reconfirm/",
        method="post",
        data=lambda w: {"decision": "confirm", "comment": ""},
        setup=_confirmed_against_an_earlier_wording,
        done=lambda w, user: not w.claim().reconfirm_needed and w.claim().decided_by == user,
    ),
    "a book's read form": Action("grades:book_read_form", lambda w: f"/people/{w.dev.pk}/books/{w.book_id}/read/form/"),
    "mark a book read": Action(
        "grades:book_read",
        lambda w: f"/people/{w.dev.pk}/books/{w.book_id}/read/",
        method="post",
        data=lambda w: {"note": "Read it over the holidays.", "read_on": ""},
        done=lambda w, user: BookReading.objects.filter(employee=w.dev, book_id=w.book_id).exists(),
    ),
    "take back a book read": Action(
        "grades:reading_unmark",
        lambda w: f"/readings/{_reading_id(w)}/unmark/",
        method="post",
        setup=_book_read,
        done=lambda w, user: not BookReading.objects.filter(employee=w.dev, book_id=w.book_id).exists(),
    ),
    "acknowledge a book read": Action(
        "grades:reading_acknowledge",
        lambda w: f"/readings/{_reading_id(w)}/acknowledge/",
        method="post",
        setup=_book_read,
        done=lambda w, user: BookReading.objects.filter(pk=_reading_id(w), acknowledged_by=user).exists(),
    ),
    "request a review": Action(
        "reviews:request",
        lambda w: f"/reviews/request/{w.dev.pk}/",
        method="post",
        data=lambda w: {"statement": "Ready for the next level.", "recommendation": "Ready for the next level."},
        setup=_withdraw_open_review,
        done=lambda w, user: PromotionReview.objects.open().filter(candidate=w.dev, requested_by=user).exists(),
    ),
    "edit the statement": Action(
        "reviews:statement",
        lambda w: f"/reviews/{_open_review_id(w)}/statement/",
        method="post",
        data=lambda w: {"statement": "Ready: the billing rewrite and the runbook."},
        setup=_request_anew,
        done=lambda w, user: PromotionReview.objects.get(pk=_open_review_id(w)).statement
        == "Ready: the billing rewrite and the runbook.",
    ),
    "a line's goal form": Action(
        "grades:goal_form", lambda w: f"/people/{w.dev.pk}/plan/{_unmet_requirement_id(w)}/form/"
    ),
    "add a growth goal": Action(
        "grades:goal_add",
        lambda w: f"/people/{w.dev.pk}/plan/{_unmet_requirement_id(w)}/",
        method="post",
        data=lambda w: {"text": "Pair on the billing retries.", "link": "", "due_on": ""},
        done=lambda w, user: GrowthGoal.objects.filter(
            employee=w.dev, created_by=user, text="Pair on the billing retries."
        ).exists(),
    ),
    "edit a growth goal": Action(
        "grades:goal_edit",
        lambda w: f"/goals/{_goal(w).pk}/edit/",
        method="post",
        data=lambda w: {"text": "Edited: pair on the retries and write the runbook.", "link": "", "due_on": ""},
        setup=_add_goal,
        done=lambda w, user: _goal(w).text == "Edited: pair on the retries and write the runbook.",
    ),
    "mark a growth goal done": Action(
        "grades:goal_done",
        lambda w: f"/goals/{_goal(w).pk}/done/",
        method="post",
        data=lambda w: {"done": "1"},
        setup=_add_goal,
        done=lambda w, user: _goal(w).done_by == user,
    ),
    "review list": Action("reviews:list", lambda w: "/reviews/"),
    "review detail": Action("reviews:detail", lambda w: f"/reviews/{w.review_id}/"),
    "upcoming defenses": Action("reviews:upcoming", lambda w: "/reviews/upcoming/"),
    "schedule a review": Action(
        "reviews:schedule",
        lambda w: f"/reviews/{w.review_id}/schedule/",
        method="post",
        data=_schedule_data,
        done=lambda w, user: _moved(w),
    ),
    "vote": Action(
        "reviews:vote",
        lambda w: f"/reviews/{w.review_id}/vote/",
        method="post",
        data=lambda w: {"value": "reject", "comment": "Table vote."},
        done=lambda w, user: Vote.objects.filter(
            seat__review_id=w.review_id, seat__member=user, value="reject", comment="Table vote."
        ).exists(),
    ),
    "decide a review": Action(
        "reviews:decide",
        lambda w: f"/reviews/{w.review_id}/decide/",
        method="post",
        data=lambda w: {"note": "Decided in the table."},
        setup=_everyone_votes,
        done=lambda w, user: w.review().status == ReviewStatus.PASSED and w.review().decided_by == user,
    ),
    "withdraw a review": Action(
        "reviews:withdraw",
        lambda w: f"/reviews/{w.review_id}/withdraw/",
        method="post",
        data=lambda w: {"reason": "Not now."},
        done=lambda w, user: w.review().status == ReviewStatus.WITHDRAWN,
    ),
    "defense sessions": Action("reviews:sessions", lambda w: "/reviews/sessions/"),
    "make a defense session": Action(
        "reviews:sessions",
        lambda w: "/reviews/sessions/",
        method="post",
        data=lambda w: {"name": "Made in the table", "starts_on": "2031-03-01", "ends_on": "2031-03-02"},
        done=lambda w, user: DefenseSession.objects.filter(name="Made in the table", created_by=user).exists(),
    ),
    "a defense session": Action("reviews:session", lambda w: f"/reviews/sessions/{_demo_session(w).pk}/"),
    "put a defense in a session": Action(
        "reviews:session",
        lambda w: f"/reviews/sessions/{_table_session(w).pk}/",
        method="post",
        data=lambda w: {"reviews": [w.review_id]},
        setup=_empty_session,
        done=lambda w, user: w.review().session_id == _table_session(w).pk,
    ),
    "a session's outcome": Action(
        "reviews:session_summary", lambda w: f"/reviews/sessions/{_demo_session(w).pk}/summary/"
    ),
    "assess relations as HR": Action(
        "reviews:relations_assess",
        lambda w: f"/reviews/{w.review_id}/relations/hr/",
        method="post",
        data=lambda w: {"hr-rating": "4", "hr-note": "A calm voice in planning."},
        done=lambda w, user: RelationsAssessment.objects.filter(review_id=w.review_id, role="hr", author=user).exists(),
    ),
    "assess relations as lead": Action(
        "reviews:relations_assess",
        lambda w: f"/reviews/{w.review_id}/relations/team_lead/",
        method="post",
        data=lambda w: {"team_lead-rating": "5", "team_lead-note": "Mentors the newcomers."},
        done=lambda w, user: RelationsAssessment.objects.filter(
            review_id=w.review_id, role="team_lead", author=user
        ).exists(),
    ),
    "ask a colleague's feedback": Action(
        "reviews:feedback_ask",
        lambda w: f"/reviews/{w.review_id}/feedback/ask/",
        method="post",
        data=lambda w: {"colleague": _other_developer(w).pk},
        done=lambda w, user: FeedbackRequest.objects.filter(
            review_id=w.review_id, colleague=_other_developer(w), asked_by=user
        ).exists(),
    ),
    "a feedback request": Action(
        "reviews:feedback", lambda w: f"/reviews/feedback/{_feedback_request_id(w)}/", setup=_ask_the_other_developer
    ),
    "answer a feedback request": Action(
        "reviews:feedback_answer",
        lambda w: f"/reviews/feedback/{_feedback_request_id(w)}/answer/",
        method="post",
        data=lambda w: {"text": "Helpful and patient.", "rating": "4"},
        setup=_ask_the_other_developer,
        done=lambda w, user: FeedbackAnswer.objects.filter(request_id=_feedback_request_id(w), author=user).exists(),
    ),
    "withdraw a feedback request": Action(
        "reviews:feedback_withdraw",
        lambda w: f"/reviews/feedback/{_feedback_request_id(w)}/withdraw/",
        method="post",
        setup=_ask_the_other_developer,
        done=lambda w, user: FeedbackRequest.objects.filter(
            pk=_feedback_request_id(w), withdrawn_by=user
        ).exists(),
    ),
    "dashboard": Action("dashboard:index", lambda w: "/dashboard/"),
    "exports index": Action("exports:index", lambda w: "/exports/"),
    **{
        f"download {name}": Action("exports:download", lambda w, name=name: f"/exports/{name}.csv", csv=True)
        for name in REPORTS
    },
    "download an unknown report": Action("exports:download", lambda w: "/exports/no-such-report.csv"),
    "admin index": Action("admin:index", lambda w: "/admin/"),
    "admin: change an employee": Action(
        "admin:grades_employee_change", lambda w: f"/admin/grades/employee/{w.dev.pk}/change/"
    ),
    "healthz": Action("healthz", lambda w: "/healthz"),
    "own API tokens": Action("api:tokens", lambda w: "/accounts/tokens/"),
    "revoke the person's token": Action(
        "api:revoke",
        lambda w: f"/accounts/tokens/{_dev_token_id(w)}/revoke/",
        method="post",
        setup=_make_dev_token,
        done=lambda w, user: ApiToken.objects.filter(pk=_dev_token_id(w), revoked_by=user).exists(),
    ),
}


# --- Walking the table --------------------------------------------------------------------------


def _client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _request(client: Client, method: str, url: str, data: dict):
    response = client.post(url, data) if method == "post" else client.get(url)
    if response.streaming:
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    return response, body.decode("utf-8", errors="replace")


def _redirect_problem(response, url: str, login_url: str) -> str | None:
    if response.status_code != 302:
        return f"expected a redirect to {login_url}, got {response.status_code}"
    location = urlsplit(response["Location"])
    if location.path != login_url:
        return f"expected a redirect to {login_url}, got one to {response['Location']}"
    if parse_qs(location.query).get("next") != [url]:
        return f"the sign-in page would not return to {url}: {response['Location']}"
    return None


START_PAGES = {"me": "grades:me", "people": "grades:people", "tracks": "grades:track_list", "dashboard": "dashboard:index"}


def check_cell(world: World, action: Action, role: str, expected: str) -> list[str]:
    """Run one cell; return what differs from the table (nothing when it matches)."""
    user = world.users[role]
    client = _client_for(user)
    action.setup(world)
    url = action.url(world)
    before = written_state()
    response, body = _request(client, action.method, url, action.data(world))
    changed = written_state() != before
    problems = []
    status = response.status_code

    if expected == "login":
        problems.append(_redirect_problem(response, url, resolve_url(settings.LOGIN_URL)))
    elif expected == "admin":
        problems.append(_redirect_problem(response, url, reverse("admin:login")))
    elif expected.startswith("→"):
        target = reverse(START_PAGES[expected[1:]])
        if status != 302 or response["Location"] != target:
            problems.append(f"expected a redirect to {target}, got {status} {response.get('Location', '')}")
    elif expected == "done":
        if status != 302:
            problems.append(f"expected the action to be done (302), got {status}")
        elif urlsplit(response["Location"]).path in (resolve_url(settings.LOGIN_URL), reverse("admin:login")):
            problems.append(f"expected the action to be done, was sent to sign in: {response['Location']}")
        elif not action.done(world, user):
            problems.append("answered 302 but the action's effect is not in the database")
        if status == 302 and not changed:
            problems.append("answered 302 but nothing was written")
    else:
        expected_status = int(expected[:3])
        if status != expected_status:
            problems.append(f"expected {expected_status}, got {status}")
        elif expected.endswith("+") and world.dev_name not in body:
            problems.append("the page does not name the person")
        elif expected.endswith("-") and world.dev_name in body:
            problems.append("the page names the person, who is not this role's business")
        # Only the file's type: on MariaDB the export reads through a connection of its
        # own, which does not see the demo rows of this module's open transaction.
        elif action.csv and status == 200 and not response["Content-Type"].startswith("text/csv"):
            problems.append(f"expected a CSV file, got {response['Content-Type']}")

    if expected != "done" and changed:
        problems.append(f"answered {status} but changed the database")
    return [f"{role}: {problem}" for problem in problems if problem]


@pytest.mark.parametrize("row", ACCESS, ids=[row[0] for row in ACCESS])
def test_access_row(demo, row):
    name, *answers = row
    action = ACTIONS[name]
    problems = []
    for role, expected in zip(ROLES, answers, strict=True):
        # A savepoint per cell: every cell starts from the same demo organisation.
        with transaction.atomic():
            try:
                problems += check_cell(demo, action, role, expected)
            except Exception as exc:
                raise AssertionError(f"{name} / {role}: the request raised") from exc
            transaction.set_rollback(True)
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)


def _named_routes(resolver: URLResolver, namespace: str = "") -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _named_routes(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


# Routes that are about signing in and language, not about the product's data; the
# login form has its own tests in test_login_security.py, the password reset in
# test_sessions_and_headers.py, single sign-on in sso/tests/.
NOT_IN_THE_TABLE = {
    "login", "logout", "set_language",
    "password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete",
    "sso:login", "sso:callback",
}
# The API (/api/v1/) is called with a token, not a session: its access per role, scope and
# token is tested in api/tests/test_endpoints.py and, for every operation and role, against
# its OpenAPI document in api/tests/test_schema.py.
TESTED_WITH_TOKENS = "api-v1:"


def test_the_table_has_a_row_for_every_url_of_the_product():
    product_routes = {
        name for name in _named_routes(get_resolver())
        if not name.startswith(("admin:", TESTED_WITH_TOKENS)) and name not in NOT_IN_THE_TABLE
    }
    covered = {action.route for action in ACTIONS.values()}
    assert product_routes - covered == set()
    assert {row[0] for row in ACCESS} == set(ACTIONS)
    assert all(len(row) == len(ROLES) + 1 for row in ACCESS)
    assert {f"download {name}" for name in REPORTS} <= set(ACTIONS)


# --- Guessing ids (IDOR) ------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _comparable(body: str) -> str:
    return _CSRF.sub('name="csrfmiddlewaretoken" value=""', body)


def _max_id(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first()


# (row of the table whose URL carries the id, the model of that id, the URL with {id}).
ID_URLS = [
    ("the person's progress", Employee, "/people/{id}/"),
    ("the person's audit trail", Employee, "/people/{id}/trail/"),
    ("the person's delivery", Employee, "/people/{id}/delivery/"),
    ("record a delivery fact", Employee, "/people/{id}/delivery/"),
    ("claim a requirement", Employee, "/people/{id}/claim/{requirement}/"),
    ("edit a claim", Evidence, "/evidence/{id}/edit/"),
    ("withdraw a claim", Evidence, "/evidence/{id}/withdraw/"),
    ("confirm a claim", Evidence, "/evidence/{id}/decide/"),
    ("confirm a claim again", Evidence, "/evidence/{id}/reconfirm/"),
    ("mark a book read", Employee, "/people/{id}/books/{book}/read/"),
    ("take back a book read", BookReading, "/readings/{id}/unmark/"),
    ("acknowledge a book read", BookReading, "/readings/{id}/acknowledge/"),
    ("request a review", Employee, "/reviews/request/{id}/"),
    ("review detail", PromotionReview, "/reviews/{id}/"),
    ("schedule a review", PromotionReview, "/reviews/{id}/schedule/"),
    ("vote", PromotionReview, "/reviews/{id}/vote/"),
    ("decide a review", PromotionReview, "/reviews/{id}/decide/"),
    ("withdraw a review", PromotionReview, "/reviews/{id}/withdraw/"),
    ("add a growth goal", Employee, "/people/{id}/plan/{requirement}/"),
    ("assess relations as HR", PromotionReview, "/reviews/{id}/relations/hr/"),
    ("assess relations as lead", PromotionReview, "/reviews/{id}/relations/team_lead/"),
    ("ask a colleague's feedback", PromotionReview, "/reviews/{id}/feedback/ask/"),
    ("a feedback request", FeedbackRequest, "/reviews/feedback/{id}/"),
    ("answer a feedback request", FeedbackRequest, "/reviews/feedback/{id}/answer/"),
    ("withdraw a feedback request", FeedbackRequest, "/reviews/feedback/{id}/withdraw/"),
]

# Per URL, every signed-in role the table answers 404: the roles that may not see the object.
IDOR_CASES = [
    (row, model, template, role)
    for row, model, template in ID_URLS
    for role, answer in zip(ROLES, next(r[1:] for r in ACCESS if r[0] == row), strict=True)
    if answer == "404"
]


def _hidden_object_id(world: World, model) -> int:
    if model is BookReading:
        return _reading_id(world)
    if model is FeedbackRequest:  # made by the row's setup
        return _feedback_request_id(world)
    return {Employee: world.dev.pk, Evidence: world.claim_id, PromotionReview: world.review_id}[model]


@pytest.mark.parametrize(
    "row, model, template, role", IDOR_CASES, ids=[f"{case[0]}/{case[3]}" for case in IDOR_CASES]
)


def test_an_existing_hidden_id_and_a_missing_id_answer_alike(demo, row, model, template, role):
    action = ACTIONS[row]
    client = _client_for(demo.users[role])
    action.setup(demo)
    data = action.data(demo)
    answers = {}
    before = written_state()
    for label, pk in (
        ("existing", _hidden_object_id(demo, model)),
        ("just above the largest id", _max_id(model) + 1),
        ("far above the largest id", _max_id(model) + 10_000),
    ):
        url = template.format(id=pk, requirement=demo.requirement_id, book=demo.book_id)
        response, body = _request(client, action.method, url, data)
        assert response.status_code == 404, f"{label} id {pk}: {response.status_code}"
        if role != "developer":  # the person's own name is in the header of every page they see
            assert demo.dev_name not in body
        answers[label] = (response.status_code, response.get("Content-Type"), _comparable(body))
    assert len(set(answers.values())) == 1, "the answers differ, so they tell which ids exist"
    assert written_state() == before


def _may_see_person(role: str, user, employee: Employee) -> bool:
    if role in ("HR", "admin"):
        return True
    return employee.user_id == user.pk or (employee.team_lead is not None and employee.team_lead.user_id == user.pk)


def _may_see_review(role: str, user, review: PromotionReview) -> bool:
    if role in ("HR", "admin"):
        return True
    seated = any(seat.member_id == user.pk for seat in review.seats.all())
    return seated or _may_see_person(role, user, review.candidate)


SIGNED_IN = [role for role in ROLES if role != "anonymous"]


@pytest.mark.parametrize("role", SIGNED_IN)
def test_every_person_id_is_reachable_only_by_those_who_may_see_the_person(demo, role):
    user = demo.users[role]
    client = _client_for(user)
    people = {e.pk: e for e in Employee.objects.select_related("team_lead")}
    reached, expected = set(), set()
    for pk in range(1, _max_id(Employee) + 3):
        if pk in people and _may_see_person(role, user, people[pk]):
            expected.add(pk)
        status = client.get(f"/people/{pk}/").status_code
        assert status in (200, 404), f"/people/{pk}/: {status}"
        if status == 200:
            reached.add(pk)
    assert reached == expected


@pytest.mark.parametrize("role", SIGNED_IN)
def test_every_review_id_is_reachable_only_by_those_who_may_see_the_review(demo, role):
    user = demo.users[role]
    client = _client_for(user)
    reviews = {
        r.pk: r
        for r in PromotionReview.objects.select_related("candidate__team_lead").prefetch_related("seats")
    }
    reached, expected = set(), set()
    for pk in range(1, _max_id(PromotionReview) + 3):
        if pk in reviews and _may_see_review(role, user, reviews[pk]):
            expected.add(pk)
        status = client.get(f"/reviews/{pk}/").status_code
        assert status in (200, 404), f"/reviews/{pk}/: {status}"
        if status == 200:
            reached.add(pk)
    assert reached == expected
    if role in ("developer", "team lead", "committee member"):
        assert demo.review_id in reached


# --- Admin: what HR's staff account may do there --------------------------------------------------


def _change_form_data(response) -> dict:
    """The admin change form as the browser would post it back unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name, bound in form.fields.items():
        if bound.disabled:
            continue
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif isinstance(value, (list, tuple)):
            data[name] = [str(v.pk if hasattr(v, "pk") else v) for v in value]
        elif isinstance(value, datetime.datetime):
            local = timezone.localtime(value)
            data[f"{name}_0"], data[f"{name}_1"] = local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
        else:
            data[name] = str(value)
    return data


def test_hr_cannot_make_themselves_superuser_in_admin(demo):
    hr = demo.users["HR"]
    client = _client_for(hr)
    url = f"/admin/auth/user/{hr.pk}/change/"
    response = client.get(url)
    if response.status_code != 200:
        # HR may not edit accounts at all: nothing to escalate through.
        assert response.status_code in (302, 403, 404)
        return
    data = _change_form_data(response)
    data["is_superuser"] = "on"
    client.post(url, data)
    hr.refresh_from_db()
    assert not hr.is_superuser, "a staff account with auth.change_user made itself superuser"


def test_hr_cannot_set_the_password_of_a_superuser_in_admin(demo):
    hr, admin = demo.users["HR"], demo.users["admin"]
    client = _client_for(hr)
    before = User.objects.get(pk=admin.pk).password
    client.post(
        f"/admin/auth/user/{admin.pk}/password/",
        {"password1": "taken-over-by-hr-42", "password2": "taken-over-by-hr-42", "usable_password": "true"},
    )
    assert User.objects.get(pk=admin.pk).password == before, "HR changed the superuser's password"
