"""The calculator, the band checks and which band is in force: tables, no database."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest

from grades.rules import build_ladder, main_grades_from_starts
from pay import rules
from pay.rules import BandFigures, Weights, calculate_bands, check_bands

D = Decimal
LEVEL_NAMES = ["Junior", "Junior+", "Junior++", "Middle", "Middle+", "Middle++", "Senior", "Senior+", "Senior++"]
CODES = [
    "junior", "junior-plus", "junior-plus-plus",
    "middle", "middle-plus", "middle-plus-plus",
    "senior", "senior-plus", "senior-plus-plus",
]  # fmt: skip
# The shipped ladder as the Level table gives it: Junior, Middle and Senior start main grades.
def ladder_starting(*starts):
    grades = main_grades_from_starts((rank, code, code in starts) for rank, code in enumerate(CODES, 1))
    return build_ladder((rank, code, grades[code]) for rank, code in enumerate(CODES, 1))


LADDER = ladder_starting("junior", "middle", "senior")


def edges(bands):
    return [b.minimum for b in bands] + [bands[-1].maximum]


def steps(bands):
    return [b.maximum - b.minimum for b in bands]


# --- The calculator ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "minimum, maximum, mode, round_to, expected_edges",
    [
        # Nine equal steps of 1,000.
        ("1000", "10000", "even", 1, [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]),
        # 7,000 / 9 = 777.78 per step, rounded to 780; Senior++ takes the rest (760).
        ("1500", "8500", "even", 10, [1500, 2280, 3060, 3840, 4620, 5400, 6180, 6960, 7740, 8500]),
        # Default weights sum to 13: 1, 1, 2, 1.25, 1.25, 2, 1.5, 1.5, 1.5 thousand.
        ("0", "13000", "weighted", 1, [0, 1000, 2000, 4000, 5250, 6500, 8500, 10000, 11500, 13000]),
        # 7,000 / 13 = 538.46 per unit of weight, steps rounded to 10.
        ("1500", "8500", "weighted", 10, [1500, 2040, 2580, 3660, 4330, 5000, 6080, 6890, 7700, 8500]),
        # Cents in the given ends are kept; the steps are whole hundreds.
        ("1000.50", "10000.50", "even", 100, [D("1000.50") + 1000 * i for i in range(10)]),
    ],
)
def test_calculated_edges(minimum, maximum, mode, round_to, expected_edges):
    bands = calculate_bands(ladder=LADDER, minimum=minimum, maximum=maximum, mode=mode, round_to=round_to)
    assert [b.level_code for b in bands] == CODES
    assert edges(bands) == [D(e) for e in expected_edges]


def test_custom_weights_change_the_shape():
    weights = Weights(main_step=4, inner_junior=1, inner_middle=2, inner_senior=3)
    bands = calculate_bands(ladder=LADDER, minimum=0, maximum=2000, mode="weighted", weights=weights, round_to=1)
    # Weights 1, 1, 4, 2, 2, 4, 3, 3, 3 sum to 23 (86.96 per unit of weight).
    assert steps(bands) == [D(87), D(87), D(348), D(174), D(174), D(348), D(261), D(261), D(260)]


RANGES = [
    ("1500", "8500", 10),
    ("800", "20000", 100),
    ("30000", "250000", 1000),
    ("1200.75", "9100.25", 1),
    ("0", "900", 1),
]


@pytest.mark.parametrize("minimum, maximum, round_to", RANGES)
@pytest.mark.parametrize("mode", ["even", "weighted"])
def test_bands_touch_rise_and_pass_their_own_check(minimum, maximum, round_to, mode):
    bands = calculate_bands(ladder=LADDER, minimum=minimum, maximum=maximum, mode=mode, round_to=round_to)
    assert bands[0].minimum == D(minimum) and bands[-1].maximum == D(maximum)
    for lower, higher in zip(bands, bands[1:]):
        assert lower.maximum == higher.minimum  # band i is [p_i, p_i+1)
        assert higher.minimum > lower.minimum
    figures = [BandFigures(i + 1, LEVEL_NAMES[i], "EUR", b.minimum, b.maximum) for i, b in enumerate(bands)]
    assert check_bands(figures) == []


@pytest.mark.parametrize("minimum, maximum, round_to", RANGES)
def test_weighted_steps_follow_the_article(minimum, maximum, round_to):
    """Into a new main grade > inside Senior > inside Middle > inside Junior, equal within a grade."""
    s = steps(calculate_bands(ladder=LADDER, minimum=minimum, maximum=maximum, mode="weighted", round_to=round_to))
    junior, to_middle, middle, to_senior, senior = s[0:2], s[2], s[3:5], s[5], s[6:8]
    assert junior[0] == junior[1] and middle[0] == middle[1] and senior[0] == senior[1]
    assert to_middle == to_senior
    assert to_middle > senior[0] > middle[0] > junior[0]


@pytest.mark.parametrize("minimum, maximum, round_to", RANGES)
def test_even_steps_are_equal(minimum, maximum, round_to):
    s = steps(calculate_bands(ladder=LADDER, minimum=minimum, maximum=maximum, mode="even", round_to=round_to))
    assert len(set(s[:8])) == 1
    # The rounding remainder lands on Senior++: within 4 roundings of a step.
    assert abs(s[8] - s[0]) <= 4 * round_to


@pytest.mark.parametrize(
    "minimum, maximum, mode, round_to, message",
    [
        ("-1", "1000", "even", 1, "The Junior minimum cannot be negative; got -1."),
        ("0", "-5", "even", 1, "The Senior++ maximum cannot be negative; got -5."),
        ("2000", "2000", "even", 1, "The Senior++ maximum (2,000) must be above the Junior minimum (2,000)."),
        ("3000", "2000", "weighted", 1, "The Senior++ maximum (2,000) must be above the Junior minimum (3,000)."),
        ("0", "1000", "linear", 1, "Unknown mode 'linear'; choose one of: even, weighted."),
        ("0", "1000", "", 1, "Unknown mode ''; choose one of: even, weighted."),
        ("lots", "1000", "even", 1, "The Junior minimum must be a number such as 1500 or 1500.50; got 'lots'."),
        ("NaN", "1000", "even", 1, "The Junior minimum must be a number"),
        ("0", "Infinity", "even", 1, "The Senior++ maximum must be a number"),
        ("10.005", "1000", "even", 1, "The Junior minimum has more than two decimal places: 10.005."),
        ("0", "10000000000", "even", 1, "The Senior++ maximum must be below 10,000,000,000."),
        ("1000", "1030", "even", 10, "The range 1,000 to 1,030 is too narrow for 9 bands rounded to 10"),
        ("0", "8", "even", 1, "too narrow"),
        ("0", "1000", "even", 0, "Bands must be rounded to a positive amount; got 0."),
    ],
)
def test_bad_input_is_a_sentence(minimum, maximum, mode, round_to, message):
    with pytest.raises(ValueError) as caught:
        calculate_bands(ladder=LADDER, minimum=minimum, maximum=maximum, mode=mode, round_to=round_to)
    assert message in str(caught.value)


def test_the_main_grades_come_from_the_ladder_not_the_codes():
    """The weights follow the ladder's main grades by their place: a fourth main grade (Middle+)
    steps inside it as the third's do; Middle joined to Junior leaves one main step (into Senior),
    and Senior, now the second main grade, steps inside it as Middle did. A level of no main
    grade is refused with a sentence."""
    flagged = ladder_starting("junior", "middle", "middle-plus", "senior")
    assert rules.band_weights("weighted", rules.DEFAULT_WEIGHTS, flagged) == [
        D(1), D(1), D(2), D(2), D("1.5"), D(2), D("1.5"), D("1.5"), D("1.5")
    ]
    merged = ladder_starting("junior", "senior")
    assert rules.band_weights("weighted", rules.DEFAULT_WEIGHTS, merged) == [
        D(1), D(1), D(1), D(1), D(1), D(2), D("1.25"), D("1.25"), D("1.25")
    ]
    with pytest.raises(ValueError, match="junior, junior-plus, junior-plus-plus belong\\(s\\) to none"):
        rules.band_weights("weighted", rules.DEFAULT_WEIGHTS, ladder_starting("middle", "senior"))
    assert rules.band_weights("even", rules.DEFAULT_WEIGHTS, ladder_starting("middle", "senior")) == [D(1)] * 9
    assert rules.band_weights("weighted", rules.DEFAULT_WEIGHTS, LADDER) == [
        D(1), D(1), D(2), D("1.25"), D("1.25"), D(2), D("1.5"), D("1.5"), D("1.5")
    ]


def test_an_empty_ladder_is_a_sentence():
    with pytest.raises(ValueError, match="The ladder has no levels."):
        calculate_bands(ladder=[], minimum=0, maximum=1000, mode="even")


@pytest.mark.parametrize(
    "weights",
    [
        (1, 1, 1, 1),  # nothing larger
        (2, 1, 1.5, 1.25),  # Middle steps above Senior ones
        (1.5, 1, 1.25, 1.5),  # a main step no larger than a Senior one
        (2, 0, 1, 1.5),  # a zero weight
        (2, -1, 1, 1.5),
    ],
)
def test_weights_must_keep_the_order_of_the_article(weights):
    main, junior, middle, senior = weights
    with pytest.raises(ValueError, match="main step > inner Senior > inner Middle > inner Junior > 0"):
        Weights(main_step=main, inner_junior=junior, inner_middle=middle, inner_senior=senior)


def test_weights_from_floats_are_exact():
    assert Weights(main_step=2.2, inner_junior=1.1, inner_middle=1.2, inner_senior=1.3).inner_junior == D("1.1")


@pytest.mark.parametrize(
    "amount, shown",
    [(D("1900"), "1,900"), (D("1900.00"), "1,900"), (D("1900.5"), "1,900.50"), (D("1234567.89"), "1,234,567.89"),
     (D("0"), "0")],
)
def test_format_amount(amount, shown):
    assert rules.format_amount(amount) == shown


# --- The check ---------------------------------------------------------------------------------------


def figures(minimums, currency="EUR", maximums=None):
    """Bands for the first len(minimums) levels; each 500 wide unless given."""
    maximums = maximums or [low + 500 for low in minimums]
    return [
        BandFigures(rank, LEVEL_NAMES[rank - 1], currency, D(low), D(high))
        for rank, (low, high) in enumerate(zip(minimums, maximums), start=1)
    ]


@pytest.mark.parametrize(
    "bands, messages",
    [
        (figures([1000, 1500, 2000, 3000, 3500, 4000, 5000, 6000, 7000]), []),
        # Equal minimums are allowed: the rule is "not below".
        (figures([1000, 1000, 2000]), []),
        # Overlapping upward (a Middle maximum above the Middle+ minimum) is allowed.
        (figures([1000, 1500, 1800, 2000, 2500], maximums=[1600, 2000, 2600, 3000, 3100]), []),
        (
            figures([1000, 1500, 1800, 2000, 1900, 2600]),
            ["Middle+ minimum 1,900 is below Middle minimum 2,000 (EUR)."],
        ),
        (
            figures([1000, 3000, 2500, 2800]),
            # Each is compared with the highest minimum below it, which is Junior+'s.
            ["Junior++ minimum 2,500 is below Junior+ minimum 3,000 (EUR).",
             "Middle minimum 2,800 is below Junior+ minimum 3,000 (EUR)."],
        ),
        (
            figures([1000, 1500], maximums=[900, 2000]),
            ["Junior maximum 900 is below its minimum 1,000 (EUR)."],
        ),
        (figures([-10, 1500]), ["Junior minimum -10 is below zero (EUR)."]),
        (
            [BandFigures(4, "Middle", "EUR", D(2000), D(2500)), BandFigures(4, "Middle", "EUR", D(2100), D(2600))],
            ["Middle has two EUR bands in the same set."],
        ),
        # A gap in the ladder: Senior is compared with Middle.
        (
            [BandFigures(4, "Middle", "EUR", D(2000), D(2500)), BandFigures(7, "Senior", "EUR", D(1999.5), D(4000))],
            ["Senior minimum 1,999.50 is below Middle minimum 2,000 (EUR)."],
        ),
        # Different currencies are not compared with each other.
        (
            [BandFigures(4, "Middle", "EUR", D(2000), D(2500)), BandFigures(5, "Middle+", "USD", D(1900), D(2600))],
            [],
        ),
    ],
)
def test_check_bands(bands, messages):
    assert check_bands(bands) == messages


def test_problems_name_the_levels_and_currency():
    [problem] = rules.band_problems(figures([1000, 1500, 1800, 2000, 1900], currency="USD"))
    assert problem.ranks == (4, 5) and problem.currency == "USD"


# --- Which band is in force ------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    name: str
    level_id: int
    track_id: int | None
    currency: str
    valid_from: datetime.date


BACKEND, FULLSTACK = 1, 2
Y24, Y25, Y26 = datetime.date(2024, 1, 1), datetime.date(2025, 1, 1), datetime.date(2026, 1, 1)
BANDS = [
    Band("all-24", 4, None, "EUR", Y24),
    Band("all-25", 4, None, "EUR", Y25),
    Band("all-26", 4, None, "EUR", Y26),
    Band("backend-24", 4, BACKEND, "EUR", Y24),
    Band("fullstack-25", 4, FULLSTACK, "EUR", Y25),
    Band("all-usd-24", 4, None, "USD", Y24),
    Band("all-senior-25", 7, None, "EUR", Y25),
]


@pytest.mark.parametrize(
    "track_id, day, expected",
    [
        # The track's own band wins over the all-tracks one, even a later all-tracks one.
        (BACKEND, datetime.date(2025, 6, 1), {"backend-24", "all-usd-24", "all-senior-25"}),
        # Before its own band starts, fullstack follows the all-tracks band.
        (FULLSTACK, datetime.date(2024, 12, 31), {"all-24", "all-usd-24"}),
        (FULLSTACK, Y25, {"fullstack-25", "all-usd-24", "all-senior-25"}),
        # Only the all-tracks bands, latest started by the day; the 2026 band is in the future.
        (None, datetime.date(2025, 12, 31), {"all-25", "all-usd-24", "all-senior-25"}),
        (None, Y26, {"all-26", "all-usd-24", "all-senior-25"}),
        # A track with no bands of its own.
        (3, Y25, {"all-25", "all-usd-24", "all-senior-25"}),
        (BACKEND, datetime.date(2023, 12, 31), set()),
    ],
)
def test_bands_in_force(track_id, day, expected):
    assert {b.name for b in rules.bands_in_force(BANDS, track_id=track_id, on=day)} == expected
