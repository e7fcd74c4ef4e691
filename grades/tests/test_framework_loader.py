"""load_framework: the shipped files, bad files (clear errors, nothing written), idempotency."""

import json
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from grades.framework_loader import FrameworkError, parse_framework
from grades.versions import load_framework
from grades.models import Book, Level, Requirement, Track, TrackLevel
from grades.tests.factories import add_level

FRAMEWORKS = Path(__file__).resolve().parents[1] / "frameworks"
SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_8f514e0dc0c31444.txt"

pytestmark = pytest.mark.django_db


def snapshot():
    """Everything a framework load may write, to compare before and after."""
    return (
        list(Track.objects.order_by("id").values()),
        list(TrackLevel.objects.order_by("id").values()),
        list(Requirement.objects.order_by("id").values()),
        list(Book.objects.order_by("id").values()),
    )


# The ladder the migrations create (test_the_files_follow_the_ladder_in_the_database checks it).
LADDER = [
    "junior", "junior-plus", "junior-plus-plus",
    "middle", "middle-plus", "middle-plus-plus",
    "senior", "senior-plus", "senior-plus-plus",
]  # fmt: skip


def minimal(slug="qa", codes=LADDER, **overrides) -> dict:
    data = {
        "schema": 1,
        "track": {"slug": slug, "name": f"QA {slug}"},
        "levels": [
            {"level": code, "comment": f"Комментарий {code}", "requirements": []} for code in codes
        ],
    }
    data["levels"][1]["requirements"] = [
        {"key": "pytest", "category": "hard_skill", "text": "Знание pytest 🧪"},
        {"key": "ci", "category": "practice", "text": "CI/CD", "text_en": "CI/CD"},
    ]
    data["levels"][6]["requirements"] = [
        {"key": "five-years", "category": "experience", "text": "5 лет",
         "check": {"kind": "experience_years", "years": 5}},
    ]
    data["levels"][2]["books"] = [{"title": "Clean Code", "author": "Robert C. Martin"}]
    data.update(overrides)
    return data


def write(tmp_path, data, name="qa.yaml") -> Path:
    path = tmp_path / name
    if name.endswith(".json"):
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# --- The shipped frameworks -----------------------------------------------------------------


@pytest.mark.parametrize("slug", ["backend", "fullstack"])
def test_migration_loaded_every_level_and_requirement_of_the_shipped_files(slug):
    spec = parse_framework(FRAMEWORKS / f"{slug}.yaml")
    track = Track.objects.get(slug=slug)
    assert TrackLevel.objects.filter(track=track).count() == 9
    in_file = {r.key: r.text for level in spec.levels for r in level.requirements}
    in_db = dict(Requirement.objects.filter(track=track, is_active=True).values_list("key", "text"))
    assert in_db == in_file
    assert len(in_file) >= 30
    for level in spec.levels:
        assert TrackLevel.objects.get(track=track, level__code=level.code).comment == level.comment


@pytest.mark.parametrize("slug", ["backend", "fullstack"])
def test_shipped_files_keep_the_articles_wording(slug):
    """Every level comment of the source article is in the file, word for word."""
    if not SEED.exists():
        pytest.skip("the source documents are not beside this checkout")
    source = " ".join(SEED.read_text(encoding="utf-8").replace("\u00a0", " ").split())
    spec = parse_framework(FRAMEWORKS / f"{slug}.yaml")
    for level in spec.levels:
        assert " ".join(level.comment.split()) in source, level.code


def test_data_judged_requirements_are_marked_with_parameters():
    checks = dict(
        Requirement.objects.filter(track__slug="backend").exclude(check_kind="")
        .values_list("key", "check_kind")
    )
    assert sorted(checks.values()) == ["experience_years", "mentee_count", "mentee_promoted", "mentee_promoted"]
    senior = Requirement.objects.get(track__slug="backend", check_kind="experience_years")
    assert senior.check_params == {"years": 5}
    assert senior.track_level.level.code == "senior"


def test_loading_a_shipped_file_again_changes_nothing():
    before = snapshot()
    report = load_framework(FRAMEWORKS / "backend.yaml")
    assert not report.changed
    assert snapshot() == before


# --- Good files -----------------------------------------------------------------------------


def test_new_file_creates_a_track_and_twice_changes_nothing(tmp_path):
    path = write(tmp_path, minimal())
    report = load_framework(path)
    assert report.created_track and report.requirements_created == 3
    track = Track.objects.get(slug="qa")
    assert Requirement.objects.get(track=track, key="pytest").text == "Знание pytest 🧪"
    assert Book.objects.get(track_level__track=track).title == "Clean Code"
    before = snapshot()
    again = load_framework(path)
    assert not again.changed
    assert again.requirements_unchanged == 3
    assert snapshot() == before


def test_json_files_load_too(tmp_path):
    load_framework(write(tmp_path, minimal(slug="qa-json"), name="qa.json"))
    assert Requirement.objects.filter(track__slug="qa-json").count() == 3


def test_update_changes_text_moves_levels_and_retires_missing_keys(tmp_path):
    load_framework(write(tmp_path, minimal()))
    original_id = Requirement.objects.get(track__slug="qa", key="pytest").id
    data = minimal()
    data["levels"][1]["requirements"] = [{"key": "ci", "category": "practice", "text": "CI/CD и релизы"}]
    data["levels"][3]["requirements"] = [{"key": "pytest", "category": "hard_skill", "text": "pytest, фикстуры"}]
    report = load_framework(write(tmp_path, data))
    assert (report.requirements_updated, report.requirements_retired, report.requirements_created) == (2, 0, 0)
    moved = Requirement.objects.get(track__slug="qa", key="pytest")
    assert moved.id == original_id  # same row: evidence that points at it keeps pointing at it
    assert moved.track_level.level.code == "middle"
    data["levels"][3]["requirements"] = []
    report = load_framework(write(tmp_path, data))
    assert report.requirements_retired == 1
    retired = Requirement.objects.get(pk=original_id)
    assert retired.is_active is False  # kept, not deleted


def test_dry_run_reports_and_writes_nothing(tmp_path):
    before = snapshot()
    report = load_framework(write(tmp_path, minimal()), dry_run=True)
    assert report.created_track and report.requirements_created == 3
    assert snapshot() == before


def test_command_prints_summary_and_dry_run(tmp_path):
    path = write(tmp_path, minimal())
    out = StringIO()
    call_command("load_framework", str(path), "--dry-run", stdout=out)
    assert "Dry run, nothing written" in out.getvalue()
    assert not Track.objects.filter(slug="qa").exists()
    call_command("load_framework", str(path), stdout=out)
    out = StringIO()
    call_command("load_framework", str(path), stdout=out)
    assert "Nothing to change" in out.getvalue()


# --- Bad files: a clear error naming file, line or key, and nothing written ----------------------


def broken(mutate):
    data = minimal()
    mutate(data)
    return data


BAD_FILES = [
    ("missing track slug", broken(lambda d: d["track"].pop("slug")), "track: missing key(s): slug"),
    ("bad slug", broken(lambda d: d["track"].update(slug="Not A Slug")), "track.slug: 'Not A Slug' is not a slug"),
    ("unknown category", broken(lambda d: d["levels"][1]["requirements"][0].update(category="magic")),
     "levels[1] (junior-plus).requirements[0].category: 'magic' is not one of"),
    ("duplicate key", broken(lambda d: d["levels"][2].update(requirements=[{"key": "pytest", "category": "practice", "text": "x"}])),
     "'pytest' is used twice"),
    ("empty text", broken(lambda d: d["levels"][1]["requirements"][0].update(text="  ")),
     "requirements[0].text: must not be empty"),
    ("levels out of order", broken(lambda d: d["levels"].reverse()), "must list every level once, in order"),
    ("a level missing", broken(lambda d: d["levels"].pop()), "must list every level once, in order"),
    ("bad check", broken(lambda d: d["levels"][6]["requirements"][0].update(check={"kind": "experience_years", "years": "five"})),
     "experience_years needs 'years'"),
    ("unknown check kind", broken(lambda d: d["levels"][6]["requirements"][0].update(check={"kind": "vibes"})),
     "Unknown check kind 'vibes'"),
    ("a schema 2 key in a schema 1 file", broken(lambda d: d["levels"][1]["requirements"][0].update(examples="x")),
     "unknown key(s): examples"),
    ("unknown key", broken(lambda d: d["levels"][1]["requirements"][0].update(colour="red")), "unknown key(s): colour"),
    ("wrong schema", broken(lambda d: d.update(schema=7)), "unsupported schema 7"),
    ("schema as text", broken(lambda d: d.update(schema="2")), "unsupported schema '2'"),
    ("requirements not a list", broken(lambda d: d["levels"][1].update(requirements="git")), "expected a list"),
]


@pytest.mark.parametrize("label, data, message", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_is_refused_with_a_message_and_nothing_is_written(tmp_path, label, data, message):
    load_framework(write(tmp_path, minimal(), name="existing.yaml"))  # an existing track must stay as is
    before = snapshot()
    path = write(tmp_path, data, name="bad.yaml")
    with pytest.raises(FrameworkError) as excinfo:
        load_framework(path)
    assert message in str(excinfo.value)
    assert str(path) in str(excinfo.value)
    assert snapshot() == before


def test_yaml_errors_name_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("schema: 1\ntrack:\n  slug: qa\n  name: [unclosed\nlevels: []\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match=r"broken.yaml, line \d+: invalid YAML"):
        load_framework(path)


def test_semantic_errors_name_the_line(tmp_path):
    text = yaml.safe_dump(broken(lambda d: d["levels"][1]["requirements"][1].update(category="nope")),
                          allow_unicode=True, sort_keys=False)
    path = tmp_path / "line.yaml"
    path.write_text(text, encoding="utf-8")
    expected_line = text.splitlines().index("  - key: ci") + 1
    with pytest.raises(FrameworkError, match=rf"line {expected_line}, levels\[1\]"):
        load_framework(path)


def test_duplicate_yaml_keys_are_refused(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("schema: 1\nschema: 1\ntrack: {}\nlevels: []\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match="duplicate key 'schema'"):
        load_framework(path)


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"[1, 2", "invalid JSON"),
    ],
)
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / ("f.json" if content == b"[1, 2" else "f.yaml")
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(FrameworkError, match=message):
        load_framework(path)


def test_command_turns_errors_into_command_error(tmp_path):
    before = snapshot()
    path = write(tmp_path, broken(lambda d: d["track"].pop("name")), name="noname.yaml")
    with pytest.raises(CommandError, match=r"noname.yaml.*track: missing key\(s\): name"):
        call_command("load_framework", str(path))
    assert snapshot() == before


def test_the_files_follow_the_ladder_in_the_database(tmp_path):
    """The levels a schema 1 file must list are the shipped ladder's, in rank order: a level added
    there is required of the next file, and a check may name it."""
    assert list(Level.objects.filter(ladder__slug="standard").order_by("rank").values_list("code", flat=True)) == LADDER
    add_level(rank=10, code="principal", name="Principal", name_ru="Принципал")
    before = snapshot()
    with pytest.raises(FrameworkError, match="must list every level once, in order: junior, .*, principal"):
        load_framework(write(tmp_path, minimal(), name="nine.yaml"))
    assert snapshot() == before

    data = minimal(codes=[*LADDER, "principal"])
    data["levels"][9]["requirements"] = [
        {"key": "grew-a-senior", "category": "leadership", "text": "Вырастил сеньора",
         "check": {"kind": "mentee_promoted", "from": ["middle-plus-plus"], "to": "principal"}},
    ]
    report = load_framework(write(tmp_path, data, name="ten.yaml"))
    assert report.requirements_created == 4
    assert Requirement.objects.get(key="grew-a-senior").track_level.level.code == "principal"


def test_a_check_naming_a_level_not_in_the_ladder_is_refused(tmp_path):
    data = minimal()
    data["levels"][6]["requirements"][0]["check"] = {"kind": "mentee_promoted", "from": ["junior"], "to": "principal"}
    before = snapshot()
    with pytest.raises(FrameworkError, match="mentee_promoted needs 'to', a level code"):
        load_framework(write(tmp_path, data))
    assert snapshot() == before


def test_a_list_used_as_a_key_is_refused_with_the_line_not_a_crash(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("schema: 1\ntrack:\n  ? [a, b]\n  : x\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match=r"bad\.yaml.*line 3"):
        parse_framework(path)
