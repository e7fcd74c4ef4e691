"""
Reading an uploaded spreadsheet (CSV) into rows, or saying in one sentence why not.

UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8" writes one); the
delimiter is `;` (what Excel writes where the decimal separator is a comma), `,`
or a tab, told from the header row. Column names are matched without regard to
case, spaces or hyphens ("Hire date" is hire_date). Row numbers are the ones a
spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from . import rules

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
DELIMITERS = (";", ",", "\t")


class CsvFileError(Exception):
    """A file that cannot be read as the expected spreadsheet; the message says why."""


@dataclass(frozen=True)
class CsvTable:
    columns: list[str]
    rows: list[rules.SourceRow]
    delimiter: str


def column_name(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lstrip("\ufeff").strip()).lower()


def decode(data: bytes) -> str:
    """The text of an upload, or CsvFileError when it is empty, binary or not UTF-8."""
    if len(data) > MAX_BYTES:
        raise CsvFileError(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it into smaller files."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvFileError(
            f"The file is not UTF-8 text (byte {exc.start + 1} cannot be read). "
            "Save it from the spreadsheet as “CSV UTF-8”."
        ) from None
    if "\x00" in text:
        raise CsvFileError("The file is not a CSV text file (it looks binary — an .xlsx?). Save it as “CSV UTF-8”.")
    if not text.strip():
        raise CsvFileError("The file is empty.")
    return text


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header row most: column names contain none of them."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(
    text: str,
    *,
    required: Sequence[str],
    optional: Sequence[str],
    max_rows: int | None = None,
) -> CsvTable:
    """Parse `text` as a CSV with a header naming `required` (and perhaps `optional`) columns.

    Blank rows are skipped. A row with more cells than the header is read with a
    problem attached (the planner skips it); fewer cells mean empty values.
    """
    max_rows = max_rows or MAX_ROWS
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header, header_number = next(reader, None), 1
        while header is not None and not any(cell.strip() for cell in header):
            header, header_number = next(reader, None), header_number + 1
        if header is None:
            raise CsvFileError("The file is empty.")
        columns = [column_name(cell) for cell in header]
        known = set(required) | set(optional)
        if not known & set(columns):
            shown = ", ".join(repr(cell.strip()) for cell in header[:4])
            raise CsvFileError(
                f"The first row must name the columns ({', '.join(required)}, …); it reads {shown}. "
                "Is the header row missing?"
            )
        if any(not name for name in columns):
            raise CsvFileError("The header row has a column without a name.")
        try:
            rules.check_columns(columns, required=required, optional=optional, what="The file")
        except ValueError as exc:
            raise CsvFileError(str(exc)) from None

        rows: list[rules.SourceRow] = []
        for number, cells in enumerate(reader, start=header_number + 1):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= max_rows:
                raise CsvFileError(f"The file has more than {max_rows:,} rows; split it into smaller files.")
            problems = ()
            extra = [cell for cell in cells[len(columns):] if cell.strip()]
            if extra:
                problems = (f"the row has {len(cells)} cells but the header names {len(columns)} columns",)
            values = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(columns)}
            key = rules.text(values.get("source_key")) or f"row {number}"
            rows.append(rules.SourceRow(number=number, key=key, values=values, read_problems=problems))
    except csv.Error as exc:
        raise CsvFileError(f"The file is not valid CSV near line {reader.line_num}: {exc}.") from None
    if not rows:
        raise CsvFileError("The file has a header row but no data rows.")
    return CsvTable(columns=columns, rows=rows, delimiter=delimiter)
