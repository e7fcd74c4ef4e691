"""reviews/rules.py: how votes decide, and why a defense cannot be requested. No database."""

import datetime

import pytest

from reviews import rules

D = datetime.date

A, R, X = "approve", "reject", "abstain"


@pytest.mark.parametrize(
    "votes, passed",
    [
        ([A, A, A, A], True),
        ([A, A, A, R], True),
        ([A, A, R, R], False),  # a tie fails
        ([A, R, X, X], False),  # a tie after abstentions fails too
        ([A, X, X, X], True),  # abstentions are not counted: 1 against 0
        ([A, A, R, X], True),
        ([A, R, R, X], False),
        ([X, X, X, X], False),  # nobody approves: 0 is not more than 0
        ([R, R, R, R], False),
        ([], False),
    ],
)
def test_majority(votes, passed):
    assert rules.outcome(votes, rules.MAJORITY) is passed


def test_majority_is_the_default_rule():
    assert rules.outcome([A, A, R, X]) is True
    assert rules.outcome([A, R]) is False


@pytest.mark.parametrize(
    "votes, passed",
    [
        ([A, A, A, A], True),
        ([A, X, X, X], True),  # abstaining does not block
        ([A, A, A, R], False),  # one rejection blocks
        ([X, X, X, X], False),  # at least one approval is needed
        ([R, X, X, X], False),
        ([], False),
    ],
)
def test_unanimous(votes, passed):
    assert rules.outcome(votes, rules.UNANIMOUS) is passed


def test_outcome_accepts_any_iterable():
    assert rules.outcome(iter([A, A, R]), rules.MAJORITY) is True


@pytest.mark.parametrize("rule", ["", "Majority", "plurality", None])
def test_an_unknown_rule_raises(rule):
    with pytest.raises(ValueError, match="Unknown decision rule"):
        rules.outcome([A, A, A, A], rule)


# --- request_refusal ------------------------------------------------------------------------

TODAY = D(2025, 3, 1)


def refusal(**overrides):
    """request_refusal for a Middle (rank 4) asking for Middle+ (5), eligible unless overridden."""
    values = dict(
        current_rank=4,
        target_rank=5,
        top_rank=9,
        target_entry_only=False,
        earliest=D(2025, 1, 1),
        today=TODAY,
        probation_end=None,
        has_open_review=False,
    )
    values.update(overrides)
    return rules.request_refusal(**values)


def test_an_eligible_person_is_not_refused():
    assert refusal() is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"earliest": TODAY},  # the earliest day itself is allowed
        {"earliest": None},
        {"probation_end": TODAY},  # probation ends today: over
        {"probation_end": D(2024, 6, 1)},
        {"current_rank": 8, "target_rank": 9},  # the last step of the ladder
    ],
)
def test_boundaries_that_are_allowed(overrides):
    assert refusal(**overrides) is None


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"current_rank": None}, "no grade yet"),
        ({"current_rank": 9, "target_rank": 10}, "top of the ladder"),
        ({"current_rank": 12, "target_rank": 13}, "top of the ladder"),
        ({"target_rank": 6}, "only the next level"),  # Middle → Middle++
        ({"target_rank": 7}, "only the next level"),  # Middle → Senior
        ({"target_rank": 4}, "only the next level"),  # the same level
        ({"target_rank": 3}, "only the next level"),  # downwards
        ({"current_rank": 0, "target_rank": 1, "target_entry_only": True}, "entry level"),
        ({"has_open_review": True}, "already an open review"),
    ],
)
def test_refusals(overrides, message):
    assert message in refusal(**overrides)


def test_probation_names_its_end_and_the_earliest_date():
    message = refusal(probation_end=D(2025, 4, 15), earliest=D(2025, 10, 15))
    assert "probation" in message
    assert "2025-04-15" in message
    assert "2025-10-15" in message


def test_probation_without_an_earliest_date_names_the_end_twice():
    message = refusal(probation_end=D(2025, 4, 15), earliest=None)
    assert message.count("2025-04-15") == 2


def test_too_early_names_the_date():
    message = refusal(earliest=D(2025, 3, 2))
    assert "Too early" in message
    assert "2025-03-02" in message


@pytest.mark.parametrize(
    "overrides, message",
    [
        # Several reasons at once: the one the person can do least about comes first.
        ({"current_rank": None, "has_open_review": True}, "no grade yet"),
        ({"current_rank": 9, "target_rank": 10, "has_open_review": True}, "top of the ladder"),
        ({"target_rank": 7, "earliest": D(2026, 1, 1)}, "only the next level"),
        ({"has_open_review": True, "probation_end": D(2025, 6, 1)}, "already an open review"),
        ({"probation_end": D(2025, 6, 1), "earliest": D(2025, 12, 1)}, "probation"),
    ],
)
def test_the_first_reason_wins(overrides, message):
    assert message in refusal(**overrides)
