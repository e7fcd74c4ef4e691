"""
Legacy source databases for the import tests: a real second database, never a mock.

`legacy_db` is parametrised: a SQLite file always, and a MariaDB/MySQL database
of its own when the suite runs on MariaDB (named gradesys_legacy_<random>,
created on the same server as the test database and dropped afterwards). Both are
filled from imports/legacy/example_schema.sql, broken rows included. Setup writes
through a raw connection of the test's own; the importer gets only the URL.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from grades.models import Employee, GradeChange, Requirement, TrackLevel
from imports.legacy_source import EXAMPLE_SCHEMA
from imports.models import ImportRun


@dataclass
class LegacySource:
    vendor: str
    url: str
    # Runs one statement with %s parameters on a writable connection of the test's own.
    execute: Callable[[str, Sequence], None]
    query: Callable[[str], list]


def split_sql(script: str) -> list[str]:
    """The statements of an SQL script, split on semicolons outside quotes and comments."""
    statements, current, quote_char, i = [], [], None, 0
    while i < len(script):
        ch = script[i]
        if quote_char:
            current.append(ch)
            if ch == quote_char:
                quote_char = None
        elif ch in "'\"":
            quote_char = ch
            current.append(ch)
        elif script.startswith("--", i):
            end = script.find("\n", i)
            i = len(script) if end == -1 else end
            continue
        elif ch == ";":
            statements.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    tail = "".join(current).strip()
    return [s for s in statements + [tail] if s]


def _sqlite_source(tmp_path):
    path = tmp_path / "old_hr.sqlite3"
    raw = sqlite3.connect(path)
    raw.executescript(EXAMPLE_SCHEMA.read_text(encoding="utf-8"))
    raw.commit()

    def execute(sql, params=()):
        raw.execute(sql.replace("%s", "?"), params)
        raw.commit()

    def query(sql):
        return raw.execute(sql).fetchall()

    return raw, LegacySource("sqlite", f"sqlite:///{path}", execute, query)


def _mysql_source():
    import MySQLdb

    settings_dict = connection.settings_dict
    params = connection.get_connection_params()
    params.pop("database", None)
    params.pop("db", None)
    name = f"gradesys_legacy_{secrets.token_hex(4)}"
    raw = MySQLdb.connect(**params)
    cursor = raw.cursor()
    cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    raw.select_db(name)
    for statement in split_sql(EXAMPLE_SCHEMA.read_text(encoding="utf-8")):
        cursor.execute(statement)
    raw.commit()

    def execute(sql, params=()):
        cursor.execute(sql, params)
        raw.commit()

    def query(sql):
        cursor.execute(sql)
        return list(cursor.fetchall())

    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or 3306
    url = f"mysql://{user}:{password}@{host}:{port}/{name}"
    return raw, name, LegacySource("mysql", url, execute, query)


@pytest.fixture(params=["sqlite", "mysql"])
def legacy_db(request, tmp_path):
    if request.param == "sqlite":
        raw, source = _sqlite_source(tmp_path)
        yield source
        raw.close()
        return
    if connection.vendor != "mysql":
        pytest.skip("a MariaDB legacy database needs the suite on MariaDB (DATABASE_URL=mysql://...)")
    raw, name, source = _mysql_source()
    try:
        yield source
    finally:
        raw.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        raw.close()


def snapshot() -> dict[str, list]:
    """Every row an import could write, to compare before and after."""
    User = get_user_model()
    models = [
        User,
        User.groups.through,
        Group,
        Employee,
        Employee.history.model,
        GradeChange,
        Requirement,
        Requirement.history.model,
        TrackLevel,
        ImportRun,
    ]
    return {
        model._meta.db_table: list(model.objects.order_by("pk").values())
        for model in models
    }


@pytest.fixture
def legacy_connection(legacy_db):
    """A Django connection to the legacy database, as the importer is given one."""
    from common.databases import legacy_database_config
    from imports.legacy_source import connection_from_config

    handler, conn = connection_from_config(legacy_database_config(legacy_db.url))
    yield conn
    handler.close_all()
