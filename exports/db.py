"""
Reading a report from the database: one consistent snapshot per report, streamed.

Every statement of a report runs in one read-only transaction, so the file shows
the database as it was when the download began, in every row, even when a
promotion or a decision is committed while it is being sent (`snapshot`).

* MySQL/MariaDB: a connection of the export's own, in REPEATABLE READ, with
  `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY`. Rows come through an
  unbuffered cursor (`SSCursor`, the client's mysql_use_result) with `fetchmany`,
  so neither the worker nor the client library holds a whole result. Its own
  connection because an open unbuffered result blocks its connection, and the
  request's connection must stay usable; and because the request's connection is
  READ COMMITTED, where each statement would see a newer database.
* SQLite (and any other database): the alias's own connection, in one read
  transaction (`BEGIN` … `ROLLBACK`), read in batches with `fetchmany`. In WAL mode
  a reader keeps its snapshot while writers commit beside it.

Memory stays flat: a statement whose result grows with the organisation is
streamed (`Snapshot.stream`); only statements bounded by a slice of employees are
read whole (`Snapshot.rows`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

REPORTS_ALIAS = "reports"

# Employees per slice of the skill matrix (about 20 rows each): the first slice is small,
# so the first rows leave at once; each next one is twice as large, up to SLICE_LARGEST.
# A slice's people and claims are held while its rows are built, so the largest slice
# sets the worker's memory: at 1,000 people it peaks ~9 MB above the idle worker, at
# 4,000 ~22 MB, for the same CPU time (measured on MariaDB at 1,000,000 rows).
SLICE_FIRST = 250
SLICE_LARGEST = 1000


def reports_alias() -> str:
    """The database exports read from: the `reports` replica when configured, else `default`."""
    return REPORTS_ALIAS if REPORTS_ALIAS in settings.DATABASES else "default"


def has_replica() -> bool:
    """True when reports have a database of their own (REPORTS_DATABASE_URL)."""
    return REPORTS_ALIAS in settings.DATABASES


@dataclass(frozen=True)
class Replication:
    """What a database says of its own replication: whether it follows a primary, and how
    far behind it is (Seconds_Behind_Master; None while replication is stopped)."""

    is_replica: bool
    lag_seconds: int | None = None


def replication(alias: str) -> Replication:
    """The replication state of `alias`, read with `SHOW REPLICA STATUS`.

    MariaDB ≥ 10.5.1 and MySQL ≥ 8.0.22 know `SHOW REPLICA STATUS`; older servers only
    `SHOW SLAVE STATUS` (same columns). MySQL names the lag `Seconds_Behind_Source`. No row:
    the server follows no primary. The account needs REPLICA MONITOR (MariaDB) or
    REPLICATION CLIENT (MySQL); without it the statement fails and so does the report (503),
    rather than reading a replica of unknown age. Other databases replicate nothing here.
    """
    connection = connections[alias]
    if connection.vendor != "mysql":
        return Replication(is_replica=False)
    from django.db import DatabaseError

    with connection.cursor() as cursor:
        try:
            cursor.execute("SHOW REPLICA STATUS")
        except DatabaseError as exc:
            if "syntax" not in str(exc).lower():
                raise
            cursor.execute("SHOW SLAVE STATUS")
        row = cursor.fetchone()
        if row is None:
            return Replication(is_replica=False)
        columns = [column[0] for column in cursor.description]
    status = dict(zip(columns, row))
    lag = status.get("Seconds_Behind_Master", status.get("Seconds_Behind_Source"))
    return Replication(is_replica=True, lag_seconds=None if lag is None else int(lag))


def vendor(alias: str) -> str:
    return connections[alias].vendor


def slice_steps(first: int | None = None, largest: int | None = None) -> Iterator[int]:
    """Employees per slice: `first` (SLICE_FIRST), then twice as many each time, up to `largest`."""
    step, largest = first or SLICE_FIRST, largest or SLICE_LARGEST
    while True:
        yield step
        step = min(step * 2, largest)


class Snapshot:
    """The statements of one report, all in the same read-only transaction.

    One statement is read at a time: a result must be read to its end (or the
    snapshot closed) before the next statement runs.
    """

    def __init__(self, cursor, vendor: str, size: int):
        self._cursor = cursor
        self.vendor = vendor
        self.size = size

    def stream(self, sql: str, params: Sequence, size: int | None = None) -> Iterator[list]:
        """The rows of `sql` in lists of up to `size`, fetched from the server as they are consumed."""
        cursor = self._cursor
        cursor.execute(sql, list(params))
        size = size or self.size
        while rows := cursor.fetchmany(size):
            yield list(rows)

    def rows(self, sql: str, params: Sequence) -> list:
        """Every row of a statement whose size the caller bounds (a slice of employees)."""
        result: list = []
        for batch in self.stream(sql, params):
            result.extend(batch)
        return result


@contextmanager
def snapshot(alias: str, size: int = 5000) -> Iterator[Snapshot]:
    """A read-only transaction on `alias` for one report; `size` rows per fetch by default.

    Leaving the block ends the transaction, also when the client went away half-way
    (the generator that holds the block is closed): on MySQL/MariaDB the export's
    connection is closed, which drops whatever the server still had to send.
    """
    if vendor(alias) == "mysql":
        with _mysql_snapshot(alias, size) as reader:
            yield reader
    else:
        with _transaction_snapshot(alias, size) as reader:
            yield reader


@contextmanager
def _mysql_snapshot(alias: str, size: int) -> Iterator[Snapshot]:
    from MySQLdb.cursors import SSCursor

    wrapper = connections[alias]
    # The alias's settings (host, charset, sql_mode, Django's converters), but not its
    # connection: see the module's docstring.
    raw = wrapper.get_new_connection(wrapper.get_connection_params())
    finished = False
    try:
        cursor = raw.cursor(SSCursor)
        # The read view is taken here, before the first row is read. REPEATABLE READ is
        # what makes it one view for the whole transaction; READ ONLY because an export
        # never writes (and InnoDB then skips the transaction id).
        cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        yield Snapshot(cursor, "mysql", size)
        cursor.execute("COMMIT")
        finished = True
    finally:
        if not finished:
            # Closing an unbuffered cursor would first read every remaining row from the
            # server; closing the connection drops them and the server ends the query.
            logger.info("export stopped before the end; closing its database connection")
        raw.close()


@contextmanager
def _transaction_snapshot(alias: str, size: int) -> Iterator[Snapshot]:
    connection = connections[alias]
    connection.ensure_connection()
    # Already inside a transaction (a caller's atomic block): every read is in it anyway.
    own = connection.get_autocommit() and not connection.in_atomic_block
    cursor = connection.chunked_cursor()
    try:
        if own:
            # Deferred: takes no lock that would keep writers out. The first read fixes the
            # snapshot, so read at once rather than when the first report statement runs.
            cursor.execute("BEGIN")
            cursor.execute("SELECT count(*) FROM sqlite_master" if connection.vendor == "sqlite" else "SELECT 1")
            cursor.fetchone()
        yield Snapshot(cursor, connection.vendor, size)
    finally:
        try:
            if own:
                cursor.execute("ROLLBACK")  # nothing was written; ends the read transaction
        finally:
            cursor.close()
