"""
Hostile mapping statements against the legacy import: none may change the source.

Each statement is run through `import_legacy`, with and without --dry-run, against a
SQLite file and (when the suite runs on MariaDB) a MariaDB database of its own, both
filled from the example schema. Afterwards the source must be exactly as it was:
the same tables and definitions, the same row count and checksum for every table
(CHECKSUM TABLE on MariaDB, a digest of every row and of the file itself on SQLite),
and no file written where a statement asked for one (SELECT ... INTO OUTFILE writes
on the database server, which in these tests is this machine).

Some statements are harmless in one engine and hostile in another: MySQL reads
"--1" as two minus signs but "# ..." as a comment and a backslash as an escape;
SQLite and PostgreSQL the other way round. The statement check reads each as its
engine does, so the expected outcome is given per engine.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection

from imports import legacy_source, rules

from .conftest import snapshot

PEOPLE_SQL = legacy_source.load_mapping().people
HISTORY_SQL = legacy_source.load_mapping().history
PARAMS = {"hired_since": "2000-01-01"}
ORDER = "ORDER BY s.id"
assert PEOPLE_SQL.endswith(ORDER) and "WHERE s.fired_on IS NULL" in PEOPLE_SQL


# --- The source, compared before and after ---------------------------------------------------


def _sqlite_path(source) -> Path:
    return Path(source.url.removeprefix("sqlite:///"))


def _mysql_raw(source):
    """A connection of the test's own to the source database (autocommit: every read is fresh)."""
    import MySQLdb

    params = connection.get_connection_params()
    params.pop("db", None)
    params["database"] = unquote(urlsplit(source.url).path.lstrip("/"))
    params["autocommit"] = True
    return MySQLdb.connect(**params)


def source_state(source) -> dict:
    """Everything the source holds, reduced to what a change would alter."""
    if source.vendor == "sqlite":
        path = _sqlite_path(source)
        raw = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            state = {"schema": raw.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").fetchall()}
            tables = [name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            for table in tables:
                rows = raw.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()
                state[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        finally:
            raw.close()
        state["file"] = hashlib.sha256(path.read_bytes()).hexdigest()
        return state

    raw = _mysql_raw(source)
    try:
        cursor = raw.cursor()
        cursor.execute("SHOW FULL TABLES")
        tables = sorted(cursor.fetchall())
        state = {"tables": tables}
        for table, _kind in tables:
            cursor.execute(f"SHOW CREATE TABLE `{table}`")
            definition = cursor.fetchone()[1]
            cursor.execute(f"SELECT COUNT(*) FROM `{table}`")
            count = cursor.fetchone()[0]
            cursor.execute(f"CHECKSUM TABLE `{table}` EXTENDED")
            checksum = cursor.fetchone()[1]
            state[table] = (definition, count, checksum)
        cursor.execute(
            "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() "
            "UNION ALL SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()"
        )
        state["routines and triggers"] = sorted(cursor.fetchall())
        return state
    finally:
        raw.close()


@pytest.fixture
def outfile():
    """A path a statement may try to write on the database server; removed if it appears."""
    path = Path(f"/tmp/gradesys_legacy_outfile_{secrets.token_hex(6)}.txt")
    yield path
    path.unlink(missing_ok=True)


def run(url: str, mapping_path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_legacy", "--mapping", str(mapping_path), "--database-url", url, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write_mapping(tmp_path, *, people=PEOPLE_SQL, history=HISTORY_SQL, params=PARAMS) -> Path:
    """The default mapping (names of levels, tracks, kinds included) with these statements."""
    path = tmp_path / "hostile.yaml"
    data = yaml.safe_load(legacy_source.DEFAULT_MAPPING.read_text(encoding="utf-8"))
    data.update(params=params, people=people, history=history)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --- The statements --------------------------------------------------------------------------

REFUSED, READ, FAILS = "refused", "read", "fails"


@dataclass(frozen=True)
class Hostile:
    """A mapping with one hostile statement and what each engine must make of it.

    `mysql` and `sqlite` are (outcome, text the message contains): REFUSED by the
    statement check, READ as the harmless statement it is in that engine, or FAILS
    (the statement runs, but is no import: the message says why).
    """

    name: str
    people: str = PEOPLE_SQL
    history: str = HISTORY_SQL
    params: dict | None = None
    mysql: tuple[str, str] = (REFUSED, "")
    sqlite: tuple[str, str] = (REFUSED, "")

    def mapping(self, tmp_path, outfile: Path) -> Path:
        def fill(sql: str) -> str:
            return sql.replace("{outfile}", str(outfile))

        return write_mapping(
            tmp_path, people=fill(self.people), history=fill(self.history),
            params=PARAMS if self.params is None else self.params,
        )


ONE_STATEMENT = "only one statement is allowed"
INTO = "SELECT ... INTO writes"
LOCKING = "locking reads"
EXECUTABLE = "MySQL and MariaDB run what executable comments and optimizer hints hold"

HOSTILE = [
    # MySQL: "--1" is minus minus one, so everything after the semicolon ran. SQLite: a comment.
    Hostile(
        "update after a dash-dash without a space",
        people=PEOPLE_SQL.replace(
            ORDER, "ORDER BY s.id --1; SET SESSION TRANSACTION READ WRITE; UPDATE staff SET first_name='X' WHERE id = 1"
        ),
        mysql=(REFUSED, ONE_STATEMENT), sqlite=(READ, ""),
    ),
    Hostile(
        "drop table after a dash-dash without a space",
        people=PEOPLE_SQL.replace(ORDER, "ORDER BY s.id --1; SET SESSION TRANSACTION READ WRITE; DROP TABLE grade_log"),
        mysql=(REFUSED, ONE_STATEMENT), sqlite=(READ, ""),
    ),
    Hostile(
        "delete after a dash-dash in the history statement",
        history=HISTORY_SQL + " --1; DELETE FROM grade_log",
        mysql=(REFUSED, "the history statement is refused: " + ONE_STATEMENT), sqlite=(READ, ""),
    ),
    Hostile(
        "a dash-dash followed by a no-break space",
        people=PEOPLE_SQL.replace(ORDER, "ORDER BY s.id --\u00a0; DELETE FROM staff"),
        mysql=(REFUSED, "invisible character U+00A0"), sqlite=(REFUSED, "invisible character U+00A0"),
    ),
    Hostile(
        "a control character after a dash-dash",
        people=PEOPLE_SQL.replace(ORDER, "ORDER BY s.id --\x01; DELETE FROM staff"),
        mysql=(REFUSED, "invisible character U+0001"), sqlite=(REFUSED, "invisible character U+0001"),
    ),
    # MySQL runs what an executable comment holds.
    Hostile(
        "into outfile inside an executable comment",
        people=PEOPLE_SQL + " /*! INTO OUTFILE '{outfile}' */",
        mysql=(REFUSED, EXECUTABLE), sqlite=(REFUSED, EXECUTABLE),
    ),
    Hostile(
        "a versioned executable comment",
        people=PEOPLE_SQL + " /*!50100 INTO DUMPFILE '{outfile}' */",
        mysql=(REFUSED, EXECUTABLE), sqlite=(REFUSED, EXECUTABLE),
    ),
    Hostile(
        "MariaDB's executable comment",
        people=PEOPLE_SQL + " /*M! INTO OUTFILE '{outfile}' */",
        mysql=(REFUSED, EXECUTABLE), sqlite=(REFUSED, EXECUTABLE),
    ),
    Hostile(
        "an optimizer hint",
        people=PEOPLE_SQL.replace("SELECT s.id", "SELECT /*+ SET_VAR(sql_mode = '') */ s.id", 1),
        mysql=(REFUSED, EXECUTABLE), sqlite=(REFUSED, EXECUTABLE),
    ),
    Hostile("into outfile", people=PEOPLE_SQL + " INTO OUTFILE '{outfile}'", mysql=(REFUSED, INTO), sqlite=(REFUSED, INTO)),
    Hostile("into dumpfile", people=PEOPLE_SQL + " INTO DUMPFILE '{outfile}'", mysql=(REFUSED, INTO), sqlite=(REFUSED, INTO)),
    Hostile(
        "into variables",
        people=PEOPLE_SQL + " LIMIT 1 INTO @a, @b, @c, @d, @e, @f, @g, @h, @i, @j",
        mysql=(REFUSED, INTO), sqlite=(REFUSED, INTO),
    ),
    Hostile(
        "into a new table",
        people=PEOPLE_SQL.replace("FROM staff s", "INTO copied_staff FROM staff s"),
        mysql=(REFUSED, INTO), sqlite=(REFUSED, INTO),
    ),
    # MySQL: "#" starts a comment, so this is one SELECT there. SQLite: not a comment.
    Hostile(
        "delete after a hash",
        people=PEOPLE_SQL + " # 1; DELETE FROM staff",
        mysql=(READ, ""), sqlite=(REFUSED, ONE_STATEMENT),
    ),
    Hostile(
        "SELECT 1 # 1; DELETE",
        people="SELECT 1 # 1; DELETE FROM staff",
        mysql=(FAILS, "The people statement has no column(s)"), sqlite=(REFUSED, ONE_STATEMENT),
    ),
    # MySQL: a backslash escapes the quote, so the DELETE is text. SQLite: the text ends
    # at the backslash and a DELETE follows.
    Hostile(
        "delete hidden behind a backslash-escaped quote",
        people=PEOPLE_SQL.replace(
            "WHERE s.fired_on IS NULL", "WHERE s.fired_on IS NULL AND s.mail <> 'x\\'; DELETE FROM staff; -- '"
        ),
        mysql=(READ, ""), sqlite=(REFUSED, ONE_STATEMENT),
    ),
    Hostile(
        "delete hidden behind a backslash-escaped double quote",
        people=PEOPLE_SQL.replace(
            "WHERE s.fired_on IS NULL", 'WHERE s.fired_on IS NULL AND s.mail <> "x\\"; DELETE FROM staff; -- "'
        ),
        mysql=(READ, ""), sqlite=(REFUSED, ONE_STATEMENT),
    ),
    # MySQL does not nest comments: the first */ ends it and the DELETE runs.
    Hostile(
        "delete between nested comments",
        people=PEOPLE_SQL + " /* /* */ ; DELETE FROM staff; /* */ */",
        mysql=(REFUSED, ONE_STATEMENT), sqlite=(REFUSED, ONE_STATEMENT),
    ),
    # The driver pastes the escaped value inside the quotes: '' + '; DELETE ...' + ''
    # closes the text and starts a second statement.
    Hostile(
        "a parameter inside quotes",
        people=PEOPLE_SQL.replace("s.hired_on >= %(hired_since)s", "s.mail <> '%(tail)s'"),
        params={**PARAMS, "tail": "; DELETE FROM staff; -- "},
        mysql=(REFUSED, "the parameter %(tail)s is inside quotes"),
        sqlite=(REFUSED, "the parameter %(tail)s is inside quotes"),
    ),
    Hostile("a second statement", people=PEOPLE_SQL + "; DELETE FROM staff", mysql=(REFUSED, ONE_STATEMENT), sqlite=(REFUSED, ONE_STATEMENT)),
    Hostile("for update", people=PEOPLE_SQL + " FOR UPDATE", mysql=(REFUSED, LOCKING), sqlite=(REFUSED, LOCKING)),
    Hostile("for share", people=PEOPLE_SQL + " FOR SHARE", mysql=(REFUSED, LOCKING), sqlite=(REFUSED, LOCKING)),
    Hostile("lock in share mode", people=PEOPLE_SQL + " LOCK IN SHARE MODE", mysql=(REFUSED, LOCKING), sqlite=(REFUSED, LOCKING)),
    Hostile(
        "an update",
        people="UPDATE staff SET first_name = 'X' WHERE id = 1",
        mysql=(REFUSED, "this one starts with UPDATE"), sqlite=(REFUSED, "this one starts with UPDATE"),
    ),
    Hostile(
        "a delete behind WITH",
        people="WITH gone AS (SELECT id FROM staff) DELETE FROM staff WHERE id IN (SELECT id FROM gone)",
        mysql=(REFUSED, "this one starts with WITH"), sqlite=(REFUSED, "this one starts with WITH"),
    ),
    Hostile(
        "a session change",
        people="SET SESSION TRANSACTION READ WRITE",
        mysql=(REFUSED, "this one starts with SET"), sqlite=(REFUSED, "this one starts with SET"),
    ),
    Hostile(
        "a stored procedure",
        people="CALL drop_everything()",
        mysql=(REFUSED, "this one starts with CALL"), sqlite=(REFUSED, "this one starts with CALL"),
    ),
    Hostile(
        "a pragma",
        people="PRAGMA query_only = OFF",
        mysql=(REFUSED, "this one starts with PRAGMA"), sqlite=(REFUSED, "this one starts with PRAGMA"),
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "real-run"])
@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
def test_a_hostile_statement_never_changes_the_source(legacy_db, tmp_path, outfile, hostile, dry_run):
    mapping = hostile.mapping(tmp_path, outfile)
    outcome, message = getattr(hostile, legacy_db.vendor)
    source_before = source_state(legacy_db)
    ours_before = snapshot()
    args = ["--dry-run"] if dry_run else []

    try:
        out, _err = run(legacy_db.url, mapping, *args)
        error = None
    except CommandError as exc:
        out, error = "", str(exc)

    assert source_state(legacy_db) == source_before
    assert not outfile.exists()
    if outcome == READ:
        assert error is None
        assert "People: 18 row(s): 7 " in out
    else:
        assert error is not None, out
        if outcome == REFUSED:
            assert "statement is refused: " in error
        assert message in error
    if dry_run or outcome != READ:
        assert snapshot() == ours_before


# --- Below the statement check: the connection itself ----------------------------------------


def test_the_legacy_mysql_options_ask_for_one_statement_per_call():
    from MySQLdb.constants import CLIENT

    from common.databases import legacy_database_config

    options = legacy_database_config("mysql://reader:secret@db.example:3306/old_hr?client_flag=65536")["OPTIONS"]

    assert options["multi_statements"] is False
    assert options["client_flag"] == CLIENT.FOUND_ROWS
    assert not options["client_flag"] & (CLIENT.MULTI_STATEMENTS | CLIENT.MULTI_RESULTS)


def test_the_legacy_sqlite_file_is_opened_read_only(tmp_path):
    from common.databases import legacy_database_config, read_only_sqlite_uri

    path = tmp_path / "old hr.sqlite3"
    assert legacy_database_config(f"sqlite:///{path}")["NAME"] == f"{path.as_uri()}?mode=ro"
    # '?' and '#' in a file name are escaped, not read as the URI's query or fragment.
    assert read_only_sqlite_uri("/data/old?#.sqlite3") == "file:///data/old%3F%23.sqlite3?mode=ro"
    assert read_only_sqlite_uri("file:/tmp/old.sqlite3?mode=rwc&cache=shared") == "file:/tmp/old.sqlite3?cache=shared&mode=ro"
    assert read_only_sqlite_uri(":memory:") == ":memory:"


@pytest.mark.django_db
def test_a_missing_sqlite_file_is_not_created(tmp_path):
    missing = tmp_path / "typo.sqlite3"

    with pytest.raises(CommandError, match="Cannot connect to the legacy database"):
        run(f"sqlite:///{missing}", write_mapping(tmp_path), "--dry-run")

    assert not missing.exists()


@pytest.mark.django_db
def test_the_configured_mysql_connection_refuses_two_statements_in_one_call(legacy_db):
    if legacy_db.vendor != "mysql":
        pytest.skip("multi-statements are a MySQL/MariaDB client setting")
    from common.databases import legacy_database_config

    # The connection as configured, before the importer touches it.
    handler, conn = legacy_source.connection_from_config(legacy_database_config(legacy_db.url))
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchall() == ((1,),)
            with pytest.raises(DatabaseError, match="syntax"):
                cursor.execute("SELECT 1; SELECT 2")
    finally:
        handler.close_all()


@pytest.mark.django_db
def test_a_connection_configured_elsewhere_gets_multi_statements_turned_off(legacy_db):
    if legacy_db.vendor != "mysql":
        pytest.skip("multi-statements are a MySQL/MariaDB client setting")
    from common.databases import database_config

    # mysqlclient's default (multi-statements on), as the product's own connections have it.
    handler, conn = legacy_source.connection_from_config(database_config(legacy_db.url))
    before = source_state(legacy_db)
    try:
        with legacy_source.open_source(conn) as source, source.cursor() as cursor:
            with pytest.raises(DatabaseError):
                legacy_source.execute_statement(cursor, "SELECT 1; DELETE FROM staff", {})
    finally:
        handler.close_all()
    assert source_state(legacy_db) == before


BYPASSING = [
    "SELECT id FROM staff; UPDATE staff SET first_name = 'X' WHERE id = 1",
    "SELECT id FROM staff; DROP TABLE grade_log",
    "SELECT 1; SELECT 2",
    "UPDATE staff SET first_name = 'X' WHERE id = 1",
    "DELETE FROM grade_log",
    "INSERT INTO departments (id, title) VALUES (9, 'Sales')",
    "DROP TABLE grade_log",
    "CREATE TABLE extra (id INTEGER)",
    "ALTER TABLE staff ADD COLUMN extra INTEGER",
]


@pytest.mark.django_db
@pytest.mark.parametrize("in_transaction", [True, False], ids=["transaction", "session"])
@pytest.mark.parametrize("sql", BYPASSING)
def test_without_the_statement_check_the_connection_refuses_a_second_statement_or_a_write(
    legacy_db, sql, in_transaction
):
    before = source_state(legacy_db)

    with legacy_source.open_source(url=legacy_db.url) as source:
        scope = legacy_source.read_only_transaction(source) if in_transaction else contextlib.nullcontext()
        with scope, source.cursor() as cursor:
            with pytest.raises(DatabaseError):
                legacy_source.execute_statement(cursor, sql, {})

    assert source_state(legacy_db) == before


@pytest.mark.django_db
def test_inside_the_import_transaction_switching_the_session_back_does_not_allow_a_write(legacy_db):
    before = source_state(legacy_db)
    switch_back = {"mysql": "SET SESSION TRANSACTION READ WRITE", "sqlite": "PRAGMA query_only = OFF"}[legacy_db.vendor]

    with legacy_source.open_source(url=legacy_db.url) as source:
        with legacy_source.read_only_transaction(source), source.cursor() as cursor:
            legacy_source.execute_statement(cursor, switch_back, {})
            with pytest.raises(DatabaseError):
                legacy_source.execute_statement(cursor, "UPDATE staff SET first_name = 'X' WHERE id = 1", {})

    assert source_state(legacy_db) == before


@pytest.mark.django_db
def test_the_import_transaction_is_closed_after_reading(legacy_db):
    with legacy_source.open_source(url=legacy_db.url) as source:
        with legacy_source.read_only_transaction(source):
            assert _in_transaction(source)
            legacy_source.read_rows(
                source, PEOPLE_SQL, PARAMS, what="people",
                required=rules.PEOPLE_REQUIRED + ("source_key",), optional=rules.PEOPLE_OPTIONAL,
            )
        assert not _in_transaction(source)


@pytest.mark.django_db
def test_the_lowest_reader_checks_the_statement_too(legacy_db):
    before = source_state(legacy_db)
    sql = PEOPLE_SQL + "; DELETE FROM staff"

    with legacy_source.open_source(url=legacy_db.url) as source:
        with pytest.raises(legacy_source.LegacyError, match="The people statement is refused: only one statement"):
            legacy_source.read_rows(
                source, sql, PARAMS, what="people",
                required=rules.PEOPLE_REQUIRED + ("source_key",), optional=rules.PEOPLE_OPTIONAL,
            )

    assert source_state(legacy_db) == before


def _in_transaction(source) -> bool:
    if source.vendor == "sqlite":
        return source.connection.in_transaction
    # MariaDB and MySQL refuse to change the characteristics of a transaction under way.
    try:
        with source.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    except DatabaseError:
        return True
    return False


# --- Telling the person when the account could write -----------------------------------------


@pytest.mark.django_db
def test_an_account_that_can_write_gets_a_warning(legacy_db, tmp_path):
    if legacy_db.vendor != "mysql":
        pytest.skip("a SQLite file opened read-only has no account to warn about")

    _out, err = run(legacy_db.url, write_mapping(tmp_path), "--dry-run")

    assert "Warning: The legacy database account can do more than read (ALL PRIVILEGES" in err
    assert "GRANT SELECT, SHOW VIEW ON olddb.*" in err
    assert "IDENTIFIED" not in err and "PASSWORD" not in err


@pytest.mark.django_db
def test_a_select_only_account_reads_without_a_warning(legacy_db, tmp_path):
    if legacy_db.vendor != "mysql":
        pytest.skip("accounts are a MySQL/MariaDB matter")
    user, password = f"gradesys_ro_{secrets.token_hex(3)}", secrets.token_hex(12)
    database = unquote(urlsplit(legacy_db.url).path.lstrip("/"))
    raw = _mysql_raw(legacy_db)
    cursor = raw.cursor()
    try:
        cursor.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", (password,))
    except Exception as exc:  # the test account may not create accounts (CI's may not)
        raw.close()
        pytest.skip(f"cannot create a second account here: {exc}")
    try:
        cursor.execute(f"GRANT SELECT, SHOW VIEW ON `{database}`.* TO '{user}'@'%'")
        parts = urlsplit(legacy_db.url)
        url = f"mysql://{user}:{password}@{parts.hostname}:{parts.port or 3306}/{database}"

        out, err = run(url, write_mapping(tmp_path), "--dry-run")

        assert "Warning:" not in err
        assert "People: 18 row(s): 7 to create" in out, out
    finally:
        cursor.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        raw.close()


@pytest.mark.parametrize(
    "lines, beyond, roles",
    [
        (["GRANT USAGE ON *.* TO `reader`@`%` IDENTIFIED BY PASSWORD '*0123'",
          "GRANT SELECT, SHOW VIEW ON `old_hr`.* TO `reader`@`%`"], [], []),
        (["GRANT SELECT (mail, first_name), INSERT (note) ON `old_hr`.`staff` TO `reader`@`%`"], ["INSERT"], []),
        (["GRANT FILE ON *.* TO `reader`@`%`", "GRANT SELECT ON `old_hr`.* TO `reader`@`%`"], ["FILE"], []),
        (["GRANT ALL PRIVILEGES ON *.* TO `root`@`127.0.0.1` WITH GRANT OPTION"], ["ALL PRIVILEGES", "GRANT OPTION"], []),
        (["GRANT SELECT ON `old_hr`.* TO `reader`@`%` WITH GRANT OPTION"], ["GRANT OPTION"], []),
        (["GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION"], ["GRANT OPTION", "PROXY"], []),
        (["GRANT `hr_reader` TO `reader`@`%`", "SET DEFAULT ROLE `hr_reader` FOR `reader`@`%`"], [], ["`hr_reader`"]),
    ],
)
def test_grants_beyond_reading_are_found(lines, beyond, roles):
    assert legacy_source.privileges_beyond_reading(lines) == (beyond, roles)


@pytest.mark.django_db
def test_a_writable_sqlite_file_not_opened_read_only_gets_a_warning(legacy_db):
    if legacy_db.vendor != "sqlite":
        pytest.skip("about SQLite files")
    from common.databases import database_config, legacy_database_config

    handler, writable = legacy_source.connection_from_config(database_config(legacy_db.url))
    read_only_handler, read_only = legacy_source.connection_from_config(legacy_database_config(legacy_db.url))
    try:
        (warning,) = legacy_source.write_access_warnings(writable)
        assert "can be written by this process and the connection was not opened read-only" in warning
        assert legacy_source.write_access_warnings(read_only) == []
    finally:
        handler.close_all()
        read_only_handler.close_all()


# --- The statement check, engine by engine (no database) --------------------------------------


@pytest.mark.parametrize(
    "sql, dialect",
    [
        ("SELECT id FROM staff ORDER BY id --1", "mysql"),  # minus minus one
        ("SELECT id FROM staff -- a comment; DELETE FROM staff", "mysql"),
        ("SELECT id FROM staff # a comment; DELETE FROM staff", "mysql"),
        ("SELECT id FROM staff WHERE mail <> 'x\\'; DELETE FROM staff'", "mysql"),
        ("SELECT id FROM staff ORDER BY id --1; DELETE FROM staff", "sqlite"),  # a comment there
        ("SELECT id FROM staff WHERE note = $$it's; DELETE$$", "postgres"),
        ("SELECT id FROM staff WHERE note = E'it\\'s; DELETE'", "postgres"),
        ("SELECT id FROM staff /* outer /* inner */ ; DELETE FROM staff */", "postgres"),  # nested there
        ("WITH recent AS (SELECT id FROM staff) SELECT id FROM recent", "mysql"),
        ("SELECT id FROM staff UNION SELECT staff_id FROM grade_log", "sqlite"),
        ("(SELECT id FROM staff) UNION ALL (SELECT staff_id FROM grade_log)", "mysql"),
        ("SELECT SUBSTRING(mail FROM 1 FOR 3) FROM staff", "mysql"),
        ("SELECT 'for' 'update' AS words, `for`, `update` FROM staff", "mysql"),
        ("SELECT id FROM staff WHERE hired_on >= %(since)s AND mail LIKE '%%@old.example'", "mysql"),
        ("SELECT id FROM staff WHERE mail LIKE '%@old.example'", "sqlite"),  # no parameters: no %-processing
        ("SELECT id FROM staff WHERE hired_on >= %(since)s::date", "postgres"),
        ("SELECT id FROM staff WHERE name = 'Фёдорова' AND hired_on < %(before)s LIMIT %(limit)s", "sqlite"),
    ],
)
def test_statements_that_only_read_pass_in_their_engine(sql, dialect):
    rules.check_select_only(sql, dialect=dialect)


@pytest.mark.parametrize(
    "sql, dialect, message",
    [
        ("SELECT 1 # 1; DELETE FROM staff", "postgres", ONE_STATEMENT),  # # is an operator there
        ("SELECT 'x\\'; DELETE FROM staff; -- '", "postgres", ONE_STATEMENT),
        ("SELECT \"x\\\"; DELETE FROM staff; -- \"", "sqlite", ONE_STATEMENT),
        ("WITH gone AS (DELETE FROM staff RETURNING id) SELECT id FROM gone", "postgres", "contains a DELETE"),
        ("SELECT id FROM staff FOR NO KEY UPDATE", "postgres", LOCKING),
        ("SELECT id FROM staff FOR KEY SHARE", "postgres", LOCKING),
        ("SELECT * INTO TEMP copied FROM staff", "postgres", INTO),
        ("SELECT id FROM staff UNION SELECT id FROM grade_log INTO @ids", "mysql", INTO),
        ("SELECT id FROM (SELECT id FROM staff FOR UPDATE) AS locked", "mysql", LOCKING),
        ("SELECT id FROM staff WHERE mail LIKE 'a%' AND hired_on >= %(since)s", "mysql", "a literal % must be written %%"),
        ("SELECT id FROM staff -- %(since)s", "mysql", "the parameter %(since)s is inside quotes, a comment"),
        ("SELECT id FROM staff x%(since)s", "mysql", "the parameter %(since)s is inside quotes, a comment or a name"),
        ("SELECT `%(since)s` FROM staff", "mysql", "the parameter %(since)s is inside quotes"),
        ("SELECT id FROM staff WHERE mail = '%(since)s'", "sqlite", "the parameter %(since)s is inside quotes"),
        ("SELECT id FROM staff WHERE mail = 'a", "mysql", "cannot be read as MySQL/MariaDB SQL"),
        ("SELECT id FROM staff WHERE", "sqlite", "cannot be read as SQLite SQL"),
        ("SELECT id\u200b FROM staff", "mysql", "invisible character U+200B at line 1, column 10"),
        ("SELECT id FROM staff\n--\x1c; DELETE FROM staff", "mysql", "invisible character U+001C at line 2, column 3"),
        ("SELECT id FROM staff --\u2028; DELETE FROM staff", "sqlite", "invisible character U+2028"),
        ("SELECT id FROM staff --\x85; DELETE FROM staff", "postgres", "invisible character U+0085"),
        ("VALUES (1)", "sqlite", "this one starts with VALUES"),
        ("   \n  ", "mysql", "the statement is empty"),
        ("/* nothing */ ;", "sqlite", "the statement is empty"),
    ],
)
def test_statements_refused_in_their_engine(sql, dialect, message):
    with pytest.raises(ValueError) as caught:
        rules.check_select_only(sql, dialect=dialect)
    assert message in str(caught.value)


def test_parameters_are_named_as_the_driver_reads_them():
    assert rules.statement_parameters("a = %(one)s AND b LIKE 'x%%(no)s' AND c = %%%(two)s AND d = %(one)s") == ["one", "two"]
