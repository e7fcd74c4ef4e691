"""
Reading a large result in batches without holding it in memory.

Django's `cursor()` and `QuerySet.iterator()` buffer the whole result on
MySQL/MariaDB (mysqlclient's default cursor stores it client-side), so MySQL gets
an unbuffered `SSCursor` on a connection of its own; other databases read
through Django's `chunked_cursor()` with `fetchmany`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

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
    steps = slice_steps(first, largest)
    lower = 0
    while True:
        boundary = yield (SLICE_BOUNDARY_SQL, [lower, next(steps) - 1])
        upper = boundary[0] if boundary else MAX_ID
        yield (sql, with_bounds(lower, upper))
        if not boundary:
            return
        lower = upper


def iter_keyset(alias: str, sql: str, with_bounds, size: int) -> Iterator[list]:
    """Row batches of a keyset statement, slice after slice of employees.

    On MySQL/MariaDB the server prepares each next slice while the current one is
    read (_mysql_prefetched); elsewhere the slices run one after the other.
    """
    if vendor(alias) == "mysql":
        yield from _mysql_prefetched(alias, sql, with_bounds, size)
    else:
        yield from _chunked_batches(alias, keyset_queries(sql, with_bounds), size)


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
    raw = _read_only_connection(wrapper)
    finished = False
    try:
        cursor = raw.cursor(SSCursor)
        yield from _run(cursor, queries, size)
        finished = True
        cursor.close()
    finally:
        if not finished:
            # Closing an unbuffered cursor would first read every remaining row from
            # the server; closing the connection drops them and the server stops the query.
            logger.info("export stopped before the end; closing its database connection")
        raw.close()


def _read_only_connection(wrapper):
    raw = wrapper.get_new_connection(wrapper.get_connection_params())
    cursor = raw.cursor()
    # Read-only on purpose: an export never writes.
    cursor.execute("SET SESSION TRANSACTION READ ONLY")
    cursor.close()
    return raw


@contextmanager
def snapshot_reader(alias: str) -> Iterator[Callable[[str, Sequence], list]]:
    """A function that runs one small statement and returns all its rows, for an export.

    On MySQL/MariaDB it reads through a connection of its own, in one read-only
    transaction with a consistent snapshot, so every statement of the export sees
    the database at the same moment; the connection is closed on leaving, also
    when the client went away. Elsewhere it reads through the alias's connection.
    """
    if vendor(alias) != "mysql":
        with connections[alias].cursor() as cursor:

            def run(sql: str, params: Sequence) -> list:
                cursor.execute(sql, list(params))
                return cursor.fetchall()

            yield run
        return
    raw = _read_only_connection(connections[alias])
    try:
        cursor = raw.cursor()
        cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")

        def run(sql: str, params: Sequence) -> list:
            cursor.execute(sql, list(params))
            return list(cursor.fetchall())

        yield run
    finally:
        raw.close()


def _mysql_prefetched(alias: str, sql: str, with_bounds, size: int) -> Iterator[list]:
    """A keyset statement's slices on two connections of their own, taking turns.

    Each slice is joined and sorted by the server before its first row leaves, and
    formatting its rows keeps Python busy: run one after the other, the two wait for
    each other. So while one connection's slice is read (unbuffered: the same
    mysql_use_result that SSCursor uses), the next slice's statement has already
    been sent on the other, and the server works on it meanwhile. A connection
    runs its next statement only once its previous result has been read to the
    end; both are closed in `finally`, also when the client goes away, which drops
    whatever the server still had to send.
    """
    wrapper = connections[alias]
    opened = []
    steps = slice_steps()
    finished = False

    def start(raw, lower: int):
        """Find the slice's upper bound, send its statement, and return the bound (None: the last)."""
        cursor = raw.cursor()
        cursor.execute(SLICE_BOUNDARY_SQL, [lower, next(steps) - 1])
        row = cursor.fetchone()
        upper = row[0] if row else None
        statement = cursor.mogrify(sql, with_bounds(lower, MAX_ID if upper is None else upper))
        cursor.close()
        raw.send_query(statement.encode(raw.encoding))
        return upper

    try:
        opened.append(_read_only_connection(wrapper))
        opened.append(_read_only_connection(wrapper))
        current, following = opened
        upper = start(current, 0)
        while True:
            next_upper = start(following, upper) if upper is not None else None
            current.read_query_result()
            result = current.use_result()
            while batch := result.fetch_row(size):
                yield list(batch)
            del result
            if upper is None:
                break
            current, following = following, current
            upper = next_upper
        finished = True
    finally:
        if not finished:
            logger.info("export stopped before the end; closing its database connections")
        for raw in opened:
            raw.close()


def slice_steps(first: int | None = None, largest: int | None = None):
    """Employees per slice: `first` (SLICE_FIRST), then twice as many each time, up to `largest`."""
    step, largest = first or SLICE_FIRST, largest or SLICE_LARGEST
    while True:
        yield step
        step = min(step * 2, largest)


def _chunked_batches(alias: str, queries, size: int) -> Iterator[list]:
    connection = connections[alias]
    cursor = connection.chunked_cursor()
    try:
        yield from _run(cursor, queries, size)
    finally:
        cursor.close()
