"""Reads about reviews: who sees which, and the failed defenses that start a cool-down."""

from __future__ import annotations

import datetime
import functools
import json
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import get_language

from common.json_rows import instance, json_rows, own_columns, rows_as, user_name_keys, user_of_row
from grades import reasons as grade_reasons
from grades import rules as grade_rules
from grades import selectors as grade_selectors
from grades.models import (
    BookReading, DeliveryFact, Employee, Evidence, EvidenceStatus, GradeChange, GrowthGoal, Level,
    Mentorship,
)
from grades.selectors import ChecklistFigures, ChecklistItem, checklist_item

from . import policies
from .models import CommitteeSeat, DecisionPolicy, PacketSnapshot, PromotionReview, ReviewEvent, SeatRole, Vote
from .models import OPEN_STATUSES, AssessorRole, FeedbackAnswer, FeedbackRequest, RelationsAssessment, ReviewStatus


def review_list_queryset(user) -> QuerySet[PromotionReview]:
    """visible_reviews(user) in a form each kind of viewer's list is fast with.

    HR and the members of the committee group see all or most reviews: their page is read in
    list order along the index review_requested, testing each row, and stops after one page.
    Anyone else (a developer, a team lead) sees a handful among thousands, which that walk
    would read end to end: their review ids are read first, from the candidate and seat
    indexes (one small statement), and the list is those ids.
    """
    if not user.is_authenticated or policies.sees_most_reviews(user):
        return policies.visible_reviews(user)
    mine, reports = policies.candidates_seen_by(user)
    ids = (
        PromotionReview.objects.filter(candidate__in=mine).order_by().values_list("pk", flat=True)
        .union(
            PromotionReview.objects.filter(candidate__in=reports).order_by().values_list("pk", flat=True),
            CommitteeSeat.objects.filter(member=user).order_by().values_list("review_id", flat=True),
        )
    )
    return PromotionReview.objects.filter(pk__in=list(ids))


# --- The review page ------------------------------------------------------------------------------
#
# The page shows the review, its committee and trail, and the candidate's packet (checklist,
# grade history, time in level) in a fixed number of statements whatever the size of the
# organisation: the review row carries its seats (with members and votes), the candidate's
# mentorships, the ledgers, the trail and the other parts of the packet read per candidate
# (delivery facts, books read, team relations) as JSON lists (common.json_rows); the packet's
# checklist (with its live claims and goals) is one more statement, its reading lists another.


@functools.cache
def _review_page_rows() -> QuerySet[PromotionReview]:
    """Every review with what review_for_page reads of one: built once, filtered by key per read.

    Its dozen correlated subqueries depend on no value of a request, and resolving them is
    most of what the ORM spends on the statement; each read clones this queryset and adds
    its own `pk` filter.
    """
    mentorships = json_rows(
        Mentorship.objects.filter(mentor=OuterRef("candidate_id")),
        mentee_id="mentee_id", started_on="started_on", ended_on="ended_on",
    )
    seats = json_rows(
        CommitteeSeat.objects.filter(review=OuterRef("pk")),
        **{name: column for name, column in zip(SEAT_ROW_FIELDS, SEAT_ROW_COLUMNS)},
    )
    # The grade ledgers of the candidate and of their mentees (for the checks judged from data),
    # each entry with its level.
    mentees = Mentorship.objects.filter(mentor=OuterRef(OuterRef("candidate_id"))).values("mentee_id")
    ledgers = json_rows(GradeChange.objects.filter(employee=OuterRef("candidate_id")), **LEDGER_ROW_FIELDS)
    mentee_ledgers = json_rows(GradeChange.objects.filter(employee_id__in=mentees), **LEDGER_ROW_FIELDS)
    # The candidate's delivery facts and books read, for the packet's productivity and reading.
    facts = json_rows(DeliveryFact.objects.filter(employee=OuterRef("candidate_id")), **DELIVERY_ROW_FIELDS)
    readings = json_rows(
        BookReading.objects.filter(employee=OuterRef("candidate_id")), **grade_selectors.READING_ROW_FIELDS
    )
    # The team relations section: the assessments with their authors, the colleague feedback
    # requests with their people and answers (review_relations shows each to whom it may).
    assessments = json_rows(RelationsAssessment.objects.filter(review=OuterRef("pk")), **ASSESSMENT_ROW_FIELDS)
    feedback = json_rows(FeedbackRequest.objects.filter(review=OuterRef("pk")), **FEEDBACK_ROW_FIELDS)
    events = json_rows(ReviewEvent.objects.filter(review=OuterRef("pk")), **EVENT_ROW_FIELDS)
    # The decision rule in force, for HR's page once every seat has voted (review_decision_policy).
    rule = DecisionPolicy.objects.filter(pk=DecisionPolicy.ROW_ID).values("rule")
    # The candidate's claims and growth goals, for the packet's checklist.
    claims = json_rows(
        Evidence.objects.filter(employee=OuterRef("candidate_id")), **grade_selectors.CLAIM_ROW_FIELDS
    )
    goals = json_rows(
        GrowthGoal.objects.filter(employee=OuterRef("candidate_id")), **grade_selectors.GOAL_ROW_FIELDS
    )
    return (
        PromotionReview.objects.with_people()
        .select_related("requested_by", "scheduled_by", "decided_by", "candidate__current_level", "frozen_packet")
        .annotate(
            seat_rows=seats, mentorship_rows=mentorships, ledger_rows=ledgers, mentee_ledger_rows=mentee_ledgers,
            delivery_rows=facts, reading_rows=readings, assessment_rows=assessments, feedback_rows=feedback,
            event_rows=events, policy_rule=Subquery(rule), claim_rows=claims, goal_rows=goals,
        )
        # No ordering for one row: Django's check of an ORDER BY against a select list this
        # wide cost a third of the statement's time.
        .order_by()
    )


def review_for_page(user, pk: int) -> PromotionReview | None:
    """The review `pk` with everything its page shows of the review itself, if `user` may see it.

    Joined: candidate (user, lead, current level), track, levels and the people who requested,
    scheduled and decided it. Annotated: the committee (`seat_rows`: each seat with its
    member's name and its vote; read them with `review_seats`), the candidate's mentorships
    (`mentorship_rows`, for the checklist lines judged from data), the candidate's claims and
    growth goals (`claim_rows`, `goal_rows`), and the grade ledgers of the candidate and of
    their mentees with each entry's level (`ledger_rows`, `mentee_ledger_rows`), all for
    `review_packet`.

    The seats come as one JSON list from a correlated subquery rather than as twelve more
    joins (seat, member and vote for each of the four roles): Django built that statement's
    select list of some two hundred columns, and made a model of each, in more time than
    the database took to answer it.

    Who may see it is the rule of policies.visible_reviews, tested on the row read (policies.may_see_review)
    rather than in SQL: the seats are on the row anyway. None when there is no such review
    or the user may not see it; `user` None reads it for the services (no one's view).
    The packet kept at the decision (`frozen_packet`) is joined too.
    """
    review = _review_page_rows().filter(pk=pk)
    try:
        review = review.get()
    except PromotionReview.DoesNotExist:
        return None
    review.page_seats = _seats_from_rows(review, review.seat_rows)
    if user is not None and not policies.may_see_review(user, review, review.page_seats):
        return None
    return review


# The keys of a ledger row (see review_for_page): the entry's own columns, and its level's
# prefixed with "level__".
LEDGER_ROW_FIELDS = {
    **{name: name for name in ("id", "employee_id", "kind", "track_id", "level_id", "effective_date", "reason",
                               "recorded_by_id", "recorded_at")},
    **{f"level__{name}": f"level__{name}" for name in ("ladder_id", "rank", "code", "name", "name_ru", "entry_only",
                                                       "min_months_in_previous", "main_grade_id")},
}


def _ledgers_from_rows(review: PromotionReview) -> dict[int, list[GradeChange]]:
    """The ledger rows of a review read with review_for_page, by employee, in time order, each
    entry with its level (one Level object per level)."""
    db = review._state.db
    levels: dict[int, Level] = {}
    ledgers: dict[int, list[GradeChange]] = {}
    rows = review.ledger_rows + review.mentee_ledger_rows
    for row in sorted(rows, key=lambda row: (row["effective_date"], row["id"])):
        change = rows_as(GradeChange, db, [row])[0]
        level = levels.get(change.level_id)
        if level is None:
            level = levels[change.level_id] = instance(Level, db, {
                "id": change.level_id, **{key[len("level__"):]: value for key, value in row.items() if key.startswith("level__")},
            })  # fmt: skip
        GradeChange.level.field.set_cached_value(change, level)
        ledgers.setdefault(change.employee_id, []).append(change)
    return ledgers


# The keys of a delivery fact's row (see review_for_page): its own columns. A reading's are
# grades.selectors.READING_ROW_FIELDS.
DELIVERY_ROW_FIELDS = own_columns(DeliveryFact)


def review_delivery_facts(review: PromotionReview) -> list[DeliveryFact]:
    """Every delivery fact of the candidate of a review read with review_for_page (no statement)."""
    return rows_as(DeliveryFact, review._state.db, review.delivery_rows)


def review_readings(review: PromotionReview) -> list[BookReading]:
    """Every book the candidate of a review read with review_for_page marked as read, each with
    who acknowledged it (no statement)."""
    return grade_selectors.readings_from_rows(review._state.db, review.reading_rows)


ASSESSMENT_ROW_FIELDS = {**own_columns(RelationsAssessment), **user_name_keys("author")}
FEEDBACK_ROW_FIELDS = {
    **own_columns(FeedbackRequest),
    **user_name_keys("asked_by", "withdrawn_by", "colleague__user"),
    "colleague__user_id": "colleague__user_id",
    **{f"answer__{name}": f"answer__{name}" for name in own_columns(FeedbackAnswer)},
}


EVENT_ROW_FIELDS = {**own_columns(ReviewEvent), **user_name_keys("actor")}


def review_events(review: PromotionReview) -> list[ReviewEvent]:
    """The trail of a review read with review_for_page, oldest first, each event with its actor
    (no statement)."""
    db = review._state.db
    events = []
    for row in review.event_rows:
        event = rows_as(ReviewEvent, db, [row])[0]
        ReviewEvent.actor.field.set_cached_value(event, user_of_row(db, row, "actor", event.actor_id))
        ReviewEvent.review.field.set_cached_value(event, review)
        events.append(event)
    return sorted(events, key=lambda event: (event.at, event.pk))


def review_decision_policy(review: PromotionReview) -> DecisionPolicy:
    """The decision policy as read with a review by review_for_page: DecisionPolicy.current()
    without a statement of its own (the defaults when the row is missing)."""
    if review.policy_rule is None:
        return DecisionPolicy(pk=DecisionPolicy.ROW_ID)
    return instance(DecisionPolicy, review._state.db, {"id": DecisionPolicy.ROW_ID, "rule": review.policy_rule})


def _assessments_from_rows(review: PromotionReview) -> list[RelationsAssessment]:
    db = review._state.db
    made = []
    for row in review.assessment_rows:
        assessment = rows_as(RelationsAssessment, db, [row])[0]
        RelationsAssessment.author.field.set_cached_value(assessment, user_of_row(db, row, "author", assessment.author_id))
        made.append(assessment)
    return sorted(made, key=lambda assessment: (assessment.role, assessment.revision))


def _feedback_from_rows(review: PromotionReview) -> list[FeedbackRequest]:
    """The feedback requests of a review read with review_for_page, in the order asked, each
    with its colleague, who asked and withdrew it, and its answer (with_answer's given_answer)."""
    db = review._state.db
    made = []
    for row in review.feedback_rows:
        feedback_request = rows_as(FeedbackRequest, db, [row])[0]
        colleague = instance(Employee, db, {"id": feedback_request.colleague_id, "user_id": row["colleague__user_id"]})
        Employee.user.field.set_cached_value(
            colleague, user_of_row(db, row, "colleague__user", row["colleague__user_id"])
        )
        FeedbackRequest.colleague.field.set_cached_value(feedback_request, colleague)
        FeedbackRequest.asked_by.field.set_cached_value(
            feedback_request, user_of_row(db, row, "asked_by", feedback_request.asked_by_id)
        )
        FeedbackRequest.withdrawn_by.field.set_cached_value(
            feedback_request, user_of_row(db, row, "withdrawn_by", feedback_request.withdrawn_by_id)
        )
        answer = None
        if row["answer__id"] is not None:
            answer = rows_as(FeedbackAnswer, db, [{
                key[len("answer__"):]: value for key, value in row.items() if key.startswith("answer__")
            }])[0]  # fmt: skip
            FeedbackAnswer.request.field.set_cached_value(answer, feedback_request)
        FeedbackRequest.answer.related.set_cached_value(feedback_request, answer)
        feedback_request.given_answer = answer
        made.append(feedback_request)
    return sorted(made, key=lambda feedback_request: (feedback_request.asked_at, feedback_request.pk))


# The keys of a seat row (see review_for_page) and the columns they are read from.
SEAT_ROW_FIELDS = (
    "id", "role", "member_id", "first_name", "last_name", "username", "is_active", "vote_id", "value", "comment",
    "notes",
)
SEAT_ROW_COLUMNS = (
    "id", "role", "member_id", "member__first_name", "member__last_name", "member__username", "member__is_active",
    "vote__id", "vote__value", "vote__comment", "vote__notes",
)


def _seats_from_rows(review: PromotionReview, rows: list[dict]) -> list[CommitteeSeat]:
    """The seats of `review` as models made from its seat rows, in seating order.

    Each seat carries its member (a user with the columns read; any other is loaded if asked
    for) and its vote, or the knowledge that there is none, so that reading them costs no
    statement. Made with from_db, as a queryset makes its rows: the models are saved ones.
    """
    db = review._state.db
    user_model = get_user_model()
    seats = []
    for row in sorted(rows, key=lambda row: row["id"]):
        seat = instance(CommitteeSeat, db, {
            "id": row["id"], "review_id": review.pk, "role": row["role"], "member_id": row["member_id"],
        })
        member = instance(user_model, db, {
            "id": row["member_id"], "first_name": row["first_name"], "last_name": row["last_name"],
            "username": row["username"], "is_active": bool(row["is_active"]),
        })
        CommitteeSeat.member.field.set_cached_value(seat, member)
        CommitteeSeat.review.field.set_cached_value(seat, review)
        vote = None
        if row["vote_id"] is not None:
            notes = row.get("notes") or {}
            if isinstance(notes, str):  # SQLite nests a JSON column as its text
                notes = json.loads(notes)
            vote = instance(Vote, db, {
                "id": row["vote_id"], "seat_id": seat.pk, "value": row["value"], "comment": row["comment"],
                "notes": notes if isinstance(notes, dict) else {},
            })
            Vote.seat.field.set_cached_value(vote, seat)
        # None cached: `seat.vote` raises DoesNotExist without asking the database.
        CommitteeSeat.vote.related.set_cached_value(seat, vote)
        seats.append(seat)
    return seats


def review_seats(review: PromotionReview) -> list[CommitteeSeat]:
    """The committee of a review read with review_for_page, in seating order."""
    return review.page_seats


class SeatChoices(dict):
    """{seat role: [(user pk, label)]}, and in `usual` {seat role: user pk} the person who sits in
    that seat on committees.

    In a director's seat that is the one holder of its role (policies.SEAT_DESIGNATIONS), and
    nobody when two hold it. A seat whose role nobody holds falls back on the committees HR
    seated before: the one person offered for it, or else the only one offered whose latest
    director's seat it was (the CTO sat in the CTO's seat last time); never someone who holds
    another role, whose seat is that one.
    """

    def __init__(self, *args, usual: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.usual = dict(usual or {})


def seat_candidate_choices() -> SeatChoices:
    """{seat role: [(user pk, label)]}: the active users who may hold each committee seat.

    The rule is policies.may_hold_seat without the review's own exceptions (the current
    holders and the candidate's lead, which the page adds): the Committee group for the
    three directors' seats, the Team lead group for the fourth, superusers for any. One
    statement over the group membership index, each person's memberships tested per row,
    rather than a join of every user with their groups folded by DISTINCT: a company
    has a thousand team leads and more, and only a handful of directors. Labelled as the
    schedule form labels users; ordered by name, and in each director's seat the holders of
    its role (policies.SEAT_DESIGNATIONS) first.

    The same statement reads which director's role each holds (one probe of the membership
    index per designation, like the groups') and, for the members of the Committee group, the
    director's seat each held last (one probe of the seats' member index), from which
    SeatChoices.usual names who usually sits in each seat. A role counts where its holder is
    offered the seat: a holder outside the Committee group is not (a superuser is, as
    may_hold_seat has them in every group).
    """
    user_model = get_user_model()
    membership = user_model.groups.through.objects
    groups = sorted(set(policies.SEAT_GROUPS.values()))
    in_group = {
        name: Exists(membership.filter(user=OuterRef("pk"), group__name=name)) for name in groups
    }
    director_group = policies.SEAT_GROUPS[SeatRole.CTO]
    director_seats = [role for role, group in policies.SEAT_GROUPS.items() if group == director_group]
    last_director_seat = Case(
        When(in_group[director_group], then=Subquery(
            CommitteeSeat.objects.filter(member=OuterRef("pk"), role__in=director_seats)
            .order_by("-pk").values("role")[:1]
        )),
        default=Value(""),
    )
    designated = policies.SEAT_DESIGNATIONS
    holds = {
        role: Exists(membership.filter(user=OuterRef("pk"), group__name=name)) for role, name in designated.items()
    }
    rows = (
        user_model.objects.filter(is_active=True)
        .filter(Q(pk__in=membership.filter(group__name__in=groups).values("user_id")) | Q(is_superuser=True))
        .annotate(**{f"in_{index}": test for index, test in enumerate(in_group.values())})
        .annotate(**{f"holds_{index}": test for index, test in enumerate(holds.values())})
        .annotate(last_seat=last_director_seat)
        .order_by("last_name", "first_name", "username")
        .values_list("pk", "first_name", "last_name", "username", "is_superuser", "last_seat",
                     *(f"in_{index}" for index in range(len(groups))),
                     *(f"holds_{index}" for index in range(len(holds))))
    )
    choices = SeatChoices({role: [] for role in policies.SEAT_GROUPS})
    sat_last: dict[str, list[int]] = {role: [] for role in policies.SEAT_GROUPS}
    holders: dict[str, list[int]] = {role: [] for role in policies.SEAT_GROUPS}
    for pk, first_name, last_name, username, is_superuser, last_seat, *flags in rows:
        member_of = {name for name, flag in zip(groups, flags) if flag}
        holds_role = {role for role, flag in zip(designated, flags[len(groups):]) if flag}
        label = f"{first_name} {last_name}".strip() or username
        for role, group in policies.SEAT_GROUPS.items():
            if is_superuser or group in member_of:
                choices[role].append((pk, label))
                if role in holds_role:
                    holders[role].append(pk)
                # Who holds a role sits in its seat, whatever seat they held last.
                if last_seat == role and not holds_role:
                    sat_last[role].append(pk)
    holding = {pk for pks in holders.values() for pk in pks}
    for role, people in choices.items():
        if holders[role]:
            # The holders first, each part in name order (the sort keeps the rows' order).
            first = set(holders[role])
            people.sort(key=lambda choice, first=first: choice[0] not in first)
            if len(holders[role]) == 1:
                choices.usual[role] = holders[role][0]
        elif len(people) == 1 and people[0][0] not in holding:
            choices.usual[role] = people[0][0]
        elif len(sat_last[role]) == 1:
            choices.usual[role] = sat_last[role][0]
    return choices


@dataclass
class Packet(ChecklistFigures):
    """The candidate's packet on the review page: the parts of their progress the committee reads.

    Attribute names follow grades.selectors.Progress, so the same template lines read either.
    """

    employee: Employee
    level: Level | None
    since: datetime.date | None
    next_level: Level | None
    items: list[ChecklistItem]
    history: list[GradeChange]
    time_in_level_start: datetime.date | None
    months_in_level: int
    # The day the packet was judged for (data-judged lines, time in level).
    on: datetime.date | None = None
    # The candidate's ladder with its reading lists (grades.selectors.ladder_and_books), for
    # reading_packet.
    ladder: tuple | None = None


def review_packet(review: PromotionReview, *, on: datetime.date | None = None) -> Packet:
    """The candidate's packet for a review read with review_for_page, in two statements.

    The grade ledgers of the candidate and of their mentees (the mentees' for the checks
    judged from data), the candidate's claims and growth goals came with the review's row;
    the statements read the candidate's ladder with its reading lists (kept on the packet
    as `ladder` for reading_packet) and the checklist up to the level above the candidate's
    current one (grades.selectors.checklist_scope and checklist_lines, as the progress
    page reads it). The states follow grades.selectors.employee_progress: the live claim of
    a requirement is its latest claim that was not withdrawn; a data-judged line is met or
    not by grades.rules.evaluate_check.
    """
    on = on or timezone.localdate()
    employee = review.candidate
    periods = [
        (row["mentee_id"], datetime.date.fromisoformat(row["started_on"]),
         datetime.date.fromisoformat(row["ended_on"]) if row["ended_on"] else None)
        for row in review.mentorship_rows
    ]
    ledgers = _ledgers_from_rows(review)
    history = ledgers.get(employee.pk, [])
    level = history[-1].level if history else None

    ladder = grade_selectors.ladder_and_books(employee.track_id)
    levels = ladder[0]
    next_level, _target_rank, scope = grade_selectors.checklist_scope(levels, level)
    db = review._state.db
    claims = grade_selectors.claims_from_rows(db, review.claim_rows)
    goals = grade_selectors.goals_from_rows(db, review.goal_rows)
    lines = grade_selectors.checklist_lines(scope, claims, goals) if scope else []

    known = {known.pk: known for known in (review.from_level, review.to_level, level, *levels) if known is not None}
    # Only levels of the candidate's ladders count: a mentee on another ladder may hold a
    # level whose key is also one of the candidate's.
    ladders = {known_level.ladder_id for known_level in known.values()}
    periods_with_ledgers = [
        grade_rules.MentorshipPeriod(
            mentee_id=mentee_id, started_on=start, ended_on=end,
            mentee_ledger=[
                grade_rules.LedgerEntry(c.level.code if c.level.ladder_id in ladders else "", c.effective_date, c.kind)
                for c in ledgers.get(mentee_id, [])
            ],
        )
        for mentee_id, start, end in periods
    ]
    # The ranks of the levels a mentoring check names: the ladder's, and the mentees' ledgers' on it.
    level_ranks = {known_level.code: known_level.rank for known_level in known.values()}
    level_ranks.update(
        (c.level.code, c.level.rank) for changes in ledgers.values() for c in changes if c.level.ladder_id in ladders
    )
    levels_by_id = {item.pk: item for item in levels}
    items = [
        checklist_item(
            requirement, levels_by_id[requirement.level_id], employee=employee,
            live=next((claim for claim in reversed(line_claims) if claim.status != EvidenceStatus.WITHDRAWN), None),
            next_level=next_level, mentorships=periods_with_ledgers, on=on, level_ranks=level_ranks,
        )
        for requirement, line_claims in lines
    ]

    since = grade_selectors.level_since(history)
    start = grade_rules.time_in_level_start(since, employee.probation_end) if since else None
    return Packet(
        employee=employee,
        level=level,
        since=since,
        next_level=next_level,
        items=items,
        history=history,
        time_in_level_start=start,
        months_in_level=grade_rules.whole_months_between(start, on) if start else 0,
        on=on,
        ladder=ladder,
    )


# --- Defense sessions ------------------------------------------------------------------------------


def sessions_for(user) -> QuerySet:
    """The sessions `user` reads: every one for HR; for others those holding a defense they may see.

    Each with `n_reviews`, the number of its defenses the reader may see.
    """
    from django.db.models import Count

    from .models import DefenseSession

    if not policies.may_see_sessions(user):
        return DefenseSession.objects.none()
    visible = policies.visible_reviews(user).filter(session=OuterRef("pk"))
    sessions = DefenseSession.objects.annotate(
        n_reviews=Subquery(
            visible.order_by().values("session").annotate(n=Count("pk")).values("n")[:1]
        )
    )
    if policies.is_hr(user):
        return sessions
    return sessions.filter(Exists(visible))


@dataclass(frozen=True)
class SessionRow:
    """One candidate of a defense session, as the committee compares them."""

    review: PromotionReview
    months_in_level: int | None
    # Lines confirmed of the lines counted up to the level defended (None once decided:
    # the candidate's figures then belong to their next step).
    done: int | None
    total: int | None
    visibility: str  # policies.VOTES_*
    votes: dict[str, int]  # value → count, when the reader may see them
    voted: int  # seats that have voted
    seats: int
    # Productivity: the trend of sprint completion over the time in level and its latest
    # figure in percent (None when nothing was recorded); reading: books marked read.
    completion_trend: str | None = None
    completion_last: float | None = None
    books_read: int = 0

    @property
    def share(self) -> int | None:
        if self.total is None:
            return None
        return round(100 * self.done / self.total) if self.total else 100


def session_rows(session, user, *, on: datetime.date | None = None) -> list[SessionRow]:
    """The defenses of `session` that `user` may see, by date, each with what the committee
    compares. Two queries: the reviews with their people, and their seats with votes."""
    on = on or timezone.localdate()
    reviews = list(
        policies.visible_reviews(user).filter(session=session).with_people()
        .order_by("scheduled_for", "id")
    )
    seats_by_review: dict[int, list[CommitteeSeat]] = {}
    for seat in CommitteeSeat.objects.filter(review__in=[r.pk for r in reviews]).select_related("vote").order_by("id"):
        seats_by_review.setdefault(seat.review_id, []).append(seat)
    is_hr = policies.is_hr(user)
    candidates = [review.candidate_id for review in reviews]
    completion = _completion_by_candidate(candidates)
    books = _books_read_by_candidate(candidates)
    rows = []
    for review in reviews:
        seats = seats_by_review.get(review.pk, [])
        mine = next((seat for seat in seats if seat.member_id == user.pk), None)
        visibility = policies.vote_visibility(is_hr=is_hr, seat=mine, decided=review.is_decided)
        cast = [seat.vote for seat in seats if hasattr(seat, "vote")]
        votes = {}
        if visibility in (policies.VOTES_ALL, policies.VOTES_TALLY):
            for vote in cast:
                votes[vote.value] = votes.get(vote.value, 0) + 1
        candidate = review.candidate
        months, start = None, None
        if candidate.current_level_since and review.is_open:
            start = grade_rules.time_in_level_start(candidate.current_level_since, candidate.probation_end)
            months = grade_rules.whole_months_between(start, on)
        # Over the time in the level defended from: up to the decision once decided.
        figures = [
            float(fact.figure) for fact in completion.get(candidate.pk, [])
            if fact.figure is not None and (start is None or fact.period_end >= start)
            and (review.is_open or review.decided_at is None or fact.period_start <= timezone.localdate(review.decided_at))
        ]
        rows.append(SessionRow(
            review=review, months_in_level=months,
            done=candidate.checklist_done if review.is_open else None,
            total=candidate.checklist_total if review.is_open else None,
            visibility=visibility, votes=votes,
            voted=len(cast) if visibility != policies.VOTES_NONE else 0, seats=len(seats),
            completion_trend=grade_rules.delivery_trend(figures),
            completion_last=round(figures[-1]) if figures else None,
            books_read=books.get(candidate.pk, 0),
        ))
    return rows


def _completion_by_candidate(employee_ids: list[int]) -> dict[int, list]:
    """The sprint-completion facts of these people in time order, by person. One query."""
    from grades.models import SPRINT_COMPLETION, DeliveryFact

    facts: dict[int, list] = {}
    for fact in (
        DeliveryFact.objects.of_measure(SPRINT_COMPLETION).filter(employee_id__in=employee_ids)
        .only("employee_id", "period_start", "period_end", "committed", "done", "value", "measure")
        .order_by("period_start", "id")
    ):
        facts.setdefault(fact.employee_id, []).append(fact)
    return facts


def _books_read_by_candidate(employee_ids: list[int]) -> dict[int, int]:
    """How many books each of these people marked read. One query."""
    from django.db.models import Count

    from grades.models import BookReading

    return dict(
        BookReading.objects.filter(employee_id__in=employee_ids).order_by()
        .values("employee_id").annotate(n=Count("pk")).values_list("employee_id", "n")
    )


@dataclass(frozen=True)
class OutcomeLine:
    track: object
    level: Level
    passed: int
    failed: int
    pending: int
    withdrawn: int


def session_outcomes(rows: list[SessionRow]) -> list[OutcomeLine]:
    """Passed, failed and undecided defenses per track and level defended: counts only."""
    from .models import ReviewStatus

    lines: dict[tuple[int, int], list] = {}
    for row in rows:
        review = row.review
        line = lines.setdefault((review.track_id, review.to_level_id), [review.track, review.to_level, 0, 0, 0, 0])
        index = {ReviewStatus.PASSED: 2, ReviewStatus.FAILED: 3, ReviewStatus.WITHDRAWN: 5}.get(review.status, 4)
        line[index] += 1
    ordered = sorted(lines.values(), key=lambda line: (line[0].name, line[1].rank))
    return [OutcomeLine(*line) for line in ordered]


# --- The growth plan in the packet ----------------------------------------------------------------


@dataclass(frozen=True)
class PlanGoal:
    """A goal of the candidate's growth plan as the packet shows it."""

    goal: object  # grades.models.GrowthGoal, with its requirement and done_by
    level: Level
    # Past its due date and not done.
    overdue: bool


def packet_plan(review: PromotionReview, packet: Packet, *, on: datetime.date | None = None) -> list[PlanGoal]:
    """The candidate's goals on the lines of the packet's checklist, in checklist order.

    The live packet's lines carry their goals (read with the checklist by review_packet): no
    statement of its own. A kept packet's lines are read (grades.selectors.growth_plan), one
    query, none when the packet has no checklist.
    """
    on = on or timezone.localdate()
    if isinstance(packet, FrozenPacket):
        lines = [(line.requirement_pk, level) for level, level_lines in packet.lines for line in level_lines]
        order = {pk: (index, level) for index, (pk, level) in enumerate(lines)}
        goals = grade_selectors.growth_plan(review.candidate, requirement_ids=order) if order else []
        goals.sort(key=lambda goal: (order[goal.requirement_id][0], goal.pk))
        placed = [(goal, order[goal.requirement_id][1]) for goal in goals]
    else:
        placed = []
        for item in packet.items:
            goal = item.requirement.plan_goal  # with its requirement (grades.selectors.checklist_lines)
            if goal is not None:
                placed.append((goal, item.level))
    return [
        PlanGoal(goal=goal, level=level, overdue=goal.done_at is None and goal.due_on is not None and goal.due_on < on)
        for goal, level in placed
    ]


# --- The packet as decided ------------------------------------------------------------------------
#
# When HR records the decision, the packet the committee judged is kept (models.PacketSnapshot):
# the checklist line by line with each line's wording in both languages and its state, the
# figures it adds up to, the time in level and the grade history, and the other parts of the
# packet (see "the other criteria" below). A decided review's page shows that, not the
# candidate's packet of today. The format is versioned by "schema";
# sections may be added under keys of their own (a reader ignores keys it does not know),
# and a change to an existing section's meaning takes a new schema number.

PACKET_SCHEMA = 1


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _level_data(level) -> dict | None:
    if level is None:
        return None
    return {"id": level.pk, "code": level.code, "name": level.name, "name_ru": level.name_ru, "rank": level.rank}


def _line_data(item, tallies) -> dict:
    requirement, claim = item.requirement, item.evidence
    group = requirement.group if requirement.group_id is not None else None
    tally = tallies.get(requirement.group_id) if group is not None else None
    decided_by = None
    if claim is not None and claim.decided_by_id is not None:
        decided_by = claim.decided_by.get_full_name() or claim.decided_by.get_username()
    return {
        "requirement": requirement.pk,
        "key": requirement.key,
        "text": requirement.text,
        "text_en": requirement.text_en,
        "category": {
            "key": requirement.category.key, "name": requirement.category.name,
            "name_ru": requirement.category.name_ru,
        },
        "proficiency": requirement.proficiency,
        "examples": requirement.examples,
        "check_kind": requirement.check_kind,
        "state": item.state,
        # A data-judged line's account of why it is met or not, in the language of the decision.
        "detail": item.detail,
        "group": None if group is None else {
            "id": group.pk, "key": group.key, "name": group.name, "name_ru": group.name_ru,
            "at_least": group.at_least, "need": tally.need, "done": tally.done, "size": len(tally.items),
        },
        "claim": None if claim is None else {
            "id": claim.pk,
            "status": claim.status,
            "reconfirm_needed": bool(claim.reconfirm_needed),
            "description": claim.description,
            "links": list(claim.links or []),
            "claimed_at": _iso(claim.claimed_at),
            "decided_at": _iso(claim.decided_at),
            "decided_by": decided_by,
            "decision_comment": claim.decision_comment,
        },
    }


def packet_freeze(review: PromotionReview, packet: Packet) -> dict:
    """The packet of `review` as JSON-ready data (schema PACKET_SCHEMA), to keep at the decision.

    `packet` is review_packet's reading of the review (the day it was judged for is
    `on`). Plain values only: ids, texts in both languages, states and dates, so that
    the page can show it whatever happens to the checklist, the claims or the people later.
    """
    tallies = packet.tallies
    return {
        "schema": PACKET_SCHEMA,
        "review": review.pk,
        "on": _iso(packet.on),
        "level": _level_data(packet.level),
        "next_level": _level_data(packet.next_level),
        "since": _iso(packet.since),
        "time_in_level_start": _iso(packet.time_in_level_start),
        "months_in_level": packet.months_in_level,
        "figures": {
            "done": packet.done_count,
            "total": packet.total,
            "data_met": packet.data_met,
            "data_total": packet.data_total,
            "waiting": packet.waiting_count,
            "unmet": len(packet.unmet),
        },
        "checklist": [
            {
                "level": _level_data(level),
                "lines": [_line_data(item, tallies) for block in blocks for item in block.items],
            }
            for level, blocks in packet.blocks_by_level()
        ],
        "history": [
            {
                "effective_date": _iso(change.effective_date),
                "level": _level_data(change.level),
                "kind": change.kind,
                "reason": change.reason,
            }
            for change in packet.history
        ],
        # The other parts of the packet, each under its own key (see packet_sections_freeze).
        **packet_sections_freeze(review, packet),
    }


@dataclass(frozen=True)
class FrozenLevel:
    """A level as the packet kept it; reads like a Level for the `level_name` filter."""

    id: int
    code: str
    name: str
    name_ru: str
    rank: int

    @property
    def pk(self) -> int:
        return self.id

    @property
    def display_name(self) -> str:
        if self.name_ru and (get_language() or "en").startswith("ru"):
            return self.name_ru
        return self.name

    def __str__(self) -> str:
        return self.display_name


@dataclass(frozen=True)
class FrozenClaim:
    status: str
    description: str
    links: list
    decision_comment: str


@dataclass(frozen=True)
class PacketLine:
    """One line of the packet's checklist with the texts its template would work out per line:
    a live line (reviews.views) or one kept at the decision (_frozen_line).

    A checklist has up to fifty lines: the label chains, the category's display, the
    translation of each text and the "decided by" sentence were most of the page's
    rendering. The values are those the template tags gave.
    """

    state: str
    requirement_pk: int
    state_label: str
    # The requirement's text, proficiency and examples (text and examples as HTML, see
    # common.text_filters.render_text).
    text: str
    category: str
    checked_from_data: bool
    detail: str
    evidence: object  # the live Evidence, or a kept FrozenClaim
    decided: str
    proficiency: str = ""
    examples: str = ""
    # On the first line of an "at least N of these" group: its heading; on each of its lines: True.
    group_head: str = ""
    in_group: bool = False


@dataclass(frozen=True)
class FrozenChange:
    effective_date: datetime.date | None
    level: FrozenLevel | None
    kind: str
    reason: str

    def get_kind_display(self) -> str:
        from grades.models import GradeChangeKind

        return str(GradeChangeKind(self.kind).label) if self.kind in GradeChangeKind.values else self.kind

    @property
    def reason_display(self) -> str:
        """The reason in the reader's language when the product wrote it (grades.reasons)."""
        return grade_reasons.in_reader_language(self.reason, level=self.level)


@dataclass
class FrozenPacket:
    """A kept packet read back for the page: the attributes the template reads of a Packet,
    and `lines`, [(level, [PacketLine])] in ladder order."""

    schema: int
    on: datetime.date | None
    level: FrozenLevel | None
    next_level: FrozenLevel | None
    since: datetime.date | None
    time_in_level_start: datetime.date | None
    months_in_level: int
    done_count: int
    total: int
    data_met: int
    data_total: int
    waiting_count: int
    unmet_count: int
    lines: list = field(default_factory=list)
    history: list = field(default_factory=list)
    taken_at: datetime.datetime | None = None
    # The other parts as kept, read as the page's live ones are; None where the packet has no key
    # for the part (kept before it was): `relations` is the kept data, read per reader by kept_relations.
    productivity: object = None
    relations: dict | None = None
    reading: object = None
    statement: str | None = None
    plan: list | None = None

    @property
    def not_kept(self) -> list[str]:
        """The parts (of KEPT_SECTIONS) this packet holds no data for."""
        return [name for name in KEPT_SECTIONS if getattr(self, name) is None]


def _date(value) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _frozen_level(data) -> FrozenLevel | None:
    if not data:
        return None
    return FrozenLevel(id=data["id"], code=data.get("code", ""), name=data.get("name", ""),
                       name_ru=data.get("name_ru", ""), rank=data.get("rank", 0))


def _in_reader_language(original: str, translated: str, *, russian_is_original: bool) -> str:
    """A text kept in both languages, in the reader's (falling back to the one there is)."""
    from django.utils.translation import get_language

    russian = (get_language() or "en").startswith("ru")
    if russian_is_original:
        return original if russian else (translated or original)
    return (translated or original) if russian else original


def _frozen_line(data: dict, *, first_of_group: bool) -> PacketLine:
    from django.utils.translation import gettext as _

    from common.text_filters import render_text
    from grades.selectors import STATE_LABELS

    state = data.get("state", "missing")
    category = data.get("category") or {}
    group = data.get("group")
    claim = data.get("claim")
    decided = ""
    if claim and claim.get("decided_by"):
        when = ""
        if claim.get("decided_at"):
            when = f"{timezone.localtime(datetime.datetime.fromisoformat(claim['decided_at'])):%Y-%m-%d}"
        decided = _("Decided by %(who)s on %(when)s") % {"who": claim["decided_by"], "when": when}
    group_head = ""
    if group and first_of_group:
        name = _in_reader_language(group.get("name", ""), group.get("name_ru", ""), russian_is_original=False)
        name = name or _("At least %(n)s of these") % {"n": group.get("at_least", 0)}
        group_head = _("%(group)s · %(done)s of %(need)s done, any %(need)s of these %(total)s") % {
            "group": name, "done": group.get("done", 0), "need": group.get("need", 0), "total": group.get("size", 0),
        }
    text = _in_reader_language(data.get("text", ""), data.get("text_en", ""), russian_is_original=True)
    return PacketLine(
        state=state,
        requirement_pk=data.get("requirement"),
        state_label=str(STATE_LABELS.get(state, STATE_LABELS["missing"])),
        text=render_text(text),
        category=_in_reader_language(category.get("name", ""), category.get("name_ru", ""), russian_is_original=False),
        checked_from_data=bool(data.get("check_kind")),
        detail=data.get("detail", ""),
        evidence=None if not claim else FrozenClaim(
            status=claim.get("status", ""), description=claim.get("description", ""),
            links=list(claim.get("links") or []), decision_comment=claim.get("decision_comment", ""),
        ),
        decided=decided,
        proficiency=data.get("proficiency", ""),
        examples=render_text(data["examples"]) if data.get("examples") else "",
        group_head=group_head,
        in_group=bool(group),
    )


def packet_from_snapshot(data: dict, *, taken_at: datetime.datetime | None = None) -> FrozenPacket:
    """The page's reading of a packet kept by packet_freeze: texts in the reader's language."""
    figures = data.get("figures") or {}
    lines = []
    for block in data.get("checklist") or []:
        previous_group = None
        level_lines = []
        for line in block.get("lines") or []:
            group_id = (line.get("group") or {}).get("id")
            level_lines.append(_frozen_line(line, first_of_group=group_id is not None and group_id != previous_group))
            previous_group = group_id
        lines.append((_frozen_level(block.get("level")), level_lines))
    return FrozenPacket(
        schema=data.get("schema", 0),
        on=_date(data.get("on")),
        level=_frozen_level(data.get("level")),
        next_level=_frozen_level(data.get("next_level")),
        since=_date(data.get("since")),
        time_in_level_start=_date(data.get("time_in_level_start")),
        months_in_level=data.get("months_in_level", 0),
        done_count=figures.get("done", 0),
        total=figures.get("total", 0),
        data_met=figures.get("data_met", 0),
        data_total=figures.get("data_total", 0),
        waiting_count=figures.get("waiting", 0),
        unmet_count=figures.get("unmet", 0),
        lines=lines,
        history=[
            FrozenChange(
                effective_date=_date(change.get("effective_date")), level=_frozen_level(change.get("level")),
                kind=change.get("kind", ""), reason=change.get("reason", ""),
            )
            for change in data.get("history") or []
        ],
        taken_at=taken_at,
        productivity=_frozen_productivity(data["productivity"]) if "productivity" in data else None,
        relations=data["relations"] if "relations" in data else None,
        reading=_frozen_books(data["reading"]) if "reading" in data else None,
        statement=data.get("statement"),
        plan=_frozen_plan(data["plan"]) if "plan" in data else None,
    )


def review_snapshot(review: PromotionReview):
    """The packet kept at `review`'s decision (read with review_for_page), or None."""
    try:
        return review.frozen_packet
    except PacketSnapshot.DoesNotExist:
        return None


# --- Team relations (criterion 3) ------------------------------------------------------------------


@dataclass
class AssessmentLine:
    """One assessor role's assessment: the latest revision (None before the first) and the earlier ones."""

    role: str
    role_label: str
    latest: RelationsAssessment | None
    earlier: list[RelationsAssessment]


@dataclass
class RelationsSection:
    """What the review page's team relations section shows its viewer (policies decide each part)."""

    is_open: bool
    show_assessments: bool
    assessments: list[AssessmentLine]
    # The assessor roles the viewer writes for now (the review is open).
    assess_roles: list[str]
    show_feedback: bool
    # Every request of the review, live and withdrawn, each with its answer (show_feedback only).
    requests: list[FeedbackRequest]
    # The viewer's own live request on this review, if they were asked.
    my_request: FeedbackRequest | None
    can_ask: bool
    # (employee pk, name) of whom HR may ask: active employees, not the candidate, not asked now.
    colleague_choices: list[tuple[int, str]]

    @property
    def answered_count(self) -> int:
        return sum(1 for request in self.requests if request.given_answer is not None)


def with_answer(feedback_request: FeedbackRequest | None) -> FeedbackRequest | None:
    """The request with `given_answer` set: its answer (read with it) or None."""
    if feedback_request is not None:
        try:
            feedback_request.given_answer = feedback_request.answer
        except FeedbackAnswer.DoesNotExist:
            feedback_request.given_answer = None
    return feedback_request


def _close_colleagues(candidate: Employee) -> Q:
    """Whom the feedback form offers for `candidate`: their team (the people of their team
    lead), the lead, the people they lead, and those they mentor or are mentored by. Anyone
    else is asked by login: a select of the whole company would be thousands of names."""
    close = Q(pk=candidate.team_lead_id) | Q(team_lead_id=candidate.pk)
    if candidate.team_lead_id is not None:
        close |= Q(team_lead_id=candidate.team_lead_id)
    mentoring = Mentorship.objects.filter(Q(mentor_id=candidate.pk) | Q(mentee_id=candidate.pk))
    return (
        close | Q(pk__in=mentoring.values("mentee_id")) | Q(pk__in=mentoring.values("mentor_id"))
    )


def review_relations(user, review: PromotionReview, seats) -> RelationsSection:
    """The team relations section of a review read with review_for_page, for `user`.

    The assessments with their authors and the requests with their colleagues and answers
    came with the review's row; each is shown to whom it may be (the assessments to those
    who may read them, the requests to HR and the committee; anyone else who may see the
    review sees only a request of their own, the candidate none). One statement, for HR on
    an open review: whom to ask.
    """
    is_open = review.is_open
    show_assessments = policies.may_see_relations_assessments(user, review, seats)
    lines = []
    if show_assessments:
        rows: dict[str, list[RelationsAssessment]] = {role: [] for role in AssessorRole.values}
        for row in _assessments_from_rows(review):
            rows.setdefault(row.role, []).append(row)
        for role, label in AssessorRole.choices:
            revisions = rows.get(role, [])
            lines.append(AssessmentLine(
                role=role, role_label=str(label),
                latest=revisions[-1] if revisions else None,
                earlier=list(reversed(revisions[:-1])),
            ))
    show_feedback = policies.may_see_colleague_feedback(user, review, seats)
    requests: list[FeedbackRequest] = []
    my_request = None
    feedback = _feedback_from_rows(review)
    if show_feedback:
        requests = feedback
    if user.is_authenticated and (show_feedback or review.candidate.user_id != user.pk):
        my_request = next((r for r in feedback if r.colleague.user_id == user.pk and not r.is_withdrawn), None)
    can_ask = is_open and policies.may_ask_for_feedback(user, review)
    choices = []
    if can_ask:
        asked = {r.colleague_id for r in requests if not r.is_withdrawn}
        rows = (
            Employee.objects.filter(left_on__isnull=True, user__is_active=True)
            .filter(_close_colleagues(review.candidate))
            .exclude(pk=review.candidate_id)
            .order_by("user__last_name", "user__first_name", "user__username")
            .values_list("pk", "user__first_name", "user__last_name", "user__username")
        )
        choices = [
            (pk, f"{first} {last}".strip() or username)
            for pk, first, last, username in rows
            if pk not in asked
        ]
    return RelationsSection(
        is_open=is_open,
        show_assessments=show_assessments,
        assessments=lines,
        assess_roles=policies.relations_roles_of(user, review) if is_open else [],
        show_feedback=show_feedback,
        requests=requests,
        my_request=my_request,
        can_ask=can_ask,
        colleague_choices=choices,
    )


def my_feedback_requests(user, employee: Employee) -> list[FeedbackRequest]:
    """The live, unanswered requests asked of `employee` on open reviews (their own page only).

    Each with what the page's box shows of it: the candidate's name and the level defended.
    Read on every visit to one's own page, mostly to find none: the statement names those
    columns only, which halves what the ORM spends building it.
    """
    return list(
        FeedbackRequest.objects.filter(
            colleague=employee, withdrawn_at__isnull=True, answer__isnull=True,
            review__status__in=OPEN_STATUSES,
        )
        .select_related("review__candidate__user", "review__to_level")
        .only(
            "review_id", "review__candidate_id", "review__to_level_id", "review__candidate__user_id",
            *(f"review__candidate__user__{name}" for name in ("username", "first_name", "last_name")),
            *(f"review__to_level__{name}" for name in ("code", "name", "name_ru")),
        )
        .order_by("asked_at", "id")
    )


def feedback_request_for_page(user, pk: int) -> tuple[FeedbackRequest, list[CommitteeSeat]] | None:
    """The request `pk` with its review, colleague and answer, and its review's seats, if `user`
    may see the request (policies.may_see_feedback_request); None otherwise or when there is none."""
    feedback_request = (
        FeedbackRequest.objects.filter(pk=pk)
        .select_related(
            "review__candidate__user", "review__candidate__team_lead", "review__to_level", "review__from_level",
            "colleague__user", "asked_by", "withdrawn_by", "answer",
        )
        .first()
    )
    if feedback_request is None:
        return None
    seats = list(CommitteeSeat.objects.filter(review_id=feedback_request.review_id))
    if not policies.may_see_feedback_request(user, feedback_request, seats):
        return None
    return with_answer(feedback_request), seats


# --- The packet as decided: the other criteria ----------------------------------------------------
#
# Besides the checklist, the kept packet holds each other part of the page under a key of its
# own: "productivity" (the delivery facts and each measure's trend and chart as drawn),
# "relations" (the assessments and the colleague feedback with every name), "reading" (the
# books, level by level, with the candidate's readings), "statement" and "plan" (the goals on
# the checklist's lines, with whether each was past due on the day judged). Who may read a
# name is not kept: the page applies today's policies to the kept rows, as it does to live ones.
# They are read back into the classes the page's partial templates read for the live sections
# (grades.selectors.Delivery and ReadingList, RelationsSection, PlanGoal), holding the small
# Frozen* values below. A packet kept before a key was written has none: the page shows that
# part from today's data under a label saying so (FrozenPacket.not_kept); the statement, which
# does not change once the defense is scheduled, needs no label.

# The parts read back from a kept packet, each under its own key; the statement is separate.
KEPT_SECTIONS = ("productivity", "relations", "reading", "plan")


def _person(user) -> str | None:
    return None if user is None else (user.get_full_name() or user.get_username())


def _number(value) -> str | None:
    return None if value is None else str(value)


def _productivity_data(review: PromotionReview, packet: Packet) -> dict:
    delivery = grade_selectors.delivery(review.candidate_id, since=packet.since)
    return {
        "since": _iso(delivery.since),
        "facts": [
            {
                "id": fact.pk, "period_start": _iso(fact.period_start), "period_end": _iso(fact.period_end),
                "measure": fact.measure, "committed": _number(fact.committed), "done": _number(fact.done),
                "value": _number(fact.value), "unit": fact.unit, "link": fact.link, "figure": _number(fact.figure),
            }
            for fact in delivery.facts
        ],
        "series": [
            {
                "measure": series.measure, "trend": series.trend, "good_level": series.good_level,
                "figures": series.figures, "facts": [fact.pk for fact in series.facts],
                "points": [[point.x, point.y, point.value] for point in series.points],
            }
            for series in delivery.series
        ],
    }


def _relations_data(review: PromotionReview) -> dict:
    assessments = (
        RelationsAssessment.objects.filter(review=review).select_related("author").order_by("role", "revision")
    )
    requests = (
        FeedbackRequest.objects.filter(review=review)
        .select_related("colleague__user", "asked_by", "withdrawn_by", "answer")
        .order_by("asked_at", "id")
    )
    rows = []
    for feedback_request in map(with_answer, requests):
        answer = feedback_request.given_answer
        rows.append({
            "id": feedback_request.pk,
            "colleague": str(feedback_request.colleague),
            "colleague_user": feedback_request.colleague.user_id,
            "asked_by": _person(feedback_request.asked_by),
            "asked_at": _iso(feedback_request.asked_at),
            "withdrawn_by": _person(feedback_request.withdrawn_by),
            "withdrawn_at": _iso(feedback_request.withdrawn_at),
            "answer": None if answer is None else {
                "text": answer.text, "rating": answer.rating, "answered_at": _iso(answer.answered_at),
            },
        })
    return {
        "assessments": [
            {"role": row.role, "revision": row.revision, "rating": row.rating, "note": row.note,
             "author": _person(row.author), "at": _iso(row.at)}
            for row in assessments
        ],
        "requests": rows,
    }


def _reading_data(reading) -> dict | None:
    if reading is None:
        return None
    return {
        "title": reading.title, "author": reading.author, "note": reading.note, "read_on": _iso(reading.read_on),
        "acknowledged_by": _person(reading.acknowledged_by) if reading.acknowledged_by_id else None,
        "acknowledged_at": _iso(reading.acknowledged_at),
    }


def _books_data(review: PromotionReview, packet: Packet) -> dict:
    reading = grade_selectors.reading_packet(
        review.candidate, up_to=packet.next_level or review.to_level, ladder=packet.ladder
    )
    return {
        "up_to_rank": reading.up_to_rank,
        "levels": [
            {
                "level": _level_data(step.level),
                "books": [
                    {"id": book.pk, "title": book.title, "author": book.author, "reading": _reading_data(book.reading)}
                    for book in step.books
                ],
            }
            for step in reading.levels
        ],
        "others": [_reading_data(marked) for marked in reading.others],
    }


def _plan_data(review: PromotionReview, packet: Packet) -> list[dict]:
    return [
        {
            "requirement": entry.goal.requirement_id,
            "requirement_text": entry.goal.requirement.text,
            "requirement_text_en": entry.goal.requirement.text_en,
            "level": _level_data(entry.level),
            "text": entry.goal.text, "link": entry.goal.link, "due_on": _iso(entry.goal.due_on),
            "done_at": _iso(entry.goal.done_at), "done_by": _person(entry.goal.done_by),
            "overdue": entry.overdue,
        }
        for entry in packet_plan(review, packet, on=packet.on)
    ]


def packet_sections_freeze(review: PromotionReview, packet: Packet) -> dict:
    """The packet's parts besides the checklist, as JSON-ready data under their keys (six statements)."""
    return {
        "productivity": _productivity_data(review, packet),
        "relations": _relations_data(review),
        "reading": _books_data(review, packet),
        "statement": review.statement,
        "plan": _plan_data(review, packet),
    }


@dataclass(frozen=True)
class FrozenPerson:
    """A name as kept; reads like a user for the templates' `get_full_name() or get_username()`."""

    name: str

    def get_full_name(self) -> str:
        return self.name

    def get_username(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name


def _frozen_person(name) -> FrozenPerson | None:
    return None if name is None else FrozenPerson(name)


def _datetime(value) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value else None


def _decimal(value):
    from decimal import Decimal

    return None if value is None else Decimal(value)


@dataclass(frozen=True)
class FrozenFact:
    """A kept delivery fact, with the attributes the productivity section reads of a DeliveryFact."""

    id: int
    period_start: datetime.date | None
    period_end: datetime.date | None
    measure: str
    committed: object
    done: object
    value: object
    unit: str
    link: str
    figure: object

    @property
    def is_sprint_completion(self) -> bool:
        return self.measure == ""

    @property
    def measure_label(self) -> str:
        from django.utils.translation import gettext

        return gettext("Sprint completion") if self.is_sprint_completion else self.measure


def _frozen_productivity(data: dict) -> grade_selectors.Delivery:
    facts = {
        row["id"]: FrozenFact(
            id=row["id"], period_start=_date(row.get("period_start")), period_end=_date(row.get("period_end")),
            measure=row.get("measure", ""), committed=_decimal(row.get("committed")), done=_decimal(row.get("done")),
            value=_decimal(row.get("value")), unit=row.get("unit", ""), link=row.get("link", ""),
            figure=_decimal(row.get("figure")),
        )
        for row in data.get("facts") or []
    }
    series = []
    for row in data.get("series") or []:
        of_series = [facts[pk] for pk in row.get("facts") or [] if pk in facts]
        if not of_series:
            continue
        series.append(grade_selectors.DeliverySeries(
            measure=row.get("measure", ""), label=of_series[-1].measure_label, facts=of_series,
            figures=list(row.get("figures") or []), trend=row.get("trend"), good_level=bool(row.get("good_level")),
            points=[grade_rules.ChartPoint(x, y, value) for x, y, value in row.get("points") or []],
        ))
    return grade_selectors.Delivery(since=_date(data.get("since")), facts=list(facts.values()), series=series)


@dataclass(frozen=True)
class FrozenAssessment:
    role: str
    rating: int
    note: str
    author: FrozenPerson | None
    at: datetime.datetime | None

    def get_rating_display(self) -> str:
        from .models import RelationsRating

        return str(RelationsRating(self.rating).label) if self.rating in RelationsRating.values else str(self.rating)


@dataclass(frozen=True)
class FrozenAnswer:
    text: str
    rating: int | None
    answered_at: datetime.datetime | None

    get_rating_display = FrozenAssessment.get_rating_display


@dataclass(frozen=True)
class FrozenFeedbackRequest:
    """A kept colleague feedback request, with the attributes the relations section reads."""

    pk: int
    colleague: str
    colleague_user_id: int | None
    asked_by: FrozenPerson | None
    asked_at: datetime.datetime | None
    withdrawn_by: FrozenPerson | None
    withdrawn_at: datetime.datetime | None
    given_answer: FrozenAnswer | None

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


def kept_relations(user, review: PromotionReview, seats, data: dict) -> RelationsSection:
    """The team relations section of a kept packet for `user`: the policies of review_relations
    applied to the kept rows. No statement; nothing is offered to write (the review is decided)."""
    show_assessments = policies.may_see_relations_assessments(user, review, seats)
    lines = []
    if show_assessments:
        rows: dict[str, list[FrozenAssessment]] = {role: [] for role in AssessorRole.values}
        for row in sorted(data.get("assessments") or [], key=lambda row: (row.get("role", ""), row.get("revision", 0))):
            rows.setdefault(row.get("role", ""), []).append(FrozenAssessment(
                role=row.get("role", ""), rating=row.get("rating"), note=row.get("note", ""),
                author=_frozen_person(row.get("author")), at=_datetime(row.get("at")),
            ))
        for role, label in AssessorRole.choices:
            revisions = rows.get(role, [])
            lines.append(AssessmentLine(
                role=role, role_label=str(label),
                latest=revisions[-1] if revisions else None, earlier=list(reversed(revisions[:-1])),
            ))
    show_feedback = policies.may_see_colleague_feedback(user, review, seats)
    asked_of_reader = user.is_authenticated and review.candidate.user_id != user.pk
    requests = []
    if show_feedback or asked_of_reader:
        for row in data.get("requests") or []:
            if not show_feedback and row.get("colleague_user") != user.pk:
                continue  # the reader sees their own request only
            answer = row.get("answer")
            requests.append(FrozenFeedbackRequest(
                pk=row.get("id"), colleague=row.get("colleague", ""), colleague_user_id=row.get("colleague_user"),
                asked_by=_frozen_person(row.get("asked_by")), asked_at=_datetime(row.get("asked_at")),
                withdrawn_by=_frozen_person(row.get("withdrawn_by")), withdrawn_at=_datetime(row.get("withdrawn_at")),
                given_answer=None if not answer else FrozenAnswer(
                    text=answer.get("text", ""), rating=answer.get("rating"),
                    answered_at=_datetime(answer.get("answered_at")),
                ),
            ))
    my_request = None
    if asked_of_reader:
        my_request = next(
            (r for r in requests if r.colleague_user_id == user.pk and not r.is_withdrawn), None
        )
    return RelationsSection(
        is_open=False, show_assessments=show_assessments, assessments=lines, assess_roles=[],
        show_feedback=show_feedback, requests=requests if show_feedback else [], my_request=my_request,
        can_ask=False, colleague_choices=[],
    )


@dataclass(frozen=True)
class FrozenReading:
    """A kept reading of a book, with the attributes the reading section reads of a BookReading."""

    title: str
    author: str
    note: str
    read_on: datetime.date | None
    acknowledged_by: FrozenPerson | None
    acknowledged_at: datetime.datetime | None

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None


@dataclass(frozen=True)
class FrozenBook:
    pk: int
    title: str
    author: str
    reading: FrozenReading | None

    @property
    def reading_state(self) -> str:
        if self.reading is None:
            return "unread"
        return "acknowledged" if self.reading.is_acknowledged else "read"

    def __str__(self) -> str:
        return f"{self.title} — {self.author}" if self.author else self.title


def _frozen_reading(data) -> FrozenReading | None:
    if not data:
        return None
    return FrozenReading(
        title=data.get("title", ""), author=data.get("author", ""), note=data.get("note", ""),
        read_on=_date(data.get("read_on")), acknowledged_by=_frozen_person(data.get("acknowledged_by")),
        acknowledged_at=_datetime(data.get("acknowledged_at")),
    )


def _frozen_books(data: dict) -> grade_selectors.ReadingList:
    return grade_selectors.ReadingList(
        levels=[
            grade_selectors.ReadingLevel(
                level=_frozen_level(step.get("level")),
                books=[
                    FrozenBook(pk=book.get("id"), title=book.get("title", ""), author=book.get("author", ""),
                               reading=_frozen_reading(book.get("reading")))
                    for book in step.get("books") or []
                ],
            )
            for step in data.get("levels") or [] if step.get("level")
        ],
        up_to_rank=data.get("up_to_rank", 0),
        others=[_frozen_reading(row) for row in data.get("others") or [] if row],
    )


@dataclass(frozen=True)
class FrozenRequirement:
    """A goal's line as kept: its wording in both languages, for the `localized` filter."""

    pk: int | None
    text: str
    text_en: str


@dataclass(frozen=True)
class FrozenGoal:
    """A kept growth goal, with the attributes the plan section reads of a GrowthGoal."""

    requirement_id: int | None
    requirement: FrozenRequirement
    text: str
    link: str
    due_on: datetime.date | None
    done_at: datetime.datetime | None
    done_by: FrozenPerson | None


def _frozen_plan(rows: list) -> list[PlanGoal]:
    return [
        PlanGoal(
            goal=FrozenGoal(
                requirement_id=row.get("requirement"),
                requirement=FrozenRequirement(row.get("requirement"), row.get("requirement_text", ""),
                                              row.get("requirement_text_en", "")),
                text=row.get("text", ""), link=row.get("link", ""), due_on=_date(row.get("due_on")),
                done_at=_datetime(row.get("done_at")), done_by=_frozen_person(row.get("done_by")),
            ),
            level=_frozen_level(row.get("level")),
            overdue=bool(row.get("overdue")),
        )
        for row in rows
    ]


def open_reviews_of(employee_id) -> QuerySet[PromotionReview]:
    """The open reviews (requested or scheduled) of one person: at most one row.

    `employee_id` is a value or an expression (OuterRef("pk") of an Employee query); the
    core's people list puts this in an Exists() (grades.extensions.OPEN_REVIEW_QUERIES).
    The unique index over (candidate, open_marker) answers it.
    """
    return PromotionReview.objects.filter(candidate_id=employee_id, open_marker=1)


# --- The home inbox's reads of reviews ------------------------------------------------------------
#
# One statement each, whatever the number of reviews: a list cut at `limit` with the number of
# all its rows (grades.selectors.listed).

_INBOX_REVIEW_FIELDS = (
    "status", "requested_at", "scheduled_for", "place", "candidate_id", "to_level_id",
    "candidate__user__username", "candidate__user__first_name", "candidate__user__last_name",
    "to_level__name", "to_level__name_ru",
)


def _inbox_reviews(reviews: QuerySet[PromotionReview]) -> QuerySet[PromotionReview]:
    return reviews.select_related("candidate__user", "to_level").only(*_INBOX_REVIEW_FIELDS)


def open_review_annotations() -> dict:
    """The employee row's open review (at most one: review_one_open_per_candidate), as
    annotations of an Employee queryset: open_review_id, open_review_status,
    open_review_at (its defense date, None until scheduled)."""
    open_review = PromotionReview.objects.filter(candidate_id=OuterRef("pk"), status__in=OPEN_STATUSES)
    return {
        "open_review_id": Subquery(open_review.values("pk")[:1]),
        "open_review_status": Subquery(open_review.values("status")[:1]),
        "open_review_at": Subquery(open_review.values("scheduled_for")[:1]),
    }


def without_open_review(employees: QuerySet[Employee]) -> QuerySet[Employee]:
    """`employees` less those who have an open review (requested or scheduled)."""
    return employees.exclude(
        Exists(PromotionReview.objects.filter(candidate_id=OuterRef("pk"), status__in=OPEN_STATUSES))
    )


def upcoming_defenses_of_reports(
    lead_employee_id: int, *, since: datetime.datetime, limit: int = grade_selectors.INBOX_LIMIT
) -> grade_selectors.Listed:
    """The scheduled defenses of the people `lead_employee_id` leads, from `since` on, soonest first."""
    reviews = PromotionReview.objects.filter(
        candidate__team_lead_id=lead_employee_id, status=ReviewStatus.SCHEDULED, scheduled_for__gte=since
    )
    return grade_selectors.listed(_inbox_reviews(reviews).order_by("scheduled_for", "id"), limit)


def awaiting_vote(user, *, limit: int = grade_selectors.INBOX_LIMIT) -> grade_selectors.Listed:
    """The scheduled defenses where `user` holds a seat and has not voted yet, soonest first."""
    reviews = PromotionReview.objects.filter(
        Exists(CommitteeSeat.objects.filter(review_id=OuterRef("pk"), member_id=user.pk, vote__isnull=True)),
        status=ReviewStatus.SCHEDULED,
    )
    return grade_selectors.listed(_inbox_reviews(reviews).order_by("scheduled_for", "id"), limit)


def requests_to_schedule(*, limit: int = grade_selectors.INBOX_LIMIT) -> grade_selectors.Listed:
    """The requested defenses that wait for HR to schedule them, the oldest request first."""
    reviews = PromotionReview.objects.filter(status=ReviewStatus.REQUESTED)
    return grade_selectors.listed(_inbox_reviews(reviews).order_by("requested_at", "id"), limit)


def awaiting_decision(*, limit: int = grade_selectors.INBOX_LIMIT) -> grade_selectors.Listed:
    """The scheduled defenses whose every seat has voted: HR records the decision (the decide
    service also waits for the defense's day, which these have reached when all voted)."""
    seats = CommitteeSeat.objects.filter(review_id=OuterRef("pk"))
    reviews = PromotionReview.objects.filter(
        Exists(seats), ~Exists(seats.filter(vote__isnull=True)), status=ReviewStatus.SCHEDULED
    )
    return grade_selectors.listed(_inbox_reviews(reviews).order_by("scheduled_for", "id"), limit)
