"""
Salary bands as plain arithmetic: the calculator, the band checks, which band is in force.

Nothing here touches the database. Amounts are `Decimal` with at most two decimal
places (the database stores DECIMAL(12, 2)); nothing is ever a float, so a band
computed twice is the same to the cent and the command's second run finds nothing
to change.

How the calculator lays out the nine bands
------------------------------------------
From the Junior minimum A and the Senior++ maximum B it computes ten edges
p1 = A < p2 < ... < p10 = B. Level i's band is [p_i, p_{i+1}): its maximum is the
next level's minimum, so the bands touch and never overlap, and the rise on
promotion from level i to level i+1 (the step between their minimums) is the width
of level i's band. The widths follow one weight per level:

* `even`: every weight is 1, so every step is (B - A) / 9;
* `weighted`: the step out of Junior++ and out of Middle++ (into a new main grade)
  weighs `main_step`; a step between inner grades weighs `inner_junior`,
  `inner_middle` or `inner_senior` by the main grade it is inside; Senior++ has no
  next level and its band is as wide as an inner Senior step. Which main grade a
  level belongs to is the ladder's to say (`grades.rules.build_ladder`, from
  Level.main_grade), not the levels' codes; on a ladder of other main grades, the
  lowest one's inner steps weigh `inner_junior`, the next `inner_middle`, and the
  rest `inner_senior`.

The eight steps are rounded to a multiple of `round_to` (540 rather than 538.46),
so steps of equal weight are exactly equal; A and B are kept as given, and the
Senior++ band takes what is left up to B (within 4 x round_to of its weight's
share).

The check (`band_problems`)
---------------------------
For any set of bands (computed, or typed in by hand), per currency:
a minimum is not below zero; a maximum is not below its own minimum; and, the
"no downward overlap" rule, for levels ranked r < s, the minimum of s is not below
the minimum of r. Maximums of different levels are not compared: real bands often
overlap upward (a strong Middle can earn more than a new Senior), and that is a
company's choice.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Protocol, TypeVar

from grades.rules import LadderLevel

EVEN = "even"
WEIGHTED = "weighted"
MODES = (EVEN, WEIGHTED)

CENT = Decimal("0.01")
# DECIMAL(12, 2): ten digits before the point.
AMOUNT_LIMIT = Decimal("10000000000")


def format_amount(amount: Decimal) -> str:
    """1900 -> '1,900'; 1900.5 -> '1,900.50': for people, in messages and tables."""
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    return f"{amount.quantize(CENT):,}"


def parse_amount(value, what: str) -> Decimal:
    """A user's amount as a Decimal of at most two places, or ValueError with a sentence.

    `what` names the amount in the sentence ("The Junior minimum").
    """
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{what} must be a number such as 1500 or 1500.50; got {value!r}.") from None
    if not amount.is_finite():
        raise ValueError(f"{what} must be a number such as 1500 or 1500.50; got {value!r}.")
    if amount < 0:
        raise ValueError(f"{what} cannot be negative; got {format_amount(amount)}.")
    if amount != amount.quantize(CENT):
        raise ValueError(f"{what} has more than two decimal places: {value}.")
    if amount >= AMOUNT_LIMIT:
        raise ValueError(f"{what} must be below {format_amount(AMOUNT_LIMIT)}.")
    return amount.quantize(CENT)


# --- Weights ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    """Relative steps of the weighted calculator (see the module docstring).

    They must keep main_step > inner_senior > inner_middle > inner_junior > 0: a step
    into a new main grade is the largest, and inner steps grow with the grade.
    """

    main_step: Decimal
    inner_junior: Decimal
    inner_middle: Decimal
    inner_senior: Decimal

    def __post_init__(self):
        for name in ("main_step", "inner_junior", "inner_middle", "inner_senior"):
            value = getattr(self, name)
            # str() first: Decimal(1.1) would carry the float's binary error.
            object.__setattr__(self, name, value if isinstance(value, Decimal) else Decimal(str(value)))
        if not self.main_step > self.inner_senior > self.inner_middle > self.inner_junior > 0:
            raise ValueError(
                "The weights must keep main step > inner Senior > inner Middle > inner Junior > 0; "
                f"got {self.main_step} > {self.inner_senior} > {self.inner_middle} > {self.inner_junior}."
            )

    def inner_at(self, index: int) -> Decimal:
        """The weight of a step between inner grades of the ladder's `index`-th main grade
        (0 for the lowest): Junior's, Middle's, then Senior's for the third and any above it."""
        return (self.inner_junior, self.inner_middle, self.inner_senior)[min(index, 2)]

    def inner(self, grade: str) -> Decimal:
        """The weight of a step between inner grades of the main grade with code `grade`."""
        weights = {"junior": self.inner_junior, "middle": self.inner_middle, "senior": self.inner_senior}
        if grade not in weights:
            raise ValueError(
                f"The weights have inner steps for the Junior, Middle and Senior main grades; the "
                f"ladder's main grade {grade!r} has none."
            )
        return weights[grade]


DEFAULT_WEIGHTS = Weights(
    main_step=Decimal("2"),
    inner_junior=Decimal("1"),
    inner_middle=Decimal("1.25"),
    inner_senior=Decimal("1.5"),
)


def band_weights(mode: str, weights: Weights, ladder: Sequence[LadderLevel]) -> list[Decimal]:
    """The relative width of each level's band, lowest level first (`ladder` in rank order)."""
    if mode == EVEN:
        return [Decimal(1)] * len(ladder)
    if mode != WEIGHTED:
        raise ValueError(f"Unknown mode {mode!r}; choose one of: {', '.join(MODES)}.")
    missing = [level.code for level in ladder if level.main_grade is None]
    if missing:
        raise ValueError(
            f"Weighted bands follow the ladder's main grades, and {', '.join(missing)} belong(s) to none; "
            "name each level's main grade in the ladder, or use even bands."
        )
    result = []
    for index, level in enumerate(ladder):
        is_last = index + 1 == len(ladder)
        if not is_last and ladder[index + 1].main_grade != level.main_grade:
            result.append(weights.main_step)
        else:
            result.append(weights.inner_at(level.grade_index))
    return result


# --- The calculator ------------------------------------------------------------------------


@dataclass(frozen=True)
class BandAmounts:
    level_code: str
    minimum: Decimal
    maximum: Decimal


def _round_to_multiple(amount: Decimal, step: Decimal) -> Decimal:
    return ((amount / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step).quantize(CENT)


def calculate_bands(
    *,
    minimum,
    maximum,
    mode: str,
    ladder: Sequence[LadderLevel],
    weights: Weights = DEFAULT_WEIGHTS,
    round_to=Decimal(1),
) -> list[BandAmounts]:
    """A band for each level of `ladder` (rank order), from the Junior minimum to the Senior++ maximum.

    Raises ValueError with a sentence for a bad mode, a negative or malformed
    amount, a maximum not above the minimum, a range too narrow to give every
    level a band of its own after rounding, or a ladder the weights do not fit.
    """
    low = parse_amount(minimum, "The Junior minimum")
    high = parse_amount(maximum, "The Senior++ maximum")
    if not ladder:
        raise ValueError("The ladder has no levels.")
    widths = band_weights(mode, weights, ladder)
    if high <= low:
        raise ValueError(
            f"The Senior++ maximum ({format_amount(high)}) must be above the Junior minimum "
            f"({format_amount(low)})."
        )
    step = Decimal(str(round_to))
    if not step > 0:
        raise ValueError(f"Bands must be rounded to a positive amount; got {round_to}.")
    total = sum(widths)
    edges = [low]
    for width in widths[:-1]:
        edges.append(edges[-1] + _round_to_multiple((high - low) * width / total, step))
    edges.append(high)
    if any(upper <= lower for lower, upper in zip(edges, edges[1:])):
        raise ValueError(
            f"The range {format_amount(low)} to {format_amount(high)} is too narrow for "
            f"{len(ladder)} bands rounded to {format_amount(step)}: widen it or round to a "
            "smaller amount (the pay policy's rounding)."
        )
    return [
        BandAmounts(level.code, edges[index], edges[index + 1]) for index, level in enumerate(ladder)
    ]


# --- Checks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BandFigures:
    """A band as the check sees it; `level_rank` orders the ladder."""

    level_rank: int
    level_name: str
    currency: str
    minimum: Decimal
    maximum: Decimal


@dataclass(frozen=True)
class BandProblem:
    """One broken rule; `ranks` are the levels it involves."""

    ranks: tuple[int, ...]
    currency: str
    message: str

    def __str__(self) -> str:
        return self.message


def band_problems(bands: Iterable[BandFigures]) -> list[BandProblem]:
    """Every rule a set of bands breaks (see the module docstring), lowest level first."""
    by_currency: dict[str, list[BandFigures]] = {}
    for band in bands:
        by_currency.setdefault(band.currency, []).append(band)
    problems = []
    for currency in sorted(by_currency):
        highest: BandFigures | None = None  # the lower level with the highest minimum so far
        seen: set[int] = set()
        for band in sorted(by_currency[currency], key=lambda b: (b.level_rank, b.minimum)):
            name, low, high = band.level_name, band.minimum, band.maximum
            if band.level_rank in seen:
                problems.append(BandProblem(
                    (band.level_rank,), currency, f"{name} has two {currency} bands in the same set."
                ))
                continue
            seen.add(band.level_rank)
            if low < 0:
                problems.append(BandProblem(
                    (band.level_rank,), currency, f"{name} minimum {format_amount(low)} is below zero ({currency})."
                ))
            if high < low:
                problems.append(BandProblem(
                    (band.level_rank,),
                    currency,
                    f"{name} maximum {format_amount(high)} is below its minimum {format_amount(low)} "
                    f"({currency}).",
                ))
            if highest is not None and low < highest.minimum:
                problems.append(BandProblem(
                    (highest.level_rank, band.level_rank),
                    currency,
                    f"{name} minimum {format_amount(low)} is below {highest.level_name} minimum "
                    f"{format_amount(highest.minimum)} ({currency}).",
                ))
            if highest is None or low >= highest.minimum:
                highest = band
    return problems


def check_bands(bands: Iterable[BandFigures]) -> list[str]:
    """The messages of `band_problems`: empty when the set is sound."""
    return [problem.message for problem in band_problems(bands)]


# --- Which band is in force ----------------------------------------------------------------------


class DatedBand(Protocol):
    level_id: int
    track_id: int | None
    currency: str
    valid_from: datetime.date


B = TypeVar("B", bound=DatedBand)


def bands_in_force(bands: Iterable[B], *, track_id: int | None, on: datetime.date) -> list[B]:
    """The band in force on `on` for each level and currency of one track.

    A band applies from its `valid_from` until a later band of the same scope (level,
    currency, and the same track or all tracks) starts. A track's own band wins over
    the all-tracks band whenever both apply, whichever started later; `track_id=None`
    asks for the all-tracks bands alone. Bands of other tracks are ignored.
    """
    own: dict[tuple, B] = {}
    general: dict[tuple, B] = {}
    for band in bands:
        if band.valid_from > on:
            continue
        if band.track_id is None:
            target = general
        elif track_id is not None and band.track_id == track_id:
            target = own
        else:
            continue
        key = (band.level_id, band.currency)
        current = target.get(key)
        if current is None or band.valid_from > current.valid_from:
            target[key] = band
    return list({**general, **own}.values())
