"""The dashboard's pure rules, without a database."""

from __future__ import annotations

import datetime

from dashboard import rules

D = datetime.date


def test_quarters():
    assert rules.quarter_of(D(2026, 12, 2)) == (2026, 4)
    assert rules.quarter_bounds(2026, 1) == (D(2026, 1, 1), D(2026, 3, 31))
    assert rules.quarter_bounds(2024, 4) == (D(2024, 10, 1), D(2024, 12, 31))
    assert rules.recent_quarters(D(2026, 2, 1), 3) == [(2026, 1), (2025, 4), (2025, 3)]
    assert rules.quarters_between(D(2025, 11, 5), D(2026, 4, 1)) == [(2025, 4), (2026, 1), (2026, 2)]
    assert rules.default_period(D(2026, 12, 2)) == (D(2025, 10, 1), D(2026, 12, 2))


def test_median_and_months():
    assert rules.median([]) is None
    assert rules.median([3, 1, 2]) == 2
    assert rules.median([1, 2, 3, 4]) == 2.5
    assert round(rules.months_between(D(2025, 1, 1), D(2026, 1, 1)), 1) == 12.0


def group(label, people, **values):
    return rules.Group(key=label, label=label, people=people, values=values)


def test_small_groups_merge_into_other_and_counts_add_up():
    groups, changed = rules.merge_small(
        [group("a", 7, n=7), group("b", 3, n=3), group("c", 2, n=1)], k=5, other_label="Other")
    assert changed
    assert [(g.label, g.people, g.values, g.hidden) for g in groups] == [
        ("a", 7, {"n": 7}, False), ("Other", 5, {"n": 4}, False)]


def test_an_other_group_still_too_small_is_hidden_and_lists_pool():
    groups, changed = rules.merge_small([group("a", 9, d=[1.0]), group("b", 3, d=[2.0, 4.0])], k=5, other_label="Other")
    assert changed and groups[-1].hidden and groups[-1].values == {"d": [2.0, 4.0]}


def test_nothing_small_nothing_changed():
    groups, changed = rules.merge_small([group("a", 5)], k=5, other_label="Other")
    assert not changed and [g.label for g in groups] == ["a"]


def test_buckets_hide_small_counts_but_not_empty_ones():
    groups, changed = rules.hide_small([group("now", 0), group("soon", 4), group("later", 5)], k=5)
    assert changed
    assert [g.hidden for g in groups] == [False, True, False]


def test_only_the_largest_groups_stay_on_their_own():
    groups, folded = rules.keep_largest(
        [group("a", 3, n=3), group("b", 9, n=9), group("c", 6, n=6)], limit=2, other_label="Other")
    assert folded == 1
    assert [(g.label, g.people, g.values) for g in groups] == [("b", 9, {"n": 9}), ("c", 6, {"n": 6}), ("Other", 3, {"n": 3})]


def test_the_rest_joins_an_other_group_already_there_and_hides_below_k():
    merged, _ = rules.merge_small([group("a", 7, n=7), group("b", 6, n=6), group("c", 2, n=2)], k=5, other_label="Other")
    assert merged[-1].hidden
    groups, folded = rules.keep_largest(merged, limit=1, other_label="Other", k=5)
    assert folded == 1
    assert [(g.label, g.people, g.values, g.hidden) for g in groups] == [
        ("a", 7, {"n": 7}, False), ("Other", 8, {"n": 8}, False)]
    few, _ = rules.keep_largest([group("a", 7), group("b", 2)], limit=1, other_label="Other", k=5)
    assert few[-1].hidden
    assert rules.keep_largest([group("a", 1)], limit=1, other_label="Other") == ([group("a", 1)], 0)
