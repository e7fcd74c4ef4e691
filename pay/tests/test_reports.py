"""Pay data leaves the product only as the HR-only salary-bands report: web, command, analytics."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from exports.analytics import VIEWS
from exports.reports import REPORTS
from exports.services import csv_chunks
from grades.models import Level
from grades.tests.factories import UserFactory
from pay.tests.factories import SalaryBandFactory, ladder, track

# Committed data: on MariaDB the export reads through a connection of its own, which
# cannot see a test transaction. serialized_rollback restores the migrations' rows.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

D = Decimal
URL = "/exports/salary-bands.csv"
HEADER = ["level", "track", "currency", "minimum", "maximum", "valid_from", "in_force"]
MINIMUMS = [1000, 1500, 2000, 3000, 3500, 4000, 5000, 6000, 7000]


def csv_rows(body: bytes, delimiter=";") -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8")), delimiter=delimiter))


def download(client, user, url=URL):
    client.force_login(user)
    return client.get(url)


@pytest.fixture
def bands():
    today = timezone.localdate()
    old = SalaryBandFactory(level=Level.objects.get(code="middle"), track=track("backend"),
                            minimum=D("2900.50"), maximum=D(3400), valid_from=today.replace(year=today.year - 1))
    current = SalaryBandFactory(level=Level.objects.get(code="middle"), track=track("backend"),
                                minimum=D(3000), maximum=D(3500), valid_from=today)
    future = SalaryBandFactory(level=Level.objects.get(code="middle"), track=track("backend"),
                               minimum=D(3100), maximum=D(3600), valid_from=today + datetime.timedelta(days=1))
    general = SalaryBandFactory(level=Level.objects.get(code="junior"), track=None, currency="USD",
                                minimum=D(1000), maximum=D(1500), valid_from=today.replace(year=today.year - 2))
    fullstack = SalaryBandFactory(level=Level.objects.get(code="senior"), track=track("fullstack"),
                                  minimum=D(5000), maximum=D(6000), valid_from=today)
    return dict(old=old, current=current, future=future, general=general, fullstack=fullstack)


@pytest.mark.parametrize("roles, superuser, status", [
    (["HR"], False, 200),
    ([], True, 200),
    (["Manager"], False, 403),
    (["Manager", "Team lead"], False, 403),
    (["Developer"], False, 403),
    (["Committee"], False, 403),
])
def test_only_hr_and_admins_download_salary_bands(client, bands, roles, superuser, status):
    response = download(client, UserFactory(roles=roles, is_superuser=superuser))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"].startswith("text/csv")
        assert csv_rows(b"".join(response.streaming_content))[0] == HEADER
    else:
        assert b"3000" not in response.content and b"EUR" not in response.content


def test_managers_keep_their_other_reports_and_do_not_see_this_one_listed(client):
    manager = UserFactory(roles=["Manager"])
    assert download(client, manager, "/exports/roster.csv").status_code == 200
    body = download(client, manager, "/exports/").content.decode()
    assert "/exports/roster.csv" in body and "/exports/salary-bands.csv" not in body
    hr_body = download(client, UserFactory(roles=["HR"]), "/exports/").content.decode()
    assert "/exports/salary-bands.csv" in hr_body


def test_the_file_holds_every_band_with_whether_it_is_in_force(client, bands):
    today = timezone.localdate()
    rows = csv_rows(b"".join(download(client, UserFactory(roles=["HR"])).streaming_content))
    assert rows == [
        HEADER,
        # Level rank, then track slug (all tracks first), currency, date.
        ["Junior", "", "USD", "1000.00", "1500.00", today.replace(year=today.year - 2).isoformat(), "1"],
        ["Middle", "backend", "EUR", "2900.50", "3400.00", today.replace(year=today.year - 1).isoformat(), "0"],
        ["Middle", "backend", "EUR", "3000.00", "3500.00", today.isoformat(), "1"],
        ["Middle", "backend", "EUR", "3100.00", "3600.00", (today + datetime.timedelta(days=1)).isoformat(), "0"],
        ["Senior", "fullstack", "EUR", "5000.00", "6000.00", today.isoformat(), "1"],
    ]


@pytest.mark.parametrize("query, expected", [
    # A track's report holds the all-tracks bands too: they apply to it.
    ("?track=backend", [("Junior", ""), ("Middle", "backend"), ("Middle", "backend"), ("Middle", "backend")]),
    ("?track=fullstack", [("Junior", ""), ("Senior", "fullstack")]),
    ("?level=middle", [("Middle", "backend")] * 3),
    ("?track=fullstack&level=middle", []),
])
def test_filters(client, bands, query, expected):
    rows = csv_rows(b"".join(download(client, UserFactory(roles=["HR"]), URL + query).streaming_content))
    assert [(row[0], row[1]) for row in rows[1:]] == expected


def test_a_bad_filter_is_a_400_for_hr_and_a_403_for_a_manager(client):
    assert download(client, UserFactory(roles=["HR"]), URL + "?track=cobol").status_code == 400
    assert download(client, UserFactory(roles=["Manager"]), URL + "?track=cobol").status_code == 403


# --- The command ------------------------------------------------------------------------------------


def test_the_command_needs_an_hr_person_or_an_admin(client, bands, tmp_path):
    UserFactory(username="boss", roles=["Manager"])
    UserFactory(username="hr-anna", roles=["HR"])
    UserFactory(username="root", is_superuser=True)
    out = tmp_path / "bands.csv"
    with pytest.raises(CommandError, match="The salary-bands report is for HR only: pass --as-user"):
        call_command("export_report", "salary-bands", "--output", str(out))
    with pytest.raises(CommandError, match="boss may not download the salary-bands report; it is for HR only."):
        call_command("export_report", "salary-bands", "--output", str(out), "--as-user", "boss")
    with pytest.raises(CommandError, match="No active user 'nobody'."):
        call_command("export_report", "salary-bands", "--output", str(out), "--as-user", "nobody")
    assert not out.exists()
    call_command("export_report", "salary-bands", "--output", str(out), "--as-user", "hr-anna")
    web = b"".join(download(client, UserFactory(roles=["HR"])).streaming_content)
    assert out.read_bytes() == web
    call_command("export_report", "salary-bands", "--output", str(out), "--as-user", "root")
    assert out.read_bytes() == web


def test_other_reports_need_no_user_and_take_a_manager(tmp_path):
    UserFactory(username="boss", roles=["Manager"])
    UserFactory(username="dev", roles=["Developer"])
    out = tmp_path / "roster.csv"
    call_command("export_report", "roster", "--output", str(out))
    call_command("export_report", "roster", "--output", str(out), "--as-user", "boss")
    assert out.read_bytes().startswith(b"employee_id;")
    with pytest.raises(CommandError, match="dev may not download the roster report"):
        call_command("export_report", "roster", "--output", str(out), "--as-user", "dev")


def test_amounts_read_the_same_on_every_database():
    SalaryBandFactory(minimum=D("0.05"), maximum=D("9999999999.99"))
    body = b"".join(csv_chunks(REPORTS["salary-bands"], {}, delimiter=";"))
    assert csv_rows(body)[1][3:5] == ["0.05", "9999999999.99"]


# --- Analytics ----------------------------------------------------------------------------------------


def test_no_analytics_view_touches_pay():
    for view in VIEWS:
        text = " ".join([view.select, *view.tables, *view.columns]).lower()
        for word in ("pay_", "salary", "band", "minimum", "maximum", "currency"):
            assert word not in text, (view.name, word)


def test_the_analytics_views_in_the_database_do_not_read_the_band_table():
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute(
                "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'analytics%%'"
            )
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view' AND name LIKE 'analytics%%'")
        definitions = cursor.fetchall()
    assert len(definitions) == len(VIEWS)
    assert not [name for name, sql in definitions if "pay_salaryband" in sql.lower()]
