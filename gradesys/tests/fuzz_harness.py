"""
What the hostile-input tests (test_fuzz_inputs.py, test_fuzz_admin_auth.py) share: the
hostile values and the strategies built from them, the properties every request keeps,
and `fuzz`, which runs one action of their tables as a Hypothesis property.

An action is data: whose browser sends it, what is drawn for an example, the request(s)
made from the drawing, whether the product must accept them (or None: the service
decides and the response says which), and what a refusal and an acceptance look like.
`check` then holds every action to the same properties:

- never a 500: the test client re-raises the view's exception, so a crash fails the example;
- whatever the page echoes back is escaped;
- a refused request writes nothing, and a read-only page writes nothing at all;
- an accepted one is what the action's `accepted` says (the cleaned value stored, ...).

Every example runs in a savepoint that is rolled back, so all examples of an action start
from the same fixture data.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field as dataclass_field
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db import connections, transaction
from django.test import Client
from hypothesis import HealthCheck, event, example, given, settings, strategies as st
from hypothesis.strategies import SearchStrategy

# --- Hostile values ----------------------------------------------------------------------------

# Every HTML payload carries alert('fz'): escaped, its quotes become &#x27;, so the raw
# text can only be on a page that did not escape it.
RAW_MARKER = "alert('fz')"
HTML = [
    "<script>alert('fz')</script>",
    "\"><img src=x onerror=alert('fz')>",
    "'><svg onload=alert('fz')>",
    "</textarea><script>alert('fz')</script>",
    "<a href=\"javascript:alert('fz')\">x</a>",
    "{{ request }}{% debug %}",
]
SQL = [
    "' OR 1=1 --",
    "'; DROP TABLE grades_employee; --",
    "\" OR \"\"=\"",
    "1; SELECT SLEEP(5)",
    "%",
    "_%_",
    "\\",
    "' UNION SELECT password FROM auth_user --",
]
DATES = [
    "2024-02-30",
    "99999-01-01",
    "-1",
    "2024-13-01",
    "",
    "0000-00-00",
    "0001-01-01",
    "1000-01-01",
    "9999-12-30",
    "9999-12-31",
    "2024-1-1",
    "2024-01-01T25:00",
    "now",
    "１９９９-01-01",
]
NUMBERS = [
    "-1",
    "0",
    "1e309",
    "99999999999999999999",
    "9223372036854775808",
    "-9223372036854775809",
    "NaN",
    "inf",
    "0x10",
    "1.5",
    "٣",
]
NULLS = ["\x00", "a\x00b", "\x00" * 8, "ok\x00<script>alert('fz')</script>"]
UNICODE = ["😀" * 50, "𝕏𝔜", "\u202eevil", "\ufeff", "e\u0301", "\u2028\u2029", "İstanbul ß", "\x1b[31m", "\r\n\t"]
FIXED = HTML + SQL + DATES + NUMBERS + NULLS + UNICODE

# Surrogates cannot be encoded into a request at all; everything else can.
CHARS = st.characters(exclude_categories=["Cs"])
any_text = st.text(alphabet=CHARS, max_size=120)
# Built by repetition: generating 20,000 independent characters would spend the
# budget on data generation instead of requests.
huge_text = st.builds(
    lambda chunk, size: (chunk * size)[:size],
    st.text(alphabet=CHARS, min_size=1, max_size=6),
    st.integers(min_value=5_000, max_value=20_000),
)
mixed = st.tuples(any_text, st.sampled_from(HTML + SQL + NULLS), any_text).map("".join)
# The .map keeps st.one_of(valid, hostile) from flattening into five equal branches, of
# which the expected values would get only one.
hostile = st.one_of(st.sampled_from(FIXED), any_text, mixed, huge_text).map(str)

# Stands for a field left out of the request altogether.
OMITTED = object()


def field(*valid: str):
    """A parameter's value: half the time one the product expects, otherwise anything."""
    return st.one_of(st.sampled_from(valid), hostile) if valid else hostile


def form_data(valid: dict[str, list[str]], wild: dict | None = None):
    """A form's fields: values it expects, with none (half the time), one or a few replaced
    by hostile values or left out. `wild` gives a field its own hostile strategy."""
    wild = wild or {}
    spoil = {name: st.one_of(wild.get(name, hostile), st.just(OMITTED)) for name in valid}
    expected = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in valid.items()})
    spoiled = st.one_of(
        st.just({}),
        st.sampled_from(sorted(valid)).flatmap(lambda name: spoil[name].map(lambda value: {name: value})),
        st.fixed_dictionaries({}, optional=spoil),
    )
    return st.builds(
        lambda base, changes: {
            name: value for name, value in {**base, **changes}.items() if value is not OMITTED
        },
        expected,
        spoiled,
    )


def query_value(*valid: str):
    """A query parameter: one value, or the same name repeated."""
    return st.one_of(field(*valid), st.lists(field(*valid), min_size=2, max_size=3))


FUZZ = dict(
    deadline=None,
    # Failing examples are printed; nothing is written into the project tree.
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- Properties ---------------------------------------------------------------------------------


def assert_escaped(response, *values) -> None:
    """No hostile markup reaches an HTML page unescaped."""
    assert response.status_code < 500
    if "text/html" not in response.get("Content-Type", ""):
        return
    content = response.content.decode()
    assert RAW_MARKER not in content
    for value in values:
        for one in value if isinstance(value, list) else [value]:
            if "<" in one and "fz" in one:
                assert one not in content


def text_ok(value: str, *, max_length: int, required: bool = False) -> bool:
    """What a CharField(strip=True, max_length) of a form accepts."""
    if "\x00" in value:
        return False
    value = value.strip()
    return (bool(value) or not required) and len(value) <= max_length


# Every table of the product and of the apps it runs on (django-simple-history's tables,
# the admin's log, django-axes' sign-in log ...) is compared, but these: a signed-in
# browser's session is saved as it is used, and permissions are written by migrations only.
NOT_COMPARED = ("sessions.Session", "auth.Permission")


def compared_tables() -> dict[str, type]:
    """The models compared, by table, many-to-many tables included."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and meta.label not in NOT_COMPARED:
            tables[meta.db_table] = model
    return tables


def rows(model) -> list[dict]:
    # The base manager: a default manager that hides rows would hide their changes too.
    return list(model._base_manager.order_by("pk").values())


def db_state() -> dict:
    """Every row compared: before and after a refused request."""
    return {model._meta.label: rows(model) for model in compared_tables().values()}


# The table an INSERT, UPDATE, DELETE or REPLACE names, in the SQL of SQLite and MariaDB;
# statements that read, and the transaction's own, are known by their first word.
WRITES = re.compile(
    r"""^\s*(?:INSERT(?:\s+OR\s+\w+)?(?:\s+IGNORE)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+IGNORE)?"""
    r"""|DELETE\s+(?:[`"]?\w+[`"]?\s+)?FROM)\s+[`"]?(\w+)""",
    re.IGNORECASE,
)
READS = re.compile(
    r"^\s*(?:\(?\s*SELECT|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|SET|SHOW|EXPLAIN|PRAGMA)\b", re.IGNORECASE
)
# Stands for a statement that is neither: it may have written any table.
ANY_TABLE = "*"


class Sandbox:
    """One example's requests, in a savepoint that is rolled back at the end.

    A refused request must leave every row as it was. Reading every table before and
    after each example took a large part of the examples' time, so instead the
    example's SQL is watched, and only the tables an INSERT, UPDATE or DELETE named
    are compared: a table that no statement wrote cannot have changed (Django deletes
    cascades with statements of its own, and the schema has no triggers). The state those
    tables had before the example is read once the savepoint is rolled back, which
    restores exactly that state.
    """

    def __init__(self):
        self.written: set[str] = set()
        self.snapshots: list[dict[str, list[dict]]] = []

    def watch(self, execute, sql, params, many, context):
        if not READS.match(sql):
            match = WRITES.match(sql)
            self.written.add(match.group(1) if match else ANY_TABLE)
        return execute(sql, params, many, context)

    def tables(self, allowed: tuple[str, ...] = ()) -> dict[str, type]:
        tables = {
            table: model for table, model in compared_tables().items() if model._meta.label not in allowed
        }
        if ANY_TABLE in self.written:
            return tables
        return {table: model for table, model in tables.items() if table in self.written}

    def nothing_written(self, allowed: tuple[str, ...] = ()) -> None:
        """Every compared table but those of the `allowed` models is as the example found
        it; checked once the savepoint has been rolled back."""
        self.snapshots.append({table: rows(model) for table, model in self.tables(allowed).items()})

    def verify(self) -> None:
        tables = compared_tables()
        for snapshot in self.snapshots:
            for table, after in snapshot.items():
                assert after == rows(tables[table]), f"{table} is not as the example found it"


@contextlib.contextmanager
def rolled_back():
    """Undo the example's writes, so that every example starts from the fixture's data."""
    sandbox = Sandbox()
    with contextlib.ExitStack() as stack:
        for connection in connections.all():
            stack.enter_context(connection.execute_wrapper(sandbox.watch))
        with transaction.atomic():
            yield sandbox
            transaction.set_rollback(True)
    sandbox.verify()


# --- Actions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    data: dict = dataclass_field(default_factory=dict)
    follow: bool = False


def get(url: str, data: dict | None = None, *, follow: bool = False) -> Request:
    return Request("get", url, data or {}, follow)


def post(url: str, data: dict | None = None) -> Request:
    return Request("post", url, data or {})


def status(code: int) -> Callable:
    """An expectation: the answer has this status."""

    def expect(ex) -> None:
        assert ex.response.status_code == code

    return expect


bad_request = status(400)


def redirected(response) -> bool:
    return response.status_code == 302


def form_shown_again(name: str, *attributes: str) -> Callable:
    """An expectation: the page shows its form again, with the errors; the form is the
    context variable `name` (or an attribute of it: the admin's adminform.form)."""

    def expect(ex) -> None:
        assert ex.response.status_code == 200
        form = ex.response.context[name]
        for attribute in attributes:
            form = getattr(form, attribute)
        assert form.errors

    return expect


def refuse(ex) -> bool:
    return False


def accept(ex) -> bool:
    return True


def not_expected(ex) -> None:
    raise AssertionError(f"{ex.request} was accepted")


@dataclass(frozen=True)
class Action:
    """One kind of request the product takes, fuzzed.

    The callables take the example `ex`: the test's fixtures (`org`, `browsers` and the
    action's `fixtures`) and the drawn values as attributes; `request`, `client` and,
    after sending, `response` are set on it as the example runs. A callable may keep
    what it worked out on `ex` for a later one (the oracle's expected value, say).
    """

    name: str
    # Drawn for every example: named strategies, or one strategy of such a dict.
    draw: dict[str, SearchStrategy] | SearchStrategy
    # The request, or the requests, sent with what was drawn.
    request: Callable[[Any], Request | list[Request]]
    # The role of the signed-in browser that sends it, or a function making the client.
    by: str | Callable[[Any], Client] = "hr"
    # Whether the product must take the request; None leaves it to the service, and then
    # `taken` tells from the response.
    accepts: Callable[[Any], bool | None] = lambda ex: None
    taken: Callable[[Any], bool] = redirected
    refused: Callable[[Any], None] = bad_request
    accepted: Callable[[Any], None] = not_expected
    fixtures: tuple[str, ...] = ()
    # Explicit examples, as dicts of the drawn names.
    examples: tuple[dict, ...] = ()
    max_examples: int = 30
    # True for inputs left to a focused test in test_fuzz_known_bugs.py (each action says
    # which); asked after `accepts`, so it may read what the oracle kept on `ex`.
    known_bug: Callable[[Any], bool] = refuse
    # A page that writes nothing, whether it takes the request or not.
    read_only: bool = False
    # Models a refusal may write (the sign-in log of a failed attempt).
    refusal_writes: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name


def echoes(*values) -> list[str]:
    """Every text among the values (in dicts and lists too): what a page may echo back."""
    found = []
    for value in values:
        if isinstance(value, dict):
            found += echoes(*value.values())
        elif isinstance(value, (list, tuple)):
            found += echoes(*value)
        elif value is not None:
            found.append(str(value))
    return found


def send(client: Client, request: Request):
    return getattr(client, request.method)(request.url, request.data, follow=request.follow)


def check(action: Action, ex) -> None:
    """One example of an action: the properties every request keeps."""
    requests = action.request(ex)
    ex.client = ex.browsers[action.by] if isinstance(action.by, str) else action.by(ex)
    with rolled_back() as sandbox:
        for request in [requests] if isinstance(requests, Request) else requests:
            ex.request = request
            verdict = action.accepts(ex)
            if action.known_bug(ex):
                event("left to test_fuzz_known_bugs.py")
                continue
            ex.response = send(ex.client, request)
            event(f"status {ex.response.status_code}")
            assert_escaped(ex.response, *echoes(request.data, [getattr(ex, name) for name in ex.drawn]))
            if action.taken(ex.response) if verdict is None else verdict:
                action.accepted(ex)
                if action.read_only:
                    sandbox.nothing_written()
            else:
                action.refused(ex)
                sandbox.nothing_written(allowed=action.refusal_writes)


def fuzz(action: Action, request: pytest.FixtureRequest) -> None:
    """Run the action as a property: its explicit examples, then `max_examples` drawn ones.

    The fixtures are made once for all examples (as with @given on a test), which is why
    every example runs in a savepoint that is rolled back.
    """
    fixtures = {name: request.getfixturevalue(name) for name in ("org", "browsers", *action.fixtures)}
    draw = action.draw if isinstance(action.draw, SearchStrategy) else st.fixed_dictionaries(action.draw)

    def one(drawn: dict) -> None:
        check(action, SimpleNamespace(**fixtures, **drawn, drawn=list(drawn)))

    # A failing example is printed under the action's name.
    one.__name__ = one.__qualname__ = action.name.replace("-", "_")
    for values in reversed(action.examples):
        one = example(drawn=values)(one)
    settings(max_examples=action.max_examples, **FUZZ)(given(drawn=draw)(one))()
