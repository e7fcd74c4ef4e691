"""The FT engineering-progression converter, on FT's own files and on small made-up ones, without a database."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from imports import frameworks_ft
from imports.frameworks_ft import FtFormatError, convert_ft, convert_ft_file, parse_ft

from . import format2

DATA = Path(__file__).resolve().parent / "data" / "ft-engineering-progression"
CURRENT = DATA / "engineering.yml"
LEGACY = DATA / "engineering-v1.yml"
BACKEND = Path(__file__).resolve().parents[2] / "grades" / "frameworks" / "backend.yaml"


def raw(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def by_slug(tracks) -> dict:
    return {track.slug: track.document for track in tracks}


def requirements(document: dict) -> dict[str, dict]:
    """Each requirement of a document by key, with the level it sits on."""
    found = {}
    for level in document["levels"]:
        for requirement in level.get("requirements", []):
            assert requirement["key"] not in found
            found[requirement["key"]] = {**requirement, "level": level["level"]}
    return found


def ladder_names(document: dict) -> dict[str, str]:
    return {level["key"]: level["name"] for level in document["ladder"]}


@pytest.fixture(scope="module")
def current():
    return convert_ft_file(CURRENT)


@pytest.fixture(scope="module")
def legacy():
    return convert_ft_file(LEGACY)


# --- FT's current file: the individual-contributor ladder and the people-manager fork --------


def test_current_file_gives_the_individual_contributor_ladder_and_a_people_manager_fork(current):
    assert [track.slug for track in current] == ["ft-engineering", "ft-engineering-pm"]
    ic, pm = (track.document for track in current)

    assert ic["track"] == {
        "slug": "ft-engineering",
        "name": "Engineering (Individual Contributor)",
        "description": "Competencies for engineers within the CTO organisation at the Financial Times.",
    }
    assert ic["ladder"] == [
        {"key": "junior", "name": "Junior Engineer"},
        {"key": "engineer", "name": "Engineer"},
        {"key": "senior-1", "name": "Senior Engineer 1"},
        {"key": "senior-2", "name": "Senior Engineer 2 (Individual Contributor)"},
        {"key": "principal", "name": "Principal Engineer (Individual Contributor)"},
    ]
    # The fork starts where FT's paths split (Senior Engineer 2) and holds that level and
    # above; Technology Director follows Principal Engineer (People Manager) in FT's list.
    assert pm["track"]["fork_of"] == "ft-engineering"
    assert pm["track"]["fork_at"] == "senior-2"
    assert pm["track"]["name"] == "Engineering (People Manager)"
    assert pm["ladder"] == [
        {"key": "senior-2", "name": "Senior Engineer 2 (People Manager)"},
        {"key": "principal", "name": "Principal Engineer (People Manager)"},
        {"key": "tech-director", "name": "Technology Director"},
    ]
    # fork_at is a level of the parent's ladder, at the rank where the fork's own ladder starts.
    assert [level["key"] for level in ic["ladder"]].index("senior-2") == 3
    assert [level["level"] for level in pm["levels"]] == ["senior-2", "principal", "tech-director"]
    for track in current:
        format2.check(track.document)


def test_every_level_ft_lists_is_in_exactly_one_track_with_its_own_competencies_and_none_is_invented(current):
    source = raw(CURRENT)
    per_level = Counter(competency["level"] for competency in source["competencies"])
    names = Counter(
        name for track in current for name in ladder_names(track.document).values()
    )
    assert names == Counter(level["name"] for level in source["levels"])
    assert sum(names.values()) == 8

    ft_level_of_name = {level["name"]: level["id"] for level in source["levels"]}
    for track in current:
        document = track.document
        names_here = ladder_names(document)
        for level in document["levels"]:
            ft_level = ft_level_of_name[names_here[level["level"]]]
            assert len(level["requirements"]) == per_level[ft_level] == 9, (track.slug, level["level"])
    # The shared levels are the parent's only: the fork does not repeat them.
    pm = current[1].document
    assert {"junior", "engineer", "senior-1"} & {level["level"] for level in pm["levels"]} == set()


def test_every_competency_is_a_requirement_exactly_once_on_its_level_with_its_wording_and_proficiency(current):
    source = raw(CURRENT)
    keys = Counter(key for track in current for key in requirements(track.document))
    assert set(keys.values()) == {1}
    assert set(keys) == {competency["id"] for competency in source["competencies"]}
    assert len(keys) == 72

    level_names = {level["id"]: level["name"] for level in source["levels"]}
    found = {}
    for track in current:
        names = ladder_names(track.document)
        for key, requirement in requirements(track.document).items():
            found[key] = (names[requirement["level"]], requirement)
    for competency in source["competencies"]:
        level_name, requirement = found[competency["id"]]
        assert level_name == level_names[competency["level"]]
        assert requirement["proficiency"] == competency["proficiency"]
        assert requirement["category"] == f"ft-engineering-{competency['theme']}"
        assert requirement["text"] == frameworks_ft.clean_text(competency["summary"])
        assert "examples" not in requirement  # the current file has none


def test_themes_become_the_categories_of_both_tracks_under_the_framework_s_own_keys(current):
    source = raw(CURRENT)
    expected = [
        {"key": f"ft-engineering-{theme['id']}", "name": theme["name"], "summary": " ".join(theme["summary"].split())}
        for theme in source["themes"]
    ]
    for track in current:
        assert track.document["categories"] == expected
    # FT's "leadership" is not the shipped leadership category: it gets a key of its own.
    keys = {category["key"] for category in expected}
    assert "ft-engineering-leadership" in keys and not keys & format2.SHIPPED_CATEGORIES
    assert len(keys) == 9


def test_texts_keep_ft_s_lists_and_lose_its_wrapping_and_invisible_characters(current):
    ic_requirements = requirements(current[0].document)
    first_technical = ic_requirements["5d6ccb96-2cf8-4aec-bfe3-3fa4ceae1119"]["text"]
    assert first_technical.splitlines() == [
        "1. Writes well-tested code and documentation in keeping with our guidelines and conventions. "
        "Applies changes and configuration and takes care to test solutions.",
        "",
        "2. Uses tooling and systems at a basic level, including managing their development environment, "
        "source control, CI/CD pipelines, and monitoring.",
    ]
    engineer_technical = ic_requirements["1ce54b83-4e0a-4f88-b9db-e2a99ff3ec53"]["text"]
    assert [line[:3] for line in engineer_technical.splitlines()] == ["1. ", "2. ", "3. ", "4. "]
    # Three of FT's summaries carry a zero-width space before a full stop.
    team_work = ic_requirements["cecac595-d72d-423c-9081-eed774fff3b0"]["text"]
    assert "\u200b" in next(c["summary"] for c in raw(CURRENT)["competencies"] if c["id"].startswith("cecac595"))
    assert "\u200b" not in team_work and "positive team environment. Provides" in team_work


# --- FT's legacy file ---------------------------------------------------------------------


def test_legacy_file_gives_one_track_with_its_own_four_levels(legacy):
    assert len(legacy) == 1
    document = legacy[0].document
    format2.check(document)
    assert document["track"]["slug"] == "ft-engineering"
    assert document["track"]["name"] == "Engineering"  # FT's "(Legacy)" is a later label, not the name
    assert "used from Q4-2020 to Q1-2025" in document["track"]["description"]
    assert "fork_of" not in document["track"]
    assert document["ladder"] == [
        {"key": "junior", "name": "Junior Engineer"},
        {"key": "engineer", "name": "Engineer"},
        {"key": "senior-1", "name": "Senior Engineer 1"},
        {"key": "senior-2", "name": "Senior Engineer 2"},
    ]
    assert {level["level"]: len(level["requirements"]) for level in document["levels"]} == {
        "junior": 25, "engineer": 28, "senior-1": 31, "senior-2": 17,
    }  # fmt: skip
    assert [category["key"] for category in document["categories"]] == [
        "ft-engineering-technical", "ft-engineering-communication",
        "ft-engineering-delivery", "ft-engineering-leadership",
    ]  # fmt: skip
    assert [category["name"] for category in document["categories"]] == ["Technical", "Communication", "Delivery", "Leadership"]

    source = raw(LEGACY)
    found = requirements(document)
    assert set(found) == {competency["id"] for competency in source["competencies"]} and len(found) == 101
    for competency in source["competencies"]:
        requirement = found[competency["id"]]
        assert requirement["level"] == competency["level"]
        assert requirement["proficiency"] == competency["proficiency"]
        assert requirement["category"] == f"ft-engineering-{competency['theme']}"


def test_legacy_examples_and_supporting_links_become_the_requirement_s_examples(legacy):
    found = requirements(legacy[0].document)
    assert found["7ed8deae-2dbb-4830-bca0-9e6cee038bff"]["examples"] == (
        "- Keeps their local tools up to date\n- Follows instructions to get software projects running locally"
    )
    assert "examples" not in found["655e2933-b58e-488b-9683-a0b191a37788"]  # FT lists none
    with_link = next(
        competency for competency in raw(LEGACY)["competencies"]
        if any("owasp" in link["url"] for link in competency["supportingUrls"])
    )
    examples = found[with_link["id"]]["examples"].split("\n")
    assert examples[: len(with_link["examples"])] == [f"- {example}" for example in with_link["examples"]]
    assert examples[len(with_link["examples"]):] == [
        "", "Supporting links:", "- Open Web Application Security Project: https://www.owasp.org/",
    ]  # fmt: skip
    links = sum(len(competency["supportingUrls"]) for competency in raw(LEGACY)["competencies"])
    carried = sum(requirement.get("examples", "").count(": http") for requirement in found.values())
    assert carried == links > 1


# --- Keys stay the same from one FT version to the next ------------------------------------


def test_keys_come_from_ft_s_ids_so_the_two_versions_share_levels_and_themes_but_no_competency(current, legacy):
    old, new = legacy[0].document, current[0].document
    # The main track keeps its slug and its level keys: the legacy ladder is the first four
    # levels of the current individual-contributor ladder.
    assert old["track"]["slug"] == new["track"]["slug"]
    assert [level["key"] for level in old["ladder"]] == [level["key"] for level in new["ladder"]][:4]
    shared_themes = {t["id"] for t in raw(LEGACY)["themes"]} & {t["id"] for t in raw(CURRENT)["themes"]}
    assert shared_themes == {"technical", "communication", "leadership"}
    assert {c["key"] for c in old["categories"]} & {c["key"] for c in new["categories"]} == {
        f"ft-engineering-{theme}" for theme in shared_themes
    }
    # FT gave every competency of the 2025 framework a new id, so no requirement key carries over.
    old_ids = {competency["id"] for competency in raw(LEGACY)["competencies"]}
    new_ids = {competency["id"] for competency in raw(CURRENT)["competencies"]}
    assert old_ids & new_ids == set()
    new_keys = {key for track in current for key in requirements(track.document)}
    assert set(requirements(old)) == old_ids and new_keys == new_ids


def test_a_competency_reworded_moved_or_reordered_keeps_its_key(current):
    data = parse_ft(CURRENT.read_text(encoding="utf-8"), source="engineering.yml")
    changed = copy.deepcopy(data)
    competencies = changed["competencies"]
    reworded = next(c for c in competencies if c["id"].startswith("fb43098c"))
    reworded["summary"] = "Plans and delivers own work tasks, and says early when they will be late."
    moved = next(c for c in competencies if c["id"].startswith("81683913"))
    moved["level"], moved["theme"] = "senior-1", "team-work"
    competencies.reverse()
    # FT's ids in upper case are the same ids.
    shouted = next(c for c in competencies if c["id"].startswith("8c647db4"))
    shouted["id"] = shouted["id"].upper()

    before = {key: r for track in current for key, r in requirements(track.document).items()}
    after = {key: r for track in convert_ft(changed, source="changed.yml") for key, r in requirements(track.document).items()}
    assert set(after) == set(before)
    assert after["fb43098c-588c-421c-b87a-92b0bfd2ad7c"]["text"] == reworded["summary"]
    assert after["81683913-04b4-4d28-a446-dbd33e1da5b3"]["level"] == "senior-1"
    assert after["81683913-04b4-4d28-a446-dbd33e1da5b3"]["category"] == "ft-engineering-team-work"
    assert after["8c647db4-b7b2-4fdf-83c2-028a8219a890"]["text"] == before["8c647db4-b7b2-4fdf-83c2-028a8219a890"]["text"]


# --- Paths, made-up files -------------------------------------------------------------------


def family(levels, competencies=(), themes=("craft",)) -> dict:
    """A small job family: levels as (id, name) pairs, competencies as (id, level[, theme])."""
    return {
        "name": "Testing",
        "summary": "Competencies for testers.",
        "levels": [{"id": level_id, "name": name} for level_id, name in levels],
        "themes": [{"id": theme, "name": theme.title()} for theme in themes],
        "competencies": [
            {
                "id": competency[0], "level": competency[1],
                "theme": competency[2] if len(competency) > 2 else themes[0],
                "summary": f"Does {competency[0]}", "proficiency": "Awareness",
            }
            for competency in competencies
        ],
    }


def test_a_level_without_competencies_is_kept_on_the_path_ft_lists_it_for():
    tracks = by_slug(convert_ft(family(
        [("trainee", "Trainee"), ("tester", "Tester"), ("lead-ic", "Lead (Specialist)"),
         ("lead-pm", "Lead (Manager)"), ("head", "Head of Testing")],
        [("a1", "tester"), ("a2", "lead-ic")],
    ), source="testing.yml"))
    ic, pm = tracks["ft-testing"], tracks["ft-testing-pm"]
    assert ic["track"]["name"] == "Testing (Specialist)" and pm["track"]["name"] == "Testing (Manager)"
    assert [level["key"] for level in ic["ladder"]] == ["trainee", "tester", "lead"]
    assert [level["key"] for level in pm["ladder"]] == ["lead", "head"]
    assert [len(level["requirements"]) for level in ic["levels"]] == [0, 1, 1]
    assert [len(level["requirements"]) for level in pm["levels"]] == [0, 0]
    assert pm["track"]["fork_at"] == "lead"
    for document in tracks.values():
        format2.check(document)


def test_an_unmarked_level_after_the_split_continues_the_path_listed_before_it():
    tracks = by_slug(convert_ft(family(
        [("one", "One"), ("two-pm", "Two (People Manager)"), ("director", "Director"),
         ("two-ic", "Two (Individual Contributor)"), ("fellow", "Fellow")],
        [("c1", "director"), ("c2", "fellow"), ("c3", "one")],
    ), source="t.yml"))
    assert [level["name"] for level in tracks["ft-testing"]["ladder"]] == [
        "One", "Two (Individual Contributor)", "Fellow",
    ]  # fmt: skip
    assert [level["name"] for level in tracks["ft-testing-pm"]["ladder"]] == ["Two (People Manager)", "Director"]
    assert [r["key"] for r in requirements(tracks["ft-testing-pm"]).values()] == ["c1"]
    assert sorted(requirements(tracks["ft-testing"])) == ["c2", "c3"]


def test_a_path_mark_in_the_id_without_one_in_the_name_uses_the_path_s_usual_name():
    tracks = convert_ft(family([("a", "A"), ("b-ic", "B"), ("b-pm", "B")]), source="t.yml")
    assert [track.document["track"]["name"] for track in tracks] == [
        "Testing (Individual Contributor)", "Testing (People Manager)",
    ]  # fmt: skip


def test_a_prefix_names_the_tracks_and_the_categories():
    tracks = convert_ft(raw(CURRENT), source="engineering.yml", prefix="acme-eng")
    ic, pm = (track.document for track in tracks)
    assert (ic["track"]["slug"], pm["track"]["slug"], pm["track"]["fork_of"]) == ("acme-eng", "acme-eng-pm", "acme-eng")
    assert {r["category"] for r in requirements(ic).values()} <= {c["key"] for c in ic["categories"]}
    assert all(category["key"].startswith("acme-eng-") for category in ic["categories"])


def test_fifteen_levels_convert_and_sixteen_are_refused():
    levels = [(f"l{n}", f"Level {n}") for n in range(1, 16)]
    (track,) = convert_ft(family(levels, [("c", "l15")]), source="t.yml")
    assert len(track.document["ladder"]) == 15
    with pytest.raises(FtFormatError, match=r"t\.yml, line 1, levels: the file has 16 level\(s\); a ladder holds 2 to 15"):
        convert_ft(parse_ft(yaml.safe_dump(family([*levels, ("l16", "Level 16")])), source="t.yml"), source="t.yml")
    with pytest.raises(FtFormatError, match=r"the file has 1 level\(s\)"):
        convert_ft(family([("only", "Only")]), source="t.yml")
    # A fork counts the shared levels below it too.
    with pytest.raises(FtFormatError, match=r"the people manager path has 16 level\(s\)"):
        convert_ft(family([*levels[:13], ("x-ic", "X"), ("x-pm", "X"), ("y-pm", "Y"), ("z-pm", "Z")]), source="t.yml")


# --- Bad input: refused with the file, line and key ---------------------------------------


def convert_text(text: str):
    return convert_ft(parse_ft(text, source="in.yml"), source="in.yml")


def current_with(change) -> str:
    data = raw(CURRENT)
    change(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_a_competency_naming_an_unknown_level_or_theme_is_refused_with_its_line_and_id():
    def bad_level(data):
        data["competencies"][3]["level"] = "senior-3"

    text = current_with(bad_level)
    line = text.splitlines().index(f"- id: {raw(CURRENT)['competencies'][3]['id']}") + 1
    with pytest.raises(FtFormatError) as refused:
        convert_text(text)
    assert str(refused.value).startswith(
        f"in.yml, line {line}, competencies[3] (eb214de4-6c3b-4fd1-bc98-5c4d5726fba9).level: "
        "'senior-3' is not a level of this file (junior, engineer, senior-1,"
    )

    def bad_theme(data):
        data["competencies"][5]["theme"] = "teamwork"

    with pytest.raises(FtFormatError, match=r"line \d+, competencies\[5\] \(b484ecee-[0-9a-f-]+\)\.theme: "
                                            r"'teamwork' is not a theme of this file \(planning-organising, "):
        convert_text(current_with(bad_theme))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["competencies"][1].update(id=d["competencies"][0]["id"]),
         r"competencies\[1\] \(fb43098c-[0-9a-f-]+\)\.id: is used twice \(also at competencies\[0\]"),
        (lambda d: d["levels"].append({"id": "junior", "name": "Junior again"}),
         r"levels\[8\]\.id: level 'junior' is listed twice"),
        (lambda d: d["themes"].append({"id": "technical", "name": "Tech"}),
         r"themes\[9\]\.id: theme 'technical' is listed twice"),
        (lambda d: d["competencies"][0].pop("summary"), r"competencies\[0\]: missing key\(s\): summary"),
        (lambda d: d["competencies"][0].update(summary="  \n"), r"competencies\[0\] \([0-9a-f-]+\)\.summary: must not be empty"),
        (lambda d: d["competencies"][0].update(notes="x"), r"competencies\[0\]: unknown key\(s\): notes"),
        (lambda d: d["competencies"][0].update(examples="one"), r"competencies\[0\] \([0-9a-f-]+\)\.examples: expected a list, found text"),
        (lambda d: d["competencies"][0].update(examples=[" "]), r"\.examples\[0\]: must not be empty"),
        (lambda d: d["competencies"][0].update(examples=[None]), r"\.examples\[0\]: expected text, found nothing"),
        (lambda d: d["competencies"][0].update(supportingUrls=[{"label": "x"}]), r"supportingUrls\[0\]: missing key\(s\): url"),
        (lambda d: d["competencies"][0].update(summary="x" * 4001), r"\.summary: is longer than 4000 characters"),
        (lambda d: d.update(levels=[]), r"levels: lists no level"),
        (lambda d: d.update(themes={"id": "x"}), r"themes: expected a list, found a mapping"),
        (lambda d: d.update(isLegacy="yes"), r"isLegacy: expected true or false, found text"),
        (lambda d: d["levels"].insert(3, {"id": "senior-2", "name": "Senior 2"}),
         r"levels \(senior-2-ic\): makes the key 'senior-2' of the individual contributor ladder, as 'senior-2' does"),
        (lambda d: d.update(levels=[lvl for lvl in d["levels"] if not lvl["id"].endswith("-ic")],
                            competencies=[c for c in d["competencies"] if not c["level"].endswith("-ic")]),
         r"levels \(senior-2-pm\): the people-manager path has no individual-contributor path to branch from"),
    ],
    ids=[
        "duplicate competency", "duplicate level", "duplicate theme", "no summary", "empty summary",
        "unknown competency key", "examples not a list", "empty example", "example not text", "link without url", "text too long",
        "no levels", "themes not a list", "isLegacy not a boolean", "two levels, one key", "manager path alone",
    ],
)
def test_a_broken_job_family_is_refused_with_where_and_why(change, message):
    with pytest.raises(FtFormatError, match=r"^in\.yml, (line \d+, )?.*" + message):
        convert_text(current_with(change))


def test_a_file_that_is_not_an_ft_job_family_is_refused():
    with pytest.raises(FtFormatError, match=r"backend\.yaml, line 7, top level: missing key\(s\): name, themes, competencies"):
        convert_ft_file(BACKEND)
    with pytest.raises(FtFormatError, match=r"^in\.yml, top level: expected a mapping, found a list"):
        convert_text("- name: Engineering\n")
    with pytest.raises(FtFormatError, match=r"^in\.yml, top level: expected a mapping, found nothing"):
        convert_text("")
    with pytest.raises(FtFormatError, match=r"^in\.yml, line 2: not readable as YAML \(mapping values are not allowed here\)"):
        convert_text("name: x\n  bad: indentation\nlevels: []\n")
    with pytest.raises(FtFormatError, match=r"^in\.yml, line 2: not readable as YAML \(duplicate key 'name'\)"):
        convert_text("name: x\nname: y\n")


def test_an_unreadable_file_is_refused_with_its_name(tmp_path):
    with pytest.raises(FtFormatError, match=r"missing\.yml: no such file"):
        convert_ft_file(tmp_path / "missing.yml")
    with pytest.raises(FtFormatError, match=r": is a directory, not a job-family file"):
        convert_ft_file(tmp_path)
    latin = tmp_path / "latin.yml"
    latin.write_bytes("name: Ingénierie\n".encode("latin-1"))
    with pytest.raises(FtFormatError, match=r"latin\.yml: not UTF-8 text"):
        convert_ft_file(latin)


def test_a_bad_prefix_or_one_too_long_for_the_category_keys_is_refused():
    with pytest.raises(FtFormatError, match=r"'FT Eng' is not a slug"):
        convert_ft(raw(CURRENT), source="e.yml", prefix="FT Eng")
    with pytest.raises(FtFormatError, match=r"longer than 77 characters"):
        convert_ft(raw(CURRENT), source="e.yml", prefix="x" * 78)
    with pytest.raises(FtFormatError, match=r"themes\[2\]\.id: the category key '[a-z-]+' is longer than 50 characters; choose a shorter --slug"):
        convert_ft(raw(CURRENT), source="e.yml", prefix="acme-engineering-progression")


def test_the_keys_read_are_the_keys_of_ft_s_published_schema():
    """FT's job-family.json lists the keys a job family may have: none is dropped unread."""
    schema = json.loads((DATA / "job-family.json").read_text(encoding="utf-8"))
    parts = {
        "top": (schema, frameworks_ft.FAMILY_REQUIRED, frameworks_ft.FAMILY_OPTIONAL),
        "competency": (schema["$defs"]["competency"], frameworks_ft.COMPETENCY_REQUIRED, frameworks_ft.COMPETENCY_OPTIONAL),
        "level": (schema["$defs"]["level"], frameworks_ft.LEVEL_REQUIRED, ()),
        "theme": (schema["$defs"]["theme"], frameworks_ft.THEME_REQUIRED, frameworks_ft.THEME_OPTIONAL),
    }
    for part, (definition, required, optional) in parts.items():
        assert set(definition["properties"]) == {*required, *optional}, part
        # What the converter needs, FT requires; FT's bookkeeping (sheet id) may be absent.
        assert set(required) <= set(definition["required"]), part
    assert set(schema["$defs"]["competency"]["properties"]["proficiency"]["enum"]) >= {
        c["proficiency"] for path in (CURRENT, LEGACY) for c in raw(path)["competencies"]
    }


def test_the_shape_check_itself_finds_a_document_off_the_format(current):
    broken = copy.deepcopy(current[1].document)
    broken["levels"][0]["requirements"][0]["category"] = "nowhere"
    broken["track"].pop("fork_at")
    assert format2.problems(current[1].document) == []
    assert format2.problems(broken) == ["track: fork_of and fork_at go together"]
    broken["track"]["fork_at"] = "senior-2"
    assert format2.problems(broken) and "category 'nowhere'" in format2.problems(broken)[0]


def test_a_json_job_family_converts_as_its_yaml_does_and_broken_json_names_its_line(tmp_path):
    as_json = tmp_path / "engineering.json"
    as_json.write_text(json.dumps(raw(CURRENT), indent="\t", ensure_ascii=False), encoding="utf-8")
    assert [t.document for t in convert_ft_file(as_json)] == [t.document for t in convert_ft_file(CURRENT)]
    as_json.write_text('{\n\t"name": "Engineering",\n\t"levels": [,]\n}', encoding="utf-8")
    with pytest.raises(FtFormatError, match=r"engineering\.json, line 3: not readable as JSON"):
        convert_ft_file(as_json)


def test_a_list_used_as_a_key_is_refused_as_yaml_not_with_a_crash():
    with pytest.raises(FtFormatError, match=r"^in\.yml, line 1: not readable as YAML"):
        convert_text("? [a, b]\n: c\n")
