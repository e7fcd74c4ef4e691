"""manage.py convert_framework --from ft: the files it writes, and what it refuses (writing nothing)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from imports.frameworks_ft import convert_ft_file

from . import format2

DATA = Path(__file__).resolve().parent / "data" / "ft-engineering-progression"
CURRENT = DATA / "engineering.yml"
LEGACY = DATA / "engineering-v1.yml"


def convert(*args) -> str:
    out = StringIO()
    call_command("convert_framework", *map(str, args), stdout=out)
    return out.getvalue()


def files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_the_current_file_becomes_two_yaml_files_in_load_order(tmp_path):
    out = tmp_path / "converted" / "ft"
    report = convert(CURRENT, "--from", "ft", "--out", out)

    assert files(out) == ["ft-engineering-pm.yaml", "ft-engineering.yaml"]
    expected = {track.slug: track.document for track in convert_ft_file(CURRENT)}
    for slug, document in expected.items():
        text = (out / f"{slug}.yaml").read_text(encoding="utf-8")
        assert text.startswith(f"# {document['track']['name']}\n# Converted from the Financial Times")
        assert "MIT licence" in text
        loaded = yaml.safe_load(text)
        assert loaded == document
        format2.check(loaded)
        # Keys in reading order, as a person writes the file.
        assert list(loaded) == ["schema", "track", "ladder", "categories", "levels"]
        assert list(loaded["levels"][0]["requirements"][0]) == ["key", "category", "text", "proficiency"]
    pm = yaml.safe_load((out / "ft-engineering-pm.yaml").read_text(encoding="utf-8"))
    assert list(pm["track"]) == ["slug", "name", "description", "fork_of", "fork_at"]
    assert "# Load ft-engineering.yaml first: this track forks from it at senior-2." in (
        out / "ft-engineering-pm.yaml"
    ).read_text(encoding="utf-8")
    # Lists in texts stay lists: a literal block, one item a line.
    assert "        text: |-\n          1. Writes well-tested code" in (out / "ft-engineering.yaml").read_text(encoding="utf-8")

    lines = report.splitlines()
    assert lines[0] == (
        f"Wrote {out / 'ft-engineering.yaml'}: track ft-engineering, 5 level(s) "
        "(junior, engineer, senior-1, senior-2, principal), 45 requirement(s)."
    )
    assert lines[1] == (
        f"Wrote {out / 'ft-engineering-pm.yaml'}: track ft-engineering-pm, 3 level(s) "
        "(senior-2, principal, tech-director), 27 requirement(s), forks from ft-engineering at senior-2."
    )
    assert lines[2] == (
        "Load them in this order (a fork after its parent): "
        f"manage.py load_framework {out / 'ft-engineering.yaml'}, then manage.py load_framework {out / 'ft-engineering-pm.yaml'}"
    )


def test_the_legacy_file_becomes_one_file_and_a_second_run_writes_the_same_bytes(tmp_path):
    report = convert(LEGACY, "--from", "ft", "--out", tmp_path)
    assert files(tmp_path) == ["ft-engineering.yaml"]
    first = (tmp_path / "ft-engineering.yaml").read_bytes()
    document = yaml.safe_load(first.decode("utf-8"))
    format2.check(document)
    assert [level["name"] for level in document["ladder"]] == [
        "Junior Engineer", "Engineer", "Senior Engineer 1", "Senior Engineer 2",
    ]  # fmt: skip
    assert "101 requirement(s)." in report and "Load them" not in report

    convert(LEGACY, "--from", "ft", "--out", tmp_path)
    assert (tmp_path / "ft-engineering.yaml").read_bytes() == first
    assert files(tmp_path) == ["ft-engineering.yaml"]  # no temporary file left behind


def test_slug_prefix_names_the_files_and_tracks(tmp_path):
    convert(CURRENT, "--from", "ft", "--out", tmp_path, "--slug", "acme")
    assert files(tmp_path) == ["acme-pm.yaml", "acme.yaml"]
    pm = yaml.safe_load((tmp_path / "acme-pm.yaml").read_text(encoding="utf-8"))
    assert (pm["track"]["slug"], pm["track"]["fork_of"]) == ("acme-pm", "acme")
    assert pm["categories"][0]["key"] == "acme-planning-organising"


def test_quiet_run_prints_nothing(tmp_path):
    out = StringIO()
    call_command("convert_framework", str(LEGACY), "--from", "ft", "--out", str(tmp_path), verbosity=0, stdout=out)
    assert out.getvalue() == "" and files(tmp_path) == ["ft-engineering.yaml"]


def bad_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = CURRENT.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "engineering-broken.yml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("make_source", "message"),
    [
        (lambda tmp: tmp / "nowhere.yml", r"nowhere\.yml: no such file"),
        (lambda tmp: tmp, r": is a directory, not a job-family file"),
        (lambda tmp: Path(__file__).resolve().parents[2] / "grades" / "frameworks" / "backend.yaml",
         r"backend\.yaml, line 7, top level: missing key\(s\): name, themes, competencies"),
        (lambda tmp: DATA / "job-family.json", r"job-family\.json, top level: missing key\(s\): name, levels, themes, competencies"),
        (lambda tmp: bad_copy(tmp, "    level: senior-1\n    theme: business-impact\n", "    level: senior-3\n    theme: business-impact\n"),
         r"engineering-broken\.yml, line 241, competencies\[21\] \(6318f027-26c7-[0-9a-f-]+\)\.level: 'senior-3' is not a level"),
        (lambda tmp: bad_copy(tmp, "    level: tech-director\n    theme: technical\n", "    level: tech-director\n    theme: architecture\n"),
         r"engineering-broken\.yml, line 605, competencies\[71\] \(8c45c909-[0-9a-f-]+\)\.theme: 'architecture' is not a theme"),
    ],
    ids=["missing file", "a folder", "a gradesys framework", "FT's JSON Schema", "unknown level", "unknown theme"],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_written(tmp_path, make_source, message):
    out = tmp_path / "out"
    with pytest.raises(CommandError, match=message):
        convert(make_source(tmp_path), "--from", "ft", "--out", out)
    assert not out.exists()


def test_an_unknown_source_format_or_a_missing_option_is_refused(tmp_path):
    with pytest.raises(CommandError, match=r"argument --from: invalid choice: 'monzo'"):
        convert(CURRENT, "--from", "monzo", "--out", tmp_path / "out")
    with pytest.raises(CommandError, match=r"the following arguments are required: --out"):
        convert(CURRENT, "--from", "ft")
    with pytest.raises(CommandError, match=r"'Acme Eng' is not a slug"):
        convert(CURRENT, "--from", "ft", "--out", tmp_path / "out", "--slug", "Acme Eng")
    assert files(tmp_path) == []


def test_an_out_path_that_is_a_file_or_holds_a_folder_of_the_same_name_is_refused(tmp_path):
    taken = tmp_path / "taken.txt"
    taken.write_text("keep me", encoding="utf-8")
    with pytest.raises(CommandError, match=r"taken\.txt: exists and is not a folder"):
        convert(CURRENT, "--from", "ft", "--out", taken)
    assert taken.read_text(encoding="utf-8") == "keep me"

    out = tmp_path / "out"
    (out / "ft-engineering-pm.yaml").mkdir(parents=True)
    with pytest.raises(CommandError, match=r"ft-engineering-pm\.yaml: is a folder"):
        convert(CURRENT, "--from", "ft", "--out", out)
    assert files(out) == ["ft-engineering-pm.yaml"]  # the other file was not written either
