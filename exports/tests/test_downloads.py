"""Report downloads and the export_report command: access, format, hostile values, streaming."""

import csv
import datetime
import io
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from exports import csvstream, db
from exports.reports import REPORTS
from exports.services import csv_chunks, get_report
from grades.models import Employee, GradeChange, Level
from grades.services import grade_change_record
from grades.tests.factories import UserFactory, hire

# Committed data: on MariaDB the export reads through a connection of its own, which
# cannot see a test transaction. serialized_rollback restores the migrations' rows.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HOSTILE = [
    'He said "hi"',
    "a;b,c\td",
    "line1\nline2",
    "crlf\r\nend",
    "=SUM(A1:A9)",
    "-2+3",
    "+79001234567",
    "@cmd",
    "\tTabbed",
    "\rCarriage",
    "Ёлкина Анна-Мария",
    "emoji 🚀👩‍💻",
    "00123",
    " leading space",
    "trailing space ",
    "it's",
    "back\\slash \\n",
    "'already quoted",
    '"',
    ";",
    # Look-alikes that a case- or accent-insensitive collation treats as equal to ; = -
    "greek\u037equestion mark",
    "\uff1dfullwidth equals",
    "\u2010hyphen first",
    "\u00a0no-break space first",
]


@pytest.fixture
def manager(client):
    user = UserFactory(roles=["Manager"])
    client.force_login(user)
    return user


@pytest.fixture
def hostile_people():
    """People whose names and correction reasons are every hostile value, with real ledgers."""
    hr = UserFactory(username="hr-recorder", roles=["HR"])
    people = []
    for index, value in enumerate(HOSTILE):
        user = UserFactory(username=f"hostile{index}", first_name=value[:150], last_name=value[::-1][:150])
        employee = hire(user=user, level_code="middle", hire_date=datetime.date(2022, 1, 1))
        grade_change_record(
            employee=employee, kind="correction", level=Level.objects.get(code="middle-plus"),
            effective_date=datetime.date(2023, 1, 1), reason=value, by=hr,
        )
        people.append(employee)
    return people


def expected_grade_history(delimiter=";"):
    """What Python's csv module writes for the grade-history rows, read back through the ORM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(REPORTS["grade-history"].column_names)
    changes = (
        GradeChange.objects.select_related("employee__user", "track", "level", "recorded_by")
        .order_by("effective_date", "id")
    )
    for g in changes:
        writer.writerow(
            [
                g.pk,
                g.employee_id,
                csvstream.neutralise(g.employee.user.first_name),
                csvstream.neutralise(g.employee.user.last_name),
                g.track.slug,
                g.kind,
                g.level.name,
                g.effective_date.isoformat(),
                csvstream.neutralise(g.reason),
                g.recorded_by.username if g.recorded_by else "",
                g.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
            ]
        )
    return buffer.getvalue().encode("utf-8")


# --- Access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("roles, status", [(["Manager"], 200), (["HR"], 200), (["Developer"], 403),
                                           (["Team lead"], 403), (["Committee"], 403), ([], 403)])
def test_only_managers_and_hr_download(client, roles, status):
    client.force_login(UserFactory(roles=roles))
    assert client.get("/exports/").status_code == status
    response = client.get("/exports/roster.csv")
    assert response.status_code == status
    if status == 200:
        b"".join(response.streaming_content)


def test_anonymous_goes_to_login(client):
    for url in ["/exports/", "/exports/roster.csv"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_index_lists_every_report_with_its_filters(client, manager):
    body = client.get("/exports/").content.decode()
    for name, report in REPORTS.items():
        # HR-only reports (salary-bands) are not offered to a manager.
        assert (f"/exports/{name}.csv" in body) == (not report.restricted), name
    assert 'name="date_from"' in body and 'name="bom"' in body


def test_unknown_report_is_404(client, manager):
    assert client.get("/exports/salaries.csv").status_code == 404


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("delimiter=|", "delimiter"),
        ("track=../../etc", "track"),
        ("track=cobol", "track"),
        ("level=archmage", "level"),
        ("date_from=2024-13-01", "date_from"),
        ("date_from=2024-05-01&date_to=2024-04-01", "date_to"),
        ("status=maybe", "status"),
        ("bom=perhaps", "bom"),
    ],
)
def test_invalid_filters_are_400_naming_the_parameter(client, manager, query, parameter):
    name = "grade-history" if "date" in query else ("reviews" if "status" in query else "roster")
    response = client.get(f"/exports/{name}.csv?{query}")
    assert response.status_code == 400
    assert parameter in response.content.decode()


# --- Format -----------------------------------------------------------------------------------------


def test_download_headers_and_first_row(client, manager):
    hire(level_code="middle")
    response = client.get("/exports/roster.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = datetime.date.today().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="roster-{today}.csv"'
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith(";".join(REPORTS["roster"].column_names) + "\r\n")
    assert not body.startswith("\ufeff")


@pytest.mark.parametrize("param, delimiter", [("%3B", ";"), ("%2C", ","), ("tab", "\t")])
def test_delimiters(client, manager, param, delimiter):
    hire(level_code="middle")
    body = b"".join(client.get(f"/exports/roster.csv?delimiter={param}").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body), delimiter=delimiter))
    assert rows[0] == REPORTS["roster"].column_names
    assert len(rows[1]) == len(rows[0])


def test_bom_for_excel(client, manager):
    body = b"".join(client.get("/exports/roster.csv?bom=1").streaming_content)
    assert body.startswith(b"\xef\xbb\xbfemployee_id;")
    assert not b"".join(client.get("/exports/roster.csv?bom=0").streaming_content).startswith(b"\xef\xbb\xbf")


def test_hostile_values_equal_what_the_csv_module_writes(client, manager, hostile_people):
    for delimiter, param in [(";", "%3B"), (",", "%2C"), ("\t", "tab")]:
        body = b"".join(client.get(f"/exports/grade-history.csv?delimiter={param}").streaming_content)
        assert body == expected_grade_history(delimiter)
    # And they read back as the neutralised values.
    rows = list(csv.reader(io.StringIO(body.decode()), delimiter="\t"))
    reasons = [row[8] for row in rows[1:] if row[5] == "correction"]
    stored = GradeChange.objects.filter(kind="correction").values_list("reason", flat=True)
    assert sorted(reasons) == sorted(csvstream.neutralise(value) for value in stored)
    assert "'=SUM(A1:A9)" in reasons and "'-2+3" in reasons and "'@cmd" in reasons
    first_names = {row[2] for row in rows[1:]}
    # Names keep their leading tab and carriage return, neutralised.
    assert "'\tTabbed" in first_names and "'\rCarriage" in first_names
    assert "line1\nline2" in first_names and 'He said "hi"' in first_names


def test_numbers_and_dates_are_not_neutralised(client, manager):
    employee = hire(level_code="junior-plus", hire_date=datetime.date(2021, 2, 28))
    rows = list(csv.reader(io.StringIO(b"".join(client.get("/exports/roster.csv").streaming_content).decode()),
                           delimiter=";"))
    row = dict(zip(rows[0], rows[1]))
    assert row["employee_id"] == str(employee.pk)
    assert row["since"] == "2021-02-28"
    assert row["earliest_defense_date"] == "2021-08-28"


def test_filters_select_rows(client, manager):
    backend = hire(level_code="middle")
    fullstack = hire(level_code="senior", track_slug="fullstack")
    body = b"".join(client.get("/exports/roster.csv?track=fullstack").streaming_content).decode()
    ids = [row[0] for row in csv.reader(io.StringIO(body), delimiter=";")][1:]
    assert ids == [str(fullstack.pk)]
    body = b"".join(client.get("/exports/roster.csv?level=middle").streaming_content).decode()
    ids = [row[0] for row in csv.reader(io.StringIO(body), delimiter=";")][1:]
    assert ids == [str(backend.pk)]
    body = b"".join(
        client.get("/exports/grade-history.csv?date_from=2030-01-01").streaming_content
    ).decode()
    assert body.count("\r\n") == 1  # the header only


def test_sql_injection_in_filters_is_just_a_bad_value(client, manager):
    hire(level_code="middle")
    response = client.get("/exports/roster.csv", {"track": "backend' OR '1'='1"})
    assert response.status_code == 400
    assert Employee.objects.count() == 1


def test_skill_matrix_states(client, manager):
    from grades.models import Evidence, Requirement
    from grades.tests.factories import EvidenceFactory

    employee = hire(level_code="junior-plus")
    confirmed, rejected, waiting = Requirement.objects.filter(
        track=employee.track, check_kind="", track_level__level__rank__lte=3
    ).order_by("id")[:3]
    EvidenceFactory(employee=employee, requirement=confirmed, confirmed=True)
    EvidenceFactory(employee=employee, requirement=rejected, rejected=True)
    EvidenceFactory(employee=employee, requirement=waiting)
    body = b"".join(client.get("/exports/skill-matrix.csv").streaming_content).decode()
    rows = {row[5]: row for row in csv.reader(io.StringIO(body), delimiter=";")}
    assert rows[confirmed.key][8] == "confirmed" and rows[confirmed.key][9]
    assert rows[rejected.key][8] == "rejected"
    assert rows[waiting.key][8] == "claimed"
    expected_lines = Requirement.objects.filter(
        track=employee.track, is_active=True, track_level__level__rank__lte=3
    ).count()
    assert body.count("\r\n") == expected_lines + 1
    assert Evidence.objects.count() == 3


def test_every_report_downloads(client, hostile_people):
    client.force_login(UserFactory(roles=["HR"]))
    for name in REPORTS:
        response = client.get(f"/exports/{name}.csv")
        assert response.status_code == 200
        body = b"".join(response.streaming_content).decode("utf-8")
        rows = list(csv.reader(io.StringIO(body), delimiter=";"))
        assert rows[0] == REPORTS[name].column_names
        assert all(len(row) == len(rows[0]) for row in rows)


# --- The command --------------------------------------------------------------------------------------


def test_command_writes_the_same_bytes_as_the_download(client, hostile_people, tmp_path):
    hr = UserFactory(username="hr-exporter", roles=["HR"])
    client.force_login(hr)
    for name in REPORTS:
        out = tmp_path / f"{name}.csv"
        # HR-only reports (salary-bands) name the person they are for.
        as_user = ["--as-user", hr.username] if REPORTS[name].restricted else []
        call_command("export_report", name, "--output", str(out), "--delimiter", "tab", "--bom", *as_user)
        download = b"".join(client.get(f"/exports/{name}.csv?delimiter=tab&bom=1").streaming_content)
        assert out.read_bytes() == download, name


def test_command_filters_and_errors(tmp_path):
    hire(level_code="middle")
    out = tmp_path / "r.csv"
    call_command("export_report", "roster", "--output", str(out), "--track", "backend", "--level", "middle")
    assert out.read_bytes().count(b"\r\n") == 2
    with pytest.raises(CommandError, match="No report called 'payroll'"):
        call_command("export_report", "payroll")
    with pytest.raises(CommandError, match="level: No level wizard"):
        call_command("export_report", "roster", "--level", "wizard")
    with pytest.raises(CommandError, match="has no filter status"):
        call_command("export_report", "roster", "--status", "passed")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_report", "roster", "--output", str(tmp_path / "no" / "such.csv"))


def test_command_to_stdout():
    hire(level_code="middle")
    out = StringIO()
    call_command("export_report", "roster", stdout=out)
    assert out.getvalue().startswith("employee_id;first_name")


# --- Streaming ------------------------------------------------------------------------------------------


def test_download_is_streamed_in_chunks(client, manager, monkeypatch):
    for _ in range(30):
        hire(level_code="middle")
    monkeypatch.setattr(csvstream, "CHUNK_BYTES", 1)
    monkeypatch.setattr(csvstream, "FETCH_ROWS", 10)
    response = client.get("/exports/skill-matrix.csv")
    assert response.streaming
    chunks = list(response.streaming_content)
    assert len(chunks) > 10


def test_download_writes_nothing_and_runs_outside_a_transaction(client, manager):
    hire(level_code="middle")
    with CaptureQueriesContext(connection) as queries:
        b"".join(client.get("/exports/roster.csv").streaming_content)
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    # The session's last-activity write is the only one allowed, and there is none with force_login.
    assert writes == []


def test_a_client_that_goes_away_leaves_nothing_broken(client, manager, monkeypatch):
    monkeypatch.setattr(csvstream, "CHUNK_BYTES", 1)
    monkeypatch.setattr(csvstream, "FETCH_ROWS", 10)
    for _ in range(40):
        hire(level_code="middle")
    response = client.get("/exports/skill-matrix.csv")
    iterator = iter(response.streaming_content)
    next(iterator)
    next(iterator, None)
    response.close()  # what the server does when the client disconnects
    # The next download on the same worker (same thread, same connections) works in full.
    again = b"".join(client.get("/exports/skill-matrix.csv").streaming_content)
    full = b"".join(csv_chunks(get_report("skill-matrix"), {}))
    assert again == full
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


@pytest.mark.mysql_only
def test_mysql_export_connection_is_closed_when_the_client_goes_away(client, manager, monkeypatch):
    monkeypatch.setattr(csvstream, "CHUNK_BYTES", 1)
    monkeypatch.setattr(csvstream, "FETCH_ROWS", 10)
    # Slices of five people: when the client leaves, most slices are still to be read.
    monkeypatch.setattr(db, "SLICE_FIRST", 5)
    monkeypatch.setattr(db, "SLICE_LARGEST", 5)
    for _ in range(40):
        hire(level_code="middle")

    def connection_ids():
        with connections["default"].cursor() as cursor:
            # This test database's connections only: others may run tests on the same server.
            cursor.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE()")
            return {row[0] for row in cursor.fetchall()}

    before = connection_ids()
    response = client.get("/exports/skill-matrix.csv")
    try:
        iterator = iter(response.streaming_content)
        next(iterator)
        next(iterator)
        opened = connection_ids() - before
        # The export's own connection, one for every statement of the report.
        assert len(opened) == 1
    finally:
        response.close()
    # The server ends a thread a moment after its client quits: wait for that, boundedly.
    for _ in range(100):
        if not opened & connection_ids():
            break
        time.sleep(0.05)
    assert not opened & connection_ids()
    # And the next download, on the same thread, is whole.
    again = b"".join(client.get("/exports/skill-matrix.csv").streaming_content)
    assert again == b"".join(csv_chunks(get_report("skill-matrix"), {}))
    assert again.count(b"\r\n") > 40


def test_slices_grow_from_small_to_the_largest():
    steps = db.slice_steps(250, 4000)
    assert [next(steps) for _ in range(7)] == [250, 500, 1000, 2000, 4000, 4000, 4000]
    defaults = db.slice_steps()
    assert next(defaults) == db.SLICE_FIRST


def test_each_report_runs_a_fixed_number_of_statements(monkeypatch):
    """No statement per person: the count depends on the slices only, and every one is on the snapshot."""
    for _ in range(10):
        hire(level_code="middle")
    assert Employee.objects.filter(left_on__isnull=True).count() == 10
    statements = []
    stream = db.Snapshot.stream

    def counted(self, sql, params, size=None):
        statements.append(sql)
        return stream(self, sql, params, size)

    monkeypatch.setattr(db.Snapshot, "stream", counted)
    monkeypatch.setattr(db, "SLICE_FIRST", 2)
    monkeypatch.setattr(db, "SLICE_LARGEST", 4)
    b"".join(csv_chunks(get_report("skill-matrix"), {}))
    # The active requirements once; for each slice (2, 4 and 4 people) the people and their
    # claims; then the people statement once more, which finds nobody after the last slice.
    assert len(statements) == 1 + 3 * 2 + 1
    for name, report in REPORTS.items():
        if report.rows is None:
            statements.clear()
            b"".join(csv_chunks(report, {}))
            # The report's single SELECT.
            assert len(statements) == 1, name


def test_the_skill_matrix_is_the_same_cut_into_many_small_slices(monkeypatch):
    for i in range(11):
        hire(level_code=["junior", "middle", "senior"][i % 3])
    whole = b"".join(csv_chunks(get_report("skill-matrix"), {}))
    monkeypatch.setattr(db, "SLICE_FIRST", 1)
    monkeypatch.setattr(db, "SLICE_LARGEST", 3)
    sliced = b"".join(csv_chunks(get_report("skill-matrix"), {}))
    assert sliced == whole
    lines = whole.decode().split("\r\n")
    people = {line.split(";")[0] for line in lines[1:] if line}
    assert len(people) == Employee.objects.filter(left_on__isnull=True).count() >= 11


def _claims_in_every_state(people):
    """Claims of every kind on `people`: the states the skill matrix tells apart."""
    from grades.models import EvidenceStatus, Requirement
    from grades.tests.factories import EvidenceFactory

    decider = UserFactory(username="=decider", roles=["Developer"])
    for index, employee in enumerate(people):
        requirements = list(
            Requirement.objects.filter(track=employee.track, track_level__level__rank__lte=4).order_by("id")
        )
        by_data = [r for r in requirements if r.check_kind]
        by_people = [r for r in requirements if not r.check_kind]
        first, second, third, fourth = by_people[index % 3 : index % 3 + 4]
        EvidenceFactory(employee=employee, requirement=first, confirmed=True, decided_by=decider)
        EvidenceFactory(employee=employee, requirement=second, rejected=True)
        EvidenceFactory(employee=employee, requirement=third, rejected=True)
        EvidenceFactory(employee=employee, requirement=third)  # claimed again after a rejection
        EvidenceFactory(employee=employee, requirement=fourth, status=EvidenceStatus.WITHDRAWN)
        if by_data:
            EvidenceFactory(employee=employee, requirement=by_data[0], confirmed=True)


def expected_skill_matrix(filters, delimiter=";"):
    """What the skill matrix should hold, read through the ORM and written by the csv module."""
    from grades.models import Evidence, EvidenceStatus, Requirement

    people = (
        Employee.objects.filter(left_on__isnull=True, current_level__isnull=False)
        .select_related("user", "track", "current_level")
        .order_by("id")
    )
    if filters.get("track"):
        people = people.filter(track__slug=filters["track"])
    if filters.get("level"):
        people = people.filter(current_level__code=filters["level"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(REPORTS["skill-matrix"].column_names)
    text = csvstream.neutralise
    for person in people:
        requirements = (
            Requirement.objects.counted().filter(
                track=person.track, is_active=True, track_level__level__rank__lte=person.current_level.rank + 1
            )
            .select_related("track_level__level", "category", "group")
            .order_by("track_level__level__rank", "position", "id")
        )
        for requirement in requirements:
            claims = Evidence.objects.filter(employee=person, requirement=requirement)
            live = claims.filter(status__in=[EvidenceStatus.CLAIMED, EvidenceStatus.CONFIRMED]).first()
            if requirement.check_kind:
                state = "by_data"
            elif live is not None:
                state = live.status
            elif claims.filter(status=EvidenceStatus.REJECTED).exists():
                state = "rejected"
            else:
                state = "missing"
            confirmed = live if live is not None and live.status == EvidenceStatus.CONFIRMED else None
            writer.writerow([
                person.pk, text(person.user.first_name), text(person.user.last_name), text(person.track.slug),
                text(person.current_level.name), text(requirement.key), text(requirement.track_level.level.name),
                requirement.category_id, state,
                text(confirmed.decided_by.username) if confirmed else "",
                confirmed.decided_at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if confirmed else "",
                text(requirement.category.display_name),
                requirement.group.key if requirement.group else "",
                requirement.group.at_least if requirement.group else "",
            ])
    return buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize(
    "filters", [{}, {"track": "backend"}, {"level": "middle"}, {"track": "backend", "level": "senior"}]
)
def test_the_skill_matrix_holds_every_state_as_the_orm_reads_it(monkeypatch, hostile_people, filters):
    """The assembled rows are the report's definition, read another way: the same bytes, every state."""
    from grades.models import Requirement

    people = hostile_people[:6] + [hire(level_code=code) for code in ("junior", "senior", "senior-plus-plus", "middle")]
    _claims_in_every_state(people)
    left = hire(level_code="middle")
    Employee.objects.filter(pk=left.pk).update(left_on=datetime.date(2024, 1, 1))
    Requirement.objects.filter(pk=Requirement.objects.filter(track=left.track).order_by("id")[1].pk).update(
        is_active=False
    )
    report = get_report("skill-matrix")
    expected = expected_skill_matrix(filters)
    assembled = b"".join(csv_chunks(report, filters))
    assert assembled == expected
    rows = list(csv.reader(io.StringIO(assembled.decode()), delimiter=";"))
    assert len(rows) > 1
    if not filters:
        states = {row[8] for row in rows[1:]}
        assert states == {"confirmed", "rejected", "claimed", "missing", "by_data"}
        assert "'=decider" in {row[9] for row in rows[1:]}
        assert str(left.pk) not in {row[0] for row in rows[1:]}
    # Cut into slices of one to three people, still the same.
    monkeypatch.setattr(db, "SLICE_FIRST", 1)
    monkeypatch.setattr(db, "SLICE_LARGEST", 3)
    assert b"".join(csv_chunks(report, filters)) == expected
    # And with another delimiter.
    assert b"".join(csv_chunks(report, filters, delimiter="tab")) == expected_skill_matrix(filters, "\t")


def test_the_skill_matrix_names_themes_in_the_readers_language_and_groups_and_leaves_out_expectations(client, manager):
    """The entry level's expectations are no one's line; a group's lines carry its key and N."""
    from pathlib import Path

    from grades.versions import load_framework
    from grades.models import Requirement
    from grades.tests.factories import EvidenceFactory

    load_framework(Path(__file__).resolve().parents[2] / "grades" / "tests" / "frameworks" / "platform.yaml")
    person = hire(level_code="junior", track_slug="platform")
    python = Requirement.objects.get(track__slug="platform", key="python")
    EvidenceFactory(employee=person, requirement=python, confirmed=True)

    def table(language):
        client.cookies["django_language"] = language
        body = b"".join(client.get("/exports/skill-matrix.csv?track=platform").streaming_content).decode()
        rows = list(csv.reader(io.StringIO(body), delimiter=";"))
        header = rows[0]
        return {row[header.index("requirement")]: dict(zip(header, row)) for row in rows[1:]}

    rows = table("en")
    # Junior+ only: the Junior level's expectation is on nobody's checklist.
    assert set(rows) == {"writes-tests", "python", "go", "rust", "explains-work"}
    assert {k: rows["python"][k] for k in ("category", "category_name", "group", "group_at_least", "state")} == {
        "category": "hard_skill", "category_name": "Hard skill", "group": "languages", "group_at_least": "2",
        "state": "confirmed",
    }
    assert {k: rows["explains-work"][k] for k in ("category", "category_name", "group", "group_at_least")} == {
        "category": "communication", "category_name": "Communication", "group": "", "group_at_least": "",
    }
    rows = table("ru")
    assert rows["python"]["category_name"] == "Технические навыки"
    assert rows["explains-work"]["category_name"] == "Коммуникация"
    # The column names are the contract: the same in every language.
    assert list(rows["python"]) == REPORTS["skill-matrix"].column_names
