"""
Syncing people with the HR system's export, which is the source of truth about who works here.

Each row names a person by their HR key (`source_key`). A person the system does not
know yet is created as the people import creates one (imports.people: the same checks,
the same bulk writer), and remembered under their key (imports.models.PersonSource).
A person it knows, by their key or, the first time, by their e-mail, gets the name,
e-mail, team lead, track, probation end and career start the file gives. Their level
and hire date are the grade ledger's, which a sync never rewrites: the level of a row
is read only for a new person, and a hire date that differs from the one recorded is a
refused row, except for a person who has left and comes back (see below).

A full sync (`full`) also marks as leaving, on the day it runs, everyone still here who
is not in the file. A file cut short would mark nearly everyone, so a full sync that
would mark more than `max_leave_share` of the people still here is refused unless
`allow_mass_leave` says it is meant.

A person who has left and is in the file again is back: when the file's hire date is
the one recorded (they were marked as leaving by mistake, or by a file cut short) or
is after the day they left (HR hired them again), the leaving date is cleared and they
go on with their ledger, their history and their account; a new hire date is kept as
HR's (PersonSource.hire_date) so that the next sync sees nothing to change. Any other
hire date is refused with the reason.

A row that cannot be applied is refused whole, with its key and the reasons, and the
rest is applied; a refused row still counts as its person being in the file, so a full
sync never marks them as leaving. A file whose keys or e-mails repeat is refused whole.
Everything is planned and written in one transaction; running the same file again
changes nothing and says so. Every change is in the history of the rows it touches
(employees, HR keys, the grade ledger for a track change) and in the run's report,
kept in an ImportRun; a changed name or e-mail of an account is recorded there.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from grades import policies as grade_policies

from . import people, rules, selectors, services
from .models import ImportKind

SYNC_REQUIRED = ("source_key",) + rules.PEOPLE_REQUIRED
SYNC_OPTIONAL = ("probation_end", "career_start", "team_lead_email")
DEFAULT_MAX_LEAVE_SHARE = 0.2
REASON = "HR sync"
KEY_LIMIT = 100  # PersonSource.source_key


class Action:
    CREATE = "created"
    UPDATE = "updated"
    REHIRE = "rehired"
    UNCHANGED = "unchanged"
    REFUSE = "refused"


@dataclass(frozen=True)
class StoredPerson:
    """An employee as the system holds them, with their HR key when they have one."""

    employee_id: int
    user_id: int
    email: str
    first_name: str
    last_name: str
    track: str
    team_lead_id: int | None
    hire_date: datetime.date
    probation_end: datetime.date | None
    career_start: datetime.date
    left_on: datetime.date | None
    source_key: str = ""
    source_hire_date: datetime.date | None = None

    def has_left(self, today: datetime.date) -> bool:
        return self.left_on is not None and self.left_on <= today


@dataclass(frozen=True)
class SyncFacts:
    people: dict[int, StoredPerson]  # every employee, by id
    accounts: dict[str, tuple[int, ...]]  # user ids by lower-case e-mail, for the file's addresses
    # Normalised name -> track slug, retired tracks too: a person may stay on one.
    track_names: dict[str, str]
    active_tracks: frozenset[str]
    today: datetime.date

    def employee_by_key(self, key: str) -> StoredPerson | None:
        # Keys are compared without case, as MariaDB's collation compares them.
        return self._by_key.get(key.casefold())

    def employees_by_email(self, email: str) -> list[StoredPerson]:
        return self._by_email.get(email, [])

    def __post_init__(self):
        by_key, by_email = {}, {}
        for person in self.people.values():
            if person.source_key:
                by_key[person.source_key.casefold()] = person
            by_email.setdefault(person.email, []).append(person)
        object.__setattr__(self, "_by_key", by_key)
        object.__setattr__(self, "_by_email", by_email)


@dataclass
class RowPlan:
    row: rules.SourceRow
    action: str = Action.UNCHANGED
    email: str = ""
    stored: StoredPerson | None = None  # the person the row names, when the system has them
    # (field, old, new) as the report shows them; `values` holds what is written.
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    values: dict = field(default_factory=dict)
    track: str = ""
    rehire: bool = False
    link: bool = False  # the person gets their HR key now
    source_hire_date: datetime.date | None = None  # HR's hire date, stored with the key
    lead_email: str = ""
    lead_id: int | None = None  # an existing employee
    lead_row: RowPlan | None = None  # a person created by this sync
    lead_changes: bool = False
    new: rules.PersonPlan | None = None
    problems: list[str] = field(default_factory=list)
    employee_id: int | None = None  # after writing

    @property
    def key(self) -> str:
        return rules.text(self.row.values.get("source_key"))

    @property
    def where(self) -> str:
        return f"row {self.row.number}" + (f" (key {self.key})" if self.key else "")

    def refuse(self, message: str) -> None:
        self.problems.append(message)
        self.action = Action.REFUSE


@dataclass(frozen=True)
class Leaver:
    person: StoredPerson
    left_on: datetime.date


@dataclass
class SyncPlan:
    rows: list[RowPlan]
    full: bool
    leavers: list[Leaver] = field(default_factory=list)
    active: int = 0  # people here (not left) before the sync
    max_leave_share: float = DEFAULT_MAX_LEAVE_SHARE

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def changed(self) -> int:
        return self.count(Action.CREATE) + self.count(Action.UPDATE) + self.count(Action.REHIRE) + len(self.leavers)

    @property
    def mass_leave(self) -> bool:
        return bool(self.leavers) and len(self.leavers) > self.max_leave_share * self.active

    def fingerprint_items(self) -> list:
        """What a confirmation agrees to (rules.fingerprint): every change, with the rows
        already here it touches, so that a change in between shows as a new plan."""
        items = []
        for row in self.rows:
            if row.action in (Action.UNCHANGED, Action.REFUSE):
                continue
            lead = row.lead_row.row.number if row.lead_row is not None else row.lead_id
            new = row.new and (row.new.user_id, row.new.track, row.new.level, row.new.hire_date)
            stored = row.stored and row.stored.employee_id
            items.append((row.key, row.email, row.action, row.changes, lead, new, stored))
        items += [(leaver.person.employee_id, leaver.left_on) for leaver in self.leavers]
        return items

    def mass_leave_message(self) -> str:
        return (
            f"This full sync would mark {len(self.leavers)} of the {self.active} people here as leaving "
            f"(more than {self.max_leave_share:.0%}); is the file complete? Nothing was written. "
            "If so many people really left, run it again with --allow-mass-leave."
        )


@dataclass
class SyncOutcome:
    plan: SyncPlan
    dry_run: bool
    source: str = ""
    run: object = None

    def report(self) -> str:
        return "\n".join(report_lines(self.plan, dry_run=self.dry_run, source=self.source))


# --- Planning ---------------------------------------------------------------------------------


def check_file(rows: Sequence[rules.SourceRow]) -> None:
    """Refuse (services.ImportRefused) a file whose keys or e-mail addresses repeat: which
    row is the person would be a guess."""
    problems = []
    def key(value) -> str:  # without case, as MariaDB's collation compares keys
        return rules.text(value).casefold()

    for column, read in (("source_key", key), ("email", rules.normalise_email)):
        numbers: dict[str, list[int]] = {}
        for row in rows:
            value = read(row.values.get(column))
            if value:
                numbers.setdefault(value, []).append(row.number)
        for value, found in numbers.items():
            if len(found) > 1:
                problems.append(f"the {column} {value} is on rows {', '.join(map(str, found))}")
    if problems:
        raise services.ImportRefused(
            "The file is refused, nothing was changed: " + "; ".join(problems) + ". Each person must be on one row."
        )


def plan(
    rows: Sequence[rules.SourceRow],
    *,
    full: bool,
    may_move_tracks: bool,
    max_leave_share: float = DEFAULT_MAX_LEAVE_SHARE,
) -> SyncPlan:
    """What syncing these rows would change, checked against the database as it is now."""
    check_file(rows)
    facts = selectors.sync_facts(rows)
    plans = [_match(row, facts) for row in rows]
    taken: dict[int, RowPlan] = {}
    for row_plan in plans:
        if row_plan.stored is None:
            continue
        other = taken.setdefault(row_plan.stored.employee_id, row_plan)
        if other is not row_plan:
            row_plan.refuse(f"{other.where} names the same person")
    for row_plan in plans:
        if row_plan.action != Action.REFUSE and row_plan.stored is not None:
            _plan_existing(row_plan, facts, may_move_tracks)
    _plan_new([p for p in plans if p.action != Action.REFUSE and p.stored is None])
    _plan_leads(plans, facts, full=full)
    for row_plan in plans:
        if row_plan.action == Action.UNCHANGED and row_plan.stored is not None and row_plan.lead_changes:
            row_plan.action = Action.UPDATE
    result = SyncPlan(rows=plans, full=full, max_leave_share=max_leave_share)
    result.active = sum(1 for person in facts.people.values() if person.left_on is None)
    if full:
        present = {p.stored.employee_id for p in plans if p.stored is not None}
        result.leavers = [
            Leaver(person, max(facts.today, person.hire_date))
            for person in facts.people.values()
            if person.left_on is None and person.employee_id not in present
        ]
    return result


def _match(row: rules.SourceRow, facts: SyncFacts) -> RowPlan:
    """The row's plan with the person it names, by HR key or else by e-mail."""
    row_plan = RowPlan(row=row, email=rules.normalise_email(row.values.get("email")))
    row_plan.problems.extend(row.read_problems)
    key = row_plan.key
    by_email = facts.employees_by_email(row_plan.email) if row_plan.email else []
    if not key:
        row_plan.problems.append("no source_key: the HR system's key of the person")
    elif len(key) > KEY_LIMIT:
        row_plan.problems.append(f"the source_key is longer than {KEY_LIMIT} characters")
    else:
        row_plan.stored = facts.employee_by_key(key)
    if row_plan.stored is None and len(by_email) == 1:
        person = by_email[0]
        row_plan.stored = person
        if person.source_key and person.source_key.casefold() != key.casefold():
            row_plan.problems.append(
                f"the person with the e-mail {row_plan.email} has the HR key {person.source_key}, not {key or '-'}"
            )
        else:
            row_plan.link = bool(key)
    elif row_plan.stored is None and len(by_email) > 1:
        row_plan.problems.append(f"{len(by_email)} people use the e-mail {row_plan.email}; cannot tell which one is meant")
    if row_plan.problems:
        row_plan.action = Action.REFUSE
    return row_plan


def _parse_dates(row_plan: RowPlan) -> dict:
    dates = {}
    for column in ("hire_date", "probation_end", "career_start"):
        try:
            day = rules.parse_date(row_plan.row.values.get(column))
        except ValueError as exc:
            row_plan.problems.append(f"{column}: {exc}")
            day = None
        else:
            if problem := rules.date_range_problem(column, day):
                row_plan.problems.append(problem)
                day = None
        dates[column] = day
    if dates["hire_date"] is None and not any(p.startswith("hire_date") for p in row_plan.problems):
        row_plan.problems.append("no hire_date")
    return dates


def _plan_existing(row_plan: RowPlan, facts: SyncFacts, may_move_tracks: bool) -> None:
    """Compare a known person's row with what is stored; refuse it whole when anything is wrong."""
    stored = row_plan.stored
    values = row_plan.row.values
    first, last = rules.text(values.get("first_name")), rules.text(values.get("last_name"))
    problems = row_plan.problems
    if not first and not last:
        problems.append("no name: first_name and last_name are both empty")
    for column, value in (("first_name", first), ("last_name", last)):
        if len(value) > rules.NAME_LIMIT:
            problems.append(f"{column} is longer than {rules.NAME_LIMIT} characters")
    email = row_plan.email
    if not email:
        problems.append("no e-mail")
    elif len(email) > rules.EMAIL_LIMIT:
        problems.append(f"the e-mail is longer than {rules.EMAIL_LIMIT} characters")
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"{email!r} is not an e-mail address")
        else:
            others = [pk for pk in facts.accounts.get(email, ()) if pk != stored.user_id]
            if others:
                problems.append(f"the e-mail {email} is another account's")
    raw_track = rules.text(values.get("track"))
    row_plan.track = facts.track_names.get(rules.normalise_name(raw_track), "")
    if not raw_track:
        problems.append("no track")
    elif not row_plan.track:
        problems.append(f"unknown track {raw_track!r}")
    dates = _parse_dates(row_plan)
    hire_date = dates["hire_date"]
    hr_hire = stored.source_hire_date or stored.hire_date
    row_plan.source_hire_date = hr_hire
    if hire_date and hire_date != hr_hire:
        if stored.has_left(facts.today) and hire_date > stored.left_on:
            row_plan.source_hire_date = hire_date
        elif stored.has_left(facts.today):
            problems.append(
                f"the person left on {stored.left_on}; the hire_date {hire_date} is neither the recorded "
                f"{hr_hire} nor after they left, as a rehire's would be"
            )
        else:
            problems.append(
                f"the hire_date {hire_date} differs from the recorded {hr_hire}; a hire date is the first "
                "entry of the grade ledger, which a sync does not rewrite (correct it in the admin)"
            )
    for column in ("probation_end", "career_start"):
        day = dates[column]
        if day is None:
            continue  # an empty cell leaves the stored date as it is
        if column == "probation_end" and day < stored.hire_date:
            problems.append(f"dates out of order: probation_end {day} is before the hire date {stored.hire_date}")
        if column == "career_start" and day > stored.hire_date:
            problems.append(f"dates out of order: career_start {day} is after the hire date {stored.hire_date}")
    if row_plan.track and row_plan.track != stored.track and row_plan.track not in facts.active_tracks:
        problems.append(f"the {row_plan.track} track is retired; nobody can be moved onto it")
    elif row_plan.track and row_plan.track != stored.track and not may_move_tracks:
        problems.append(
            f"the track changes from {stored.track} to {row_plan.track}, and moving a person to another "
            "track is HR's: run the sync as an HR account (--user)"
        )
    row_plan.lead_email = rules.normalise_email(values.get("team_lead_email"))
    if problems:
        row_plan.action = Action.REFUSE
        return

    def differs(name, old, new):
        if old != new:
            row_plan.changes.append((name, _shown(old), _shown(new)))
            row_plan.values[name] = new

    if stored.has_left(facts.today):
        row_plan.rehire = True
        row_plan.changes.append(("left_on", _shown(stored.left_on), "-"))
    differs("first_name", stored.first_name, first)
    differs("last_name", stored.last_name, last)
    differs("email", stored.email, email)
    differs("track", stored.track, row_plan.track)
    for column in ("probation_end", "career_start"):
        if dates[column] is not None:
            differs(column, getattr(stored, column), dates[column])
    if row_plan.link:
        row_plan.changes.append(("HR key", "-", row_plan.key))
    if row_plan.source_hire_date != (stored.source_hire_date or stored.hire_date):
        row_plan.changes.append(("hire date in HR", _shown(hr_hire), _shown(row_plan.source_hire_date)))
    if row_plan.rehire:
        row_plan.action = Action.REHIRE
    elif row_plan.changes:
        row_plan.action = Action.UPDATE


def _plan_new(new_rows: list[RowPlan]) -> None:
    """New people are planned by the people import's own planner, without their team leads,
    which `_plan_leads` resolves among everyone in the file."""
    if not new_rows:
        return
    rows = [
        replace(row_plan.row, values={**row_plan.row.values, "team_lead_email": ""}) for row_plan in new_rows
    ]
    people_plan = people.plan(rows, (), people_source="row", require_key=True)
    for row_plan, person in zip(new_rows, people_plan.people):
        row_plan.lead_email = rules.normalise_email(row_plan.row.values.get("team_lead_email"))
        row_plan.new = person
        if person.writes:
            row_plan.action = Action.CREATE
            row_plan.source_hire_date = person.hire_date
        else:
            for message in person.problems or ["the person cannot be created"]:
                row_plan.refuse(message)


def _plan_leads(plans: list[RowPlan], facts: SyncFacts, *, full: bool) -> None:
    """Each row's team lead: a person in the file, or (unless the sync is full, where
    everyone missing from the file leaves) someone here. Unknown leads, leads who left,
    leads whose own row is refused and cycles refuse the row; repeated until nothing
    changes, since a refused new person cannot lead anyone."""
    in_file = {p.email: p for p in plans if p.email}
    changed = True
    while changed:
        changed = False
        for row_plan in plans:
            if row_plan.action == Action.REFUSE:
                continue
            problem = _resolve_lead(row_plan, in_file, facts, full=full)
            if problem:
                row_plan.refuse(problem)
                changed = True
        for cycle in _cycles(plans, facts):
            names = " → ".join(p.email for p in cycle + [cycle[0]])
            for row_plan in cycle:
                if row_plan.action != Action.REFUSE:
                    row_plan.refuse(f"the team leads go round in a cycle: {names}")
                    changed = True


def _resolve_lead(row_plan: RowPlan, in_file: dict, facts: SyncFacts, *, full: bool) -> str:
    lead_email = row_plan.lead_email
    row_plan.lead_id, row_plan.lead_row = None, None
    if lead_email and lead_email == row_plan.email:
        return "the person is their own team lead"
    lead = in_file.get(lead_email) if lead_email else None
    if lead is not None:
        if lead.stored is not None:
            if lead.action == Action.REFUSE and lead.stored.has_left(facts.today):
                return f"team lead {lead_email} left on {lead.stored.left_on} and their {lead.where} is refused"
            row_plan.lead_id = lead.stored.employee_id
        elif lead.action == Action.REFUSE:
            return f"team lead {lead_email} is not created: their {lead.where} is refused"
        else:
            row_plan.lead_row = lead
    elif lead_email:
        here = [p for p in facts.employees_by_email(lead_email)]
        if len(here) != 1:
            return f"team lead {lead_email} is unknown: not in the file and not in the system"
        if full:
            return f"team lead {lead_email} is not in the file, so this full sync marks them as leaving"
        if here[0].has_left(facts.today):
            return f"team lead {lead_email} left on {here[0].left_on}"
        row_plan.lead_id = here[0].employee_id
    stored = row_plan.stored
    if stored is not None:
        current = stored.team_lead_id
        row_plan.lead_changes = row_plan.lead_row is not None or row_plan.lead_id != current
        if row_plan.lead_changes:
            old = facts.people[current].email if current else "-"
            row_plan.values["team_lead"] = True
            entry = ("team lead", old, lead_email or "-")
            row_plan.changes = [c for c in row_plan.changes if c[0] != "team lead"] + [entry]
    return ""


def _cycles(plans: list[RowPlan], facts: SyncFacts) -> list[list[RowPlan]]:
    """Cycles of team leads as they would be after the sync, through at least one row that is applied."""
    node_of = {}
    for row_plan in plans:
        node_of[id(row_plan)] = ("e", row_plan.stored.employee_id) if row_plan.stored else ("r", row_plan.row.number)
    rows_by_node = {node_of[id(p)]: p for p in plans}

    def lead_of(node):
        row_plan = rows_by_node.get(node)
        if row_plan is not None and row_plan.action != Action.REFUSE:
            if row_plan.lead_row is not None:
                return node_of[id(row_plan.lead_row)]
            return ("e", row_plan.lead_id) if row_plan.lead_id else None
        if node[0] == "e":
            lead = facts.people[node[1]].team_lead_id
            return ("e", lead) if lead else None
        return None

    found, seen = [], set()
    for row_plan in plans:
        if row_plan.action == Action.REFUSE:
            continue
        start = node_of[id(row_plan)]
        path, node = [], start
        while node is not None and node not in path and len(path) <= len(facts.people) + len(plans):
            path.append(node)
            node = lead_of(node)
        if node == start:
            key = frozenset(path)
            if key not in seen:
                seen.add(key)
                found.append([rows_by_node[n] for n in path if n in rows_by_node])
    return found


def _shown(value) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# --- Running ----------------------------------------------------------------------------------


def sync_people(
    rows: Sequence[rules.SourceRow],
    *,
    full: bool = False,
    dry_run: bool = False,
    allow_mass_leave: bool = False,
    max_leave_share: float = DEFAULT_MAX_LEAVE_SHARE,
    by=None,
    source: str = "",
    expected_fingerprint: str | None = None,
) -> SyncOutcome:
    """Plan, and unless `dry_run` write, in one transaction; the outcome's report says what changed.

    Raises services.ImportRefused (nothing written) for a file whose keys or e-mails
    repeat, and for a full sync that would mark more than `max_leave_share` of the
    people as leaving without `allow_mass_leave`; services.PreviewOutdated when
    `expected_fingerprint` (what a person confirmed in a preview) is no longer the plan's.
    """
    may_move = may_move_tracks(by)
    options = dict(full=full, may_move_tracks=may_move, max_leave_share=max_leave_share)
    try:
        with transaction.atomic():
            the_plan = plan(rows, **options)
            if the_plan.mass_leave and not allow_mass_leave and not dry_run:
                raise services.ImportRefused(the_plan.mass_leave_message())
            if expected_fingerprint is not None and rules.fingerprint(the_plan) != expected_fingerprint:
                raise services.PreviewOutdated(
                    "The people changed since the preview; nothing was written. "
                    "Check the new preview and confirm again."
                )
            outcome = SyncOutcome(plan=the_plan, dry_run=dry_run, source=source)
            if dry_run or not the_plan.changed:
                return outcome
            services.sync_write(plan=the_plan, by=by, reason=REASON)
            if the_plan.changed:
                outcome.run = services.import_run_record(
                    kind=ImportKind.HR_SYNC,
                    source=source,
                    by=by,
                    written=the_plan.changed,
                    unchanged=the_plan.count(Action.UNCHANGED),
                    skipped=the_plan.count(Action.REFUSE),
                    report=outcome.report(),
                )
            return outcome
    except IntegrityError as exc:
        raise services.ImportRefused(
            f"Someone changed the same people while the sync ran ({exc}); nothing was written. Run it again."
        ) from exc


def may_move_tracks(by) -> bool:
    """Whether a sync run by `by` may move people to another track (grades: HR only)."""
    return by is not None and by.is_authenticated and grade_policies.may_record_grade_change(by)


def report_lines(the_plan: SyncPlan, *, dry_run: bool, source: str = "", mass_leave_note: bool = True) -> list[str]:
    """Counts first, then one line per change and per refused row; a dry run that the
    mass-leave guard would refuse says so (`mass_leave_note`; the admin says it its own way)."""
    verbs = {
        Action.CREATE: "to create" if dry_run else "created",
        Action.UPDATE: "to update" if dry_run else "updated",
        Action.REHIRE: "to take back" if dry_run else "taken back",
        "left": "to mark as leaving" if dry_run else "marked as leaving",
    }
    kind = "full sync" if the_plan.full else "sync (people missing from the file are left alone)"
    lines = [
        f"HR {kind}{f' of {source}' if source else ''}: {len(the_plan.rows)} row(s): "
        f"{the_plan.count(Action.CREATE)} {verbs[Action.CREATE]}, {the_plan.count(Action.UPDATE)} {verbs[Action.UPDATE]}, "
        f"{the_plan.count(Action.REHIRE)} {verbs[Action.REHIRE]} after leaving, "
        f"{len(the_plan.leavers)} {verbs['left']}, {the_plan.count(Action.UNCHANGED)} unchanged, "
        f"{the_plan.count(Action.REFUSE)} refused."
    ]
    for row_plan in the_plan.rows:
        if row_plan.action == Action.CREATE:
            person = row_plan.new
            lead = f", team lead {row_plan.lead_email}" if row_plan.lead_email else ""
            lines.append(
                f"  {verbs[Action.CREATE]} {row_plan.where}: {person.email}, {person.first_name} {person.last_name}, "
                f"track {person.track}, level {person.level}, hired {person.hire_date}{lead}"
            )
        elif row_plan.action in (Action.UPDATE, Action.REHIRE):
            changes = "; ".join(f"{name} {old} → {new}" for name, old, new in row_plan.changes)
            lines.append(f"  {verbs[row_plan.action]} {row_plan.where}, {row_plan.email}: {changes}")
    for leaver in the_plan.leavers:
        key = f"key {leaver.person.source_key}, " if leaver.person.source_key else ""
        lines.append(f"  {verbs['left']} ({key}{leaver.person.email}): left on {leaver.left_on}")
    for row_plan in the_plan.rows:
        if row_plan.action == Action.REFUSE:
            lines.append(f"  refused {row_plan.where}: {'; '.join(row_plan.problems)}")
    if dry_run and mass_leave_note and the_plan.full and the_plan.mass_leave:
        lines.append(the_plan.mass_leave_message().replace(" Nothing was written.", ""))
    if dry_run:
        lines.append("Dry run: nothing was written.")
    elif not the_plan.changed:
        lines.append("Nothing changed: the system already matches the file.")
    return lines
