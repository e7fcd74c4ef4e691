"""The published JSON Schema of the framework format (grades/frameworks/schema.json).

Companies validate their files with it in their own CI, so it must accept every file the
loader accepts (the shipped ones, the tests' ones) and refuse the shapes the format
rules out. The loader keeps its own checks, which name the file, the line and the key.
"""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from grades.framework_loader import SCHEMA_PATH, shipped_framework_paths
from grades.versions import load_framework
from grades.tests import test_framework_loader, test_framework_schema2

TEST_FILES = sorted((Path(__file__).resolve().parent / "frameworks").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator, data) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def read(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_schema_is_draft_2020_12_and_not_loaded_as_a_framework(validator):
    assert validator.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA_PATH not in shipped_framework_paths()
    assert [path.name for path in shipped_framework_paths()] == ["backend.yaml", "fullstack.yaml"]


@pytest.mark.parametrize("path", shipped_framework_paths(), ids=lambda p: p.name)
def test_the_shipped_files_are_valid(validator, path):
    assert errors(validator, read(path)) == []


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_the_test_files_are_valid(validator, path):
    assert errors(validator, read(path)) == []


def test_the_files_the_loader_tests_write_are_valid(validator):
    assert errors(validator, test_framework_loader.minimal()) == []
    assert errors(validator, test_framework_schema2.platform()) == []


@pytest.mark.django_db
def test_what_the_schema_accepts_the_loader_loads(validator, tmp_path):
    """The schema 2 test file passes both; the loader reads the same file the schema did."""
    assert errors(validator, read(test_framework_schema2.PLATFORM)) == []
    assert load_framework(test_framework_schema2.PLATFORM).requirements_created == 7


def _v2(mutate):
    data = test_framework_schema2.platform()
    mutate(data)
    return data


def _v1(mutate):
    data = test_framework_loader.minimal()
    mutate(data)
    return data


REFUSED = [
    ("schema 3", _v2(lambda d: d.update(schema=3)), "3 is not one of [1, 2]"),
    ("no schema", _v2(lambda d: d.pop("schema")), "'schema' is a required property"),
    ("an unknown top-level key", _v2(lambda d: d.update(colour="red")), "Additional properties are not allowed ('colour'"),
    ("a bad track slug", _v2(lambda d: d["track"].update(slug="Not A Slug")), "track/slug: 'Not A Slug' does not match"),
    ("fork_of without fork_at", _v2(lambda d: d["track"].update(fork_of="engineering")), "'fork_at' is a dependency of 'fork_of'"),
    ("at_least 0", _v2(lambda d: d["levels"][1]["groups"][0].update(at_least=0)), "levels/1/groups/0/at_least: 0 is less than the minimum of 1"),
    ("a group without at_least", _v2(lambda d: d["levels"][1]["groups"][0].pop("at_least")), "'at_least' is a required property"),
    ("a theme key with spaces", _v2(lambda d: d["categories"][0].update(key="Team Work")), "categories/0/key: 'Team Work' does not match"),
    ("a requirement without text", _v2(lambda d: d["levels"][1]["requirements"][0].pop("text")), "'text' is a required property"),
    ("an empty text", _v2(lambda d: d["levels"][1]["requirements"][0].update(text="  ")), "levels/1/requirements/0/text: '  ' does not match"),
    ("proficiency too long", _v2(lambda d: d["levels"][1]["requirements"][0].update(proficiency="x" * 101)), "is too long"),
    ("reconfirm as text", _v2(lambda d: d["levels"][1]["requirements"][1].update(reconfirm="yes")), "'yes' is not of type 'boolean', 'null'"),
    ("a data-judged requirement in a group",
     _v2(lambda d: d["levels"][1]["requirements"][1].update(check={"kind": "experience_years", "years": 1})),
     "levels/1/requirements/1: {"),
    ("a ladder of one level", _v2(lambda d: d.update(ladder=[{"key": "only", "name": "Only"}])), "ladder: [{'key': 'only', 'name': 'Only'}] is not valid"),
    ("a ladder of sixteen levels",
     _v2(lambda d: d.update(ladder=[{"key": f"l{i}", "name": f"L{i}"} for i in range(16)])), "is not valid under any of the given schemas"),
    ("a ladder level without a name", _v2(lambda d: d.update(ladder=[{"key": "a"}, {"key": "b", "name": "B"}])), "is not valid under any of the given schemas"),
    ("min_months below zero",
     _v2(lambda d: d.update(ladder=[{"key": "a", "name": "A", "min_months": -1}, {"key": "b", "name": "B"}])), "is not valid under any of the given schemas"),
    ("a bad check", _v1(lambda d: d["levels"][6]["requirements"][0].update(check={"kind": "experience_years", "years": "five"})), "levels/6/requirements/0/check"),
    ("themes in a schema 1 file", _v1(lambda d: d.update(categories=[{"key": "x", "name": "X"}])), "Additional properties are not allowed ('categories'"),
    ("a theme of its own in a schema 1 file", _v1(lambda d: d["levels"][1]["requirements"][0].update(category="communication")), "'communication' is not one of"),
    ("proficiency in a schema 1 file", _v1(lambda d: d["levels"][1]["requirements"][0].update(proficiency="Working")), "('proficiency' was unexpected)"),
    ("groups in a schema 1 file", _v1(lambda d: d["levels"][1].update(groups=[{"key": "g", "at_least": 1}])), "('groups' was unexpected)"),
]


@pytest.mark.parametrize("label, data, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_the_schema_refuses_what_the_format_rules_out(validator, label, data, message):
    found = errors(validator, data)
    assert found, label
    assert any(message in error for error in found), found


def test_the_dev_requirements_pin_jsonschema():
    pins = (Path(__file__).resolve().parents[2] / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("jsonschema==") for line in pins)
