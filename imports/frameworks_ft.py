"""
Financial Times engineering-progression job families as framework files (schema 2).

The FT publishes its career frameworks as "job family" YAML files
(github.com/Financial-Times/engineering-progression, MIT licence): a list of levels
(id, name), a list of themes (id, name, summary) and a list of competencies (id,
level, theme, summary, proficiency; the legacy files add examples and supporting
URLs). From Senior Engineer 2 up, the current file splits the levels into an
individual-contributor path (ids ending in `-ic`) and a people-manager path (`-pm`).

`convert_ft` turns one job family into framework documents in the format of
grades/frameworks/README.md, schema 2, as plain dicts in load order:

- the individual-contributor track holds the whole ladder, from the first level up,
  with FT's own level names;
- the people-manager track forks from it (`fork_of`, `fork_at`) at the first level
  where the paths differ; the levels below, and their requirements, stay the
  parent's and are not repeated;
- a level with no path mark listed after the split continues the path of the nearest
  marked level listed before it (FT lists Technology Director after Principal
  Engineer (People Manager), and its career-path page puts it on the manager track);
- themes become `categories:`, keyed `<prefix>-<theme id>` so that they never rename
  another framework's categories (FT's `leadership` is not the shipped one);
- competencies become requirements keyed by FT's id, so a later FT version that
  keeps an id keeps the key, and with it the evidence recorded against it;
- a level key is FT's level id without the path mark (`senior-2-ic` and
  `senior-2-pm` are both `senior-2` of their own ladder), which keeps the fork point
  one key and the legacy file's `senior-2` the same level as the current one.

No level is invented and none is dropped: every level FT lists is in exactly one
track, empty or not, and every competency is a requirement of exactly one track.
This module only reads the text it is given and returns dicts; the management
command `convert_framework` reads the file and writes the YAML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from grades.framework_loader import LineLoader, MarkedMapping

# The framework loader's limits (grades/frameworks/README.md), checked here so that a
# converted file loads; a slug field holds 50 characters unless it says otherwise.
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TRACK_SLUG_LIMIT = 80
KEY_LIMIT = 80
CATEGORY_KEY_LIMIT = 50
NAME_LIMIT = 100
TEXT_LIMIT = 4000
LADDER_MIN, LADDER_MAX = 2, 15

# FT's job-family keys (its test/schema/job-family.json); anything else is refused
# rather than dropped, so that nothing of the source is lost without a word.
FAMILY_REQUIRED = ("name", "levels", "themes", "competencies")
FAMILY_OPTIONAL = ("summary", "googleSheetId", "isLegacy")
LEVEL_REQUIRED = ("id", "name")
THEME_REQUIRED = ("id", "name")
THEME_OPTIONAL = ("summary",)
COMPETENCY_REQUIRED = ("id", "level", "theme", "summary")
COMPETENCY_OPTIONAL = ("proficiency", "examples", "supportingUrls")

# The two paths FT marks on level ids, with the label used when a level's name
# carries none in brackets.
IC, PM = "ic", "pm"
PATH_LABELS = {IC: "Individual Contributor", PM: "People Manager"}
PATH_MARK_RE = re.compile(r"^(?P<base>.+)-(?P<path>ic|pm)$")
BRACKETED_RE = re.compile(r"^(?P<name>.*\S)\s*\((?P<label>[^()]+)\)$")
LEGACY_SUFFIX_RE = re.compile(r"\s*\(legacy\)\s*$", re.IGNORECASE)
# Invisible characters found in FT's texts (zero-width spaces after full stops); they
# would only make the texts unsearchable.
INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
# A line that starts a list item in Markdown: "- ", "* ", "+ " or "1. ".
LIST_ITEM_RE = re.compile(r"^(?:[-*+]|\d+[.)])\s")

SOURCE_URL = "https://github.com/Financial-Times/engineering-progression"


class FtFormatError(ValueError):
    """An FT job-family file that cannot be converted; the message says where and why."""


@dataclass(frozen=True)
class ConvertedTrack:
    """One framework document (schema 2) and where it came from."""

    slug: str
    document: dict
    source: str

    @property
    def filename(self) -> str:
        return f"{self.slug}.yaml"

    @property
    def levels(self) -> list[str]:
        return [level["level"] for level in self.document["levels"]]

    @property
    def requirement_count(self) -> int:
        return sum(len(level.get("requirements", ())) for level in self.document["levels"])

    def to_yaml(self) -> str:
        """The document as a commented YAML file (UTF-8 text, keys in reading order)."""
        track = self.document["track"]
        lines = [
            f"# {track['name']}",
            f"# Converted from the Financial Times engineering-progression job family in {Path(self.source).name}",
            "# by `manage.py convert_framework --from ft`.",
            f"# Source: {SOURCE_URL}",
            "# (MIT licence, Copyright (c) 2019 Financial Times).",
            "# Requirement keys are FT's competency ids; level and theme names are FT's.",
        ]
        if "fork_of" in track:
            lines.append(f"# Load {track['fork_of']}.yaml first: this track forks from it at {track['fork_at']}.")
        return "\n".join(lines) + "\n\n" + dump_yaml(self.document)


# --- Reading ----------------------------------------------------------------------------------


# FT files are read as framework files are: mappings marked with their line, duplicate keys refused.


def parse_ft(text: str, *, source: str) -> Any:
    """The content of an FT job-family YAML file, its mappings marked with their lines."""
    try:
        return yaml.load(text, Loader=LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f", line {mark.line + 1}" if mark else ""
        raise FtFormatError(f"{source}{line}: not readable as YAML ({exc.problem or exc.context})") from exc
    except yaml.YAMLError as exc:
        raise FtFormatError(f"{source}: not readable as YAML ({exc})") from exc


def read_ft_file(path: str | Path) -> Any:
    """Read and parse an FT job-family file, with errors that name it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise FtFormatError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise FtFormatError(f"{path}: is a directory, not a job-family file") from exc
    except OSError as exc:
        raise FtFormatError(f"{path}: cannot be read ({exc.strerror})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FtFormatError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    if path.suffix.lower() == ".json":
        # JSON is YAML too, but not with the tabs JSON files are often indented with.
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise FtFormatError(f"{path}, line {exc.lineno}: not readable as JSON ({exc.msg})") from exc
    return parse_ft(text, source=str(path))


# --- Checking ---------------------------------------------------------------------------------


class _Checker:
    def __init__(self, source: str):
        self.source = source

    def fail(self, node: Any, path: str, message: str):
        line = getattr(node, "line", None)
        where = f"{self.source}, line {line}" if line else self.source
        raise FtFormatError(f"{where}, {path}: {message}")

    def mapping(self, node: Any, path: str, required=(), optional=()) -> Mapping:
        if not isinstance(node, dict):
            self.fail(node, path, f"expected a mapping, found {_kind(node)}")
        missing = [key for key in required if key not in node]
        if missing:
            self.fail(node, path, f"missing key(s): {', '.join(missing)}")
        unknown = sorted(map(str, set(node) - set(required) - set(optional)))
        if unknown:
            self.fail(node, path, f"unknown key(s): {', '.join(unknown)}")
        return node

    def items(self, parent: Mapping, key: str, path: str) -> list:
        value = parent.get(key)
        if not isinstance(value, list):
            self.fail(parent, f"{path}{key}", f"expected a list, found {_kind(value)}")
        return value

    def text(self, parent: Mapping, key: str, path: str, *, required=True, limit: int | None = None) -> str:
        value = parent.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            self.fail(parent, f"{path}.{key}", f"expected text, found {_kind(value)}")
        value = clean_text(value)
        if required and not value:
            self.fail(parent, f"{path}.{key}", "must not be empty")
        if limit is not None and len(value) > limit:
            self.fail(parent, f"{path}.{key}", f"is longer than {limit} characters")
        return value

    def key(self, parent: Mapping, key: str, path: str) -> str:
        """An FT id as a key: lower case, runs of other characters as one hyphen."""
        raw = self.text(parent, key, path)
        value = slugify(raw)
        if not value:
            self.fail(parent, f"{path}.{key}", f"{raw!r} has no letters or digits to make a key of")
        if len(value) > KEY_LIMIT:
            self.fail(parent, f"{path}.{key}", f"{raw!r} is longer than {KEY_LIMIT} characters")
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", MarkedMapping: "a mapping", list: "a list", str: "text"}.get(type(value), type(value).__name__)


def slugify(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def clean_text(value: str) -> str:
    """FT's text as the framework shows it: its lists and paragraphs kept, its wrapping not.

    FT writes Markdown: a line that does not start a list item continues the line
    before it (FT wraps long summaries at about 100 characters), while list items and
    blank lines break. Invisible characters and trailing spaces go.
    """
    value = INVISIBLE_RE.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    lines: list[str] = []
    continues = False
    for line in value.split("\n"):
        line = line.strip()
        if not line:
            if lines and lines[-1]:
                lines.append("")
            continues = False
        elif continues and not LIST_ITEM_RE.match(line):
            lines[-1] += " " + line
        else:
            lines.append(line)
            continues = True
    return "\n".join(lines).strip()


def default_prefix(family_name: str) -> str:
    """`ft-<job family>`, the same for a family and its legacy version (`Engineering (Legacy)`)."""
    return "ft-" + slugify(LEGACY_SUFFIX_RE.sub("", family_name))


# --- Converting -------------------------------------------------------------------------------


@dataclass
class _Level:
    ft_id: str
    key: str
    name: str
    path: str | None  # IC, PM or None (before the split: both paths)
    node: Mapping
    requirements: list


def convert_ft(data: Any, *, source: str, prefix: str | None = None) -> list[ConvertedTrack]:
    """The framework documents of one FT job family, in load order (a parent before its fork).

    `source` names the file in messages; `prefix` is the slug of the main track (the
    people-manager track is `<prefix>-pm`, the categories `<prefix>-<theme id>`),
    `ft-<job family name>` by default. Raises FtFormatError on the first problem.
    """
    check = _Checker(source)
    check.mapping(data, "top level", required=FAMILY_REQUIRED, optional=FAMILY_OPTIONAL)
    family = check.text(data, "name", "top level", limit=NAME_LIMIT)
    summary = check.text(data, "summary", "top level", required=False, limit=20000)
    if "isLegacy" in data and not isinstance(data["isLegacy"], bool):
        check.fail(data, "isLegacy", f"expected true or false, found {_kind(data['isLegacy'])}")
    if prefix is None:
        prefix = default_prefix(family)
    if not SLUG_RE.match(prefix):
        raise FtFormatError(f"{prefix!r} is not a slug (lower-case letters, digits, hyphens)")
    if len(prefix) > TRACK_SLUG_LIMIT - len(f"-{PM}"):
        raise FtFormatError(f"the slug prefix {prefix!r} is longer than {TRACK_SLUG_LIMIT - 3} characters")

    levels = _levels(check, data)
    categories = _categories(check, data, prefix)
    _competencies(check, data, levels, categories)

    ladders = _split_paths(check, data, list(levels.values()))
    main, fork = ladders[IC], ladders[PM]
    family_name = LEGACY_SUFFIX_RE.sub("", family).strip() or family
    main_track = {"slug": prefix, "name": family_name}
    if fork:
        main_track["name"] = f"{family_name} ({_path_label(main, IC)})"
    if summary:
        main_track["description"] = summary
    tracks = [_document(main_track, main, categories)]
    if fork:
        fork_track = {"slug": f"{prefix}-{PM}", "name": f"{family_name} ({_path_label(fork, PM)})"}
        if summary:
            fork_track["description"] = summary
        # The parent's level at the rank where the paths split; the fork's ladder starts there.
        fork_track.update(fork_of=prefix, fork_at=main[len(ladders["shared"])].key)
        tracks.append(_document(fork_track, fork, categories))
    for document in tracks:
        if len(document["track"]["name"]) > NAME_LIMIT:
            check.fail(data, "name", f"the track name {document['track']['name']!r} is longer than {NAME_LIMIT} characters")
    return [ConvertedTrack(slug=doc["track"]["slug"], document=doc, source=source) for doc in tracks]


def convert_ft_file(path: str | Path, *, prefix: str | None = None) -> list[ConvertedTrack]:
    """Read an FT job-family file and convert it (see `convert_ft`)."""
    return convert_ft(read_ft_file(path), source=str(path), prefix=prefix)


def _levels(check: _Checker, data: Mapping) -> dict[str, _Level]:
    levels: dict[str, _Level] = {}
    for index, node in enumerate(check.items(data, "levels", "")):
        path = f"levels[{index}]"
        check.mapping(node, path, required=LEVEL_REQUIRED)
        ft_id = check.text(node, "id", path)
        if ft_id in levels:
            check.fail(node, f"{path}.id", f"level {ft_id!r} is listed twice")
        key = check.key(node, "id", path)
        mark = PATH_MARK_RE.match(key)
        name = check.text(node, "name", path, limit=NAME_LIMIT)
        levels[ft_id] = _Level(
            ft_id=ft_id,
            key=mark["base"] if mark else key,
            name=name,
            path=mark["path"] if mark else None,
            node=node,
            requirements=[],
        )
    if not levels:
        check.fail(data, "levels", "lists no level")
    return levels


def _categories(check: _Checker, data: Mapping, prefix: str) -> dict[str, dict]:
    categories: dict[str, dict] = {}
    keys: dict[str, str] = {}
    for index, node in enumerate(check.items(data, "themes", "")):
        path = f"themes[{index}]"
        check.mapping(node, path, required=THEME_REQUIRED, optional=THEME_OPTIONAL)
        ft_id = check.text(node, "id", path)
        if ft_id in categories:
            check.fail(node, f"{path}.id", f"theme {ft_id!r} is listed twice")
        key = f"{prefix}-{check.key(node, 'id', path)}"
        if key in keys:
            check.fail(node, f"{path}.id", f"theme {ft_id!r} makes the same key as theme {keys[key]!r}")
        if len(key) > CATEGORY_KEY_LIMIT:
            check.fail(
                node, f"{path}.id",
                f"the category key {key!r} is longer than {CATEGORY_KEY_LIMIT} characters; choose a shorter --slug",
            )
        keys[key] = ft_id
        category = {"key": key, "name": check.text(node, "name", path, limit=NAME_LIMIT)}
        theme_summary = check.text(node, "summary", path, required=False, limit=TEXT_LIMIT)
        if theme_summary:
            category["summary"] = theme_summary
        categories[ft_id] = category
    if not categories:
        check.fail(data, "themes", "lists no theme")
    return categories


def _competencies(check: _Checker, data: Mapping, levels: dict[str, _Level], categories: dict[str, dict]) -> None:
    """Each competency as a requirement of its level, in FT's order."""
    seen: dict[str, str] = {}
    for index, node in enumerate(check.items(data, "competencies", "")):
        path = f"competencies[{index}]"
        check.mapping(node, path, required=COMPETENCY_REQUIRED, optional=COMPETENCY_OPTIONAL)
        key = check.key(node, "id", path)
        path = f"competencies[{index}] ({key})"
        if key in seen:
            check.fail(node, f"{path}.id", f"is used twice (also at {seen[key]})")
        seen[key] = path
        level_id = check.text(node, "level", path)
        if level_id not in levels:
            check.fail(node, f"{path}.level", f"{level_id!r} is not a level of this file ({', '.join(levels)})")
        theme_id = check.text(node, "theme", path)
        if theme_id not in categories:
            check.fail(node, f"{path}.theme", f"{theme_id!r} is not a theme of this file ({', '.join(categories)})")
        requirement = {
            "key": key,
            "category": categories[theme_id]["key"],
            "text": check.text(node, "summary", path, limit=TEXT_LIMIT),
        }
        proficiency = check.text(node, "proficiency", path, required=False, limit=NAME_LIMIT)
        if proficiency:
            requirement["proficiency"] = proficiency
        examples = _examples(check, node, path)
        if examples:
            requirement["examples"] = examples
        levels[level_id].requirements.append(requirement)


def _examples(check: _Checker, node: Mapping, path: str) -> str:
    """The legacy examples and supporting URLs as one text of "- " lists."""
    lines = []
    examples = node.get("examples")
    if examples is not None:
        for index, example in enumerate(check.items(node, "examples", f"{path}.")):
            if not isinstance(example, str):
                check.fail(node, f"{path}.examples[{index}]", f"expected text, found {_kind(example)}")
            if not clean_text(example):
                check.fail(node, f"{path}.examples[{index}]", "must not be empty")
            lines.append("- " + " ".join(clean_text(example).split()))
    links = []
    if node.get("supportingUrls") is not None:
        for index, link in enumerate(check.items(node, "supportingUrls", f"{path}.")):
            l_path = f"{path}.supportingUrls[{index}]"
            check.mapping(link, l_path, required=("label", "url"))
            label, url = check.text(link, "label", l_path), check.text(link, "url", l_path)
            links.append(f"- {' '.join(label.split())}: {url}")
    if links:
        if lines:
            lines.append("")
        lines += ["Supporting links:", *links]
    text = "\n".join(lines)
    if len(text) > TEXT_LIMIT:
        check.fail(node, f"{path}.examples", f"with its supporting links is longer than {TEXT_LIMIT} characters")
    return text


def _split_paths(check: _Checker, data: Mapping, levels: list[_Level]) -> dict[str, list[_Level]]:
    """The levels of each path: `shared` (before the split), IC (the whole ladder), PM (its own part)."""
    shared: list[_Level] = []
    paths: dict[str, list[_Level]] = {IC: [], PM: []}
    current = None
    for level in levels:
        current = level.path or current
        if current is None:
            shared.append(level)
        else:
            paths[current].append(level)
    if paths[PM] and not paths[IC]:
        first = paths[PM][0]
        check.fail(
            first.node, f"levels ({first.ft_id})",
            "the people-manager path has no individual-contributor path to branch from",
        )
    main = shared + paths[IC]
    fork = paths[PM]
    whole_ladders = [(IC, main)] + ([(PM, shared + fork)] if fork else [])
    for path, ladder in whole_ladders:
        seen: dict[str, str] = {}
        for level in ladder:
            if level.key in seen:
                check.fail(
                    level.node, f"levels ({level.ft_id})",
                    f"makes the key {level.key!r} of the {PATH_LABELS[path].lower()} ladder, as {seen[level.key]!r} does",
                )
            seen[level.key] = level.ft_id
        if not LADDER_MIN <= len(ladder) <= LADDER_MAX:
            which = f"the {PATH_LABELS[path].lower()} path" if fork else "the file"
            check.fail(
                data, "levels",
                f"{which} has {len(ladder)} level(s); a ladder holds {LADDER_MIN} to {LADDER_MAX}",
            )
    return {"shared": shared, IC: main, PM: fork}


def _path_label(ladder: list[_Level], path: str) -> str:
    """The path's name as FT writes it in brackets after its level names."""
    for level in ladder:
        if level.path == path:
            bracketed = BRACKETED_RE.match(level.name)
            if bracketed:
                return bracketed["label"].strip()
    return PATH_LABELS[path]


def _document(track: dict, ladder: list[_Level], categories: dict[str, dict]) -> dict:
    document = {
        "schema": 2,
        "track": track,
        "ladder": [{"key": level.key, "name": level.name} for level in ladder],
        "categories": [dict(category) for category in categories.values()],
        "levels": [],
    }
    for level in ladder:
        entry = {"level": level.key}
        entry["requirements"] = [dict(requirement) for requirement in level.requirements]
        document["levels"].append(entry)
    return document


# --- Writing ----------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key, texts with line breaks as literal blocks."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def dump_yaml(document: Mapping) -> str:
    """`document` as YAML: keys in the order given, UTF-8 text kept as it is."""
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
