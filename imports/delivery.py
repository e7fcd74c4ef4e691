"""
Planning a delivery spreadsheet: one row per person and period, a sprint's completion or a named measure.

Each row is checked with the grade services' own rules (grades.services.delivery_values),
so a row is accepted here exactly when the person's delivery page would accept it. People
are found by e-mail. A row's period must overlap no other row of the same person and
measure in the file, and no fact already stored; a row equal to a stored fact (same
period, measure and figures) is already here and left alone. Facts are history: the
import adds them and never changes a stored one (a correction is made, with its reason,
on the person's page). A file with any problem writes nothing: its rows are facts about
the same people and periods, and half of a report is not a report.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from grades import services as grade_services

from . import rules

DELIVERY_REQUIRED = ("email", "period_start", "period_end")
DELIVERY_OPTIONAL = ("committed", "done", "measure", "value", "unit", "link")
NUMBERS = ("committed", "done", "value")
FIELDS = ("period_start", "period_end", "measure", "committed", "done", "value", "unit", "link")


@dataclass(frozen=True)
class StoredFact:
    """A fact already recorded, as the planner compares rows with it."""

    pk: int
    measure: str
    values: tuple  # FIELDS' values, in order

    @property
    def period_start(self) -> datetime.date:
        return self.values[0]

    @property
    def period_end(self) -> datetime.date:
        return self.values[1]


@dataclass(frozen=True)
class DeliveryFacts:
    people: Mapping[str, tuple[int, str]]  # lower-case e-mail → (employee id, name)
    stored: Mapping[int, Sequence[StoredFact]]  # employee id → their facts
    today: datetime.date


@dataclass
class DeliveryRowPlan:
    row: rules.SourceRow
    email: str = ""
    employee_id: int | None = None
    person: str = ""
    values: grade_services.DeliveryValues | None = None
    action: str = "skip"  # create / unchanged / skip
    problems: list[str] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return self.action == "create"

    @property
    def measure_label(self) -> str:
        from django.utils.translation import gettext

        return gettext("Sprint completion") if self.values is not None and not self.values.measure else (
            self.values.measure if self.values is not None else ""
        )

    def key(self) -> tuple:
        return (self.employee_id, self.values.measure.casefold())


@dataclass
class DeliveryPlan(rules.RowsPlan):
    rows: list[DeliveryRowPlan]

    def fingerprint_items(self) -> list:
        return [
            (p.row.number, p.employee_id, json.dumps(p.values.as_fields(), sort_keys=True, default=str))
            for p in self.rows
            if p.writes
        ]


_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def parse_number(value) -> Decimal | None:
    """A spreadsheet's number: empty is None; "1 234,5" (a Russian spreadsheet) is 1234.5.

    Raises ValueError with the value when it is not a finite number.
    """
    raw = _SPACES.sub("", rules.text(value))
    if not raw:
        return None
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{rules.text(value)!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{rules.text(value)!r} is not a number")
    return number


def plan_delivery(rows: Sequence[rules.SourceRow], facts: DeliveryFacts) -> DeliveryPlan:
    plans = [_plan_row(row, facts) for row in rows]
    # Rows of the same person and measure whose periods share a day.
    same: dict[tuple, list[DeliveryRowPlan]] = defaultdict(list)
    for plan in plans:
        if plan.employee_id is not None and plan.values is not None and not plan.problems:
            same[plan.key()].append(plan)
    for group in same.values():
        for plan in group:
            others = [
                other.row.number for other in group
                if other is not plan
                and other.values.period_start <= plan.values.period_end
                and other.values.period_end >= plan.values.period_start
            ]
            if others:
                plan.problems.append(
                    f"the period {_period(plan.values)} overlaps row(s) {', '.join(map(str, others))} "
                    "of the same person and measure"
                )
    for plan in plans:
        if plan.problems:
            plan.action = "skip"
        else:
            _compare(plan, facts)
    return DeliveryPlan(rows=plans)


def _period(values) -> str:
    return f"{values.period_start.isoformat()} – {values.period_end.isoformat()}"


def _plan_row(row: rules.SourceRow, facts: DeliveryFacts) -> DeliveryRowPlan:
    plan = DeliveryRowPlan(row=row)
    plan.problems.extend(row.read_problems)
    raw = {name: rules.text(value) for name, value in row.values.items()}
    plan.email = rules.normalise_email(raw.get("email"))
    if not plan.email:
        plan.problems.append("email: is required")
    else:
        found = facts.people.get(plan.email)
        if found is None:
            plan.problems.append(f"email: nobody here has the e-mail {plan.email}")
        else:
            plan.employee_id, plan.person = found
    unreadable = set()
    dates = {}
    for name in ("period_start", "period_end"):
        try:
            dates[name] = rules.parse_date(raw.get(name))
        except ValueError as exc:
            plan.problems.append(f"{name}: {exc}")
            unreadable.add(name)
            dates[name] = None
    numbers = {}
    for name in NUMBERS:
        try:
            numbers[name] = parse_number(raw.get(name))
        except ValueError as exc:
            plan.problems.append(f"{name}: {exc}")
            unreadable.add(name)
            numbers[name] = None
    values, problems = grade_services.delivery_values(
        period_start=dates["period_start"], period_end=dates["period_end"], measure=raw.get("measure", ""),
        unit=raw.get("unit", ""), link=raw.get("link", ""), today=facts.today, **numbers,
    )
    # A date that could not be read is reported once, as unreadable, not again as missing.
    plan.problems.extend(
        message for message in problems if not any(message.startswith(f"{name}: ") for name in unreadable)
    )
    plan.values = values
    return plan


def _compare(plan: DeliveryRowPlan, facts: DeliveryFacts) -> None:
    values = plan.values
    measure = values.measure.casefold()
    mine = tuple(values.as_fields()[name] for name in FIELDS)
    for stored in facts.stored.get(plan.employee_id, ()):
        if stored.measure.casefold() != measure:
            continue
        if stored.period_start > values.period_end or stored.period_end < values.period_start:
            continue
        if _same(stored.values, mine):
            plan.action = "unchanged"
            return
        plan.action = "skip"
        plan.problems.append(
            f"the period {_period(values)} overlaps the fact of {stored.period_start.isoformat()} – "
            f"{stored.period_end.isoformat()} already recorded for {plan.email}; "
            "correct that one on the person's delivery page"
        )
        return
    plan.action = "create"


def _same(stored: tuple, row: tuple) -> bool:
    """Equal facts: the measure's name compared without regard to case, numbers by value."""
    return all(
        (a.casefold() == b.casefold()) if isinstance(a, str) and isinstance(b, str) else a == b
        for a, b in zip(stored, row)
    )
