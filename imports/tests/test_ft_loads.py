"""The Financial Times engineering-progression frameworks, converted and loaded for real:
their own level names, the people-manager fork, no empty or invented levels, and the legacy
version followed by the current one as two versions of the same track."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml
from django.core.management import call_command

from grades import framework_loader, selectors
from grades import versions as grade_versions
from grades.models import FrameworkVersion, Level, Requirement, Track
from imports.frameworks_ft import convert_ft_file

DATA = Path(__file__).resolve().parent / "data" / "ft-engineering-progression"
CURRENT = DATA / "engineering.yml"
LEGACY = DATA / "engineering-v1.yml"

pytestmark = pytest.mark.django_db


def converted(source: Path, folder: Path) -> list[Path]:
    """The framework files convert_framework writes for `source`, in the order to load them."""
    paths = []
    for track in convert_ft_file(source):
        path = folder / f"{track.slug}.yaml"
        path.write_text(yaml.safe_dump(track.document, allow_unicode=True, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths


def ladder_names(slug: str) -> list[str]:
    track = Track.objects.get(slug=slug)
    return [level.name for level in selectors.track_ladder(track.pk)]


def test_the_converted_files_are_valid_against_the_published_schema(tmp_path):
    schema = framework_loader.SCHEMA_PATH.read_text(encoding="utf-8")
    validator = jsonschema.Draft202012Validator(yaml.safe_load(schema))
    for source in (CURRENT, LEGACY):
        for path in converted(source, tmp_path):
            errors = sorted(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))), key=str)
            assert errors == [], f"{path.name}: {errors[0].message}"


def test_the_current_framework_loads_with_its_own_levels_and_its_fork(tmp_path):
    for path in converted(CURRENT, tmp_path):
        grade_versions.load_framework(path)

    assert ladder_names("ft-engineering") == [
        "Junior Engineer", "Engineer", "Senior Engineer 1",
        "Senior Engineer 2 (Individual Contributor)", "Principal Engineer (Individual Contributor)",
    ]
    assert ladder_names("ft-engineering-pm") == [
        "Junior Engineer", "Engineer", "Senior Engineer 1",
        "Senior Engineer 2 (People Manager)", "Principal Engineer (People Manager)", "Technology Director",
    ]
    manager = Track.objects.get(slug="ft-engineering-pm")
    assert (manager.fork_of.slug, manager.fork_at.code) == ("ft-engineering", "senior-2")
    # The levels below the fork are the parent's rows, shared rather than copied.
    shared = selectors.track_ladder(manager.pk)[:3]
    assert {level.ladder.slug for level in Level.objects.filter(pk__in=[lv.pk for lv in shared])} == {"ft-engineering"}
    # No empty level: every level a person can be promoted into asks for something.
    for slug in ("ft-engineering", "ft-engineering-pm"):
        track = Track.objects.get(slug=slug)
        for level in selectors.track_ladder(track.pk)[1:]:
            assert Requirement.objects.active().on_ladder_of(track).filter(track_level__level=level).exists(), (
                slug, level.name)
    # Every one of FT's 72 competencies is a requirement, once.
    assert Requirement.objects.filter(track__slug__in=["ft-engineering", "ft-engineering-pm"]).count() == 72


def test_the_legacy_version_then_the_current_one_are_two_versions_of_the_track(tmp_path):
    (tmp_path / "legacy").mkdir()
    (legacy,) = converted(LEGACY, tmp_path / "legacy")
    grade_versions.load_framework(legacy)
    assert len(ladder_names("ft-engineering")) == 4
    legacy_requirements = Requirement.objects.active().filter(track__slug="ft-engineering").count()
    assert legacy_requirements == 101

    (tmp_path / "current").mkdir()
    current = converted(CURRENT, tmp_path / "current")
    dry = grade_versions.load_framework(current[0], dry_run=True)
    assert dry.outcome.number == 2 and FrameworkVersion.objects.filter(track__slug="ft-engineering").count() == 1
    signs = [change.sign for change in dry.outcome.changes]
    assert signs.count("-") == 101 and signs.count("+") == 45

    for path in current:
        grade_versions.load_framework(path)
    numbers = list(FrameworkVersion.objects.filter(track__slug="ft-engineering").values_list("number", flat=True))
    assert sorted(numbers) == [1, 2]
    assert len(ladder_names("ft-engineering")) == 5
    # The legacy requirements are retired, kept for the history of any claim on them.
    assert Requirement.objects.filter(track__slug="ft-engineering", is_active=False).count() == 101


def test_the_converted_files_load_from_the_command_line(tmp_path):
    call_command("convert_framework", str(CURRENT), "--from", "ft", "--out", str(tmp_path), "-v", "0")
    for name in ("ft-engineering.yaml", "ft-engineering-pm.yaml"):
        call_command("load_framework", str(tmp_path / name), verbosity=0)
    assert Track.objects.filter(slug__startswith="ft-engineering").count() == 2
