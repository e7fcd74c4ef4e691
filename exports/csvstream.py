"""
Turning a report's rows into CSV bytes, in chunks, with flat memory.

Rows come from the report's snapshot in batches (`fetchmany`); text cells that a
spreadsheet would run as a formula are neutralised, by the database as it reads
them (`neutralise_sql`) or here (`neutralise`), and Python's `csv.writer` formats
every line, on every database. The database formatting lines itself was tried:
it was no faster for any report, measured on MariaDB, and spent the database's CPU.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

# What a cell may start with for a spreadsheet to treat it as a formula (OWASP's
# CSV-injection guidance): =, +, -, @, tab and carriage return.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

DELIMITERS = {";": ";", ",": ",", "tab": "\t", "\t": "\t"}
BOM = "\ufeff"
LINE_END = "\r\n"

# Roughly how many bytes to gather before handing a chunk to the server.
CHUNK_BYTES = 256 * 1024
FETCH_ROWS = 5000

TEXT = "text"
NUMBER = "number"
# Values from a fixed set that a CHECK constraint enforces (statuses, kinds): they can
# neither look like a formula nor hold a delimiter, so the database need not test them.
CODE = "code"
# Dates and the product's own 'YYYY-MM-DD HH:MM:SS' text: digits, '-', ':' and a space,
# starting with a digit. Like CODE, never a formula and never holding a delimiter.
DATE = "date"


def neutralise(value: str) -> str:
    """Prefix a formula-looking text cell with an apostrophe so it is shown, not run."""
    if value and value[0] in FORMULA_PREFIXES:
        return "'" + value
    return value


def cell(value, kind: str):
    """One value as csv.writer should see it: None → '', text neutralised, numbers as they are."""
    if value is None:
        return ""
    if kind == TEXT:
        return neutralise(value if isinstance(value, str) else str(value))
    return value


def header_bytes(columns: Sequence[str], delimiter: str, *, bom: bool) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=LINE_END).writerow(
        [neutralise(name) for name in columns]
    )
    return ((BOM if bom else "") + buffer.getvalue()).encode("utf-8")


def python_chunks(
    batches: Iterable[Sequence[Sequence]],
    kinds: Sequence[str],
    delimiter: str,
    *,
    neutralised: bool = False,
) -> Iterator[bytes]:
    """CSV bytes from batches of rows, one chunk per batch or so.

    With `neutralised`, the statement already neutralised its text columns
    (neutralise_sql), and the rows go to csv.writer as they are (it writes None as '').
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=LINE_END)
    text_columns = [i for i, kind in enumerate(kinds) if kind == TEXT]
    for batch in batches:
        if neutralised:
            writer.writerows(batch)
            if buffer.tell() >= CHUNK_BYTES:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
            continue
        rows = []
        for row in batch:
            row = ["" if value is None else value for value in row]
            for i in text_columns:
                value = row[i]
                if value:
                    if not isinstance(value, str):
                        value = str(value)
                    if value[0] in FORMULA_PREFIXES:
                        value = "'" + value
                    row[i] = value
            rows.append(row)
        writer.writerows(rows)
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


# --- Neutralising in SQL ----------------------------------------------------------------------------

# Control characters as utf8mb4 text: a plain CHAR(n) is a binary string and would turn
# the value into bytes. No backslash escapes, so NO_BACKSLASH_ESCAPES cannot matter.
TAB = "CHAR(9 USING utf8mb4)"
CR = "CHAR(13 USING utf8mb4)"


def neutralise_sql(expression: str, vendor: str) -> str:
    """SQL for neutralise(): an apostrophe before a text value that starts like a formula.

    The first character is compared byte for byte (utf8mb4_bin on MySQL, SQLite's
    default), so characters a collation would treat as equal to '=' or '-' are not
    mistaken for them.
    """
    if vendor == "mysql":
        first = f"LEFT({expression}, 1) COLLATE utf8mb4_bin"
        return (
            f"CASE WHEN {first} IN ('=', '+', '-', '@', {TAB}, {CR}) "
            f"THEN CONCAT('''', {expression}) ELSE {expression} END"
        )
    return (
        f"CASE WHEN substr({expression}, 1, 1) IN ('=', '+', '-', '@', char(9), char(13)) "
        f"THEN '''' || {expression} ELSE {expression} END"
    )
