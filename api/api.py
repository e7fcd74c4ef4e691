"""
The API under /api/v1/: tracks and ladders, people and their grade history, claims and
their decisions, and promotion reviews, for scripts acting as the person whose token
they carry (`Authorization: Bearer gs_…`).

Views stay thin, as the pages' do: the reads are the pages' visibility filters
(grades.policies.visible_employees, reviews.selectors.review_list_queryset and
review_for_page, pay.policies.may_see_bands) and the writes are the pages' services
(grades.services.evidence_claim and evidence_decide; the admin's people writes through
api.services), which ask the same predicates; the token's scope can only narrow that.
Something the person may not see answers 404, as the pages do; something they see but
may not do answers 403. Every refusal is JSON: {"detail": ...}.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.http import Http404
from django.shortcuts import render
from ninja import NinjaAPI, Query, Router, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from common import converters  # noqa: F401  (registers <id:…>, the bounded id the pages use)
from grades import policies as grade_policies
from grades import selectors as grade_selectors
from grades import services as grade_services
from grades.models import Book, Employee, Evidence, EvidenceStatus, Requirement, Track
from pay import policies as pay_policies
from pay import selectors as pay_selectors
from reviews import policies as review_policies
from reviews import selectors as review_selectors

from . import policies, schemas, services

logger = logging.getLogger(__name__)

MAX_LIMIT = 100
DEFAULT_LIMIT = 50


# --- Authentication, scope and rate ---------------------------------------------------------------


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: the request acts as the token's owner."""

    def authenticate(self, request, token):
        found = services.token_authenticate(token)
        if found is None:
            return None
        request.user = found.user
        request.api_token = found
        return found


class TokenRateThrottle(SimpleRateThrottle):
    """API_RATE_LIMIT requests per token (e.g. "120/min"), counted in the default cache:
    with CACHE_URL=redis://… every worker counts together. Past it: 429 with Retry-After."""

    scope = "api-token"

    def __init__(self):
        super().__init__(settings.API_RATE_LIMIT)

    def allow_request(self, request) -> bool:
        # The setting read on each request, so that a changed limit (and a test's) applies at once.
        self.rate = settings.API_RATE_LIMIT
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)

    def get_cache_key(self, request):
        token = getattr(request, "auth", None)
        return f"throttle-{self.scope}-{token.pk}" if token is not None else None


class Docs(DocsBase):
    """Swagger UI from the site's own static files, started by a static script (no inline
    script, nothing from another origin), so the page works under the site's CSP."""

    def render_page(self, request, api, **kwargs):
        return render(request, "api/docs.html", {"openapi_url": self.get_openapi_url(api, kwargs), "title": api.title})


api = NinjaAPI(
    title="gradesys API",
    version="1",
    description=(
        "Tracks and ladders, people and their grade history, claims and their decisions, and promotion "
        "reviews. Send `Authorization: Bearer <token>` with a personal access token made on the site "
        "(API tokens). A token acts as its owner and sees and does what they may on the pages; a read "
        "token is refused every write. Lists are read by cursor: pass the `next_cursor` of one page as "
        "`cursor` for the next. Every refusal is JSON with a `detail`."
    ),
    urls_namespace="api-v1",
    auth=TokenAuth(),
    throttle=[TokenRateThrottle()],
    docs=Docs(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)

READ_ERRORS = {400: schemas.Error, 401: schemas.Error, 404: schemas.Error, 429: schemas.Error}
WRITE_ERRORS = {**READ_ERRORS, 403: schemas.Error, 409: schemas.Error}


def _writing(request) -> None:
    """Refuse a write with a token that may only read."""
    if not policies.scope_allows_write(getattr(request, "auth", None)):
        raise HttpError(403, "This token may only read: make a token with the write scope for this.")


# --- Errors: JSON, with the status that says what went wrong ----------------------------------


def _error(request, status: int, detail):
    response = api.create_response(request, {"detail": detail}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="gradesys"'
    return response


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    return _error(request, 400, exc.errors)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(request, 401, "Give a valid, unrevoked token: Authorization: Bearer <token>.")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "Not found.")


@api.exception_handler(PermissionError)
def _forbidden(request, exc):
    return _error(request, 403, "You may not do this.")


@api.exception_handler(grade_services.GradeError)
def _refused_by_grades(request, exc):
    return _error(request, 400, str(exc))


@api.exception_handler(services.ApiRefused)
def _refused(request, exc):
    return _error(request, exc.status, str(exc))


@api.exception_handler(Exception)
def _unexpected(request, exc):
    if isinstance(exc, HttpError):
        return _error(request, exc.status_code, str(exc))
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.warning("database unavailable: %s", type(exc).__name__)
        response = _error(request, 503, "The database is not available; try again shortly.")
        response["Retry-After"] = "30"
        return response
    # The class only: the message may quote personal data.
    logger.error("API error: %s", type(exc).__name__, exc_info=settings.DEBUG)
    return _error(request, 500, "Something went wrong on the server.")


# --- Cursors ------------------------------------------------------------------------------------


def _encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": pk}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = data["after"]
    except (ValueError, binascii.Error, TypeError, KeyError, UnicodeDecodeError):
        raise HttpError(400, "The cursor is not one this API gave.") from None
    if type(after) is not int or after < 0:
        raise HttpError(400, "The cursor is not one this API gave.")
    return after


def _page(queryset, cursor: str | None, limit: int, serialize) -> dict:
    """One page of `queryset` in the order of its ids, after the cursor's id."""
    rows = list(queryset.filter(pk__gt=_decode_cursor(cursor)).order_by("pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [serialize(row) for row in rows], "next_cursor": _encode_cursor(rows[-1].pk) if more else None}


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise HttpError(400, f"limit is from 1 to {MAX_LIMIT}.")
    return limit


# --- Shaping rows ------------------------------------------------------------------------------


def _level(level) -> dict | None:
    if level is None:
        return None
    return {"id": level.pk, "code": level.code, "rank": level.rank, "name": level.name, "name_ru": level.name_ru}


def _track(track: Track) -> dict:
    return {
        "id": track.pk, "slug": track.slug, "name": track.name, "name_ru": track.name_ru,
        "ladder": track.ladder.slug, "fork_of": track.fork_of.slug if track.fork_of_id else None,
    }


def _person(employee: Employee) -> dict:
    user = employee.user
    return {
        "id": employee.pk, "username": user.get_username(), "name": str(employee), "email": user.email,
        "track": employee.track.slug, "level": _level(employee.current_level),
        "level_since": employee.current_level_since, "team_lead_id": employee.team_lead_id,
        "hire_date": employee.hire_date, "left_on": employee.left_on,
    }


def _person_detail(employee: Employee) -> dict:
    history = employee.grade_changes.chronological().select_related("level", "track")
    return {
        **_person(employee),
        "probation_end": employee.probation_end, "career_start": employee.career_start,
        "checklist_total": employee.checklist_total, "checklist_done": employee.checklist_done,
        "waiting_claims": employee.waiting_claims,
        "grade_history": [
            {"id": entry.pk, "kind": entry.kind, "track": entry.track.slug, "level": _level(entry.level),
             "effective_date": entry.effective_date, "reason": entry.reason}
            for entry in history
        ],
    }


def _claim(evidence: Evidence) -> dict:
    return {
        "id": evidence.pk, "person_id": evidence.employee_id, "requirement_id": evidence.requirement_id,
        "status": evidence.status, "description": evidence.description, "links": list(evidence.links or []),
        "claimed_at": evidence.claimed_at, "decided_at": evidence.decided_at,
        "decision_comment": evidence.decision_comment,
    }


def _review(review) -> dict:
    return {
        "id": review.pk, "candidate_id": review.candidate_id, "track": review.track.slug,
        "from_level": _level(review.from_level), "to_level": _level(review.to_level), "status": review.status,
        "requested_at": review.requested_at, "scheduled_for": review.scheduled_for,
    }


def _people():
    return Employee.objects.select_related("user", "track", "current_level")


def _visible_person(user, pk: int) -> Employee:
    """The person `pk` if `user` may see them (404 otherwise, as the pages answer)."""
    employee = _people().select_related("team_lead").filter(pk=pk).first()
    if employee is None or not grade_policies.may_view_person(user, employee):
        raise Http404
    return employee


# --- Who am I --------------------------------------------------------------------------------------

router = Router()


@router.get("/me", response={200: schemas.Me, **READ_ERRORS}, tags=["account"], summary="The token's owner")
def me(request):
    user = request.user
    employee_id = Employee.objects.filter(user=user).values_list("pk", flat=True).first()
    return {"id": user.pk, "username": user.get_username(), "name": user.get_full_name() or user.get_username(),
            "employee_id": employee_id, "scope": request.auth.scope}


# --- Tracks and ladders -------------------------------------------------------------------------


@router.get("/tracks", response={200: schemas.TrackPage, **READ_ERRORS}, tags=["ladders"], summary="Active tracks")
def track_list(request, cursor: str | None = Query(None, max_length=200), limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    tracks = Track.objects.active().select_related("ladder", "fork_of")
    return _page(tracks, cursor, _limit(limit), _track)


@router.get("/tracks/{slug}", response={200: schemas.TrackDetail, **READ_ERRORS}, tags=["ladders"],
            summary="A track's ladder: levels with their requirements and books")
def track_detail(request, slug: str):
    track = Track.objects.active().select_related("ladder", "fork_of").filter(slug=slug).first()
    if track is None:
        raise Http404
    levels = grade_selectors.track_ladder(track.pk)
    requirements = (
        Requirement.objects.active().on_ladder_of(track)
        .select_related("track_level__level").order_by("track_level__level__rank", "position", "id")
    )
    counted = set(Requirement.objects.active().counted().on_ladder_of(track).values_list("pk", flat=True))
    by_level: dict[int, list] = {}
    for requirement in requirements:
        by_level.setdefault(requirement.track_level.level_id, []).append({
            "id": requirement.pk, "key": requirement.key, "category": requirement.category_id,
            "text": requirement.text, "text_en": requirement.text_en,
            "judged_from_data": bool(requirement.check_kind), "counted": requirement.pk in counted,
        })
    books: dict[int, list] = {}
    for book in Book.objects.on_ladder_of(track).select_related("track_level").order_by("position", "id"):
        books.setdefault(book.track_level.level_id, []).append({"id": book.pk, "title": book.title, "author": book.author})
    bands: dict[int, list] | None = None
    if pay_policies.may_see_bands(request.user):
        bands = {}
        for band in pay_selectors.ladder_bands(track, on=grade_selectors.today()):
            bands.setdefault(band.level_id, []).append({
                "currency": band.currency, "minimum": band.minimum, "maximum": band.maximum,
                "valid_from": band.valid_from,
            })
    return {
        **_track(track),
        "description": track.description_en or track.description,
        "levels": [
            {
                **_level(level), "entry_only": level.entry_only, "min_months_in_previous": level.min_months_in_previous,
                "requirements": by_level.get(level.pk, []), "books": books.get(level.pk, []),
                **({"salary_bands": bands.get(level.pk, [])} if bands is not None else {}),
            }
            for level in levels
        ],
    }


# --- People -----------------------------------------------------------------------------------------


@router.get("/people", response={200: schemas.PersonPage, **READ_ERRORS}, tags=["people"],
            summary="The people the token's owner may see (themself; a lead their people; HR everyone)")
def person_list(request, cursor: str | None = Query(None, max_length=200), limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    people = grade_policies.visible_employees(request.user).select_related("user", "track", "current_level")
    return _page(people, cursor, _limit(limit), _person)


@router.get("/people/{id:person_id}", response={200: schemas.PersonDetail, **READ_ERRORS}, tags=["people"],
            summary="A person with their level and grade history")
def person_detail(request, person_id: int):
    return _person_detail(_visible_person(request.user, person_id))


@router.post("/people", response={201: schemas.PersonDetail, **WRITE_ERRORS}, tags=["people"],
             summary="Add a person (HR): an account without a password, and their hire")
def person_create(request, payload: schemas.PersonIn):
    _writing(request)
    employee = services.person_create(
        username=payload.username, email=payload.email, first_name=payload.first_name, last_name=payload.last_name,
        track_slug=payload.track, level_code=payload.level, hire_date=payload.hire_date,
        probation_end=payload.probation_end, career_start=payload.career_start, team_lead_id=payload.team_lead_id,
        by=request.user,
    )
    return Status(201, _person_detail(_people().get(pk=employee.pk)))


@router.patch("/people/{id:person_id}", response={200: schemas.PersonDetail, **WRITE_ERRORS}, tags=["people"],
              summary="Change a person (HR): name, e-mail, team lead, probation end, career start")
def person_update(request, person_id: int, payload: schemas.PersonChangeIn):
    _writing(request)
    employee = _visible_person(request.user, person_id)
    given = payload.model_dump(exclude_unset=True)
    for field in ("first_name", "last_name", "email", "career_start"):
        if field in given and given[field] is None:
            raise HttpError(400, f"{field} cannot be null.")
    services.person_update(employee=employee, by=request.user, **given)
    return _person_detail(_people().get(pk=employee.pk))


@router.post("/people/{id:person_id}/leave", response={200: schemas.PersonDetail, **WRITE_ERRORS}, tags=["people"],
             summary="Record that a person leaves (HR)")
def person_leave(request, person_id: int, payload: schemas.LeaveIn):
    _writing(request)
    employee = _visible_person(request.user, person_id)
    services.person_leave(employee=employee, on=payload.on, by=request.user)
    return _person_detail(_people().get(pk=employee.pk))


# --- Claims -------------------------------------------------------------------------------------------


@router.get("/people/{id:person_id}/claims", response={200: schemas.ClaimPage, **READ_ERRORS}, tags=["claims"],
            summary="A person's claims and their decisions")
def claim_list(request, person_id: int, cursor: str | None = Query(None, max_length=200), limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    employee = _visible_person(request.user, person_id)
    return _page(Evidence.objects.filter(employee=employee), cursor, _limit(limit), _claim)


@router.post("/people/{id:person_id}/claims", response={201: schemas.Claim, **WRITE_ERRORS}, tags=["claims"],
             summary="Claim a requirement with evidence (the person themself)")
def claim_create(request, person_id: int, payload: schemas.ClaimIn):
    _writing(request)
    employee = _visible_person(request.user, person_id)
    requirement = Requirement.objects.filter(pk=payload.requirement_id).first()
    if requirement is None:
        raise HttpError(400, "There is no such requirement.")
    if not grade_policies.may_claim(request.user, employee):
        raise PermissionError
    if Evidence.objects.filter(
        employee=employee, requirement=requirement, status__in=[EvidenceStatus.CLAIMED, EvidenceStatus.CONFIRMED]
    ).exists():
        raise HttpError(409, "There is a claim for that requirement already, waiting or confirmed.")
    evidence = grade_services.evidence_claim(
        employee=employee, requirement=requirement, description=payload.description, links=payload.links,
        by=request.user,
    )
    return Status(201, _claim(evidence))


@router.post("/claims/{id:claim_id}/decision", response={200: schemas.Claim, **WRITE_ERRORS}, tags=["claims"],
             summary="Confirm or reject a waiting claim (the person's team lead or HR)")
def claim_decide(request, claim_id: int, payload: schemas.DecisionIn):
    _writing(request)
    evidence = Evidence.objects.filter(pk=claim_id).first()
    if evidence is None:
        raise Http404
    employee = _visible_person(request.user, evidence.employee_id)
    if not grade_policies.may_decide_claim(request.user, employee):
        raise PermissionError
    if evidence.status != EvidenceStatus.CLAIMED:
        raise HttpError(409, f"The claim is {evidence.status} already.")
    evidence = grade_services.evidence_decide(
        evidence=evidence, confirm=payload.confirm, comment=payload.comment, by=request.user
    )
    return _claim(evidence)


# --- Reviews ---------------------------------------------------------------------------------------------


@router.get("/reviews", response={200: schemas.ReviewPage, **READ_ERRORS}, tags=["reviews"],
            summary="The promotion reviews the token's owner may see")
def review_list(request, cursor: str | None = Query(None, max_length=200), limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)):
    reviews = review_selectors.review_list_queryset(request.user).select_related("track", "from_level", "to_level")
    return _page(reviews, cursor, _limit(limit), _review)


@router.get("/reviews/{id:review_id}", response={200: schemas.ReviewDetail, **READ_ERRORS}, tags=["reviews"],
            summary="A review with its committee and outcome, as the secret ballot lets its reader see them")
def review_detail(request, review_id: int):
    user = request.user
    review = review_selectors.review_for_page(user, review_id)
    if review is None:
        raise Http404
    seats = review_selectors.review_seats(review)
    mine = next((seat for seat in seats if seat.member_id == user.pk), None)
    visibility = review_policies.vote_visibility(is_hr=grade_policies.is_hr(user), seat=mine, decided=review.is_decided)
    shows_votes = visibility == review_policies.VOTES_ALL
    shows_progress = visibility in (review_policies.VOTES_ALL, review_policies.VOTES_PROGRESS)
    votes = [seat.vote for seat in seats if hasattr(seat, "vote")]
    outcome = None
    if review.is_decided:
        outcome = {
            "decided_at": review.decided_at, "note": review.decision_note,
            "reasons": {str(key): str(value) for key, value in (review.decision_reasons or {}).items()},
            "approvals": sum(vote.value == "approve" for vote in votes),
            "rejections": sum(vote.value == "reject" for vote in votes),
            "abstentions": sum(vote.value == "abstain" for vote in votes),
        }
    return {
        **_review(review),
        "place": review.place,
        "seats": [
            {
                "role": seat.role, "member_id": seat.member_id,
                "member_name": seat.member.get_full_name() or seat.member.get_username(),
                "has_voted": hasattr(seat, "vote") if shows_progress else None,
                "vote": seat.vote.value if shows_votes and hasattr(seat, "vote") else None,
                "comment": seat.vote.comment if shows_votes and hasattr(seat, "vote") else None,
            }
            for seat in seats
        ],
        "outcome": outcome,
    }


api.add_router("/", router)


def urls():
    """The API's URL patterns, for gradesys.urls.

    Outside the request transaction (ATOMIC_REQUESTS): each write is a service with a
    transaction of its own, and a read, as the pages' read_only views, should not take
    SQLite's write lock nor hold up writers.
    """
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        transaction.non_atomic_requests(pattern.callback)
    return patterns, app_name, namespace

