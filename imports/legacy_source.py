"""
Reading people and grade history from an old system's database with raw SQL.

The SQL lives in a mapping file (YAML; the default, for the example schema in
imports/legacy/example_schema.sql, is imports/legacy/mapping.yaml), because only
the company knows its old schema. Each statement must be one SELECT returning the
documented columns; it runs with query parameters from the mapping's `params`,
never with values pasted into the text. The source connection is made read-only
before anything runs on it (MySQL/MariaDB: SET SESSION TRANSACTION READ ONLY;
SQLite: PRAGMA query_only; PostgreSQL: a read-only session), the router keeps
models away from it, and the SELECT check refuses anything else with a clear
message first.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
        try:
            rules.check_select_only(sql)
        except ValueError as exc:
            raise LegacyError(f"{name}: the {key} statement is refused: {exc}") from None
        missing = [p for p in rules.statement_parameters(sql) if p not in params]
        if missing:
            raise LegacyError(
                f"{name}: the {key} statement uses the parameter(s) {', '.join(missing)}, which 'params' does not define"
            )
        statements[key] = sql.strip().rstrip(";").strip()

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
    """The mapping's level codes and track slugs must exist here."""
    from grades.models import Level, Track

    levels = set(Level.objects.values_list("code", flat=True))
    tracks = set(Track.objects.values_list("slug", flat=True))
    bad_levels = sorted(set(mapping.levels) - levels)
    bad_tracks = sorted(set(mapping.tracks) - tracks)
    if bad_levels:
        raise LegacyError(f"{mapping.path}: levels: {', '.join(bad_levels)} is not a level code ({', '.join(sorted(levels))})")
    if bad_tracks:
        raise LegacyError(f"{mapping.path}: tracks: {', '.join(bad_tracks)} is not a track slug ({', '.join(sorted(tracks))})")


# --- The source connection ------------------------------------------------------------------


def make_read_only(connection) -> None:
    """Make the source connection refuse writes, whatever SQL reaches it."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA query_only = ON")
        elif connection.vendor == "postgresql":
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")


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
        from gradesys.settings import legacy_database_config

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


def read_rows(connection, sql: str, params: Mapping[str, Any], *, what: str, required, optional) -> list[rules.SourceRow]:
    """Run one mapped SELECT with parameters and return its rows, checking its columns first."""
    used = {name: params[name] for name in rules.statement_parameters(sql)}
    try:
        with connection.cursor() as cursor:
            # No parameters at all means no %-placeholders are processed: a literal
            # % in the SQL then needs no doubling.
            cursor.execute(sql, used or None)
            columns = [col[0].lower() for col in cursor.description or []]
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
) -> people_import.PeopleOutcome:
    """Read the legacy source through `mapping`, then plan (and unless dry_run, write) the people.

    `source` is a connection object or an alias (default `legacy`); `url` opens one
    for this import only. Raises LegacyError for an unusable mapping or source and
    services.ImportRefused for a strict import with problems.
    """
    mapping = mapping or load_mapping()
    check_mapping_targets(mapping)
    with open_source(source, url=url) as connection:
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
