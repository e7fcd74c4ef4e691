"""Helpers shared by the bench scripts (run from the project root: python bench/NAME.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

_SESSION_CODE = """
import os, sys, django
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'gradesys.settings')
django.setup()
from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
user = get_user_model().objects.get(username=sys.argv[1])
s = SessionStore()
s[SESSION_KEY] = str(user.pk)
s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'
s[HASH_SESSION_KEY] = user.get_session_auth_hash()
s.create()
print(s.session_key)
"""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed_in_session(env: dict, username: str) -> str:
    """A session key for `username` in the database `env` points at, as if they had signed in."""
    return subprocess.run(
        [sys.executable, "-c", _SESSION_CODE, username], cwd=PROJECT, env=env, check=True,
        capture_output=True, text=True,
    ).stdout.strip()


def mariadb_memory(cursor) -> str:
    """The server's InnoDB buffer pool against the data and indexes of every database it holds.

    When the pool is smaller, pages are read again from the OS on the way (and a download's
    full scan evicts the pages' rows): the figures then measure the server's configuration
    as much as the product. Printed beside the figures for that reason.
    """
    cursor.execute("SELECT @@innodb_buffer_pool_size")
    (pool,) = cursor.fetchone()
    cursor.execute(
        "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables "
        "WHERE table_schema NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')"
    )
    (held,) = cursor.fetchone()
    mb = 1024 * 1024
    note = "" if pool >= held else " (smaller: part of the data is read from the OS on the way)"
    return f"InnoDB buffer pool {int(pool) // mb:,} MB for {int(held) // mb:,} MB of data and indexes on the server{note}"
