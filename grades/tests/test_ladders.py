"""Ladders as data: each track's own ladder of 2 to 15 levels, shared ladders, forks, and what
follows them (the next level, the checklist, promotions, the people's figures, the pages)."""

import datetime
from pathlib import Path

import pytest
import yaml

from grades import selectors, services
from grades.framework_loader import FrameworkError, parse_framework
from grades.versions import load_framework
from grades.models import (
    Employee,
    GradeChange,
    Ladder,
    Level,
    Requirement,
    Track,
    TrackLevel,
    TrackRung,
)
from grades.tests.factories import UserFactory, hire

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data"
D = datetime.date


def read(name: str) -> dict:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def write(tmp_path, data: dict, name: str = "framework.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def ladder_rows():
    """Everything a ladder load may write, to compare before and after a refusal."""
    return (
        list(Ladder.objects.order_by("id").values()),
        list(Level.objects.order_by("id").values()),
        list(Track.objects.order_by("id").values()),
        list(TrackRung.objects.order_by("id").values()),
        list(TrackLevel.objects.order_by("id").values()),
        list(Requirement.objects.order_by("id").values()),
    )


def codes(track_slug: str) -> list[str]:
    return [level.code for level in selectors.track_ladder(Track.objects.get(slug=track_slug).pk)]


@pytest.fixture
def fork():
    load_framework(DATA / "fork-parent.yaml")
    load_framework(DATA / "fork-manager.yaml")
    return Track.objects.get(slug="eng"), Track.objects.get(slug="eng-manager")


# --- The shipped ladder ------------------------------------------------------------------------


def test_the_shipped_tracks_climb_the_standard_ladder():
    standard = Ladder.objects.get(slug="standard")
    for slug in ("backend", "fullstack"):
        track = Track.objects.get(slug=slug)
        assert track.ladder == standard and track.fork_of is None
        assert codes(slug) == list(standard.levels.order_by("rank").values_list("code", flat=True))
        assert len(codes(slug)) == 9
    grades = {level.code: level.main_grade.code for level in standard.levels.select_related("main_grade")}
    assert grades["junior-plus-plus"] == "junior" and grades["middle-plus"] == "middle"
    assert grades["senior-plus-plus"] == "senior"


# --- Ladders of their own ----------------------------------------------------------------------


def test_a_five_level_ladder_loads_with_its_own_names():
    report = load_framework(DATA / "five-levels.yaml")
    assert report.created_track and report.ladder_levels_changed == 5
    track = Track.objects.get(slug="support")
    assert track.ladder.slug == "support"
    levels = list(track.ladder.levels.order_by("rank"))
    assert [(level.rank, level.code, level.name, level.name_ru) for level in levels][:2] == [
        (1, "trainee", "Trainee", "Стажёр"),
        (2, "associate", "Associate", "Младший специалист"),
    ]
    assert [level.min_months_in_previous for level in levels] == [0, 3, 6, 9, 12]
    assert [level.entry_only for level in levels] == [True, False, False, False, False]
    assert [level.main_grade.code for level in levels] == ["trainee", "trainee", "specialist", "specialist", "specialist"]
    assert codes("support") == ["trainee", "associate", "specialist", "senior-specialist", "lead"]
    # No level of the shipped ladder was touched or borrowed.
    assert Level.objects.filter(ladder__slug="standard").count() == 9
    # Loading it again changes nothing.
    assert not load_framework(DATA / "five-levels.yaml").changed


def test_a_fifteen_level_ladder_loads():
    load_framework(DATA / "fifteen-levels.yaml")
    ladder = codes("snowflake")
    assert len(ladder) == 15 and ladder[0] == "l01" and ladder[-1] == "l15"
    assert Requirement.objects.filter(track__slug="snowflake").count() == 14


def test_a_person_climbs_their_own_ladder():
    load_framework(DATA / "five-levels.yaml")
    hr = UserFactory(roles=["HR"])
    person = hire(track_slug="support", level_code="trainee", hire_date=D(2022, 1, 10))
    progress = selectors.employee_progress(person, on=D(2022, 6, 1))
    assert progress.level.code == "trainee" and progress.next_level.code == "associate"
    # The checklist of the next level is this ladder's, and the clock its minimum.
    assert {item.requirement.key for item in progress.items} == {"ticket-triage", "knowledge-base"}
    assert progress.earliest_defense == D(2022, 4, 10)
    # A promotion goes to the next level of the person's own ladder only.
    with pytest.raises(services.GradeError, match="Junior\\+ is not a level of the Support engineer track's ladder"):
        services.grade_change_record(
            employee=person, kind="promotion", level=Level.objects.get(ladder__slug="standard", code="junior-plus"),
            effective_date=D(2022, 6, 1), by=hr,
        )
    with pytest.raises(services.GradeError, match="next level only"):
        services.grade_change_record(
            employee=person, kind="promotion", level=Level.objects.get(ladder__slug="support", code="specialist"),
            effective_date=D(2022, 6, 1), by=hr,
        )
    assert GradeChange.objects.filter(employee=person).count() == 1
    services.grade_change_record(
        employee=person, kind="promotion", level=Level.objects.get(ladder__slug="support", code="associate"),
        effective_date=D(2022, 6, 1), by=hr,
    )
    person.refresh_from_db()
    assert person.current_level.code == "associate"
    assert (person.checklist_total, person.checklist_done) == (3, 0)  # associate's two and specialist's one


def test_hiring_at_a_level_of_another_ladder_is_refused():
    load_framework(DATA / "five-levels.yaml")
    before = Employee.objects.count()
    with pytest.raises(services.GradeError, match="not a level of the Support engineer track's ladder"):
        services.employee_hire(
            user=UserFactory(), track=Track.objects.get(slug="support"),
            level=Level.objects.get(ladder__slug="standard", code="junior"), hire_date=D(2022, 1, 10),
        )
    assert Employee.objects.count() == before


def test_a_track_shares_a_ladder_by_its_slug(tmp_path):
    load_framework(DATA / "five-levels.yaml")
    data = read("five-levels.yaml")
    data["track"] = {"slug": "support-l2", "name": "Second-line support"}
    data["ladder"] = "support"
    for level in data["levels"]:
        for requirement in level.get("requirements", []):
            requirement["key"] = "l2-" + requirement["key"]
    load_framework(write(tmp_path, data))
    shared = Track.objects.get(slug="support-l2")
    assert shared.ladder.slug == "support"
    assert codes("support-l2") == codes("support")
    assert Level.objects.filter(ladder__slug="support").count() == 5
    # The same level rows, with each track's own requirements on them.
    person = hire(track_slug="support-l2", level_code="trainee")
    keys = {item.requirement.key for item in selectors.employee_progress(person).items}
    assert keys == {"l2-ticket-triage", "l2-knowledge-base"}


def test_renaming_a_level_people_hold_keeps_the_row(tmp_path):
    load_framework(DATA / "five-levels.yaml")
    person = hire(track_slug="support", level_code="associate")
    level = person.current_level
    data = read("five-levels.yaml")
    data["ladder"][1]["name"] = "Support associate"
    data["ladder"][1]["name_ru"] = "Младший инженер поддержки"
    report = load_framework(write(tmp_path, data))
    assert report.ladder_levels_changed == 1
    level.refresh_from_db()
    person.refresh_from_db()
    assert (level.name, level.name_ru, person.current_level_id) == (
        "Support associate", "Младший инженер поддержки", level.pk
    )


def test_inserting_a_level_moves_the_ones_above_and_keeps_their_rows(tmp_path):
    load_framework(DATA / "five-levels.yaml")
    person = hire(track_slug="support", level_code="specialist")
    specialist = person.current_level
    data = read("five-levels.yaml")
    data["ladder"].insert(2, {"key": "associate-2", "name": "Associate 2", "min_months": 3})
    data["levels"].insert(2, {"level": "associate-2"})
    load_framework(write(tmp_path, data))
    specialist.refresh_from_db()
    assert specialist.rank == 4
    assert codes("support") == ["trainee", "associate", "associate-2", "specialist", "senior-specialist", "lead"]
    progress = selectors.employee_progress(Employee.objects.get(pk=person.pk))
    assert progress.level.pk == specialist.pk and progress.next_level.code == "senior-specialist"
    assert not selectors.employees_with_wrong_counts().exists()


def test_removing_an_unused_level_removes_it(tmp_path):
    data = read("five-levels.yaml")
    data["levels"][4]["requirements"] = []
    load_framework(write(tmp_path, data))
    del data["ladder"][4], data["levels"][4]
    load_framework(write(tmp_path, data))
    assert codes("support") == ["trainee", "associate", "specialist", "senior-specialist"]
    assert not Level.objects.filter(ladder__slug="support", code="lead").exists()


def test_removing_a_level_that_people_hold_is_refused(tmp_path):
    load_framework(DATA / "five-levels.yaml")
    hire(track_slug="support", level_code="lead")
    data = read("five-levels.yaml")
    del data["ladder"][4], data["levels"][4]
    before = ladder_rows()
    with pytest.raises(FrameworkError, match=r"'lead' \(Support lead\) cannot leave the ladder 'support': 1 person\(s\) hold it"):
        load_framework(write(tmp_path, data))
    assert ladder_rows() == before


def test_removing_a_level_the_grade_history_names_is_refused(tmp_path):
    load_framework(DATA / "five-levels.yaml")
    data = read("five-levels.yaml")
    hr = UserFactory(roles=["HR"])
    person = hire(track_slug="support", level_code="trainee")
    services.grade_change_record(
        employee=person, kind="promotion", level=Level.objects.get(ladder__slug="support", code="associate"),
        effective_date=D(2023, 1, 10), by=hr,
    )
    services.grade_change_record(
        employee=person, kind="correction", level=Level.objects.get(ladder__slug="support", code="specialist"),
        effective_date=D(2023, 2, 10), reason="Set too low", by=hr,
    )
    # Nobody holds trainee or associate now, but the ledger names both.
    del data["ladder"][1], data["levels"][1]
    before = ladder_rows()
    with pytest.raises(FrameworkError, match="'associate' .* the grade history names it"):
        load_framework(write(tmp_path, data))
    assert ladder_rows() == before


def test_a_dry_run_of_a_new_ladder_writes_nothing():
    before = ladder_rows()
    report = load_framework(DATA / "five-levels.yaml", dry_run=True)
    assert report.created_track and report.ladder_levels_changed == 5
    assert ladder_rows() == before


# --- Bad files: the file, the line and the key ---------------------------------------------------


def _levels(keys):
    return [{"level": key} for key in keys]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(ladder=d["ladder"][:1], levels=d["levels"][:1]),
         r"line \d+, ladder: a ladder has 2 to 15 levels; this one has 1"),
        (lambda d: d.update(
            ladder=[{"key": f"k{i}", "name": f"K {i}"} for i in range(16)], levels=_levels(f"k{i}" for i in range(16))),
         r"line \d+, ladder: a ladder has 2 to 15 levels; this one has 16"),
        (lambda d: d["ladder"][2].update(key="associate"),
         r"line \d+, ladder\[2\]\.key: 'associate' is used twice \(also at ladder\[1\]\)"),
        (lambda d: d["ladder"][2].update(name="Associate"), r"line \d+, ladder\[2\]\.name: 'Associate' names two levels"),
        (lambda d: d["ladder"][1].update(grade="principal"),
         r"line \d+, ladder\[1\]\.grade: 'principal' is not a level of this ladder"),
        (lambda d: d["ladder"][1].update(grade="specialist"),
         r"ladder\[1\]\.grade: the main grade 'specialist' is above 'associate'"),
        (lambda d: d["ladder"][1].update(min_months=-1), r"ladder\[1\]\.min_months: expected a whole number"),
        (lambda d: d["levels"][1].update(level="associat"),
         r"line \d+, levels: must list every level once, in order: trainee, associate, .* \(found: trainee, associat,"),
        (lambda d: d.update(levels=d["levels"][:4]), r"levels: must list every level once, in order"),
        (lambda d: d.update(ladder="no-such-ladder"), r"ladder: there is no ladder 'no-such-ladder' to share"),
        (lambda d: d.update(schema=1), r"ladder: a ladder of its own needs schema 2"),
        (lambda d: d["track"].update(fork_of="no-such-track", fork_at="junior"),
         r"line \d+, track\.fork_of: unknown track 'no-such-track'"),
        (lambda d: d["track"].update(fork_of="backend", fork_at="principal"),
         r"line \d+, track\.fork_at: 'principal' is not a level of backend's ladder \(junior, junior-plus,"),
        (lambda d: d["track"].update(fork_of="backend"), r"track: a fork names both fork_of .* and fork_at"),
    ],
)
def test_a_bad_ladder_is_refused_with_the_file_line_and_key(tmp_path, change, message):
    data = read("five-levels.yaml")
    change(data)
    path = write(tmp_path, data)
    before = ladder_rows()
    with pytest.raises(FrameworkError, match=message) as refused:
        load_framework(path)
    assert str(refused.value).startswith(str(path))
    assert ladder_rows() == before


def test_a_fork_whose_levels_with_the_shared_ones_exceed_fifteen_is_refused(tmp_path, fork):
    data = read("fork-manager.yaml")
    data["ladder"] = [{"key": f"m{i}", "name": f"M {i}"} for i in range(13)]
    data["levels"] = _levels(f"m{i}" for i in range(13))
    with pytest.raises(FrameworkError, match=r"ladder: a ladder has 2 to 15 levels; this one has 16 \(3 shared below the fork and 13 of its own\)"):
        load_framework(write(tmp_path, data))


def test_a_fork_needs_a_ladder_of_its_own(tmp_path, fork):
    data = read("fork-manager.yaml")
    del data["ladder"]
    data["levels"] = _levels(["senior-2", "principal"])
    with pytest.raises(FrameworkError, match="ladder: a fork needs a ladder of its own, from 'senior-2' on"):
        load_framework(write(tmp_path, data))


def test_a_fork_lists_only_its_own_levels(tmp_path, fork):
    data = read("fork-manager.yaml")
    data["levels"] = _levels(["junior", "senior-2-pm", "principal-pm", "director"])
    with pytest.raises(FrameworkError, match="levels: must list every level of the track's own ladder once, in order"):
        load_framework(write(tmp_path, data))


# --- Forks ---------------------------------------------------------------------------------------


def test_a_fork_shares_the_levels_below_the_fork(fork):
    eng, manager = fork
    assert manager.fork_of == eng and manager.fork_at.code == "senior-2" and manager.fork_at.ladder.slug == "eng"
    assert codes("eng") == ["junior", "engineer", "senior-1", "senior-2", "principal"]
    assert codes("eng-manager") == ["junior", "engineer", "senior-1", "senior-2-pm", "principal-pm", "director"]
    shared = selectors.track_ladder(manager.pk)[:3]
    assert all(level.ladder.slug == "eng" and level.owner_id == eng.pk for level in shared)
    # Shared, not copied: the fork has no level pages nor requirements below the fork.
    assert not TrackLevel.objects.filter(track=manager, level__in=[level.pk for level in shared]).exists()
    assert set(Requirement.objects.filter(track=manager).values_list("key", flat=True)) == {
        "runs-one-to-ones", "hires", "grows-managers"
    }


def test_below_the_fork_a_person_meets_the_parents_requirements(fork):
    eng, manager = fork
    person = hire(track_slug="eng-manager", level_code="senior-1", hire_date=D(2021, 1, 10))
    progress = selectors.employee_progress(person, on=D(2023, 1, 1))
    assert progress.next_level.code == "senior-2-pm"
    lines = {item.requirement.key: item.requirement.track_id for item in progress.items}
    assert lines == {
        "plans-own-work": eng.pk, "reviews-code": eng.pk, "leads-a-project": eng.pk,
        "runs-one-to-ones": manager.pk, "hires": manager.pk,
    }
    person.refresh_from_db()
    assert (person.checklist_total, person.checklist_done) == (5, 0)
    # A shared requirement is claimed on the parent's row itself.
    shared = Requirement.objects.get(track=eng, key="leads-a-project")
    services.evidence_claim(employee=person, requirement=shared, description="Led the migration", by=person.user)
    # The parent's branch above the fork is not the fork's.
    branch = Requirement.objects.get(track=eng, key="designs-systems")
    with pytest.raises(services.GradeError, match="belongs to another track"):
        services.evidence_claim(employee=person, requirement=branch, description="Designed it", by=person.user)
    assert not selectors.employees_with_wrong_counts().exists()


def test_a_person_below_the_fork_is_promoted_into_the_forks_own_level(fork):
    hr = UserFactory(roles=["HR"])
    person = hire(track_slug="eng-manager", level_code="senior-1", hire_date=D(2021, 1, 10))
    parents = Level.objects.get(ladder__slug="eng", code="senior-2")
    with pytest.raises(services.GradeError, match="is not a level of the Engineering \\(people manager\\) track's ladder"):
        services.grade_change_record(employee=person, kind="promotion", level=parents, effective_date=D(2023, 1, 10), by=hr)
    skipped = Level.objects.get(ladder__slug="eng-manager", code="principal-pm")
    with pytest.raises(services.GradeError, match="next level only: from Senior Engineer 1 that is Senior Engineer 2 \\(People Manager\\)"):
        services.grade_change_record(employee=person, kind="promotion", level=skipped, effective_date=D(2023, 1, 10), by=hr)
    own = Level.objects.get(ladder__slug="eng-manager", code="senior-2-pm")
    services.grade_change_record(employee=person, kind="promotion", level=own, effective_date=D(2023, 1, 10), by=hr)
    person.refresh_from_db()
    assert person.current_level == own
    assert selectors.employee_progress(person).next_level.code == "principal-pm"


def test_a_change_to_the_parents_shared_requirements_recounts_the_forks_people(tmp_path, fork):
    person = hire(track_slug="eng-manager", level_code="junior")
    person.refresh_from_db()
    assert person.checklist_total == 2
    data = read("fork-parent.yaml")
    data["levels"][1]["requirements"].append({"key": "writes-tests", "category": "practice", "text": "Writes tests."})
    load_framework(write(tmp_path, data))
    person.refresh_from_db()
    assert person.checklist_total == 3


def test_moving_the_fork_point_away_from_held_levels_is_refused(tmp_path, fork):
    hire(track_slug="eng-manager", level_code="senior-2-pm")
    data = read("fork-manager.yaml")
    data["track"]["fork_at"] = "principal"
    del data["ladder"][0], data["levels"][0]
    before = ladder_rows()
    with pytest.raises(FrameworkError):
        load_framework(write(tmp_path, data))
    assert ladder_rows() == before


def test_the_ladder_page_shows_the_fork_both_ways(client, fork):
    client.force_login(UserFactory(roles=["Developer"]))
    page = client.get("/tracks/eng-manager/").content.decode()
    for name in ("Junior Engineer", "Senior Engineer 1", "Senior Engineer 2 (People Manager)", "Technology Director"):
        assert name in page
    assert "Principal Engineer (Individual Contributor)" not in page
    assert 'href="/tracks/eng/"' in page and "Branches off at Senior Engineer 2 (Individual Contributor)" in page
    assert "What changes from Senior Engineer 1" in page
    parent = client.get("/tracks/eng/").content.decode()
    assert 'href="/tracks/eng-manager/"' in parent and "Branches of this track" in parent
    tracks = client.get("/tracks/").content.decode()
    assert "6 levels, from Junior Engineer to Technology Director" in tracks
    assert "9 levels, from Junior to Senior++" in tracks


def test_the_people_list_shows_each_persons_own_ladder(client, fork):
    load_framework(DATA / "five-levels.yaml")
    lead = hire(track_slug="backend", level_code="senior", roles=["Developer", "Team lead"])
    manager = hire(track_slug="eng-manager", level_code="senior-1", team_lead=lead, hire_date=D(2021, 1, 10))
    support = hire(track_slug="support", level_code="trainee", team_lead=lead, hire_date=D(2021, 1, 10))
    client.force_login(UserFactory(roles=["HR"]))
    page = client.get("/people/").content.decode()
    assert "Senior Engineer 1" in page and "Trainee" in page
    # The level filter offers each ladder's levels, in groups.
    assert '<optgroup label="Support engineer">' in page
    by_level = client.get("/people/?level=trainee").content.decode()
    assert f'href="/people/{support.pk}/"' in by_level and f'href="/people/{manager.pk}/"' not in by_level
    rows = selectors.people_rows(
        Employee.objects.filter(pk__in=[manager.pk, support.pk]).order_by("pk"), on=D(2022, 1, 1),
        ladders=selectors.ladders_of_tracks(), tracks=list(Track.objects.all()),
    )
    # Earliest defenses from each ladder's own minimum months.
    assert [row.earliest_defense for row in rows] == [D(2022, 1, 10), D(2021, 4, 10)]


def test_the_ladder_admin_groups_levels_by_ladder(client, fork):
    client.force_login(UserFactory(username="hr-admin", roles=["HR"], is_staff=True, is_superuser=True))
    page = client.get("/admin/grades/level/?ladder__id__exact=%d" % Ladder.objects.get(slug="eng-manager").pk)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Technology Director" in body and "Junior+" not in body
    track = Track.objects.get(slug="eng-manager")
    body = client.get(f"/admin/grades/track/{track.pk}/change/").content.decode()
    assert "Engineering (individual contributor)" in body and 'name="ladder"' not in body


def test_a_forks_file_is_read_against_its_parent(fork):
    before = ladder_rows()
    spec = parse_framework(DATA / "fork-manager.yaml")
    assert (spec.fork_of, spec.fork_at) == ("eng", "senior-2")
    # Its own levels continue the parent's ranks from the fork on.
    assert [level.rank for level in spec.ladder] == [4, 5, 6]
    assert ladder_rows() == before
