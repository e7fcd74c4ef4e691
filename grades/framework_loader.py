"""
Loading a track's framework (levels' comments, requirements, groups, books, and the themes
it defines) from a YAML or JSON file.

`parse_framework` validates a file completely and returns a plain description or
raises `FrameworkError` naming the file, the line (YAML) and the key path;
`apply_framework` writes a validated description in one transaction and is
idempotent: applying the same file twice changes nothing the second time.
The format is documented in grades/frameworks/README.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml
from django.db import transaction

from common import audit

from . import rules

SCHEMA_VERSIONS = (1, 2)
SCHEMA_VERSION = max(SCHEMA_VERSIONS)
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


class _Mark(dict):
    """A mapping that remembers the line it started on in the YAML file."""

    line: int | None = None


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records line numbers on mappings and refuses duplicate keys."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_marked_map(self, node):
        data = _Mark()
        data.line = node.start_mark.line + 1
        yield data
        data.update(self.construct_mapping(node))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_marked_map)


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
class FrameworkSpec:
    slug: str
    name: str
    name_ru: str
    description: str
    description_en: str
    levels: list[LevelSpec]
    categories: list[CategorySpec] = field(default_factory=list)
    schema: int = 1


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
        )

    @property
    def checklists_changed(self) -> bool:
        """Whether people's checklists may count differently: lines or groups changed."""
        return bool(
            self.requirements_created or self.requirements_updated or self.requirements_retired
            or self.groups_changed
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
        return yaml.load(raw, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
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

    The file's levels must be the ladder's, `level_codes` in rank order; without them
    they are read from the Level table. A requirement's category is one the file
    defines or one of `category_keys`, by default those of the Category table (a data
    migration passes its own of both).
    """
    if level_codes is None:
        from .models import Level

        level_codes = list(Level.objects.order_by("rank").values_list("code", flat=True))
    if category_keys is None:
        from .models import Category

        category_keys = Category.objects.values_list("key", flat=True)
    known_categories = set(category_keys)
    data = read_framework_file(path)
    v = _Validator(str(path))
    v.mapping(data, "top level", required=("schema", "track", "levels"), optional=("categories",))
    schema = data["schema"]
    if isinstance(schema, bool) or schema not in SCHEMA_VERSIONS:
        v.fail(
            data, "schema",
            f"unsupported schema {schema!r}; this version reads {' and '.join(map(str, SCHEMA_VERSIONS))}",
        )
    # What schema 2 adds: themes defined in the file, groups, proficiency and examples.
    v2 = schema >= 2
    if "categories" in data and not v2:
        v.fail(data, "categories", "themes are defined in schema 2 files: write 'schema: 2'")
    categories = _parse_categories(v, data) if v2 else []
    known_categories |= {category.key for category in categories}

    track = v.mapping(
        data["track"], "track", required=("slug", "name"),
        optional=("name_ru", "description", "description_en"),
    )
    slug = v.slug(track, "slug", "track")
    name = v.text(track, "name", "track", limit=100)
    name_ru = v.text(track, "name_ru", "track", required=False, limit=100)
    description = v.text(track, "description", "track", required=False, limit=20000)
    description_en = v.text(track, "description_en", "track", required=False, limit=20000)

    levels_node = data["levels"]
    if not isinstance(levels_node, list):
        v.fail(data, "levels", "expected a list of the ladder's levels")
    codes = [lvl.get("level") if isinstance(lvl, dict) else None for lvl in levels_node]
    if codes != level_codes:
        v.fail(
            data,
            "levels",
            "must list every level once, in order: " + ", ".join(level_codes)
            + f" (found: {', '.join(map(str, codes))})",
        )
    level_ranks = {code: rank for rank, code in enumerate(level_codes)}

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
        # The ladder's first level is hired into: its requirements are expectations, which
        # nobody claims, so a group there would count nothing.
        entry = node["level"] == level_codes[0]
        groups = _parse_groups(v, node, path, entry=entry)
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
    )


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
            if models is None and report.checklists_changed and recount and not dry_run:
                from .models import Employee, Track
                from .services import employee_counts_refresh

                track = Track.objects.using(using).filter(slug=spec.slug).values("pk")
                employee_counts_refresh(employees=Employee.objects.using(using).filter(track_id__in=track))
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    return report


def _current_models():
    from . import models as m

    names = ("Level", "Track", "TrackLevel", "Requirement", "Book", "Category", "RequirementGroup")
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
    levels = {lvl.code: lvl for lvl in Level.objects.using(using).all()}
    missing = [level.code for level in spec.levels if level.code not in levels]
    if missing:
        raise FrameworkError(f"The database has no level(s) {', '.join(missing)}; run migrate first.")

    track_values = {
        "name": spec.name, "name_ru": spec.name_ru,
        "description": spec.description, "description_en": spec.description_en,
    }
    track = Track.objects.using(using).select_for_update().filter(slug=spec.slug).first()
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


def load_framework(
    path: str | Path,
    *,
    dry_run: bool = False,
    using: str = "default",
    by=None,
    reason: str = "",
    effective=None,
) -> LoadReport:
    """Validate and apply one framework file as a new version of its track's framework.

    The history names `by` and `reason` (by default "load_framework <file name>").
    `effective` (a date, default today) is the version's effective date; what the load
    did to the framework and to people's claims is the report's `outcome`
    (grades.versions.framework_load).
    """
    from .versions import framework_load

    return framework_load(
        parse_framework(path), dry_run=dry_run, using=using, by=by, effective=effective,
        file_name=Path(path).name, reason=reason or f"load_framework {Path(path).name}",
    )


# The JSON Schema of the format, published beside the shipped files (not a framework itself).
SCHEMA_PATH = Path(__file__).resolve().parent / "frameworks" / "schema.json"


def shipped_framework_paths() -> list[Path]:
    """The framework files that ship with the product (loaded by a data migration)."""
    folder = SCHEMA_PATH.parent
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".json") and p != SCHEMA_PATH)
