"""
Pure decisions of the imports: what a source row means and whether it can be written.

Nothing here touches a database. The legacy import and the people spreadsheet
both turn their rows into `SourceRow`s and call `plan_people` with the facts the
selectors read (levels, tracks, who already exists); the result says, per person,
what would be written and, per source row, what cannot be mapped. A planner that
can be tested with plain values is what keeps the dry run, the preview and the real
run reporting the same thing.
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from common.validators import EARLIEST_DATE, LATEST_DATE, validate_calendar_date

# --- Column contracts -----------------------------------------------------------------------

# The columns a people source returns (the legacy `people` statement, the people
# spreadsheet). source_key is required from SQL, optional in a spreadsheet.
PEOPLE_REQUIRED = ("email", "first_name", "last_name", "track", "level", "hire_date")
PEOPLE_OPTIONAL = ("source_key", "probation_end", "career_start", "team_lead_email")
# The columns of the legacy `history` statement: one row per ledger entry.
HISTORY_REQUIRED = ("source_key", "email", "level", "date", "kind")
HISTORY_OPTIONAL = ("reason",)

HIRE, PROMOTION, CORRECTION = "hire", "promotion", "correction"
HISTORY_KINDS = (HIRE, PROMOTION, CORRECTION)

NAME_LIMIT = 150  # django.contrib.auth's first_name / last_name
EMAIL_LIMIT = 254
REASON_LIMIT = 2000
NO_REASON = "Imported from the old system, which recorded no reason."


def check_columns(found: Sequence[str], *, required: Sequence[str], optional: Sequence[str], what: str) -> None:
    """Raise ValueError naming what is missing or unexpected among `found` column names."""
    found_set = set(found)
    duplicates = sorted({name for name in found if list(found).count(name) > 1})
    missing = [name for name in required if name not in found_set]
    unknown = [name for name in found if name not in required and name not in optional]
    problems = []
    if duplicates:
        problems.append(f"column(s) named twice: {', '.join(duplicates)}")
    if missing:
        problems.append(f"no column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unexpected column(s) {', '.join(unknown)}")
    if problems:
        expected = ", ".join(required) + (f" (optional: {', '.join(optional)})" if optional else "")
        raise ValueError(f"{what} has {'; '.join(problems)}. Expected the columns {expected}.")


# --- Values ---------------------------------------------------------------------------------


def normalise_name(value: Any) -> str:
    """A level, track or kind name as looked up: case and spaces do not matter."""
    return re.sub(r"\s+", "", str(value or "")).casefold()


def text(value: Any) -> str:
    """A source value as trimmed text; NULL is empty."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return str(value).strip()


def normalise_email(value: Any) -> str:
    return text(value).lower()


_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def parse_date(value: Any) -> datetime.date | None:
    """A date from a database value or a spreadsheet cell; None when empty.

    Accepts date and datetime objects (MySQL), ISO text "2021-03-01" with an
    optional time (SQLite stores dates as text) and the "01.03.2021" a Russian
    spreadsheet shows. Raises ValueError with the value when it is none of those.
    """
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = text(value)
    if not raw:
        return None
    match = _DMY.match(raw)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
        return datetime.date.fromisoformat(raw[:10]) if len(raw) >= 10 else datetime.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a date (expected YYYY-MM-DD or DD.MM.YYYY)") from None


def date_range_problem(column: str, day: datetime.date | None) -> str:
    """Why `day` cannot be one of a person's dates, or "" when it can.

    The rule is the one on the employee and grade-ledger fields, which the web and
    admin forms apply (common.validators.validate_calendar_date): an import must
    not store a date those forms would refuse.
    """
    if day is None:
        return ""
    try:
        validate_calendar_date(day)
    except ValidationError:
        return (
            f"{column} {day.isoformat()} is outside the accepted dates "
            f"({EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()})"
        )
    return ""


# --- Facts and plans ------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelInfo:
    code: str
    rank: int
    name: str
    entry_only: bool
    pk: int | None = None  # the Level row
    # The track whose requirements on the level apply: a fork's parent below the fork.
    owner: str = ""


@dataclass(frozen=True)
class TrackLadder:
    """The levels of one track's full ladder (a fork's shared levels included), as an import
    names them. Level codes are unique within a track's ladder, not between ladders: two
    tracks may both have a "senior" that is not the same level."""

    levels: Mapping[str, LevelInfo]  # by code, in rank order
    names: Mapping[str, str]  # normalised name → level code
    # The shipped ladder, whose names everyone knows: a message need not list them.
    shipped: bool = True

    def levels_hint(self, track: str) -> str:
        """What follows "unknown level 'X'" in a problem: the track's levels, when they are
        not the shipped ones."""
        if self.shipped or not track:
            return ""
        if not self.levels:
            return f": the {track} track has no levels"
        return f" for the {track} track, whose levels are " + ", ".join(info.name for info in self.levels.values())


def ladder_names(
    levels: Sequence[tuple[str, str, str, str]], synonyms: Mapping[str, Sequence[str]] | None = None
) -> dict[str, str]:
    """Every name the levels of one full ladder go by, normalised, to the level's code.

    `levels` are (ladder slug, code, name, Russian name) in rank order. `synonyms` map a
    level to the names an old system gives it, by its code (the level of that code on
    any ladder) or by "ladder/code" (that ladder's level only, ahead of the code alone);
    a synonym of a level this ladder does not have is left out.
    """
    names: dict[str, str] = {}
    ladder_of: dict[str, str] = {}
    for ladder, code, name, name_ru in levels:
        ladder_of[code] = ladder
        for alias in (code, name, name_ru):
            if alias:
                names[normalise_name(alias)] = code
    bare, qualified = [], []
    for target, aliases in (synonyms or {}).items():
        ladder, _slash, code = target.rpartition("/")
        if code in ladder_of and (not ladder or ladder_of[code] == ladder):
            (qualified if ladder else bare).append((code, aliases))
    for code, aliases in bare + qualified:
        for alias in aliases:
            names[normalise_name(alias)] = code
    return names


@dataclass(frozen=True)
class KnownPerson:
    """What the system already holds for one e-mail address."""

    user_ids: tuple[int, ...]
    employee_id: int | None = None
    has_ledger: bool = False
    hire_date: datetime.date | None = None
    track: str | None = None


@dataclass(frozen=True)
class PeopleFacts:
    # The shipped ladder: a row whose track is unknown (or not in `ladders`) is read against it.
    levels: Mapping[str, LevelInfo]  # by code
    level_names: Mapping[str, str]  # normalised name → level code
    track_names: Mapping[str, str]  # normalised name → track slug
    kind_names: Mapping[str, str]  # normalised name → hire / promotion / correction
    known: Mapping[str, KnownPerson]  # by lower-case e-mail
    # Each track's full ladder, by slug: a row's levels are looked up on its track's.
    ladders: Mapping[str, TrackLadder] = field(default_factory=dict)

    def ladder_of(self, track: str) -> TrackLadder:
        ladder = self.ladders.get(track)
        return ladder if ladder is not None else TrackLadder(self.levels, self.level_names)


@dataclass(frozen=True)
class SourceRow:
    """One row of a source: its place (1-based), its key and its values by column."""

    number: int
    key: str
    values: Mapping[str, Any]
    # Problems found while reading the row (a spreadsheet row with too many cells).
    read_problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    source: str  # "people", "history" or a spreadsheet's "row"
    number: int
    key: str
    message: str

    @property
    def where(self) -> str:
        if self.source == "row":  # a spreadsheet: its row number is what the person sees
            own_key = self.key and self.key != f"row {self.number}"
            return f"row {self.number}" + (f" (key {self.key})" if own_key else "")
        return f"{self.source} row {self.number}, key {self.key}"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class PlannedEntry:
    kind: str
    level: str
    date: datetime.date
    reason: str = ""
    key: str = ""  # the history row it comes from; empty when made from the people row


class Action:
    CREATE = "create"  # a new person with their ledger
    # A new employee with their ledger, on an account the system already has (same
    # e-mail) that is not an employee yet: the account's name, password and roles stay.
    LINK = "link"
    ADD_LEDGER = "add_ledger"  # a person the system has, without any ledger yet
    UNCHANGED = "unchanged"  # already in the system with a ledger: left exactly as it is
    SKIP = "skip"  # has problems: not written


@dataclass
class PersonPlan:
    row: SourceRow
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    track: str = ""
    hire_date: datetime.date | None = None
    probation_end: datetime.date | None = None
    career_start: datetime.date | None = None
    team_lead_email: str = ""
    action: str = Action.SKIP
    entries: list[PlannedEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    employee_id: int | None = None
    user_id: int | None = None
    # The team lead's employee id when the lead is already in the system (not imported).
    team_lead_id: int | None = None

    @property
    def key(self) -> str:
        return self.row.key

    @property
    def ref(self) -> str:
        """How a message names this row: its key, or its row number where it has no key."""
        return self.key if self.key == f"row {self.row.number}" else f"key {self.key}"

    @property
    def level(self) -> str:
        return self.entries[-1].level if self.entries else ""

    @property
    def writes(self) -> bool:
        return self.action in (Action.CREATE, Action.LINK, Action.ADD_LEDGER)


@dataclass
class RowsPlan:
    """The plan of a spreadsheet of one kind of row (requirements, delivery facts): each row's
    plan has its source row, an action and its problems."""

    rows: list

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def problems(self) -> list[Problem]:
        return [
            Problem("row", plan.row.number, plan.row.key, message)
            for plan in self.rows
            for message in plan.problems
        ]


@dataclass
class PeoplePlan:
    people: list[PersonPlan]
    # Problems of history rows, by their own key (the person they belong to is skipped too).
    history_problems: list[Problem] = field(default_factory=list)
    people_source: str = "people"

    def count(self, action: str) -> int:
        return sum(1 for person in self.people if person.action == action)

    @property
    def entries_to_write(self) -> int:
        return sum(len(person.entries) for person in self.people if person.writes)

    @property
    def problems(self) -> list[Problem]:
        found = [
            Problem(self.people_source, person.row.number, person.key, message)
            for person in self.people
            for message in person.problems
        ]
        return sorted(found + self.history_problems, key=lambda p: (p.source != self.people_source, p.number))

    def fingerprint_items(self) -> list:
        """What a confirmation agrees to: every write, in a stable form, with the rows
        already here that it attaches to (the account, the employee, the team lead),
        so that one created, removed or replaced in between changes the fingerprint."""
        return [
            (
                person.key, person.email, person.action, person.track, person.team_lead_email,
                person.user_id, person.employee_id, person.team_lead_id,
                [(e.kind, e.level, e.date.isoformat(), e.reason) for e in person.entries],
            )
            for person in self.people
            if person.writes
        ]


# --- Planning people ------------------------------------------------------------------------


def plan_people(
    people: Sequence[SourceRow],
    history: Sequence[SourceRow],
    facts: PeopleFacts,
    *,
    people_source: str = "people",
    require_key: bool = True,
) -> PeoplePlan:
    """Decide, for every people row, what an import would write, and why not when it cannot.

    A row is written only when nothing about it is in doubt; everything else is
    skipped with its problems. People already in the system are matched by e-mail
    (case-insensitive) and never changed: a person with a ledger is left as is, a
    person without one gets the imported ledger. A person's ledger is their history
    rows (one hire, then promotions and corrections in date order) or, when the
    source has no history for them, a hire at the row's level on the hire date.
    """
    plans = [PersonPlan(row=row) for row in people]
    by_key: dict[str, list[PersonPlan]] = defaultdict(list)
    by_email: dict[str, list[PersonPlan]] = defaultdict(list)
    for plan in plans:
        plan.problems.extend(plan.row.read_problems)
        if require_key and not text(plan.row.values.get("source_key")):
            plan.problems.append("no source key")
        by_key[plan.key].append(plan)
        plan.email = normalise_email(plan.row.values.get("email"))
        if not plan.email:
            plan.problems.append("no e-mail")
        elif len(plan.email) > EMAIL_LIMIT:
            plan.problems.append(f"the e-mail is longer than {EMAIL_LIMIT} characters")
        else:
            try:
                validate_email(plan.email)
            except ValidationError:
                plan.problems.append(f"{plan.email!r} is not an e-mail address")
            else:
                by_email[plan.email].append(plan)
    for key, same in by_key.items():
        if len(same) > 1:
            for plan in same:
                others = ", ".join(str(p.row.number) for p in same if p is not plan)
                plan.problems.append(f"duplicate key {key!r} (also row {others})")
    for email, same in by_email.items():
        if len(same) > 1:
            for plan in same:
                others = ", ".join(p.ref for p in same if p is not plan)
                plan.problems.append(f"duplicate e-mail {email} (also {others})")

    history_by_email: dict[str, list[SourceRow]] = defaultdict(list)
    history_problems: list[Problem] = []
    for row in history:
        email = normalise_email(row.values.get("email"))
        if not email:
            message = "no e-mail"
        elif email not in by_email:
            message = f"no person with the e-mail {email} among the people rows"
        elif len(by_email[email]) > 1:
            message = f"the e-mail {email} belongs to several people rows"
        else:
            history_by_email[email].append(row)
            continue
        history_problems.append(Problem("history", row.number, row.key, message))

    for plan in plans:
        known = facts.known.get(plan.email)
        if not plan.problems and known is not None and known.has_ledger:
            # History that is already there is never changed, whatever the source says now.
            plan.action = Action.UNCHANGED
            plan.employee_id = known.employee_id
            continue
        _check_person(plan, facts)
        _plan_ledger(plan, history_by_email.get(plan.email, []), facts, history_problems)
        if known is not None and not plan.problems:
            _match_known(plan, known)
        if not plan.problems:
            if plan.employee_id:
                plan.action = Action.ADD_LEDGER
            else:
                plan.action = Action.LINK if plan.user_id else Action.CREATE

    _check_team_leads(plans, facts)
    return PeoplePlan(people=plans, history_problems=history_problems, people_source=people_source)


def _check_person(plan: PersonPlan, facts: PeopleFacts) -> None:
    values = plan.row.values
    plan.first_name = text(values.get("first_name"))
    plan.last_name = text(values.get("last_name"))
    if not plan.first_name and not plan.last_name:
        plan.problems.append("no name: first_name and last_name are both empty")
    for column, value in (("first_name", plan.first_name), ("last_name", plan.last_name)):
        if len(value) > NAME_LIMIT:
            plan.problems.append(f"{column} is longer than {NAME_LIMIT} characters")
    raw_track = text(values.get("track"))
    plan.track = facts.track_names.get(normalise_name(raw_track), "")
    if not raw_track:
        plan.problems.append("no track")
    elif not plan.track:
        plan.problems.append(f"unknown track {raw_track!r}")
    dates = {}
    for column in ("hire_date", "probation_end", "career_start"):
        try:
            dates[column] = parse_date(values.get(column))
        except ValueError as exc:
            plan.problems.append(f"{column}: {exc}")
            dates[column] = None
        else:
            if column == "hire_date" and dates[column] is None:
                plan.problems.append("no hire_date")
            elif problem := date_range_problem(column, dates[column]):
                plan.problems.append(problem)
                dates[column] = None  # nothing below counts with it
    plan.hire_date = dates["hire_date"]
    plan.probation_end = dates["probation_end"]
    plan.career_start = dates["career_start"]
    if plan.hire_date and plan.probation_end and plan.probation_end < plan.hire_date:
        plan.problems.append(
            f"dates out of order: probation_end {plan.probation_end} is before hire_date {plan.hire_date}"
        )
    if plan.hire_date and plan.career_start and plan.career_start > plan.hire_date:
        plan.problems.append(
            f"dates out of order: career_start {plan.career_start} is after hire_date {plan.hire_date}"
        )
    plan.team_lead_email = normalise_email(values.get("team_lead_email"))


def _resolve_level(raw: Any, ladder: TrackLadder, track: str) -> tuple[str, str]:
    """(level code, problem) of a level name on a track's ladder: one of them is empty."""
    name = text(raw)
    if not name:
        return "", "no level"
    code = ladder.names.get(normalise_name(name))
    return (code, "") if code else ("", f"unknown level name {name!r}{ladder.levels_hint(track)}")


def _plan_ledger(
    plan: PersonPlan, rows: list[SourceRow], facts: PeopleFacts, history_problems: list[Problem]
) -> None:
    # Every level of a person's ledger is one of their track's ladder.
    ladder = facts.ladder_of(plan.track)
    level, problem = _resolve_level(plan.row.values.get("level"), ladder, plan.track)
    if problem:
        plan.problems.append(problem)
    if not rows:
        if level and plan.hire_date:
            plan.entries = [PlannedEntry(HIRE, level, plan.hire_date)]
        return

    entries: list[PlannedEntry] = []
    bad_keys: list[str] = []
    for row in rows:
        messages = list(row.read_problems)
        entry_level, level_problem = _resolve_level(row.values.get("level"), ladder, plan.track)
        if level_problem:
            messages.append(level_problem)
        raw_kind = text(row.values.get("kind"))
        kind = facts.kind_names.get(normalise_name(raw_kind), "")
        if not kind:
            messages.append(f"unknown kind {raw_kind!r} (expected hire, promotion or correction)" if raw_kind else "no kind")
        try:
            day = parse_date(row.values.get("date"))
        except ValueError as exc:
            messages.append(f"date: {exc}")
            day = None
        else:
            if day is None:
                messages.append("no date")
            elif problem := date_range_problem("date", day):
                messages.append(problem)
        reason = text(row.values.get("reason"))
        if len(reason) > REASON_LIMIT:
            messages.append(f"the reason is longer than {REASON_LIMIT} characters")
        if messages:
            bad_keys.append(row.key)
            history_problems.extend(Problem("history", row.number, row.key, m) for m in messages)
            continue
        if kind == CORRECTION and not reason:
            reason = NO_REASON
        entries.append(PlannedEntry(kind, entry_level, day, reason, row.key))
    if bad_keys:
        plan.problems.append(f"history row(s) with problems: key {', '.join(bad_keys)}")
        return

    # Stable: entries of one day keep the order the source gave them, but a hire
    # comes first on its day.
    entries.sort(key=lambda e: (e.date, e.kind != HIRE))
    hires = [e for e in entries if e.kind == HIRE]
    if len(hires) != 1:
        plan.problems.append(
            f"the history has {len(hires)} hire entries (key {', '.join(e.key for e in hires) or '-'}); it needs exactly one"
        )
        return
    hire = hires[0]
    if entries[0] is not hire:
        first = entries[0]
        plan.problems.append(
            f"dates out of order: history key {first.key} ({first.kind}, {first.date}) is before the hire on {hire.date}"
        )
        return
    if plan.hire_date and hire.date != plan.hire_date:
        plan.problems.append(
            f"dates out of order: the history's hire (key {hire.key}) is on {hire.date}, hire_date is {plan.hire_date}"
        )
        return
    for previous, entry in zip(entries, entries[1:]):
        if entry.kind != PROMOTION:
            continue
        before, after = ladder.levels[previous.level], ladder.levels[entry.level]
        if after.rank != before.rank + 1 or after.entry_only:
            plan.problems.append(
                f"history key {entry.key}: a promotion from {before.name} to {after.name} is not a step to the next level"
            )
            return
    if level and entries[-1].level != level:
        plan.problems.append(
            f"the level {ladder.levels[level].name} differs from the history's latest entry "
            f"({ladder.levels[entries[-1].level].name}, key {entries[-1].key})"
        )
        return
    plan.entries = entries


def _match_known(plan: PersonPlan, known: KnownPerson) -> None:
    if len(known.user_ids) > 1:
        plan.problems.append(f"{len(known.user_ids)} accounts use the e-mail {plan.email}; cannot tell which one is meant")
        return
    plan.user_id = known.user_ids[0] if known.user_ids else None
    if known.employee_id is None:
        return
    # An employee without any ledger: the imported ledger goes onto the person as they are.
    if known.hire_date != plan.hire_date:
        plan.problems.append(
            f"the person is in the system with the hire date {known.hire_date}, the source says {plan.hire_date}"
        )
    elif known.track != plan.track:
        plan.problems.append(f"the person is in the system on the {known.track} track, the source says {plan.track}")
    else:
        plan.employee_id = known.employee_id


def _check_team_leads(plans: list[PersonPlan], facts: PeopleFacts) -> None:
    """A new person's team lead must be imported too or already be an employee.

    Repeated until nothing changes: skipping a lead skips the people who report to them.
    """
    in_source = {}
    for plan in plans:
        in_source.setdefault(plan.email, plan)
    changed = True
    while changed:
        changed = False
        for plan in plans:
            if plan.action not in (Action.CREATE, Action.LINK) or not plan.team_lead_email:
                continue
            lead_email = plan.team_lead_email
            lead = in_source.get(lead_email)
            known = facts.known.get(lead_email)
            if known is not None and known.employee_id is not None and len(known.user_ids) == 1:
                plan.team_lead_id = known.employee_id
            if lead_email == plan.email:
                problem = "the person is their own team lead"
            elif lead is not None and lead.action != Action.SKIP:
                continue
            elif plan.team_lead_id is not None:
                continue
            elif lead is not None:
                problem = f"team lead {lead_email} is skipped ({lead.ref})"
            else:
                problem = f"team lead {lead_email} is missing: not among the people rows and not in the system"
            plan.problems.append(problem)
            plan.action = Action.SKIP
            changed = True


# --- SQL statements -------------------------------------------------------------------------

# sqlglot's name for each Django database vendor the legacy import reads.
SQL_DIALECTS = {"mysql": "mysql", "sqlite": "sqlite", "postgresql": "postgres"}
_DIALECT_NAMES = {"mysql": "MySQL/MariaDB", "sqlite": "SQLite", "postgres": "PostgreSQL"}

# Whitespace every engine and the parser agree on. Anything else that is invisible is
# refused: MariaDB reads "--" followed by a no-break space as two minus signs and a
# name, where a parser that calls it whitespace sees a comment.
_PLAIN_WHITESPACE = frozenset(" \t\n\r\x0b\x0c")
# MySQL and MariaDB run what /*! ... */ and /*M! ... */ hold; /*+ ... */ are optimizer
# hints, which can change session settings for the statement.
_EXECUTABLE_COMMENT = re.compile(r"/\*(?:!|M!|\+)", re.IGNORECASE)
# How a driver reads a statement with %(name)s parameters: %% is a literal %.
_PERCENT = re.compile(r"%%|%\((\w+)\)s|%")
# Parse nodes that change something or are not part of a query: refused wherever
# they appear (PostgreSQL runs a DELETE inside WITH, for example).
_WRITING_NODES = (
    exp.DML, exp.DDL, exp.Drop, exp.Alter, exp.Command, exp.Set, exp.Transaction, exp.Commit,
    exp.Rollback, exp.Pragma, exp.Use, exp.Kill, exp.Grant, exp.Revoke, exp.LoadData,
    exp.TruncateTable, exp.Execute, exp.Cache, exp.Uncache, exp.Refresh, exp.Export,
    exp.Declare, exp.Analyze,
)
_LOCKING_PAIRS = {("FOR", "UPDATE"), ("FOR", "SHARE"), ("FOR", "NO"), ("FOR", "KEY"), ("LOCK", "IN")}
_INTO_MESSAGE = "SELECT ... INTO writes (a table, a variable or a file on the server); only plain SELECT statements are allowed"
_LOCKING_MESSAGE = "locking reads (FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE) are not allowed"


def check_select_only(sql: str, *, dialect: str = "mysql", template: bool = True) -> None:
    """Raise ValueError unless `sql` is one statement that only reads, as `dialect` parses it.

    `dialect` is sqlglot's name for the source engine ("mysql", "sqlite", "postgres"):
    comments, quotes and escapes differ between engines (MySQL: "#" starts a comment,
    "--" only when followed by a space or control character, backslash escapes in
    strings; SQLite and PostgreSQL: none of these), so the text must be read as the
    engine that will run it reads it. Accepted: one SELECT, WITH ... SELECT or a UNION
    of SELECTs. Refused: a second statement, anything that writes or changes the
    session (including SELECT ... INTO a table, variable or file), locking reads,
    MySQL's executable comments and optimizer hints, invisible characters.

    With `template` the text is a statement with %(name)s parameters, as the mapping
    holds it; each parameter must stand where a value goes (not inside quotes or a
    comment, where the driver would still paste the value). Without it, the text is
    final, as the driver sends it.
    """
    if not sql.strip():
        raise ValueError("the statement is empty")
    _check_characters(sql)
    comment = _EXECUTABLE_COMMENT.search(sql)
    if comment:
        raise ValueError(
            f"{comment.group()} ... */ is refused: MySQL and MariaDB run what executable comments and "
            "optimizer hints hold; write plain SQL"
        )
    text, markers = _bind_markers(sql) if template else (sql, {})
    name = _DIALECT_NAMES.get(dialect, dialect)
    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(text)
    except (TokenError, ValueError) as exc:
        raise ValueError(f"it cannot be read as {name} SQL ({exc}); check its quotes and comments") from None
    if all(t.token_type == TokenType.SEMICOLON for t in tokens):
        raise ValueError("the statement is empty")
    # Keywords and names outside quotes, for the locking-read check below.
    words = [
        t.text.upper() for t in tokens
        if t.token_type != TokenType.IDENTIFIER and not t.token_type.name.endswith("STRING")
    ]
    first_semicolon = next((i for i, t in enumerate(tokens) if t.token_type == TokenType.SEMICOLON), len(tokens))
    if any(t.token_type != TokenType.SEMICOLON for t in tokens[first_semicolon:]):
        raise ValueError("only one statement is allowed; remove the text after the semicolon")
    if tokens[0].token_type not in (TokenType.SELECT, TokenType.WITH, TokenType.L_PAREN):
        raise ValueError(f"only SELECT statements are allowed; this one starts with {tokens[0].text.upper()}")
    if any(t.token_type == TokenType.INTO for t in tokens):
        raise ValueError(_INTO_MESSAGE)
    if any(pair in _LOCKING_PAIRS for pair in zip(words, words[1:])):
        raise ValueError(_LOCKING_MESSAGE)
    found = {t.text for t in tokens if t.token_type == TokenType.VAR and t.text in markers}
    for marker, parameter in markers.items():
        if marker not in found:
            raise ValueError(
                f"the parameter %({parameter})s is inside quotes, a comment or a name; "
                "put it where a value goes, outside quotes"
            )

    try:
        parsed = [tree for tree in sqlglot.parse(text, read=dialect) if tree is not None and not isinstance(tree, exp.Semicolon)]
    except ParseError as exc:
        error = exc.errors[0] if exc.errors else {}
        where = f" at line {error['line']}, column {error['col']}" if "line" in error else ""
        raise ValueError(
            f"it cannot be read as {name} SQL: {error.get('description', exc)}{where}"
        ) from None
    if len(parsed) != 1:
        raise ValueError("only one statement is allowed; remove the text after the semicolon")
    (tree,) = parsed
    if not isinstance(tree, (exp.Select, exp.SetOperation)):
        raise ValueError(
            f"only SELECT statements are allowed; this one starts with {tokens[0].text.upper()} "
            f"and is a {tree.key.upper()}"
        )
    for node in tree.walk():
        if isinstance(node, exp.Into):
            raise ValueError(_INTO_MESSAGE)
        if isinstance(node, exp.Lock):
            raise ValueError(_LOCKING_MESSAGE)
        if isinstance(node, _WRITING_NODES):
            raise ValueError(f"only SELECT statements are allowed; this one contains a {node.key.upper()}")


def _check_characters(sql: str) -> None:
    """Refuse control characters and unusual spaces, which engines and parsers read differently."""
    line, column = 1, 0
    for char in sql:  # not splitlines(): it would swallow U+001C..U+001E, U+0085, U+2028 as line ends
        column += 1
        if char == "\n":
            line, column = line + 1, 0
        elif char not in _PLAIN_WHITESPACE and (
            char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")
        ):
            raise ValueError(
                f"it contains the invisible character U+{ord(char):04X} at line {line}, column {column}; "
                "use plain spaces, tabs and line breaks"
            )


def _bind_markers(sql: str) -> tuple[str, dict[str, str]]:
    """The statement as a driver would see it, with each %(name)s replaced by a unique name.

    A statement without parameters runs as written (no %-processing). With them, %%
    becomes % and a lone % is refused, as the driver would fail on it. Returns the
    text and {marker: parameter name}.
    """
    if not statement_parameters(sql):
        return sql, {}
    markers: dict[str, str] = {}

    def replace(match: re.Match) -> str:
        if match.group() == "%%":
            return "%"
        if match.group(1) is None:
            raise ValueError(
                "a literal % must be written %% in a statement that uses parameters "
                "(as in LIKE 'a%%'); parameters are written %(name)s"
            )
        marker = f"gradesys_parameter_{len(markers)}"
        markers[marker] = match.group(1)
        return marker

    return _PERCENT.sub(replace, sql), markers


def statement_parameters(sql: str) -> list[str]:
    """The names of the %(name)s parameters a statement uses (%% is a literal %, not a parameter)."""
    return sorted({match.group(1) for match in _PERCENT.finditer(sql) if match.group(1)})


# --- Requirements spreadsheet ---------------------------------------------------------------

REQUIREMENT_REQUIRED = ("track", "level", "key", "category", "text")
REQUIREMENT_OPTIONAL = ("text_en", "origin", "check_kind", "check_params")

# A check's parameters are a small JSON object ({"years": 5}; the largest, mentee_promoted,
# names a few level codes). The limits refuse, with a message, what would otherwise end
# in a server error: nesting deep enough to exhaust Python's recursion, or an integer
# longer than the 4,300 digits Python turns into a number.
CHECK_PARAMS_MAX_LENGTH = 1000
CHECK_PARAMS_MAX_DEPTH = 4
CHECK_PARAMS_MAX_DIGITS = 20


def parse_check_params(raw: str) -> Any:
    """The value of a `check_params` cell, parsed as JSON within the limits above.

    Raises ValueError with a sentence for a person (naming the cell's start, not all of
    it) when the text is too long, nested too deep, holds too long a number or is not
    JSON. Whether the value suits the check is grades.rules.validate_check's to say.
    """
    shown = repr(raw if len(raw) <= 40 else raw[:40] + "…")
    if len(raw) > CHECK_PARAMS_MAX_LENGTH:
        raise ValueError(
            f"{shown} is longer than {CHECK_PARAMS_MAX_LENGTH} characters; "
            'a check\'s parameters are a small JSON object, e.g. {"years": 5}'
        )
    if _json_depth(raw) > CHECK_PARAMS_MAX_DEPTH:
        raise ValueError(f"{shown} is nested more than {CHECK_PARAMS_MAX_DEPTH} levels deep")

    def bounded_int(digits: str) -> int:
        if len(digits.lstrip("-")) > CHECK_PARAMS_MAX_DIGITS:
            raise ValueError(f"{shown} holds a number longer than {CHECK_PARAMS_MAX_DIGITS} digits")
        return int(digits)

    try:
        return json.loads(raw, parse_int=bounded_int)
    except json.JSONDecodeError:
        raise ValueError(f'{shown} is not JSON, e.g. {{"years": 5}}') from None


def _json_depth(text: str) -> int:
    """How deep `[` and `{` nest in `text`, outside JSON strings (counted without recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def fingerprint(plan) -> str:
    """A digest of everything a plan would write: what a person agrees to in a preview."""
    import hashlib
    import json

    items = json.dumps(plan.fingerprint_items(), sort_keys=True, default=str)
    return hashlib.sha256(items.encode()).hexdigest()
