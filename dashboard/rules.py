"""Pure decisions of the dashboard: periods, date cut-offs, medians and small groups.

No database here: every function takes plain values and is tested without one.
"""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from grades.rules import add_months

DAYS_PER_MONTH = 365.25 / 12


# --- Periods ------------------------------------------------------------------------------------


def quarter_of(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """The first and the last day of a calendar quarter."""
    start = datetime.date(year, 3 * (quarter - 1) + 1, 1)
    return start, add_months(start, 3) - datetime.timedelta(days=1)


def quarter_key(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


def recent_quarters(today: datetime.date, count: int = 8) -> list[tuple[int, int]]:
    """The current quarter and the `count - 1` before it, newest first."""
    year, quarter = quarter_of(today)
    found = []
    for _ in range(count):
        found.append((year, quarter))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return found


def quarters_between(start: datetime.date, end: datetime.date) -> list[tuple[int, int]]:
    """Every quarter from the one of `start` to the one of `end`, oldest first."""
    year, quarter = quarter_of(start)
    last = quarter_of(end)
    found = []
    while (year, quarter) <= last:
        found.append((year, quarter))
        year, quarter = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
    return found


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last four full quarters and the current one."""
    year, quarter = recent_quarters(today, 5)[-1]
    return quarter_bounds(year, quarter)[0], today


# --- Durations ----------------------------------------------------------------------------------


def months_in(days: int) -> float:
    return days / DAYS_PER_MONTH


def months_between(start: datetime.date, end: datetime.date) -> float:
    return months_in((end - start).days)


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


# --- Small groups ---------------------------------------------------------------------------------


@dataclass
class Group:
    """One row of a figure: a label, the people behind it, and its numbers."""

    key: object
    label: str
    people: int
    values: dict = field(default_factory=dict)
    hidden: bool = False
    merged: bool = False


def merge_small(groups: Iterable[Group], *, k: int, other_label: str) -> tuple[list[Group], bool]:
    """Groups of fewer than `k` people merged into one "Other" group (added as the last row).

    When the merged group is still smaller than `k` it is hidden rather than shown. Returns
    the groups and whether anything was merged or hidden. The numbers in `values` add up.
    """
    kept, small = [], []
    for group in groups:
        (kept if group.people >= k else small).append(group)
    if not small:
        return kept, False
    values: dict = {}
    for group in small:
        for name, value in group.values.items():
            # Counts add up; lists (durations) are pooled.
            values[name] = values[name] + value if name in values else value
    other = Group(key=None, label=other_label, people=sum(g.people for g in small), values=values, merged=True)
    if other.people < k:
        other = replace(other, hidden=True)
    return [*kept, other], True


def hide_small(groups: Iterable[Group], *, k: int) -> tuple[list[Group], bool]:
    """Groups of fewer than `k` people (but not empty ones) marked hidden, for buckets that cannot merge."""
    found, any_hidden = [], False
    for group in groups:
        if 0 < group.people < k:
            group = replace(group, hidden=True)
            any_hidden = True
        found.append(group)
    return found, any_hidden


def keep_largest(groups: Sequence[Group], *, limit: int, other_label: str, k: int = 0) -> tuple[list[Group], int]:
    """At most `limit` groups of their own (the largest), the rest merged into "Other".

    An "Other" group already there (small groups merged for k-anonymity) takes the rest in;
    it is hidden when, with a `k`, it still has fewer than `k` people. Returns the groups
    (those kept in their order, "Other" last) and how many were folded into "Other".
    """
    own = [g for g in groups if not g.merged]
    if len(own) <= limit:
        return list(groups), 0
    largest = {id(g) for g in sorted(own, key=lambda g: (-g.people, g.label.lower()))[:limit]}
    kept = [g for g in own if id(g) in largest]
    folded = [g for g in groups if id(g) not in largest]
    values: dict = {}
    for group in folded:
        for name, value in group.values.items():
            values[name] = values[name] + value if name in values else value
    people = sum(g.people for g in folded)
    other = Group(key=None, label=other_label, people=people, values=values, merged=True, hidden=0 < people < k)
    return [*kept, other], len(own) - limit
