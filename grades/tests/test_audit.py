"""The audit trail of the grades app: every write path leaves a record of who, when and what.

Services are called here outside a request, as a command or a job would call them,
so the history user is the one the service names, not one the request middleware
supplies. Admin paths go through the admin's own URLs, bulk actions included.
"""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from grades import services
from grades.versions import load_framework
from grades.models import (
    Book,
    Employee,
    Evidence,
    EvidenceEvent,
    GradeChange,
    GradeChangeKind,
    Level,
    Requirement,
    Track,
    TrackLevel,
)
from grades.tests.factories import BookFactory, RequirementFactory, UserFactory, hire, level
from grades.tests.test_admin import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def start():
    """The moment the test began: every history row it writes is dated after it."""
    return timezone.now()


def assert_recent(record, start):
    assert start <= record.history_date <= timezone.now()


@pytest.fixture
def hr():
    return UserFactory(username="hr", roles=["HR"], is_staff=True)


@pytest.fixture
def lead():
    return hire(level_code="senior", roles=["Developer", "Team lead"])


@pytest.fixture
def dev(lead):
    return hire(level_code="middle", team_lead=lead, hire_date=datetime.date(2021, 3, 1))


def history_counts() -> dict[str, int]:
    return {
        model.__name__: model.history.count()
        for model in (Track, TrackLevel, Requirement, Book, Employee, Evidence)
    }


def next_line(employee) -> Requirement:
    """A people-judged line of the employee's next level."""
    return (
        Requirement.objects.active()
        .filter(track=employee.track, check_kind="", track_level__level__rank=employee.current_level.rank + 1)
        .order_by("id")
        .first()
    )


# --- Admin bulk actions ---------------------------------------------------------------------------


def test_admin_retire_and_reactivate_actions_record_each_requirement(client, hr, start):
    client.force_login(hr)
    lines = [RequirementFactory(), RequirementFactory()]
    url = reverse("admin:grades_requirement_changelist")

    response = client.post(url, {"action": "retire", "_selected_action": [line.pk for line in lines]})

    assert response.status_code == 302
    for line in lines:
        record = line.history.latest()
        assert (record.history_type, record.is_active, record.history_user) == ("~", False, hr)
        assert record.history_change_reason == "admin action: retire"
        assert_recent(record, start)

    client.post(url, {"action": "reactivate", "_selected_action": [lines[0].pk]})

    record = lines[0].history.latest()
    assert (record.is_active, record.history_user, record.history_change_reason) == (
        True, hr, "admin action: reactivate"
    )
    assert lines[1].history.count() == 2  # the one not selected: created, retired


def test_admin_retire_by_someone_without_the_change_permission_writes_nothing(client):
    viewer = UserFactory(roles=["Team lead"], is_staff=True)
    client.force_login(viewer)
    line = RequirementFactory()
    before = history_counts()

    client.post(reverse("admin:grades_requirement_changelist"), {"action": "retire", "_selected_action": [line.pk]})

    line.refresh_from_db()
    assert line.is_active is True
    assert history_counts() == before


def test_admin_bulk_delete_of_books_records_each_deletion(client, hr, start):
    client.force_login(hr)
    books = [BookFactory(), BookFactory()]
    ids = [book.pk for book in books]

    response = client.post(
        reverse("admin:grades_book_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )

    assert response.status_code == 302
    assert not Book.objects.filter(pk__in=ids).exists()
    deletions = Book.history.filter(id__in=ids, history_type="-")
    assert sorted(deletions.values_list("id", flat=True)) == sorted(ids)
    assert {record.history_user for record in deletions} == {hr}
    assert_recent(deletions.first(), start)


def test_admin_edit_of_an_employee_records_the_editor_and_not_the_derived_columns(client, hr, dev, start):
    client.force_login(hr)
    url = reverse("admin:grades_employee_change", args=[dev.pk])
    data = form_data(client.get(url))
    data["left_on"] = "2024-06-30"

    response = client.post(url, data)

    assert response.status_code == 302
    record = Employee.history.filter(id=dev.pk).latest()
    assert (record.history_type, record.left_on, record.history_user) == ("~", datetime.date(2024, 6, 30), hr)
    assert_recent(record, start)
    assert not hasattr(record, "current_level_id") and not hasattr(record, "checklist_total")


# --- The grade ledger and the person --------------------------------------------------------------


def test_hiring_records_the_person_with_who_hired_them(hr, start):
    employee = services.employee_hire(
        user=UserFactory(), track=Track.objects.get(slug="backend"), level=level("junior"),
        hire_date=datetime.date(2024, 1, 15), by=hr,
    )

    record = Employee.history.get(id=employee.pk)
    assert (record.history_type, record.history_user, record.track_id) == ("+", hr, employee.track_id)
    assert_recent(record, start)
    entry = employee.grade_changes.get()
    assert (entry.kind, entry.recorded_by, entry.level.code) == (GradeChangeKind.HIRE, hr, "junior")


def test_a_grade_change_is_its_own_record_and_the_copied_level_adds_no_history(hr, dev, start):
    before = Employee.history.filter(id=dev.pk).count()

    entry = services.grade_change_record(
        employee=dev, kind=GradeChangeKind.PROMOTION, level=level("middle-plus"),
        effective_date=datetime.date(2024, 5, 1), by=hr,
    )

    assert (entry.recorded_by, entry.level.code) == (hr, "middle-plus")
    assert start <= entry.recorded_at <= timezone.now()
    dev.refresh_from_db()
    assert dev.current_level.code == "middle-plus"
    # current_level is derived from the ledger: the entry is the record, no employee history row.
    assert Employee.history.filter(id=dev.pk).count() == before


def test_a_refused_grade_change_writes_no_record(hr, dev):
    before = (history_counts(), GradeChange.objects.count())
    with pytest.raises(services.GradeError):
        services.grade_change_record(
            employee=dev, kind=GradeChangeKind.PROMOTION, level=level("senior"),
            effective_date=datetime.date(2024, 5, 1), by=hr,
        )
    assert (history_counts(), GradeChange.objects.count()) == before


def test_a_track_change_records_the_move_and_every_claim_it_touched(hr, lead, dev, start):
    line = next_line(dev)
    waiting = services.evidence_claim(employee=dev, requirement=line, description="Did it", by=dev.user)

    moved = services.employee_change_track(
        employee=dev, track=Track.objects.get(slug="fullstack"), by=hr, reason="Team reorganised",
    )

    record = Employee.history.filter(id=dev.pk).latest()
    assert (record.track.slug, record.history_user, record.history_change_reason) == ("fullstack", hr, "track change")
    assert_recent(record, start)
    closed = waiting.history.latest()
    assert (closed.status, closed.history_user, closed.history_change_reason) == (
        "withdrawn", hr, "withdrawn on a track change"
    )
    for copy in moved.carried:
        created = copy.history.get()
        assert (created.history_type, created.history_user, created.history_change_reason) == (
            "+", hr, "carried over on a track change"
        )


# --- Evidence ---------------------------------------------------------------------------------------


def test_each_step_of_a_claim_records_who_took_it(lead, dev, start):
    line = next_line(dev)

    claim = services.evidence_claim(employee=dev, requirement=line, description="Built the queue", by=dev.user)
    services.evidence_edit(evidence=claim, description="Built the retry queue", by=dev.user)
    services.evidence_decide(evidence=claim, confirm=True, comment="Seen it in production", by=lead.user)

    rows = list(claim.history.order_by("history_id"))
    assert [(r.history_type, r.status, r.description, r.history_user) for r in rows] == [
        ("+", "claimed", "Built the queue", dev.user),
        ("~", "claimed", "Built the retry queue", dev.user),
        ("~", "confirmed", "Built the retry queue", lead.user),
    ]
    assert all(start <= r.history_date <= timezone.now() for r in rows)
    events = list(EvidenceEvent.objects.filter(evidence=claim).values_list("action", "actor"))
    assert events == [("claimed", dev.user.pk), ("edited", dev.user.pk), ("confirmed", lead.user.pk)]


def test_a_withdrawal_records_the_claimant_and_a_refused_decision_records_nothing(lead, dev):
    claim = services.evidence_claim(employee=dev, requirement=next_line(dev), description="Did it", by=dev.user)
    stranger = hire(level_code="senior")
    before = claim.history.count()

    with pytest.raises(PermissionError):
        services.evidence_decide(evidence=claim, confirm=True, by=stranger.user)
    assert claim.history.count() == before

    services.evidence_withdraw(evidence=claim, by=dev.user)
    record = claim.history.latest()
    assert (record.status, record.history_user) == ("withdrawn", dev.user)


def test_retiring_requirements_in_a_service_names_who_and_why(hr, start):
    line = RequirementFactory()

    services.requirements_set_active(requirements=Requirement.objects.filter(pk=line.pk), active=False, by=hr)

    record = line.history.latest()
    assert (record.is_active, record.history_user, record.history_change_reason) == (False, hr, "retired")
    assert_recent(record, start)


# --- The framework loader ---------------------------------------------------------------------------


def framework() -> dict:
    codes = list(Level.objects.order_by("rank").values_list("code", flat=True))
    data = {
        "schema": 1,
        "track": {"slug": "qa", "name": "QA"},
        "levels": [{"level": code, "comment": f"About {code}"} for code in codes],
    }
    data["levels"][1]["requirements"] = [
        {"key": "pytest", "category": "hard_skill", "text": "pytest"},
        {"key": "ci", "category": "practice", "text": "CI"},
    ]
    data["levels"][2]["books"] = [
        {"title": "Clean Code", "author": "Robert C. Martin"},
        {"title": "Refactoring"},
    ]
    return data


def write(tmp_path, data, name="qa.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load(path, *args):
    call_command("load_framework", str(path), *args, stdout=StringIO())


def test_the_loader_records_everything_it_creates_with_who_ran_it(tmp_path, hr, start):
    load(write(tmp_path, framework()), "--user", "hr")

    track = Track.objects.get(slug="qa")
    records = [
        track.history.get(),
        *TrackLevel.history.filter(track_id=track.pk),
        *Requirement.history.filter(track_id=track.pk),
        *Book.history.filter(track_level__track_id=track.pk),
    ]
    assert len(records) == 1 + 9 + 2 + 2
    assert {(r.history_type, r.history_user, r.history_change_reason) for r in records} == {
        ("+", hr, "load_framework qa.yaml")
    }
    assert all(start <= r.history_date <= timezone.now() for r in records)


def test_the_loader_records_each_change_retirement_and_removal(tmp_path, hr):
    load(write(tmp_path, framework()), "--user", "hr")
    pytest_line = Requirement.objects.get(track__slug="qa", key="pytest")
    ci_line = Requirement.objects.get(track__slug="qa", key="ci")
    clean_code = Book.objects.get(title="Clean Code", track_level__track__slug="qa")
    refactoring = Book.objects.get(title="Refactoring", track_level__track__slug="qa")
    editor = UserFactory(username="editor")
    changed = framework()
    changed["track"]["name"] = "Quality assurance"
    changed["levels"][1]["requirements"] = [{"key": "pytest", "category": "hard_skill", "text": "pytest and fixtures"}]
    changed["levels"][2]["books"] = [{"title": "Clean Code", "author": "R. C. Martin"}]

    load(write(tmp_path, changed, name="qa-v2.yaml"), "--user", "editor")

    def latest(obj_history):
        record = obj_history.latest()
        assert (record.history_user, record.history_change_reason) == (editor, "load_framework qa-v2.yaml")
        return record

    assert latest(Track.history.filter(slug="qa")).name == "Quality assurance"
    assert latest(pytest_line.history).text == "pytest and fixtures"
    retired = latest(ci_line.history)
    assert (retired.history_type, retired.is_active) == ("~", False)
    reworded = latest(Book.history.filter(id=clean_code.pk))
    assert (reworded.history_type, reworded.author) == ("~", "R. C. Martin")
    removed = latest(Book.history.filter(id=refactoring.pk))
    assert (removed.history_type, removed.title) == ("-", "Refactoring")
    # The book kept its row: changed in place, not deleted and added again.
    assert Book.objects.filter(pk=clean_code.pk).exists()


def test_the_loader_without_a_user_names_the_command_line_and_the_system_login(tmp_path):
    load(write(tmp_path, framework()))

    record = Track.history.get(slug="qa")
    assert record.history_user is None
    assert record.history_change_reason.startswith("load_framework qa.yaml (command line, system login ")


def test_a_called_loader_records_the_actor_passed_in(tmp_path, hr):
    load_framework(write(tmp_path, framework()), by=hr)

    record = Track.history.get(slug="qa")
    assert (record.history_user, record.history_change_reason) == (hr, "load_framework qa.yaml")


def test_an_unknown_user_and_a_dry_run_write_nothing(tmp_path, hr):
    path = write(tmp_path, framework())
    before = history_counts()

    with pytest.raises(CommandError, match="no active account"):
        load(path, "--user", "nobody")
    load(path, "--dry-run", "--user", "hr")

    assert not Track.objects.filter(slug="qa").exists()
    assert history_counts() == before
