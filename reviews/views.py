"""
Browser pages of promotion reviews: the list, HR's upcoming defenses, one review with
the forms each role may use, and the request posted from the progress page.

Every POST view checks visibility (404), validates a form, calls exactly one service
and answers: a redirect to the review on success; 403 when the service raises
PermissionError; 400 with the refusal as a message and the page re-rendered with the
submitted form when it raises ReviewError or the form is invalid. A refused service
writes nothing (it raises inside its own transaction), so neither does the view.
"""

from __future__ import annotations

import datetime
import itertools
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grades import pagecache
from grades import selectors as grade_selectors
from gradesys.http import read_only
from grades.models import Employee, Level, Track
from grades.roles import HR, user_has_role

from . import rules, services
from .forms import DecideForm, RequestForm, ReviewFilterForm, ScheduleForm, VoteForm, WithdrawForm
from .models import CommitteeSeat, PromotionReview, ReviewEvent, ReviewStatus, SeatRole, VoteValue
from .selectors import visible_reviews

PAGE_SIZE = 50
UPCOMING_PAGE_SIZE = 100


# --- The list -----------------------------------------------------------------------------------


@read_only
@login_required
def review_list(request):
    """The reviews the user may see (selectors.visible_reviews), filtered by GET parameters.

    Kept in the page cache per viewer and exact query, like the people list.
    """
    key, kept = pagecache.kept_list(request, "reviews")
    if kept is not None:
        return HttpResponse(kept)
    tracks = list(Track.objects.active().order_by("name"))
    levels = list(Level.objects.order_by("rank"))
    form = ReviewFilterForm(request.GET or None, tracks=tracks, levels=levels)
    context = {"form": form, "tracks": tracks, "levels": levels, "page": None, "errors": []}
    if form.is_bound and not form.is_valid():
        context["errors"] = form.error_lines()
        return render(request, "reviews/list.html", context, status=400)

    def build(csrf_token: str) -> str:
        # Ids first, in list order (index review_requested): the page's rows are then read
        # with their people and the "awaiting my vote" test for those rows only.
        ids = visible_reviews(request.user)
        if form.is_bound:
            ids = form.filter(ids, request.user)
        page = Paginator(ids.order_by("-requested_at", "-id").values_list("pk", flat=True), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        page_ids = list(page.object_list)
        rows = {
            review.pk: review
            for review in PromotionReview.objects.filter(pk__in=page_ids).with_people().annotate(
                awaiting_my_vote=Exists(
                    CommitteeSeat.objects.filter(
                        review=OuterRef("pk"), member=request.user, vote__isnull=True,
                        review__status=ReviewStatus.SCHEDULED,
                    )
                )
            )
        }
        page.object_list = [rows[pk] for pk in page_ids if pk in rows]
        query = request.GET.copy()
        query.pop("page", None)
        context.update(page=page, query=query.urlencode(), csrf_token=csrf_token)
        return render_to_string("reviews/list.html", context, request=request)

    return pagecache.respond(request, key, build)


@read_only
@login_required
def upcoming(request):
    """HR's calendar: scheduled defenses from today on, grouped by day."""
    if not user_has_role(request.user, HR):
        raise PermissionDenied(_("Only HR sees the calendar of defenses."))
    today = timezone.localdate()
    queryset = (
        PromotionReview.objects.filter(
            status=ReviewStatus.SCHEDULED,
            scheduled_for__gte=timezone.make_aware(datetime.datetime.combine(today, datetime.time.min)),
        )
        .with_people()
        .prefetch_related(Prefetch("seats", queryset=CommitteeSeat.objects.select_related("member", "vote")))
        .order_by("scheduled_for", "id")
    )
    page = Paginator(queryset, UPCOMING_PAGE_SIZE).get_page(request.GET.get("page"))
    days = [
        (day, list(reviews))
        for day, reviews in itertools.groupby(page.object_list, key=lambda r: timezone.localdate(r.scheduled_for))
    ]
    return render(request, "reviews/upcoming.html", {"page": page, "days": days, "today": today})


# --- One review ---------------------------------------------------------------------------------

# What a viewer learns about the committee's votes.
VOTES_ALL = "all"  # every seat's vote and comment
VOTES_PROGRESS = "progress"  # who has voted, not how
VOTES_TALLY = "tally"  # the counts, once decided
VOTES_NONE = "none"  # nothing about the voting


def vote_visibility(*, is_hr: bool, seat: CommitteeSeat | None, decided: bool) -> str:
    """How much of the voting a viewer sees.

    Votes are secret from a member until they have cast their own: a member who could
    read the others first would be nudged towards the majority (or towards the most
    senior voice on the committee), and the committee exists to collect four
    independent judgements. Once a member has voted they see the others, and they may
    still change their vote until the decision — by then their first judgement is on
    record in the audit trail. HR runs the process and records the decision, so HR sees
    everything all along. The candidate and a team lead who does not sit on the
    committee learn the outcome and the decision note, and the counts only after the
    decision: a running tally before it would put pressure on the members who have not
    voted yet, and who voted how is the committee's business, not the candidate's.
    """
    if is_hr:
        return VOTES_ALL
    if seat is not None:
        return VOTES_ALL if decided or hasattr(seat, "vote") else VOTES_PROGRESS
    return VOTES_TALLY if decided else VOTES_NONE


VOTE_ACTIONS = (ReviewEvent.Action.VOTED, ReviewEvent.Action.VOTE_CHANGED)


@dataclass
class TrailEntry:
    event: ReviewEvent
    # False hides the vote and its comment (the entry still says that someone voted).
    detail_visible: bool
    summary: str = ""

    @property
    def is_vote(self) -> bool:
        return self.event.action in VOTE_ACTIONS


def _event_summary(event: ReviewEvent) -> str:
    data = event.data or {}
    if event.action in VOTE_ACTIONS and data.get("vote") in VoteValue.values:
        return str(VoteValue(data["vote"]).label)
    if event.action in (ReviewEvent.Action.SCHEDULED, ReviewEvent.Action.MOVED) and data.get("when"):
        try:
            when = timezone.localtime(datetime.datetime.fromisoformat(data["when"]))
        except (TypeError, ValueError):
            return ""
        return " · ".join(part for part in (f"{when:%Y-%m-%d %H:%M}", data.get("place", "")) if part)
    return ""


def _trail(events, visibility: str) -> list[TrailEntry]:
    entries = []
    for event in events:
        if event.action in VOTE_ACTIONS:
            if visibility == VOTES_ALL:
                entries.append(TrailEntry(event, True, _event_summary(event)))
            elif visibility == VOTES_PROGRESS:
                entries.append(TrailEntry(event, False))
            # Outsiders do not see the voting in the trail: the decision entry sums it up.
        else:
            entries.append(TrailEntry(event, True, _event_summary(event)))
    return entries


def _review_for(request, pk) -> PromotionReview:
    queryset = visible_reviews(request.user).with_people().select_related(
        "requested_by", "scheduled_by", "decided_by", "grade_change"
    )
    return get_object_or_404(queryset, pk=pk)


def _seatable_users(review: PromotionReview, seats=()) -> list:
    """Who HR may seat: the committee candidates, plus the candidate's team lead and the
    current members even when they are not in those groups (any more); never the candidate."""
    users = list(services.committee_candidates())
    known = {user.pk for user in users}
    extra = [seat.member for seat in seats]
    if review.candidate.team_lead_id:
        extra.append(review.candidate.team_lead.user)
    for user in extra:
        if user.pk not in known:
            users.append(user)
            known.add(user.pk)
    return [user for user in users if user.pk != review.candidate.user_id]


def _schedule_initial(review: PromotionReview, seats) -> dict:
    initial = {"place": review.place, "override_reason": review.override_reason}
    if review.scheduled_for:
        initial["when"] = timezone.localtime(review.scheduled_for)
    by_role = {seat.role: seat.member_id for seat in seats}
    if not by_role and review.candidate.team_lead_id:
        by_role[SeatRole.TEAM_LEAD] = review.candidate.team_lead.user_id
    initial.update(by_role)
    return initial


def _detail_response(request, review: PromotionReview, *, status: int = 200, bound: dict | None = None):
    """Render the review page; `bound` maps a form's name to a submitted form to show again."""
    bound = bound or {}
    user = request.user
    is_hr = user_has_role(user, HR)
    seats = list(review.seats.select_related("member", "vote"))
    my_seat = next((seat for seat in seats if seat.member_id == user.pk), None)
    visibility = vote_visibility(is_hr=is_hr, seat=my_seat, decided=review.is_decided)
    votes = [seat.vote for seat in seats if hasattr(seat, "vote")]
    all_voted = bool(seats) and len(votes) == len(seats)
    tally = Counter(vote.value for vote in votes)
    progress = grade_selectors.employee_progress(review.candidate)
    unmet = [item for item in progress.items if not item.done]
    is_candidate = review.candidate.user_id == user.pk
    is_lead = services.is_lead_of(user, review.candidate)

    can_schedule = is_hr and review.is_open
    can_decide = services.can_decide(user) and review.status == ReviewStatus.SCHEDULED
    can_vote = my_seat is not None and review.status == ReviewStatus.SCHEDULED
    can_withdraw = review.is_open and (is_hr or is_candidate or is_lead)

    forms = {}
    if can_schedule:
        forms["schedule"] = bound.get("schedule") or ScheduleForm(
            users=_seatable_users(review, seats), initial=_schedule_initial(review, seats)
        )
    if can_vote:
        mine = getattr(my_seat, "vote", None)
        forms["vote"] = bound.get("vote") or VoteForm(
            initial={"value": mine.value, "comment": mine.comment} if mine else None
        )
    if can_decide:
        forms["decide"] = bound.get("decide") or DecideForm()
    if can_withdraw:
        forms["withdraw"] = bound.get("withdraw") or WithdrawForm()

    rule = settings.REVIEWS_DECISION_RULE
    context = {
        "page_url": review.get_absolute_url(),
        "review": review,
        "progress": progress,
        "unmet": unmet,
        "packet_level_differs": progress.next_level is not None and progress.next_level.pk != review.to_level_id,
        "seats": seats,
        "my_seat": my_seat,
        "visibility": visibility,
        "show_votes": visibility == VOTES_ALL,
        "show_progress": visibility in (VOTES_ALL, VOTES_PROGRESS),
        "show_tally": review.is_decided or visibility == VOTES_ALL,
        "tally": {value: tally.get(value, 0) for value in ("approve", "reject", "abstain")},
        "all_voted": all_voted,
        "missing_votes": [seat for seat in seats if not hasattr(seat, "vote")],
        "rule": rule,
        "would_pass": rules.outcome([vote.value for vote in votes], rule) if all_voted else None,
        "trail": _trail(review.events.select_related("actor"), visibility),
        "is_hr": is_hr,
        "can_schedule": can_schedule,
        "can_decide": can_decide,
        "can_vote": can_vote,
        "can_withdraw": can_withdraw,
        "forms": forms,
    }
    return render(request, "reviews/detail.html", context, status=status)


@read_only
@login_required
def review_detail(request, pk):
    return _detail_response(request, _review_for(request, pk))


def _refused(request, review, error: services.ReviewError, *, bound: dict):
    messages.error(request, str(error))
    return _detail_response(request, review, status=400, bound=bound)


@login_required
@require_POST
def schedule(request, pk):
    review = _review_for(request, pk)
    # The service checks this too; asking first means a wrong role gets 403 whatever it posts.
    if not user_has_role(request.user, HR):
        raise PermissionDenied(_("Only HR schedules defenses."))
    form = ScheduleForm(request.POST, users=_seatable_users(review, review.seats.select_related("member")))
    if not form.is_valid():
        return _detail_response(request, review, status=400, bound={"schedule": form})
    moving = review.status == ReviewStatus.SCHEDULED
    try:
        services.review_schedule(
            review=review,
            when=form.cleaned_data["when"],
            place=form.cleaned_data["place"],
            members=form.members(),
            by=request.user,
            override_reason=form.cleaned_data["override_reason"],
        )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.ReviewError as exc:
        return _refused(request, review, exc, bound={"schedule": form})
    messages.success(request, _("The defense was moved.") if moving else _("The defense is scheduled."))
    return redirect(review)


@login_required
@require_POST
def vote(request, pk):
    review = _review_for(request, pk)
    form = VoteForm(request.POST)
    if not form.is_valid():
        return _detail_response(request, review, status=400, bound={"vote": form})
    try:
        services.review_vote(
            review=review, by=request.user, value=form.cleaned_data["value"], comment=form.cleaned_data["comment"]
        )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.ReviewError as exc:
        return _refused(request, review, exc, bound={"vote": form})
    messages.success(request, _("Your vote is recorded."))
    return redirect(review)


@login_required
@require_POST
def decide(request, pk):
    review = _review_for(request, pk)
    if not services.can_decide(request.user):
        raise PermissionDenied(_("Only HR records the committee's decision."))
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _detail_response(request, review, status=400, bound={"decide": form})
    try:
        review = services.review_decide(review=review, by=request.user, note=form.cleaned_data["note"])
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.ReviewError as exc:
        return _refused(request, review, exc, bound={"decide": form})
    if review.status == ReviewStatus.PASSED:
        messages.success(request, _("Passed: %(name)s is now %(level)s.") % {
            "name": review.candidate, "level": review.to_level.name})
    else:
        messages.success(request, _("Not passed this time; the cool-down before the next defense starts today."))
    return redirect(review)


@login_required
@require_POST
def withdraw(request, pk):
    review = _review_for(request, pk)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _detail_response(request, review, status=400, bound={"withdraw": form})
    try:
        services.review_withdraw(review=review, by=request.user, reason=form.cleaned_data["reason"])
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.ReviewError as exc:
        return _refused(request, review, exc, bound={"withdraw": form})
    messages.success(request, _("The review is withdrawn."))
    return redirect(review)


# --- Requesting a defense from the progress page --------------------------------------------------


@dataclass
class ReviewBox:
    """What the progress page shows about defenses (context entry `reviews`)."""

    open_review: PromotionReview | None
    last_decided: PromotionReview | None
    can_request: bool
    today: datetime.date
    form: RequestForm


def review_box(*, employee: Employee, user) -> ReviewBox:
    """The person's open review, their latest decided one, and whether `user` may request
    a defense for them; one query, whatever the size of the checklist on the page.

    Expects `employee` with `team_lead` selected (the progress pages select it).
    """
    reviews = list(
        PromotionReview.objects.filter(candidate=employee)
        .exclude(status=ReviewStatus.WITHDRAWN)
        .select_related("to_level")
        .order_by("-requested_at", "-id")
    )
    open_review = next((review for review in reviews if review.is_open), None)
    decided = [review for review in reviews if review.is_decided]
    last_decided = max(decided, key=lambda r: (r.decided_at, r.pk)) if decided else None
    may_request = user.pk == employee.user_id or services.is_lead_of(user, employee)
    return ReviewBox(
        open_review=open_review,
        last_decided=last_decided,
        can_request=may_request and open_review is None,
        today=timezone.localdate(),
        form=RequestForm(),
    )


@login_required
@require_POST
def request_review(request, employee_pk):
    from grades.views import _progress_response

    employee = get_object_or_404(
        grade_selectors.visible_employees(request.user).select_related(
            "user", "track", "current_level", "team_lead__user"
        ),
        pk=employee_pk,
    )
    # The target level is not a parameter: the service always takes the next rank.
    form = RequestForm(request.POST)
    if form.is_valid():
        try:
            review = services.review_request(
                candidate=employee, by=request.user, recommendation=form.cleaned_data["recommendation"]
            )
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        except services.ReviewError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The defense of %(level)s is requested; HR will schedule it.") % {
                "level": review.to_level.name})
            return redirect(review)
    return _progress_response(request, employee, status=400, bound=("review_request", employee.pk, form))
