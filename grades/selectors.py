"""
Reads for the browser pages: who may see whom, a person's progress towards the next level,
the people list, and the figures of the employee row that the services keep up to date.

Each function runs a fixed number of queries whatever the number of requirements,
claims, mentees or people; the tests pin those numbers.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Least
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from common.json_rows import instance, json_rows, own_columns, rows_as, user_name_keys, user_of_row

from . import extensions, policies, rules
from .templatetags.grades_tags import level_name
from .models import (
    Book,
    BookReading,
    Category,
    Employee,
    Evidence,
    EvidenceEvent,
    EvidenceStatus,
    GradeChange,
    GradeChangeKind,
    GrowthGoal,
    Ladder,
    Level,
    Mentorship,
    Requirement,
    RequirementGroup,
    Track,
    TrackRung,
    counted_levels,
)


def today() -> datetime.date:
    return timezone.localdate()


# --- Ladders ------------------------------------------------------------------------------------


def track_ladder(track_id: int) -> list[Level]:
    """The levels of a track's full ladder in rank order, each with `owner_id`: the track
    whose requirements apply on it (the parent's below a fork, else the track's own).

    One query. The ladder is laid out by services.track_ladders_refresh (rules.full_ladder).
    """
    return list(Level.objects.filter(rungs__track_id=track_id).annotate(owner_id=F("rungs__owner_id")).order_by("rank"))


def next_level(ladder: list[Level], level: Level | None) -> Level | None:
    """The level after `level` on a full ladder (track_ladder's), None at the top or without one."""
    if level is None:
        return None
    return next((rung for rung in ladder if rung.rank == level.rank + 1), None)


def ladders_of_tracks(track_ids=None) -> dict[int, list[Level]]:
    """{track id: its full ladder in rank order} for these tracks (every track when None), in one query."""
    rungs = TrackRung.objects.select_related("level__ladder").order_by("track_id", "rank")
    if track_ids is not None:
        rungs = rungs.filter(track_id__in=list(track_ids))
    ladders: dict[int, list[Level]] = {}
    levels: dict[int, Level] = {}
    for rung in rungs:
        # One object per level, shared by the tracks that climb it.
        level = levels.setdefault(rung.level_id, rung.level)
        ladders.setdefault(rung.track_id, []).append(level)
    return ladders


# --- Progress -----------------------------------------------------------------------------------


# What each state of a checklist line is called on the page.
STATE_LABELS = {
    "confirmed": gettext_lazy("confirmed"),
    # Confirmed against a wording the framework has since changed substantively: it
    # counts again once the team lead confirms it against the new one.
    "reconfirm": gettext_lazy("confirmed against an earlier wording"),
    "claimed": gettext_lazy("waiting"),
    "rejected": gettext_lazy("rejected"),
    "met": gettext_lazy("met"),
    "unmet": gettext_lazy("not yet"),
    "missing": gettext_lazy("missing"),
}


@dataclass
class ChecklistItem:
    requirement: Requirement
    level: Level
    # confirmed / reconfirm / claimed / rejected / missing for people-judged lines; met / unmet
    # for data-judged.
    state: str
    detail: str = ""
    evidence: Evidence | None = None
    # The person's claims on this line, oldest first. Their events are read only when
    # someone opens the line's history (claim_history).
    history: list[Evidence] = field(default_factory=list)
    new_at_level: bool = False

    @property
    def done(self) -> bool:
        return self.state in ("confirmed", "met")

    @property
    def claimable(self) -> bool:
        return not self.requirement.check_kind and self.state in ("missing", "rejected")

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def carried_over(self) -> bool:
        """A confirmation that still counts although the requirement was reworded since it was
        given: the change was not substantive (grades.versions)."""
        if self.state != "confirmed" or self.evidence is None:
            return False
        # Without both versions (a decision recorded by a path that knows none, a track never
        # loaded from a file) there is nothing to compare, and nothing is said.
        worded_in = getattr(self.requirement, "wording_version_number", None)
        decided_in = getattr(self.evidence, "decided_version_number", None)
        return worded_in is not None and decided_in is not None and decided_in < worded_in

    @property
    def category_label(self) -> str:
        """The theme's name in the reader's language (the requirement's category is read with it)."""
        return self.requirement.category.display_name


@dataclass
class GroupTally:
    """How far a person is with one "at least N of these" group of their checklist."""

    group: RequirementGroup
    items: list[ChecklistItem]

    @property
    def need(self) -> int:
        """Lines the group counts as: at_least, never more than it holds."""
        return min(self.group.at_least, len(self.items))

    @property
    def done(self) -> int:
        return min(self.need, sum(1 for item in self.items if item.done))

    @property
    def satisfied(self) -> bool:
        return self.done >= self.need


@dataclass
class ChecklistBlock:
    """Consecutive lines of a level on the page: one ungrouped line, or a group's lines."""

    items: list[ChecklistItem]
    tally: GroupTally | None = None


class ChecklistFigures:
    """What a checklist (`items`) adds up to; shared by the progress page and the review packet.

    The figures (done_count of total, percent) are of the lines people judge, counted as
    the kept figures of the people list, the reminders and the reports count them
    (selectors.employee_counts): a requirement is one line, unless it is in a group ("at
    least N of these"): the group counts as N lines (never more than it holds), done as
    far as N of its requirements are confirmed. The lines the product judges from data
    (data_met of data_total) are counted apart: whether they are met changes with time and
    with other people's data, so no kept figure can hold them. `unmet`, what stands
    between the person and a defense, holds both kinds.
    """

    items: list[ChecklistItem]

    @cached_property
    def tallies(self) -> dict[int, GroupTally]:
        """{group id: GroupTally} of the groups on the checklist."""
        tallies: dict[int, GroupTally] = {}
        for item in self.items:
            group = item.requirement.group
            if group is not None:
                tallies.setdefault(group.pk, GroupTally(group, [])).items.append(item)
        return tallies

    @property
    def done_count(self) -> int:
        alone = sum(1 for item in self._judged_alone() if item.done)
        return alone + sum(tally.done for tally in self.tallies.values())

    @property
    def total(self) -> int:
        return len(self._judged_alone()) + sum(tally.need for tally in self.tallies.values())

    def _judged_alone(self) -> list[ChecklistItem]:
        # Lines people judge that count on their own (a group holds no data-judged line).
        return [item for item in self.items if not item.requirement.check_kind and item.requirement.group_id is None]

    @property
    def data_total(self) -> int:
        return sum(1 for item in self.items if item.requirement.check_kind)

    @property
    def data_met(self) -> int:
        return sum(1 for item in self.items if item.requirement.check_kind and item.done)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / self.total) if self.total else 100

    @property
    def waiting_count(self) -> int:
        return sum(1 for item in self.items if item.state == "claimed")

    @property
    def unmet(self) -> list[ChecklistItem]:
        """Lines still to do: those not done, except in a group that has enough done."""
        tallies = self.tallies
        return [
            item for item in self.items
            if not item.done and (item.requirement.group_id is None or not tallies[item.requirement.group_id].satisfied)
        ]

    def items_by_level(self):
        """[(level, [items])] in ladder order, for the checklist grouped by level."""
        groups: dict[int, tuple[Level, list[ChecklistItem]]] = {}
        for item in self.items:
            groups.setdefault(item.level.rank, (item.level, []))[1].append(item)
        return [groups[rank] for rank in sorted(groups)]

    def blocks_by_level(self):
        """[(level, [ChecklistBlock])] in ladder order: a group's lines together, where its first line is."""
        tallies = self.tallies
        result = []
        for level, items in self.items_by_level():
            blocks: list[ChecklistBlock] = []
            placed: dict[int, ChecklistBlock] = {}
            for item in items:
                group_id = item.requirement.group_id
                if group_id is None:
                    blocks.append(ChecklistBlock([item]))
                elif group_id in placed:
                    placed[group_id].items.append(item)
                else:
                    placed[group_id] = ChecklistBlock([item], tallies[group_id])
                    blocks.append(placed[group_id])
            result.append((level, blocks))
        return result


def checklist_item(
    requirement: Requirement,
    level: Level,
    *,
    employee: Employee,
    live: Evidence | None,
    claims: list[Evidence] | None = None,
    next_level: Level | None,
    mentorships: list[rules.MentorshipPeriod],
    on: datetime.date,
    level_ranks: Mapping[str, int],
) -> ChecklistItem:
    """One line of a person's checklist: judged from data (met/unmet) or by its live claim.

    `level_ranks` (level code -> rank) orders the levels a mentoring check names; it
    must know those levels and every level of the mentees' ledgers.
    """
    new_at_level = next_level is not None and level.rank == next_level.rank
    if requirement.check_kind:
        result = rules.evaluate_check(
            requirement.check_kind,
            requirement.check_params,
            today=on,
            career_start=employee.career_start,
            mentorships=mentorships,
            level_ranks=level_ranks,
        )
        return ChecklistItem(requirement, level, "met" if result.met else "unmet", result.detail,
                             new_at_level=new_at_level)
    state = live.status if live else "missing"
    if state == EvidenceStatus.CONFIRMED and live.reconfirm_needed:
        state = "reconfirm"
    return ChecklistItem(requirement, level, state, evidence=live, history=claims or [], new_at_level=new_at_level)


@dataclass
class ReadingLevel:
    """One level's reading list, each book with the person's reading of it (`book.reading`)."""

    level: Level
    books: list[Book]

    @property
    def read_count(self) -> int:
        return sum(1 for book in self.books if book.reading is not None)


@dataclass
class ReadingList:
    """A person's books read (the fourth criterion of a promotion), level by level.

    `levels` are the levels of the person's ladder that have books, in ladder order.
    The figures (read of total) count the books of the levels up to `up_to_rank` (the
    next level's, or the current one's at the top), as the checklist counts lines; they
    are a criterion of their own, never part of the checklist's figures. `others` are the
    person's readings of books no longer on their ladder's lists (taken off by a framework
    load, or of a track they left), read only for the review packet.
    """

    levels: list[ReadingLevel]
    up_to_rank: int
    others: list[BookReading] = field(default_factory=list)

    def _counted(self) -> list[Book]:
        return [book for item in self.levels if item.level.rank <= self.up_to_rank for book in item.books]

    @property
    def total(self) -> int:
        return len(self._counted())

    @property
    def read(self) -> int:
        return sum(1 for book in self._counted() if book.reading is not None)

    @property
    def acknowledged(self) -> int:
        return sum(1 for book in self._counted() if book.reading is not None and book.reading.is_acknowledged)

    @property
    def any_read(self) -> bool:
        return bool(self.others) or any(item.read_count for item in self.levels)


def reading_list(levels: list[Level], books_of: Mapping[int, list[Book]], *, up_to_rank: int) -> ReadingList:
    """The ReadingList of a ladder read with ladder_and_books (with the person's readings)."""
    return ReadingList(
        levels=[ReadingLevel(level, books_of[level.pk]) for level in levels if books_of.get(level.pk)],
        up_to_rank=up_to_rank,
    )


def reading_packet(
    employee: Employee, *, up_to: Level | None, readings: list[BookReading] | None = None,
    ladder: tuple[list[Level], dict[int, list[Book]]] | None = None,
) -> ReadingList:
    """The books a candidate read, level by level, for the review packet; the figures count the
    levels up to `up_to` (the level defended). Two queries: the ladder's reading lists, and the
    person's readings; none for what is given: every reading of the person (`readings`, with
    who acknowledged each), the ladder_and_books of their track (`ladder`). Readings of books
    no longer on those lists are the packet's `others`."""
    levels, books_of = ladder if ladder is not None else ladder_and_books(employee.track_id)
    if readings is None:
        readings = list(BookReading.objects.filter(employee_id=employee.pk).select_related("acknowledged_by"))
    attach_readings(books_of, readings)
    on_ladder = {book.pk for books in books_of.values() for book in books}
    others = sorted(
        (reading for reading in readings if reading.book_id not in on_ladder),
        key=lambda reading: (reading.read_on, reading.pk),
    )
    packet = reading_list(levels, books_of, up_to_rank=up_to.rank if up_to is not None else 0)
    packet.others = others
    return packet


@dataclass
class Progress(ChecklistFigures):
    employee: Employee
    level: Level | None
    since: datetime.date | None
    next_level: Level | None
    items: list[ChecklistItem]
    history: list[GradeChange]
    mentorships: list[Mentorship]
    mentored_by: list[Mentorship]
    books: list[Book]
    earliest_defense: datetime.date | None
    earliest_reasons: list[str]
    time_in_level_start: datetime.date | None
    months_in_level: int
    last_failed_defense: datetime.date | None = None
    # The person's own ladder (their track's full ladder), in rank order.
    ladder: list[Level] = field(default_factory=list)
    # The reading list of every level of the ladder, each book with the person's reading of it.
    reading: ReadingList | None = None

    def ready_on(self, day: datetime.date) -> bool:
        """Whether the person could defend their next level on `day`, as this page sees it:
        every line of the checklist done (confirmed, or met by data) and the earliest
        defense date (time in level, probation, cool-down) reached.

        Judge it on a Progress read `on` that day, so that data-judged lines are too.
        """
        return (
            self.next_level is not None
            and self.earliest_defense is not None
            and self.earliest_defense <= day
            and not self.unmet
        )


def _ledger(changes, ladder: Mapping[int, Level] | None = None) -> list[rules.LedgerEntry]:
    """Ledger entries as the rules read them; with `ladder` (level id -> level), an entry at a
    level of another ladder has no code, so that a code shared by two ladders is not mistaken."""
    return [
        rules.LedgerEntry(c.level.code if ladder is None or c.level_id in ladder else "", c.effective_date, c.kind)
        for c in changes
    ]


def level_since(entries) -> datetime.date | None:
    """The day the person's current level began, from their chronological ledger.

    Time in level is time in the LEVEL: a track change that keeps the level does not
    restart it, so the clock runs from the latest entry that is not such a move. Hire,
    promotion and correction entries always start it (a correction may restore the
    same level on purpose, and HR records it as a new start). `entries` are ledger
    rows or anything with `kind`, `level_id` and `effective_date`.
    """
    since = None
    for _entry, since in level_starts(entries):
        pass
    return since


def level_starts(entries):
    """(entry, the day the level held after it began) for each entry of a chronological ledger.

    The rule of level_since, entry by entry: the start of the level held before an entry is
    the value given with the entry before it (None before the hire), which is what a ledger
    entry keeps as `previous_level_since`.
    """
    since = None
    previous_level_id = None
    for entry in entries:
        lateral = entry.kind == GradeChangeKind.TRANSFER and entry.level_id == previous_level_id
        if not lateral:
            since = entry.effective_date
        previous_level_id = entry.level_id
        yield entry, since


def mark_previous_starts(entries) -> None:
    """Set `previous_level_since` on the unsaved entries of one person's whole chronological ledger
    (the bulk writers, which create a ledger at once)."""
    before = None
    for entry, since in level_starts(entries):
        entry.previous_level_since = before
        before = since


# The progress page's person, as read with their ledger (the page takes the level from the
# ledger itself).
_PERSON_RELATIONS = ("user", "track", "team_lead__user")


@dataclass
class PersonRecords:
    """What the progress page reads about a person before their checklist."""

    employee: Employee
    # Employee id -> ledger entries in chronological order, each with its level: the
    # person's own and those of everyone they mentor (the mentoring checks read them).
    ledgers: dict[int, list[GradeChange]]
    # Mentorships both ways: those the person gives and those they receive.
    mentorships: list[Mentorship]
    # Every book the person marked as read, with who acknowledged it (readings_from_rows).
    readings: list[BookReading] = field(default_factory=list)
    # Every claim of the person (withdrawn ones too), each with who decided it and
    # `decided_version_number`; and their growth goals, each with who marked it done.
    claims: list[Evidence] = field(default_factory=list)
    goals: list[GrowthGoal] = field(default_factory=list)


_LEDGER_FIELDS = {
    name: name for name in (
        "id", "employee_id", "kind", "track_id", "level_id", "effective_date", "reason", "recorded_by_id",
        "recorded_at", "hire_marker",
    )
}
_MENTORSHIP_FIELDS = {
    "id": "id", "mentor_id": "mentor_id", "mentee_id": "mentee_id", "started_on": "started_on", "ended_on": "ended_on",
    # Each side's name; the mentee's level too, for the mentoring lines and the mentees' list.
    "mentor_user_id": "mentor__user_id", "mentor_username": "mentor__user__username",
    "mentor_first_name": "mentor__user__first_name", "mentor_last_name": "mentor__user__last_name",
    "mentee_user_id": "mentee__user_id", "mentee_username": "mentee__user__username",
    "mentee_first_name": "mentee__user__first_name", "mentee_last_name": "mentee__user__last_name",
    "mentee_track_id": "mentee__track_id", "mentee_current_level_id": "mentee__current_level_id",
}


def _side(db: str, row: dict, side: str) -> Employee:
    """One side of a mentorship row (json_rows, _MENTORSHIP_FIELDS) as an employee with their user."""
    user = instance(get_user_model(), db, {
        "id": row[f"{side}_user_id"], "username": row[f"{side}_username"],
        "first_name": row[f"{side}_first_name"], "last_name": row[f"{side}_last_name"],
    })  # fmt: skip
    values = {"id": row[f"{side}_id"], "user_id": row[f"{side}_user_id"]}
    if side == "mentee":
        values.update(track_id=row["mentee_track_id"], current_level_id=row["mentee_current_level_id"])
    person = instance(Employee, db, values)
    Employee.user.field.set_cached_value(person, user)
    return person


@functools.cache
def _person_rows() -> QuerySet[Employee]:
    """Every person with what person_records reads of one: built once, filtered by key per read
    (resolving the correlated subqueries is most of what the ORM spends on the statement)."""
    person = OuterRef("pk")
    # One level deeper: the ledgers' subquery holds this one.
    mentees = Mentorship.objects.filter(mentor_id=OuterRef(person)).values("mentee_id")
    return (
        Employee.objects.select_related(*_PERSON_RELATIONS)
        .annotate(
            mentorship_rows=json_rows(
                Mentorship.objects.filter(Q(mentor_id=person) | Q(mentee_id=person)), **_MENTORSHIP_FIELDS
            ),
            ledger_rows=json_rows(GradeChange.objects.filter(employee_id=person), **_LEDGER_FIELDS),
            mentee_ledger_rows=json_rows(GradeChange.objects.filter(employee_id__in=mentees), **_LEDGER_FIELDS),
            reading_rows=json_rows(BookReading.objects.filter(employee_id=person), **READING_ROW_FIELDS),
            claim_rows=json_rows(Evidence.objects.filter(employee_id=person), **CLAIM_ROW_FIELDS),
            goal_rows=json_rows(GrowthGoal.objects.filter(employee_id=person), **GOAL_ROW_FIELDS),
        )
        .order_by()
    )


def person_records(pk: int) -> PersonRecords | None:
    """The person with id `pk`, their mentorships, their ledger and their mentees' ledgers.

    One statement: the person's row with its relations (user, track, team lead), and as
    JSON lists of correlated subqueries (common.json_rows) the mentorships both ways with
    both people's names, the person's ledger and their mentees' ledgers, the books they
    marked as read with who acknowledged each, their claims with who decided each and their
    growth goals (the checklist's, see checklist_lines). Levels are not
    joined: the entries and the mentees get theirs from the ladder (attach_levels). None
    when there is no such person; who may see them is the caller's check
    (policies.may_view_person).
    """
    employee = _person_rows().filter(pk=pk).first()
    if employee is None:
        return None
    db = employee._state.db
    mentorships = []
    for row, mentorship in zip(
        employee.mentorship_rows, rows_as(Mentorship, db, employee.mentorship_rows), strict=True
    ):
        for side in ("mentor", "mentee"):
            other = employee if row[f"{side}_id"] == pk else _side(db, row, side)
            getattr(Mentorship, side).field.set_cached_value(mentorship, other)
        mentorships.append(mentorship)
    # Latest first, as Mentorship.Meta.ordering has it. Both lists are short and put in order
    # here rather than in SQL.
    mentorships.sort(key=lambda m: (-m.started_on.toordinal(), m.pk))
    entries = rows_as(GradeChange, db, employee.ledger_rows) + rows_as(GradeChange, db, employee.mentee_ledger_rows)
    entries.sort(key=lambda entry: (entry.employee_id, entry.effective_date, entry.pk))
    ledgers: dict[int, list[GradeChange]] = {}
    for entry in entries:
        if entry.employee_id == pk:
            GradeChange.employee.field.set_cached_value(entry, employee)
        ledgers.setdefault(entry.employee_id, []).append(entry)
    return PersonRecords(
        employee=employee, ledgers=ledgers, mentorships=mentorships,
        readings=readings_from_rows(db, employee.reading_rows),
        claims=claims_from_rows(db, employee.claim_rows), goals=goals_from_rows(db, employee.goal_rows),
    )


def claims_from_rows(db: str, rows) -> list[Evidence]:
    """The claims of JSON rows with CLAIM_ROW_FIELDS, each with who decided it and the
    framework version it was decided under (`decided_version_number`)."""
    claims = []
    for row, claim in zip(rows, rows_as(Evidence, db, rows), strict=True):
        if claim.decided_by_id is not None:
            Evidence.decided_by.field.set_cached_value(claim, user_of_row(db, row, "decided_by", claim.decided_by_id))
        # The version of the framework the decision was made under (ChecklistItem.carried_over).
        claim.decided_version_number = row["decided_version__number"]
        claims.append(claim)
    return claims


def goals_from_rows(db: str, rows) -> list[GrowthGoal]:
    """The growth goals of JSON rows with GOAL_ROW_FIELDS, each with who marked it done."""
    goals = []
    for row, goal in zip(rows, rows_as(GrowthGoal, db, rows), strict=True):
        if goal.done_by_id is not None:
            GrowthGoal.done_by.field.set_cached_value(goal, user_of_row(db, row, "done_by", goal.done_by_id))
        goals.append(goal)
    return goals


def attach_levels(records: PersonRecords, levels: dict[int, Level]) -> None:
    """Give the ledger entries, the person and their mentees their Level objects.

    `levels` are those of the person's ladder; a level of another ladder (an entry from
    before a move to another track, a mentee on another ladder) is read with one more
    query, only when there is one.
    """
    wanted = {entry.level_id for entries in records.ledgers.values() for entry in entries}
    wanted |= {m.mentee.current_level_id for m in records.mentorships} | {records.employee.current_level_id}
    missing = wanted - set(levels) - {None}
    if missing:
        levels = {**levels, **Level.objects.in_bulk(missing)}
    for entries in records.ledgers.values():
        for entry in entries:
            entry.level = levels[entry.level_id]
    for mentorship in records.mentorships:
        mentee = mentorship.mentee
        mentee.current_level = levels.get(mentee.current_level_id)
    employee = records.employee
    employee.current_level = levels.get(employee.current_level_id)


# The columns of ladder_and_books's rows: the level's own, the rung's owner, the book's.
_LADDER_LEVEL_FIELDS = tuple(field.attname for field in Level._meta.concrete_fields)
_LADDER_BOOK_FIELDS = ("id", "title", "author", "position")


@functools.cache
def _ladder_rows() -> QuerySet:
    """Every track's rungs as ladder_and_books reads them: built once, filtered by track per
    read (resolving the joins of its dozen columns was most of what the ORM spent on it)."""
    return (
        TrackRung.objects.annotate(
            shelf=FilteredRelation("level__track_levels", condition=Q(level__track_levels__track_id=F("owner_id")))
        )
        .values_list(
            *[f"level__{name}" for name in _LADDER_LEVEL_FIELDS], "owner_id",
            *[f"shelf__books__{name}" for name in _LADDER_BOOK_FIELDS],
        )
        .order_by()
    )


def ladder_and_books(track_id: int) -> tuple[list[Level], dict[int, list[Book]]]:
    """The track's full ladder in rank order (track_ladder's), and the reading list of each
    level, in one query.

    The track's rungs with their levels, and a LEFT JOIN of the level pages of the rungs'
    owners (a fork reads its parent's below the fork) and their books: one row per (level,
    book), a level without books once. Each level has its rung's `owner_id`. A person's
    readings of the books are theirs to attach (attach_readings).
    Returns (levels, {level id: [books in list order]}).
    """
    queryset = _ladder_rows().filter(track_id=track_id)
    owner_at = len(_LADDER_LEVEL_FIELDS)
    pk_at, rank_at = _LADDER_LEVEL_FIELDS.index("id"), _LADDER_LEVEL_FIELDS.index("rank")
    # Put in order here, as the page's other short lists are (person_records).
    rows = sorted(queryset, key=lambda row: (row[rank_at], row[-1] or 0, row[owner_at + 1] or 0))
    levels: list[Level] = []
    books: dict[int, list[Book]] = {}
    for row in rows:
        if not levels or levels[-1].pk != row[pk_at]:
            level = Level.from_db(queryset.db, _LADDER_LEVEL_FIELDS, row[:owner_at])
            level.owner_id = row[owner_at]
            levels.append(level)
            books[level.pk] = []
        book_id, title, author, _position = row[owner_at + 1:]
        if book_id is not None:
            books[levels[-1].pk].append(Book(id=book_id, title=title, author=author))
    return levels, books


def attach_readings(books_of: dict[int, list[Book]], readings: list[BookReading]) -> None:
    """Give every book of ladder_and_books the person's reading of it (`reading`, or None) and
    its state for them (`reading_state`), from all of the person's `readings`."""
    reading_of = {reading.book_id: reading for reading in readings}
    for books in books_of.values():
        for book in books:
            book.reading = reading_of.get(book.pk)
            book.reading_state = reading_state(book.reading)


# The keys of a person's reading as a JSON row (common.json_rows): its own columns, and the
# name of who acknowledged it.
READING_ROW_FIELDS = {**own_columns(BookReading), **user_name_keys("acknowledged_by")}


def readings_from_rows(db: str, rows) -> list[BookReading]:
    """The readings of JSON rows with READING_ROW_FIELDS, each with who acknowledged it."""
    readings = []
    for row, reading in zip(rows, rows_as(BookReading, db, rows), strict=True):
        if reading.acknowledged_by_id is not None:
            BookReading.acknowledged_by.field.set_cached_value(
                reading, user_of_row(db, row, "acknowledged_by", reading.acknowledged_by_id)
            )
        readings.append(reading)
    return readings


def reading_state(reading: BookReading | None) -> str:
    """A book's state for a person: `unread`, `read` (marked, waiting for the team lead) or `acknowledged`."""
    if reading is None:
        return "unread"
    return "acknowledged" if reading.is_acknowledged else "read"


# The columns of a checklist row: the requirement's with its theme, its group and the version
# that brought its wording.
_REQUIREMENT_COLUMNS = (
    "id", "track_id", "track_level_id", "track_level__level_id", "key", "text", "text_en",
    "check_kind", "check_params", "position", "proficiency", "examples",
    "category", "category__name", "category__name_ru",
    "group_id", "group__key", "group__at_least", "group__name", "group__name_ru",
    "wording_version__number",
)  # fmt: skip


# The keys of a person's claim and growth goal as JSON rows (person_records): their own
# columns, who decided or marked them done, and the version a decision was made under.
CLAIM_ROW_FIELDS = {
    **own_columns(Evidence), **user_name_keys("decided_by"), "decided_version__number": "decided_version__number",
}
GOAL_ROW_FIELDS = {**own_columns(GrowthGoal), **user_name_keys("done_by")}


def checklist_scope(ladder: list[Level], level: Level | None) -> tuple[Level | None, int, list[Level]]:
    """(the next level, the rank the checklist goes up to, the levels whose lines make it) for
    someone at `level` on a full `ladder` (ladder_and_books's): the cumulative checklist of
    the level above theirs, or of their own at the top; none off the ladder. The
    expectations of the entry level are shown on the ladder, not on a checklist."""
    on_ladder = level is not None and any(item.pk == level.pk for item in ladder)
    following = next_level(ladder, level) if on_ladder else None
    target_rank = following.rank if following else (level.rank if on_ladder else 0)
    first_rank = ladder[0].rank if ladder else 0
    scope = [
        item for item in ladder
        if item.rank <= target_rank
        and not rules.holds_expectations(entry_only=item.entry_only, rank=item.rank, first_rank=first_rank)
    ]
    return following, target_rank, scope


@functools.cache
def _checklist_rows() -> QuerySet:
    """Every requirement as a checklist row (_REQUIREMENT_COLUMNS): built once, filtered per
    read (resolving the joins of its columns was a third of what the page spent on it)."""
    return Requirement.objects.order_by().values_list(*_REQUIREMENT_COLUMNS)


def checklist_lines(
    levels: list[Level], claims: list[Evidence], goals: list[GrowthGoal]
) -> list[tuple[Requirement, list[Evidence]]]:
    """The active requirements of a person's full ladder at these levels (`levels` from
    ladder_and_books, with their owners, as checklist_scope gives them), each with the
    person's `claims` on it (oldest first) and their growth goal on it (`plan_goal`, or
    None), in ladder order.

    One query: the requirements with their theme, group and wording version joined, read
    as plain values and made into the objects the pages read (model rows with a dozen joined
    annotations cost the ORM twice as much to build). The person's claims and goals come
    with the row that was read about them (person_records, the review page's row). Put in
    order here, where the levels' ranks are known without a join.
    """
    rank_of = {level.pk: level.rank for level in levels}
    themes: dict[str, Category] = {}
    groups: dict[int, RequirementGroup] = {}
    claims_of: dict[int, list[Evidence]] = {}
    for claim in claims:
        claims_of.setdefault(claim.requirement_id, []).append(claim)
    goal_of = {goal.requirement_id: goal for goal in goals}
    # The levels are the person's full ladder, each with the track whose requirements apply on it.
    owned = Q()
    for owner_id in {level.owner_id for level in levels}:
        owned |= Q(track_id=owner_id, track_level__level_id__in=[lv.pk for lv in levels if lv.owner_id == owner_id])
    lines: list[tuple[Requirement, list[Evidence]]] = []
    for row in _checklist_rows().filter(owned, is_active=True):
        (
            pk, track_id, track_level_id, level_id, key, text, text_en, check_kind, check_params, position,
            proficiency, examples, category, category_name, category_name_ru,
            group_id, group_key, group_at_least, group_name, group_name_ru, wording_version_number,
        ) = row  # fmt: skip
        theme = themes.get(category)
        if theme is None:
            theme = themes[category] = Category(key=category, name=category_name, name_ru=category_name_ru)
        group = None
        if group_id is not None:
            group = groups.get(group_id)
            if group is None:
                group = groups[group_id] = RequirementGroup(
                    id=group_id, track_level_id=track_level_id, key=group_key, at_least=group_at_least,
                    name=group_name, name_ru=group_name_ru,
                )  # fmt: skip
        requirement = Requirement(
            id=pk, track_id=track_id, track_level_id=track_level_id, key=key, category=theme, text=text,
            text_en=text_en, check_kind=check_kind, check_params=check_params, position=position,
            proficiency=proficiency, examples=examples, group=group,
        )  # fmt: skip
        requirement.level_id = level_id
        # The version that brought its wording (grades.versions), for ChecklistItem.carried_over.
        requirement.wording_version_number = wording_version_number
        # The person's growth goal on the line, or None (the progress page's plan).
        requirement.plan_goal = goal_of.get(pk)
        if requirement.plan_goal is not None:
            GrowthGoal.requirement.field.set_cached_value(requirement.plan_goal, requirement)
        lines.append((requirement, sorted(claims_of.get(pk, []), key=lambda claim: (claim.claimed_at, claim.pk))))
    return sorted(lines, key=lambda line: (rank_of[line[0].level_id], line[0].position, line[0].pk))


def employee_progress(
    employee: Employee,
    *,
    on: datetime.date | None = None,
    records: PersonRecords | None = None,
) -> Progress:
    """Everything the progress page shows about one person, in a fixed number of queries.

    Three queries: the person's records (mentorships, ledgers, readings, claims and growth
    goals: person_records, unless `records` are given), the ladder with the track's books,
    the checklist's requirements. The
    last failed defense is the person's own column. A claim's events are not read here
    (claim_history).
    """
    on = on or today()
    if records is None:
        records = person_records(employee.pk) or PersonRecords(employee, {}, [])
    levels, books_of = ladder_and_books(employee.track_id)
    attach_readings(books_of, records.readings)
    attach_levels(records, {level.pk: level for level in levels})
    ledgers = records.ledgers
    history = ledgers.get(employee.pk, [])
    latest = history[-1] if history else None
    level = latest.level if latest else None

    following, target_rank, checklist_levels = checklist_scope(levels, level)
    books = books_of[following.pk] if following else []
    reading = reading_list(levels, books_of, up_to_rank=target_rank)

    levels_by_id = {item.pk: item for item in levels}
    mentorships = [m for m in records.mentorships if m.mentor_id == employee.pk]
    mentored_by = [m for m in records.mentorships if m.mentee_id == employee.pk]
    periods = [
        rules.MentorshipPeriod(
            mentee_id=m.mentee_id,
            started_on=m.started_on,
            ended_on=m.ended_on,
            mentee_ledger=_ledger(ledgers.get(m.mentee_id, []), levels_by_id),
        )
        for m in mentorships
    ]

    # The codes a mentoring check names are the ladder's; a mentee's entries at levels of
    # another ladder count for nothing (rules.mentee_was_promoted).
    level_ranks = {item.code: item.rank for item in levels}
    items: list[ChecklistItem] = []
    for requirement, claims in checklist_lines(checklist_levels, records.claims, records.goals) if checklist_levels else []:
        live = next((c for c in reversed(claims) if c.status != EvidenceStatus.WITHDRAWN), None)
        items.append(
            checklist_item(requirement, levels_by_id[requirement.level_id], employee=employee, live=live,
                           claims=claims, next_level=following, mentorships=periods, on=on,
                           level_ranks=level_ranks)
        )

    failed = employee.last_failed_defense_on
    earliest = None
    reasons: list[str] = []
    start = None
    months = 0
    since = level_since(history)
    if since is not None:
        start = rules.time_in_level_start(since, employee.probation_end)
        months = rules.whole_months_between(start, on)
    if since is not None and following is not None:
        cooldown = settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS
        earliest = rules.earliest_defense_date(
            last_change=since,
            probation_end=employee.probation_end,
            min_months=following.min_months_in_previous,
            last_failed_defense=failed,
            cooldown_months=cooldown,
        )
        reasons = rules.earliest_defense_reasons(
            last_change=since,
            probation_end=employee.probation_end,
            min_months=following.min_months_in_previous,
            next_level_name=following.display_name,
            last_failed_defense=failed,
            cooldown_months=cooldown,
        )

    return Progress(
        employee=employee,
        level=level,
        since=since,
        next_level=following,
        items=items,
        history=history,
        mentorships=mentorships,
        mentored_by=mentored_by,
        books=books,
        reading=reading,
        earliest_defense=earliest,
        earliest_reasons=reasons,
        time_in_level_start=start,
        months_in_level=months,
        last_failed_defense=failed,
        ladder=levels,
    )


def claim_history(employee: Employee, requirement_id: int) -> list[EvidenceEvent]:
    """Every event of the person's claims on one requirement, oldest first, with who acted."""
    return list(
        EvidenceEvent.objects.filter(evidence__employee=employee, evidence__requirement_id=requirement_id)
        .select_related("actor")
        .only("at", "action", "comment", "actor__username", "actor__first_name", "actor__last_name")
        .order_by("at", "id")
    )


# --- The people list ----------------------------------------------------------------------------


# Each order ends on a unique column: the list's pages are read from its nearer end
# (grades.views.NearerEndPaginator), which needs a total order.
PEOPLE_ORDERINGS = {
    # The order of the user_name_order index (migration 0012): no sort, however deep the page.
    "name": ("user__last_name", "user__first_name", "user__username"),
    "level": ("-current_level__rank", "user__last_name", "id"),
    "since": ("current_level_since", "id"),
    "waiting": ("-waiting_claims", "user__last_name", "id"),
    "progress": ("-checklist_done", "user__last_name", "id"),
    # "eligible": those eligible now first (people_list puts the expression in front).
    "eligible": ("user__last_name", "user__first_name", "id"),
}

# What a row of the list shows: the name, and the employee row's own columns (the track
# and level are looked up in the lists the page reads anyway: see people_rows).
_PEOPLE_FIELDS = (
    "user__username", "user__first_name", "user__last_name",
    "track_id", "current_level_id", "current_level_since", "probation_end",
    "checklist_total", "checklist_done", "waiting_claims", "last_failed_defense_on", "left_on",
)  # fmt: skip

# A search matches the start of a word of the name: at most this many words count.
SEARCH_MAX_WORDS = 5


def open_review_condition(employee_ref=None) -> Q | None:
    """Whether the person has an open promotion review, as a condition on an Employee query
    (an EXISTS on the same statement), or None when no installed app records reviews."""
    employee_ref = employee_ref if employee_ref is not None else OuterRef("pk")
    condition = None
    for query in extensions.OPEN_REVIEW_QUERIES:
        found = Q(Exists(query(employee_ref)))
        condition = found if condition is None else condition | found
    return condition


def open_review_exists() -> Expression:
    """open_review_condition as a column (False when nothing records reviews)."""
    condition = open_review_condition()
    if condition is None:
        return Value(False, output_field=BooleanField())
    return ExpressionWrapper(condition, output_field=BooleanField())


def eligible_now(ladders: Mapping[int, list[Level]], on: datetime.date) -> Q:
    """The people eligible today to defend their next level, as a filter of Employee.

    rules.earliest_defense_date decided in the database on the employee row's own columns:
    time in the level (from the later of the level's start and the probation's end) of at
    least the next level's minimum, the cool-down after a failed defense over, every line
    of the next level's checklist confirmed (the kept checklist figures), still employed
    and no review open. Each threshold is a date computed here (rules.latest_start_for),
    one per minimum, so the database compares stored dates and computes none.
    Requirements checked from data (years, mentees) are left to the person's own page.
    """
    pairs: dict[int, dict[int, list[int]]] = {}  # minimum months -> track id -> current level ids
    for track_id, ladder in ladders.items():
        for level in ladder:
            following = next_level(ladder, level)
            if following is not None:
                pairs.setdefault(following.min_months_in_previous, {}).setdefault(track_id, []).append(level.pk)
    long_enough = Q(pk__in=[])
    for months, by_track in pairs.items():
        latest = rules.latest_start_for(on, months)
        on_levels = Q(pk__in=[])
        for track_id, level_ids in by_track.items():
            on_levels |= Q(track_id=track_id, current_level_id__in=level_ids)
        long_enough |= (
            on_levels
            & Q(current_level_since__lte=latest)
            & (Q(probation_end__isnull=True) | Q(probation_end__lte=latest))
        )
    cooled = rules.latest_start_for(on, settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS)
    ready = (
        long_enough
        & (Q(last_failed_defense_on__isnull=True) | Q(last_failed_defense_on__lte=cooled))
        & Q(checklist_done__gte=F("checklist_total"))
        & Q(left_on__isnull=True)
    )
    open_review = open_review_condition()
    return ready if open_review is None else ready & ~open_review


def search_filter(text: str) -> Q:
    """People whose first name, last name or login starts with each word of `text`, in any case.

    A prefix rather than a substring: MySQL answers it from the name indexes. SQLite's LIKE
    folds the case of ASCII letters only, so a word in another script is also tried as
    written in lower case and with a capital first letter, the way names are written.
    """
    found = Q()
    for word in text.split()[:SEARCH_MAX_WORDS]:
        forms = {word} if word.isascii() else {word, word.lower(), word.capitalize()}
        matches = Q(pk__in=[])
        for form in sorted(forms):
            matches |= (
                Q(user__first_name__istartswith=form)
                | Q(user__last_name__istartswith=form)
                | Q(user__username__istartswith=form)
            )
        found &= matches
    return found


def people_list(
    user,
    *,
    track: str = "",
    level: str = "",
    order: str = "name",
    search: str = "",
    lead: int | None = None,
    eligible: bool = False,
    ladders: Mapping[int, list[Level]] | None = None,
    on: datetime.date | None = None,
) -> QuerySet[Employee]:
    """The people `user` may see, filtered and in list order, with what a row shows.

    The figures are the employee row's own columns (employee_counts_refresh keeps
    them), so a page of the list costs the same whatever its depth or sort. Only
    the user is joined: the database sorts narrow rows. `has_open_review` is an
    EXISTS on the same statement. The "eligible" filter and order need every track's
    ladder (`ladders`, ladders_of_tracks) and the day (`on`, today by default).
    """
    qs = policies.visible_employees(user)
    if track:
        qs = qs.filter(track__slug=track)
    if level:
        qs = qs.filter(current_level__code=level)
    if search.strip():
        qs = qs.filter(search_filter(search))
    if lead is not None:
        qs = qs.filter(team_lead_id=lead)
    order = order if order in PEOPLE_ORDERINGS else "name"
    ordering: list = list(PEOPLE_ORDERINGS[order])
    if eligible or order == "eligible":
        ready = eligible_now(ladders if ladders is not None else ladders_of_tracks(), on or today())
        if eligible:
            qs = qs.filter(ready)
        else:
            ordering.insert(0, Case(When(ready, then=Value(0)), default=Value(1)).asc())
    qs = qs.annotate(has_open_review=open_review_exists())
    return qs.select_related("user").only(*_PEOPLE_FIELDS).order_by(*ordering)


# How many team leads a name that matches several of them lists, for the viewer to choose.
LEAD_MATCHES_SHOWN = 5


def find_lead(user, text: str) -> tuple[Employee | None, list[Employee]]:
    """The team lead the people list is filtered by, from what the viewer typed or a link gave.

    `text` is an employee id (a link's), a login, or the start of a name (search_filter's
    match); only the leads among the people `user` sees who lead someone `user` sees count
    (every lead for HR, a team lead themself). Returns (the lead, []) when exactly one
    matches, else (None, up to LEAD_MATCHES_SHOWN + 1 of the matches, none when nobody
    matches). One statement; none for an empty text.
    """
    text = text.strip()
    if not text:
        return None, []
    visible = policies.visible_employees(user)
    leads = visible.filter(Exists(visible.filter(team_lead_id=OuterRef("pk")).values("pk"))).select_related("user")
    if text.isdigit():
        found = list(leads.filter(pk=int(text))[:1]) if int(text) <= 2**31 - 1 else []
    else:
        exact = Q(user__username__iexact=text)
        found = list(
            leads.filter(exact | search_filter(text))
            .annotate(exact=Case(When(exact, then=Value(0)), default=Value(1), output_field=IntegerField()))
            .order_by("exact", "user__last_name", "user__first_name", "user__username")[: LEAD_MATCHES_SHOWN + 1]
        )
        # A login typed in full names that lead, whoever else's name starts the same way.
        if found and found[0].exact == 0:
            found = found[:1]
    if len(found) == 1:
        return found[0], []
    return None, found


def tracks_and_ladders() -> tuple[list[Track], dict[int, list[Level]]]:
    """Every track in name order, and {track id: its full ladder in rank order}, in one statement.

    What ladders_of_tracks and a read of the tracks give, from one LEFT JOIN of the tracks
    with their rungs, levels and ladders: a track without levels still comes once. One
    object per level and per ladder, shared by the tracks that climb it.
    """
    rows = Track.objects.order_by("name", "rungs__rank").values_list(
        "pk", "slug", "name", "name_ru", "is_active",
        "rungs__level_id", "rungs__level__ladder_id", "rungs__level__rank", "rungs__level__code",
        "rungs__level__name", "rungs__level__name_ru", "rungs__level__entry_only",
        "rungs__level__min_months_in_previous", "rungs__level__ladder__name", "rungs__level__ladder__name_ru",
    )  # fmt: skip
    tracks: dict[int, Track] = {}
    ladders: dict[int, list[Level]] = {}
    levels: dict[int, Level] = {}
    ladder_rows: dict[int, Ladder] = {}
    for (pk, slug, name, name_ru, is_active, level_id, ladder_id, rank, code, level_name_, level_name_ru,
         entry_only, min_months, ladder_name, ladder_name_ru) in rows:  # fmt: skip
        if pk not in tracks:
            tracks[pk] = Track(pk=pk, slug=slug, name=name, name_ru=name_ru, is_active=is_active)
        if level_id is None:
            continue
        ladder = ladder_rows.setdefault(ladder_id, Ladder(pk=ladder_id, name=ladder_name, name_ru=ladder_name_ru))
        level = levels.get(level_id)
        if level is None:
            level = levels[level_id] = Level(
                pk=level_id, ladder=ladder, rank=rank, code=code, name=level_name_, name_ru=level_name_ru,
                entry_only=entry_only, min_months_in_previous=min_months,
            )
        ladders.setdefault(pk, []).append(level)
    return list(tracks.values()), ladders


def level_choices(ladders: Mapping[int, list[Level]], track_ids=None) -> list[tuple[str, list[Level]]]:
    """The levels a list may be filtered by, grouped by ladder: [(ladder name, levels in rank order)].

    A level appears once however many tracks climb it; `track_ids` limits the ladders
    to those tracks' (every track's when None).
    """
    groups: dict[int, tuple[str, dict[int, Level]]] = {}
    for track_id, ladder in ladders.items():
        if track_ids is not None and track_id not in track_ids:
            continue
        for level in ladder:
            name, levels = groups.setdefault(level.ladder_id, (level.ladder.display_name, {}))
            levels[level.pk] = level
    return [
        (name, sorted(levels.values(), key=lambda level: level.rank))
        for _ladder_id, (name, levels) in sorted(groups.items())
    ]


@dataclass
class PersonRow:
    employee: Employee
    months_in_level: int
    earliest_defense: datetime.date | None
    checklist_total: int
    checklist_done: int
    waiting_claims: int
    # The person's progress page.
    url: str = ""
    # A review of theirs is requested or scheduled (people_list's has_open_review).
    has_open_review: bool = False
    # Eligible today to defend the next level (people_list's "eligible now", row by row).
    eligible: bool = False

    @property
    def in_level(self) -> str:
        """"N month(s)": the list's words (the template's own would cost a tag per row)."""
        months = self.months_in_level
        return ngettext("%(months)s month", "%(months)s months", months) % {"months": months}

    @property
    def earliest_defense_text(self) -> str:
        return self.earliest_defense.isoformat() if self.earliest_defense else ""

    @property
    def percent(self) -> int:
        return round(100 * self.checklist_done / self.checklist_total) if self.checklist_total else 100


def people_rows(
    employees, *, on: datetime.date, ladders: Mapping[int, list[Level]], tracks: list[Track]
) -> list[PersonRow]:
    """Rows of the people list (people_list): time in level and earliest defense for one page.

    `ladders` are every track's full ladder (ladders_of_tracks) and `tracks` every track:
    each row's level, next level and track are taken from them. No query: everything is
    on the rows read.
    """
    employees = list(employees)
    levels_by_id = {level.pk: level for ladder in ladders.values() for level in ladder}
    tracks_by_id = {track.pk: track for track in tracks}
    cooldown = settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS
    # A person's page is people/<id>/ under the list's own address (grades/urls.py): one
    # reverse() for the page rather than one per row.
    people_url = reverse("grades:people")
    rows = []
    for employee in employees:
        employee.track = tracks_by_id[employee.track_id]
        employee.current_level = levels_by_id.get(employee.current_level_id)
        earliest = None
        months = 0
        if employee.current_level is not None and employee.current_level_since:
            start = rules.time_in_level_start(employee.current_level_since, employee.probation_end)
            months = rules.whole_months_between(start, on)
            following = next_level(ladders.get(employee.track_id, []), employee.current_level)
            if following:
                earliest = rules.earliest_defense_date(
                    last_change=employee.current_level_since,
                    probation_end=employee.probation_end,
                    min_months=following.min_months_in_previous,
                    last_failed_defense=employee.last_failed_defense_on,
                    cooldown_months=cooldown,
                )
        has_open_review = bool(getattr(employee, "has_open_review", False))
        rows.append(
            PersonRow(
                employee=employee,
                months_in_level=months,
                earliest_defense=earliest,
                checklist_total=employee.checklist_total,
                checklist_done=employee.checklist_done,
                waiting_claims=employee.waiting_claims,
                url=f"{people_url}{employee.pk}/",
                has_open_review=has_open_review,
                # The same test as eligible_now's, on the row in hand.
                eligible=(
                    earliest is not None and earliest <= on and employee.left_on is None
                    and employee.checklist_done >= employee.checklist_total and not has_open_review
                ),
            )
        )
    return rows


# --- The employee row's kept figures ------------------------------------------------------------


def count_of(queryset: QuerySet):
    """A correlated COUNT(*) subquery as an expression (0 when nothing matches).

    COUNT is written as a plain function rather than an aggregate so that Django adds no
    GROUP BY to the subquery; that keeps it valid on SQLite, MariaDB and MySQL alike.
    """
    counted = queryset.order_by().annotate(_n=Func(F("pk"), function="COUNT")).values("_n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def sum_of(queryset: QuerySet, expression: Expression):
    """A correlated SUM subquery of `expression` over `queryset`'s rows, as a whole number (0 when none).

    SUM is written as a plain function for the reason count_of gives; it is cast back
    to a whole number because MySQL sums into a decimal.
    """
    summed = queryset.order_by().annotate(_sum=Func(expression, function="SUM")).values("_sum")
    return Coalesce(Cast(Subquery(summed), output_field=IntegerField()), 0)


# The figures the people list reads from the employee row, kept by the services.
COUNT_FIELDS = ("checklist_total", "checklist_done", "waiting_claims")


def employee_counts(fields: Iterable[str] = COUNT_FIELDS) -> dict[str, Expression]:
    """The figures named in `fields` (all three by default) recounted from the data, as
    expressions over an Employee queryset (for annotate(), or update() to store them).

    The checklist is the active people-judged requirements of the person's full ladder
    (their track's, and a fork's parent's below the fork) up to the rank after their
    current level (none without a level), less the expectations of the entry level
    (models.counted_levels). A requirement alone is one line; a group ("at least N of
    these") is N lines, never more than its active requirements, as ChecklistFigures
    counts the page's checklist.

    - checklist_total: the lines; moved by the person's level and track and by the
      framework, never by a claim;
    - checklist_done: the lines done: confirmed claims on requirements alone, and per
      group as many confirmed claims on its requirements as it counts lines, at most;
      never a claim confirmed against an earlier wording and waiting to be confirmed
      again (reconfirm_needed);
    - waiting_claims: their claims waiting for a decision.

    Only the named expressions are built: the checklist's take the ORM several
    milliseconds to build and compile, which a claim, moving only waiting_claims, need
    not spend. The subqueries refer to the employee row's own columns only (no join on
    it), so the same expressions work in one UPDATE of the employee table on MySQL as well.
    """
    fields = set(fields)
    unknown = fields - set(COUNT_FIELDS)
    if unknown:
        raise ValueError(f"Not a kept figure: {', '.join(sorted(unknown))}")

    def next_rank():
        # The rank after the employee's level, read inside a subquery of the employee's.
        current = Subquery(Level.objects.filter(pk=OuterRef(OuterRef("current_level_id"))).values("rank")[:1])
        return ExpressionWrapper(current + 1, output_field=IntegerField())

    people_judged = {"is_active": True, "check_kind": ""}

    @functools.cache  # built once when both checklist figures are asked for; each derives its own from it
    def groups():
        # The person's track's groups on their checklist, each with the lines it counts as.
        return RequirementGroup.objects.filter(
            counted_levels("track_level__level__"),
            track_level__level__rungs__track_id=OuterRef("track_id"),
            track_level__level__rungs__owner_id=F("track_level__track_id"),
            track_level__level__rank__lte=next_rank(),
        ).annotate(
            need=Least(F("at_least"), count_of(Requirement.objects.filter(group_id=OuterRef("pk"), **people_judged))),
        )

    def checklist_total():
        # The requirements of the person's full ladder: the rung of the requirement's level on
        # the person's track says whose requirements apply there (a fork's parent's below the fork).
        alone = Requirement.objects.filter(
            counted_levels("track_level__level__"),
            track_level__level__rungs__track_id=OuterRef("track_id"),
            track_level__level__rungs__owner_id=F("track_id"),
            group__isnull=True,
            track_level__level__rank__lte=next_rank(),
            **people_judged,
        )
        return count_of(alone) + sum_of(groups(), F("need"))

    def checklist_done():
        confirmed_alone = Evidence.objects.filter(
            counted_levels("requirement__track_level__level__"),
            employee_id=OuterRef("pk"),
            status=EvidenceStatus.CONFIRMED,
            reconfirm_needed=False,
            requirement__is_active=True,
            requirement__check_kind="",
            requirement__group__isnull=True,
            requirement__track_level__level__rungs__track_id=OuterRef("track_id"),
            requirement__track_level__level__rungs__owner_id=F("requirement__track_id"),
            requirement__track_level__level__rank__lte=next_rank(),
        )
        confirmed_in_group = Evidence.objects.filter(
            employee_id=OuterRef(OuterRef("pk")),
            status=EvidenceStatus.CONFIRMED,
            reconfirm_needed=False,
            requirement__group_id=OuterRef("pk"),
            **{f"requirement__{name}": value for name, value in people_judged.items()},
        )
        return count_of(confirmed_alone) + sum_of(groups(), Least(F("at_least"), count_of(confirmed_in_group)))

    def waiting_claims():
        return count_of(Evidence.objects.filter(employee_id=OuterRef("pk"), status=EvidenceStatus.CLAIMED))

    build = {"checklist_total": checklist_total, "checklist_done": checklist_done, "waiting_claims": waiting_claims}
    return {name: build[name]() for name in COUNT_FIELDS if name in fields}


def employees_with_wrong_counts(employees: QuerySet[Employee] | None = None) -> QuerySet[Employee]:
    """The employees whose kept figures differ from a recount (none, when the services kept them)."""
    recount = {f"recounted_{name}": expression for name, expression in employee_counts().items()}
    qs = Employee.objects.all() if employees is None else employees
    return qs.annotate(**recount).exclude(**{name: F(f"recounted_{name}") for name in COUNT_FIELDS})


# --- Delivery facts ---------------------------------------------------------------------------

# The size of a delivery chart, in SVG units (the template draws it; rules.chart_points places it).
CHART_WIDTH = 320
CHART_HEIGHT = 120


@dataclass
class DeliverySeries:
    """One measure's facts in time order, with the figure of each and their trend."""

    measure: str  # "" for sprint completion
    label: str
    facts: list
    figures: list[float]
    trend: str | None  # rules.TREND_RISING, TREND_STEADY, TREND_FALLING; None with fewer than two periods
    # Sprint completion only: every period at or above rules.GOOD_COMPLETION percent.
    good_level: bool
    points: list[rules.ChartPoint]

    @property
    def is_sprint_completion(self) -> bool:
        return self.measure == ""

    @property
    def unit(self) -> str:
        """What the figures are in: percent for sprint completion, the latest fact's unit otherwise."""
        return "%" if self.is_sprint_completion else self.facts[-1].unit

    @property
    def polyline(self) -> str:
        return " ".join(f"{point.x},{point.y}" for point in self.points)


@dataclass
class Delivery:
    """A person's delivery facts from `since` on (all of them when None), by measure."""

    since: datetime.date | None
    facts: list
    series: list[DeliverySeries]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT

    @property
    def good_completion(self) -> int:
        return rules.GOOD_COMPLETION


def delivery(employee: Employee | int, *, since: datetime.date | None = None) -> Delivery:
    """The person's delivery facts whose period reaches `since` or later, and each measure's trend.

    One query. Facts are in time order; sprint completion comes first among the measures,
    the others by name (a measure's name is compared without regard to case).
    """
    from .models import DeliveryFact

    employee_id = getattr(employee, "pk", employee)
    facts = DeliveryFact.objects.filter(employee_id=employee_id)
    if since is not None:
        facts = facts.filter(period_end__gte=since)
    return delivery_of(list(facts.select_related("recorded_by").order_by("period_start", "id")), since=since)


def delivery_of(facts: list, *, since: datetime.date | None = None) -> Delivery:
    """delivery() of facts already read (every fact of one person, in any order): those
    whose period reaches `since` or later, in time order, and each measure's trend."""
    facts = sorted(
        (fact for fact in facts if since is None or fact.period_end >= since),
        key=lambda fact: (fact.period_start, fact.pk),
    )
    by_measure: dict[str, list] = {}
    for fact in facts:
        by_measure.setdefault(fact.measure.casefold(), []).append(fact)
    series = []
    for key in sorted(by_measure, key=lambda key: (key != "", key)):
        group = by_measure[key]
        figures = [float(fact.figure) for fact in group if fact.figure is not None]
        is_completion = key == ""
        series.append(
            DeliverySeries(
                measure=group[-1].measure,
                label=group[-1].measure_label,
                facts=group,
                figures=figures,
                trend=rules.delivery_trend(figures),
                good_level=is_completion and rules.consistently_at_least(figures, rules.GOOD_COMPLETION),
                points=rules.chart_points(figures, width=CHART_WIDTH, height=CHART_HEIGHT),
            )
        )
    return Delivery(since=since, facts=facts, series=series)


# --- Growth plans -------------------------------------------------------------------------------


def growth_plan(employee: Employee, *, requirement_ids=None) -> list[GrowthGoal]:
    """The person's growth goals, oldest first, each with its requirement and who marked it
    done: one query, however many goals. `requirement_ids` keeps the goals of those lines
    only (a review packet's checklist)."""
    goals = GrowthGoal.objects.filter(employee_id=employee.pk)
    if requirement_ids is not None:
        goals = goals.filter(requirement_id__in=list(requirement_ids))
    return list(goals.select_related("requirement", "done_by").order_by("id"))


# --- The home inbox's reads of the core ---------------------------------------------------------
#
# Each is one statement whatever the size of the organisation: a list is cut at `limit` rows
# in SQL, and the number of all its rows comes with them (a window COUNT over the same
# filter), so that a page says "20 of 57" without a second statement.

# How many rows an inbox list shows; the rest is counted, and the full lists are a click away.
INBOX_LIMIT = 20


@dataclass
class Listed:
    """The first rows of a list, and how many rows it has in all."""

    items: list
    total: int

    @property
    def more(self) -> int:
        """The rows not shown."""
        return self.total - len(self.items)

    def __bool__(self) -> bool:
        return self.total > 0


def listed(queryset: QuerySet, limit: int = INBOX_LIMIT) -> Listed:
    """`queryset`'s first `limit` rows (in its order) and its row count, in one statement.

    The count is `COUNT(*) OVER ()`, computed before the LIMIT: the number of every
    row the filter matches. No rows, no count: the total is then 0.
    """
    items = list(queryset.annotate(listed_total=Window(Count("pk")))[:limit])
    return Listed(items=items, total=items[0].listed_total if items else 0)


def _next_rung(field: str):
    """A column of the next level of the employee row's track ladder, as a subquery: the rung of
    the person's track one rank above their current level (TrackRung is laid out for this)."""
    return Subquery(
        TrackRung.objects.filter(track_id=OuterRef("track_id"), rank=OuterRef("current_level__rank") + 1)
        .values(f"level__{field}")[:1]
    )


def with_next_level(employees: QuerySet[Employee]) -> QuerySet[Employee]:
    """`employees` with their current level (selected) and their next level's id, names and
    minimum months in the level below (annotated: next_level_id, next_level_name,
    next_level_name_ru, next_level_min_months; None at the top of the ladder or without a
    level). Read the next level as an object with next_level_of()."""
    return employees.select_related("current_level").annotate(
        next_level_id=_next_rung("pk"),
        next_level_name=_next_rung("name"),
        next_level_name_ru=_next_rung("name_ru"),
        next_level_min_months=_next_rung("min_months_in_previous"),
    )


def next_level_of(employee: Employee) -> Level | None:
    """The next level annotated by with_next_level, as an (unsaved-looking) Level object."""
    if getattr(employee, "next_level_id", None) is None:
        return None
    return Level(
        pk=employee.next_level_id,
        name=employee.next_level_name,
        name_ru=employee.next_level_name_ru or "",
        min_months_in_previous=employee.next_level_min_months,
    )


def earliest_defense_of(employee: Employee, following: Level | None) -> datetime.date | None:
    """The earliest day `employee` may defend `following` (rules.earliest_defense_date), read
    from the employee row's kept columns; None without a level or a next level."""
    if following is None or employee.current_level_id is None or employee.current_level_since is None:
        return None
    return rules.earliest_defense_date(
        last_change=employee.current_level_since,
        probation_end=employee.probation_end,
        min_months=following.min_months_in_previous,
        last_failed_defense=employee.last_failed_defense_on,
        cooldown_months=settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS,
    )


@dataclass
class NextStep:
    """Where a person stands on the way to their next level, as their inbox says it.

    The checklist figures are the employee row's kept ones (the people-judged lines, as the
    people list counts them); the dates follow the rules of the progress page.
    """

    employee: Employee
    level: Level | None
    next_level: Level | None
    done: int
    total: int
    earliest_defense: datetime.date | None
    earliest_reasons: list[str]
    on: datetime.date

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100

    @property
    def checklist_complete(self) -> bool:
        return self.done >= self.total

    @property
    def date_reached(self) -> bool:
        return self.earliest_defense is not None and self.earliest_defense <= self.on

    @property
    def ready(self) -> bool:
        """Every counted line confirmed and the earliest defense date reached."""
        return self.next_level is not None and self.checklist_complete and self.date_reached


def inbox_person(employee_id: int) -> QuerySet[Employee]:
    """The person's own row for their inbox: the kept figures, current and next level.

    A queryset, so that an app above may annotate it further (the reviews app adds the
    person's open review) and it stays one statement.
    """
    return with_next_level(Employee.objects.filter(pk=employee_id)).only(
        "track_id", "current_level", "current_level_since", "probation_end", "last_failed_defense_on",
        "checklist_total", "checklist_done", "waiting_claims",
    )


def next_step(employee: Employee, *, on: datetime.date) -> NextStep:
    """The NextStep of a row read with inbox_person (no query)."""
    following = next_level_of(employee)
    earliest = earliest_defense_of(employee, following)
    reasons = []
    if earliest is not None:
        reasons = rules.earliest_defense_reasons(
            last_change=employee.current_level_since,
            probation_end=employee.probation_end,
            min_months=following.min_months_in_previous,
            next_level_name=level_name(following),
            last_failed_defense=employee.last_failed_defense_on,
            cooldown_months=settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS,
        )
    return NextStep(
        employee=employee,
        level=employee.current_level,
        next_level=following,
        done=employee.checklist_done,
        total=employee.checklist_total,
        earliest_defense=earliest,
        earliest_reasons=reasons,
        on=on,
    )


def open_goals(employee_id: int, *, limit: int = INBOX_LIMIT) -> Listed:
    """The person's growth goals not yet done, the nearest due date first (goals without one
    last), each with its requirement's text: one statement."""
    goals = (
        GrowthGoal.objects.filter(employee_id=employee_id, done_at__isnull=True)
        .select_related("requirement")
        .only("employee_id", "requirement_id", "text", "due_on", "requirement__text", "requirement__text_en")
        .order_by(F("due_on").asc(nulls_last=True), "id")
    )
    return listed(goals, limit)


def _claims(evidence: QuerySet[Evidence]) -> QuerySet[Evidence]:
    """Waiting claims, the oldest first, with the person's name and the requirement's text.

    Claims of the same moment by person, then id: the order of the index
    evidence_status_claimed_emp (status, claimed_at, employee, and the id every index
    ends with), so that a list of everyone's claims reads its first rows along the index
    and stops. Ordered by moment and id alone, MariaDB sorted every matching claim first.
    """
    return (
        evidence.filter(status=EvidenceStatus.CLAIMED)
        .select_related("employee__user", "requirement")
        .only(
            "claimed_at", "employee_id", "requirement_id",
            "employee__user__username", "employee__user__first_name", "employee__user__last_name",
            "requirement__text", "requirement__text_en",
        )
        .order_by("claimed_at", "employee_id", "id")
    )


def waiting_claims_of_reports(lead_employee_id: int, *, limit: int = INBOX_LIMIT) -> Listed:
    """The claims of the people `lead_employee_id` leads that wait for a decision, oldest first."""
    # By person (the reports' ids, then evidence_emp_status), not along evidence_status_claimed_emp,
    # which SQLite's planner would otherwise walk over everyone's claims for the order it gives.
    reports = Employee.objects.filter(team_lead_id=lead_employee_id).values("pk")
    return listed(_claims(Evidence.objects.filter(employee_id__in=reports)), limit)


def overdue_claims(*, waiting_since: datetime.datetime, limit: int = INBOX_LIMIT) -> Listed:
    """Everyone's claims waiting for a decision since before `waiting_since`, oldest first (HR's).

    One statement: the first `limit` along the index evidence_status_claimed_emp (the walk stops
    there, _claims' order being the index's), and their number as a subquery counting the same
    index range (count_of: a plain COUNT, which MariaDB answers in a third of the time a grouped
    one takes). Not listed()'s window count: that joins every matching claim to its person and
    line before the LIMIT.
    """
    claims = Evidence.objects.filter(status=EvidenceStatus.CLAIMED, claimed_at__lt=waiting_since)
    items = list(_claims(claims).annotate(listed_total=count_of(claims))[:limit])
    return Listed(items=items, total=items[0].listed_total if items else 0)


# The reports a lead's inbox judges for eligibility at most: their team, however large, in
# order of time in level (those longest in their level come first, the likeliest to be due).
READY_SCAN_LIMIT = 200


def reports_with_checklist_done(lead_employee_id: int) -> QuerySet[Employee]:
    """The people `lead_employee_id` leads, still employed, on a level below the top, with every
    counted line of their checklist confirmed (the kept figures), longest in level first, with
    what the eligibility rules read. Whether the date is reached is next_step's."""
    return (
        with_next_level(
            Employee.objects.filter(
                team_lead_id=lead_employee_id,
                left_on__isnull=True,
                current_level__isnull=False,
                checklist_done__gte=F("checklist_total"),
            )
        )
        .filter(next_level_id__isnull=False)
        .select_related("user")
        .only(
            "track_id", "current_level", "current_level_since", "probation_end", "last_failed_defense_on",
            "checklist_total", "checklist_done", "waiting_claims",
            "user__username", "user__first_name", "user__last_name",
        )
        .order_by("current_level_since", "id")
    )


def ready_people(employees: QuerySet[Employee], *, on: datetime.date, limit: int = INBOX_LIMIT) -> Listed:
    """Of `employees` (reports_with_checklist_done, perhaps narrowed further), those whose
    earliest defense date has come, the earliest first: one statement, at most
    READY_SCAN_LIMIT rows judged."""
    steps = [next_step(employee, on=on) for employee in employees[:READY_SCAN_LIMIT]]
    ready = sorted((step for step in steps if step.ready), key=lambda step: (step.earliest_defense, step.employee.pk))
    return Listed(items=ready[:limit], total=len(ready))
