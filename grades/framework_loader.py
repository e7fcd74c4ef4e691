"""
Loading a track's framework (its ladder, levels' comments, requirements, groups, books, and
the themes it defines) from a YAML or JSON file.

`parse_framework` validates a file completely and returns a plain description or
raises `FrameworkError` naming the file, the line (YAML) and the key path;
`apply_framework` writes a validated description in one transaction and is
idempotent: applying the same file twice changes nothing the second time.
The format is documented in grades/frameworks/README.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml
from django.db import transaction

from common import audit

from . import rules

SCHEMA_VERSION = 2
# Schema 1 files name the levels of the shipped ladder; schema 2 files may bring their own.
SCHEMA_VERSIONS = (1, 2)
DEFAULT_LADDER = "standard"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A theme's key: the shipped ones join words with underscores (hard_skill), others may use hyphens.
CATEGORY_KEY_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
# The themes that ship with the product (rows of Category made by migration 0018); a file
# may use them without defining them.
CATEGORIES = (
    "hard_skill",
    "practice",
    "product",
    "leadership",
    "security",
    "contribution",
    "reading",
    "experience",
)
ORIGINS = ("track", "common")
TEXT_LIMIT = 4000
PROFICIENCY_LIMIT = 100


class FrameworkError(Exception):
    """A framework file that cannot be loaded; the message says where and why."""


class MarkedMapping(dict):
    """A mapping that remembers the line it started on in the YAML file."""

    line: int | None = None


class LineLoader(yaml.SafeLoader):
    """SafeLoader that records line numbers on mappings and refuses duplicate keys."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # SafeLoader's construct_mapping refuses it with its own message
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_marked_map(self, node):
        data = MarkedMapping()
        data.line = node.start_mark.line + 1
        yield data
        data.update(self.construct_mapping(node))


LineLoader.add_constructor("tag:yaml.org,2002:map", LineLoader.construct_marked_map)


@dataclass
class RequirementSpec:
    key: str
    category: str
    text: str
    text_en: str = ""
    origin: str = "track"
    check_kind: str = ""
    check_params: dict = field(default_factory=dict)
    proficiency: str = ""
    examples: str = ""
    # The key of a group of the same level ("" when the requirement counts on its own).
    group: str = ""
    # When the text changed: whether confirmed claims must be confirmed again against
    # the new wording (grades.versions); not stored on the requirement.
    reconfirm: bool = False


@dataclass
class GroupSpec:
    """Requirements of a level of which at least `at_least` are needed."""

    key: str
    at_least: int
    name: str = ""
    name_ru: str = ""


@dataclass
class CategorySpec:
    """A theme the file defines (or renames). An optional field the file leaves out (None)
    keeps what the theme has: a file in English does not blank a theme's Russian name."""

    key: str
    name: str
    name_ru: str | None = None
    summary: str | None = None


@dataclass
class LevelSpec:
    code: str
    comment: str = ""
    comment_en: str = ""
    requirements: list[RequirementSpec] = field(default_factory=list)
    books: list[tuple[str, str]] = field(default_factory=list)
    groups: list[GroupSpec] = field(default_factory=list)


@dataclass
class LadderLevelSpec:
    """A level of a ladder the file defines (`ladder:` as a list)."""

    key: str
    name: str
    name_ru: str = ""
    min_months: int = 0
    entry_only: bool = False
    grade: str = ""
    rank: int = 0


@dataclass
class FrameworkSpec:
    slug: str
    name: str
    name_ru: str
    description: str
    description_en: str
    levels: list[LevelSpec]
    categories: list[CategorySpec] = field(default_factory=list)
    schema: int = 1
    # The track's own ladder (its slug is the track's), or None to climb `ladder_slug`.
    ladder: list[LadderLevelSpec] | None = None
    ladder_slug: str = DEFAULT_LADDER
    # A fork: the parent track's slug and the key of the parent's level it branches at.
    fork_of: str = ""
    fork_at: str = ""


@dataclass
class LoadReport:
    """What applying a framework did (or would do, on a dry run)."""

    track: str
    created_track: bool = False
    track_changed: bool = False
    levels_changed: int = 0
    requirements_created: int = 0
    requirements_updated: int = 0
    requirements_retired: int = 0
    requirements_unchanged: int = 0
    books_changed: int = 0
    categories_created: int = 0
    categories_updated: int = 0
    groups_changed: int = 0
    # What the load did as a version (grades.versions.LoadOutcome); None from a migration.
    outcome: Any = None
    # Levels of the track's own ladder created, renamed or otherwise changed, and removed.
    ladder_levels_changed: int = 0
    # The tracks whose people's checklists the load may have changed (ids).
    tracks_touched: set = field(default_factory=set)

    @property
    def changed(self) -> bool:
        return bool(
            self.created_track
            or self.track_changed
            or self.levels_changed
            or self.requirements_created
            or self.requirements_updated
            or self.requirements_retired
            or self.books_changed
            or self.categories_created
            or self.categories_updated
            or self.groups_changed
            or self.ladder_levels_changed
        )

    @property
    def checklists_changed(self) -> bool:
        """Whether people's checklists may count differently: lines, groups or the ladder changed."""
        return bool(
            self.requirements_created or self.requirements_updated or self.requirements_retired
            or self.groups_changed or self.ladder_levels_changed
        )

    def summary(self) -> str:
        return (
            f"track {self.track}: "
            f"{'created' if self.created_track else ('updated' if self.track_changed else 'unchanged')}, "
            f"{self.levels_changed} level text(s) changed, "
            f"{self.requirements_created} requirement(s) created, "
            f"{self.requirements_updated} updated, "
            f"{self.requirements_retired} retired, "
            f"{self.requirements_unchanged} unchanged, "
            f"{self.books_changed} reading list(s) changed, "
            f"{self.groups_changed} group(s) changed, "
            f"{self.categories_created} categor(y/ies) created, {self.categories_updated} renamed"
            + (f", {self.ladder_levels_changed} ladder level(s) changed" if self.ladder_levels_changed else "")
        )


# --- Parsing and validation ---------------------------------------------------------------


class _Validator:
    def __init__(self, filename: str):
        self.filename = filename

    def fail(self, node: Any, path: str, message: str):
        line = getattr(node, "line", None)
        where = f"{self.filename}, line {line}" if line else self.filename
        raise FrameworkError(f"{where}, {path}: {message}")

    def mapping(self, node, path, required=(), optional=()):
        if not isinstance(node, dict):
            self.fail(node, path, f"expected a mapping, found {type(node).__name__}")
        missing = [key for key in required if key not in node]
        if missing:
            self.fail(node, path, f"missing key(s): {', '.join(missing)}")
        unknown = sorted(set(node) - set(required) - set(optional))
        if unknown:
            self.fail(node, path, f"unknown key(s): {', '.join(map(str, unknown))}")
        return node

    def text(self, parent, key, path, *, required=True, limit=TEXT_LIMIT) -> str:
        value = parent.get(key)
        if value is None:
            if required:
                self.fail(parent, f"{path}.{key}", "is required")
            return ""
        if not isinstance(value, str):
            self.fail(parent, f"{path}.{key}", f"expected text, found {type(value).__name__}")
        value = value.strip()
        if required and not value:
            self.fail(parent, f"{path}.{key}", "must not be empty")
        if len(value) > limit:
            self.fail(parent, f"{path}.{key}", f"is longer than {limit} characters")
        return value

    def slug(self, parent, key, path) -> str:
        value = self.text(parent, key, path, limit=80)
        if not SLUG_RE.match(value):
            self.fail(
                parent, f"{path}.{key}", f"{value!r} is not a slug (lower-case letters, digits, hyphens)"
            )
        return value


def read_framework_file(path: str | Path) -> Any:
    """The raw content of a YAML or JSON framework file (line-marked for YAML)."""
    path = Path(path)
    name = str(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise FrameworkError(f"{name}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise FrameworkError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise FrameworkError(f"{name}: cannot be read ({exc.strerror})") from exc
    if path.suffix.lower() == ".json":
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise FrameworkError(f"{name}, line {exc.lineno}: invalid JSON ({exc.msg})") from exc
    try:
        return yaml.load(raw, Loader=LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f", line {mark.line + 1}" if mark else ""
        raise FrameworkError(f"{name}{line}: invalid YAML ({exc.problem or exc.context})") from exc
    except yaml.YAMLError as exc:
        raise FrameworkError(f"{name}: invalid YAML ({exc})") from exc


def parse_framework(
    path: str | Path, *, level_codes: list[str] | None = None, category_keys: Iterable[str] | None = None
) -> FrameworkSpec:
    """Read and validate a framework file; raise FrameworkError on the first problem.

    A schema 1 file (or a schema 2 file without `ladder:`) names the levels of the
    shipped ladder, `level_codes` in rank order; without them they are read from the
    database (a data migration passes its own). A schema 2 file may define the track's
    own ladder, climb another ladder by its slug, or fork from another track; those are
    checked against the database (the parent track, the shared ladder). A requirement's
    category is one the file defines or one of `category_keys`, by default those of the
    Category table (a data migration passes its own).
    """
    if category_keys is None:
        from .models import Category

        category_keys = Category.objects.values_list("key", flat=True)
    known_categories = set(category_keys)
    data = read_framework_file(path)
    v = _Validator(str(path))
    v.mapping(data, "top level", required=("schema", "track", "levels"), optional=("ladder", "categories"))
    schema = data["schema"]
    if isinstance(schema, bool) or schema not in SCHEMA_VERSIONS:
        v.fail(
            data, "schema",
            f"unsupported schema {schema!r}; this version reads {' and '.join(map(str, SCHEMA_VERSIONS))}",
        )
    # What schema 2 adds: a ladder and a fork, themes defined in the file, groups,
    # proficiency and examples.
    v2 = schema >= 2
    if not v2 and "ladder" in data:
        v.fail(data, "ladder", "a ladder of its own needs schema 2")
    if "categories" in data and not v2:
        v.fail(data, "categories", "themes are defined in schema 2 files: write 'schema: 2'")
    categories = _parse_categories(v, data) if v2 else []
    known_categories |= {category.key for category in categories}

    track = v.mapping(
        data["track"], "track", required=("slug", "name"),
        optional=("name_ru", "description", "description_en", *(("fork_of", "fork_at") if v2 else ())),
    )
    slug = v.slug(track, "slug", "track")
    name = v.text(track, "name", "track", limit=100)
    name_ru = v.text(track, "name_ru", "track", required=False, limit=100)
    description = v.text(track, "description", "track", required=False, limit=20000)
    description_en = v.text(track, "description_en", "track", required=False, limit=20000)

    ladder = _parse_ladder(v, data, track, slug, level_codes)

    levels_node = data["levels"]
    if not isinstance(levels_node, list):
        v.fail(data, "levels", f"expected a list of the {len(ladder.own)} levels of the ladder")
    codes = [lvl.get("level") if isinstance(lvl, dict) else None for lvl in levels_node]
    own_codes = [level.key for level in ladder.own]
    if codes != own_codes:
        v.fail(
            data,
            "levels",
            ("must list every level of the track's own ladder once, in order (the levels below the fork are the parent's): "
             if ladder.fork_of else "must list every level once, in order: ")
            + ", ".join(own_codes) + f" (found: {', '.join(map(str, codes))})",
        )
    level_ranks = ladder.level_ranks
    # Nobody is promoted into the ladder's first level, nor into an entry-only one: their
    # requirements are expectations of whoever is hired there, which nobody claims.
    unclaimable = {level.key for level in ladder.own if level.entry_only or level.rank == 1}

    keys_seen: dict[str, str] = {}
    levels: list[LevelSpec] = []
    level_optional = ("comment", "comment_en", "requirements", "books") + (("groups",) if v2 else ())
    requirement_optional = ("text_en", "origin", "check", "reconfirm") + (("proficiency", "examples", "group") if v2 else ())
    for index, node in enumerate(levels_node):
        path = f"levels[{index}] ({node['level']})"
        v.mapping(node, path, required=("level",), optional=level_optional)
        level = LevelSpec(
            code=node["level"],
            comment=v.text(node, "comment", path, required=False),
            comment_en=v.text(node, "comment_en", path, required=False),
        )
        groups = _parse_groups(v, node, path, entry=node["level"] in unclaimable)
        level.groups = list(groups.values())
        reqs = node.get("requirements") or []
        if not isinstance(reqs, list):
            v.fail(node, f"{path}.requirements", "expected a list")
        members: dict[str, int] = {key: 0 for key in groups}
        for r_index, req in enumerate(reqs):
            r_path = f"{path}.requirements[{r_index}]"
            v.mapping(req, r_path, required=("key", "category", "text"), optional=requirement_optional)
            key = v.slug(req, "key", r_path)
            if key in keys_seen:
                v.fail(req, f"{r_path}.key", f"{key!r} is used twice (also at {keys_seen[key]})")
            keys_seen[key] = r_path
            category = req["category"]
            if not isinstance(category, str) or category not in known_categories:
                v.fail(
                    req, f"{r_path}.category",
                    f"{category!r} is not one of {', '.join(sorted(known_categories))}"
                    + ("" if v2 else " (schema 2 files may define their own under categories:)"),
                )
            origin = req.get("origin", "track")
            if origin not in ORIGINS:
                v.fail(req, f"{r_path}.origin", f"{origin!r} is not one of {', '.join(ORIGINS)}")
            check_kind, check_params = "", {}
            if req.get("check") is not None:
                check = req["check"]
                if not isinstance(check, dict) or "kind" not in check:
                    v.fail(req, f"{r_path}.check", "expected a mapping with 'kind'")
                check_kind = check["kind"]
                check_params = {k: val for k, val in check.items() if k != "kind"}
                try:
                    rules.validate_check(check_kind, check_params, level_ranks)
                except ValueError as exc:
                    v.fail(check, f"{r_path}.check", str(exc))
            group = ""
            if req.get("group") is not None:
                group = v.text(req, "group", r_path, limit=80)
                if group not in groups:
                    known = ", ".join(groups) or "none"
                    v.fail(req, f"{r_path}.group", f"{group!r} is not a group of this level (its groups: {known})")
                if check_kind:
                    v.fail(
                        req, f"{r_path}.group",
                        "a requirement judged from data is met or not on its own; it cannot be in a group",
                    )
                members[group] += 1
            reconfirm = req.get("reconfirm", False)
            if not isinstance(reconfirm, bool):
                v.fail(req, f"{r_path}.reconfirm", f"expected true or false, found {reconfirm!r}")
            level.requirements.append(
                RequirementSpec(
                    key=key,
                    category=category,
                    text=v.text(req, "text", r_path),
                    text_en=v.text(req, "text_en", r_path, required=False),
                    origin=origin,
                    check_kind=check_kind,
                    check_params=dict(check_params),
                    proficiency=v.text(req, "proficiency", r_path, required=False, limit=PROFICIENCY_LIMIT),
                    examples=v.text(req, "examples", r_path, required=False),
                    group=group,
                    reconfirm=reconfirm,
                )
            )
        for g_index, (group_key, group) in enumerate(groups.items()):
            g_node, g_path = node["groups"][g_index], f"{path}.groups[{g_index}] ({group_key})"
            if members[group_key] == 0:
                v.fail(g_node, g_path, "the group is empty: no requirement of this level names it")
            if group.at_least > members[group_key]:
                v.fail(
                    g_node, f"{g_path}.at_least",
                    f"asks for {group.at_least} but the group has {members[group_key]} requirement(s)",
                )
        books = node.get("books") or []
        if not isinstance(books, list):
            v.fail(node, f"{path}.books", "expected a list")
        titles = set()
        for b_index, book in enumerate(books):
            b_path = f"{path}.books[{b_index}]"
            v.mapping(book, b_path, required=("title",), optional=("author",))
            title = v.text(book, "title", b_path, limit=200)
            if title in titles:
                v.fail(book, f"{b_path}.title", f"{title!r} is listed twice")
            titles.add(title)
            level.books.append((title, v.text(book, "author", b_path, required=False, limit=200)))
        levels.append(level)

    return FrameworkSpec(
        slug=slug, name=name, name_ru=name_ru, description=description,
        description_en=description_en, levels=levels, categories=categories, schema=schema,
        ladder=ladder.own if ladder.defined else None, ladder_slug=ladder.slug,
        fork_of=ladder.fork_of, fork_at=ladder.fork_at,
    )


@dataclass
class _Ladder:
    """The ladder a file's levels are checked against."""

    slug: str
    # The track's own levels (a fork's: fork_at's rank and above), in rank order.
    own: list[LadderLevelSpec]
    # Level code -> rank over the full ladder (a fork's shared levels included).
    level_ranks: dict[str, int]
    # Whether the file defines the ladder (a list) rather than naming one.
    defined: bool = False
    fork_of: str = ""
    fork_at: str = ""


def _stored_ladder(slug: str) -> list[LadderLevelSpec] | None:
    """The levels of the stored ladder `slug` in rank order, or None when there is no such ladder."""
    from .models import Ladder, Level

    if not Ladder.objects.filter(slug=slug).exists():
        return None
    return [
        LadderLevelSpec(key=level.code, name=level.name, name_ru=level.name_ru,
                        min_months=level.min_months_in_previous, entry_only=level.entry_only, rank=level.rank)
        for level in Level.objects.filter(ladder__slug=slug).order_by("rank")
    ]


def _parse_ladder(v: _Validator, data, track, track_slug: str, level_codes: list[str] | None) -> _Ladder:
    """The ladder of the file: `ladder:` (a list of levels, or the slug of a stored ladder),
    the fork (`track.fork_of`, `track.fork_at`), or the shipped ladder."""
    from .rules import MAX_LADDER_LEVELS, MIN_LADDER_LEVELS

    fork_of = fork_at = ""
    shared: list[LadderLevelSpec] = []
    if "fork_of" in track or "fork_at" in track:
        if not ("fork_of" in track and "fork_at" in track):
            v.fail(track, "track", "a fork names both fork_of (the parent track) and fork_at (the level it branches at)")
        fork_of = v.slug(track, "fork_of", "track")
        fork_at = v.slug(track, "fork_at", "track")
        if fork_of == track_slug:
            v.fail(track, "track.fork_of", "a track cannot fork from itself")
        from .models import Level, Track

        parent = Track.objects.filter(slug=fork_of).first()
        if parent is None:
            v.fail(track, "track.fork_of", f"unknown track {fork_of!r}: load the parent track first")
        parent_levels = list(Level.objects.of_track(parent.pk))
        at = next((level for level in parent_levels if level.code == fork_at), None)
        if at is None:
            v.fail(
                track, "track.fork_at",
                f"{fork_at!r} is not a level of {fork_of}'s ladder ({', '.join(level.code for level in parent_levels)})",
            )
        shared = [
            LadderLevelSpec(key=level.code, name=level.name, name_ru=level.name_ru, rank=level.rank,
                            min_months=level.min_months_in_previous, entry_only=level.entry_only)
            for level in parent_levels if level.rank < at.rank
        ]
        if "ladder" not in data:
            v.fail(data, "ladder", f"a fork needs a ladder of its own, from {fork_at!r} on")

    start = len(shared) + 1
    node = data.get("ladder")
    if node is None:
        if level_codes is None:
            stored = _stored_ladder(DEFAULT_LADDER)
            own = stored or []
        else:
            own = [LadderLevelSpec(key=code, name=code, rank=rank) for rank, code in enumerate(level_codes, 1)]
        return _Ladder(DEFAULT_LADDER, own, {level.key: level.rank for level in own})
    if isinstance(node, str):
        ladder_slug = node.strip()
        if not SLUG_RE.match(ladder_slug):
            v.fail(data, "ladder", f"{ladder_slug!r} is not a slug (lower-case letters, digits, hyphens)")
        if ladder_slug == track_slug:
            v.fail(data, "ladder", f"{ladder_slug!r} is this track's own ladder: list its levels instead")
        own = _stored_ladder(ladder_slug)
        if own is None:
            v.fail(data, "ladder", f"there is no ladder {ladder_slug!r} to share; load the track that defines it first")
        if own and own[0].rank != start:
            v.fail(
                data, "ladder",
                f"the ladder {ladder_slug!r} starts at rank {own[0].rank}, but this fork's own levels start at rank {start}",
            )
        if not MIN_LADDER_LEVELS <= len(shared) + len(own) <= MAX_LADDER_LEVELS:
            v.fail(data, "ladder", f"a ladder has {MIN_LADDER_LEVELS} to {MAX_LADDER_LEVELS} levels; this one has {len(shared) + len(own)}")
        return _Ladder(ladder_slug, own, {level.key: level.rank for level in [*shared, *own]}, fork_of=fork_of, fork_at=fork_at)
    if not isinstance(node, list):
        v.fail(data, "ladder", "expected a list of levels or the slug of a ladder to share")
    total = len(shared) + len(node)
    if not MIN_LADDER_LEVELS <= total <= MAX_LADDER_LEVELS:
        below = f" ({len(shared)} shared below the fork and {len(node)} of its own)" if shared else ""
        v.fail(data, "ladder", f"a ladder has {MIN_LADDER_LEVELS} to {MAX_LADDER_LEVELS} levels; this one has {total}{below}")
    own: list[LadderLevelSpec] = []
    seen: dict[str, str] = {}
    names: dict[str, str] = {}
    for index, item in enumerate(node):
        path = f"ladder[{index}]"
        v.mapping(item, path, required=("key", "name"), optional=("name_ru", "min_months", "entry_only", "grade"))
        key = v.slug(item, "key", path)
        if len(key) > 50:
            v.fail(item, f"{path}.key", "is longer than 50 characters")
        if key in seen:
            v.fail(item, f"{path}.key", f"{key!r} is used twice (also at {seen[key]})")
        seen[key] = path
        name = v.text(item, "name", path, limit=100)
        if name in names:
            v.fail(item, f"{path}.name", f"{name!r} names two levels (also {names[name]})")
        names[name] = path
        months = item.get("min_months", 0)
        if not isinstance(months, int) or isinstance(months, bool) or not 0 <= months <= 120:
            v.fail(item, f"{path}.min_months", f"expected a whole number of months from 0 to 120, found {months!r}")
        entry_only = item.get("entry_only", False)
        if not isinstance(entry_only, bool):
            v.fail(item, f"{path}.entry_only", f"expected true or false, found {entry_only!r}")
        grade = item.get("grade")
        if grade is not None and (not isinstance(grade, str) or not SLUG_RE.match(grade)):
            v.fail(item, f"{path}.grade", f"{grade!r} is not a level key")
        own.append(LadderLevelSpec(
            key=key, name=name, name_ru=v.text(item, "name_ru", path, required=False, limit=100),
            min_months=months, entry_only=entry_only, grade=grade or "", rank=start + index,
        ))
    rank_of = {level.key: level.rank for level in own}
    grades = {level.grade for level in own if level.grade}
    for index, (item, level) in enumerate(zip(node, own)):
        if not level.grade:
            continue
        if level.grade not in rank_of:
            v.fail(item, f"ladder[{index}].grade", f"{level.grade!r} is not a level of this ladder ({', '.join(rank_of)})")
        if rank_of[level.grade] > level.rank:
            v.fail(item, f"ladder[{index}].grade", f"the main grade {level.grade!r} is above {level.key!r}; a level belongs to a main grade at or below it")
        if level.key in grades and level.grade != level.key:
            v.fail(item, f"ladder[{index}].grade", f"{level.key!r} is a main grade of other levels, so it belongs to itself")
    ladder_keys = [level.key for level in shared]
    clash = sorted(set(ladder_keys) & set(rank_of))
    if clash:
        v.fail(data, "ladder", f"{', '.join(clash)}: the level key is already used below the fork")
    return _Ladder(track_slug, own, {level.key: level.rank for level in [*shared, *own]}, defined=True,
                   fork_of=fork_of, fork_at=fork_at)


def _parse_categories(v: _Validator, data) -> list[CategorySpec]:
    """The `categories:` of a schema 2 file: the themes it defines or renames."""
    node = data.get("categories")
    if node is None:
        return []
    if not isinstance(node, list):
        v.fail(data, "categories", "expected a list")
    categories: list[CategorySpec] = []
    seen: dict[str, str] = {}
    for index, item in enumerate(node):
        path = f"categories[{index}]"
        v.mapping(item, path, required=("key", "name"), optional=("name_ru", "summary"))
        key = v.text(item, "key", path, limit=50)
        if not CATEGORY_KEY_RE.match(key):
            v.fail(item, f"{path}.key", f"{key!r} is not a key (lower-case letters, digits, '-' or '_' between words)")
        if key in seen:
            v.fail(item, f"{path}.key", f"{key!r} is defined twice (also at {seen[key]})")
        seen[key] = path
        categories.append(
            CategorySpec(
                key=key,
                name=v.text(item, "name", path, limit=100),
                name_ru=v.text(item, "name_ru", path, required=False, limit=100) if "name_ru" in item else None,
                summary=v.text(item, "summary", path, required=False) if "summary" in item else None,
            )
        )
    return categories


def _parse_groups(v: _Validator, node, path: str, *, entry: bool) -> dict[str, GroupSpec]:
    """The `groups:` of a level ("at least N of these"), by key; their members are checked after."""
    groups_node = node.get("groups")
    if groups_node is None:
        return {}
    if not isinstance(groups_node, list):
        v.fail(node, f"{path}.groups", "expected a list")
    if groups_node and entry:
        v.fail(
            node, f"{path}.groups",
            "the entry level's requirements are expectations that nobody claims; a group there would count nothing",
        )
    groups: dict[str, GroupSpec] = {}
    for index, item in enumerate(groups_node):
        g_path = f"{path}.groups[{index}]"
        v.mapping(item, g_path, required=("key", "at_least"), optional=("name", "name_ru"))
        key = v.slug(item, "key", g_path)
        if key in groups:
            v.fail(item, f"{g_path}.key", f"{key!r} is used twice in this level")
        at_least = item["at_least"]
        if not isinstance(at_least, int) or isinstance(at_least, bool) or not 1 <= at_least <= 1000:
            v.fail(item, f"{g_path}.at_least", f"expected a whole number from 1, found {at_least!r}")
        groups[key] = GroupSpec(
            key=key,
            at_least=at_least,
            name=v.text(item, "name", g_path, required=False, limit=200),
            name_ru=v.text(item, "name_ru", g_path, required=False, limit=200),
        )
    return groups




# --- Applying ---------------------------------------------------------------------------------


class _DryRunRollback(Exception):
    pass


def apply_framework(
    spec: FrameworkSpec,
    *,
    dry_run: bool = False,
    using: str = "default",
    models=None,
    by=None,
    reason: str = "",
    recount: bool = True,
) -> LoadReport:
    """Create or update the track described by `spec`, in one transaction.

    Requirements are matched by key within the track. A key missing from the file
    is retired (is_active=False), never deleted, because evidence refers to it.
    With dry_run the same writes run and are rolled back, so the report is exact.
    Every row written gets a history row naming `by` (the person loading, None
    when unknown) and `reason`, as an edit in admin would.
    `models` lets a data migration pass its historical models. With recount=False
    the people's checklist figures are left to the caller, which recounts them once
    after its own writes in the same transaction (grades.versions).
    """
    report = LoadReport(track=spec.slug)
    try:
        with transaction.atomic(using=using):
            _apply(spec, report, using, models or _current_models(), by=by, reason=reason)
            # A data migration passes its historical models, whose employee rows may
            # not have the counts yet; the migration that adds them counts everyone.
            if models is None and (report.checklists_changed or report.track_changed) and recount and not dry_run:
                from .services import employee_counts_refresh, people_meeting_requirements_of

                employee_counts_refresh(employees=people_meeting_requirements_of(report.tracks_touched, using=using))
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    return report


def _current_models():
    from . import models as m

    names = (
        "Ladder", "Level", "Track", "TrackLevel", "Requirement", "Book", "TrackRung", "Employee", "GradeChange",
        "Category", "RequirementGroup",
    )
    return {name: getattr(m, name) for name in names}


def _apply_categories(spec: FrameworkSpec, report: LoadReport, using: str, Category, *, by, reason: str) -> None:
    """Create the themes the file defines and rename those it names differently.

    A new theme goes after the existing ones; a theme's key never changes (requirements
    refer to it), its names and summary follow the latest file that gives them.
    """
    existing = {category.key: category for category in Category.objects.using(using).select_for_update()}
    position = max((category.position for category in existing.values()), default=-1)
    for spec_category in spec.categories:
        values = {"name": spec_category.name, "name_ru": spec_category.name_ru, "summary": spec_category.summary}
        values = {k: val for k, val in values.items() if val is not None}
        current = existing.get(spec_category.key)
        if current is None:
            position += 1
            audit.create(
                Category, by=by, reason=reason, using=using, key=spec_category.key, position=position, **values
            )
            report.categories_created += 1
        elif changed := [k for k, val in values.items() if getattr(current, k) != val]:
            for k in changed:
                setattr(current, k, values[k])
            audit.save(current, by=by, reason=reason, using=using, update_fields=changed)
            report.categories_updated += 1


def _apply_groups(level_spec: LevelSpec, track_level, report: LoadReport, using: str, RequirementGroup, *, by, reason: str):
    """The level's groups as the file has them, by key; returns {key: group row}.

    Groups the file no longer names are removed once no requirement refers to them
    (_remove_unused_groups): a retired requirement keeps the group it was in.
    """
    have = {group.key: group for group in RequirementGroup.objects.using(using).filter(track_level=track_level)}
    rows = {}
    for group in level_spec.groups:
        values = {"at_least": group.at_least, "name": group.name, "name_ru": group.name_ru}
        current = have.get(group.key)
        if current is None:
            current = audit.create(
                RequirementGroup, by=by, reason=reason, using=using, track_level=track_level, key=group.key, **values
            )
            report.groups_changed += 1
        elif changed := [k for k, val in values.items() if getattr(current, k) != val]:
            for k in changed:
                setattr(current, k, values[k])
            audit.save(current, by=by, reason=reason, using=using, update_fields=changed)
            report.groups_changed += 1
        rows[group.key] = current
    return rows


def _remove_unused_groups(spec: FrameworkSpec, track, report: LoadReport, using: str, m, *, by, reason: str) -> None:
    """Delete the track's groups that the file no longer names and no requirement is in."""
    RequirementGroup, Requirement = m["RequirementGroup"], m["Requirement"]
    wanted = {(level.code, group.key) for level in spec.levels for group in level.groups}
    used = set(Requirement.objects.using(using).filter(track=track, group__isnull=False).values_list("group_id", flat=True))
    for group in RequirementGroup.objects.using(using).filter(track_level__track=track).select_related("track_level__level"):
        if (group.track_level.level.code, group.key) not in wanted and group.pk not in used:
            audit.delete(group, by=by, reason=reason, using=using)
            report.groups_changed += 1


def _apply(spec: FrameworkSpec, report: LoadReport, using: str, m, *, by, reason: str) -> None:
    """Write `spec`, one row at a time through common.audit so each change has its history row.

    A data migration's historical models may predate themes as data and groups
    (migration 0018): what the file asks of those is written only when they exist,
    and a file that needs them is refused.
    """
    Level, Track, TrackLevel, Requirement, Book = (
        m["Level"], m["Track"], m["TrackLevel"], m["Requirement"], m["Book"]
    )
    Category, RequirementGroup = m.get("Category"), m.get("RequirementGroup")
    has_groups = RequirementGroup is not None
    needs_new_models = spec.categories or any(
        level.groups or any(r.proficiency or r.examples for r in level.requirements) for level in spec.levels
    )
    if needs_new_models and (Category is None or not has_groups):
        raise FrameworkError("This database predates schema 2 frameworks; run migrate first.")
    # The theme is the category column's value whether it is a key or a key to Category.
    category_attname = Requirement._meta.get_field("category").attname
    track_values = {
        "name": spec.name, "name_ru": spec.name_ru,
        "description": spec.description, "description_en": spec.description_en,
    }
    track = Track.objects.using(using).select_for_update().filter(slug=spec.slug).first()
    if "Ladder" in m:
        ladder, levels = _apply_ladder(spec, report, using, m, track, by=by, reason=reason)
        parent = Track.objects.using(using).get(slug=spec.fork_of) if spec.fork_of else None
        track_values.update(
            ladder=ladder,
            fork_of=parent,
            fork_at=Level.objects.using(using).of_track(parent.pk).get(code=spec.fork_at) if parent else None,
        )
    else:
        # A data migration from before ladders were data: one ladder, codes unique.
        levels = {lvl.code: lvl for lvl in Level.objects.using(using).all()}
        missing = [level.code for level in spec.levels if level.code not in levels]
        if missing:
            raise FrameworkError(f"The database has no level(s) {', '.join(missing)}; run migrate first.")
    if track is None:
        if Track.objects.using(using).filter(name=spec.name).exists():
            raise FrameworkError(f"Another track is already named {spec.name!r}.")
        track = audit.create(Track, by=by, reason=reason, using=using, slug=spec.slug, **track_values)
        report.created_track = True
    elif any(getattr(track, k) != val for k, val in track_values.items()):
        for k, val in track_values.items():
            setattr(track, k, val)
        audit.save(track, by=by, reason=reason, using=using)
        report.track_changed = True
    report.tracks_touched.add(track.pk)

    if spec.categories:
        _apply_categories(spec, report, using, Category, by=by, reason=reason)

    existing = {r.key: r for r in Requirement.objects.using(using).filter(track=track)}
    seen = set()
    for level_spec in spec.levels:
        track_level, created = audit.get_or_create(
            TrackLevel, by=by, reason=reason, using=using, track=track, level=levels[level_spec.code],
            defaults={"comment": level_spec.comment, "comment_en": level_spec.comment_en},
        )
        if not created and (track_level.comment, track_level.comment_en) != (
            level_spec.comment, level_spec.comment_en
        ):
            track_level.comment, track_level.comment_en = level_spec.comment, level_spec.comment_en
            audit.save(track_level, by=by, reason=reason, using=using, update_fields=["comment", "comment_en"])
            report.levels_changed += 1
        elif created and not report.created_track:
            report.levels_changed += 1

        groups = (
            _apply_groups(level_spec, track_level, report, using, RequirementGroup, by=by, reason=reason)
            if has_groups else {}
        )
        for position, req in enumerate(level_spec.requirements):
            seen.add(req.key)
            values = {
                "track_level_id": track_level.pk,
                category_attname: req.category,
                "text": req.text,
                "text_en": req.text_en,
                "origin": req.origin,
                "check_kind": req.check_kind,
                "check_params": req.check_params,
                "position": position,
                "is_active": True,
            }
            if has_groups:
                values["proficiency"] = req.proficiency
                values["examples"] = req.examples
                values["group_id"] = groups[req.group].pk if req.group else None
            current = existing.get(req.key)
            if current is None:
                audit.create(Requirement, by=by, reason=reason, using=using, track=track, key=req.key, **values)
                report.requirements_created += 1
            elif changed := [k for k, val in values.items() if getattr(current, k) != val]:
                for k in changed:
                    setattr(current, k, values[k])
                audit.save(
                    current, by=by, reason=reason, using=using,
                    update_fields=[k.removesuffix("_id") for k in changed],
                )
                report.requirements_updated += 1
            else:
                report.requirements_unchanged += 1

        wanted_books = list(level_spec.books)
        have = list(Book.objects.using(using).filter(track_level=track_level).order_by("position", "id"))
        if [(book.title, book.author) for book in have] != wanted_books:
            # Matched by title (unique within the level): a book moved or re-authored is
            # changed in place, so its history says what happened to it.
            by_title = {book.title: book for book in have}
            wanted_titles = {title for title, _author in wanted_books}
            for book in have:
                if book.title not in wanted_titles:
                    audit.delete(book, by=by, reason=reason, using=using)
            for position, (title, author) in enumerate(wanted_books):
                book = by_title.get(title)
                if book is None:
                    audit.create(
                        Book, by=by, reason=reason, using=using,
                        track_level=track_level, title=title, author=author, position=position,
                    )
                elif (book.author, book.position) != (author, position):
                    book.author, book.position = author, position
                    audit.save(book, by=by, reason=reason, using=using, update_fields=["author", "position"])
            report.books_changed += 1

    for key, requirement in existing.items():
        if key not in seen and requirement.is_active:
            requirement.is_active = False
            audit.save(requirement, by=by, reason=reason, using=using, update_fields=["is_active"])
            report.requirements_retired += 1
    if has_groups:
        _remove_unused_groups(spec, track, report, using, m, by=by, reason=reason)

    if "Ladder" in m:
        _lay_out_ladders(spec, report, using, m, track, by=by, reason=reason)


# The JSON Schema of the format, published beside the shipped files (not a framework itself).
SCHEMA_PATH = Path(__file__).resolve().parent / "frameworks" / "schema.json"


def shipped_framework_paths() -> list[Path]:
    """The framework files that ship with the product (loaded by a data migration)."""
    folder = SCHEMA_PATH.parent
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".json") and p != SCHEMA_PATH)


# --- Ladders --------------------------------------------------------------------------------


def _apply_ladder(spec: FrameworkSpec, report: LoadReport, using: str, m, track, *, by, reason: str):
    """Make the ladder the file names or defines; return it and {level code: Level} of the file's levels.

    A ladder the file defines (its slug is the track's) is matched level by level by key:
    a level keeps its row, and the people holding it, when renamed or moved; a level that
    leaves the ladder is removed, unless anything refers to it (people hold it, the grade
    history names it, requirements, reviews or salary bands point at it): then the load is
    refused, since the key is the level's identity and the history needs the row.
    """
    from django.db.models import ProtectedError

    Ladder, Level, TrackLevel = m["Ladder"], m["Level"], m["TrackLevel"]
    Employee, GradeChange, Requirement, TrackRung = m["Employee"], m["GradeChange"], m["Requirement"], m["TrackRung"]
    if spec.ladder is None:
        ladder = Ladder.objects.using(using).filter(slug=spec.ladder_slug).first()
        if ladder is None:
            raise FrameworkError(f"There is no ladder {spec.ladder_slug!r}; load the track that defines it first.")
        levels = {level.code: level for level in Level.objects.using(using).filter(ladder=ladder)}
        missing = [level.code for level in spec.levels if level.code not in levels]
        if missing:
            raise FrameworkError(f"The ladder {ladder.slug!r} has no level(s) {', '.join(missing)}.")
        return ladder, levels

    ladder = Ladder.objects.using(using).select_for_update().filter(slug=spec.slug).first()
    if ladder is None:
        ladder = audit.create(Ladder, by=by, reason=reason, using=using, slug=spec.slug, name=spec.name, name_ru=spec.name_ru)
    elif (ladder.name, ladder.name_ru) != (spec.name, spec.name_ru):
        ladder.name, ladder.name_ru = spec.name, spec.name_ru
        audit.save(ladder, by=by, reason=reason, using=using, update_fields=["name", "name_ru"])
    existing = {level.code: level for level in Level.objects.using(using).select_for_update().filter(ladder=ladder)}
    wanted = {level.key: level for level in spec.ladder}

    for code, level in sorted(existing.items()):
        if code in wanted:
            continue
        held = Employee.objects.using(using).filter(current_level=level).count()
        if held:
            raise FrameworkError(
                f"The level {code!r} ({level.name}) cannot leave the ladder {ladder.slug!r}: {held} person(s) hold it. "
                "Keep its key in the file (a level may be renamed: its key is its identity)."
            )
        if GradeChange.objects.using(using).filter(level=level).exists():
            raise FrameworkError(
                f"The level {code!r} ({level.name}) cannot leave the ladder {ladder.slug!r}: the grade history names it. "
                "Keep its key in the file (a level may be renamed: its key is its identity)."
            )
        if Requirement.objects.using(using).filter(track_level__level=level).exists():
            raise FrameworkError(
                f"The level {code!r} ({level.name}) cannot leave the ladder {ladder.slug!r}: requirements (retired ones "
                "included) are on it. Move them to other levels first, then remove the level."
            )
        try:
            with transaction.atomic(using=using):
                # The ladder's main grades are set again below; the level leaving must not hold them.
                for grouped in Level.objects.using(using).filter(main_grade=level).order_by("pk"):
                    grouped.main_grade = None
                    audit.save(grouped, by=by, reason=reason, using=using, update_fields=["main_grade"])
                    if grouped.pk != level.pk:
                        existing[grouped.code].main_grade_id = None
                level.main_grade_id = None
                for rung in TrackRung.objects.using(using).filter(level=level):
                    audit.delete(rung, by=by, reason=reason, using=using)
                for track_level in TrackLevel.objects.using(using).filter(level=level):
                    audit.delete(track_level, by=by, reason=reason, using=using)
                audit.delete(level, by=by, reason=reason, using=using)
        except ProtectedError as exc:
            kinds = sorted({obj._meta.verbose_name_plural for obj in exc.protected_objects})
            raise FrameworkError(
                f"The level {code!r} ({level.name}) cannot leave the ladder {ladder.slug!r}: {', '.join(map(str, kinds))} "
                "refer to it. Keep its key in the file."
            ) from exc
        del existing[code]
        report.ladder_levels_changed += 1

    def values(item: LadderLevelSpec) -> dict:
        return {
            "rank": item.rank, "name": item.name, "name_ru": item.name_ru,
            "min_months_in_previous": item.min_months, "entry_only": item.entry_only,
        }

    changing = [
        (level, values(wanted[code])) for code, level in existing.items()
        if any(getattr(level, k) != v for k, v in values(wanted[code]).items())
    ]
    # A rank or a name another level of the ladder holds until it moves too: move the
    # changing levels out of the way first (unique per ladder).
    taken_ranks = {level.rank for level in existing.values()}
    taken_names = {level.name for level in existing.values()}
    if any(
        (v["rank"] != level.rank and v["rank"] in taken_ranks) or (v["name"] != level.name and v["name"] in taken_names)
        for level, v in changing
    ):
        for index, (level, _v) in enumerate(changing):
            level.rank, level.name = 50 + index, f"~{level.pk}"
            audit.save(level, by=by, reason=reason, using=using, update_fields=["rank", "name"])
    for level, v in changing:
        for k, val in v.items():
            setattr(level, k, val)
        audit.save(level, by=by, reason=reason, using=using, update_fields=list(v))
        report.ladder_levels_changed += 1
    created = set()
    for code, item in wanted.items():
        if code not in existing:
            existing[code] = audit.create(Level, by=by, reason=reason, using=using, ladder=ladder, code=code, **values(item))
            created.add(code)
            report.ladder_levels_changed += 1
    # A level named as others' main grade is one itself. Set once every level exists.
    grades = {item.grade for item in spec.ladder if item.grade}
    for code, item in wanted.items():
        grade_code = item.grade or (code if code in grades else "")
        grade = existing[grade_code] if grade_code else None
        level = existing[code]
        if level.main_grade_id != (grade.pk if grade else None):
            level.main_grade = grade
            audit.save(level, by=by, reason=reason, using=using, update_fields=["main_grade"])
            if code not in created:
                report.ladder_levels_changed += 1
    return ladder, existing


def _lay_out_ladders(spec: FrameworkSpec, report: LoadReport, using: str, m, track, *, by, reason: str) -> None:
    """Lay out again the full ladders of the track, its forks and the tracks sharing its ladder,
    and refuse a load after which someone would hold a level that is not on their track's ladder."""
    from django.db.models import Exists, OuterRef, Q

    from .services import LadderError, track_ladders_refresh

    Track, Employee, TrackRung = m["Track"], m["Employee"], m["TrackRung"]
    tracks = list(Track.objects.using(using).filter(Q(pk=track.pk) | Q(ladder_id=track.ladder_id)).values_list("pk", flat=True))
    try:
        track_ladders_refresh(tracks=tracks, by=by, reason=reason, using=using)
    except LadderError as exc:
        raise FrameworkError(f"{spec.slug}: {exc}") from exc
    # The people whose checklists the load may change: the track's and its forks'; when the
    # ladder's levels changed, those of every track that climbs it too.
    owners = set(tracks) if report.ladder_levels_changed else {track.pk}
    report.tracks_touched |= owners | set(
        TrackRung.objects.using(using).filter(owner_id__in=owners).values_list("track_id", flat=True)
    )
    stranded = (
        Employee.objects.using(using)
        .filter(track_id__in=report.tracks_touched, current_level__isnull=False)
        .exclude(Exists(TrackRung.objects.using(using).filter(track_id=OuterRef("track_id"), level_id=OuterRef("current_level_id"))))
        .select_related("track", "current_level")
    )
    found = list(stranded[:3])
    if found:
        people = "; ".join(f"{person.track.slug}: {person.current_level.code}" for person in found)
        raise FrameworkError(
            f"After this load {stranded.count()} person(s) would hold a level that is not on their track's ladder "
            f"({people}). Keep those levels on the ladder, or move the people first."
        )
