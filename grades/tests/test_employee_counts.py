"""The people list's figures kept on the employee row: right after every write that moves them.

checklist_total, checklist_done and waiting_claims are written by the services in the
same transaction as the change they follow (grades.services.employee_counts_refresh).
Each test drives one write path and compares the row with a recount
(selectors.employees_with_wrong_counts) and with the figures the test expects.
"""

from __future__ import annotations

import datetime
import importlib
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from grades import selectors, services
from grades.versions import load_framework
from grades.models import Employee, Evidence, EvidenceStatus, Level, Requirement, Track, TrackLevel
from grades.tests.factories import RequirementFactory, UserFactory, hire, level
from grades.tests.test_admin import admin_url, form_data

pytestmark = pytest.mark.django_db

D = datetime.date
FRAMEWORKS = Path(__file__).resolve().parents[1] / "frameworks"


def figures(employee) -> tuple[int, int, int]:
    row = Employee.objects.values_list("checklist_total", "checklist_done", "waiting_claims").get(pk=employee.pk)
    return tuple(row)


def checklist_size(track_slug: str, up_to_rank: int) -> int:
    """People-judged active lines of the track up to the rank, counted independently."""
    return Requirement.objects.filter(
        track__slug=track_slug, is_active=True, check_kind="", track_level__level__rank__lte=up_to_rank
    ).count()


def assert_all_match():
    wrong = list(selectors.employees_with_wrong_counts().values_list("pk", flat=True))
    assert wrong == [], f"kept figures differ from a recount for employees {wrong}"


def next_line(employee, *, offset=0) -> Requirement:
    """A people-judged line of the person's next level."""
    rank = Employee.objects.get(pk=employee.pk).current_level.rank + 1
    return (
        Requirement.objects.filter(track=employee.track, check_kind="", is_active=True, track_level__level__rank=rank)
        .order_by("id")[offset]
    )


def claim(employee, requirement):
    return services.evidence_claim(
        employee=employee, requirement=requirement, description="Built the retry worker",
        links=["https://git.example.com/pr/1"], by=employee.user,
    )


@pytest.fixture
def lead():
    return hire(level_code="senior", roles=["Developer", "Team lead"], hire_date=D(2018, 1, 1))


@pytest.fixture
def dev(lead):
    return hire(level_code="middle", team_lead=lead, hire_date=D(2021, 3, 1))


@pytest.fixture
def hr():
    return UserFactory(username="hr", roles=["HR"], is_staff=True)


# --- Hiring and the ledger ----------------------------------------------------------------------


def test_a_new_hire_starts_with_the_next_levels_checklist_and_nothing_done(dev):
    # Middle is rank 4: the checklist is every people-judged line up to Middle+ (rank 5).
    assert figures(dev) == (checklist_size("backend", 5), 0, 0)
    assert_all_match()


def test_a_promotion_moves_the_checklist_and_keeps_what_was_confirmed(dev, lead):
    confirmed = services.evidence_decide(evidence=claim(dev, next_line(dev)), confirm=True, by=lead.user)
    assert figures(dev) == (checklist_size("backend", 5), 1, 0)

    services.grade_change_record(employee=dev, kind="promotion", level=level("middle-plus"), effective_date=D(2022, 1, 1))

    # The confirmed line (Middle+) is still on the Middle++ checklist.
    assert figures(dev) == (checklist_size("backend", 6), 1, 0)
    assert Evidence.objects.get(pk=confirmed.pk).status == EvidenceStatus.CONFIRMED
    assert_all_match()


def test_a_correction_down_leaves_lines_above_the_new_next_level_out(dev, lead):
    services.evidence_decide(evidence=claim(dev, next_line(dev)), confirm=True, by=lead.user)

    services.grade_change_record(
        employee=dev, kind="correction", level=level("junior-plus"), effective_date=D(2022, 1, 1),
        reason="Hired one level too high",
    )

    # Next level Junior++ (rank 3): the confirmed Middle+ line no longer counts.
    assert figures(dev) == (checklist_size("backend", 3), 0, 0)
    assert_all_match()


def test_a_refused_ledger_entry_changes_nothing(dev):
    before = figures(dev)
    with pytest.raises(services.GradeError):
        services.grade_change_record(employee=dev, kind="promotion", level=level("senior"), effective_date=D(2022, 1, 1))
    assert figures(dev) == before


# --- Claims ---------------------------------------------------------------------------------------


def test_claim_withdraw_confirm_and_reject_move_the_figures(dev, lead):
    total = checklist_size("backend", 5)

    first = claim(dev, next_line(dev))
    second = claim(dev, next_line(dev, offset=1))
    third = claim(dev, next_line(dev, offset=2))
    assert figures(dev) == (total, 0, 3)

    services.evidence_withdraw(evidence=first, by=dev.user)
    assert figures(dev) == (total, 0, 2)

    services.evidence_decide(evidence=second, confirm=True, by=lead.user)
    assert figures(dev) == (total, 1, 1)

    services.evidence_decide(evidence=third, confirm=False, comment="Show the tests", by=lead.user)
    assert figures(dev) == (total, 1, 0)
    assert_all_match()


def test_editing_a_claim_leaves_the_figures_and_a_refused_decision_too(dev, lead):
    evidence = claim(dev, next_line(dev))
    services.evidence_edit(evidence=evidence, description="Also wrote the runbook", by=dev.user)
    assert figures(dev)[2] == 1

    before = figures(dev)
    with pytest.raises(services.GradeError):
        services.evidence_decide(evidence=evidence, confirm=False, comment="", by=lead.user)  # a reason is needed
    with pytest.raises(PermissionError):
        services.evidence_decide(evidence=evidence, confirm=True, by=dev.user)  # not one's own
    assert figures(dev) == before
    assert_all_match()


def employee_updates(queries) -> list[str]:
    """The SET clauses of the UPDATEs of the employee table among captured statements."""
    table = connection.ops.quote_name(Employee._meta.db_table)
    return [q["sql"].split(" SET ", 1)[1] for q in queries if q["sql"].startswith(f"UPDATE {table} SET ")]


def test_each_claim_write_recounts_only_the_figures_it_can_move(dev, lead):
    """A claim, a withdrawal and a rejection move only waiting_claims; a confirmation
    checklist_done as well; none of them the checklist's size, which the level and the
    framework set. The recount writes those columns alone (the others are not rebuilt)."""

    def columns_written(write):
        with CaptureQueriesContext(connection) as captured:
            write()
        (clause,) = employee_updates(captured.captured_queries)
        return {name for name in selectors.COUNT_FIELDS if f"{connection.ops.quote_name(name)} = " in clause}

    held = []
    assert columns_written(lambda: held.append(claim(dev, next_line(dev)))) == {"waiting_claims"}
    assert columns_written(lambda: held.append(claim(dev, next_line(dev, offset=1)))) == {"waiting_claims"}
    assert columns_written(lambda: held.append(claim(dev, next_line(dev, offset=2)))) == {"waiting_claims"}
    assert columns_written(lambda: services.evidence_withdraw(evidence=held[0], by=dev.user)) == {"waiting_claims"}
    assert columns_written(
        lambda: services.evidence_decide(evidence=held[1], confirm=False, comment="Show the tests", by=lead.user)
    ) == {"waiting_claims"}
    assert columns_written(
        lambda: services.evidence_decide(evidence=held[2], confirm=True, by=lead.user)
    ) == {"checklist_done", "waiting_claims"}
    assert figures(dev) == (checklist_size("backend", 5), 1, 0)
    assert_all_match()


def test_a_refresh_of_some_figures_writes_those_and_leaves_the_others(dev, lead):
    services.evidence_decide(evidence=claim(dev, next_line(dev)), confirm=True, by=lead.user)
    claim(dev, next_line(dev, offset=1))
    right = figures(dev)
    assert right == (checklist_size("backend", 5), 1, 1)
    mine = Employee.objects.filter(pk=dev.pk)
    mine.update(checklist_total=90, checklist_done=80, waiting_claims=70)  # behind the services

    services.employee_counts_refresh(employees=mine, fields=["waiting_claims"])
    assert figures(dev) == (90, 80, 1)
    services.employee_counts_refresh(employees=mine, fields=["checklist_done", "waiting_claims"])
    assert figures(dev) == (90, 1, 1)
    services.employee_counts_refresh(employees=mine)
    assert figures(dev) == right


def test_a_figure_the_row_does_not_keep_is_refused_before_anything_is_written(dev):
    mine = Employee.objects.filter(pk=dev.pk)
    mine.update(waiting_claims=70)
    with pytest.raises(ValueError, match="months_in_level"):
        services.employee_counts_refresh(employees=mine, fields=["waiting_claims", "months_in_level"])
    assert figures(dev)[2] == 70


def test_a_claim_through_the_page_counts_in_the_people_list(client, dev, lead):
    client.force_login(dev.user)
    response = client.post(
        f"/people/{dev.pk}/claim/{next_line(dev).pk}/", {"description": "Built it", "links": ""}
    )
    assert response.status_code == 302
    client.force_login(lead.user)
    row = next(r for r in client.get("/people/").context["rows"] if r.employee.pk == dev.pk)
    assert (row.checklist_total, row.checklist_done, row.waiting_claims) == figures(dev) == (
        checklist_size("backend", 5), 0, 1,
    )


def test_a_write_that_fails_halfway_leaves_the_figures_as_they_were(dev, monkeypatch):
    """The recount is in the write's transaction: when the write rolls back, so does it."""
    before = figures(dev)

    def broken(*args, **kwargs):
        raise RuntimeError("the event could not be written")

    monkeypatch.setattr(services, "_record_event", broken)
    with pytest.raises(RuntimeError):
        claim(dev, next_line(dev))
    assert figures(dev) == before
    assert not Evidence.objects.filter(employee=dev).exists()


# --- Requirements -------------------------------------------------------------------------------


def test_retiring_and_reactivating_requirements_recounts_their_tracks(dev, lead, hr):
    line = next_line(dev)
    services.evidence_decide(evidence=claim(dev, line), confirm=True, by=lead.user)
    total = checklist_size("backend", 5)

    assert services.requirements_set_active(requirements=Requirement.objects.filter(pk=line.pk), active=False, by=hr) == 1
    assert figures(dev) == (total - 1, 0, 0)
    assert line.history.first().is_active is False  # the change is in the requirement's history
    assert line.history.first().history_user == hr

    # Retiring it again changes nothing; reactivating brings the confirmed line back.
    assert services.requirements_set_active(requirements=Requirement.objects.filter(pk=line.pk), active=False) == 0
    services.requirements_set_active(requirements=Requirement.objects.filter(pk=line.pk), active=True, by=hr)
    assert figures(dev) == (total, 1, 0)
    assert_all_match()


def test_the_admin_actions_retire_and_reactivate_with_the_recount(client, dev, hr):
    client.force_login(hr)
    line = next_line(dev)
    total = checklist_size("backend", 5)
    url = admin_url(Requirement, "changelist")

    assert client.post(url, {"action": "retire", "_selected_action": [line.pk]}).status_code == 302
    assert figures(dev)[0] == total - 1
    assert client.post(url, {"action": "reactivate", "_selected_action": [line.pk]}).status_code == 302
    assert figures(dev)[0] == total
    assert_all_match()


def test_the_admin_change_form_recounts_when_a_line_leaves_or_moves(client, dev, hr):
    client.force_login(hr)
    line = next_line(dev)
    total = checklist_size("backend", 5)
    url = admin_url(Requirement, "change", line.pk)

    data = form_data(client.get(url))
    data.pop("is_active")  # unticked
    assert client.post(url, data).status_code == 302
    assert figures(dev)[0] == total - 1

    data = form_data(client.get(url))
    data["is_active"] = "on"
    data["track_level"] = str(TrackLevel.objects.get(track__slug="backend", level__code="senior").pk)
    assert client.post(url, data).status_code == 302
    # Moved up to Senior: active again, but above this person's next level.
    assert figures(dev)[0] == total - 1
    assert_all_match()


def test_a_line_added_inline_under_a_track_level_is_counted(client, dev, hr):
    client.force_login(hr)
    middle_plus = TrackLevel.objects.get(track__slug="backend", level__code="middle-plus")
    url = admin_url(TrackLevel, "change", middle_plus.pk)
    data = form_data(client.get(url))
    n = int(data["requirements-TOTAL_FORMS"])
    data.update(
        {
            "requirements-TOTAL_FORMS": str(n + 1),
            f"requirements-{n}-key": "observability",
            f"requirements-{n}-category": "practice",
            f"requirements-{n}-text": "Наблюдаемость",
            f"requirements-{n}-origin": "track",
            f"requirements-{n}-position": "99",
            f"requirements-{n}-is_active": "on",
            f"requirements-{n}-check_params": "{}",
            f"requirements-{n}-track_level": str(middle_plus.pk),
        }
    )
    before = figures(dev)[0]
    response = client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert figures(dev)[0] == before + 1
    assert_all_match()


def test_reloading_a_framework_recounts_the_people_on_its_track(tmp_path, dev, lead):
    spec = yaml.safe_load((FRAMEWORKS / "backend.yaml").read_text(encoding="utf-8"))
    middle_plus = next(level for level in spec["levels"] if level["level"] == "middle-plus")
    dropped = middle_plus["requirements"].pop(0)["key"]
    middle_plus["requirements"].append({"key": "tracing", "category": "practice", "text": "Трассировка запросов"})
    services.evidence_decide(
        evidence=claim(dev, Requirement.objects.get(track__slug="backend", key=dropped)), confirm=True, by=lead.user
    )
    total = checklist_size("backend", 5)
    assert figures(dev) == (total, 1, 0)
    path = tmp_path / "backend.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")

    load_framework(path, dry_run=True)
    assert figures(dev) == (total, 1, 0)  # a dry run writes nothing
    report = load_framework(path)

    assert report.requirements_created == 1 and report.requirements_retired == 1
    # One line retired (the confirmed one), one added.
    assert figures(dev) == (total, 0, 0)
    assert_all_match()


# --- Track change ---------------------------------------------------------------------------------


def test_a_track_change_counts_the_new_tracks_checklist_and_the_carried_claims(dev, lead, hr):
    shared = Requirement.objects.get(track__slug="backend", key="code-security")  # fullstack has it too
    services.evidence_decide(evidence=claim(dev, shared), confirm=True, by=lead.user)
    claim(dev, next_line(dev))  # waiting: withdrawn by the move unless fullstack has the key

    moved = services.employee_change_track(
        employee=dev, track=Track.objects.get(slug="fullstack"), by=hr, reason="Moves to the web team"
    )

    waiting_carried = sum(1 for c in moved.carried if c.status == EvidenceStatus.CLAIMED)
    assert figures(dev) == (checklist_size("fullstack", 5), 1, waiting_carried)
    assert_all_match()


# --- Imports ---------------------------------------------------------------------------------------


def test_people_imported_in_bulk_get_their_figures(lead):
    from imports import people, rules
    from imports.models import ImportKind

    def row(number, email, level_code, lead_email=""):
        values = {
            "email": email, "first_name": "F", "last_name": f"L{number}", "track": "backend",
            "level": level_code, "hire_date": "2022-01-10", "team_lead_email": lead_email,
        }
        return rules.SourceRow(number=number, key=f"row {number}", values=values)

    outcome = people.import_people(
        [row(2, "a@example.com", "middle", lead.user.email), row(3, "b@example.com", "junior")], [],
        kind=ImportKind.PEOPLE_CSV, source="test", by=None, people_source="row", require_key=False,
    )

    assert outcome.written.people_created == 2
    assert figures(Employee.objects.get(user__email="a@example.com")) == (checklist_size("backend", 5), 0, 0)
    assert figures(Employee.objects.get(user__email="b@example.com")) == (checklist_size("backend", 2), 0, 0)
    assert_all_match()


def test_requirements_imported_from_a_spreadsheet_recount_their_track(dev):
    from imports import services as import_services
    from imports import spreadsheets

    table = spreadsheets.KINDS["requirements"].read(
        "track;level;key;category;text;text_en;check_kind;check_params\n"
        "backend;middle-plus;csv-tracing;practice;Трассировка;Tracing;;\n"
    )
    before = figures(dev)[0]
    with transaction.atomic():
        written = import_services.requirements_write(plan=spreadsheets.requirements_preview(table))

    assert written.created == 1
    assert figures(dev)[0] == before + 1
    assert_all_match()


# --- Checking and repairing ----------------------------------------------------------------------


def test_the_check_command_finds_figures_changed_behind_the_services_and_fix_repairs_them(dev, lead):
    claim(dev, next_line(dev))
    out = StringIO()
    call_command("check_employee_counts", stdout=out)
    assert "match" in out.getvalue()

    Employee.objects.filter(pk=dev.pk).update(waiting_claims=7, checklist_done=3)  # plain SQL, as a restore might
    with pytest.raises(CommandError, match=rf"1 employee\(s\).*ids {dev.pk}\b.*--fix"):
        call_command("check_employee_counts")

    out = StringIO()
    call_command("check_employee_counts", "--fix", stdout=out)
    assert "Recounted" in out.getvalue() and "1 had figures that differed" in out.getvalue()
    assert figures(dev) == (checklist_size("backend", 5), 0, 1)
    call_command("check_employee_counts", stdout=StringIO())


def test_the_demo_organisation_is_counted(lead):
    call_command("seed_demo", employees=30, today="2025-06-30", verbosity=0)
    assert Employee.objects.filter(waiting_claims__gt=0).exists()
    assert Employee.objects.filter(checklist_done__gt=0).exists()
    assert_all_match()


def test_the_migration_that_adds_the_figures_counts_everyone(dev, lead):
    """Its own copy of the count (written with the migration's models) agrees with the services'."""
    claim(dev, next_line(dev))
    services.evidence_decide(evidence=claim(dev, next_line(dev, offset=1)), confirm=True, by=lead.user)
    expected = {e.pk: figures(e) for e in (dev, lead)}
    Employee.objects.update(checklist_total=0, checklist_done=0, waiting_claims=0)
    migration = importlib.import_module("grades.migrations.0011_employee_checklist_counts")
    from django.apps import apps

    # The function only asks the schema editor for its connection.
    migration.count_everyone(apps, SimpleNamespace(connection=connection))

    assert {e.pk: figures(e) for e in (dev, lead)} == expected
    assert_all_match()


def test_a_person_without_a_level_counts_nothing():
    person = Employee.objects.create(
        user=UserFactory(), track=Track.objects.get(slug="backend"), hire_date=D(2022, 1, 10), career_start=D(2022, 1, 10)
    )
    services.employee_counts_refresh(employees=Employee.objects.filter(pk=person.pk))
    assert figures(person) == (0, 0, 0)
    assert Level.objects.exists()
    assert_all_match()


def test_the_progress_page_counts_what_the_people_list_counts_with_data_lines_apart(client, lead):
    """A senior's next checklist holds lines the product judges from data (years of experience,
    mentoring): the page's "done of total" is the people list's figure, and the data lines are
    counted beside it."""
    senior = hire(level_code="senior-plus", team_lead=lead, hire_date=D(2015, 1, 1))
    rank = senior.current_level.rank + 1
    data_lines = Requirement.objects.filter(
        track=senior.track, is_active=True, track_level__level__rank__lte=rank
    ).exclude(check_kind="").count()
    assert data_lines > 0  # the case this test is about
    services.evidence_decide(evidence=claim(senior, next_line(senior)), confirm=True, by=lead.user)

    progress = selectors.employee_progress(Employee.objects.get(pk=senior.pk))
    total, done, _waiting = figures(senior)
    assert (progress.total, progress.done_count) == (total, done) == (checklist_size("backend", rank), 1)
    assert progress.data_total == data_lines
    client.force_login(lead.user)
    page = client.get(f"/people/{senior.pk}/").content.decode()
    assert f"1 of {total} done" in page
    assert f"checked from data: {progress.data_met} of {data_lines} met" in page
    row = next(r for r in client.get("/people/").context["rows"] if r.employee.pk == senior.pk)
    assert (row.checklist_total, row.checklist_done) == (total, done)
