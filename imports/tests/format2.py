"""The shape of a framework document, schema 2 (grades/frameworks/README.md), as a test helper.

The loader validates a file with line numbers; this checks a document the converter
produced, without a database, against the keys and rules the format lists.
"""

from __future__ import annotations

import re

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# (required keys, optional keys) of each part of the format.
SHAPE = {
    "top level": ({"schema", "track", "levels"}, {"ladder", "categories"}),
    "track": ({"slug", "name"}, {"name_ru", "description", "description_en", "fork_of", "fork_at"}),
    "ladder": ({"key", "name"}, {"name_ru", "min_months", "entry_only", "grade"}),
    "category": ({"key", "name"}, {"name_ru", "summary"}),
    "level": ({"level"}, {"comment", "comment_en", "groups", "requirements", "books"}),
    "requirement": (
        {"key", "category", "text"},
        {"text_en", "origin", "check", "proficiency", "examples", "group", "reconfirm"},
    ),
}
SHIPPED_CATEGORIES = {
    "hard_skill", "practice", "product", "leadership", "security", "contribution", "reading", "experience",
}  # fmt: skip


def _keys(node, part: str, where: str) -> None:
    required, optional = SHAPE[part]
    assert isinstance(node, dict), f"{where}: not a mapping"
    assert required <= set(node), f"{where}: missing {sorted(required - set(node))}"
    assert set(node) <= required | optional, f"{where}: unknown {sorted(set(node) - required - optional)}"
    for key, value in node.items():
        if key in ("schema", "min_months", "entry_only", "reconfirm"):
            continue
        if isinstance(value, str):
            assert value.strip() == value and value, f"{where}.{key}: empty or padded text {value!r}"


def problems(document: dict) -> list[str]:
    """Every way `document` departs from schema 2 (an empty list when it keeps to it)."""
    found = []
    try:
        check(document)
    except AssertionError as exc:
        found.append(str(exc))
    return found


def check(document: dict) -> None:
    """Assert that `document` keeps to schema 2."""
    _keys(document, "top level", "top level")
    assert document["schema"] == 2, "schema: not 2"
    track = document["track"]
    _keys(track, "track", "track")
    assert SLUG_RE.match(track["slug"]) and len(track["slug"]) <= 80, f"track.slug {track['slug']!r}"
    assert ("fork_of" in track) == ("fork_at" in track), "track: fork_of and fork_at go together"
    if "fork_of" in track:
        assert SLUG_RE.match(track["fork_of"]) and track["fork_of"] != track["slug"], "track.fork_of"

    ladder = document.get("ladder")
    assert isinstance(ladder, list), "ladder: a converted file carries its own ladder"
    assert 1 <= len(ladder) <= 15, f"ladder: {len(ladder)} levels"
    keys = []
    for index, level in enumerate(ladder):
        _keys(level, "ladder", f"ladder[{index}]")
        assert SLUG_RE.match(level["key"]), f"ladder[{index}].key {level['key']!r}"
        keys.append(level["key"])
    assert len(set(keys)) == len(keys), f"ladder: duplicate keys in {keys}"
    if "fork_of" in track:
        assert keys[0] == track["fork_at"], "a fork's ladder starts at fork_at"
    else:
        assert len(keys) >= 2, "a ladder holds 2 to 15 levels"

    categories = set(SHIPPED_CATEGORIES)
    for index, category in enumerate(document.get("categories", [])):
        _keys(category, "category", f"categories[{index}]")
        assert SLUG_RE.match(category["key"].replace("_", "-")), f"categories[{index}].key"
        assert category["key"] not in SHIPPED_CATEGORIES, f"categories[{index}] renames a shipped category"
        categories.add(category["key"])

    levels = document["levels"]
    assert [level.get("level") for level in levels] == keys, "levels: every level of the ladder once, in order"
    requirement_keys = set()
    for index, level in enumerate(levels):
        where = f"levels[{index}] ({level['level']})"
        _keys(level, "level", where)
        for r_index, requirement in enumerate(level.get("requirements", [])):
            r_where = f"{where}.requirements[{r_index}]"
            _keys(requirement, "requirement", r_where)
            key = requirement["key"]
            assert SLUG_RE.match(key) and len(key) <= 80, f"{r_where}.key {key!r}"
            assert key not in requirement_keys, f"{r_where}.key {key!r} twice"
            requirement_keys.add(key)
            assert requirement["category"] in categories, f"{r_where}.category {requirement['category']!r}"
            assert len(requirement["text"]) <= 4000, f"{r_where}.text too long"
