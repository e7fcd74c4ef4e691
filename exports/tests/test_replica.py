"""REPORTS_DATABASE_URL: exports read the replica, everything else the primary.

Two real databases (SQLite files, or two MariaDB databases when the suite runs on
MariaDB), each migrated and given different people; the command runs in a
subprocess with the settings a deployment would have.
"""

import csv
import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

PROJECT = Path(__file__).resolve().parents[2]


def manage(env_overrides, *args):
    env = {**os.environ, "DEBUG": "1", **env_overrides}
    env.pop("REPORTS_DATABASE_URL", None) if "REPORTS_DATABASE_URL" not in env_overrides else None
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, timeout=300
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def database_urls(tmp_path):
    """Two fresh databases of the kind the suite runs on; yields their URLs."""
    if connection.vendor == "mysql":
        settings = connection.settings_dict
        auth = f"{settings['USER']}:{settings['PASSWORD']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 3306}"
        suffix = uuid.uuid4().hex[:8]
        base = settings["NAME"]
        names = [f"{base}_primary_{suffix}", f"{base}_replica_{suffix}"]
        with connection.cursor() as cursor:
            for name in names:
                cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        return [f"mysql://{auth}/{name}" for name in names], names
    return [f"sqlite:///{tmp_path / 'primary.sqlite3'}", f"sqlite:///{tmp_path / 'replica.sqlite3'}"], []


@pytest.mark.django_db
def test_exports_read_the_replica_when_it_is_configured(tmp_path):
    (primary, replica), created = database_urls(tmp_path)
    try:
        # Both get the schema; the replica gets more people, so the two differ.
        manage({"DATABASE_URL": primary}, "migrate", "--noinput", "-v0")
        manage({"DATABASE_URL": replica}, "migrate", "--noinput", "-v0")
        manage({"DATABASE_URL": primary}, "seed_demo", "--employees", "5", "-v0")
        manage({"DATABASE_URL": replica}, "seed_demo", "--employees", "12", "-v0")

        def roster_ids(env):
            body = manage(env, "export_report", "roster").decode("utf-8")
            return [row[0] for row in csv.reader(io.StringIO(body), delimiter=";")][1:]

        on_primary = roster_ids({"DATABASE_URL": primary})
        on_replica = roster_ids({"DATABASE_URL": replica})
        assert len(on_replica) > len(on_primary)
        # With the replica configured, the export reads it even though DATABASE_URL is the primary.
        assert roster_ids({"DATABASE_URL": primary, "REPORTS_DATABASE_URL": replica}) == on_replica
        # migrate with the replica configured leaves it alone (the router forbids it).
        manage({"DATABASE_URL": primary, "REPORTS_DATABASE_URL": replica}, "migrate", "--database", "reports", "-v0")
    finally:
        if created:
            with connection.cursor() as cursor:
                for name in created:
                    cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


def test_router_keeps_migrations_off_the_replica():
    from exports.router import ReportsReplicaRouter

    router = ReportsReplicaRouter()
    assert router.allow_migrate("reports", "grades") is False
    assert router.allow_migrate("default", "grades") is None
    assert router.db_for_read(object) is None and router.db_for_write(object) is None


def test_reports_alias_falls_back_to_default(settings):
    from exports.db import reports_alias

    assert "reports" not in settings.DATABASES
    assert reports_alias() == "default"
