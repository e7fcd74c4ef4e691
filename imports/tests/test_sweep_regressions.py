"""
The people import against hostile or surprising input: dates no form would take, rows
that land on an account already here, and data that changes between preview and confirm.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import translation

from grades.models import Employee, GradeChange, Level, Track
from grades.tests.factories import UserFactory, hire
from imports import people, rules
from imports.models import ImportRun
from imports.rules import Action, SourceRow

from .conftest import snapshot
from .test_admin import PEOPLE_URL, confirm, csv_bytes, upload

pytestmark = pytest.mark.django_db

D = datetime.date
User = get_user_model()
HEADER = ["email", "first_name", "last_name", "track", "level", "hire_date", "probation_end", "career_start", "team_lead_email"]
OUT_OF_RANGE = "is outside the accepted dates (1900-01-01 to 2999-12-31)"


@pytest.fixture
def hr(client):
    user = UserFactory(username="hr", roles=["HR"], is_staff=True)
    client.force_login(user)
    return user


def row(email, *, hire="2021-03-01", probation="", career="", lead="", level="middle", track="backend"):
    return [email, "Anna", "Test", track, level, hire, probation, career, lead]


# --- One date range for a person's dates ------------------------------------------------------


def test_the_preview_refuses_hire_dates_no_form_would_take_and_names_each_row(client, hr):
    before = snapshot()
    data = csv_bytes([
        HEADER,
        row("first@example.com", hire="0001-01-01"),
        row("last@example.com", hire="9999-12-31"),
        row("dotted@example.com", hire="01.01.0001"),
        row("probation@example.com", probation="9999-12-31"),
        row("career@example.com", career="0001-01-01"),
        row("fine@example.com"),
    ])

    response = upload(client, PEOPLE_URL, data)

    assert response.status_code == 200
    assert [str(p) for p in response.context["problems"]] == [
        f"row 2: hire_date 0001-01-01 {OUT_OF_RANGE}",
        f"row 3: hire_date 9999-12-31 {OUT_OF_RANGE}",
        f"row 4: hire_date 0001-01-01 {OUT_OF_RANGE}",
        f"row 5: probation_end 9999-12-31 {OUT_OF_RANGE}",
        f"row 6: career_start 0001-01-01 {OUT_OF_RANGE}",
    ]
    assert f"hire_date 9999-12-31 {OUT_OF_RANGE}" in response.content.decode()
    assert [p.email for p in response.context["plan"].people if p.writes] == ["fine@example.com"]
    assert snapshot() == before

    confirm(client, PEOPLE_URL, response)

    assert list(Employee.objects.values_list("user__email", flat=True)) == ["fine@example.com"]
    assert not Employee.objects.filter(hire_date__lt=D(1900, 1, 1)).exists()
    assert not Employee.objects.filter(hire_date__gt=D(2999, 12, 31)).exists()
    assert not GradeChange.objects.filter(effective_date__gt=D(2999, 12, 31)).exists()


def test_the_legacy_planner_refuses_them_in_history_rows_too():
    from .test_rules import facts, history, person

    plan = rules.plan_people(
        [person("1", "a@example.com", level="junior-plus", hire="2022-01-10")],
        [
            history("11", "a@example.com", "junior", "2022-01-10", "hire"),
            history("12", "a@example.com", "junior-plus", "9999-12-31", "promotion"),
        ],
        facts(),
    )

    assert plan.people[0].action == Action.SKIP
    assert [str(p) for p in plan.history_problems] == [f"history row 12, key 12: date 9999-12-31 {OUT_OF_RANGE}"]


@pytest.mark.parametrize("day", [D(1, 1, 1), D(1899, 12, 31), D(3000, 1, 1), D(9999, 12, 31)])
def test_the_import_uses_the_rule_of_the_forms(day):
    """The same dates are refused by the employee's own field (admin and web forms) and by the import."""
    employee = Employee(hire_date=day, career_start=D(2000, 1, 1))
    with pytest.raises(ValidationError) as caught:
        employee.full_clean(exclude=["user", "track"])
    assert "hire_date" in caught.value.message_dict
    assert rules.date_range_problem("hire_date", day)

    for edge in (D(1900, 1, 1), D(2999, 12, 31)):
        assert rules.date_range_problem("hire_date", edge) == ""


@pytest.mark.parametrize("path", ["grade-change", "track-change"])
def test_the_admin_ledger_forms_refuse_them_too_and_write_nothing(client, hr, path):
    employee = hire(level_code="junior", hire_date=D(2022, 1, 10))
    before = snapshot()
    data = {
        "kind": "promotion",
        "level": Level.objects.get(code="junior-plus").pk,
        "track": Track.objects.get(slug="fullstack").pk,
        "effective_date": "9999-12-31",
        "reason": "Moved to the web team.",
    }

    response = client.post(f"/admin/grades/employee/{employee.pk}/{path}/", data)

    assert response.status_code == 200
    assert "Enter a date between 1900-01-01 and 2999-12-31." in response.content.decode()
    assert snapshot() == before


# --- A row whose e-mail belongs to an account here without an employee --------------------------


@pytest.fixture
def account():
    """An account the system has (a committee member, say) with no employee row."""
    user = UserFactory(username="carl", email="Carl@Example.com", roles=["Committee"])
    return user


def test_the_preview_shows_a_link_to_an_existing_account_apart_from_new_people(client, hr, account):
    before = snapshot()
    data = csv_bytes([HEADER, row("carl@example.com"), row("new@example.com")])

    response = upload(client, PEOPLE_URL, data)

    plan = response.context["plan"]
    assert [(p.email, p.action) for p in plan.people] == [
        ("carl@example.com", Action.LINK), ("new@example.com", Action.CREATE),
    ]
    counts = dict(response.context["counts"])
    assert counts["new people"] == 1
    assert counts["links to an existing account"] == 1
    body = response.content.decode()
    assert "links to an existing account" in body and "(carl)" in body
    assert snapshot() == before


def test_the_link_label_is_in_russian_too(client, hr, account):
    with translation.override("ru"):
        response = client.post(
            PEOPLE_URL,
            {"file": _file(csv_bytes([HEADER, row("carl@example.com")]))},
            HTTP_ACCEPT_LANGUAGE="ru",
        )
    body = response.content.decode()
    assert "привязка к существующей учётной записи" in body
    assert "links to an existing account" not in body


def _file(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("people.csv", data, content_type="text/csv")


def test_confirming_a_link_makes_the_employee_on_that_account_and_keeps_the_account(client, hr, account):
    password, groups = account.password, set(account.groups.values_list("name", flat=True))
    response = upload(client, PEOPLE_URL, csv_bytes([HEADER, row("carl@example.com"), row("new@example.com")]))

    done = confirm(client, PEOPLE_URL, response)

    assert done.status_code == 302
    assert User.objects.filter(email__iexact="carl@example.com").count() == 1
    carl = Employee.objects.select_related("user").get(user__email__iexact="carl@example.com")
    assert carl.user == account
    account.refresh_from_db()
    assert account.password == password and account.username == "carl"
    assert set(account.groups.values_list("name", flat=True)) == groups
    assert carl.grade_changes.get().kind == "hire"
    run = ImportRun.objects.get()
    assert run.written == 2
    assert "1 created, 1 linked to an existing account" in run.report


# --- Confirming checks the database as it is then ---------------------------------------------


def test_an_account_made_between_preview_and_confirm_writes_nothing_and_shows_a_new_preview(client, hr):
    response = upload(client, PEOPLE_URL, csv_bytes([HEADER, row("carl@example.com"), row("new@example.com")]))
    assert [p.action for p in response.context["plan"].people] == [Action.CREATE, Action.CREATE]
    # Meanwhile an administrator makes Carl's account by hand.
    carl = UserFactory(username="carl", email="carl@example.com")
    before = snapshot()

    again = confirm(client, PEOPLE_URL, response)

    assert again.status_code == 200
    body = again.content.decode()
    assert "The data changed since the preview; nothing was written." in body
    assert [p.action for p in again.context["plan"].people] == [Action.LINK, Action.CREATE]
    assert "links to an existing account" in body
    assert snapshot() == before
    assert not ImportRun.objects.exists()

    # The new preview is what a second confirmation writes.
    confirm(client, PEOPLE_URL, again)
    assert Employee.objects.get(user__email="carl@example.com").user == carl
    assert User.objects.filter(email="carl@example.com").count() == 1


def test_an_account_removed_between_preview_and_confirm_writes_nothing(client, hr, account):
    response = upload(client, PEOPLE_URL, csv_bytes([HEADER, row("carl@example.com")]))
    assert response.context["plan"].people[0].action == Action.LINK
    account.delete()
    before = snapshot()

    again = confirm(client, PEOPLE_URL, response)

    assert again.status_code == 200
    assert "nothing was written" in again.content.decode()
    assert again.context["plan"].people[0].action == Action.CREATE
    assert snapshot() == before


def test_a_team_lead_replaced_between_preview_and_confirm_writes_nothing(client, hr):
    lead = hire(level_code="senior", user=UserFactory(username="lena", email="lena@example.com"))
    response = upload(client, PEOPLE_URL, csv_bytes([HEADER, row("new@example.com", lead="lena@example.com")]))
    assert response.context["plan"].people[0].team_lead_id == lead.pk
    # The lead's address moves to another employee: the new person would report to someone else.
    User.objects.filter(pk=lead.user_id).update(email="lena.old@example.com")
    other = hire(level_code="senior", user=UserFactory(username="lena2", email="lena@example.com"))
    before = snapshot()

    again = confirm(client, PEOPLE_URL, response)

    assert again.status_code == 200 and "nothing was written" in again.content.decode()
    assert again.context["plan"].people[0].team_lead_id == other.pk
    assert snapshot() == before


def test_the_service_refuses_a_stale_fingerprint_directly(account):
    rows = [SourceRow(number=2, key="row 2", values=dict(zip(HEADER, row("new@example.com"))))]
    seen = rules.fingerprint(people.plan(rows, people_source="row", require_key=False))
    UserFactory(username="newbie", email="new@example.com")
    before = snapshot()

    with pytest.raises(people.services.PreviewOutdated):
        people.import_people(
            rows, kind="people_csv", source="people.csv", people_source="row", require_key=False,
            expected_fingerprint=seen,
        )

    assert snapshot() == before
