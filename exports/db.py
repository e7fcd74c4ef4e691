"""
Reading a large result in batches without holding it in memory.

Django's `cursor()` and `QuerySet.iterator()` buffer the whole result on
MySQL/MariaDB (mysqlclient's default cursor stores it client-side), so MySQL gets
an unbuffered `SSCursor` on a connection of its own; other databases read
through Django's `chunked_cursor()` with `fetchmany`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

REPORTS_ALIAS = "reports"


def reports_alias() -> str:
    """The database exports read from: the `reports` replica when configured, else `default`."""
    return REPORTS_ALIAS if REPORTS_ALIAS in settings.DATABASES else "default"


def vendor(alias: str) -> str:
    return connections[alias].vendor


# Employees per slice of a keyset statement (about 20 rows each in the skill matrix): the
# first slice is small, so the first bytes leave at once; each next one is twice as large,
# up to SLICE_LARGEST, so a big export runs few statements and sorts little at a time.
SLICE_FIRST = 250
SLICE_LARGEST = 4000
MAX_ID = 2**62

# The id that closes the next slice: the step-th employee id after `lower`
# (primary-key range scan). No row means the slice runs to the end.
SLICE_BOUNDARY_SQL = "SELECT id FROM grades_employee WHERE id > %s ORDER BY id LIMIT 1 OFFSET %s"


def iter_batches(alias: str, sql: str, params: Sequence, size: int) -> Iterator[list]:
    """Rows of `sql` in lists of up to `size`, fetched as they are consumed.

    Closing the generator early (a client that went away) closes the cursor or
    connection at once; nothing is written through it.
    """
    yield from iter_slices(alias, [(sql, params)], size)


def keyset_queries(sql: str, with_bounds, first: int | None = None, largest: int | None = None):
    """A generator of (sql, params) slices over employee ids; send() it each boundary row."""
    largest = largest or SLICE_LARGEST
    lower = 0
    step = first or SLICE_FIRST
    while True:
        boundary = yield (SLICE_BOUNDARY_SQL, [lower, step - 1])
        upper = boundary[0] if boundary else MAX_ID
        yield (sql, with_bounds(lower, upper))
        if not boundary:
            return
        lower = upper
        step = min(step * 2, largest)


def iter_slices(alias: str, queries, size: int) -> Iterator[list]:
    """Run `queries` one after the other on one read-only connection, yielding row batches.

    `queries` is an iterable of (sql, params), or a keyset_queries() generator, whose
    boundary queries get their single row sent back and yield nothing themselves.
    """
    if vendor(alias) == "mysql":
        yield from _mysql_batches(alias, queries, size)
    else:
        yield from _chunked_batches(alias, queries, size)


def _run(cursor, queries, size: int) -> Iterator[list]:
    is_keyset = hasattr(queries, "send")
    iterator = iter(queries)
    query = next(iterator, None)
    while query is not None:
        sql, params = query
        cursor.execute(sql, list(params))
        if is_keyset and sql is SLICE_BOUNDARY_SQL:
            rows = cursor.fetchall()
            query = iterator.send(rows[0] if rows else None)
            continue
        while True:
            rows = cursor.fetchmany(size)
            if not rows:
                break
            yield list(rows)
        query = next(iterator, None)


def _mysql_batches(alias: str, queries, size: int) -> Iterator[list]:
    from MySQLdb.cursors import SSCursor

    wrapper = connections[alias]
    # A connection of its own: while an unbuffered result is open, its connection
    # can run no other query, and the request's connection must stay usable.
    raw = wrapper.get_new_connection(wrapper.get_connection_params())
    finished = False
    try:
        cursor = raw.cursor(SSCursor)
        # Read-only on purpose: an export never writes.
        cursor.execute("SET SESSION TRANSACTION READ ONLY")
        yield from _run(cursor, queries, size)
        finished = True
        cursor.close()
    finally:
        if not finished:
            # Closing an unbuffered cursor would first read every remaining row from
            # the server; closing the connection drops them and the server stops the query.
            logger.info("export stopped before the end; closing its database connection")
        raw.close()


def _chunked_batches(alias: str, queries, size: int) -> Iterator[list]:
    connection = connections[alias]
    cursor = connection.chunked_cursor()
    try:
        yield from _run(cursor, queries, size)
    finally:
        cursor.close()
