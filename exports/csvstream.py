"""
Turning a report's rows into CSV bytes, in chunks, with flat memory.

Two ways produce the same bytes:

* the Python way (every database): rows come from a cursor in batches
  (`fetchmany`), text cells that a spreadsheet would run as a formula are
  neutralised, and Python's `csv.writer` formats them;
* the server way (MySQL/MariaDB): the database builds each finished CSV line
  itself (see `mysql_line_sql`), and Python only joins lines into chunks. It is
  much faster for the big reports, and the tests hold it to the exact bytes the
  Python way writes for the same values.
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


def line_chunks(batches: Iterable[Sequence[Sequence]]) -> Iterator[bytes]:
    """Join lines the database already formatted (one-column rows) into chunks."""
    parts: list[str] = []
    size = 0
    for batch in batches:
        text = "".join([row[0] for row in batch])
        parts.append(text)
        size += len(text)
        if size >= CHUNK_BYTES:
            yield "".join(parts).encode("utf-8")
            parts, size = [], 0
    if parts:
        yield "".join(parts).encode("utf-8")


# --- The server way, MySQL/MariaDB ------------------------------------------------------------------

# Control characters as utf8mb4 text: a plain CHAR(n) is a binary string and would turn
# the whole line into bytes. No backslash escapes, so NO_BACKSLASH_ESCAPES cannot matter.
TAB = "CHAR(9 USING utf8mb4)"
CR = "CHAR(13 USING utf8mb4)"
LF = "CHAR(10 USING utf8mb4)"
CRLF = "CHAR(13, 10 USING utf8mb4)"


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


def _mysql_text_cell(column: str) -> str:
    """SQL that renders one text column exactly as neutralise() + csv.writer would.

    Takes the delimiter as the first %s parameter. NULL becomes ''; a value that
    starts like a formula gets a leading apostrophe; a value holding the delimiter,
    a double quote, CR or LF is quoted with inner quotes doubled (QUOTE_MINIMAL).
    """
    value = (
        f"IF(LEFT({column}, 1) COLLATE utf8mb4_bin IN ('=', '+', '-', '@', {TAB}, {CR}), "
        f"CONCAT('''', {column}), {column})"
    )
    # Byte-for-byte search: a collation would also find look-alikes of ; or ".
    binary = f"{column} COLLATE utf8mb4_bin"
    return (
        f"IFNULL(IF(LOCATE(%s, {binary}) > 0 OR LOCATE('\"', {binary}) > 0 "
        f"OR LOCATE({CR}, {binary}) > 0 OR LOCATE({LF}, {binary}) > 0, "
        f"CONCAT('\"', REPLACE({value}, '\"', '\"\"'), '\"'), {value}), '')"
    )


def mysql_line_sql(statement, kinds: Sequence[str]) -> tuple[str, list]:
    """A report's statement wrapped so that MySQL/MariaDB returns finished CSV lines.

    The inner SELECT computes each column once (and the sort keys); the outer one
    renders the cells and joins them. The delimiter travels as a parameter: once
    for CONCAT_WS and once per text cell, ahead of the statement's own parameters.
    Returns the SQL and a function that builds the parameter list for a delimiter.
    """
    cells = []
    text_cells = 0
    for i, kind in enumerate(kinds):
        ref = f"r.c{i}"
        if kind == TEXT:
            cells.append(_mysql_text_cell(ref))
            text_cells += 1
        else:
            cells.append(f"IFNULL({ref}, '')")
    inner = ", ".join(
        [f"{expr} AS c{i}" for i, expr in enumerate(statement.expressions)]
        + [f"{expr} AS o{j}" for j, expr in enumerate(statement.order)]
    )
    order = ", ".join(f"r.o{j}" for j in range(len(statement.order)))
    sql = (
        f"SELECT CONCAT(CONCAT_WS(%s, {', '.join(cells)}), {CRLF}) "
        f"FROM (SELECT {inner} {statement.body}) AS r ORDER BY {order}"
    )
    return sql, 1 + text_cells
