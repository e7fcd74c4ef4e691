"""One snapshot per report: a download shows the database as it was when it began, in every row.

Promotions, decisions and hires are committed for real while a download is half
read, and the file must not show any of them. On MariaDB the test's own
connection commits while the export reads through its connection; on SQLite a
second process shares a database file with the reader (the suite's in-memory
database can have no second writer beside a reader).
"""

import csv
import datetime
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, connections

from exports import csvstream, db
from exports.services import csv_chunks, get_report
from grades.models import Employee, Evidence, EvidenceStatus, Level
from grades.services import claimable_requirements, evidence_claim, evidence_decide, grade_change_record
from grades.tests.factories import UserFactory, hire

PROJECT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def organisation():
    """A team lead, HR, and eight people at different levels, each with a claim waiting."""
    hr = UserFactory(username="hr-snapshot", roles=["HR"])
    lead = hire(level_code="senior", user=UserFactory(username="lead-snapshot", roles=["Team lead"]))
    people = [
        hire(level_code=code, team_lead=lead, hire_date=datetime.date(2021, 1, 11))
        for code in ("junior-plus", "middle", "middle-plus", "senior", "junior-plus", "middle", "senior", "middle")
    ]
    for person in people:
        requirement = claimable_requirements(person).order_by("id").first()
        evidence_claim(employee=person, requirement=requirement, description="Shipped it", by=person.user)
    return {"hr": hr, "lead": lead, "people": people}


def next_level(employee: Employee) -> Level:
    return Level.objects.get(rank=employee.current_level.rank + 1)


def commit_changes(organisation) -> None:
    """Committed from the test's own connection: two promotions, a confirmation, a hire."""
    hr, people = organisation["hr"], organisation["people"]
    today = datetime.date.today()
    for person in (people[0], people[-1]):  # rows already sent, and rows still to come
        grade_change_record(employee=person, kind="promotion", level=next_level(person), effective_date=today, by=hr)
    for person in (people[0], people[-1]):
        claim = Evidence.objects.get(employee=person, status=EvidenceStatus.CLAIMED)
        evidence_decide(evidence=claim, confirm=True, by=hr)
    hire(level_code="middle", team_lead=organisation["lead"])


def ids_in(data: bytes) -> set[str]:
    """The employee ids of the complete lines in `data`."""
    lines = data.decode("utf-8").split("\r\n")[1:-1]
    return {row[0] for row in csv.reader(lines, delimiter=";")}


@pytest.fixture
def row_by_row(monkeypatch):
    """One row per chunk and slices of one or two people, so a download can be stopped anywhere."""
    monkeypatch.setattr(csvstream, "CHUNK_BYTES", 1)
    monkeypatch.setattr(csvstream, "FETCH_ROWS", 1)
    monkeypatch.setattr(db, "SLICE_FIRST", 1)
    monkeypatch.setattr(db, "SLICE_LARGEST", 2)


def innodb_transactions(thread_id: int) -> list[tuple]:
    """The isolation level and read-only flag of the InnoDB transactions of `thread_id`.

    InnoDB serves INNODB_TRX from a copy it refreshes only when nobody has read the
    table for 0.1 s (every read restarts that wait), so a read soon after another
    session's (a test on the other worker) can show the transactions as they were
    before the export began. A pause longer than that before each read gets a fresh
    copy; the read is repeated a few times in case another session read in between.
    """
    rows: list[tuple] = []
    for _ in range(10):
        time.sleep(0.15)
        with connections["default"].cursor() as cursor:
            cursor.execute(
                "SELECT trx_isolation_level, trx_is_read_only FROM information_schema.INNODB_TRX "
                "WHERE trx_mysql_thread_id = %s",
                [thread_id],
            )
            rows = list(cursor.fetchall())
        if rows:
            break
    return rows


def export_connection_ids() -> set[int]:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE()"
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.mysql_only
@pytest.mark.parametrize("name", ["skill-matrix", "roster"])
@pytest.mark.parametrize("stop", ["after the header", "half way"])
def test_mariadb_download_shows_the_database_as_it_was_when_it_began(client, organisation, row_by_row, name, stop):
    client.force_login(organisation["hr"])
    url = f"/exports/{name}.csv"
    before = b"".join(client.get(url).streaming_content)
    lines = before.count(b"\r\n")
    assert lines > 9  # the header and at least the lead and the eight people

    others = export_connection_ids()
    response = client.get(url)
    # Closed also when an assertion fails: a half-read export holds its snapshot open.
    try:
        chunks = iter(response.streaming_content)
        read = [next(chunks)]  # the header
        while stop == "half way" and sum(chunk.count(b"\r\n") for chunk in read) < lines // 2:
            read.append(next(chunks))
        [export] = export_connection_ids() - others
        if stop == "half way":
            # The first person's rows have been sent, the last person's not yet.
            sent = ids_in(b"".join(read))
            assert str(organisation["people"][0].pk) in sent
            assert str(organisation["people"][-1].pk) not in sent
        # The export reads in a read-only REPEATABLE READ transaction of its own.
        assert innodb_transactions(export) == [("REPEATABLE READ", 1)]

        commit_changes(organisation)
        read.extend(chunks)
        assert b"".join(read) == before
    finally:
        response.close()

    # The changes were committed: the next download shows them.
    after = b"".join(client.get(url).streaming_content)
    assert after != before
    last = organisation["people"][-1]
    last.refresh_from_db()
    rows = [row for row in csv.reader(io.StringIO(after.decode()), delimiter=";")][1:]
    assert {row[4 if name == "skill-matrix" else 5] for row in rows if row[0] == str(last.pk)} == {
        last.current_level.name
    }
    assert len(ids_in(after)) == len(ids_in(before)) + 1
    if name == "skill-matrix":
        assert "confirmed" not in {row[8] for row in csv.reader(io.StringIO(before.decode()), delimiter=";")}
        assert {row[8] for row in rows if row[0] == str(last.pk)} >= {"confirmed"}
    # The export's connection is gone once the file is complete.
    for _ in range(100):
        if export not in export_connection_ids():
            break
        time.sleep(0.05)
    assert export not in export_connection_ids()


@pytest.mark.mysql_only
def test_mariadb_snapshot_refuses_writes():
    """The export's transaction is READ ONLY: a statement that writes fails, and nothing changes."""
    import MySQLdb

    person = hire(level_code="middle")
    with pytest.raises(MySQLdb.OperationalError, match="READ ONLY"):
        with db.snapshot("default") as snapshot:
            list(snapshot.stream("UPDATE grades_employee SET left_on = %s WHERE id = %s",
                                 [datetime.date(2024, 1, 1), person.pk]))
    person.refresh_from_db()
    assert person.left_on is None


@pytest.mark.sqlite_only
def test_sqlite_download_reads_in_one_transaction_that_ends_with_the_file(client, organisation, row_by_row):
    client.force_login(organisation["hr"])
    sqlite = connection.connection
    assert not sqlite.in_transaction
    response = client.get("/exports/skill-matrix.csv")
    chunks = iter(response.streaming_content)
    next(chunks)
    next(chunks)
    assert sqlite.in_transaction  # BEGIN before the header, held while rows are read
    rest = b"".join(chunks)
    assert rest and not sqlite.in_transaction
    # A client that goes away ends it too.
    response = client.get("/exports/roster.csv")
    chunks = iter(response.streaming_content)
    next(chunks)
    assert sqlite.in_transaction
    response.close()
    assert not sqlite.in_transaction
    # And a report read inside a caller's transaction reads in it, leaving it open.
    from django.db import transaction

    with transaction.atomic():
        b"".join(csv_chunks(get_report("roster"), {}))
        assert connection.in_atomic_block and sqlite.in_transaction


# The SQLite variant of the snapshot test, in a process of its own on a database file in WAL
# mode: a download is half read in the main thread while another thread, with a connection
# of its own, commits promotions, a confirmation and a hire.
SQLITE_SCRIPT = r"""
import datetime, json, os, sys, threading
import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gradesys.settings")
django.setup()
from django.db import connection
from exports import csvstream, db
from exports.services import csv_chunks, get_report
from grades.models import Evidence, Level
from grades.services import claimable_requirements, evidence_claim, evidence_decide, grade_change_record
from grades.tests.factories import UserFactory, hire

csvstream.CHUNK_BYTES, csvstream.FETCH_ROWS, db.SLICE_FIRST, db.SLICE_LARGEST = 1, 1, 1, 2
hr = UserFactory(username="hr-snapshot", roles=["HR"])
people = [hire(level_code=code) for code in ("junior-plus", "middle", "senior", "middle", "middle-plus", "middle")]
for person in people:
    evidence_claim(employee=person, requirement=claimable_requirements(person).order_by("id").first(),
                   description="Shipped it", by=person.user)

def commit():
    try:
        for person in (people[0], people[-1]):
            level = Level.objects.get(rank=person.current_level.rank + 1)
            grade_change_record(employee=person, kind="promotion", level=level,
                                effective_date=datetime.date.today(), by=hr)
            evidence_decide(evidence=Evidence.objects.get(employee=person, status="claimed"), confirm=True, by=hr)
        hire(level_code="middle")
    finally:
        connection.close()

result = {}
for name in sys.argv[1:]:
    report = get_report(name)
    before = b"".join(csv_chunks(report, {}))
    chunks = csv_chunks(report, {})
    read = [next(chunks)]
    while sum(chunk.count(b"\r\n") for chunk in read) < before.count(b"\r\n") // 2:
        read.append(next(chunks))
    half = sum(chunk.count(b"\r\n") for chunk in read)
    writer = threading.Thread(target=commit)
    writer.start()
    writer.join()
    read.extend(chunks)
    after = b"".join(csv_chunks(report, {}))
    result[name] = {"lines": before.count(b"\r\n"), "read": half,
                    "same": b"".join(read) == before, "changed": after != before}
    people = [hire(level_code="middle") for _ in range(2)]  # fresh people to promote for the next report
    for person in people:
        evidence_claim(employee=person, requirement=claimable_requirements(person).order_by("id").first(),
                       description="Shipped it", by=person.user)
print(json.dumps(result))
"""


@pytest.mark.sqlite_only
def test_sqlite_download_shows_the_database_as_it_was_when_it_began(tmp_path):
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'snapshot.sqlite3'}"}
    env.pop("REPORTS_DATABASE_URL", None)

    def run(*args):
        result = subprocess.run(args, cwd=PROJECT, env=env, capture_output=True, timeout=300)
        assert result.returncode == 0, result.stderr.decode()
        return result.stdout

    run(sys.executable, "manage.py", "migrate", "--noinput", "-v0")
    out = json.loads(run(sys.executable, "-c", SQLITE_SCRIPT, "skill-matrix", "roster").decode().splitlines()[-1])
    for name in ("skill-matrix", "roster"):
        # Half read when the writer committed.
        assert out[name]["lines"] > 6 and 1 < out[name]["read"] < out[name]["lines"], out
        # Nothing committed during the download is in the file; the next download has it.
        assert out[name]["same"] and out[name]["changed"], out
