"""Producing a report's CSV: the one generator both the download and the command use."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone, translation

from . import csvstream, db, rules
from .reports import REPORTS, Report


logger = logging.getLogger(__name__)


class UnknownReport(LookupError):
    pass


class ReplicaBehind(Exception):
    """The reports replica is further behind than REPORTS_MAX_LAG_SECONDS (or not replicating,
    or not answering) and REPORTS_LAG_FALLBACK does not allow reading the primary instead."""

    def __init__(self, lag_seconds: int | None):
        super().__init__(lag_seconds)
        self.lag_seconds = lag_seconds


@dataclass(frozen=True)
class ReportSource:
    """The database a report reads, and the moment its data was current (None: the default
    database, read as it is now, with no replica configured)."""

    alias: str
    as_of: datetime.datetime | None


def report_source() -> ReportSource:
    """Where the next report reads: the replica when it is recent enough, else the primary
    (REPORTS_LAG_FALLBACK=primary) or ReplicaBehind.

    Without a replica nothing is checked. With one, its lag is read (db.replication) just
    before the report's snapshot is taken, so the moment stated is at most as late as the
    data: the replica can only have moved on between the check and the snapshot.
    """
    if not db.has_replica():
        return ReportSource(alias="default", as_of=None)
    now = timezone.now().replace(microsecond=0)
    try:
        state = db.replication(db.REPORTS_ALIAS)
    except (OperationalError, InterfaceError) as exc:
        if isinstance(exc, OperationalError) and not _unreachable(exc):
            raise  # not a connection failure (a missing grant, say): not to be taken for lag
        # The replica cannot be reached (stopped, restarting): as far behind as a stopped one.
        logger.warning("reports replica unreachable; its lag is unknown")
        state = db.Replication(is_replica=True, lag_seconds=None)
    source = rules.report_source(
        is_replica=state.is_replica,
        lag_seconds=state.lag_seconds,
        max_lag_seconds=settings.REPORTS_MAX_LAG_SECONDS,
        fallback=settings.REPORTS_LAG_FALLBACK,
    )
    if source is rules.Source.REFUSE:
        raise ReplicaBehind(state.lag_seconds)
    if source is rules.Source.PRIMARY:
        return ReportSource(alias="default", as_of=now)
    lag = state.lag_seconds if state.is_replica else 0
    return ReportSource(alias=db.REPORTS_ALIAS, as_of=now - datetime.timedelta(seconds=lag or 0))


def get_report(name: str) -> Report:
    try:
        return REPORTS[name]
    except KeyError:
        raise UnknownReport(name) from None


# The client's error codes for a server that is not there: CR_CONNECTION_ERROR (socket),
# CR_CONN_HOST_ERROR (TCP), CR_SERVER_GONE_ERROR, CR_SERVER_LOST.
_CONNECTION_ERRORS = {2002, 2003, 2006, 2013}


def _unreachable(exc: OperationalError) -> bool:
    return bool(exc.args) and exc.args[0] in _CONNECTION_ERRORS


def filename(report: Report, as_of: datetime.datetime | None = None) -> str:
    """`roster-2026-12-02.csv`; with a replica, the moment the data was current (UTC) follows:
    `roster-2026-12-02-as-of-20261202T170000Z.csv` (no colons: Windows refuses them)."""
    if as_of is None:
        return f"{report.name}-{timezone.localdate():%Y-%m-%d}.csv"
    utc = as_of.astimezone(datetime.timezone.utc)
    return f"{report.name}-{timezone.localdate():%Y-%m-%d}-as-of-{utc:%Y%m%dT%H%M%SZ}.csv"


def as_of_header(as_of: datetime.datetime) -> str:
    """The same moment for scripts, as ISO 8601 in UTC: `2026-12-02T17:00:00Z`."""
    return f"{as_of.astimezone(datetime.timezone.utc):%Y-%m-%dT%H:%M:%SZ}"


def csv_chunks(
    report: Report,
    filters: dict,
    *,
    delimiter: str = ";",
    bom: bool = False,
    alias: str | None = None,
) -> Iterator[bytes]:
    """The report as CSV bytes, chunk by chunk (_chunks), in the language active now.

    The chunks are read while the response streams, after the view has returned: the
    language of the request that asked (names shown in the reader's language) is taken
    here and kept for them.
    """
    return _chunks(report, filters, delimiter=delimiter, bom=bom, alias=alias, language=translation.get_language())


def _chunks(
    report: Report,
    filters: dict,
    *,
    delimiter: str,
    bom: bool,
    alias: str | None,
    language: str | None,
) -> Iterator[bytes]:
    """The report as CSV bytes, chunk by chunk: header first, then rows as they are read.

    Filters must already be validated (ReportFilterForm). Every statement of the report
    reads one snapshot of the database (db.snapshot), taken before the header leaves.
    Memory stays flat: rows are fetched in batches and each chunk is handed on before
    the next is read. One way per report, on every database: its rows are assembled in
    Python from small statements (Report.rows: the skill matrix), or come from its single
    statement, with a Python step over them (Report.transform: the roster) or with text
    neutralised by the database as it reads it; Python's csv module writes every line.
    """
    alias = alias or db.reports_alias()
    delimiter = csvstream.DELIMITERS[delimiter]
    with translation.override(language), db.snapshot(alias, csvstream.FETCH_ROWS) as snapshot:
        yield csvstream.header_bytes(report.column_names, delimiter, bom=bom)
        if report.rows is not None:
            batches = report.rows(snapshot, filters)
            yield from csvstream.python_chunks(batches, report.kinds, delimiter, neutralised=True)
            return
        statement = report.build(snapshot.vendor, filters)
        if report.transform is not None:
            batches = (list(report.transform(batch)) for batch in snapshot.stream(statement.sql(), statement.params))
            yield from csvstream.python_chunks(batches, report.kinds, delimiter)
            return
        # The database neutralises text cells as it reads them; Python only formats.
        statement.expressions = [
            csvstream.neutralise_sql(expression, snapshot.vendor) if kind == csvstream.TEXT else expression
            for expression, kind in zip(statement.expressions, report.kinds)
        ]
        batches = snapshot.stream(statement.sql(), statement.params)
        yield from csvstream.python_chunks(batches, report.kinds, delimiter, neutralised=True)
