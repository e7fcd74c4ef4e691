"""Producing a report's CSV: the one generator both the download and the command use."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone, translation

from . import csvstream, db
from .reports import REPORTS, Report


class UnknownReport(LookupError):
    pass


def get_report(name: str) -> Report:
    try:
        return REPORTS[name]
    except KeyError:
        raise UnknownReport(name) from None


def filename(report: Report) -> str:
    return f"{report.name}-{timezone.localdate():%Y-%m-%d}.csv"


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
