"""Imports of tracks that climb a ladder other than the shipped one: each row's level is read
on its own track's full ladder, in the people spreadsheet, the old-system import and the
requirements spreadsheet."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grades.versions import load_framework
from grades.models import Employee, FrameworkVersion, GradeChange, Ladder, Level, Requirement, TrackLevel
from grades.tests.factories import TrackFactory, UserFactory, level
from imports import legacy_source, people, rules
from imports.models import ImportKind, ImportRun

from .conftest import snapshot
from .test_admin import PEOPLE_URL, REQ_HEADER, REQUIREMENTS_URL, confirm, csv_bytes, upload

pytestmark = pytest.mark.django_db

D = datetime.date
GRADES_DATA = Path(__file__).resolve().parents[2] / "grades" / "tests" / "data"
PEOPLE_HEADER = ["email", "first_name", "last_name", "track", "level", "hire_date"]


@pytest.fixture
def hr(client):
    user = UserFactory(username="hr", roles=["HR"], is_staff=True)
    client.force_login(user)
    return user


@pytest.fixture
def support():
    """The five-level ladder of grades' tests: trainee (entry only), associate, specialist,
    senior-specialist, lead, on the support track."""
    load_framework(GRADES_DATA / "five-levels.yaml")


@pytest.fixture
def ops():
    """A three-level ladder whose middle level has the shipped ladder's code and name, "senior"."""
    ladder = Ladder.objects.create(slug="ops", name="Operations ladder")
    Level.objects.create(ladder=ladder, rank=1, code="apprentice", name="Apprentice", entry_only=True)
    Level.objects.create(ladder=ladder, rank=2, code="senior", name="Senior", name_ru="Сеньор")
    Level.objects.create(ladder=ladder, rank=3, code="staff", name="Staff engineer")
    return TrackFactory(slug="ops", name="Operations", ladder=ladder)


@pytest.fixture
def fork():
    """eng (its own five levels) and eng-manager, which shares eng's levels below senior-2."""
    load_framework(GRADES_DATA / "fork-parent.yaml")
    load_framework(GRADES_DATA / "fork-manager.yaml")


def ledger(email):
    employee = Employee.objects.get(user__email__iexact=email)
    return [
        (entry.kind, entry.level.ladder.slug, entry.level.code, entry.effective_date)
        for entry in employee.grade_changes.chronological().select_related("level__ladder")
    ]


# --- People spreadsheet ----------------------------------------------------------------------------


def test_a_person_is_hired_at_a_level_of_their_tracks_own_ladder(client, hr, support):
    rows = [
        PEOPLE_HEADER,
        ["sam@example.com", "Sam", "Support", "support", "Specialist", "2023-03-01"],
        ["tia@example.com", "Tia", "Trainee", "Инженер поддержки", "Стажёр", "01.09.2024"],
    ]

    response = upload(client, PEOPLE_URL, csv_bytes(rows))

    assert response.context["problems"] == []
    assert [(p.track, p.level) for p in response.context["plan"].people] == [
        ("support", "specialist"), ("support", "trainee"),
    ]
    confirm(client, PEOPLE_URL, response)

    sam = Employee.objects.get(user__email="sam@example.com")
    specialist = level("specialist", ladder="support")
    assert (sam.track.slug, sam.current_level, sam.current_level_since) == ("support", specialist, D(2023, 3, 1))
    assert ledger("sam@example.com") == [("hire", "support", "specialist", D(2023, 3, 1))]
    assert GradeChange.objects.get(employee=sam).level == specialist
    assert ledger("tia@example.com") == [("hire", "support", "trainee", D(2024, 9, 1))]
    assert ImportRun.objects.get().written == 2


def test_a_level_of_the_shipped_ladder_only_is_refused_for_a_track_on_another(client, hr, support):
    rows = [
        PEOPLE_HEADER,
        ["mid@example.com", "Mid", "Plus", "support", "Middle+", "2023-03-01"],
        ["mid.ru@example.com", "Мидл", "Плюс", "support", "Мидл+", "2023-03-01"],
    ]
    before = snapshot()

    response = upload(client, PEOPLE_URL, csv_bytes(rows))

    levels = "Trainee, Associate, Specialist, Senior specialist, Support lead"
    assert [str(p) for p in response.context["problems"]] == [
        f"row 2: unknown level name 'Middle+' for the support track, whose levels are {levels}",
        f"row 3: unknown level name 'Мидл+' for the support track, whose levels are {levels}",
    ]
    assert response.context["to_write"] == 0
    confirm(client, PEOPLE_URL, response)
    assert snapshot() == before


def test_two_ladders_that_share_a_code_each_give_their_own_level(client, hr, ops):
    rows = [
        PEOPLE_HEADER,
        ["back@example.com", "Back", "End", "backend", "senior", "2022-01-10"],
        ["op@example.com", "Op", "Erator", "ops", "senior", "2022-01-10"],
        ["op.ru@example.com", "Оп", "Ератор", "Operations", "Сеньор", "2022-01-10"],
        ["op.mid@example.com", "Op", "Middle", "ops", "middle", "2022-01-10"],
    ]

    response = upload(client, PEOPLE_URL, csv_bytes(rows))

    assert [str(p) for p in response.context["problems"]] == [
        "row 5: unknown level name 'middle' for the ops track, whose levels are Apprentice, Senior, Staff engineer",
    ]
    confirm(client, PEOPLE_URL, response)
    current = dict(Employee.objects.values_list("user__email", "current_level"))
    assert current == {
        "back@example.com": level("senior").pk,
        "op@example.com": level("senior", ladder="ops").pk,
        "op.ru@example.com": level("senior", ladder="ops").pk,
    }
    assert level("senior").pk != level("senior", ladder="ops").pk


def test_a_fork_person_climbs_the_shared_levels_then_the_forks_own(fork):
    rows = [
        rules.SourceRow(1, "1", {
            "source_key": "1", "email": "mgr@example.com", "first_name": "M", "last_name": "Gr",
            "track": "eng-manager", "level": "senior-2-pm", "hire_date": "2020-01-10",
        }),
    ]
    history = [
        rules.SourceRow(n, str(n), {"source_key": str(n), "email": "mgr@example.com", "level": code, "date": day, "kind": kind})
        for n, (code, day, kind) in enumerate(
            [("Engineer", "2020-01-10", "hire"), ("senior-1", "2021-02-01", "promotion"),
             ("Senior Engineer 2 (People Manager)", "2022-03-01", "promotion")],
            start=11,
        )
    ]

    outcome = people.import_people(rows, history, kind=ImportKind.LEGACY, source="test")

    assert outcome.plan.problems == []
    assert ledger("mgr@example.com") == [
        ("hire", "eng", "engineer", D(2020, 1, 10)),
        ("promotion", "eng", "senior-1", D(2021, 2, 1)),
        ("promotion", "eng-manager", "senior-2-pm", D(2022, 3, 1)),
    ]


def test_reading_the_ladders_takes_the_same_queries_for_two_rows_or_forty(support, ops):
    def rows(n):
        return [
            rules.SourceRow(i, f"row {i}", {
                "email": f"p{i}@example.com", "first_name": "P", "last_name": str(i),
                "track": ("support", "ops", "backend")[i % 3], "level": ("lead", "senior", "senior")[i % 3],
                "hire_date": "2022-01-10",
            })
            for i in range(2, n + 2)
        ]

    counts = []
    for n in (2, 40):
        with CaptureQueriesContext(connection) as queries:
            plan = people.plan(rows(n), people_source="row", require_key=False)
        assert plan.problems == []
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- Requirements spreadsheet --------------------------------------------------------------------


def test_requirements_are_imported_at_the_levels_of_the_tracks_own_ladder(client, hr, support):
    rows = [
        REQ_HEADER,
        ["support", "Specialist", "csv-escalates", "practice", "Эскалирует инциденты", "Escalates incidents", "", ""],
        ["support", "senior-specialist", "csv-mentors", "leadership", "Наставник", "Mentors", "mentee_promoted",
         '{"from": ["trainee", "associate"], "to": "specialist"}'],
        ["support", "Руководитель поддержки", "rota", "leadership", "Планирует дежурства", "", "", ""],
        ["support", "Trainee", "csv-entry", "practice", "Текст", "", "", ""],
        ["support", "senior-specialist", "csv-badcheck", "leadership", "Текст", "", "mentee_promoted",
         '{"from": ["junior"], "to": "middle"}'],
    ]
    version_before = FrameworkVersion.objects.filter(track__slug="support").latest("number").number

    response = upload(client, REQUIREMENTS_URL, csv_bytes(rows), name="support.csv")

    plan = response.context["plan"]
    assert {r.row.number: r.action for r in plan.rows} == {2: "create", 3: "create", 4: "update", 5: "skip", 6: "skip"}
    problems = [str(p) for p in response.context["problems"]]
    assert problems == [
        "row 5: level: the entry level has no requirements: nobody is promoted into it",
        "row 6: check: mentee_promoted needs 'from', a non-empty list of level codes "
        "(trainee, associate, specialist, senior-specialist, lead).",
    ]
    # "rota" stays at its level: only its text changes.
    assert plan.rows[2].changes == ["text"]
    confirm(client, REQUIREMENTS_URL, response)

    escalates = Requirement.objects.select_related("track_level__level__ladder").get(key="csv-escalates")
    assert escalates.track.slug == "support"
    assert escalates.track_level.level == level("specialist", ladder="support")
    mentors = Requirement.objects.get(key="csv-mentors")
    assert mentors.track_level.level == level("senior-specialist", ladder="support")
    assert mentors.check_params == {"from": ["trainee", "associate"], "to": "specialist"}
    assert Requirement.objects.get(key="rota").text == "Планирует дежурства"
    assert not Requirement.objects.filter(key__in=["csv-entry", "csv-badcheck"]).exists()
    assert FrameworkVersion.objects.filter(track__slug="support").latest("number").number == version_before + 1
    assert ImportRun.objects.get().written == 3


def test_a_requirement_at_a_level_the_track_does_not_climb_is_refused(client, hr, support):
    rows = [
        REQ_HEADER,
        ["support", "Middle", "csv-mid", "practice", "Текст", "", "", ""],
        ["support", "junior-plus", "csv-jp", "practice", "Текст", "", "", ""],
    ]
    before = snapshot()

    response = upload(client, REQUIREMENTS_URL, csv_bytes(rows))

    levels = "Trainee, Associate, Specialist, Senior specialist, Support lead"
    assert [str(p) for p in response.context["problems"]] == [
        f"row 2: level: unknown level 'Middle' for the support track, whose levels are {levels}",
        f"row 3: level: unknown level 'junior-plus' for the support track, whose levels are {levels}",
    ]
    confirm(client, REQUIREMENTS_URL, response)
    assert snapshot() == before


def test_requirements_at_a_shared_code_go_to_each_tracks_own_level(client, hr, ops):
    rows = [
        REQ_HEADER,
        ["backend", "senior", "csv-back-senior", "practice", "Бэкенд", "", "", ""],
        ["ops", "senior", "csv-ops-senior", "practice", "Опс", "", "", ""],
        ["ops", "Сеньор", "csv-ops-senior-ru", "practice", "Опс", "", "", ""],
    ]

    response = upload(client, REQUIREMENTS_URL, csv_bytes(rows))
    assert response.context["problems"] == []
    confirm(client, REQUIREMENTS_URL, response)

    found = dict(Requirement.objects.filter(key__startswith="csv-").values_list("key", "track_level__level"))
    assert found == {
        "csv-back-senior": level("senior").pk,
        "csv-ops-senior": level("senior", ladder="ops").pk,
        "csv-ops-senior-ru": level("senior", ladder="ops").pk,
    }
    assert TrackLevel.objects.get(track__slug="ops", level__code="senior").level.ladder.slug == "ops"


def test_a_fork_takes_requirements_at_its_own_levels_and_not_at_the_shared_ones(client, hr, fork):
    rows = [
        REQ_HEADER,
        ["eng-manager", "director", "csv-budget", "leadership", "Ведёт бюджет", "", "", ""],
        ["eng-manager", "Engineer", "csv-shared", "practice", "Текст", "", "", ""],
    ]

    response = upload(client, REQUIREMENTS_URL, csv_bytes(rows))

    assert [str(p) for p in response.context["problems"]] == [
        "row 3: level: Engineer is below the fork, shared with the eng track: "
        "its requirements are eng's, so import them on that track",
    ]
    confirm(client, REQUIREMENTS_URL, response)
    budget = Requirement.objects.get(key="csv-budget")
    assert (budget.track.slug, budget.track_level.level) == ("eng-manager", level("director", ladder="eng-manager"))
    assert not Requirement.objects.filter(key="csv-shared").exists()


# --- The old system ------------------------------------------------------------------------------------


def write_mapping(tmp_path, extra: dict) -> str:
    """The default mapping's statements and names, with `extra` names added."""
    default = legacy_source.load_mapping()
    data = {
        "params": {"hired_since": D(2000, 1, 1)},
        "people": default.people,
        "history": default.history,
        "levels": {**default.levels, **extra.get("levels", {})},
        "tracks": {**default.tracks, **extra.get("tracks", {})},
        "kinds": default.kinds,
    }
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_the_old_system_names_levels_of_a_track_on_another_ladder(legacy_db, tmp_path, support, ops):
    legacy_db.execute("INSERT INTO departments (id, title) VALUES (%s, %s), (%s, %s)", (4, "Helpdesk", 5, "SRE"))
    staff = (
        "INSERT INTO staff (id, mail, first_name, last_name, department_id, grade, hired_on)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)"
    )
    legacy_db.execute(staff, (40, "help@old.example", "Хелп", "Деск", 4, "SP", "2021-02-01"))
    legacy_db.execute(staff, (41, "sre@old.example", "Эс", "Эр", 5, "S1", "2021-02-01"))
    legacy_db.execute(staff, (42, "wrong@old.example", "Не", "Тот", 4, "M2", "2021-02-01"))
    log = "INSERT INTO grade_log (id, staff_id, grade, changed_on, event, note) VALUES (%s, %s, %s, %s, %s, NULL)"
    legacy_db.execute(log, (4001, 40, "T0", "2021-02-01", "hire"))
    legacy_db.execute(log, (4002, 40, "Associate", "2021-06-01", "promo"))
    legacy_db.execute(log, (4003, 40, "SP", "2022-01-10", "promo"))
    mapping = write_mapping(tmp_path, {
        "tracks": {"support": ["Helpdesk"], "ops": ["SRE"]},
        # S1 is "senior" on both the shipped ladder and ops'; T0 is the support ladder's trainee only.
        "levels": {"specialist": ["SP"], "support/trainee": ["T0"]},
    })

    out, _err = call(mapping, legacy_db)

    assert "9 created" in out
    assert "key 42: unknown level name 'M2' for the support track, whose levels are Trainee" in out
    assert ledger("help@old.example") == [
        ("hire", "support", "trainee", D(2021, 2, 1)),
        ("promotion", "support", "associate", D(2021, 6, 1)),
        ("promotion", "support", "specialist", D(2022, 1, 10)),
    ]
    assert ledger("sre@old.example") == [("hire", "ops", "senior", D(2021, 2, 1))]
    # The shipped tracks' S1 is still the shipped ladder's senior.
    assert ("promotion", "standard", "senior", D(2018, 6, 1)) in ledger("olga.smirnova@old.example")


def test_a_mapping_level_is_a_code_of_some_ladder_or_a_ladder_and_its_code(tmp_path, support):
    legacy_source.check_mapping_targets(legacy_source.load_mapping(write_mapping(tmp_path, {
        "levels": {"associate": ["A"], "support/lead": ["L"], "standard/junior": ["J0"]},
    })))
    for wrong in ("standard/associate", "support/middle", "nowhere/lead", "architect"):
        with pytest.raises(CommandError, match=f"levels: {wrong} is not a level code"):
            call_command(
                "import_legacy", "--mapping", write_mapping(tmp_path, {"levels": {wrong: ["X"]}}),
                "--database-url", "sqlite:///unused", stdout=io.StringIO(),
            )


def call(mapping, source):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_legacy", "--mapping", mapping, "--database-url", source.url, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()
