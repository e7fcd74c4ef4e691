"""Reading an uploaded CSV: encodings, delimiters, headers, limits (no database)."""

from __future__ import annotations

import pytest

from imports import csvfile, rules

COLUMNS = dict(required=rules.PEOPLE_REQUIRED, optional=rules.PEOPLE_OPTIONAL)
HEADER = "email;first_name;last_name;track;level;hire_date"
ROW = "ivan@example.com;Иван;Петров;backend;Мидл+;2021-03-01"


def read(data: bytes, **kwargs):
    return csvfile.read_table(csvfile.decode(data), **COLUMNS, **kwargs)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_utf8_with_or_without_bom_and_any_of_the_delimiters(bom, delimiter, newline):
    text = newline.join([HEADER, ROW, ""]).replace(";", delimiter)

    table = read(bom + text.encode())

    assert table.delimiter == delimiter
    assert table.columns == list(rules.PEOPLE_REQUIRED)
    [row] = table.rows
    assert (row.number, row.key) == (2, "row 2")
    assert row.values["first_name"] == "Иван" and row.values["level"] == "Мидл+"


def test_headers_as_people_type_them_are_understood():
    table = read("Email;First name;Last-Name;TRACK;Level;Hire Date;Source key\r\n".encode() + ROW.encode() + b";A-7\r\n")
    assert table.columns == ["email", "first_name", "last_name", "track", "level", "hire_date", "source_key"]
    assert table.rows[0].key == "A-7"


def test_quoted_cells_may_hold_the_delimiter_and_line_breaks_and_row_numbers_follow_the_records():
    data = (HEADER + '\r\nivan@example.com;"Иван; ""Ваня""";"Петров\r\nмладший";backend;junior;2021-03-01\r\n'
            + ROW.replace("ivan", "olga") + "\r\n").encode()
    table = read(data)
    assert table.rows[0].values["first_name"] == 'Иван; "Ваня"'
    assert table.rows[0].values["last_name"] == "Петров\r\nмладший"
    assert [row.number for row in table.rows] == [2, 3]


def test_blank_rows_are_skipped_but_keep_their_numbers():
    table = read(f"{HEADER}\r\n\r\n;;;;;\r\n{ROW}\r\n".encode())
    assert [row.number for row in table.rows] == [4]


def test_a_row_with_more_cells_than_columns_carries_a_problem_and_a_short_row_is_padded():
    table = read(f"{HEADER}\r\n{ROW};surprise\r\n{ROW};\r\nivan@example.com;Иван\r\n".encode())
    assert table.rows[0].read_problems == ("the row has 7 cells but the header names 6 columns",)
    assert table.rows[1].read_problems == ()  # an empty trailing cell is what spreadsheets write
    assert table.rows[2].values["hire_date"] == ""


@pytest.mark.parametrize(
    "data, message",
    [
        ("Иван;Петров".encode("cp1251"), "The file is not UTF-8 text (byte 1 cannot be read)"),
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf \r\n", "The file is empty."),
        (b"a;b\x00c", "not a CSV text file"),
        (ROW.encode() + b"\r\n", "The first row must name the columns (email, first_name"),
        (HEADER.replace("hire_date", "").encode() + b"\r\n", "The header row has a column without a name."),
        ((HEADER + ";email").encode() + b"\r\n", "column(s) named twice: email"),
        (HEADER.replace(";hire_date", ";hired;notes").encode() + b"\r\n", "no column(s) hire_date; unexpected column(s) hired, notes"),
        (HEADER.encode() + b"\r\n\r\n", "The file has a header row but no data rows."),
    ],
)
def test_a_bad_file_is_refused_with_a_sentence(data, message):
    with pytest.raises(csvfile.CsvFileError) as caught:
        read(data)
    assert message in str(caught.value)


def test_the_row_and_size_limits():
    data = "\r\n".join([HEADER] + [ROW] * 4).encode()
    assert len(read(data, max_rows=4).rows) == 4
    with pytest.raises(csvfile.CsvFileError, match="more than 3 rows"):
        read(data, max_rows=3)
    with pytest.raises(csvfile.CsvFileError, match="larger than 5 MB"):
        csvfile.decode(b"x" * (csvfile.MAX_BYTES + 1))


def test_the_delimiter_is_told_from_the_header_not_from_the_data():
    text = "email,first_name,last_name,track,level,hire_date\r\n" + 'a@x.org,"Ann; Marie",B,backend,junior,2021-01-01\r\n'
    table = csvfile.read_table(text, **COLUMNS)
    assert table.delimiter == "," and table.rows[0].values["first_name"] == "Ann; Marie"
