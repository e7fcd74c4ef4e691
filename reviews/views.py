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
import html
import itertools
from collections import Counter
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.forms.utils import flatatt
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grades import policies as grade_policies
from grades import selectors as grade_selectors
from grades.pages import progress_response
from common.http import read_only
from common.text_filters import render_text
from grades.models import Employee, Level, Track
from grades.templatetags.grades_tags import level_name, localized

from . import policies, rules, services
from .forms import (
    AssessmentForm,
    DecideForm,
    FeedbackAnswerForm,
    FeedbackAskForm,
    RequestForm,
    ReviewFilterForm,
    ScheduleForm,
    SessionAddForm,
    SessionForm,
    SessionRemoveForm,
    StatementForm,
    VoteForm,
    WithdrawForm,
)
from .models import (
    AssessorRole,
    CommitteeSeat,
    DefenseSession,
    PromotionReview,
    ReviewEvent,
    ReviewStatus,
    SeatRole,
    VoteValue,
)
from .policies import VOTES_ALL, VOTES_PROGRESS, vote_visibility
from .selectors import (
    PacketLine,
    RelationsSection,
    SeatChoices,
    feedback_request_for_page,
    kept_relations,
    my_feedback_requests,
    packet_from_snapshot,
    packet_plan,
    review_for_page,
    review_decision_policy,
    review_delivery_facts,
    review_events,
    review_list_queryset,
    review_packet,
    review_readings,
    review_relations,
    review_seats,
    review_snapshot,
    seat_candidate_choices,
    session_outcomes,
    session_rows,
    sessions_for,
)

PAGE_SIZE = 50
UPCOMING_PAGE_SIZE = 100
# What the review list's table shows of a review, its candidate and its track.
LIST_COLUMNS = (
    "status", "requested_at", "scheduled_for", "place", "decided_at", "track_id", "from_level_id", "to_level_id",
    "candidate__user__first_name", "candidate__user__last_name", "candidate__user__username",
)
# How many rows past the page asked for the review list reads before it says "more than".
# Small on purpose: with a longer window MariaDB stops walking the list's index for a
# committee member's list and sorts every review instead (20 ms rather than 2).
LIST_COUNT_LOOKAHEAD = 100


class WindowPaginator(Paginator):
    """Pages of a list of ids that never counts the whole list.

    A director sees nearly every review and HR all of them: counting thousands of rows on
    each view of the list, for a figure nobody needs exactly, cost more than the page. So
    one statement reads the ids from the page asked for on, up to LIST_COUNT_LOOKAHEAD
    past it, along the list's index: the first PAGE_SIZE are the page, the rest say how
    much follows. When more follow than were read, `more` is True and `count` is the
    number of rows up to the end of what was read, so the next pages exist. A page past
    the end is the last page, as with Django's paginator (then the list is counted);
    a page number that is not a number, or below 1, is the first.
    """

    FARTHEST = 10**9

    def __init__(self, object_list, per_page, *, lookahead: int):
        super().__init__(object_list, per_page)
        self.lookahead = lookahead
        self.more = False

    def get_page(self, number):
        try:
            number = max(int(number), 1)
        except (TypeError, ValueError):
            number = 1
        window = self._window(number)
        if not window and number > 1:
            number = max(1, -(-self.object_list.count() // self.per_page))
            window = self._window(number)
        start = (number - 1) * self.per_page
        readable = self.per_page + self.lookahead
        self.more = len(window) > readable
        # Paginator.count is a cached property: set it to what the window tells.
        self.__dict__["count"] = start + min(len(window), readable)
        return self._get_page(window[: self.per_page], number, self)

    def _window(self, number: int) -> list:
        start = (number - 1) * self.per_page
        if start > self.FARTHEST:
            return []  # past any real list, and past what an OFFSET may hold
        return list(self.object_list[start : start + self.per_page + self.lookahead + 1])


@dataclass(frozen=True)
class ListRow:
    """One line of the review list, every cell ready to print."""

    pk: int
    url: str
    candidate: str
    awaiting_my_vote: bool
    track: str
    from_level: str
    to_level: str
    status: str
    status_label: str
    date_and_place: str
    requested: str
    decided: str


def _list_rows(reviews, tracks, levels) -> list[ListRow]:
    """The page's reviews as table lines.

    Formatted here rather than with template filters: per line, the filters' date
    formatting, the status label's translation and the address's reverse() took ten times
    as long as printing the text. The values are those filters' (dates in the current time
    zone, the level and track names in the reader's language).
    """
    names = {level.pk: level_name(level) for level in levels}
    track_names = {track.pk: track.display_name for track in tracks}
    labels = {value: str(label) for value, label in ReviewStatus.choices}
    # One reverse() for the page: the detail address with the review's id in place of 1.
    before, _one, after = reverse("reviews:detail", args=[1]).rpartition("1")
    rows = []
    for review in reviews:
        when = ""
        if review.scheduled_for:
            when = " · ".join(
                part for part in (f"{timezone.localtime(review.scheduled_for):%Y-%m-%d %H:%M}", review.place) if part
            )
        rows.append(ListRow(
            pk=review.pk,
            url=f"{before}{review.pk}{after}",
            candidate=str(review.candidate),
            awaiting_my_vote=review.awaiting_my_vote,
            track=track_names[review.track_id],
            from_level=names[review.from_level_id],
            to_level=names[review.to_level_id],
            status=review.status,
            status_label=labels.get(review.status, review.status),
            date_and_place=when or "—",
            requested=f"{timezone.localtime(review.requested_at):%Y-%m-%d}",
            decided=f"{timezone.localtime(review.decided_at):%Y-%m-%d}" if review.decided_at else "—",
        ))
    return rows


@read_only
@login_required
def review_list(request):
    """The reviews the user may see (policies.visible_reviews), filtered by GET parameters."""
    # Every track, for the rows' track names; the filter offers the active ones.
    all_tracks = list(Track.objects.order_by("name"))
    tracks = [track for track in all_tracks if track.is_active]
    # Every ladder's levels, grouped by ladder: the rows' level names and the filter's choices.
    levels = list(Level.objects.select_related("ladder").order_by("ladder__slug", "rank"))
    form = ReviewFilterForm(request.GET or None, tracks=tracks, levels=levels)
    context = {"form": form, "tracks": tracks, "levels": levels, "page": None, "errors": []}
    if form.is_bound and not form.is_valid():
        context["errors"] = form.error_lines()
        return render(request, "reviews/list.html", context, status=400)

    reviews = review_list_queryset(request.user)
    if form.is_bound:
        reviews = form.filter(reviews, request.user)
    # The page's ids in list order, from an index ending in requested_at (index-only for
    # HR's list), then the page's rows by id: the columns the table shows, the candidate's
    # name joined, "awaiting my vote" tested for those rows only. Tracks and levels are
    # named from the rows read above: joining the two-row track table made MariaDB start
    # from it and sort every review.
    ids = reviews.order_by("-requested_at", "-id").values_list("pk", flat=True)
    page = WindowPaginator(ids, PAGE_SIZE, lookahead=LIST_COUNT_LOOKAHEAD).get_page(request.GET.get("page"))
    rows = {
        review.pk: review
        for review in PromotionReview.objects.filter(pk__in=page.object_list)
        .select_related("candidate__user")
        .only(*LIST_COLUMNS)
        .annotate(
            awaiting_my_vote=Exists(
                CommitteeSeat.objects.filter(
                    review=OuterRef("pk"), member=request.user, vote__isnull=True,
                    review__status=ReviewStatus.SCHEDULED,
                )
            )
        )
    }
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    context["rows"] = _list_rows(page.object_list, all_tracks, levels)
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, query=query.urlencode())
    return render(request, "reviews/list.html", context)


@read_only
@login_required
def upcoming(request):
    """HR's calendar: scheduled defenses from today on, grouped by day."""
    if not policies.may_see_calendar(request.user):
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

VOTE_ACTIONS = (ReviewEvent.Action.VOTED, ReviewEvent.Action.VOTE_CHANGED)


@dataclass
class TrailEntry:
    event: ReviewEvent
    # False hides the vote and its comment (the entry still says that someone voted).
    detail_visible: bool
    summary: str = ""
    # Worked out once here rather than by filters per row in the template.
    when: str = ""
    action_label: str = ""
    actor_name: str = ""

    def __post_init__(self):
        event = self.event
        self.when = f"{timezone.localtime(event.at):%Y-%m-%d %H:%M}" if event.at else ""
        self.action_label = event.get_action_display()
        actor = event.actor
        self.actor_name = (actor.get_full_name() or actor.get_username()) if actor is not None else ""

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
    """The review if the user may see it (404 otherwise), read with all its page shows of it."""
    review = review_for_page(request.user, pk)
    if review is None:
        raise Http404
    return review


def _seat_choices(review: PromotionReview, seats) -> dict[str, list[tuple[int, str]]]:
    """{seat role: [(pk, label)]} of whom HR may seat on this review (policies.may_hold_seat).

    The people of seat_candidate_choices(), plus whoever holds each seat now (kept when
    the defense moves) and, in the team lead's seat, the candidate's own lead; never the
    candidate.
    """
    choices = seat_candidate_choices()
    extra = [(seat.role, seat.member) for seat in seats]
    if review.candidate.team_lead_id:
        extra.append((SeatRole.TEAM_LEAD, review.candidate.team_lead.user))
    for role, user in extra:
        if all(pk != user.pk for pk, _label in choices[role]):
            choices[role].append((user.pk, user.get_full_name() or user.get_username()))
    return SeatChoices(
        {role: [choice for choice in people if choice[0] != review.candidate.user_id]
         for role, people in choices.items()},
        usual={role: pk for role, pk in choices.usual.items() if pk != review.candidate.user_id},
    )


def _schedule_initial(review: PromotionReview, seats, people: SeatChoices | None = None) -> dict:
    """The schedule form's first values: the defense as scheduled, or for a first schedule the
    candidate's team lead in the lead's seat and, in each director's seat, who usually sits in
    it (SeatChoices.usual: the one holder of its role, or with none the only person offered or
    the one who held it last), one seat each."""
    initial = {"place": review.place, "override_reason": review.override_reason}
    if review.scheduled_for:
        initial["when"] = timezone.localtime(review.scheduled_for)
    by_role = {seat.role: seat.member_id for seat in seats}
    if not by_role:
        if review.candidate.team_lead_id:
            by_role[SeatRole.TEAM_LEAD] = review.candidate.team_lead.user_id
        usual = getattr(people, "usual", {})
        for role in SeatRole.values:
            offered = {pk for pk, _label in (people or {}).get(role, ())}
            pk = usual.get(role)
            if role not in by_role and pk in offered and pk not in by_role.values():
                by_role[role] = pk
    initial.update(by_role)
    return initial


def _esc(value) -> str:
    return html.escape(str(value), quote=True)


def _member_selects(form: ScheduleForm, people: dict | None = None) -> list[tuple]:
    """The schedule form's four seat selects as (bound field, HTML) pairs.

    The team lead's seat offers every team lead, in a large company a thousand and more.
    Through Django's widget templates the selects took most of the page's time (one
    template render per option), and so did building the form's choice lists from user
    objects. So the page's unbound form is made without people, and `people` ({seat role:
    (pk, label) choices}) are added here; a submitted form shown again has its own. Each
    list of options is escaped once and shared by the seats that offer the same people
    (the three directors' seats), each marking its own choice.
    The markup is the widget's: the same name, id, required and aria attributes, option
    values and labels.
    """
    selects = []
    shared: tuple[list, list[str], dict[str, int]] | None = None
    for field in form.seat_fields():
        choices = [*field.field.choices, *(people or {}).get(field.name, ())]
        if shared is None or shared[0] != choices:
            shared = (
                choices,
                # The standard library's escape: the same five characters as Django's, without
                # the lazy-string wrapper that doubled its cost over two thousand calls.
                [f'<option value="{_esc(value)}">{_esc(label)}</option>' for value, label in choices],
                {str(value): index for index, (value, _label) in enumerate(choices)},
            )
        _choices, options, index = shared
        value = field.value()
        # As the widget does: no value is the empty choice.
        chosen = index.get("" if value is None else str(value))
        if chosen is not None:
            options = list(options)
            option_value, label = choices[chosen]
            options[chosen] = f'<option value="{_esc(option_value)}" selected>{_esc(label)}</option>'
        attrs = field.build_widget_attrs({})
        if field.auto_id:
            attrs.setdefault("id", field.auto_id)
        markup = f'<select name="{_esc(field.html_name)}"{flatatt(attrs)}>{"".join(options)}</select>'
        selects.append((field, mark_safe(markup)))  # noqa: S308 every value and label is escaped above
    return selects


def _packet_lines(progress) -> list[tuple]:
    """[(level, [PacketLine])] of the packet's checklist, in ladder order, a group's lines together."""
    states = {
        "confirmed": _("confirmed"), "reconfirm": _("confirmed against an earlier wording"),
        "claimed": _("waiting"), "rejected": _("rejected"),
        "met": _("met"), "unmet": _("not yet"),
    }
    missing = _("missing")
    grouped = []
    for level, blocks in progress.blocks_by_level():
        lines = []
        for block in blocks:
            tally = block.tally
            for index, item in enumerate(block.items):
                group_head = ""
                if tally is not None and index == 0:
                    group_head = _("%(group)s · %(done)s of %(need)s done, any %(need)s of these %(total)s") % {
                        "group": tally.group.display_name, "done": tally.done, "need": tally.need,
                        "total": len(block.items),
                    }
                lines.append(_packet_line(item, states.get(item.state, missing), group_head, tally is not None))
        grouped.append((level, lines))
    return grouped


def _packet_line(item, state_label: str, group_head: str, in_group: bool) -> PacketLine:
    requirement, evidence = item.requirement, item.evidence
    decided = ""
    if evidence is not None and evidence.decided_by_id is not None:
        who = evidence.decided_by.get_full_name() or evidence.decided_by.get_username()
        when = f"{timezone.localtime(evidence.decided_at):%Y-%m-%d}" if evidence.decided_at else ""
        decided = _("Decided by %(who)s on %(when)s") % {"who": who, "when": when}
    return PacketLine(
        state=item.state,
        requirement_pk=requirement.pk,
        state_label=state_label,
        text=render_text(localized(requirement, "text")),
        category=requirement.category.display_name,
        checked_from_data=bool(requirement.check_kind),
        detail=item.detail,
        evidence=evidence,
        decided=decided,
        proficiency=requirement.proficiency,
        examples=render_text(requirement.examples) if requirement.examples else "",
        group_head=group_head,
        in_group=in_group,
    )


def _kept_or_live(kept, name: str, live):
    """A part of the packet as kept at the decision, or today's (`live()`) where none was kept."""
    value = getattr(kept, name) if kept is not None else None
    return live() if value is None else value


def _detail_response(request, review: PromotionReview, *, status: int = 200, bound: dict | None = None):
    """Render the review page; `bound` maps a form's name to a submitted form to show again."""
    bound = bound or {}
    user = request.user
    is_hr = grade_policies.is_hr(user)
    seats = review_seats(review)
    my_seat = next((seat for seat in seats if seat.member_id == user.pk), None)
    visibility = vote_visibility(is_hr=is_hr, seat=my_seat, decided=review.is_decided)
    votes = [seat.vote for seat in seats if hasattr(seat, "vote")]
    all_voted = bool(seats) and len(votes) == len(seats)
    tally = Counter(vote.value for vote in votes)
    # A decided review shows the packet kept at its decision; one decided before packets were
    # kept shows today's, labelled so. An open review shows today's.
    snapshot = review_snapshot(review) if review.is_decided else None
    if snapshot is not None:
        progress = packet_from_snapshot(snapshot.data, taken_at=snapshot.taken_at)
        packet_lines = progress.lines if progress.next_level else []
        unmet = []
        kept = progress
    else:
        kept = None
        progress = review_packet(review)
        packet_lines = _packet_lines(progress) if progress.next_level else []
        unmet = progress.unmet
    defense_on = services.defense_day(review)
    before_defense = review.status == ReviewStatus.SCHEDULED and rules.before_defense_day(
        defense_on, timezone.localdate()
    )

    can_schedule = policies.may_schedule(user) and review.is_open
    can_decide = policies.may_decide(user) and review.status == ReviewStatus.SCHEDULED
    can_vote = policies.may_vote(user, my_seat) and review.status == ReviewStatus.SCHEDULED
    can_withdraw = review.is_open and policies.may_withdraw(user, review)
    can_edit_statement = review.status == ReviewStatus.REQUESTED and policies.may_edit_statement(user, review)

    forms = {}
    seat_people = {}
    if can_schedule:
        forms["schedule"] = bound.get("schedule")
        if forms["schedule"] is None:
            seat_people = _seat_choices(review, seats)
            forms["schedule"] = ScheduleForm(initial=_schedule_initial(review, seats, seat_people))
    if can_vote:
        mine = getattr(my_seat, "vote", None)
        forms["vote"] = bound.get("vote") or VoteForm(initial=VoteForm.initial_of(mine) if mine else None)
    if can_decide:
        forms["decide"] = bound.get("decide") or DecideForm()
    if can_withdraw:
        forms["withdraw"] = bound.get("withdraw") or WithdrawForm()

    # Read only where the page says what the votes would decide.
    policy = review_decision_policy(review) if can_decide and all_voted else None
    context = {
        "page_url": review.get_absolute_url(),
        "review": review,
        "progress": progress,
        "packet_lines": packet_lines,
        "packet_frozen": snapshot is not None,
        "packet_not_kept": review.is_decided and snapshot is None,
        "unmet": unmet,
        "criteria": rules.CRITERIA,
        "decision_reasons": [
            (label, review.decision_reasons[key]) for key, label in rules.CRITERIA
            if (review.decision_reasons or {}).get(key)
        ],
        "defense_on": defense_on,
        "before_defense": before_defense,
        "packet_level_differs": progress.next_level is not None and progress.next_level.pk != review.to_level_id,
        "packet_reading": _kept_or_live(kept, "reading", lambda: grade_selectors.reading_packet(
            review.candidate, up_to=progress.next_level or review.to_level, readings=review_readings(review),
            ladder=getattr(progress, "ladder", None))),
        "seats": seats,
        "my_seat": my_seat,
        "visibility": visibility,
        "show_votes": visibility == VOTES_ALL,
        "show_progress": visibility in (VOTES_ALL, VOTES_PROGRESS),
        "show_tally": review.is_decided or visibility == VOTES_ALL,
        "tally": {value: tally.get(value, 0) for value in ("approve", "reject", "abstain")},
        "all_voted": all_voted,
        "missing_votes": [seat for seat in seats if not hasattr(seat, "vote")],
        "rule": policy.get_rule_display() if policy else "",
        "would_pass": rules.outcome([vote.value for vote in votes], policy.rule) if policy else None,
        "trail": _trail(review_events(review), visibility),
        "is_hr": is_hr,
        "can_schedule": can_schedule,
        "can_decide": can_decide,
        "can_vote": can_vote,
        "can_withdraw": can_withdraw,
        "forms": forms,
        "member_selects": _member_selects(forms["schedule"], seat_people) if can_schedule else [],
        # The candidate's delivery over their time in the current level (criterion 2 of a promotion).
        "productivity": _kept_or_live(kept, "productivity", lambda: grade_selectors.delivery_of(
            review_delivery_facts(review), since=progress.since)),
        # The statement's edit form for the candidate and their lead while HR has not scheduled yet.
        "statement_form": (
            bound.get("statement") or StatementForm(initial={"statement": review.statement})
        ) if can_edit_statement else None,
        "packet_plan": _kept_or_live(kept, "plan", lambda: packet_plan(review, progress)),
        "relations": relations_panel(user, review, seats, bound, section=(
            kept_relations(user, review, seats, kept.relations) if kept and kept.relations is not None else None)),
        # The statement as kept (it cannot change once scheduled, so a packet without it shows today's).
        "packet_statement": kept.statement if kept and kept.statement is not None else review.statement,
        # The parts a packet kept before they were show today's data, labelled so.
        "packet_sections_not_kept": kept.not_kept if kept else [],
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
    if not policies.may_schedule(request.user):
        raise PermissionDenied(_("Only HR schedules defenses."))
    form = ScheduleForm(request.POST, people=_seat_choices(review, review_seats(review)))
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
            review=review, by=request.user, value=form.cleaned_data["value"], comment=form.cleaned_data["comment"],
            notes=form.notes(),
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
    if not policies.may_decide(request.user):
        raise PermissionDenied(_("Only HR records the committee's decision."))
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _detail_response(request, review, status=400, bound={"decide": form})
    try:
        review = services.review_decide(
            review=review, by=request.user, note=form.cleaned_data["note"], reasons=form.reasons()
        )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.ReviewError as exc:
        return _refused(request, review, exc, bound={"decide": form})
    if review.status == ReviewStatus.PASSED:
        messages.success(request, _("Passed: %(name)s is now %(level)s.") % {
            "name": review.candidate, "level": review.to_level.display_name})
    else:
        messages.success(request, _("Not passed this time; the cool-down before the next defense counts from the defense on %(date)s.") % {
            "date": services.defense_day(review).isoformat()})
    return redirect(review)


@login_required
@require_POST
def statement(request, pk):
    """The candidate or their team lead rewrites the statement until the defense is scheduled."""
    review = _review_for(request, pk)
    if not policies.may_edit_statement(request.user, review):
        raise PermissionDenied(_("Only the candidate or their team lead can change the statement."))
    form = StatementForm(request.POST)
    if not form.is_valid():
        return _detail_response(request, review, status=400, bound={"statement": form})
    try:
        services.review_statement_edit(review=review, by=request.user, statement=form.cleaned_data["statement"])
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.ReviewError as exc:
        return _refused(request, review, exc, bound={"statement": form})
    messages.success(request, _("The statement is saved."))
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
    """The progress page's panel about defenses (the template's `panel`)."""

    open_review: PromotionReview | None
    last_decided: PromotionReview | None
    can_request: bool
    today: datetime.date
    # The request form: empty, or the refused one shown again.
    form: RequestForm


def review_box(*, employee: Employee, user, bound=None) -> ReviewBox:
    """The person's open review, their latest decided one, and whether `user` may request
    a defense for them; one query, whatever the size of the checklist on the page.

    Expects `employee` with `team_lead` selected (the progress pages select it). `bound`
    is the progress page's refused form, (kind, object id, form); a refused request is
    shown again in the box.
    """
    reviews = list(
        PromotionReview.objects.filter(candidate=employee)
        .exclude(status=ReviewStatus.WITHDRAWN)
        .select_related("to_level")
        # No order needed: one open review at most (a constraint), the latest decided by max().
        .order_by()
    )
    open_review = next((review for review in reviews if review.is_open), None)
    decided = [review for review in reviews if review.is_decided]
    last_decided = max(decided, key=lambda r: (r.decided_at, r.pk)) if decided else None
    may_request = policies.may_request(user, employee)
    refused = bound[2] if bound and bound[0] == REQUEST_FORM else None
    return ReviewBox(
        open_review=open_review,
        last_decided=last_decided,
        can_request=may_request and open_review is None,
        today=timezone.localdate(),
        form=refused or RequestForm(),
    )


def progress_panel(request, employee, bound) -> ReviewBox:
    """The defenses box of the progress page (registered in ReviewsConfig.ready)."""
    return review_box(employee=employee, user=request.user, bound=bound)


# The progress page's name for a refused request form (the `bound` kind).
REQUEST_FORM = "review_request"


@login_required
@require_POST
def request_review(request, employee_pk):
    employee = get_object_or_404(
        grade_policies.visible_employees(request.user).select_related(
            "user", "track", "current_level", "team_lead__user"
        ),
        pk=employee_pk,
    )
    # The target level is not a parameter: the service always takes the next rank.
    form = RequestForm(request.POST)
    if form.is_valid():
        try:
            review = services.review_request(
                candidate=employee, by=request.user, statement=form.cleaned_data["statement"],
                recommendation=form.cleaned_data["recommendation"],
            )
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        except services.ReviewError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The defense of %(level)s is requested; HR will schedule it.") % {
                "level": review.to_level.display_name})
            return redirect(review)
    return progress_response(request, employee, status=400, bound=(REQUEST_FORM, employee.pk, form))


# --- Defense sessions ------------------------------------------------------------------------------

# How many scheduled defenses the "put in this session" form offers at most.
SESSION_CANDIDATES = 200


def _session_for(request, pk) -> DefenseSession:
    """The session, to someone who reads sessions and sees at least one of its defenses (HR:
    every session); anyone else gets the same 404 as for a session that does not exist."""
    session = sessions_for(request.user).filter(pk=pk).first()
    if session is None:
        raise Http404(_("No such session."))
    return session


def _joinable(session) -> list[PromotionReview]:
    """Scheduled defenses on the session's days that are in no session yet."""
    start = timezone.make_aware(datetime.datetime.combine(session.starts_on, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(session.ends_on + datetime.timedelta(days=1), datetime.time.min))
    return list(
        PromotionReview.objects.filter(
            status=ReviewStatus.SCHEDULED, session__isnull=True, scheduled_for__gte=start, scheduled_for__lt=end,
        ).with_people().order_by("scheduled_for", "id")[:SESSION_CANDIDATES]
    )


@login_required
def sessions(request):
    """The defense sessions; HR makes a new one here (POST)."""
    if not policies.may_see_sessions(request.user):
        raise PermissionDenied(_("Defense sessions are for HR, the committee, team leads and managers."))
    form = SessionForm()
    status = 200
    if request.method == "POST":
        if not policies.may_manage_sessions(request.user):
            raise PermissionDenied(_("Only HR makes defense sessions."))
        form = SessionForm(request.POST)
        if form.is_valid():
            try:
                session = services.session_create(by=request.user, **form.cleaned_data)
            except services.ReviewError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The session is made; put its defenses in it."))
                return redirect(session)
        status = 400
    context = {
        "sessions": list(sessions_for(request.user).select_related("created_by")),
        "form": form if policies.may_manage_sessions(request.user) else None,
    }
    return render(request, "reviews/sessions.html", context, status=status)


@login_required
def session_detail(request, pk):
    """A session's candidates side by side; HR puts defenses in it or takes them out (POST)."""
    session = _session_for(request, pk)
    manages = policies.may_manage_sessions(request.user)
    add_form = SessionAddForm(candidates=_joinable(session)) if manages else None
    status = 200
    if request.method == "POST":
        if not manages:
            raise PermissionDenied(_("Only HR puts defenses in a session."))
        try:
            if "remove" in request.POST:
                form = SessionRemoveForm(request.POST)
                review = PromotionReview.objects.filter(pk=form.cleaned_data["review"]).first() if form.is_valid() else None
                if review is None:
                    raise services.ReviewError(_("That defense is not in this session."))
                services.session_remove(session=session, review=review, by=request.user)
                messages.success(request, _("%(who)s's defense was taken out of the session.") % {"who": review.candidate})
            else:
                add_form = SessionAddForm(request.POST, candidates=_joinable(session))
                if not add_form.is_valid():
                    raise services.ReviewError(" ".join(e for errors in add_form.errors.values() for e in errors))
                added = services.session_add(session=session, reviews=add_form.cleaned_data["reviews"], by=request.user)
                messages.success(request, _("%(n)s defense(s) put in the session.") % {"n": added})
        except services.ReviewError as exc:
            messages.error(request, str(exc))
            status = 400
        else:
            return redirect(session)
    rows = session_rows(session, request.user)
    context = {"session": session, "rows": rows, "add_form": add_form, "manages": manages}
    return render(request, "reviews/session_detail.html", context, status=status)


@read_only
@login_required
def session_summary(request, pk):
    """What the session decided: passed, failed and undecided defenses per track and level."""
    session = _session_for(request, pk)
    outcomes = session_outcomes(session_rows(session, request.user))
    return render(request, "reviews/session_summary.html", {"session": session, "outcomes": outcomes})


# --- Team relations (criterion 3) ------------------------------------------------------------------
#
# The review page's section (jinja2/reviews/_packet_relations.html), HR's and the team lead's
# assessments, HR's requests for colleague feedback, and the colleague's own page for a
# request: a colleague who may not see the review answers there.


@dataclass
class RelationsPanel:
    """The section's data (selectors.review_relations) and the forms its viewer may use."""

    section: RelationsSection
    # (role, role label, form) of each assessment the viewer writes.
    assess_forms: list[tuple]
    ask_form: FeedbackAskForm | None
    answer_form: FeedbackAnswerForm | None


def _assessment_form_name(role: str) -> str:
    return f"relations_{role}"


def relations_panel(user, review: PromotionReview, seats, bound: dict, section=None) -> RelationsPanel:
    """The section for `user`; `section` is given for a kept packet (selectors.kept_relations)."""
    if section is None:
        section = review_relations(user, review, seats)
    latest = {line.role: line.latest for line in section.assessments}
    assess_forms = []
    for role in section.assess_roles:
        form = bound.get(_assessment_form_name(role))
        if form is None:
            current = latest.get(role)
            form = AssessmentForm(
                prefix=role, initial={"rating": current.rating, "note": current.note} if current else None
            )
        assess_forms.append((role, AssessorRole(role).label, form))
    asked = section.my_request
    may_answer = bool(section.is_open and asked is not None and asked.given_answer is None)
    return RelationsPanel(
        section=section,
        assess_forms=assess_forms,
        ask_form=(bound.get("feedback_ask") or FeedbackAskForm()) if section.can_ask else None,
        answer_form=(bound.get("feedback_answer") or FeedbackAnswerForm()) if may_answer else None,
    )


@login_required
@require_POST
def relations_assess(request, pk, role):
    review = _review_for(request, pk)
    if role not in AssessorRole.values:
        raise Http404
    if not policies.may_assess_relations(request.user, review, role):
        raise PermissionDenied(_("Only HR and the candidate's team lead assess team relations."))
    form = AssessmentForm(request.POST, prefix=role)
    bound = {_assessment_form_name(role): form}
    if not form.is_valid():
        return _detail_response(request, review, status=400, bound=bound)
    try:
        services.relations_assess(
            review=review, by=request.user, role=role,
            rating=form.cleaned_data["rating"], note=form.cleaned_data["note"],
        )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.ReviewError as exc:
        return _refused(request, review, exc, bound=bound)
    messages.success(request, _("The team relations assessment is recorded."))
    return redirect(review)


@login_required
@require_POST
def feedback_ask(request, pk):
    review = _review_for(request, pk)
    if not policies.may_ask_for_feedback(request.user, review):
        raise PermissionDenied(_("Only HR asks colleagues for feedback."))
    form = FeedbackAskForm(request.POST)
    colleague = None
    if form.is_valid():
        chosen, login = form.cleaned_data["colleague"], form.cleaned_data["login"]
        found = Employee.objects.filter(pk=chosen) if chosen else Employee.objects.filter(user__username=login)
        colleague = found.first()
        if colleague is None:
            form.add_error("colleague" if chosen else "login", _("There is no such employee."))
    if not form.is_valid():
        return _detail_response(request, review, status=400, bound={"feedback_ask": form})
    try:
        services.feedback_ask(review=review, by=request.user, colleague=colleague)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.ReviewError as exc:
        return _refused(request, review, exc, bound={"feedback_ask": form})
    messages.success(request, _("%(name)s is asked for feedback.") % {"name": colleague})
    return redirect(review)


def _feedback_request_for(request, pk):
    """The request and its review's seats if the user may see the request (404 otherwise)."""
    found = feedback_request_for_page(request.user, pk)
    if found is None:
        raise Http404
    return found


def _feedback_response(request, feedback_request, seats, *, status: int = 200, form=None):
    """The page of one feedback request: the question, and the answer form for the colleague asked."""
    user, review = request.user, feedback_request.review
    answer = feedback_request.given_answer
    can_answer = (
        policies.may_answer_feedback(user, feedback_request)
        and review.is_open and not feedback_request.is_withdrawn and answer is None
    )
    context = {
        "feedback_request": feedback_request,
        "review": review,
        "answer": answer,
        "can_answer": can_answer,
        "form": (form or FeedbackAnswerForm()) if can_answer else None,
        "may_see_review": policies.may_see_review(user, review, seats),
        "can_withdraw": (
            review.is_open and answer is None and not feedback_request.is_withdrawn
            and policies.may_withdraw_feedback_request(user, review)
        ),
    }
    return render(request, "reviews/feedback.html", context, status=status)


@read_only
@login_required
def feedback(request, pk):
    feedback_request, seats = _feedback_request_for(request, pk)
    return _feedback_response(request, feedback_request, seats)


@login_required
@require_POST
def feedback_answer(request, pk):
    feedback_request, seats = _feedback_request_for(request, pk)
    if not policies.may_answer_feedback(request.user, feedback_request):
        raise PermissionDenied(_("Only the colleague who was asked answers this request."))
    form = FeedbackAnswerForm(request.POST)
    if not form.is_valid():
        return _feedback_response(request, feedback_request, seats, status=400, form=form)
    try:
        services.feedback_answer(
            feedback_request=feedback_request, by=request.user,
            text=form.cleaned_data["text"], rating=form.cleaned_data["rating"],
        )
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.ReviewError as exc:
        messages.error(request, str(exc))
        return _feedback_response(request, feedback_request, seats, status=400, form=form)
    messages.success(request, _("Thank you: your answer is recorded."))
    review = feedback_request.review
    # Back to the review for those who may see it; the colleague's own page for the others.
    return redirect(review if policies.may_see_review(request.user, review, seats) else feedback_request)


@login_required
@require_POST
def feedback_withdraw(request, pk):
    feedback_request, _seats = _feedback_request_for(request, pk)
    if not policies.may_withdraw_feedback_request(request.user, feedback_request.review):
        raise PermissionDenied(_("Only HR withdraws a feedback request."))
    try:
        services.feedback_withdraw(feedback_request=feedback_request, by=request.user)
    except PermissionError as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.ReviewError as exc:
        return _refused(request, _review_for(request, feedback_request.review_id), exc, bound={})
    messages.success(request, _("The request to %(name)s is withdrawn.") % {"name": feedback_request.colleague})
    return redirect(feedback_request.review)


@dataclass
class FeedbackBox:
    """The progress page's box of the feedback asked of its viewer."""

    requests: list


def feedback_panel(request, employee, bound) -> FeedbackBox | None:
    """On the person's own progress page (their start page): the requests waiting for their answer.

    Nothing, and no statement, on anyone else's page.
    """
    if not request.user.is_authenticated or employee.user_id != request.user.pk:
        return None
    waiting = my_feedback_requests(request.user, employee)
    return FeedbackBox(requests=waiting) if waiting else None
