"""Writing people in bulk keeps what the grade services keep, one person at a time."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model

from grades import services as grade_services
from grades.models import Employee
from grades.tests.factories import EmployeeFactory, UserFactory, hire
from imports import people, rules, services
from imports.models import ImportKind

pytestmark = pytest.mark.django_db

D = datetime.date
User = get_user_model()


def row(number, email, *, level="junior", lead="", hire_date="2022-01-10", **extra):
    values = {
        "email": email, "first_name": "F", "last_name": f"L{number}", "track": "backend",
        "level": level, "hire_date": hire_date, "team_lead_email": lead, **extra,
    }
    return rules.SourceRow(number=number, key=f"row {number}", values=values)


def history(number, email, level, date, kind):
    values = {"source_key": str(number), "email": email, "level": level, "date": date, "kind": kind}
    return rules.SourceRow(number=number, key=str(number), values=values)


def run(rows, history_rows=(), by=None):
    return people.import_people(
        rows, history_rows, kind=ImportKind.PEOPLE_CSV, source="test", by=by,
        people_source="row", require_key=False,
    )


def test_leads_are_written_before_the_people_they_lead_and_a_cycle_is_closed_afterwards():
    outcome = run(
        [
            row(2, "c@example.com", lead="b@example.com"),
            row(3, "b@example.com", lead="a@example.com"),
            row(4, "a@example.com"),
            row(5, "x@example.com", lead="y@example.com"),
            row(6, "y@example.com", lead="x@example.com"),
        ]
    )

    assert outcome.written.people_created == 5
    leads = dict(Employee.objects.values_list("user__email", "team_lead__user__email"))
    assert leads == {
        "a@example.com": None,
        "b@example.com": "a@example.com",
        "c@example.com": "b@example.com",
        "x@example.com": "y@example.com",
        "y@example.com": "x@example.com",
    }
    history_rows = dict(
        (email, Employee.history.filter(user__email=email).count()) for email in leads
    )
    # One history row per person written with their lead; the cycle needed an update too.
    assert history_rows == {"a@example.com": 1, "b@example.com": 1, "c@example.com": 1,
                            "x@example.com": 2, "y@example.com": 2}


def test_the_denormalised_level_is_what_the_grade_services_would_compute():
    by = UserFactory(username="importer")
    run(
        [row(2, "a@example.com", level="middle", hire_date="2020-01-10"), row(3, "b@example.com", level="senior")],
        [
            history(11, "a@example.com", "junior-plus-plus", "2020-01-10", "hire"),
            history(12, "a@example.com", "middle", "2020-09-01", "promotion"),
        ],
        by=by,
    )

    for employee in Employee.objects.all():
        stored = (employee.current_level_id, employee.current_level_since)
        grade_services._refresh_current_level(employee)
        employee.refresh_from_db()
        assert (employee.current_level_id, employee.current_level_since) == stored
        assert set(employee.grade_changes.values_list("recorded_by", flat=True)) == {by.pk}
        assert Employee.history.filter(id=employee.pk).get().history_user == by
    a = Employee.objects.get(user__email="a@example.com")
    assert (a.current_level.code, a.current_level_since) == ("middle", D(2020, 9, 1))
    # Each entry keeps the start of the level before it, as grade_change_record writes it.
    assert list(a.grade_changes.chronological().values_list("kind", "previous_level_since")) == [
        ("hire", None), ("promotion", D(2020, 1, 10)),
    ]


def test_usernames_are_the_emails_unless_taken_or_not_allowed():
    UserFactory(username="taken@example.com", email="someone.else@example.com")

    run([row(2, "taken@example.com"), row(3, "o'brien@example.com"), row(4, "free@example.com")])

    usernames = dict(User.objects.filter(employee__isnull=False).values_list("email", "username"))
    assert usernames == {
        "taken@example.com": "taken-2",
        "o'brien@example.com": "obrien-2",
        "free@example.com": "free@example.com",
    }
    assert all(not u.has_usable_password() for u in User.objects.filter(employee__isnull=False))


def test_an_account_without_an_employee_is_used_rather_than_duplicated():
    account = UserFactory(username="ann", email="Ann@Example.com", first_name="Ann")

    run([row(2, "ann@example.com", first_name="Anna")])

    employee = Employee.objects.get()
    assert employee.user == account
    assert User.objects.filter(email__iexact="ann@example.com").count() == 1
    account.refresh_from_db()
    assert account.first_name == "Ann"  # the account is the person's own; the import does not rename it


def test_a_refusal_while_writing_rolls_back_everything(monkeypatch):
    lead = hire(user=UserFactory(email="lead@example.com"))

    def refuse(**kwargs):
        raise grade_services.GradeError("Refused for the test.")

    # A person here without a ledger goes through grade_change_record; make it refuse.
    monkeypatch.setattr(services, "_start_ledger", lambda *a, **k: refuse())
    EmployeeFactory(user=UserFactory(email="bare@example.com"), hire_date=D(2022, 1, 10))
    before = (User.objects.count(), Employee.objects.count())

    with pytest.raises(services.ImportRefused, match="Refused for the test. The data changed while the import ran"):
        run([row(2, "new@example.com", lead="lead@example.com"), row(3, "bare@example.com")])

    assert (User.objects.count(), Employee.objects.count()) == before
    assert not User.objects.filter(email="new@example.com").exists()
    assert lead.reports.count() == 0
