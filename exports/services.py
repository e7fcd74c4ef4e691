"""Producing a report's CSV: the one generator both the download and the command use."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.utils import timezone

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


def uses_server_formatting(report: Report, alias: str) -> bool:
    """MySQL/MariaDB build the CSV lines themselves unless the report needs a Python step."""
    return (
        db.vendor(alias) == "mysql"
        and report.transform is None
        and settings.EXPORTS_SERVER_SIDE_CSV
    )


def csv_chunks(
    report: Report,
    filters: dict,
    *,
    delimiter: str = ";",
    bom: bool = False,
    alias: str | None = None,
    from_statement: bool = False,
) -> Iterator[bytes]:
    """The report as CSV bytes, chunk by chunk: header first, then rows as they are read.

    Filters must already be validated (ReportFilterForm). Memory stays flat: rows are
    fetched in batches and each chunk is handed on before the next is read. A report
    whose rows are assembled in Python (Report.rows) is read that way unless the server
    builds the lines, or `from_statement` asks for its single statement (the tests
    compare the two).
    """
    alias = alias or db.reports_alias()
    delimiter = csvstream.DELIMITERS[delimiter]
    vendor = db.vendor(alias)
    statement = report.build(vendor, filters)
    yield csvstream.header_bytes(report.column_names, delimiter, bom=bom)
    if uses_server_formatting(report, alias):
        line_sql, count = csvstream.mysql_line_sql(statement, report.kinds)
        prefix = [delimiter] * count
        batches = _batches(alias, statement, line_sql, lambda params: prefix + list(params))
        yield from csvstream.line_chunks(batches)
        return
    if report.rows is not None and not from_statement:
        yield from csvstream.python_chunks(report.rows(alias, filters), report.kinds, delimiter, neutralised=True)
        return
    if report.transform is not None:
        batches = _batches(alias, statement, statement.sql(), list)
        batches = (list(report.transform(batch)) for batch in batches)
        yield from csvstream.python_chunks(batches, report.kinds, delimiter)
        return
    # The database neutralises text cells as it reads them; Python only formats.
    statement.expressions = [
        csvstream.neutralise_sql(expression, vendor) if kind == csvstream.TEXT else expression
        for expression, kind in zip(statement.expressions, report.kinds)
    ]
    batches = _batches(alias, statement, statement.sql(), list)
    yield from csvstream.python_chunks(batches, report.kinds, delimiter, neutralised=True)


def _batches(alias, statement, sql, full_params):
    """Row batches of `sql`: in slices of employees for a keyset statement, else in one go."""
    if statement.keyset:
        return db.iter_keyset(
            alias, sql, lambda lower, upper: full_params(statement.with_bounds(lower, upper)), csvstream.FETCH_ROWS
        )
    return db.iter_batches(alias, sql, full_params(statement.params), csvstream.FETCH_ROWS)
