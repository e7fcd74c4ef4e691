"""The audit trail of the imports: every row an import writes names who ran it, and when."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from grades.models import Employee, GradeChange, Requirement, TrackLevel
from grades.tests.factories import TrackFactory, UserFactory
from imports.models import ImportRun
from imports.services import REQUIREMENTS_REASON
from imports.tests.test_admin import REQ_HEADER, REQUIREMENTS_URL, confirm, csv_bytes, upload
from imports.tests.test_services import row, run

from .conftest import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def start():
    return timezone.now()


def recent(records, start) -> bool:
    return all(start <= record.history_date <= timezone.now() for record in records)


def test_people_written_in_bulk_each_get_a_history_row_naming_the_importer(start):
    by = UserFactory(username="importer")

    run(
        [
            row(2, "a@example.com"),
            row(3, "b@example.com", lead="a@example.com"),
            # Two leads of each other: written first, then given their leads in a bulk update.
            row(4, "x@example.com", lead="y@example.com"),
            row(5, "y@example.com", lead="x@example.com"),
        ],
        by=by,
    )

    records = list(Employee.history.all())
    assert sorted(r.history_type for r in records) == ["+"] * 4 + ["~"] * 2
    assert {r.history_user for r in records} == {by}
    assert recent(records, start)
    updated = {r.user.email: r.team_lead.user.email for r in records if r.history_type == "~"}
    assert updated == {"x@example.com": "y@example.com", "y@example.com": "x@example.com"}
    assert set(GradeChange.objects.values_list("recorded_by", flat=True)) == {by.pk}
    assert ImportRun.objects.get().recorded_by == by


def test_a_requirements_spreadsheet_records_each_line_and_new_level_with_hr(client, start):
    hr = UserFactory(username="hr", roles=["HR"], is_staff=True)
    client.force_login(hr)
    TrackFactory(slug="qa", name="QA")
    existing = Requirement.objects.filter(track__slug="backend", check_kind="").order_by("id").first()
    level_code = existing.track_level.level.code
    rows = [
        REQ_HEADER,
        ["qa", "middle", "qa-pytest", "hard_skill", "pytest", "pytest", "", ""],
        ["backend", level_code, existing.key, existing.category_id, "Новый текст", "New text", "", ""],
    ]

    response = upload(client, REQUIREMENTS_URL, csv_bytes(rows))
    confirm(client, REQUIREMENTS_URL, response)

    new_level = TrackLevel.objects.get(track__slug="qa", level__code="middle")
    created = new_level.history.get()
    new_line = Requirement.objects.get(key="qa-pytest").history.get()
    changed = existing.history.latest()
    assert (created.history_type, new_line.history_type, changed.history_type) == ("+", "+", "~")
    assert changed.text == "Новый текст"
    for record in (created, new_line, changed):
        assert (record.history_user, record.history_change_reason) == (hr, REQUIREMENTS_REASON)
    assert recent([created, new_line, changed], start)


def test_the_legacy_import_names_the_user_given(legacy_db, start):
    by = UserFactory(username="migrator")

    call_command("import_legacy", "--database-url", legacy_db.url, "--user", "migrator",
                 stdout=io.StringIO(), stderr=io.StringIO())

    records = list(Employee.history.all())
    assert len(records) >= 7
    assert {r.history_user for r in records} == {by}
    assert recent(records, start)
    assert ImportRun.objects.get().recorded_by == by


def test_the_legacy_import_refuses_an_unknown_user_before_reading_anything(legacy_db):
    before = snapshot()

    with pytest.raises(CommandError, match="no active account"):
        call_command("import_legacy", "--database-url", legacy_db.url, "--user", "nobody",
                     stdout=io.StringIO(), stderr=io.StringIO())

    assert snapshot() == before
