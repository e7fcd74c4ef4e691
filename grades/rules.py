"""
Pure decisions of the grade system: dates, intervals, data-judged requirements.

Nothing here touches the database: every function takes plain values (dates,
numbers, small dataclasses) so that the rules can be tested in tables without
one, and the same rule serves the progress page, the review services and reports.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

# The ladders themselves (which levels there are, in which order, which main grade each
# belongs to, where a track forks) are data: the Ladder, Level and Track tables. Functions
# that need them take them as arguments, as `level_ranks` (level code -> rank), as
# `build_ladder`'s result or as `full_ladder`'s.

# How many levels a track's full ladder may have (a fork: the shared part and its own).
MIN_LADDER_LEVELS = 2
MAX_LADDER_LEVELS = 15


@dataclass(frozen=True)
class LadderLevel:
    """A level as the rules see a ladder: its code, its rank and its main grade's code.

    `grade_index` is the place of its main grade among the ladder's main grades (0 for
    the lowest), None for a level that belongs to no main grade.
    """

    code: str
    rank: int
    main_grade: str | None
    grade_index: int | None = None


def build_ladder(levels: Iterable[tuple[int, str, str | None]]) -> list[LadderLevel]:
    """The ladder in rank order from (rank, code, main grade's code or None) rows.

    Raises ValueError when a main grade is not a level of the ladder at or below the
    level that names it.
    """
    rows = sorted(levels)
    ranks = {code: rank for rank, code, _grade in rows}
    grades = sorted({grade for _rank, _code, grade in rows if grade is not None}, key=lambda code: ranks.get(code, 0))
    index = {grade: position for position, grade in enumerate(grades)}
    ladder: list[LadderLevel] = []
    for rank, code, grade in rows:
        if grade is not None and (grade not in ranks or ranks[grade] > rank):
            raise ValueError(
                f"The main grade of {code} ({grade}) must be a level of the same ladder at or below it."
            )
        ladder.append(LadderLevel(code, rank, grade, index.get(grade)))
    return ladder


def holds_expectations(*, entry_only: bool, rank: int, first_rank: int) -> bool:
    """Whether a level's requirements are expectations: shown, never claimed, never counted.

    So are those of an entry-only level and of the ladder's first level (`first_rank`):
    nobody is promoted into either, so nobody works towards their requirements.
    models.counted_levels is the same rule as a database filter.
    """
    return entry_only or rank <= first_rank


def main_grades_from_starts(levels: Iterable[tuple[int, str, bool]]) -> dict[str, str | None]:
    """Each level's main grade (code -> code or None) from (rank, code, starts a main grade) rows.

    A level belongs to the highest main-grade start at or below it: with Junior, Middle
    and Senior marked, Junior++ belongs to Junior and Middle+ to Middle; a level below
    the first start belongs to none.
    """
    grade = None
    result: dict[str, str | None] = {}
    for _rank, code, starts in sorted(levels):
        if starts:
            grade = code
        result[code] = grade
    return result


@dataclass(frozen=True)
class Rung:
    """A level of a track's full ladder: the level, its rank and the track whose requirements apply."""

    level_id: int
    rank: int
    owner_id: int


def check_ladder_ranks(ranks: Sequence[int], *, start: int = 1) -> None:
    """Raise ValueError unless `ranks` (in order) are start, start + 1, ... without a gap."""
    expected = list(range(start, start + len(ranks)))
    if list(ranks) != expected:
        raise ValueError(
            f"The ladder's ranks must run from {start} without gaps; found {', '.join(map(str, ranks))}."
        )


def full_ladder(
    *,
    track_id: int,
    own: Sequence[tuple[int, int]],
    parent: Sequence[Rung] | None = None,
    fork_rank: int | None = None,
) -> list[Rung]:
    """A track's full ladder in rank order: the one place that lays one out.

    `own` are the (level id, rank) of the track's ladder. For a fork, `parent` is the
    parent's full ladder and `fork_rank` the rank of the parent's level it forks at:
    the parent's rungs below it are shared (owned by whoever owns them in the parent's
    ladder), and the track's own ladder must hold fork_rank and the ranks above it.
    Raises ValueError with a sentence when the result is not a ladder of
    MIN_LADDER_LEVELS to MAX_LADDER_LEVELS levels ranked without gaps.
    """
    mine = sorted(own, key=lambda item: item[1])
    if parent is None:
        check_ladder_ranks([rank for _level, rank in mine])
        rungs = [Rung(level_id, rank, track_id) for level_id, rank in mine]
    else:
        if fork_rank is None or not any(rung.rank == fork_rank for rung in parent):
            raise ValueError("A fork branches at a level of its parent's ladder.")
        check_ladder_ranks([rank for _level, rank in mine], start=fork_rank)
        rungs = [rung for rung in sorted(parent, key=lambda rung: rung.rank) if rung.rank < fork_rank]
        rungs += [Rung(level_id, rank, track_id) for level_id, rank in mine]
    if not MIN_LADDER_LEVELS <= len(rungs) <= MAX_LADDER_LEVELS:
        raise ValueError(
            f"A ladder has {MIN_LADDER_LEVELS} to {MAX_LADDER_LEVELS} levels"
            f"{' (the shared ones below the fork included)' if parent is not None else ''}; this one has {len(rungs)}."
        )
    return rungs


def next_rung(rungs: Sequence[Rung], rank: int | None) -> Rung | None:
    """The rung after `rank` in a full ladder (None at the top, or without a level)."""
    if rank is None:
        return None
    return next((rung for rung in rungs if rung.rank == rank + 1), None)


CHECK_KINDS = ("experience_years", "mentee_promoted", "mentee_count")


# --- Calendar arithmetic ---------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by whole calendar months, clamped to the end of a shorter month.

    31 Aug + 6 months is 28 Feb (29 Feb in a leap year); 29 Feb + 12 months is 28 Feb.
    """
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    # Beyond the calendar (a date near 9999-12-31): the farthest date there is.
    if year > datetime.MAXYEAR:
        return datetime.date.max
    if year < datetime.MINYEAR:
        return datetime.date.min
    last_day = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last_day))


def whole_months_between(start: datetime.date, end: datetime.date) -> int:
    """Completed calendar months from `start` to `end` (0 when end is before start)."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, months) > end:
        months -= 1
    return months


def years_between(start: datetime.date, end: datetime.date) -> float:
    """Years from `start` to `end` as a decimal, one decimal place (6.2 years)."""
    if end <= start:
        return 0.0
    return round((end - start).days / 365.25, 1)


# --- Data-judged requirements --------------------------------------------------------------


def validate_check(kind: str, params: dict | None, level_ranks: Mapping[str, int] | None = None) -> None:
    """Raise ValueError with a sentence when a requirement's check is malformed.

    `level_ranks` (level code -> rank, from the Level table) is the ladder that the
    level codes of a mentee_promoted check must come from, the 'from' levels below
    'to'. Without it only their form is checked (a list of codes and a code), as a
    caller without the database can.
    """
    params = {} if params is None else params
    if not isinstance(params, dict):
        raise ValueError('Check parameters must be an object, e.g. {"years": 3}.')
    if not kind:
        if params:
            raise ValueError("Parameters are given but the requirement has no check kind.")
        return
    if kind not in CHECK_KINDS:
        raise ValueError(f"Unknown check kind {kind!r}; expected one of {', '.join(CHECK_KINDS)}.")
    if kind == "experience_years":
        years = params.get("years")
        if not isinstance(years, (int, float)) or isinstance(years, bool) or not 0 < years <= 60:
            raise ValueError("experience_years needs 'years', a number from 1 to 60.")
        extra = set(params) - {"years"}
    elif kind == "mentee_count":
        minimum = params.get("min")
        if not isinstance(minimum, int) or isinstance(minimum, bool) or not 1 <= minimum <= 100:
            raise ValueError("mentee_count needs 'min', a whole number from 1 to 100.")
        extra = set(params) - {"min"}
    else:  # mentee_promoted
        sources = params.get("from")
        target = params.get("to")

        def is_code(value) -> bool:
            if not isinstance(value, str) or not value:
                return False
            return level_ranks is None or value in level_ranks

        if not isinstance(sources, list) or not sources or not all(is_code(code) for code in sources):
            ladder = f" ({', '.join(sorted(level_ranks, key=level_ranks.get))})" if level_ranks else ""
            raise ValueError(f"mentee_promoted needs 'from', a non-empty list of level codes{ladder}.")
        if not is_code(target):
            raise ValueError("mentee_promoted needs 'to', a level code.")
        if level_ranks is None:
            below = target not in sources
        else:
            below = all(level_ranks[code] < level_ranks[target] for code in sources)
        if not below:
            raise ValueError("mentee_promoted: every 'from' level must be below 'to'.")
        extra = set(params) - {"from", "to"}
    if extra:
        raise ValueError(f"Unexpected parameters for {kind}: {', '.join(sorted(extra))}.")


@dataclass(frozen=True)
class LedgerEntry:
    """One grade-ledger entry reduced to what the rules need."""

    level_code: str
    effective_date: datetime.date
    kind: str = "promotion"


@dataclass(frozen=True)
class MentorshipPeriod:
    mentee_id: int
    started_on: datetime.date
    ended_on: datetime.date | None
    # The mentee's ledger, in chronological order.
    mentee_ledger: Sequence[LedgerEntry] = ()


@dataclass(frozen=True)
class CheckResult:
    met: bool
    detail: str


def level_on(ledger: Sequence[LedgerEntry], day: datetime.date) -> str | None:
    """The level code in force on `day` given a chronological ledger."""
    current = None
    for entry in ledger:
        if entry.effective_date <= day:
            current = entry.level_code
        else:
            break
    return current


def mentee_was_promoted(
    period: MentorshipPeriod,
    sources: Iterable[str],
    target: str,
    today: datetime.date,
    *,
    level_ranks: Mapping[str, int],
) -> bool:
    """True when, during the mentorship, the mentee went from one of `sources` to `target` or above.

    The mentee must have held a source level at some time while mentored and reached
    the target level (or higher) on a date within the mentorship. `level_ranks`
    orders the levels of the mentor's ladder (code -> rank) and must know the target;
    an entry at a level it does not know (another ladder's) counts for nothing.
    """
    sources = set(sources)
    if target not in level_ranks:
        raise ValueError(f"Unknown level {target!r}: the ladder has no such level.")
    target_rank = level_ranks[target]
    end = min(period.ended_on or today, today)
    held_source = level_on(period.mentee_ledger, period.started_on) in sources
    for entry in period.mentee_ledger:
        if entry.effective_date > end:
            break
        in_period = entry.effective_date >= period.started_on
        if in_period and entry.level_code in sources:
            held_source = True
        # A level of another ladder (a mentee on another track) is no rung of this one.
        rank = level_ranks.get(entry.level_code)
        if in_period and held_source and rank is not None and rank >= target_rank:
            return True
    return False


def evaluate_check(
    kind: str,
    params: dict,
    *,
    today: datetime.date,
    career_start: datetime.date | None,
    mentorships: Sequence[MentorshipPeriod] = (),
    level_ranks: Mapping[str, int] | None = None,
) -> CheckResult:
    """Judge a data-checked requirement from the person's own data.

    A mentee_promoted check needs `level_ranks` (level code -> rank) to tell which
    levels are at or above its target; the other kinds do not read it.
    """
    from django.utils.translation import gettext as _

    if kind == "experience_years":
        years = years_between(career_start, today) if career_start else 0.0
        need = params["years"]
        # Met on the anniversary itself, not when the rounded figure first reaches it.
        met = career_start is not None and add_months(career_start, round(need * 12)) <= today
        return CheckResult(met, _("%(years).1f of %(need)s years") % {"years": years, "need": need})
    if kind == "mentee_count":
        current = {
            m.mentee_id
            for m in mentorships
            if m.started_on <= today and (m.ended_on is None or m.ended_on >= today)
        }
        need = params["min"]
        return CheckResult(
            len(current) >= need,
            _("%(count)s of %(need)s current mentees") % {"count": len(current), "need": need},
        )
    if kind == "mentee_promoted":
        if level_ranks is None:
            raise ValueError("A mentee_promoted check is judged against the ladder: pass level_ranks.")
        promoted = {
            m.mentee_id
            for m in mentorships
            if mentee_was_promoted(m, params["from"], params["to"], today, level_ranks=level_ranks)
        }
        return CheckResult(
            bool(promoted), _("%(count)s mentee(s) promoted") % {"count": len(promoted)}
        )
    raise ValueError(f"Unknown check kind {kind!r}")


# --- Time in level and the earliest defense ----------------------------------------------


def time_in_level_start(
    last_change: datetime.date, probation_end: datetime.date | None
) -> datetime.date:
    """Time in level counts from the later of the last grade change and the probation's end."""
    if probation_end and probation_end > last_change:
        return probation_end
    return last_change


def earliest_defense_date(
    *,
    last_change: datetime.date,
    probation_end: datetime.date | None,
    min_months: int,
    last_failed_defense: datetime.date | None = None,
    cooldown_months: int = 3,
) -> datetime.date:
    """The first day a defense of the next level may be held."""
    earliest = add_months(time_in_level_start(last_change, probation_end), min_months)
    if last_failed_defense is not None:
        earliest = max(earliest, add_months(last_failed_defense, cooldown_months))
    return earliest


def latest_start_for(on: datetime.date, months: int) -> datetime.date:
    """The last day from which `months` whole months have passed by `on`.

    add_months(day, months) <= on exactly when day <= this date: a list filters people
    by comparing a stored date with it, rather than computing each person's date.
    add_months clamps to a month's end, so a few days after the plain month
    subtraction can still qualify (31 Aug + 6 months is 28 Feb).
    """
    day = add_months(on, -months)
    if add_months(day, months) > on:
        # Only a date near the calendar's start: no day qualifies after this one.
        return day
    while day < datetime.date.max and add_months(day + datetime.timedelta(days=1), months) <= on:
        day += datetime.timedelta(days=1)
    return day


def earliest_defense_reasons(
    *,
    last_change: datetime.date,
    probation_end: datetime.date | None,
    min_months: int,
    next_level_name: str,
    last_failed_defense: datetime.date | None = None,
    cooldown_months: int = 3,
) -> list[str]:
    """Why the earliest defense date is what it is, one sentence per rule that applies.

    The first sentence names the rule that decides the date. Sentences are in the
    active interface language (gettext needs no database).
    """
    from django.utils.translation import gettext as _

    start = time_in_level_start(last_change, probation_end)
    by_time = add_months(start, min_months)
    values = {
        "level": next_level_name,
        "months": min_months,
        "change": last_change.isoformat(),
        "probation": probation_end.isoformat() if probation_end else "",
        "date": by_time.isoformat(),
    }
    if probation_end and probation_end > last_change:
        time_reason = _(
            "%(level)s needs %(months)s months in the current level, counted from the end of "
            "probation on %(probation)s (later than the last grade change on %(change)s): "
            "from %(date)s."
        ) % values
    else:
        time_reason = _(
            "%(level)s needs %(months)s months in the current level, counted from the last "
            "grade change on %(change)s: from %(date)s."
        ) % values
    if last_failed_defense is None:
        return [time_reason]
    by_cooldown = add_months(last_failed_defense, cooldown_months)
    cooldown_reason = _(
        "After the failed defense on %(failed)s the next one waits %(months)s months: from %(date)s."
    ) % {"failed": last_failed_defense.isoformat(), "months": cooldown_months, "date": by_cooldown.isoformat()}
    return [cooldown_reason, time_reason] if by_cooldown > by_time else [time_reason, cooldown_reason]


# --- Delivery (productivity) -----------------------------------------------------------------

TREND_RISING = "rising"
TREND_STEADY = "steady"
TREND_FALLING = "falling"
# A change across the periods within this share of their average level is steady.
TREND_TOLERANCE = 0.05
# Sprint completion at or above this percentage of the committed work is a good level.
GOOD_COMPLETION = 80


def delivery_trend(values: Sequence[float], *, tolerance: float = TREND_TOLERANCE) -> str | None:
    """Whether a measure rises, holds or falls over periods (values in time order).

    The least-squares line through the values, one step per period, gives the change
    from the first period to the last; a change within `tolerance` of the average level
    (or none at all) is steady. One value, or none, makes no trend: None.
    """
    points = [float(value) for value in values]
    n = len(points)
    if n < 2:
        return None
    mean_x = (n - 1) / 2
    mean_y = sum(points) / n
    spread = sum((x - mean_x) ** 2 for x in range(n))
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(range(n), points)) / spread
    change = slope * (n - 1)
    if abs(change) <= tolerance * abs(mean_y) or abs(change) < 1e-9:
        return TREND_STEADY
    return TREND_RISING if change > 0 else TREND_FALLING


def consistently_at_least(values: Sequence[float], floor: float) -> bool:
    """Every value is at least `floor` (and there is at least one)."""
    return bool(values) and all(float(value) >= floor for value in values)


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    value: float


def chart_points(
    values: Sequence[float], *, width: int = 320, height: int = 120, pad: int = 12
) -> list[ChartPoint]:
    """Where each value goes on a small line chart `width` × `height` (SVG units, y down).

    Periods are spaced evenly from left to right; the vertical scale runs from zero
    (or the lowest value, when one is negative) to the highest value: a single period
    is a point at the top, a flat level a line along it. Values that are all zero lie
    on the middle line.
    """
    points = [float(value) for value in values]
    if not points:
        return []
    low = min(0.0, min(points))
    high = max(points)
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    step = inner_w / (len(points) - 1) if len(points) > 1 else 0
    result = []
    for index, value in enumerate(points):
        x = pad + index * step if len(points) > 1 else width / 2
        y = pad + inner_h / 2 if high == low else pad + inner_h * (high - value) / (high - low)
        result.append(ChartPoint(round(x, 1), round(y, 1), value))
    return result
