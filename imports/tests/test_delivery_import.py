"""The delivery facts spreadsheet in admin: upload, preview, confirm; bad rows write nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from grades import services as grade_services
from grades.models import DeliveryFact
from grades.tests.factories import UserFactory, hire
from imports import delivery
from imports.models import ImportKind, ImportRun

from .test_admin import confirm, csv_bytes, upload

pytestmark = pytest.mark.django_db

D = datetime.date
URL = reverse("admin:imports_importrun_delivery")
HEADER = ["email", "period_start", "period_end", "committed", "done", "measure", "value", "unit", "link"]


@pytest.fixture
def people():
    lead = hire(level_code="senior", roles=["Developer", "Team lead"], user=UserFactory(email="lead@example.com"))
    anna = hire(level_code="middle", team_lead=lead, user=UserFactory(email="anna@example.com"))
    boris = hire(level_code="junior-plus", team_lead=lead, user=UserFactory(email="boris@example.com"))
    return dict(lead=lead, anna=anna, boris=boris)


@pytest.fixture
def hr(client):
    user = UserFactory(username="hr", roles=["HR"], is_staff=True)
    client.force_login(user)
    return user


def state():
    return (
        list(DeliveryFact.objects.order_by("id").values()),
        list(DeliveryFact.history.order_by("history_id").values()),
        list(ImportRun.objects.order_by("id").values()),
    )


GOOD = [
    HEADER,
    ["Anna@example.com", "2024-01-01", "2024-01-14", "20", "18", "", "", "story points", "https://jira.example.com/b/1"],
    ["anna@example.com", "15.01.2024", "28.01.2024", "20", "21,5", "", "", "story points", ""],
    ["anna@example.com", "2024-01-01", "2024-03-31", "", "", "Releases", "4", "releases", ""],
    ["boris@example.com", "2024-01-01", "2024-01-14", "10", "6", "sprint completion", "", "", ""],
]


def test_preview_lists_the_rows_and_writes_nothing(client, hr, people):
    before = state()
    response = upload(client, URL, csv_bytes(GOOD), name="q1.csv")
    assert response.status_code == 200
    plan = response.context["plan"]
    assert [row.action for row in plan.rows] == ["create"] * 4
    assert response.context["to_write"] == 4 and not response.context["problems"]
    body = response.content.decode()
    assert "Confirm and import" in body and "Releases" in body and "21.5" in body
    assert state() == before


def test_confirm_writes_the_facts_with_their_history_and_the_import_record(client, hr, people):
    response = upload(client, URL, csv_bytes(GOOD), name="q1.csv")
    done = confirm(client, URL, response)
    assert done.status_code == 302 and done.url == reverse("admin:imports_importrun_changelist")
    facts = list(DeliveryFact.objects.order_by("id"))
    assert [(f.employee, f.measure, f.committed, f.done, f.value, f.unit) for f in facts] == [
        (people["anna"], "", Decimal(20), Decimal(18), None, "story points"),
        (people["anna"], "", Decimal(20), Decimal("21.5"), None, "story points"),
        (people["anna"], "Releases", None, None, Decimal(4), "releases"),
        (people["boris"], "", Decimal(10), Decimal(6), None, ""),
    ]
    assert all(f.recorded_by == hr for f in facts)
    assert {(r.history_user, r.history_change_reason) for r in DeliveryFact.history.all()} == {
        (hr, "delivery spreadsheet import"),
    }
    assert DeliveryFact.history.count() == 4
    run = ImportRun.objects.get()
    assert (run.kind, run.source, run.recorded_by, run.written, run.skipped) == (ImportKind.DELIVERY_CSV, "q1.csv", hr, 4, 0)

    # The same file again: every row is already here; nothing to write.
    before = state()
    again = upload(client, URL, csv_bytes(GOOD))
    assert [row.action for row in again.context["plan"].rows] == ["unchanged"] * 4
    assert "Confirm and import" not in again.content.decode()
    confirm(client, URL, again)
    assert state() == before


BAD = [
    HEADER,
    ["nobody@example.com", "2024-01-01", "2024-01-14", "20", "18", "", "", "", ""],
    ["anna@example.com", "2024-02-30", "2024-03-10", "20", "18", "", "", "", ""],
    ["anna@example.com", "2024-03-20", "2024-03-11", "20", "18", "", "", "", ""],
    ["anna@example.com", "2024-04-01", "2024-04-14", "20", "18", "", "", "", ""],
    ["anna@example.com", "2024-04-10", "2024-04-24", "20", "18", "", "", "", ""],
    ["boris@example.com", "2024-01-01", "2024-01-14", "-3", "18", "", "", "", ""],
    ["boris@example.com", "2024-01-15", "2024-01-28", "20", "lots", "", "", "", ""],
    ["boris@example.com", "2024-02-01", "2024-02-29", "", "", "Velocity", "-1", "", ""],
    ["boris@example.com", "2024-03-01", "2024-03-14", "20", "10", "", "", "", "ftp://files.example.com/x"],
    ["boris@example.com", "2023-12-20", "2024-01-05", "20", "20", "", "", "", ""],
    ["anna@example.com", "2024-05-01", "2024-05-14", "20", "18", "", "", "", ""],
]


def test_bad_rows_get_clear_messages_and_the_file_writes_nothing(client, hr, people):
    # A stored fact that row 11 overlaps.
    grade_services.delivery_fact_record(
        employee=people["boris"], by=people["lead"].user, period_start=D(2023, 12, 25), period_end=D(2024, 1, 7),
        committed=Decimal(5), done=Decimal(5),
    )
    before = state()
    response = upload(client, URL, csv_bytes(BAD))
    problems = [str(problem) for problem in response.context["problems"]]
    assert problems == [
        "row 2: email: nobody here has the e-mail nobody@example.com",
        "row 3: period_start: '2024-02-30' is not a date (expected YYYY-MM-DD or DD.MM.YYYY)",
        "row 4: The period ends on 2024-03-11, before it starts (2024-03-20).",
        "row 5: the period 2024-04-01 – 2024-04-14 overlaps row(s) 6 of the same person and measure",
        "row 6: the period 2024-04-10 – 2024-04-24 overlaps row(s) 5 of the same person and measure",
        "row 7: committed cannot be negative (-3).",
        "row 8: done: 'lots' is not a number",
        "row 8: Sprint completion needs both the committed and the done amounts.",
        "row 9: value cannot be negative (-1).",
        "row 10: “ftp://files.example.com/x” is not an http(s) link.",
        "row 11: the period 2023-12-20 – 2024-01-05 overlaps the fact of 2023-12-25 – 2024-01-07 already "
        "recorded for boris@example.com; correct that one on the person's delivery page",
    ]
    # Row 12 is fine, but a file with problems writes nothing, and says so.
    assert [row.action for row in response.context["plan"].rows][-1] == "create"
    body = response.content.decode()
    assert response.context["to_write"] == 0 and "Confirm and import" not in body
    assert "Nothing will be written while a row has a problem" in body
    assert "nobody here has the e-mail nobody@example.com" in body

    # A confirmation sent anyway (the token of this preview) is refused: nothing written.
    refused = confirm(client, URL, response)
    assert refused.status_code == 200 and "rows with problems; nothing was written" in refused.content.decode()
    assert state() == before


def test_a_fact_recorded_between_preview_and_confirm_refuses_the_file(client, hr, people):
    response = upload(client, URL, csv_bytes(GOOD[:2]))
    grade_services.delivery_fact_record(
        employee=people["anna"], by=people["lead"].user, period_start=D(2024, 1, 10), period_end=D(2024, 1, 20),
        committed=Decimal(5), done=Decimal(5),
    )
    before = state()
    again = confirm(client, URL, response)
    assert again.status_code == 200
    assert "overlaps the fact of 2024-01-10 – 2024-01-20" in again.content.decode()
    assert state() == before


def test_a_header_without_the_required_columns_is_refused(client, hr, people):
    response = upload(client, URL, csv_bytes([["email", "start", "end"], ["anna@example.com", "2024-01-01", "2024-01-14"]]))
    assert response.status_code == 200
    assert "no column(s) period_start, period_end" in response.content.decode()
    assert not DeliveryFact.objects.exists()


def test_only_someone_who_may_add_facts_imports_them(client, people):
    lead = people["lead"].user
    lead.is_staff = True
    lead.save()
    client.force_login(lead)
    assert client.get(URL).status_code == 403
    assert upload(client, URL, csv_bytes(GOOD)).status_code == 403
    assert not DeliveryFact.objects.exists()


def test_hr_finds_the_import_in_the_list_of_imports(client, hr):
    body = client.get(reverse("admin:imports_importrun_changelist")).content.decode()
    assert URL in body


@pytest.mark.parametrize("raw, number", [
    ("", None), (" 12 ", Decimal(12)), ("12,5", Decimal("12.5")), ("1 234,5", Decimal("1234.5")), ("0.25", Decimal("0.25")),
])
def test_numbers_as_spreadsheets_write_them(raw, number):
    assert delivery.parse_number(raw) == number


@pytest.mark.parametrize("raw", ["abc", "NaN", "Infinity", "1,2.3"])
def test_what_is_not_a_number(raw):
    with pytest.raises(ValueError):
        delivery.parse_number(raw)
