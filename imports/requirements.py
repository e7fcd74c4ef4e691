"""
Planning a requirements spreadsheet: one row per requirement of a track's level.

Each row is checked with the framework loader's own validator
(grades.framework_loader), so a key, a category, a text or a check is accepted
here exactly when `load_framework` would accept it in a framework file. Rows are
matched to existing requirements by (track, key): a new key is created at the end
of its level, a changed one is updated (and reactivated when it was retired), an
equal one is left alone. A spreadsheet adds and changes lines; it never retires
the lines it does not mention (that is what the admin's "retire" action and a
framework file are for).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grades import framework_loader
from grades import rules as grade_rules
from grades.models import FIRST_RANK

from . import rules

FIELDS = ("category", "text", "text_en", "origin", "check_kind", "check_params")


def attname(name: str) -> str:
    """The requirement attribute that holds a column's value: the theme's key is category_id."""
    return "category_id" if name == "category" else name


@dataclass(frozen=True)
class RequirementFacts:
    track_names: Mapping[str, str]  # normalised name → slug
    # The shipped ladder: a row whose track is unknown (or not in `ladders`) is read against it.
    levels: Mapping[str, rules.LevelInfo]
    level_names: Mapping[str, str]
    existing: Mapping[tuple[str, str], Any]  # (track slug, key) → Requirement
    # The keys of the themes (grades.Category) a row may name.
    categories: frozenset[str] = frozenset(framework_loader.CATEGORIES)
    # Each track's full ladder, by slug: a row's level is looked up on its track's.
    ladders: Mapping[str, rules.TrackLadder] = field(default_factory=dict)

    def ladder_of(self, track: str) -> rules.TrackLadder:
        ladder = self.ladders.get(track)
        return ladder if ladder is not None else rules.TrackLadder(self.levels, self.level_names)


@dataclass
class RequirementRowPlan:
    row: rules.SourceRow
    track: str = ""
    level: str = ""  # a code of the track's ladder
    level_id: int | None = None
    key: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    action: str = "skip"  # create / update / unchanged / skip
    changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        return self.action in ("create", "update")


@dataclass
class RequirementsPlan(rules.RowsPlan):
    rows: list[RequirementRowPlan]

    def fingerprint_items(self) -> list:
        return [
            (p.row.number, p.track, p.level, p.key, p.action, json.dumps(p.values, sort_keys=True, default=str))
            for p in self.rows
            if p.writes
        ]


class _Invalid(Exception):
    pass


class _RowValidator(framework_loader._Validator):
    """The loader's checks, reporting the column instead of a file position."""

    def __init__(self):
        super().__init__("")

    def fail(self, node, path, message):
        raise _Invalid(f"{path.rsplit('.', 1)[-1]}: {message}")


def plan_requirements(rows: Sequence[rules.SourceRow], facts: RequirementFacts) -> RequirementsPlan:
    plans = [_plan_row(row, facts) for row in rows]
    same_key: dict[tuple[str, str], list[RequirementRowPlan]] = defaultdict(list)
    for plan in plans:
        if plan.track and plan.key:
            same_key[(plan.track, plan.key)].append(plan)
    for (track, key), same in same_key.items():
        if len(same) > 1:
            for plan in same:
                others = ", ".join(str(p.row.number) for p in same if p is not plan)
                plan.problems.append(f"key {key!r} is used twice in the {track} track (also row {others})")
    for plan in plans:
        if plan.problems:
            plan.action = "skip"
        else:
            _compare(plan, facts)
    return RequirementsPlan(rows=plans)


def _plan_row(row: rules.SourceRow, facts: RequirementFacts) -> RequirementRowPlan:
    plan = RequirementRowPlan(row=row)
    plan.problems.extend(row.read_problems)
    values = {name: rules.text(value) for name, value in row.values.items()}
    v = _RowValidator()

    def check(fn):
        try:
            return fn()
        except _Invalid as exc:
            plan.problems.append(str(exc))
            return None

    raw_track = values.get("track", "")
    plan.track = facts.track_names.get(rules.normalise_name(raw_track), "")
    if not raw_track:
        plan.problems.append("track: is required")
    elif not plan.track:
        plan.problems.append(f"track: unknown track {raw_track!r}")
    # The level is one of the track's own (full) ladder.
    ladder = facts.ladder_of(plan.track)
    raw_level = values.get("level", "")
    plan.level = ladder.names.get(rules.normalise_name(raw_level), "")
    info = ladder.levels.get(plan.level)
    if not raw_level:
        plan.problems.append("level: is required")
    elif info is None:
        plan.level = ""
        plan.problems.append(f"level: unknown level {raw_level!r}{ladder.levels_hint(plan.track)}")
    elif grade_rules.holds_expectations(entry_only=info.entry_only, rank=info.rank, first_rank=FIRST_RANK):
        plan.problems.append("level: the entry level has no requirements: nobody is promoted into it")
    elif info.owner and plan.track and info.owner != plan.track:
        plan.problems.append(
            f"level: {info.name} is below the fork, shared with the {info.owner} track: "
            f"its requirements are {info.owner}'s, so import them on that track"
        )
    plan.level_id = info.pk if info is not None else None

    plan.key = check(lambda: v.slug(values, "key", "row")) or ""
    category = check(lambda: v.text(values, "category", "row", limit=50))
    if category and category not in facts.categories:
        plan.problems.append(f"category: {category!r} is not one of {', '.join(sorted(facts.categories))}")
    text = check(lambda: v.text(values, "text", "row"))
    text_en = check(lambda: v.text(values, "text_en", "row", required=False))
    origin = values.get("origin") or "track"
    if origin not in framework_loader.ORIGINS:
        plan.problems.append(f"origin: {origin!r} is not one of {', '.join(framework_loader.ORIGINS)}")
    check_kind = values.get("check_kind", "")
    check_params: Any = {}
    raw_params = values.get("check_params", "")
    if raw_params:
        try:
            check_params = rules.parse_check_params(raw_params)
        except ValueError as exc:
            plan.problems.append(f"check_params: {exc}")
            check_params = None
    if check_params is not None:
        try:
            level_ranks = {code: level.rank for code, level in ladder.levels.items()}
            grade_rules.validate_check(check_kind, check_params, level_ranks)
        except ValueError as exc:
            plan.problems.append(f"check: {exc}")
    plan.values = {
        "category": category or "",
        "text": text or "",
        "text_en": text_en or "",
        "origin": origin,
        "check_kind": check_kind,
        "check_params": check_params if isinstance(check_params, dict) else {},
    }
    return plan


def _compare(plan: RequirementRowPlan, facts: RequirementFacts) -> None:
    current = facts.existing.get((plan.track, plan.key))
    if current is None:
        plan.action = "create"
        return
    plan.changes = [name for name in FIELDS if getattr(current, attname(name)) != plan.values[name]]
    moved = (
        current.track_level.level_id != plan.level_id
        if plan.level_id is not None
        else current.track_level.level.code != plan.level
    )
    if moved:
        plan.changes.insert(0, "level")
    if not current.is_active:
        plan.changes.append("is_active")
    plan.action = "update" if plan.changes else "unchanged"
