"""
The `<id:…>` path converter: an object's id in an address, bounded before any query.

Django's `<int:…>` passes any run of digits, and a value past 64 bits reaches the
database as a number no BIGINT column can hold: the ORM answers "no such row", but a
raw statement fails with an overflow (a server error). Ids are 1 .. 2**63 - 1 (the
positive range of a signed BIGINT, the widest key any table here has); anything else
makes the pattern not match, which Django answers with a 404 like any unknown address.

Registered on import; every urls.py that uses `<id:…>` imports this module first.
"""

from __future__ import annotations

from django.urls import register_converter

MAX_ID = 2**63 - 1


class IdConverter:
    """1 .. MAX_ID; the regex keeps what Django would try at all to 19 digits (MAX_ID's length)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(f"{value} is not an id")  # the address does not match: 404
        return number

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")
