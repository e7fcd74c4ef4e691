"""Settings are read from the environment; a production start without a secret fails clearly."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.databases import database_config

PROJECT = Path(__file__).resolve().parents[2]


def run_settings(env_overrides: dict, code: str = "import gradesys.settings as s; print(s.DEBUG)"):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL")}
    env.update(env_overrides)
    env["PYTHONPATH"] = str(PROJECT)
    return subprocess.run(
        [sys.executable, "-c", code], cwd="/", env=env, capture_output=True, text=True, timeout=60
    )


def test_missing_secret_key_in_production_stops_with_a_sentence():
    result = run_settings({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "set DEBUG=1 for local development" in result.stderr


def test_debug_runs_without_a_secret_key():
    result = run_settings({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_environment_wins_and_lists_are_parsed():
    result = run_settings(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "grades.example.com,.example.org",
            "TIME_ZONE": "Europe/Moscow",
            "LANGUAGE_CODE": "ru",
            "EMAIL_URL": "smtp://mailer:pw@mail.example.com:587",
        },
        "import gradesys.settings as s; print(s.ALLOWED_HOSTS, s.TIME_ZONE, s.LANGUAGE_CODE, s.EMAIL_HOST, s.EMAIL_PORT)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['grades.example.com', '.example.org'] Europe/Moscow ru mail.example.com 587"


def test_email_defaults_to_the_console():
    result = run_settings(
        {"DEBUG": "1"}, "import gradesys.settings as s; print(s.EMAIL_BACKEND)"
    )
    assert result.stdout.strip() == "django.core.mail.backends.console.EmailBackend"


def test_static_files_gather_in_the_project_unless_told_elsewhere(tmp_path):
    code = "import gradesys.settings as s; print(s.STATIC_ROOT)"
    assert run_settings({"DEBUG": "1"}, code).stdout.strip() == str(PROJECT / "staticfiles")
    assert run_settings({"DEBUG": "1", "STATIC_ROOT": str(tmp_path)}, code).stdout.strip() == str(tmp_path)


def test_default_database_is_a_sqlite_file_in_the_project():
    result = run_settings(
        {"DEBUG": "1"}, "import gradesys.settings as s; d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'])"
    )
    assert result.stdout.strip() == f"django.db.backends.sqlite3 {PROJECT / 'db.sqlite3'}"


def test_mysql_url_gets_utf8mb4_strict_mode_and_read_committed():
    config = database_config("mysql://app:secret@db.internal:3306/grades")
    assert config["ENGINE"] == "django.db.backends.mysql"
    assert (config["HOST"], config["PORT"], config["NAME"], config["USER"]) == (
        "db.internal", 3306, "grades", "app",
    )
    options = config["OPTIONS"]
    assert options["charset"] == "utf8mb4"
    assert options["isolation_level"] == "read committed"
    assert "STRICT_TRANS_TABLES" in options["init_command"]
    assert config["CONN_HEALTH_CHECKS"] is True
    assert config["CONN_MAX_AGE"] > 0
    assert config["ATOMIC_REQUESTS"] is True
    assert config["TEST"] == {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}


def test_sqlite_url_gets_wal_immediate_transactions_and_a_busy_timeout():
    config = database_config("sqlite:////tmp/grades.sqlite3")
    options = config["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]


@pytest.mark.django_db
@pytest.mark.sqlite_only
def test_sqlite_connection_really_uses_wal(settings, tmp_path):
    """The pragmas reach a real file database (the test database itself is in memory)."""
    import sqlite3

    from django.db.utils import ConnectionHandler

    handler = ConnectionHandler({"default": database_config(f"sqlite:///{tmp_path / 'wal.sqlite3'}")})
    wrapper = handler["default"]
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA busy_timeout")
            assert cursor.fetchone()[0] == 20000
    finally:
        wrapper.close()
    assert sqlite3.connect(tmp_path / "wal.sqlite3").execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.django_db
@pytest.mark.mysql_only
def test_mysql_session_is_strict_utf8mb4_read_committed():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT @@character_set_connection, @@SESSION.sql_mode, @@SESSION.tx_isolation")
        charset, sql_mode, isolation = cursor.fetchone()
    assert charset == "utf8mb4"
    assert "STRICT_TRANS_TABLES" in sql_mode
    assert isolation == "READ-COMMITTED"
