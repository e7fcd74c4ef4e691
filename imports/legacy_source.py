"""
Reading people and grade history from an old system's database with raw SQL.

The SQL lives in a mapping file (YAML; the default, for the example schema in
imports/legacy/example_schema.sql, is imports/legacy/mapping.yaml), because only
the company knows its old schema. Each statement must be one SELECT returning the
documented columns; it runs with query parameters from the mapping's `params`,
never with values pasted into the text.

Nothing the mapping holds can change the source, in three layers:
- each statement is parsed as the source engine reads it (rules.check_select_only,
  with sqlglot) and must be exactly one SELECT: no second statement, no INTO, no
  locking read, no executable comment;
- the connection runs one statement per call (MySQL/MariaDB: multi-statements off;
  SQLite's driver never runs more; PostgreSQL's driver may, so there the parse and
  the read-only transaction stand alone), its session is read-only, and SQLite
  files are opened read-only (mode=ro);
- the reads run in a read-only transaction the importer opens and rolls back.
A read-only transaction does not stop MySQL's SELECT ... INTO OUTFILE (a file, not a
table), which only the parse and an account without the FILE privilege do; hence the
advice to use a SELECT-only account, which `write_access_warnings` checks.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from django.conf import settings
from django.db import connections
from django.db.utils import ConnectionHandler, DatabaseError

from . import people as people_import
from . import rules
from .models import ImportKind
from .router import LEGACY_ALIAS

DEFAULT_MAPPING = Path(__file__).resolve().parent / "legacy" / "mapping.yaml"
EXAMPLE_SCHEMA = Path(__file__).resolve().parent / "legacy" / "example_schema.sql"
MAPPING_SCHEMA = 1
FETCH_SIZE = 1000


class LegacyError(Exception):
    """A mapping or source that cannot be used; nothing was read or written. For the user."""


@dataclass(frozen=True)
class LegacyMapping:
    """A validated mapping file."""

    path: str
    people: str
    history: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    levels: Mapping[str, list[str]] = field(default_factory=dict)
    tracks: Mapping[str, list[str]] = field(default_factory=dict)
    kinds: Mapping[str, list[str]] = field(default_factory=dict)

    @property
    def synonyms(self) -> dict:
        return {"levels": self.levels, "tracks": self.tracks, "kinds": self.kinds}


_TOP_KEYS = {"schema", "params", "people", "history", "levels", "tracks", "kinds"}
_PARAM_TYPES = (str, int, float, bool, datetime.date, type(None))


def load_mapping(path: str | Path | None = None) -> LegacyMapping:
    """Read and check a mapping file; LegacyError says what is wrong and where."""
    path = Path(path) if path else DEFAULT_MAPPING
    name = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LegacyError(f"{name}: no such file") from None
    except UnicodeDecodeError:
        raise LegacyError(f"{name}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise LegacyError(f"{name}: invalid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise LegacyError(f"{name}: expected a mapping with 'people' (and 'history', 'params', 'levels', ...)")
    unknown = sorted(set(map(str, data)) - _TOP_KEYS)
    if unknown:
        raise LegacyError(f"{name}: unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(_TOP_KEYS))}")
    if data.get("schema", MAPPING_SCHEMA) != MAPPING_SCHEMA:
        raise LegacyError(f"{name}: unsupported schema {data['schema']!r}; this version reads {MAPPING_SCHEMA}")

    params = data.get("params") or {}
    if not isinstance(params, dict) or not all(
        isinstance(k, str) and isinstance(v, _PARAM_TYPES) for k, v in params.items()
    ):
        raise LegacyError(f"{name}: 'params' must map names to plain values (text, numbers, dates)")

    statements = {}
    for key in ("people", "history"):
        sql = data.get(key)
        if sql is None:
            if key == "people":
                raise LegacyError(f"{name}: 'people' is required: the SELECT that returns the people")
            statements[key] = ""
            continue
        if not isinstance(sql, str):
            raise LegacyError(f"{name}: '{key}' must be the text of one SELECT statement")
        # What runs, and what check_statements parses once the source engine is known
        # (comments, quotes and escapes differ between engines).
        sql = sql.strip().rstrip(";").strip()
        if not sql:
            raise LegacyError(f"{name}: the {key} statement is refused: the statement is empty")
        missing = [p for p in rules.statement_parameters(sql) if p not in params]
        if missing:
            raise LegacyError(
                f"{name}: the {key} statement uses the parameter(s) {', '.join(missing)}, which 'params' does not define"
            )
        statements[key] = sql

    synonyms = {}
    for key in ("levels", "tracks", "kinds"):
        node = data.get(key) or {}
        if not isinstance(node, dict):
            raise LegacyError(f"{name}: '{key}' must map a {key[:-1]} to a list of the names the old system uses")
        cleaned = {}
        for target, aliases in node.items():
            if isinstance(aliases, (str, int, float)):
                aliases = [aliases]
            if not isinstance(aliases, list) or not all(isinstance(a, (str, int, float)) for a in aliases):
                raise LegacyError(f"{name}: {key}.{target} must be a list of names")
            cleaned[str(target)] = [str(a) for a in aliases]
        synonyms[key] = cleaned
    bad_kinds = sorted(set(synonyms["kinds"]) - set(rules.HISTORY_KINDS))
    if bad_kinds:
        raise LegacyError(
            f"{name}: kinds: {', '.join(bad_kinds)} is not one of {', '.join(rules.HISTORY_KINDS)}"
        )
    return LegacyMapping(path=name, people=statements["people"], history=statements["history"], params=params, **synonyms)


def check_mapping_targets(mapping: LegacyMapping) -> None:
    """The mapping's levels and track slugs must exist here.

    A level is named by its code (the level of that code on whichever ladder a person's
    track climbs) or as ladder/code (that ladder's level only, for a code two ladders share
    under different old names).
    """
    from grades.models import Level, Track

    ladder_codes = set(Level.objects.values_list("ladder__slug", "code"))
    codes = {code for _ladder, code in ladder_codes}
    levels = codes | {f"{ladder}/{code}" for ladder, code in ladder_codes}
    tracks = set(Track.objects.values_list("slug", flat=True))
    bad_levels = sorted(set(mapping.levels) - levels)
    bad_tracks = sorted(set(mapping.tracks) - tracks)
    if bad_levels:
        raise LegacyError(
            f"{mapping.path}: levels: {', '.join(bad_levels)} is not a level code ({', '.join(sorted(codes))}) "
            "nor ladder/code"
        )
    if bad_tracks:
        raise LegacyError(f"{mapping.path}: tracks: {', '.join(bad_tracks)} is not a track slug ({', '.join(sorted(tracks))})")


# --- The source connection ------------------------------------------------------------------

# mysql_set_server_option(MYSQL_OPTION_MULTI_STATEMENTS_OFF) in MySQL's C API; mysqlclient
# exposes the call but not the constant.
_MYSQL_MULTI_STATEMENTS_OFF = 1
# SQL modes under which MySQL reads quotes differently from the parse (rules.check_select_only
# reads "..." as text and a backslash as an escape, as MySQL does by default).
_MYSQL_MODES_READ_DIFFERENTLY = {"ANSI_QUOTES", "NO_BACKSLASH_ESCAPES"}
# Each engine's statement that opens a transaction which reads one snapshot and may not write.
_BEGIN_READ_ONLY = {
    "mysql": "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
    "sqlite": "BEGIN",  # PRAGMA query_only is on: the transaction cannot write
    "postgresql": "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
}


def sql_dialect(connection) -> str:
    """The SQL dialect a source connection speaks, for the statement check; LegacyError if unsupported."""
    try:
        return rules.SQL_DIALECTS[connection.vendor]
    except KeyError:
        raise LegacyError(
            f"The legacy import reads MySQL/MariaDB, PostgreSQL and SQLite databases; this one is {connection.vendor}."
        ) from None


def check_statements(mapping: LegacyMapping, dialect: str) -> None:
    """Each statement of `mapping` must be one SELECT as the source engine reads it."""
    for key in ("people", "history"):
        sql = getattr(mapping, key)
        if not sql:
            continue
        try:
            rules.check_select_only(sql, dialect=dialect)
        except ValueError as exc:
            raise LegacyError(f"{mapping.path}: the {key} statement is refused: {exc}") from None


def make_read_only(connection) -> None:
    """Make the source connection run one statement per call and refuse writes, whatever SQL reaches it."""
    sql_dialect(connection)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            # mysqlclient asks for multi-statements unless told otherwise. The legacy
            # configuration tells it (common.databases.legacy_database_config); this turns them
            # off on this very connection too, whoever configured it.
            connection.connection.set_server_option(_MYSQL_MULTI_STATEMENTS_OFF)
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
            cursor.execute("SELECT @@SESSION.sql_mode")
            modes = set((cursor.fetchone()[0] or "").upper().split(","))
            if modes & _MYSQL_MODES_READ_DIFFERENTLY:
                raise LegacyError(
                    "The legacy connection's sql_mode has "
                    f"{', '.join(sorted(modes & _MYSQL_MODES_READ_DIFFERENTLY))}, under which MySQL reads quotes "
                    "differently from the statement check; remove it from the connection's init_command."
                )
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        elif connection.vendor == "postgresql":
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            # The check reads a backslash in '...' as a plain character, as standard SQL does.
            cursor.execute("SET standard_conforming_strings = on")


@contextlib.contextmanager
def read_only_transaction(connection) -> Iterator[None]:
    """Run the block inside a read-only transaction on the source, rolled back afterwards.

    Opened here rather than left to the session setting, so that every statement of
    the import runs in a transaction that may not write and that reads one snapshot
    (people and history agree). Rolled back: there is nothing to keep.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            # For this transaction only: the connection may be READ COMMITTED, under
            # which WITH CONSISTENT SNAPSHOT means nothing.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        cursor.execute(_BEGIN_READ_ONLY[connection.vendor])
    try:
        yield
    finally:
        # A lost connection cannot roll back and needs not: closing it ends the transaction.
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("ROLLBACK")


def connection_from_config(config: dict):
    """(handler, connection) for a DATABASES entry outside settings; close with handler.close_all().

    Django's ConnectionHandler insists on a 'default' entry; it is never opened here.
    """
    handler = ConnectionHandler({"default": config, LEGACY_ALIAS: config})
    return handler, handler[LEGACY_ALIAS]


@contextlib.contextmanager
def open_source(source=None, *, url: str | None = None) -> Iterator[Any]:
    """The legacy connection, read-only: a connection object, an alias, or a URL.

    Without any, the `legacy` alias from LEGACY_DATABASE_URL. A connection opened
    from a URL here is closed on the way out.
    """
    handler = None
    if url:
        from common.databases import legacy_database_config

        try:
            config = legacy_database_config(url)
        except Exception as exc:  # django-environ raises several kinds for a malformed URL
            raise LegacyError(f"The database URL cannot be read: {exc}") from None
        handler, connection = connection_from_config(config)
    elif source is None or isinstance(source, str):
        alias = source or LEGACY_ALIAS
        if alias not in settings.DATABASES:
            raise LegacyError(
                "No legacy database is configured: set LEGACY_DATABASE_URL (for example "
                "sqlite:////path/to/old.sqlite3 or mysql://user:password@host/olddb) or pass --database-url."
            )
        if alias == "default":
            raise LegacyError("The legacy source cannot be this product's own database.")
        connection = connections[alias]
    else:
        connection = source
    try:
        try:
            make_read_only(connection)
        except DatabaseError as exc:
            raise LegacyError(f"Cannot connect to the legacy database: {exc}") from None
        yield connection
    finally:
        if handler is not None:
            handler.close_all()


# --- What the account may do ----------------------------------------------------------------

_READ_PRIVILEGES = {"SELECT", "USAGE", "SHOW VIEW"}
_GRANT_ON = re.compile(r"^GRANT (?P<privileges>.+?) ON (?P<target>.+?) TO ", re.IGNORECASE | re.DOTALL)
_GRANT_ROLE = re.compile(r"^GRANT (?P<roles>.+?) TO ", re.IGNORECASE | re.DOTALL)
_SELECT_ONLY_ADVICE = (
    "use an account that may only read, e.g. GRANT SELECT, SHOW VIEW ON olddb.* TO 'importer'@'host'. "
    "The import reads in a read-only transaction all the same, but that does not stop everything "
    "(SELECT ... INTO OUTFILE writes a file on the server with the FILE privilege)."
)


def write_access_warnings(connection) -> list[str]:
    """Sentences for the person running the import when the source account could write.

    MySQL/MariaDB: the account's own grants (SHOW GRANTS FOR CURRENT_USER()): any
    privilege beyond SELECT, USAGE and SHOW VIEW, or a role, whose privileges are not
    read. PostgreSQL: a superuser, or any table privilege beyond SELECT. SQLite: a
    file this process can write that was not opened read-only. The grant lines
    themselves are never repeated (MariaDB's hold the password hash).
    """
    if connection.vendor == "mysql":
        return _mysql_warnings(connection)
    if connection.vendor == "sqlite":
        return _sqlite_warnings(connection)
    if connection.vendor == "postgresql":
        return _postgresql_warnings(connection)
    return []


def privileges_beyond_reading(grant_lines: list[str]) -> tuple[list[str], list[str]]:
    """(privileges beyond reading, roles) in MySQL/MariaDB SHOW GRANTS lines."""
    beyond: set[str] = set()
    roles: list[str] = []
    for line in grant_lines:
        grant = _GRANT_ON.match(line)
        if grant:
            # Column lists, as in SELECT (name, mail), are not privileges.
            listed = re.sub(r"\([^)]*\)", "", grant["privileges"])
            for privilege in listed.split(","):
                privilege = " ".join(privilege.split()).upper()
                if privilege and privilege not in _READ_PRIVILEGES:
                    beyond.add(privilege)
            if re.search(r"\bWITH\b.*\bGRANT\s+OPTION\b", line, re.IGNORECASE | re.DOTALL):
                beyond.add("GRANT OPTION")
        elif role := _GRANT_ROLE.match(line):
            roles.append(role["roles"].strip())
    return sorted(beyond), roles


def _mysql_warnings(connection) -> list[str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW GRANTS FOR CURRENT_USER()")
            lines = [row[0] for row in cursor.fetchall()]
    except DatabaseError as exc:
        return [f"The legacy account's privileges cannot be read ({exc}); {_SELECT_ONLY_ADVICE}"]
    beyond, roles = privileges_beyond_reading(lines)
    warnings = []
    if beyond:
        warnings.append(f"The legacy database account can do more than read ({', '.join(beyond)}): {_SELECT_ONLY_ADVICE}")
    if roles:
        warnings.append(
            f"The legacy database account has the role(s) {', '.join(roles)}, whose privileges are not checked: "
            f"{_SELECT_ONLY_ADVICE}"
        )
    return warnings


def _sqlite_warnings(connection) -> list[str]:
    name = str(connection.settings_dict.get("NAME") or "")
    if name.startswith("file:"):
        uri, _, query = name.partition("?")
        if "mode=ro" in query.split("&"):
            return []
        name = unquote(urlsplit(uri).path)
    if name and name != ":memory:" and os.access(name, os.W_OK):
        return [
            f"The SQLite file {name} can be written by this process and the connection was not opened read-only; "
            "the import sets PRAGMA query_only, but open it read-only (LEGACY_DATABASE_URL / --database-url do) "
            "or import from a copy."
        ]
    return []


def _postgresql_warnings(connection) -> list[str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
            cursor.execute(
                "SELECT DISTINCT privilege_type FROM information_schema.table_privileges "
                "WHERE grantee = current_user AND privilege_type <> 'SELECT' ORDER BY privilege_type"
            )
            beyond = [privilege for (privilege,) in cursor.fetchall()]
    except DatabaseError as exc:
        return [f"The legacy account's privileges cannot be read ({exc}); {_SELECT_ONLY_ADVICE}"]
    if row and row[0]:
        beyond = ["SUPERUSER", *beyond]
    if beyond:
        return [f"The legacy database account can do more than read ({', '.join(beyond)}): {_SELECT_ONLY_ADVICE}"]
    return []


# --- Reading --------------------------------------------------------------------------------


def execute_statement(cursor, sql: str, params: Mapping[str, Any]) -> list[str]:
    """Send `sql` to the source through `cursor`; return the result's column names in lower case.

    Checks nothing itself (read_rows checks the statement first): what refuses a
    second statement or a write here is the connection (make_read_only,
    read_only_transaction).
    """
    # No parameters at all means no %-placeholders are processed: a literal
    # % in the SQL then needs no doubling.
    cursor.execute(sql, dict(params) or None)
    return [col[0].lower() for col in cursor.description or []]


def read_rows(connection, sql: str, params: Mapping[str, Any], *, what: str, required, optional) -> list[rules.SourceRow]:
    """Run one mapped SELECT with parameters and return its rows, checking the statement and its columns first."""
    used = {name: params[name] for name in rules.statement_parameters(sql)}
    dialect = sql_dialect(connection)
    try:
        rules.check_select_only(sql, dialect=dialect)
    except ValueError as exc:
        raise LegacyError(f"The {what} statement is refused: {exc}") from None
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "mysql":
                # mysqlclient pastes the escaped values into the text: check the text
                # the server will get, not only its template.
                try:
                    rules.check_select_only(cursor.mogrify(sql, used or None), dialect=dialect, template=False)
                except ValueError as exc:
                    raise LegacyError(f"The {what} statement with its parameters is refused: {exc}") from None
            columns = execute_statement(cursor, sql, used)
            try:
                rules.check_columns(columns, required=required, optional=optional, what=f"The {what} statement")
            except ValueError as exc:
                raise LegacyError(f"{exc} Rename them with AS in the mapping.") from None
            rows = []
            while batch := cursor.fetchmany(FETCH_SIZE):
                for values in batch:
                    number = len(rows) + 1
                    record = dict(zip(columns, values))
                    key = rules.text(record.get("source_key")) or f"#{number}"
                    rows.append(rules.SourceRow(number=number, key=key, values=record))
    except DatabaseError as exc:
        raise LegacyError(f"The {what} statement failed on the legacy database: {exc}") from None
    return rows


@dataclass
class LegacyRead:
    people: list[rules.SourceRow]
    history: list[rules.SourceRow]


def read_source(mapping: LegacyMapping, connection) -> LegacyRead:
    """Both statements of `mapping`, read in one read-only transaction."""
    with read_only_transaction(connection):
        people = read_rows(
            connection, mapping.people, mapping.params, what="people",
            required=rules.PEOPLE_REQUIRED + ("source_key",),
            optional=tuple(c for c in rules.PEOPLE_OPTIONAL if c != "source_key"),
        )
        history = []
        if mapping.history:
            history = read_rows(
                connection, mapping.history, mapping.params, what="history",
                required=rules.HISTORY_REQUIRED, optional=rules.HISTORY_OPTIONAL,
            )
    return LegacyRead(people=people, history=history)


def legacy_import(
    *,
    mapping: LegacyMapping | None = None,
    source=None,
    url: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    by=None,
    warn: Callable[[str], None] | None = None,
) -> people_import.PeopleOutcome:
    """Read the legacy source through `mapping`, then plan (and unless dry_run, write) the people.

    `source` is a connection object or an alias (default `legacy`); `url` opens one
    for this import only. Each statement is checked in the source's dialect before
    any runs; `warn` gets a sentence for each way the source account could write
    (write_access_warnings). Raises LegacyError for an unusable mapping or source and
    services.ImportRefused for a strict import with problems.
    """
    mapping = mapping or load_mapping()
    check_mapping_targets(mapping)
    with open_source(source, url=url) as connection:
        check_statements(mapping, sql_dialect(connection))
        if warn is not None:
            for message in write_access_warnings(connection):
                warn(message)
        data = read_source(mapping, connection)
        vendor = connection.vendor
    return people_import.import_people(
        data.people,
        data.history,
        kind=ImportKind.LEGACY,
        source=f"{Path(mapping.path).name} ({vendor})",
        by=by,
        dry_run=dry_run,
        strict=strict,
        synonyms=mapping.synonyms,
    )
