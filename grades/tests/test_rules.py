"""Table tests of grades/rules.py. Plain values in, plain values out: no database."""

import datetime

import re

import pytest

from grades import rules
from grades.rules import LedgerEntry, MentorshipPeriod

D = datetime.date

# The shipped ladder as the rules receive it from the Level table: code -> rank.
RANKS = {
    code: rank
    for rank, code in enumerate(
        [
            "junior", "junior-plus", "junior-plus-plus",
            "middle", "middle-plus", "middle-plus-plus",
            "senior", "senior-plus", "senior-plus-plus",
        ],
        start=1,
    )
}  # fmt: skip


# --- Calendar arithmetic ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 1, 15), 1, D(2024, 2, 15)),
        (D(2023, 1, 31), 1, D(2023, 2, 28)),  # clamped to the end of a short month
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
        (D(2023, 8, 31), 6, D(2024, 2, 29)),
        (D(2022, 8, 31), 6, D(2023, 2, 28)),
        (D(2024, 3, 31), 1, D(2024, 4, 30)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),  # leap day a year on
        (D(2024, 2, 29), 48, D(2028, 2, 29)),  # ... and four years on
        (D(2023, 11, 30), 3, D(2024, 2, 29)),  # across a year end
        (D(2023, 12, 15), 1, D(2024, 1, 15)),
        (D(2024, 5, 10), 0, D(2024, 5, 10)),
        (D(2024, 1, 31), -1, D(2023, 12, 31)),  # negative: back across a year end
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2023, 3, 31), -1, D(2023, 2, 28)),
        (D(2024, 1, 15), -13, D(2022, 12, 15)),
        (D(2025, 2, 28), -12, D(2024, 2, 28)),  # not "back to the leap day"
    ],
)
def test_add_months(day, months, expected):
    assert rules.add_months(day, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2024, 1, 15), D(2024, 1, 15), 0),
        (D(2024, 1, 15), D(2024, 2, 14), 0),  # one day short of a month
        (D(2024, 1, 15), D(2024, 2, 15), 1),
        (D(2024, 1, 15), D(2024, 7, 14), 5),
        (D(2024, 1, 15), D(2024, 7, 15), 6),
        (D(2023, 1, 31), D(2023, 2, 27), 0),
        (D(2023, 1, 31), D(2023, 2, 28), 1),  # the clamped month end counts as a month
        (D(2023, 1, 31), D(2023, 3, 1), 1),
        (D(2023, 1, 31), D(2023, 3, 30), 1),
        (D(2023, 1, 31), D(2023, 3, 31), 2),
        (D(2024, 2, 29), D(2025, 2, 27), 11),
        (D(2024, 2, 29), D(2025, 2, 28), 12),
        (D(2022, 12, 20), D(2023, 1, 19), 0),  # across a year end
        (D(2022, 12, 20), D(2023, 1, 20), 1),
        (D(2020, 6, 1), D(2024, 6, 1), 48),
        (D(2024, 6, 1), D(2024, 5, 1), 0),  # end before start
    ],
)
def test_whole_months_between(start, end, expected):
    assert rules.whole_months_between(start, end) == expected


@pytest.mark.parametrize(
    ("start", "months"),
    [(D(2023, 1, 31), n) for n in range(0, 25)] + [(D(2024, 2, 29), n) for n in (1, 12, 13, 48)],
)
def test_whole_months_between_agrees_with_add_months(start, months):
    """The month count and the month arithmetic use the same clamping, so they round-trip."""
    end = rules.add_months(start, months)
    assert rules.whole_months_between(start, end) == months
    assert rules.whole_months_between(start, end - datetime.timedelta(days=1)) == max(months - 1, 0)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2020, 1, 1), D(2020, 1, 1), 0.0),
        (D(2024, 1, 1), D(2020, 1, 1), 0.0),  # end before start
        (D(2019, 6, 1), D(2024, 6, 1), 5.0),
        (D(2018, 1, 1), D(2024, 3, 15), 6.2),
        (D(2023, 1, 1), D(2023, 7, 2), 0.5),
    ],
)
def test_years_between(start, end, expected):
    assert rules.years_between(start, end) == expected


# --- Check parameters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("", {}),
        ("", None),
        ("experience_years", {"years": 3}),
        ("experience_years", {"years": 1.5}),
        ("experience_years", {"years": 60}),
        ("mentee_count", {"min": 1}),
        ("mentee_count", {"min": 100}),
        ("mentee_promoted", {"from": ["junior", "junior-plus"], "to": "junior-plus-plus"}),
        ("mentee_promoted", {"from": ["middle-plus-plus"], "to": "senior-plus-plus"}),
    ],
)
def test_validate_check_accepts(kind, params):
    assert rules.validate_check(kind, params, RANKS) is None


@pytest.mark.parametrize(
    ("kind", "params", "message"),
    [
        ("", {"years": 3}, "no check kind"),
        ("seniority", {}, "Unknown check kind"),
        ("experience_years", {}, "'years'"),
        ("experience_years", {"years": 0}, "'years'"),
        ("experience_years", {"years": -2}, "'years'"),
        ("experience_years", {"years": 61}, "'years'"),
        ("experience_years", {"years": "5"}, "'years'"),
        ("experience_years", {"years": True}, "'years'"),
        ("experience_years", {"years": None}, "'years'"),
        ("experience_years", {"years": 3, "months": 2}, "Unexpected parameters for experience_years: months"),
        ("mentee_count", {}, "'min'"),
        ("mentee_count", {"min": 0}, "'min'"),
        ("mentee_count", {"min": 101}, "'min'"),
        ("mentee_count", {"min": 2.5}, "'min'"),
        ("mentee_count", {"min": "2"}, "'min'"),
        ("mentee_count", {"min": True}, "'min'"),
        ("mentee_count", {"min": 2, "max": 5}, "Unexpected parameters for mentee_count: max"),
        ("mentee_promoted", {"to": "middle"}, "'from'"),
        ("mentee_promoted", {"from": [], "to": "middle"}, "'from'"),
        ("mentee_promoted", {"from": "junior", "to": "middle"}, "'from'"),
        ("mentee_promoted", {"from": ["architect"], "to": "middle"}, "'from'"),
        ("mentee_promoted", {"from": ["junior"]}, "'to'"),
        ("mentee_promoted", {"from": ["junior"], "to": "principal"}, "'to'"),
        ("mentee_promoted", {"from": ["middle"], "to": "middle"}, "below 'to'"),
        ("mentee_promoted", {"from": ["junior", "senior"], "to": "middle"}, "below 'to'"),
        (
            "mentee_promoted",
            {"from": ["junior"], "to": "middle", "within": 12, "by": 1},
            "Unexpected parameters for mentee_promoted: by, within",
        ),
    ],
)
def test_validate_check_refuses(kind, params, message):
    with pytest.raises(ValueError) as excinfo:
        rules.validate_check(kind, params, RANKS)
    assert message in str(excinfo.value)


def test_the_level_codes_come_from_the_ladder_given():
    """Another ladder's codes and order: what the shipped ladder refuses may be right there."""
    ladder = {"trainee": 1, "engineer": 2, "principal": 3}
    params = {"from": ["trainee", "engineer"], "to": "principal"}
    assert rules.validate_check("mentee_promoted", params, ladder) is None
    with pytest.raises(ValueError, match="'from'"):
        rules.validate_check("mentee_promoted", params, RANKS)
    with pytest.raises(ValueError, match=r"\(trainee, engineer, principal\)"):
        rules.validate_check("mentee_promoted", {"from": ["junior"], "to": "principal"}, ladder)
    with pytest.raises(ValueError, match="below 'to'"):
        rules.validate_check("mentee_promoted", {"from": ["principal"], "to": "engineer"}, ladder)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": ["anything"], "to": "else"}, None),
        ({"from": [], "to": "middle"}, "'from'"),
        ({"from": [""], "to": "middle"}, "'from'"),
        ({"from": [3], "to": "middle"}, "'from'"),
        ({"from": ["junior"], "to": ["middle"]}, "'to'"),
        ({"from": ["middle"], "to": "middle"}, "below 'to'"),
    ],
)
def test_without_the_ladder_only_the_form_of_the_codes_is_checked(params, message):
    if message is None:
        assert rules.validate_check("mentee_promoted", params) is None
    else:
        with pytest.raises(ValueError, match=message):
            rules.validate_check("mentee_promoted", params)


@pytest.mark.parametrize(
    ("kind", "params"),
    [("experience_years", [5]), ("mentee_count", "3"), ("mentee_promoted", ["junior", "middle"])],
)
def test_validate_check_refuses_parameters_that_are_not_an_object(kind, params):
    with pytest.raises(ValueError):
        rules.validate_check(kind, params, RANKS)


# --- Ledger and mentorship rules -----------------------------------------------------------

LEDGER = (
    LedgerEntry("junior", D(2021, 1, 10), "hire"),
    LedgerEntry("junior-plus", D(2021, 9, 1)),
    LedgerEntry("junior-plus-plus", D(2022, 6, 1)),
    LedgerEntry("middle", D(2023, 3, 1)),
)


@pytest.mark.parametrize(
    ("ledger", "day", "expected"),
    [
        ((), D(2022, 1, 1), None),
        (LEDGER, D(2021, 1, 9), None),  # before the hire
        (LEDGER, D(2021, 1, 10), "junior"),
        (LEDGER, D(2021, 8, 31), "junior"),
        (LEDGER, D(2021, 9, 1), "junior-plus"),  # in force from its effective date
        (LEDGER, D(2023, 2, 28), "junior-plus-plus"),
        (LEDGER, D(2030, 1, 1), "middle"),
        # Two entries on one day: the later one in the ledger wins.
        (
            (
                LedgerEntry("junior", D(2021, 1, 10), "hire"),
                LedgerEntry("junior-plus", D(2021, 9, 1)),
                LedgerEntry("junior", D(2021, 9, 1), "correction"),
            ),
            D(2021, 9, 1),
            "junior",
        ),
    ],
)
def test_level_on(ledger, day, expected):
    assert rules.level_on(ledger, day) == expected


TODAY = D(2025, 1, 1)


def _period(ledger, started_on, ended_on=None, mentee_id=1):
    return MentorshipPeriod(
        mentee_id=mentee_id, started_on=started_on, ended_on=ended_on, mentee_ledger=ledger
    )


@pytest.mark.parametrize(
    ("ledger", "started_on", "ended_on", "sources", "target", "expected"),
    [
        pytest.param(
            LEDGER, D(2022, 1, 1), None, ["junior-plus-plus"], "middle", True,
            id="promoted during an open mentorship",
        ),
        pytest.param(
            LEDGER, D(2022, 1, 1), D(2023, 3, 1), ["junior-plus-plus"], "middle", True,
            id="promoted on the last day of the mentorship",
        ),
        pytest.param(
            LEDGER, D(2022, 1, 1), D(2023, 2, 28), ["junior-plus-plus"], "middle", False,
            id="promoted the day after the mentorship ended",
        ),
        pytest.param(
            LEDGER, D(2023, 4, 1), None, ["junior-plus-plus"], "middle", False,
            id="promoted before the mentorship started",
        ),
        pytest.param(
            LEDGER, D(2021, 2, 1), D(2021, 12, 31), ["junior-plus", "junior-plus-plus"], "middle", False,
            id="promotion came after the mentorship ended",
        ),
        pytest.param(
            LEDGER, D(2022, 1, 1), None, ["junior"], "middle", False,
            id="held only levels not in sources while mentored",
        ),
        pytest.param(
            LEDGER, D(2021, 6, 1), None, ["junior-plus-plus"], "middle", True,
            id="several steps Junior to Junior++ to Middle, source reached in the period",
        ),
        pytest.param(
            LEDGER, D(2021, 10, 1), None, ["junior-plus"], "middle", True,
            id="several steps, source held at the start",
        ),
        pytest.param(
            LEDGER, D(2021, 10, 1), None, ["junior-plus"], "junior-plus-plus", True,
            id="reached exactly the target",
        ),
        pytest.param(
            LEDGER, D(2021, 10, 1), None, ["junior-plus"], "middle-plus", False,
            id="did not reach the target",
        ),
        pytest.param(
            (LedgerEntry("middle", D(2023, 2, 1), "hire"),), D(2023, 1, 1), None,
            ["junior-plus-plus"], "middle", False,
            id="hired directly at Middle during the mentorship",
        ),
        pytest.param(
            (
                LedgerEntry("junior-plus-plus", D(2022, 1, 1), "hire"),
                LedgerEntry("middle-plus", D(2022, 9, 1), "correction"),
            ),
            D(2022, 2, 1), None, ["junior-plus-plus"], "middle", True,
            id="target or above counts",
        ),
        pytest.param((), D(2022, 1, 1), None, ["junior"], "junior-plus", False, id="empty ledger"),
    ],
)
def test_mentee_was_promoted(ledger, started_on, ended_on, sources, target, expected):
    period = _period(ledger, started_on, ended_on)
    assert rules.mentee_was_promoted(period, sources, target, TODAY, level_ranks=RANKS) is expected


def test_mentee_was_promoted_ignores_promotions_after_today():
    # An entry recorded ahead of time (dated next month) is not a promotion yet.
    ledger = LEDGER[:3] + (LedgerEntry("middle", D(2025, 2, 1)),)
    period = _period(ledger, D(2022, 1, 1))
    assert not rules.mentee_was_promoted(period, ["junior-plus-plus"], "middle", D(2025, 1, 31), level_ranks=RANKS)
    assert rules.mentee_was_promoted(period, ["junior-plus-plus"], "middle", D(2025, 2, 1), level_ranks=RANKS)


def test_at_or_above_the_target_follows_the_ranks_given():
    """The order is the ladder's, not the codes': reorder the ladder and the answer follows."""
    period = _period((LedgerEntry("junior", D(2022, 1, 1), "hire"), LedgerEntry("senior", D(2023, 1, 1))),
                     D(2022, 1, 1))
    assert rules.mentee_was_promoted(period, ["junior"], "middle", TODAY, level_ranks=RANKS)
    upside_down = {"junior": 1, "senior": 2, "middle": 3}
    assert not rules.mentee_was_promoted(period, ["junior"], "middle", TODAY, level_ranks=upside_down)
    with pytest.raises(ValueError, match="no such level"):
        rules.mentee_was_promoted(period, ["junior"], "principal", TODAY, level_ranks=RANKS)


# --- evaluate_check --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("career_start", "today", "years", "met", "detail"),
    [
        (D(2019, 6, 1), D(2024, 6, 1), 5, True, "5.0 of 5 years"),
        (D(2015, 1, 1), D(2024, 6, 1), 5, True, "9.4 of 5 years"),
        (D(2022, 1, 1), D(2024, 6, 1), 5, False, "2.4 of 5 years"),
        (D(2022, 1, 1), D(2024, 6, 1), 1.5, True, "2.4 of 1.5 years"),
        (None, D(2024, 6, 1), 1, False, "0.0 of 1 years"),
    ],
)
def test_evaluate_experience_years(career_start, today, years, met, detail):
    result = rules.evaluate_check(
        "experience_years", {"years": years}, today=today, career_start=career_start
    )
    assert result == rules.CheckResult(met, detail)


@pytest.mark.parametrize(
    "today",
    [D(2024, 5, 14), D(2024, 5, 31)],
    ids=["18 days before the fifth anniversary", "the day before the fifth anniversary"],
)
def test_evaluate_experience_years_not_met_before_the_anniversary(today):
    result = rules.evaluate_check(
        "experience_years", {"years": 5}, today=today, career_start=D(2019, 6, 1)
    )
    assert result.met is False


def _mentorship(mentee_id, started_on, ended_on=None, ledger=()):
    return _period(ledger, started_on, ended_on, mentee_id=mentee_id)


@pytest.mark.parametrize(
    ("mentorships", "minimum", "met", "detail"),
    [
        ((), 1, False, "0 of 1 current mentees"),
        ((_mentorship(1, D(2024, 1, 1)),), 1, True, "1 of 1 current mentees"),
        # Ended yesterday, starts tomorrow: neither is current.
        (
            (_mentorship(1, D(2024, 1, 1), D(2024, 12, 31)), _mentorship(2, D(2025, 1, 2))),
            1,
            False,
            "0 of 1 current mentees",
        ),
        # Ends today and starts today: both current.
        (
            (_mentorship(1, D(2024, 1, 1), TODAY), _mentorship(2, TODAY)),
            2,
            True,
            "2 of 2 current mentees",
        ),
        # The same mentee twice (two overlapping periods) is one mentee.
        (
            (_mentorship(1, D(2024, 1, 1)), _mentorship(1, D(2024, 6, 1))),
            2,
            False,
            "1 of 2 current mentees",
        ),
    ],
)
def test_evaluate_mentee_count(mentorships, minimum, met, detail):
    result = rules.evaluate_check(
        "mentee_count", {"min": minimum}, today=TODAY, career_start=None, mentorships=mentorships
    )
    assert result == rules.CheckResult(met, detail)


@pytest.mark.parametrize(
    ("mentorships", "met", "detail"),
    [
        ((), False, "0 mentee(s) promoted"),
        ((_mentorship(1, D(2022, 1, 1), ledger=LEDGER),), True, "1 mentee(s) promoted"),
        ((_mentorship(1, D(2023, 4, 1), ledger=LEDGER),), False, "0 mentee(s) promoted"),
        (
            (
                _mentorship(1, D(2022, 1, 1), ledger=LEDGER),
                _mentorship(1, D(2022, 2, 1), ledger=LEDGER),
                _mentorship(2, D(2021, 6, 1), ledger=LEDGER),
            ),
            True,
            "2 mentee(s) promoted",
        ),
    ],
)
def test_evaluate_mentee_promoted(mentorships, met, detail):
    result = rules.evaluate_check(
        "mentee_promoted",
        {"from": ["junior-plus-plus"], "to": "middle"},
        today=TODAY,
        career_start=None,
        mentorships=mentorships,
        level_ranks=RANKS,
    )
    assert result == rules.CheckResult(met, detail)


def test_evaluate_mentee_promoted_needs_the_ladder():
    with pytest.raises(ValueError, match="level_ranks"):
        rules.evaluate_check(
            "mentee_promoted", {"from": ["junior"], "to": "middle"}, today=TODAY, career_start=None
        )


def test_evaluate_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="Unknown check kind"):
        rules.evaluate_check("seniority", {}, today=TODAY, career_start=None)


# --- Time in level and the earliest defense ----------------------------------------------


@pytest.mark.parametrize(
    ("last_change", "probation_end", "expected"),
    [
        (D(2024, 1, 10), D(2024, 4, 10), D(2024, 4, 10)),  # probation ends after the change
        (D(2024, 1, 10), D(2023, 12, 1), D(2024, 1, 10)),  # ... before it
        (D(2024, 1, 10), D(2024, 1, 10), D(2024, 1, 10)),
        (D(2024, 1, 10), None, D(2024, 1, 10)),
    ],
)
def test_time_in_level_start(last_change, probation_end, expected):
    assert rules.time_in_level_start(last_change, probation_end) == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param(
            dict(last_change=D(2024, 1, 10), probation_end=None, min_months=6),
            D(2024, 7, 10),
            id="6 months",
        ),
        pytest.param(
            dict(last_change=D(2024, 1, 10), probation_end=None, min_months=12),
            D(2025, 1, 10),
            id="12 months",
        ),
        pytest.param(
            dict(last_change=D(2024, 1, 10), probation_end=D(2024, 4, 10), min_months=6),
            D(2024, 10, 10),
            id="probation ending after the change moves the start",
        ),
        pytest.param(
            dict(last_change=D(2024, 1, 10), probation_end=D(2023, 10, 1), min_months=6),
            D(2024, 7, 10),
            id="probation ending before the change does not",
        ),
        pytest.param(
            dict(
                last_change=D(2024, 1, 10),
                probation_end=None,
                min_months=6,
                last_failed_defense=D(2024, 6, 20),
            ),
            D(2024, 9, 20),
            id="failed defense cool-down later than the time rule",
        ),
        pytest.param(
            dict(
                last_change=D(2024, 1, 10),
                probation_end=None,
                min_months=6,
                last_failed_defense=D(2024, 2, 1),
            ),
            D(2024, 7, 10),
            id="failed defense cool-down earlier than the time rule",
        ),
        pytest.param(
            dict(
                last_change=D(2024, 1, 10),
                probation_end=None,
                min_months=6,
                last_failed_defense=D(2024, 4, 10),
            ),
            D(2024, 7, 10),
            id="cool-down ends on the same day",
        ),
        pytest.param(
            dict(
                last_change=D(2024, 1, 10),
                probation_end=None,
                min_months=6,
                last_failed_defense=D(2024, 6, 20),
                cooldown_months=1,
            ),
            D(2024, 7, 20),
            id="configured cool-down",
        ),
        pytest.param(
            dict(last_change=D(2023, 8, 31), probation_end=None, min_months=6),
            D(2024, 2, 29),
            id="month end into a leap February",
        ),
        pytest.param(
            dict(last_change=D(2022, 8, 31), probation_end=None, min_months=6),
            D(2023, 2, 28),
            id="month end into a common February",
        ),
        pytest.param(
            dict(last_change=D(2024, 2, 29), probation_end=None, min_months=12),
            D(2025, 2, 28),
            id="leap day plus 12 months",
        ),
        pytest.param(
            dict(
                last_change=D(2024, 6, 1),
                probation_end=None,
                min_months=6,
                last_failed_defense=D(2024, 11, 30),
            ),
            D(2025, 2, 28),
            id="cool-down from a month end",
        ),
        pytest.param(
            # Hired directly at Senior on 1 March with three months' probation: Senior+ needs 12 months.
            dict(last_change=D(2023, 3, 1), probation_end=D(2023, 6, 1), min_months=12),
            D(2024, 6, 1),
            id="hired at Senior, 12 months from the probation end",
        ),
    ],
)
def test_earliest_defense_date(kwargs, expected):
    assert rules.earliest_defense_date(**kwargs) == expected


# --- The ladder and its main grades ----------------------------------------------------------


def grades_of(starts) -> dict[str, str | None]:
    return rules.main_grades_from_starts((rank, code, code in starts) for code, rank in RANKS.items())


SHIPPED = [(rank, code, grades_of(("junior", "middle", "senior"))[code]) for code, rank in RANKS.items()]


def test_each_level_belongs_to_the_main_grade_at_or_below_it():
    ladder = rules.build_ladder(reversed(SHIPPED))  # given in any order, returned in rank order
    assert [(level.code, level.main_grade) for level in ladder] == [
        ("junior", "junior"), ("junior-plus", "junior"), ("junior-plus-plus", "junior"),
        ("middle", "middle"), ("middle-plus", "middle"), ("middle-plus-plus", "middle"),
        ("senior", "senior"), ("senior-plus", "senior"), ("senior-plus-plus", "senior"),
    ]  # fmt: skip
    assert [level.rank for level in ladder] == list(range(1, 10))
    assert [level.grade_index for level in ladder] == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_the_starts_decide_the_grouping_not_the_codes():
    grades = grades_of(("junior", "middle-plus", "senior-plus-plus"))
    assert grades["middle"] == "junior"
    assert grades["middle-plus-plus"] == grades["senior-plus"] == "middle-plus"
    assert grades["senior-plus-plus"] == "senior-plus-plus"


def test_levels_below_the_first_main_grade_belong_to_none():
    grades = grades_of(("middle",))
    assert grades["junior"] is None and grades["middle-plus"] == "middle"
    ladder = rules.build_ladder((rank, code, grades[code]) for code, rank in RANKS.items())
    assert (ladder[0].main_grade, ladder[0].grade_index) == (None, None)
    assert rules.build_ladder([]) == []


def test_a_main_grade_is_a_level_of_the_ladder_at_or_below():
    with pytest.raises(ValueError, match=r"main grade of junior \(middle\) must be a level of the same ladder at or below it"):
        rules.build_ladder([(1, "junior", "middle"), (2, "middle", "middle")])
    with pytest.raises(ValueError, match=r"main grade of junior \(lead\)"):
        rules.build_ladder([(1, "junior", "lead"), (2, "middle", "middle")])


# --- A track's full ladder -------------------------------------------------------------------------


def test_a_ladder_of_its_own_is_its_levels_in_rank_order():
    rungs = rules.full_ladder(track_id=7, own=[(12, 2), (11, 1), (13, 3)])
    assert [(r.level_id, r.rank, r.owner_id) for r in rungs] == [(11, 1, 7), (12, 2, 7), (13, 3, 7)]
    assert rules.next_rung(rungs, 2).level_id == 13
    assert rules.next_rung(rungs, 3) is None and rules.next_rung(rungs, None) is None


def test_a_fork_shares_the_parents_levels_below_the_fork():
    parent = rules.full_ladder(track_id=1, own=[(10 + rank, rank) for rank in range(1, 6)])
    rungs = rules.full_ladder(track_id=2, own=[(24, 4), (25, 5), (26, 6)], parent=parent, fork_rank=4)
    assert [(r.level_id, r.owner_id) for r in rungs] == [(11, 1), (12, 1), (13, 1), (24, 2), (25, 2), (26, 2)]
    # A fork of a fork shares what its parent shares.
    deeper = rules.full_ladder(track_id=3, own=[(36, 6)], parent=rungs, fork_rank=6)
    assert [r.owner_id for r in deeper] == [1, 1, 1, 2, 2, 3]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(own=[(1, 1)]), "A ladder has 2 to 15 levels; this one has 1"),
        (dict(own=[(i, i) for i in range(1, 17)]), "A ladder has 2 to 15 levels; this one has 16"),
        (dict(own=[(1, 1), (3, 3)]), "ranks must run from 1 without gaps; found 1, 3"),
        (dict(own=[(24, 5)], fork_rank=4), "ranks must run from 4 without gaps; found 5"),
        (dict(own=[(24, 4)], fork_rank=9), "A fork branches at a level of its parent's ladder."),
        (dict(own=[(i, i) for i in range(4, 17)], fork_rank=4),
         "A ladder has 2 to 15 levels (the shared ones below the fork included); this one has 16"),
    ],
)
def test_a_broken_ladder_is_refused_with_a_sentence(kwargs, message):
    parent = rules.full_ladder(track_id=1, own=[(10 + rank, rank) for rank in range(1, 6)]) if "fork_rank" in kwargs else None
    with pytest.raises(ValueError, match=re.escape(message)):
        rules.full_ladder(track_id=2, parent=parent, **kwargs)
