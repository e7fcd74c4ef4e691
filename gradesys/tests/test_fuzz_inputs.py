"""
Hostile input to the product's own pages: every filter of the people, review and
report lists, every form a developer, team lead, committee member or HR posts, and
object ids in addresses.

Each property says three things about one request: it is never a 500 (the test
client re-raises the view's exception, so a crash fails the example); a refused
request writes nothing (every table of the domain and its history is compared
before and after); an accepted one stores exactly the cleaned value (stripped text,
links reduced to http(s) addresses), and whatever the page echoes back is escaped.

The oracles (`text_ok`, `expected_links` ...) restate the rules from the forms and
services rather than calling them, so a form that starts accepting what the service
cannot store, or the other way round, fails here.

Budget: about 30 s of CPU on SQLite for the file (30-60 examples a test, each a
few requests; MariaDB takes about as long). Every example runs in a savepoint that
is rolled back, so all examples of a test start from the same fixture data.

Admin, sign-in and language switch are fuzzed in test_fuzz_admin_auth.py; bugs
found by fuzzing have their own focused tests, marked xfail, in test_fuzz_known_bugs.py.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io

import pytest
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings, strategies as st

from exports.reports import REPORTS, ReportFilterForm
from grades import services as grade_services
from grades.forms import PeopleFilterForm
from grades.models import Evidence, Level, Track
from reviews import services as review_services
from reviews.forms import ReviewFilterForm
from reviews.models import PromotionReview, ReviewStatus, SeatRole, Vote
from reviews.tests.factories import members, organisation, requested, scheduled, voted

pytestmark = pytest.mark.django_db

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


# --- Properties shared by the tests -------------------------------------------------------------


@contextlib.contextmanager
def rolled_back():
    """Undo the example's writes, so that every example starts from the fixture's data."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


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


# The apps whose tables the forms under test could write (their django-simple-history
# tables included), and the sign-in log of django-axes.
DOMAIN_APPS = ("grades", "reviews", "auth", "admin", "axes", "jobs")


def db_state() -> dict:
    """Every row of those apps: compared before and after a refused request."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label in DOMAIN_APPS and model._meta.managed and not model._meta.proxy:
            if model._meta.label != "auth.Permission":  # written by migrations only
                state[model._meta.label] = list(model.objects.order_by("pk").values())
    return state


def text_ok(value: str, *, max_length: int, required: bool = False) -> bool:
    """What a CharField(strip=True, max_length) of a form accepts."""
    if "\x00" in value:
        return False
    value = value.strip()
    return (bool(value) or not required) and len(value) <= max_length


# --- Fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def org():
    return organisation()


@pytest.fixture
def review_to_vote(org):
    """A scheduled defense of `dev`, with the committee seated and nobody voted yet."""
    return scheduled(org)


@pytest.fixture
def browsers(org) -> dict:
    """A signed-in client per person, made before the first example: signing in writes
    rows (last_login, the sign-in log) that must not count as an example's writes."""
    clients = {}
    for name in ("hr", "dev", "lead", "cto"):
        clients[name] = Client()
        clients[name].force_login(getattr(org[name], "user", org[name]))
    return clients


# --- List filters (GET) --------------------------------------------------------------------------

LEVEL_CODES = ["junior", "middle", "senior-plus-plus", "no-such-level"]
TRACK_SLUGS = ["backend", "fullstack", "no-such-track"]


@settings(max_examples=30, **FUZZ)
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            "track": query_value(*TRACK_SLUGS),
            "level": query_value(*LEVEL_CODES),
            "order": query_value("name", "level", "since", "waiting", "progress"),
            "page": query_value("1", "2"),
        },
    )
)
@example(params={"page": "99999999999999999999", "order": "level"})
@example(params={"track": "' OR 1=1 --", "level": "<script>alert('fz')</script>"})
@example(params={"track": "backend\x00", "page": "1e309"})
def test_people_list_filters(browsers, org, params):
    client = browsers["hr"]
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query.setlist(name, value if isinstance(value, list) else [value])
    valid = not query or PeopleFilterForm(query).is_valid()
    response = client.get("/people/", params)
    event(f"status {response.status_code}")
    assert response.status_code == (200 if valid else 400)
    assert_escaped(response, *params.values())


@settings(max_examples=30, **FUZZ)
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            "status": query_value(*ReviewStatus.values),
            "track": query_value(*TRACK_SLUGS),
            "level": query_value(*LEVEL_CODES),
            "from": query_value("2020-01-01", "2030-12-31"),
            "to": query_value("2020-01-01", "2030-12-31"),
            "mine": query_value("1", "on", "0"),
            "page": query_value("1", "3"),
        },
    )
)
@example(params={"from": "2024-02-30", "to": "99999-01-01"})
@example(params={"status": "requested' OR 1=1 --", "page": "-1"})
def test_review_list_filters(browsers, org, review_to_vote, params):
    client = browsers["hr"]
    query = QueryDict(mutable=True)
    for name, value in params.items():
        query.setlist(name, value if isinstance(value, list) else [value])
    if query.get("to") == "9999-12-31":
        # Known 500: test_review_list_end_of_calendar_is_not_a_500 in test_fuzz_known_bugs.py.
        return
    form = ReviewFilterForm(query or None, tracks=Track.objects.active(), levels=Level.objects.all())
    valid = not query or form.is_valid()
    response = client.get("/reviews/", params)
    event(f"status {response.status_code}")
    assert response.status_code == (200 if valid else 400)
    assert_escaped(response, *params.values())
    # HR's calendar pages the same way and has no other parameter.
    if "page" in params:
        calendar = client.get("/reviews/upcoming/", {"page": params["page"]})
        assert calendar.status_code == 200
        assert_escaped(calendar, params["page"])


@settings(max_examples=60, **FUZZ)
@given(
    name=st.sampled_from(sorted(REPORTS)),
    params=st.fixed_dictionaries(
        {},
        optional={
            "track": field(*TRACK_SLUGS),
            "level": field(*LEVEL_CODES),
            "status": field(*ReviewStatus.values),
            "date_from": field("2020-01-01", "0001-01-01", "9999-12-31"),
            "date_to": field("2030-12-31", "9999-12-31"),
            "delimiter": field(";", ",", "tab", "\t"),
            "bom": field("1", "0", "true", "false"),
        },
    ),
)
@example(name="grade-history", params={"date_from": "0001-01-01", "date_to": "9999-12-31"})
@example(name="roster", params={"track": "backend'; DROP TABLE grades_employee; --"})
def test_report_filters(browsers, org, review_to_vote, name, params):
    """A report answers with its CSV or a plain-text 400; SQL never sees an unvalidated value."""
    client = browsers["hr"]
    report = REPORTS[name]
    form = ReportFilterForm(params, report=report)
    valid = form.is_valid()
    response = client.get(f"/exports/{name}.csv", params)
    event(f"status {response.status_code}")
    if not valid:
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/plain")
        return
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    delimiter = {"tab": "\t"}.get(params.get("delimiter") or ";", params.get("delimiter") or ";")
    bom = params.get("bom") in ("1", "true")
    assert body.startswith("\ufeff") == bom
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=delimiter))
    assert rows[0] == report.column_names
    assert all(len(row) == len(report.column_names) for row in rows)


# --- Object ids in addresses ---------------------------------------------------------------------

# Far above any id the fixture makes, up to beyond BIGINT.
huge_id = st.one_of(
    st.integers(min_value=10**6, max_value=10**30),
    st.sampled_from([0, 2**31, 2**63 - 1, 2**63, 2**64, 10**20]),
)


@settings(max_examples=30, **FUZZ)
@given(pk=huge_id)
def test_ids_in_addresses_are_404_not_500(browsers, org, pk):
    """Ids in addresses are 1 .. 2**63 - 1 (gradesys.converters); anything else matches no address."""
    client = browsers["hr"]
    before = db_state()
    with rolled_back():
        for url in (f"/people/{pk}/", f"/reviews/{pk}/"):
            assert client.get(url).status_code == 404
        for url in (
            f"/evidence/{pk}/edit/",
            f"/evidence/{pk}/decide/",
            f"/evidence/{pk}/withdraw/",
            f"/reviews/request/{pk}/",
            f"/reviews/{pk}/schedule/",
            f"/reviews/{pk}/vote/",
            f"/reviews/{pk}/decide/",
            f"/reviews/{pk}/withdraw/",
        ):
            assert client.post(url, {"description": "x", "decision": "confirm"}).status_code == 404
    client = browsers["dev"]
    with rolled_back():
        response = client.post(f"/people/{org['dev'].pk}/claim/{pk}/", {"description": "Did it"})
        event(f"status {response.status_code}")
        # An id that could exist but names no requirement is a refused form; one that
        # cannot exist is no address at all.
        assert response.status_code == (400 if 1 <= pk < 2**63 else 404)
    assert db_state() == before


# --- Evidence (claim, edit, decide) --------------------------------------------------------------

GOOD_LINKS = [
    "https://git.example.com/pr/1",
    "http://example.com/a?b=c#d",
    "https://пример.рф/путь",
    "https://example.com/\"><script>alert('fz')</script>",
]
BAD_LINKS = [
    "javascript:alert('fz')", "ftp://example.com/x", "//example.com", "https://", "http://a b.com", "x" * 600,
]
link_line = st.one_of(
    st.sampled_from(GOOD_LINKS + BAD_LINKS),
    st.builds(lambda text: "https://example.com/" + text, st.text(alphabet=CHARS, max_size=40)),
    st.builds(lambda text: "https://example.com/" + "a" * text, st.integers(470, 520)),
    hostile,
)
links_text = st.one_of(
    st.lists(link_line, max_size=12).map("\n".join),
    st.lists(st.sampled_from(GOOD_LINKS), min_size=1, max_size=12).map("\r\n".join),
    hostile,
)
claim_form = form_data(
    {
        "description": ["Built the payment retry worker", "  padded with spaces  ", "Многострочное\nописание"],
        "links": ["", GOOD_LINKS[0], "\n".join(GOOD_LINKS), f"  {GOOD_LINKS[1]}  \n\n{GOOD_LINKS[1]}"],
    },
    wild={"links": links_text},
)


def expected_links(raw: str) -> list[str] | None:
    """The links a claim stores for the posted text, or None when the claim must be refused."""
    if "\x00" in raw or len(raw.strip()) > grade_services.MAX_LINKS * 510:
        return None
    lines = [line.strip() for line in raw.strip().splitlines() if line.strip()]
    if len(lines) > grade_services.MAX_LINKS:
        return None
    validate = URLValidator(schemes=["http", "https"])
    for line in lines:
        if len(line) > 500:
            return None
        try:
            validate(line)
        except ValidationError:
            return None
    return list(dict.fromkeys(lines))


def assert_stored_links(links: list) -> None:
    assert len(links) <= grade_services.MAX_LINKS and len(set(links)) == len(links)
    for link in links:
        assert link.startswith(("http://", "https://")) and len(link) <= 500
        assert link == link.strip() and "\n" not in link and "\x00" not in link


@pytest.fixture
def claimable(org):
    dev = org["dev"]
    return grade_services.claimable_requirements(dev).order_by("id").last()


@settings(max_examples=30, **FUZZ)
@given(data=claim_form)
@example(data={"description": "ok", "links": "https://example.com/\"><script>alert('fz')</script>"})
@example(data={"description": "\x00", "links": ""})
@example(data={"description": "ok", "links": "\n".join(["https://example.com/x"] * 11)})
def test_claim(browsers, org, claimable, data):
    dev = org["dev"]
    client = browsers["dev"]
    description, links = data.get("description", ""), data.get("links", "")
    stored_links = expected_links(links)
    described = text_ok(description, max_length=grade_services.MAX_DESCRIPTION, required=True)
    accept = described and stored_links is not None
    before = db_state()
    with rolled_back():
        response = client.post(f"/people/{dev.pk}/claim/{claimable.pk}/", data)
        event(f"status {response.status_code}")
        assert_escaped(response, *data.values())
        if not accept:
            assert response.status_code == 400
            assert db_state() == before
            return
        assert response.status_code == 302
        evidence = Evidence.objects.get(employee=dev, requirement=claimable)
        assert evidence.description == description.strip()
        assert evidence.links == stored_links
        assert_stored_links(evidence.links)
        assert list(evidence.events.values_list("action", "description", "links")) == [
            ("claimed", evidence.description, evidence.links)
        ]
        # What was stored is shown escaped to the claimant and to the person deciding.
        assert_escaped(client.get("/me/"), description, links)
        assert_escaped(browsers["lead"].get(f"/people/{dev.pk}/"), description, links)


@pytest.fixture
def claim(org, claimable):
    return grade_services.evidence_claim(
        employee=org["dev"], requirement=claimable, description="First version",
        links=["https://git.example.com/pr/1"], by=org["dev"].user,
    )


@settings(max_examples=30, **FUZZ)
@given(data=claim_form)
@example(data={"description": "<script>alert('fz')</script>",
               "links": "https://a.example.com\n https://a.example.com"})
def test_edit_claim(browsers, org, claim, data):
    client = browsers["dev"]
    description, links = data.get("description", ""), data.get("links", "")
    stored_links = expected_links(links)
    described = text_ok(description, max_length=grade_services.MAX_DESCRIPTION, required=True)
    accept = described and stored_links is not None
    before = db_state()
    with rolled_back():
        response = client.post(f"/evidence/{claim.pk}/edit/", data)
        event(f"status {response.status_code}")
        assert_escaped(response, *data.values())
        if not accept:
            assert response.status_code == 400
            assert db_state() == before
            return
        assert response.status_code == 302
        claim.refresh_from_db()
        assert (claim.description, claim.links) == (description.strip(), stored_links)
        assert_stored_links(claim.links)
        assert claim.events.latest("id").action == "edited"
        assert_escaped(client.get("/me/"), description, links)


@settings(max_examples=30, **FUZZ)
@given(
    data=form_data({"decision": ["confirm", "reject", "CONFIRM", "confirm "], "comment": ["Looks good", "  ", ""]})
)
@example(data={"decision": "reject", "comment": " \t\n "})
@example(data={"decision": "reject", "comment": "<script>alert('fz')</script>"})
def test_decide_claim(browsers, org, claim, data):
    client = browsers["lead"]
    decision, comment = data.get("decision", ""), data.get("comment", "")
    accept = (
        decision in ("confirm", "reject")
        and text_ok(comment, max_length=grade_services.MAX_COMMENT)
        and (decision == "confirm" or bool(comment.strip()))
    )
    before = db_state()
    with rolled_back():
        response = client.post(f"/evidence/{claim.pk}/decide/", data)
        event(f"status {response.status_code}")
        assert_escaped(response, *data.values())
        if not accept:
            assert response.status_code == 400
            assert db_state() == before
            return
        assert response.status_code == 302
        claim.refresh_from_db()
        assert claim.status == ("confirmed" if decision == "confirm" else "rejected")
        assert claim.decision_comment == comment.strip()
        assert_escaped(client.get(f"/people/{org['dev'].pk}/"), comment)
        assert_escaped(browsers["dev"].get("/me/"), comment)


# --- Reviews ----------------------------------------------------------------------------------------

TEXTS = ["Led the billing rewrite", "", "  trimmed  ", "x" * review_services.MAX_TEXT]


@settings(max_examples=30, **FUZZ)
@given(data=form_data({"recommendation": TEXTS}))
@example(data={"recommendation": "x" * review_services.MAX_TEXT + "   "})
@example(data={"recommendation": "x" * (review_services.MAX_TEXT + 1)})
def test_request_review(browsers, org, data):
    dev = org["dev"]
    client = browsers["lead"]
    recommendation = data.get("recommendation", "")
    accept = text_ok(recommendation, max_length=review_services.MAX_TEXT)
    before = db_state()
    with rolled_back():
        response = client.post(f"/reviews/request/{dev.pk}/", data)
        event(f"status {response.status_code}")
        assert_escaped(response, *data.values())
        if not accept:
            assert response.status_code == 400
            assert db_state() == before
            return
        assert response.status_code == 302
        review = PromotionReview.objects.get(candidate=dev)
        assert review.recommendation == recommendation.strip()
        assert review.events.get().note == review.recommendation
        assert_escaped(client.get(review.get_absolute_url()), recommendation)
        assert_escaped(client.get("/reviews/"), recommendation)


def in_days(days: int) -> str:
    moment = timezone.localtime() + datetime.timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def review_to_schedule(org):
    return requested(org)


@settings(max_examples=30, **FUZZ)
@given(
    data=form_data(
        {
            "when": [in_days(7), in_days(30), "9999-12-30T10:00"],
            "place": ["Room 4", "  Room 5  ", "x" * 200],
            "override_reason": ["Strong performer", "  Strong  "],
            # Filled in with the committee below; a value drawn here replaces a member.
            **{role: ["member"] for role in SeatRole.values},
        },
        wild={
            "when": field(in_days(-1), "2024-02-30T10:00", in_days(7).replace("T", " "), "2030-01-01"),
            "place": field("x" * 201, "   "),
            # Without a reason HR cannot schedule over the unconfirmed checklist.
            "override_reason": field("", "   "),
        },
    )
)
@example(
    data={"when": in_days(7), "place": "<script>alert('fz')</script>",
          "override_reason": "\"><img src=x onerror=alert('fz')>", **dict.fromkeys(SeatRole.values, "member")}
)
@example(
    data={"when": in_days(7), "place": "Room 4", "override_reason": "ok",
          **dict.fromkeys(SeatRole.values, "member"), "cto": "99999999999999999999"}
)
def test_schedule_review(browsers, org, review_to_schedule, data):
    review = review_to_schedule
    client = browsers["hr"]
    committee = {role: str(user.pk) for role, user in members(org).items()}
    posted = {name: committee[name] if value == "member" else value for name, value in data.items()}
    seats = {role: posted.get(role) for role in SeatRole.values}
    before = db_state()
    with rolled_back():
        response = client.post(f"/reviews/{review.pk}/schedule/", posted)
        event(f"status {response.status_code}")
        assert_escaped(response, *posted.values())
        if response.status_code != 302:
            assert response.status_code == 400
            assert db_state() == before
            return
        review.refresh_from_db()
        assert review.status == ReviewStatus.SCHEDULED
        assert review.place == posted["place"].strip()
        assert review.place and len(review.place) <= 200 and "\x00" not in review.place
        assert review.override_reason == posted.get("override_reason", "").strip()
        assert review.scheduled_for > timezone.now()
        assert review.scheduled_for == forms.DateTimeField().clean(posted["when"])
        assert {seat.role: str(seat.member_id) for seat in review.seats.all()} == seats
        assert_escaped(client.get(review.get_absolute_url()), *posted.values())
        assert_escaped(client.get("/reviews/upcoming/"), *posted.values())


@settings(max_examples=30, **FUZZ)
@given(data=form_data({"value": ["approve", "reject", "abstain", "Approve"], "comment": TEXTS}))
@example(data={"value": "approve", "comment": "<script>alert('fz')</script>"})
def test_vote(browsers, org, review_to_vote, data):
    review = review_to_vote
    client = browsers["cto"]
    value, comment = data.get("value", ""), data.get("comment", "")
    accept = value in ("approve", "reject", "abstain") and text_ok(comment, max_length=review_services.MAX_TEXT)
    before = db_state()
    with rolled_back():
        response = client.post(f"/reviews/{review.pk}/vote/", data)
        event(f"status {response.status_code}")
        assert_escaped(response, *data.values())
        if not accept:
            assert response.status_code == 400
            assert db_state() == before
            return
        assert response.status_code == 302
        vote = Vote.objects.get(seat__review=review, seat__member=org["cto"])
        assert (vote.value, vote.comment) == (value, comment.strip())
        assert_escaped(client.get(review.get_absolute_url()), comment)


@pytest.fixture
def review_to_decide(org):
    return voted(org)


@settings(max_examples=30, **FUZZ)
@given(data=form_data({"note": TEXTS}))
@example(data={"note": "\"><img src=x onerror=alert('fz')>"})
def test_decide_review(browsers, org, review_to_decide, data):
    review = review_to_decide
    client = browsers["hr"]
    note = data.get("note", "")
    accept = text_ok(note, max_length=review_services.MAX_TEXT)
    before = db_state()
    with rolled_back():
        response = client.post(f"/reviews/{review.pk}/decide/", data)
        event(f"status {response.status_code}")
        assert_escaped(response, *data.values())
        if not accept:
            assert response.status_code == 400
            assert db_state() == before
            return
        assert response.status_code == 302
        review.refresh_from_db()
        assert (review.status, review.decision_note) == (ReviewStatus.PASSED, note.strip())
        assert_escaped(browsers["dev"].get(review.get_absolute_url()), note)


@settings(max_examples=30, **FUZZ)
@given(data=form_data({"reason": TEXTS}))
@example(data={"reason": "a\x00b"})
def test_withdraw_review(browsers, org, review_to_vote, data):
    review = review_to_vote
    client = browsers["dev"]
    reason = data.get("reason", "")
    accept = text_ok(reason, max_length=review_services.MAX_TEXT)
    before = db_state()
    with rolled_back():
        response = client.post(f"/reviews/{review.pk}/withdraw/", data)
        event(f"status {response.status_code}")
        assert_escaped(response, *data.values())
        if not accept:
            assert response.status_code == 400
            assert db_state() == before
            return
        assert response.status_code == 302
        review.refresh_from_db()
        assert (review.status, review.withdrawn_reason) == (ReviewStatus.WITHDRAWN, reason.strip())
        assert_escaped(client.get(review.get_absolute_url()), reason)
