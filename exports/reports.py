"""
The CSV reports: one documented, parameterised SELECT each (the skill matrix: a few).

Values from the user (filters) only ever travel as query parameters. Table and
column names in the statements are the product's own (the grades and reviews
apps' tables), never user input. Each statement is written for SQLite and
MySQL/MariaDB alike; the few vendor differences (date formatting) go through
`_fmt_datetime`. The skill matrix, the largest by far, is assembled in Python
from a few small statements (`_skill_matrix_rows`): reading them costs the
database a fraction of what joining its rows in one statement would.
"""

from __future__ import annotations

import datetime
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from grades import rules
from common.validators import validate_calendar_date
from grades.roles import HR, MANAGER
from reviews import policies

from . import csvstream, db
from .csvstream import CODE, DATE, NUMBER, TEXT


@dataclass
class Statement:
    """A report's SELECT in parts, so that its text columns can be wrapped (neutralise_sql).

    `expressions` line up with the report's columns; `order` are ORDER BY expressions
    over the same FROM; `params` fill the %s placeholders of `body` in order.
    """

    expressions: list[str]
    body: str
    params: list
    order: list[str]

    def sql(self) -> str:
        """The plain SELECT; columns keep the positions of the report's columns."""
        return f"SELECT {', '.join(self.expressions)} {self.body} ORDER BY {', '.join(self.order)}"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT


@dataclass
class Report:
    name: str
    title: str
    description: str
    columns: list[Column]
    filters: tuple[str, ...]
    # The report's single statement: build(vendor, filters).
    build: Callable[[str, dict], Statement] | None = None
    # A Python step over the statement's rows, for values the rules compute (roster).
    transform: Callable[[Iterable[list]], Iterator[list]] | None = None
    # Instead of `build`: the rows assembled in Python from a few small statements, already
    # neutralised, as batches: rows(snapshot, filters), every statement on the db.Snapshot.
    rows: Callable[[db.Snapshot, dict], Iterator[list]] | None = None
    source_columns: list[str] = field(default_factory=list)
    # Who may download it (superusers hold every role). Most reports are for HR and
    # managers; pay data is for HR alone.
    roles: tuple[str, ...] = (HR, MANAGER)

    @property
    def restricted(self) -> bool:
        """Narrower than the reports page itself (HR and managers)."""
        return MANAGER not in self.roles

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def kinds(self) -> list[str]:
        return [c.kind for c in self.columns]


def _fmt_datetime(column: str, vendor: str) -> str:
    """A stored UTC datetime as 'YYYY-MM-DD HH:MM:SS' text, the same on every database."""
    if vendor == "mysql":
        return f"DATE_FORMAT({column}, '%%Y-%%m-%%d %%H:%%i:%%s')"
    return f"strftime('%%Y-%%m-%%d %%H:%%M:%%S', {column})"


def _match(clauses: list[str], params: list, value, clause: str) -> None:
    """Add `clause` (one %s) with `value` as its parameter when the filter is given."""
    if value:
        clauses.append(clause)
        params.append(value)


def _where(clauses: list[str]) -> str:
    return ("WHERE " + " AND ".join(clauses)) if clauses else ""


# --- roster -------------------------------------------------------------------------------------


def _rank(vendor: str) -> str:
    # "rank" is a reserved word in MySQL 8.
    return "`rank`" if vendor == "mysql" else '"rank"'


def _roster_sql(vendor: str, f: dict) -> Statement:
    """Current people with their level.

    One row per employee who has not left. The next level is the one after theirs on
    their own ladder (the rung of their track one rank up: grades.models.TrackRung). The last failed defense is the day the
    decision service keeps on the employee row. Months in level
    and the earliest defense date are computed by grades.rules in `_roster_rows`,
    so the statement returns the inputs of that computation.
    """
    clauses, params = ["e.left_on IS NULL"], []
    _match(clauses, params, f.get("track"), "t.slug = %s")
    _match(clauses, params, f.get("level"), "l.code = %s")
    _match(clauses, params, f.get("lead"), "e.team_lead_id = %s")
    rank = _rank(vendor)
    body = f"""
        FROM grades_employee e
        JOIN auth_user u ON u.id = e.user_id
        JOIN grades_track t ON t.id = e.track_id
        LEFT JOIN grades_level l ON l.id = e.current_level_id
        LEFT JOIN grades_trackrung nr ON nr.track_id = e.track_id AND nr.{rank} = l.{rank} + 1
        LEFT JOIN grades_level nl ON nl.id = nr.level_id
        LEFT JOIN grades_employee le ON le.id = e.team_lead_id
        LEFT JOIN auth_user lu ON lu.id = le.user_id
        {_where(clauses)}
    """
    expressions = [
        "e.id", "u.first_name", "u.last_name", "u.email", "t.slug", "l.name",
        "e.current_level_since", "lu.first_name", "lu.last_name", "e.probation_end",
        "nl.min_months_in_previous", "e.last_failed_defense_on",
    ]
    return Statement(expressions, body, params, ["e.id"])


def _as_date(value) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _roster_rows(rows: Iterable[list]) -> Iterator[list]:
    today = timezone.localdate()
    cooldown = settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS
    for (pk, first, last, email, track, level, since, lead_first, lead_last,
         probation_end, next_months, last_failed) in rows:
        since = _as_date(since)
        probation_end = _as_date(probation_end)
        months = earliest = None
        if since:
            months = rules.whole_months_between(rules.time_in_level_start(since, probation_end), today)
            if next_months is not None:
                earliest = rules.earliest_defense_date(
                    last_change=since,
                    probation_end=probation_end,
                    min_months=next_months,
                    last_failed_defense=_as_date(last_failed),
                    cooldown_months=cooldown,
                ).isoformat()
        lead = " ".join(part for part in (lead_first, lead_last) if part) or None
        yield [pk, first, last, email, track, level, since.isoformat() if since else None,
               lead, months, earliest]


# --- grade-history ----------------------------------------------------------------------------------


def _grade_history_sql(vendor: str, f: dict) -> Statement:
    """Every ledger entry, oldest first (index gradechange_date serves the date range).

    The team-lead filter keeps the entries of the people whose team lead is that employee
    now (as the dashboard counts them), whoever led them when the entry was made.
    """
    clauses, params = [], []
    _match(clauses, params, f.get("track"), "t.slug = %s")
    _match(clauses, params, f.get("level"), "l.code = %s")
    _match(clauses, params, f.get("date_from"), "g.effective_date >= %s")
    _match(clauses, params, f.get("date_to"), "g.effective_date <= %s")
    _match(clauses, params, f.get("lead"), "e.team_lead_id = %s")
    body = f"""
        FROM grades_gradechange g
        JOIN grades_employee e ON e.id = g.employee_id
        JOIN auth_user u ON u.id = e.user_id
        JOIN grades_track t ON t.id = g.track_id
        JOIN grades_level l ON l.id = g.level_id
        LEFT JOIN auth_user ru ON ru.id = g.recorded_by_id
        {_where(clauses)}
    """
    expressions = [
        "g.id", "e.id", "u.first_name", "u.last_name", "t.slug", "g.kind", "l.name",
        "g.effective_date", "g.reason", "ru.username", _fmt_datetime("g.recorded_at", vendor),
    ]
    return Statement(expressions, body, params, ["g.effective_date", "g.id"])


# --- reviews ------------------------------------------------------------------------------------------


# What date_from/date_to of the reviews and votes reports filter by (`dates`): the day the
# review was requested (the default) or the day it was decided. Only these fixed column
# names reach the statement; the value chosen is a key of this table.
REVIEW_DATE_BASES = {"requested": "r.requested_at", "decided": "r.decided_at"}


def _review_clauses(f: dict) -> tuple[list[str], list]:
    """The filters of the reviews and votes reports, on the review `r`, its candidate `e`,
    track `t` and target level `tl`.

    By decision date (`dates=decided`), a review not decided has no date and is left out
    whenever a date is given; the lead is the candidate's team lead now.
    """
    clauses, params = [], []
    _match(clauses, params, f.get("track"), "t.slug = %s")
    _match(clauses, params, f.get("level"), "tl.code = %s")
    _match(clauses, params, f.get("status"), "r.status = %s")
    _match(clauses, params, f.get("session"), "r.session_id = %s")
    _match(clauses, params, f.get("lead"), "e.team_lead_id = %s")
    column = REVIEW_DATE_BASES[f.get("dates") or "requested"]
    if f.get("date_from"):
        clauses.append(f"{column} >= %s")
        params.append(_start_of(f["date_from"]))
    if f.get("date_to"):
        clauses.append(f"{column} < %s")
        params.append(_start_of(f["date_to"] + datetime.timedelta(days=1)))
    return clauses, params


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight of a local day as the naive UTC datetime the database stores."""
    local = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return local.astimezone(datetime.timezone.utc).replace(tzinfo=None)


# The key of a report's filters that carries its reader (reviews.policies.VoteViewer); the
# download and the export_report command put it there. Without one, the reader is nobody
# in particular, to whom undecided reviews show no votes.
VIEWER = "viewer"


@dataclass(frozen=True)
class _Ballot:
    """What keeps one reader from the secret votes: reviews.policies.report_vote_visibility in SQL.

    `join` (one %s: the reader's user id) finds the reader's own seat `ms` and its
    vote `mv` on each review; `shown` is true on the rows whose votes, comments and
    counts the reader may see (VOTES_ALL), `progress` on those where they may see
    who has voted and when (VOTES_PROGRESS and above). For HR `progress` is always
    true, and `shown` too except on the reviews where they sit and have not voted.
    """

    join: str = ""
    params: tuple = ()
    shown: str | None = None
    progress: str | None = None

    def when_shown(self, expression: str) -> str:
        return expression if self.shown is None else f"CASE WHEN {self.shown} THEN {expression} END"

    def when_progress(self, expression: str) -> str:
        return expression if self.progress is None else f"CASE WHEN {self.progress} THEN {expression} END"


def _ballot(f: dict) -> _Ballot:
    viewer = f.get(VIEWER) or policies.NOBODY
    # Unique index seat_one_per_member (review, member): at most one seat, so no row is doubled.
    decided = "r.status IN ('passed', 'failed')"
    join = """
        LEFT JOIN reviews_committeeseat ms ON ms.review_id = r.id AND ms.member_id = %s
        LEFT JOIN reviews_vote mv ON mv.seat_id = ms.id"""
    if viewer.is_hr:
        # HR sees every vote, except as a member who has not voted yet on a review they sit on.
        return _Ballot(join=join, params=(viewer.user_id,), shown=f"({decided} OR ms.id IS NULL OR mv.id IS NOT NULL)")
    return _Ballot(
        join=join,
        params=(viewer.user_id,),
        shown=f"({decided} OR mv.id IS NOT NULL)",
        progress=f"({decided} OR ms.id IS NOT NULL)",
    )


def _reviews_sql(vendor: str, f: dict) -> Statement:
    """One row per review with its vote counts (a grouped subquery over seats and votes).

    The counts of a review not yet decided are empty unless the reader may see its
    votes (_Ballot): a running tally would tell how the committee leans.
    """
    clauses, params = _review_clauses(f)
    ballot = _ballot(f)
    params = [*ballot.params, *params]
    body = f"""
        FROM reviews_promotionreview r
        JOIN grades_employee e ON e.id = r.candidate_id
        JOIN auth_user u ON u.id = e.user_id
        JOIN grades_track t ON t.id = r.track_id
        JOIN grades_level fl ON fl.id = r.from_level_id
        JOIN grades_level tl ON tl.id = r.to_level_id
        LEFT JOIN (
            SELECT s.review_id,
                   SUM(CASE WHEN vo.value = 'approve' THEN 1 ELSE 0 END) AS approvals,
                   SUM(CASE WHEN vo.value = 'reject' THEN 1 ELSE 0 END) AS rejections,
                   SUM(CASE WHEN vo.value = 'abstain' THEN 1 ELSE 0 END) AS abstentions
            FROM reviews_committeeseat s JOIN reviews_vote vo ON vo.seat_id = s.id
            GROUP BY s.review_id
        ) v ON v.review_id = r.id{ballot.join}
        LEFT JOIN reviews_defensesession ds ON ds.id = r.session_id
        {_where(clauses)}
    """
    expressions = [
        "r.id", "e.id", "u.first_name", "u.last_name", "t.slug", "fl.name", "tl.name", "r.status",
        _fmt_datetime("r.requested_at", vendor), _fmt_datetime("r.scheduled_for", vendor),
        _fmt_datetime("r.decided_at", vendor),
        ballot.when_shown("COALESCE(v.approvals, 0)"), ballot.when_shown("COALESCE(v.rejections, 0)"),
        ballot.when_shown("COALESCE(v.abstentions, 0)"),
        "CASE WHEN r.status IN ('passed', 'failed') THEN r.status ELSE '' END",
        "r.override_reason", "r.decision_note", "COALESCE(ds.name, '')",
    ]
    return Statement(expressions, body, params, ["r.requested_at", "r.id"])


def _votes_sql(vendor: str, f: dict) -> Statement:
    """One row per committee seat, with the vote when cast.

    On a review not yet decided, the vote and comment are empty unless the reader may
    see them, and so are the times unless they may see who has voted (_Ballot).
    """
    clauses, params = _review_clauses(f)
    ballot = _ballot(f)
    params = [*ballot.params, *params]
    body = f"""
        FROM reviews_committeeseat s
        JOIN reviews_promotionreview r ON r.id = s.review_id
        JOIN grades_employee e ON e.id = r.candidate_id
        JOIN auth_user u ON u.id = e.user_id
        JOIN grades_track t ON t.id = r.track_id
        JOIN grades_level tl ON tl.id = r.to_level_id
        JOIN auth_user mu ON mu.id = s.member_id
        LEFT JOIN reviews_vote vo ON vo.seat_id = s.id{ballot.join}
        {_where(clauses)}
    """
    expressions = [
        "r.id", "e.id", "u.first_name", "u.last_name", "t.slug", "tl.name", "r.status", "s.role",
        "mu.username", "mu.first_name", "mu.last_name",
        ballot.when_shown("vo.value"), ballot.when_shown("vo.comment"),
        ballot.when_progress(_fmt_datetime("vo.cast_at", vendor)),
        ballot.when_progress(_fmt_datetime("vo.changed_at", vendor)),
    ]
    return Statement(expressions, body, params, ["r.id", "s.id"])


# --- skill-matrix ----------------------------------------------------------------------------------


def _skill_matrix_rows(snapshot: db.Snapshot, f: dict) -> Iterator[list]:
    """The skill matrix: one row per person × requirement of their track up to their next level.

    People who have not left, in id order; for each, the active requirements of their
    track's full ladder (a fork's parent's below the fork) whose level ranks at most one
    above their own, in the order of the ladder (level rank, then the requirement's
    position and id), less the expectations of the entry level (an entry-only level or
    the ladder's first: never claimed, never counted; grades.models.counted_levels).
    Each row names the requirement's theme by key and by name in the reader's language,
    and its "at least N of these" group by key with its N (empty for a requirement that
    counts on its own), so that a sheet can count lines as the progress page does. A
    requirement the product
    judges from data has the state 'by_data' (the progress page gives the verdict);
    else the live claim's status ('claimed' or 'confirmed': the unique (employee,
    requirement, open_marker) index allows one; 'reconfirm' for a claim confirmed
    against an earlier wording, which does not count until confirmed again), else
    'rejected' when a claim was rejected, else 'missing'. Who confirmed a confirmed claim, and when, follow.

    The database does only index range reads: the active requirements once, then per
    slice of employees (db.slice_steps) the people (primary-key range) and the
    slice's live or rejected claims (employee range of index evidence_one_open_claim); the
    person × requirement product, each row's state and the neutralising of text are
    done here. One statement that joins the rows is slower on MariaDB and on SQLite,
    and costs MariaDB about four times the CPU (bench/export_bench.py). All the
    statements read the same snapshot, so a claim decided or a promotion committed
    during the download shows in none of its rows.
    """
    vendor = snapshot.vendor
    rank = _rank(vendor)
    join = "STRAIGHT_JOIN" if vendor == "mysql" else "JOIN"  # the employees' id range first
    clauses, filters = ["e.id > %s", "e.left_on IS NULL"], []
    _match(clauses, filters, f.get("track"), "t.slug = %s")
    _match(clauses, filters, f.get("level"), "cl.code = %s")
    _match(clauses, filters, f.get("lead"), "e.team_lead_id = %s")
    people_sql = f"""
        SELECT e.id, u.first_name, u.last_name, t.slug, cl.name, e.track_id, cl.{rank}
        FROM grades_employee e
        {join} auth_user u ON u.id = e.user_id
        {join} grades_track t ON t.id = e.track_id
        {join} grades_level cl ON cl.id = e.current_level_id
        {_where(clauses)}
        ORDER BY e.id LIMIT %s
    """
    claims_sql = f"""
        SELECT ev.employee_id, ev.requirement_id, ev.status, du.username, {_fmt_datetime("ev.decided_at", vendor)},
               ev.reconfirm_needed
        FROM grades_evidence ev
        LEFT JOIN auth_user du ON du.id = ev.decided_by_id
        WHERE ev.employee_id > %s AND ev.employee_id <= %s
          AND (ev.open_marker = 1 OR ev.status = 'rejected')
    """
    # Each track's checklist lines along its full ladder: on each rung, the requirements of
    # the rung's owner (a fork's parent's below the fork, the track's own above).
    requirements_sql = f"""
        SELECT r.id, s.track_id, r.key, rl.name, s.{rank}, r.category, r.check_kind,
               c.name, c.name_ru, g.key, g.at_least
        FROM grades_trackrung s
        JOIN grades_tracklevel rtl ON rtl.level_id = s.level_id AND rtl.track_id = s.owner_id
        JOIN grades_requirement r ON r.track_level_id = rtl.id
        JOIN grades_level rl ON rl.id = s.level_id
        JOIN grades_category c ON c.key = r.category
        LEFT JOIN grades_requirementgroup g ON g.id = r.group_id
        WHERE r.is_active = %s AND rl.entry_only = %s AND s.{rank} > 1
        ORDER BY s.track_id, s.{rank}, r.position, r.id
    """
    neutralise = csvstream.neutralise
    russian = (get_language() or "en").startswith("ru")
    # Per track, its requirements in the report's order, and their level ranks beside
    # them: a person's share is the prefix up to one rank above their own.
    tracks: dict[int, tuple[list[int], list[tuple]]] = {}
    for (
        req_id, track_id, key, level_name, level_rank, category, check_kind,
        category_name, category_name_ru, group, at_least,
    ) in snapshot.rows(requirements_sql, [True, False]):  # fmt: skip
        ranks, items = tracks.setdefault(track_id, ([], []))
        ranks.append(level_rank)
        theme = neutralise(category_name_ru if russian and category_name_ru else category_name)
        by_data = check_kind != ""
        head, tail = (neutralise(key), neutralise(level_name), category), (theme, group, at_least)
        # The line's columns after the person's, as most people's lines have them (nothing
        # claimed, or judged by data), kept whole; a claim's lines are put together below.
        unclaimed = head + ("by_data" if by_data else "missing", None, None) + tail
        items.append((req_id, by_data, head, tail, unclaimed))
    lower = 0
    for step in db.slice_steps():
        people = snapshot.rows(people_sql, [lower, *filters, step])
        if not people:
            return
        upper = people[-1][0]
        # Per person: {requirement: (state, confirmed by, confirmed at)} of the live claim,
        # or of a rejected one when no claim is live.
        claims: dict[int, dict[int, tuple]] = {}
        for employee_id, req_id, status, decided_by, decided_at, reconfirm in snapshot.rows(claims_sql, [lower, upper]):
            mine = claims.setdefault(employee_id, {})
            if status == "rejected":
                mine.setdefault(req_id, ("rejected", None, None))
            elif status == "confirmed":
                # Confirmed against a wording since changed substantively: not counted until
                # confirmed again, as on the progress page.
                state = "reconfirm" if reconfirm else status
                mine[req_id] = (state, neutralise(decided_by) if decided_by else None, decided_at)
            else:
                mine[req_id] = (status, None, None)
        batch = []
        for employee_id, first_name, last_name, slug, level_name, track_id, level_rank in people:
            ranks, items = tracks.get(track_id, ((), ()))
            person = (employee_id, neutralise(first_name), neutralise(last_name), neutralise(slug),
                      neutralise(level_name))
            mine = claims.get(employee_id)
            for req_id, by_data, head, tail, unclaimed in items[: bisect_right(ranks, level_rank + 1)]:
                claim = mine.get(req_id) if mine else None
                if claim is None:
                    batch.append(person + unclaimed)
                else:
                    state, confirmed_by, confirmed_at = claim
                    if by_data:
                        state = "by_data"  # the progress page judges it; who confirmed a claim still shows
                    batch.append(person + head + (state, confirmed_by, confirmed_at) + tail)
            if len(batch) >= csvstream.FETCH_ROWS:
                yield batch
                batch = []
        if batch:
            yield batch
        if len(people) < step:
            return
        lower = upper


# --- salary-bands ------------------------------------------------------------------------------------


def _fmt_amount(column: str, vendor: str) -> str:
    """A DECIMAL(12, 2) amount as text with two decimals ('1500.00'), the same on every database."""
    if vendor == "mysql":
        return f"CAST({column} AS CHAR)"
    # SQLite keeps 1500.00 as the integer 1500: format it.
    return f"printf('%%.2f', {column})"


def _salary_bands_sql(vendor: str, f: dict) -> Statement:
    """Every salary band, old and current, with whether it is in force today.

    A band is in force when it is the latest one started by today for its own scope
    (level, track or all tracks, currency): the derived table `cur` finds that date
    per scope over the unique index salaryband_unique_scope_date (level, track_key,
    currency, valid_from). The track filter keeps the track's bands and the
    all-tracks ones, which apply to it too.
    """
    clauses, params = [], [timezone.localdate()]
    _match(clauses, params, f.get("track"), "(t.slug = %s OR b.track_id IS NULL)")
    _match(clauses, params, f.get("level"), "l.code = %s")
    rank = _rank(vendor)
    body = f"""
        FROM pay_salaryband b
        JOIN grades_level l ON l.id = b.level_id
        LEFT JOIN grades_track t ON t.id = b.track_id
        LEFT JOIN (
            SELECT level_id, track_key, currency, MAX(valid_from) AS latest
            FROM pay_salaryband WHERE valid_from <= %s
            GROUP BY level_id, track_key, currency
        ) cur ON cur.level_id = b.level_id AND cur.track_key = b.track_key
             AND cur.currency = b.currency AND cur.latest = b.valid_from
        {_where(clauses)}
    """
    expressions = [
        "l.name", "t.slug", "b.currency", _fmt_amount("b.minimum", vendor),
        _fmt_amount("b.maximum", vendor), "b.valid_from",
        "CASE WHEN cur.latest IS NULL THEN 0 ELSE 1 END",
    ]
    return Statement(expressions, body, params, [f"l.{rank}", "t.slug", "b.currency", "b.valid_from"])


# --- The registry -------------------------------------------------------------------------------------

REVIEW_STATUSES = ("requested", "scheduled", "passed", "failed", "withdrawn")

REPORTS: dict[str, Report] = {
    report.name: report
    for report in [
        Report(
            name="roster",
            title=_("Roster"),
            description=_(
                "Everyone currently employed: track, level and since when, team lead, months "
                "in level and the earliest date of the next defense."
            ),
            columns=[
                Column("employee_id", NUMBER), Column("first_name"), Column("last_name"),
                Column("email"), Column("track"), Column("level"), Column("since", DATE),
                Column("team_lead"), Column("months_in_level", NUMBER),
                Column("earliest_defense_date", DATE),
            ],
            filters=("track", "level", "lead"),
            build=_roster_sql,
            transform=_roster_rows,
        ),
        Report(
            name="grade-history",
            title=_("Grade history"),
            description=_("Every entry of the grade ledger: hires, promotions and corrections."),
            columns=[
                Column("entry_id", NUMBER), Column("employee_id", NUMBER), Column("first_name"),
                Column("last_name"), Column("track"), Column("kind", CODE), Column("level"),
                Column("effective_date", DATE), Column("reason"), Column("recorded_by"),
                Column("recorded_at", DATE),
            ],
            filters=("track", "level", "lead", "date_from", "date_to"),
            build=_grade_history_sql,
        ),
        Report(
            name="reviews",
            title=_("Reviews"),
            description=_(
                "One row per promotion review with its vote counts and outcome. Until the "
                "decision the counts show only to HR and to committee members who have voted."
            ),
            columns=[
                Column("review_id", NUMBER), Column("employee_id", NUMBER), Column("first_name"),
                Column("last_name"), Column("track"), Column("from_level"), Column("to_level"),
                Column("status", CODE), Column("requested_at", DATE), Column("scheduled_for", DATE),
                Column("decided_at", DATE), Column("approvals", NUMBER), Column("rejections", NUMBER),
                Column("abstentions", NUMBER), Column("outcome", CODE), Column("override_reason"),
                Column("decision_note"), Column("session"),
            ],
            filters=("track", "level", "lead", "status", "date_from", "date_to", "dates", "session"),
            build=_reviews_sql,
        ),
        Report(
            name="votes",
            title=_("Votes"),
            description=_(
                "One row per committee seat: who sat, how they voted and when. Until the decision "
                "a vote and its comment show only to HR and to committee members who have voted."
            ),
            columns=[
                Column("review_id", NUMBER), Column("employee_id", NUMBER), Column("first_name"),
                Column("last_name"), Column("track"), Column("to_level"), Column("review_status", CODE),
                Column("seat", CODE), Column("member"), Column("member_first_name"),
                Column("member_last_name"), Column("vote", CODE), Column("comment"),
                Column("cast_at", DATE), Column("changed_at", DATE),
            ],
            filters=("track", "level", "lead", "status", "date_from", "date_to", "dates"),
            build=_votes_sql,
        ),
        Report(
            name="skill-matrix",
            title=_("Skill matrix"),
            description=_(
                "One row per person and requirement of their track up to their next level: "
                "the state of the claim, who confirmed it and when. The largest report."
            ),
            columns=[
                Column("employee_id", NUMBER), Column("first_name"), Column("last_name"),
                Column("track"), Column("level"), Column("requirement"),
                Column("requirement_level"), Column("category", CODE), Column("state", CODE),
                Column("confirmed_by"), Column("confirmed_at", DATE),
                # Added with themes as data and groups: after the older columns, so that
                # scripts reading columns by position read what they did.
                Column("category_name"), Column("group", CODE), Column("group_at_least", NUMBER),
            ],
            filters=("track", "level", "lead"),
            rows=_skill_matrix_rows,
        ),
        Report(
            name="salary-bands",
            title=_("Salary bands"),
            description=_(
                "Every salary band, old and current: level, track (empty: all tracks), currency, "
                "minimum, maximum, the date it applies from, and 1 when it is in force today. "
                "For HR only."
            ),
            columns=[
                Column("level"), Column("track"), Column("currency"), Column("minimum", NUMBER),
                Column("maximum", NUMBER), Column("valid_from", DATE), Column("in_force", NUMBER),
            ],
            filters=("track", "level"),
            build=_salary_bands_sql,
            roles=(HR,),
        ),
    ]
}


# --- Filters ----------------------------------------------------------------------------------------


class ReportFilterForm(forms.Form):
    """The query parameters of a report. Unknown parameters are ignored; bad values are errors."""

    track = forms.SlugField(required=False, max_length=50)
    level = forms.SlugField(required=False, max_length=32)
    status = forms.ChoiceField(required=False, choices=[("", "")] + [(s, s) for s in REVIEW_STATUSES])
    date_from = forms.DateField(required=False, input_formats=["%Y-%m-%d"], validators=[validate_calendar_date])
    date_to = forms.DateField(required=False, input_formats=["%Y-%m-%d"], validators=[validate_calendar_date])
    # A defense session's id (reviews.DefenseSession): its defenses only.
    session = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    # A team lead, by employee id (links, as the dashboard's `lead`) or login (typed on the
    # reports page): the rows of the people they lead now. Cleaned to the employee id.
    lead = forms.CharField(required=False, max_length=150, strip=True)
    # What date_from/date_to filter the reviews by: the request (default) or the decision.
    dates = forms.ChoiceField(required=False, choices=[("", "")] + [(key, key) for key in REVIEW_DATE_BASES])
    delimiter = forms.ChoiceField(
        required=False, choices=[(";", ";"), (",", ","), ("tab", "tab"), ("\t", "tab")]
    )
    bom = forms.TypedChoiceField(
        required=False,
        choices=[("", ""), ("0", "0"), ("1", "1"), ("false", "false"), ("true", "true")],
        coerce=lambda value: value in ("1", "true"),
        empty_value=False,
    )

    def __init__(self, *args, report: Report, **kwargs):
        super().__init__(*args, **kwargs)
        self.report = report
        for name in ("track", "level", "status", "date_from", "date_to", "session", "lead", "dates"):
            if name not in report.filters:
                del self.fields[name]

    def clean_track(self):
        from grades.models import Track

        slug = self.cleaned_data.get("track")
        # Compared here as well: MariaDB's lookup alone takes "BACKEND" for "backend", SQLite's not.
        if slug and slug not in Track.objects.filter(slug=slug).values_list("slug", flat=True):
            raise forms.ValidationError(_("No track %(slug)s.") % {"slug": slug})
        return slug

    def clean_level(self):
        from grades.models import Level

        code = self.cleaned_data.get("level")
        if code and code not in Level.objects.filter(code=code).values_list("code", flat=True):
            raise forms.ValidationError(_("No level %(code)s.") % {"code": code})
        return code

    def clean_session(self):
        from reviews.models import DefenseSession

        pk = self.cleaned_data.get("session")
        if pk and not DefenseSession.objects.filter(pk=pk).exists():
            raise forms.ValidationError(_("No defense session %(id)s.") % {"id": pk})
        return pk

    def clean_lead(self) -> int | None:
        text = self.cleaned_data.get("lead") or ""
        if not text:
            return None
        if text.isdigit():
            found = team_leads().filter(pk=int(text)) if int(text) <= 2**31 - 1 else None
        else:
            found = team_leads().filter(user__username__iexact=text)
        pk = found.values_list("pk", flat=True).first() if found is not None else None
        if pk is None:
            raise forms.ValidationError(_("No team lead %(id)s.") % {"id": text})
        return pk

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the range is before its start."))
        return data

    def error_sentence(self) -> str:
        """The errors as one sentence naming each parameter."""
        return " ".join(
            f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in self.errors.items()
        )


def team_leads():
    """The employees who lead someone (left or not): the values the `lead` filter accepts.

    Someone whose reports have all left still leads them in the ledger and the reviews, so
    their rows can be asked for; the reports page offers those who lead someone employed now
    (team_lead_choices).
    """
    from django.db.models import Exists, OuterRef

    from grades.models import Employee

    return Employee.objects.filter(Exists(Employee.objects.filter(team_lead_id=OuterRef("pk")))).order_by()


def team_lead_choices() -> list[tuple[str, str]]:
    """(login, name) of everyone who leads someone employed now, in name order: one statement."""
    from django.db.models import Exists, OuterRef

    from grades.models import Employee

    rows = (
        Employee.objects.filter(Exists(Employee.objects.filter(team_lead_id=OuterRef("pk"), left_on__isnull=True)))
        .order_by("user__last_name", "user__first_name", "pk")
        .values_list("pk", "user__first_name", "user__last_name", "user__username")
    )
    return [
        (username, " ".join(part for part in (first, last) if part) or username) for _pk, first, last, username in rows
    ]
