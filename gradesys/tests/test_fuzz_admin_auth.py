"""
Hostile input to the admin forms HR uses (adding and changing people, recording a
grade change, requirements, the change lists' query parameters and object ids), to
the sign-in form and to the language switch.

The same table-driven harness as test_fuzz_inputs.py (fuzz_harness.check): never a
500, a refused form writes nothing (a failed sign-in nothing but the lockout log), an
accepted one stores the cleaned value and every page that shows it escapes it. Values
that reach a known bug are left to the tests of test_fuzz_known_bugs.py, and the
action says so where it steps around them.

Budget: about 25 s of CPU on SQLite for the file (30-40 examples an action), about the
same on MariaDB.
"""

from __future__ import annotations

import datetime
import json
import unicodedata
from urllib.parse import quote

import pytest
from axes.models import AccessAttempt
from django import forms
from django.contrib.auth import SESSION_KEY, get_user_model
from django.db import connection
from django.test import Client
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import smart_split
from django.utils.translation import check_for_language
from hypothesis import strategies as st

from common.validators import EARLIEST_DATE, LATEST_DATE
from grades.models import Employee, GradeChange, Level, Requirement, Track, TrackLevel
from grades.tests.factories import UserFactory

from .fuzz_harness import (
    Action,
    Request,
    accept,
    assert_escaped,
    field,
    form_data,
    form_shown_again,
    fuzz,
    get,
    hostile,
    post,
    refuse,
    status,
)

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "pw-for-tests-only"  # grades.tests.factories.UserFactory


def parse_date(value: str) -> datetime.date | None:
    """What the admin's DateField makes of the text ("" is no date); raises on bad input."""
    return forms.DateField(required=False).clean(value)


def parses(value: str) -> bool:
    """A date the admin accepts: a real date within the product's range (1900-2999), or blank."""
    try:
        day = parse_date(value)
    except forms.ValidationError:
        return False
    return day is None or EARLIEST_DATE <= day <= LATEST_DATE


def ladder_overflows(*days: datetime.date | None) -> bool:
    """Dates whose next-level deadline falls after 9999-12-31: the progress page, the
    people list and the roster then fail (test_fuzz_known_bugs.py)."""
    return any(day is not None and day.year >= 9999 for day in days)


def _int_like(value: str) -> bool:
    try:
        int(value)
    except ValueError:
        return False
    return True


# Stands for a wrong id: never empty (an empty team lead is "no team lead") and never
# something int() reads, since " 1 " or "٣" would name a real row.
not_an_id = hostile.filter(lambda value: value != "" and not _int_like(value))

# The autocomplete widgets of user and team lead fail on an id that is not a number or
# is beyond SQLite's integers (test_admin_autocomplete_with_a_wrong_id in
# test_fuzz_known_bugs.py), so their wrong ids here are numbers that name nothing.
wrong_pk = st.sampled_from(["-1", "0", "999999", "٣٣٣"])

date_text = field("2023-05-02", "2020-01-01", "2024-02-29", "", "0001-01-01", "9999-12-31")


def pages_render(client, employee: Employee, *values) -> None:
    """Every page that shows the person renders, with `values` escaped."""
    for url in (f"/people/{employee.pk}/", "/people/", f"/admin/grades/employee/{employee.pk}/change/"):
        assert_escaped(client.get(url), *values)
    roster = client.get("/exports/roster.csv")
    assert roster.status_code == 200
    b"".join(roster.streaming_content)


def given_or_blank(data: dict, name: str) -> str:
    return data.get(name, "")


admin_form_shown_again = form_shown_again("adminform", "form")


# --- Admin: people -----------------------------------------------------------------------------------


@pytest.fixture
def newcomer():
    return UserFactory(username="newcomer", first_name="<script>alert('fz')</script>", last_name="Nová")


ADD_EMPLOYEE = form_data(
    {
        "user": ["newcomer"],
        "track": ["backend"],
        "level": ["junior", "senior"],
        "team_lead": ["", "lead"],
        "hire_date": ["2023-05-02", "2020-01-01"],
        "probation_end": ["", "2023-08-01"],
        "career_start": ["", "2019-01-01"],
    },
    wild={
        "user": st.one_of(st.just("dev"), wrong_pk),
        "team_lead": wrong_pk,
        "track": not_an_id,
        "level": not_an_id,
        "hire_date": date_text,
        "probation_end": date_text,
        "career_start": date_text,
    },
)


def add_employee_request(ex) -> Request:
    """The drawn names replaced by the ids of the rows they name."""
    ex.ids = {
        "user": {"newcomer": ex.newcomer.pk, "dev": ex.org["dev"].user_id},
        "track": {"backend": Track.objects.get(slug="backend").pk},
        "level": dict(Level.objects.filter(ladder__slug="standard", code__in=["junior", "senior"]).values_list("code", "pk")),
        "team_lead": {"": "", "lead": ex.org["lead"].pk},
    }
    posted = {name: ex.ids.get(name, {}).get(value, value) for name, value in ex.data.items()}
    return post("/admin/grades/employee/add/", {**posted, "_save": "Save"})


def add_employee_acceptable(ex) -> bool:
    data = ex.data
    dates = {name: given_or_blank(data, name) for name in ("hire_date", "probation_end", "career_start")}
    valid_dates = all(parses(value) for value in dates.values()) and bool(dates["hire_date"])
    ex.hire = parse_date(dates["hire_date"]) if valid_dates else None
    ex.probation = parse_date(dates["probation_end"]) if valid_dates else None
    ex.career = (parse_date(dates["career_start"]) if valid_dates else None) or ex.hire
    return (
        data.get("user") == "newcomer"
        and data.get("track") == "backend"
        and data.get("level") in ex.ids["level"]
        and given_or_blank(data, "team_lead") in ("", "lead")
        and valid_dates
        and (ex.probation is None or ex.probation >= ex.hire)
        and ex.career <= ex.hire
    )


def employee_added(ex) -> None:
    """The row and the hire entry of their ledger."""
    assert ex.response.status_code == 302
    employee = Employee.objects.get(user=ex.newcomer)
    assert (employee.hire_date, employee.probation_end, employee.career_start) == (ex.hire, ex.probation, ex.career)
    assert employee.team_lead == (ex.org["lead"] if ex.data.get("team_lead") == "lead" else None)
    entry = GradeChange.objects.get(employee=employee)
    assert (entry.kind, entry.level.code, entry.effective_date) == ("hire", ex.data["level"], ex.hire)
    if not ladder_overflows(ex.hire, ex.probation):
        pages_render(ex.client, employee)


CHANGE_EMPLOYEE = form_data(
    {
        "team_lead": ["", "lead"],
        "probation_end": ["", "2021-06-01"],
        "career_start": ["2021-03-01", "2015-09-01"],
        "left_on": ["", "2025-01-31"],
    },
    wild={
        "team_lead": st.one_of(st.just("self"), wrong_pk),
        "probation_end": date_text,
        "career_start": date_text,
        "left_on": date_text,
    },
)


def change_employee_request(ex) -> Request:
    """The change page edits the team lead and the dates; the user, the hire date and the
    track are read-only there (a track move is its own ledger page)."""
    dev = ex.org["dev"]
    hire_entry = GradeChange.objects.get(employee=dev)
    ex.ledger = list(GradeChange.objects.order_by("pk").values())
    leads = {"": "", "lead": ex.org["lead"].pk, "self": dev.pk}
    posted = {name: leads.get(value, value) if name == "team_lead" else value for name, value in ex.data.items()}
    posted.update({
        "grade_changes-TOTAL_FORMS": "1",
        "grade_changes-INITIAL_FORMS": "1",
        "grade_changes-MIN_NUM_FORMS": "0",
        "grade_changes-MAX_NUM_FORMS": "0",
        "grade_changes-0-id": hire_entry.pk,
        "grade_changes-0-employee": dev.pk,
        "_save": "Save",
    })
    return post(f"/admin/grades/employee/{dev.pk}/change/", posted)


def change_employee_acceptable(ex) -> bool:
    dev, data = ex.org["dev"], ex.data
    dates = {name: given_or_blank(data, name) for name in ("probation_end", "career_start", "left_on")}
    valid_dates = all(parses(value) for value in dates.values()) and bool(dates["career_start"])
    ex.probation = parse_date(dates["probation_end"]) if valid_dates else None
    ex.career = parse_date(dates["career_start"]) if valid_dates else None
    ex.left = parse_date(dates["left_on"]) if valid_dates else None
    dates_in_order = valid_dates and (
        (ex.probation is None or ex.probation >= dev.hire_date)
        and ex.career <= dev.hire_date
        and (ex.left is None or ex.left >= dev.hire_date)
    )
    lead_ok = given_or_blank(data, "team_lead") in ("", "lead")
    # test_admin_change_employee_dates_out_of_order
    ex.dates_out_of_order = lead_ok and valid_dates and not dates_in_order
    return lead_ok and dates_in_order


def employee_changed(ex) -> None:
    dev = ex.org["dev"]
    assert ex.response.status_code == 302
    dev.refresh_from_db()
    assert (dev.probation_end, dev.career_start, dev.left_on) == (ex.probation, ex.career, ex.left)
    assert dev.team_lead_id == (ex.org["lead"].pk if ex.data.get("team_lead") == "lead" else None)
    # The ledger is history: changing the person leaves it as it was.
    assert list(GradeChange.objects.order_by("pk").values()) == ex.ledger
    if not ladder_overflows(ex.probation):
        pages_render(ex.client, dev)


RECORD_GRADE_CHANGE = form_data(
    {
        "kind": ["promotion", "correction"],
        "level": ["middle-plus", "junior"],
        "effective_date": ["2024-06-03", "2021-02-01"],
        "reason": ["Passed the defense", "", "   ", "<script>alert('fz')</script>"],
    },
    wild={"level": not_an_id, "effective_date": date_text},
)


def record_grade_change_request(ex) -> Request:
    levels = dict(Level.objects.filter(ladder__slug="standard").values_list("code", "pk"))
    posted = {name: levels.get(value, value) if name == "level" else value for name, value in ex.data.items()}
    return post(f"/admin/grades/employee/{ex.org['dev'].pk}/grade-change/", posted)


def grade_change_recorded(ex) -> None:
    data = ex.data
    assert ex.response.status_code == 302
    entry = GradeChange.objects.filter(employee=ex.org["dev"]).latest("id")
    assert entry.kind == data["kind"] and entry.level.code == data["level"]
    assert entry.effective_date == parse_date(data["effective_date"])
    assert entry.reason == given_or_blank(data, "reason").strip() and "\x00" not in entry.reason
    assert entry.kind != "correction" or entry.reason
    if not ladder_overflows(entry.effective_date):
        pages_render(ex.client, ex.org["dev"], entry.reason)


# --- Admin: requirements -------------------------------------------------------------------------------

check_params_text = st.one_of(
    st.sampled_from(
        ["{}", '{"years": 3}', '{"years": 1.5}', '{"min": 2}', '{"from": ["junior"], "to": "middle"}',
         "NaN", "1e309", '{"years": NaN}', '{"years": 1e309}', '{"years": -1}', "[]", '"x"', '{"a": "\\u0000"}',
         "{", "{'years': 3}", '{"years": 3, "extra": "<script>alert(\'fz\')</script>"}']
    ),
    hostile,
)


def is_json_null(text: str) -> bool:
    """The admin stores None for these and the database refuses it (test_fuzz_known_bugs.py)."""
    if text == "":
        return True
    try:
        return json.loads(text) is None
    except ValueError:
        return False


REQUIREMENT = form_data(
    {
        # "middle" stands for the backend ladder's Middle, looked up in the test.
        "track_level": ["middle"],
        "key": ["new-key", "a" * 80, "new_key-2"],
        "position": ["0", "32767", " 7 "],
        "category": ["hard_skill", "security"],
        "text": ["Writes tests", "<b>bold</b>", "  padded  "],
        "text_en": ["", "Writes tests"],
        "origin": ["track", "common"],
        "check_kind": ["", "experience_years"],
        "check_params": ["{}", '{"years": 3}'],
    },
    wild={
        "track_level": not_an_id,
        "key": field("a" * 81, "Ключ", "has space", "--"),
        "position": field("32768", "-1", "1.0", "1_000"),
        "category": field("HARD_SKILL", "experience"),
        "check_kind": field("mentee_count", "mentee_promoted", "Experience_Years"),
        "check_params": check_params_text,
    },
)


def django_accepts(field_: forms.Field, value: str) -> bool:
    try:
        field_.clean(value)
    except forms.ValidationError:
        return False
    return True


def expected_requirement(data: dict) -> bool:
    """Whether the requirement form accepts `data`: the model's fields, then its check rules."""
    from grades import rules
    from grades.models import CheckKind, RequirementCategory

    text, text_en = data.get("text", ""), data.get("text_en", "")
    if "\x00" in text or "\x00" in text_en or not text.strip():
        return False
    if not django_accepts(forms.SlugField(max_length=80), data.get("key", "")):
        return False
    # The admin takes any position the column holds: up to 65535 on MariaDB (SMALLINT
    # UNSIGNED), any 64-bit integer on SQLite.
    highest = connection.ops.integer_field_range("PositiveSmallIntegerField")[1]
    if not django_accepts(forms.IntegerField(min_value=0, max_value=highest), data.get("position", "")):
        return False
    if data.get("category") not in RequirementCategory.values or data.get("origin") not in ("track", "common"):
        return False
    if data.get("check_kind", "") not in CheckKind.values:
        return False
    try:
        params = json.loads(data["check_params"])
    except ValueError:
        return False
    try:
        rules.validate_check(data.get("check_kind", ""), params)
    except ValueError:
        return False
    return True


def requirement_request(ex) -> Request:
    """Add a requirement, or change one that is on the backend ladder already."""
    ex.track_level = TrackLevel.objects.get(track__slug="backend", level__code="middle")
    ex.requirement = (
        Requirement.objects.filter(track_level=ex.track_level).order_by("id").first() if ex.existing else None
    )
    posted = {**ex.data, "_save": "Save"}
    if ex.data.get("track_level") == "middle":
        posted["track_level"] = ex.track_level.pk
    if ex.active:
        posted["is_active"] = "on"
    if ex.requirement:
        return post(f"/admin/grades/requirement/{ex.requirement.pk}/change/", posted)
    return post("/admin/grades/requirement/add/", posted)


def requirement_acceptable(ex) -> bool:
    data = ex.data
    taken = Requirement.objects.filter(track__slug="backend", key=data.get("key", "").strip())
    if ex.requirement is not None:
        taken = taken.exclude(pk=ex.requirement.pk)
    # A check_params left out keeps what the row has (the model default on a new row).
    ex.kept_params = json.dumps(ex.requirement.check_params if ex.requirement else {})
    return (
        data.get("track_level") == "middle"
        and expected_requirement({"check_params": ex.kept_params, **data})
        and not taken.exists()
    )


def requirement_stored(ex) -> None:
    data, requirement = ex.data, ex.requirement
    assert ex.response.status_code == 302
    stored = Requirement.objects.get(pk=requirement.pk) if requirement else Requirement.objects.latest("id")
    assert stored.key == data["key"].strip() and stored.track.slug == "backend"
    assert (stored.text, stored.text_en) == (data["text"].strip(), data.get("text_en", "").strip())
    assert stored.position == forms.IntegerField().clean(data["position"]) and stored.is_active == ex.active
    assert stored.check_params == json.loads(data.get("check_params", ex.kept_params))
    assert_escaped(ex.client.get("/tracks/backend/"), *data.values())
    assert_escaped(ex.client.get(f"/admin/grades/requirement/{stored.pk}/change/"), *data.values())


ADMIN_FORMS = [
    # HR adds a person: the row and the hire entry of their ledger, or nothing at all.
    Action(
        "admin-add-employee",
        draw={"data": ADD_EMPLOYEE},
        fixtures=("newcomer",),
        request=add_employee_request,
        accepts=add_employee_acceptable,
        refused=admin_form_shown_again,
        accepted=employee_added,
        max_examples=40,
        examples=(
            {"data": {"user": "newcomer", "track": "backend", "level": "junior", "team_lead": "lead",
                      "hire_date": "2023-05-02", "probation_end": "2023-08-01", "career_start": "0001-01-01"}},
            {"data": {"user": "newcomer", "track": "backend", "level": "junior", "hire_date": "2023-05-02",
                      "probation_end": "2023-05-01"}},
        ),
    ),
    Action(
        "admin-change-employee",
        draw={"data": CHANGE_EMPLOYEE},
        request=change_employee_request,
        accepts=change_employee_acceptable,
        known_bug=lambda ex: ex.dates_out_of_order,
        refused=admin_form_shown_again,
        accepted=employee_changed,
        max_examples=40,
        examples=({"data": {"team_lead": "self", "career_start": "2020-01-01"}},),
    ),
    # The service decides which entries are allowed; whatever it takes is stored as cleaned.
    Action(
        "admin-record-grade-change",
        draw={"data": RECORD_GRADE_CHANGE},
        request=record_grade_change_request,
        refused=form_shown_again("form"),
        accepted=grade_change_recorded,
    ),
    Action(
        "admin-requirement",
        draw={"data": REQUIREMENT, "active": st.booleans(), "existing": st.booleans()},
        request=requirement_request,
        accepts=requirement_acceptable,
        # A missing check_params keeps the model default ({}); "" and "null" are the bug
        # of test_requirement_empty_check_params_is_not_a_500.
        known_bug=lambda ex: "check_params" in ex.data and is_json_null(ex.data["check_params"]),
        refused=admin_form_shown_again,
        accepted=requirement_stored,
        max_examples=40,
        examples=(
            {
                "data": {"track_level": "middle", "key": "new-key", "position": "0", "category": "hard_skill",
                         "text": "<script>alert('fz')</script>", "text_en": "\"><img src=x onerror=alert('fz')>",
                         "origin": "track", "check_kind": "", "check_params": "{}"},
                "active": True,
                "existing": False,
            },
            {
                "data": {"track_level": "middle", "key": "new-key", "position": "0", "category": "hard_skill",
                         "text": "Writes tests", "origin": "track", "check_kind": "experience_years",
                         "check_params": '{"years": NaN}'},
                "active": True,
                "existing": True,
            },
        ),
    ),
]


# --- Admin: query parameters and object ids ----------------------------------------------------------------


def beyond_sqlite_search(term: str) -> bool:
    """An admin search SQLite cannot run: a LIKE pattern over 50,000 bytes
    (SQLITE_MAX_LIKE_PATTERN_LENGTH), or so many words that the WHERE clause passes
    SQLite's expression depth of 1,000 (test_admin_search_beyond_sqlite_limits in
    test_fuzz_known_bugs.py)."""
    if connection.vendor != "sqlite":
        return False
    return len(term.encode()) > 50_000 or len(list(smart_split(term))) > 100


CHANGELISTS = {
    "/admin/grades/employee/": ["q", "o", "p", "track__id__exact", "current_level__id__exact", "employment",
                                "team_lead__isnull", "all"],
    "/admin/grades/requirement/": ["q", "o", "p", "track__id__exact", "category__exact", "check_kind__exact",
                                   "is_active__exact", "origin__exact", "track_level__level__id__exact"],
    "/admin/grades/gradechange/": ["q", "o", "p", "effective_date__year", "effective_date__month", "kind__exact"],
}


def changelist_refused(ex) -> None:
    """The admin's answer to a lookup it cannot make: back to the list, flagged."""
    assert ex.response.status_code == 302
    assert ex.response["Location"] == f"{ex.url}?e=1"


object_id = st.one_of(hostile, st.integers(min_value=-(10**30), max_value=10**30).map(str))


def autocomplete_answered(ex) -> None:
    assert ex.response.status_code == 200 and ex.response["Content-Type"] == "application/json"


def object_id_refused(ex) -> None:
    """An id that names nothing sends HR back to the admin index with a message, escaped."""
    assert ex.response.status_code in (200, 404)


ADMIN_LOOKUPS = [
    Action(
        "admin-changelist",
        draw=st.sampled_from(sorted(CHANGELISTS)).flatmap(
            lambda url: st.fixed_dictionaries({
                "url": st.just(url),
                "params": st.dictionaries(st.sampled_from(CHANGELISTS[url]), field("1", "0", "-1", "2024"), max_size=4),
            })
        ),
        request=lambda ex: get(ex.url, ex.params),
        known_bug=lambda ex: beyond_sqlite_search(ex.params.get("q", "")),
        taken=lambda response: response.status_code == 200,
        refused=changelist_refused,
        accepted=status(200),
        read_only=True,
    ),
    Action(
        "admin-object-ids",
        draw={"object_id": object_id},
        request=lambda ex: [
            get("/admin/grades/" + path.format(quote(ex.object_id, safe="")), follow=True)
            for path in ("employee/{}/change/", "employee/{}/grade-change/", "requirement/{}/change/")
        ],
        accepts=refuse,
        refused=object_id_refused,
        read_only=True,
        examples=({"object_id": "<script>alert('fz')</script>"},),
    ),
    Action(
        "admin-autocomplete",
        draw={"object_id": object_id},
        request=lambda ex: get(
            "/admin/autocomplete/",
            {"term": ex.object_id, "app_label": "grades", "model_name": "employee", "field_name": "team_lead"},
        ),
        known_bug=lambda ex: beyond_sqlite_search(ex.object_id),
        accepts=accept,
        accepted=autocomplete_answered,
        read_only=True,
        examples=({"object_id": "<script>alert('fz')</script>"},),
    ),
]


# --- Signing in ---------------------------------------------------------------------------------------------

NEXT_URLS = [
    "/people/", "/me/?a=b", "http://testserver/me/", "https://evil.example.com/", "//evil.example.com",
    " //evil.example.com", "/\\evil.example.com", "javascript:alert('fz')", "\x00/me/", "/me/\r\nSet-Cookie: x=1",
]


def assert_safe_redirect(response) -> None:
    location = response["Location"]
    assert url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"})
    assert "\n" not in location and "\r" not in location


one_line = hostile.filter(lambda value: "\n" not in value and "\r" not in value)
PROXY_SAW = "203.0.113.7"


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def signed_in_username(ex) -> str:
    return unicodedata.normalize("NFKC", ex.data.get("username", "").strip())


def login_acceptable(ex) -> bool:
    # The form strips and NFKC-normalises the username, and the database compares it with
    # its own collation (case- and accent-insensitive on MariaDB): ask the database.
    username = signed_in_username(ex)
    names_dev = (
        "\x00" not in username
        and 0 < len(username) <= 150
        and User.objects.filter(username=username).values_list("pk", flat=True).first() == ex.org["dev"].user_id
    )
    return names_dev and ex.data.get("password") == PASSWORD


def login_refused(ex) -> None:
    """The form again, with one message whatever was wrong; nobody is signed in."""
    assert ex.response.status_code == 200
    assert SESSION_KEY not in ex.client.session
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) <= {PROXY_SAW}


def signed_in(ex) -> None:
    assert ex.response.status_code == 302
    assert_safe_redirect(ex.response)
    assert ex.client.session[SESSION_KEY] == str(ex.org["dev"].user_id)


def language_answer(ex) -> None:
    assert ex.response.status_code in (302, 204)
    if ex.response.status_code == 302:
        assert_safe_redirect(ex.response)


def language_kept(ex) -> None:
    language_answer(ex)
    assert ex.response.cookies.get("django_language") is None


def language_switched(ex) -> None:
    language_answer(ex)
    assert ex.response.cookies.get("django_language").value == ex.data.get("language", "")
    # A language Django knows but the product does not offer falls back to one it does.
    assert ex.client.get("/accounts/login/")["Content-Language"] in ("en", "ru")


def language_client(ex) -> Client:
    headers = {"HTTP_REFERER": ex.referer, "HTTP_ACCEPT_LANGUAGE": ex.accept_language}
    return Client(**{name: value for name, value in headers.items() if value is not None})


def language_acceptable(ex) -> bool:
    language = ex.data.get("language", "")
    return ex.method == "post" and "\x00" not in language and check_for_language(language)


SIGN_IN_AND_LANGUAGE = [
    # Sign-in behind one proxy: whatever the client puts in front of the address the proxy
    # appends to X-Forwarded-For, the lockout is keyed on the proxy's address.
    Action(
        "login",
        draw={
            "data": form_data(
                {"username": ["dev", " dev", "DEV", "ｄｅｖ", "nobody"], "password": [PASSWORD], "next": NEXT_URLS}
            ),
            "agent": st.one_of(st.just("Mozilla/5.0"), one_line),
            "forged": st.lists(one_line, max_size=3),
        },
        fixtures=("behind_one_proxy",),
        by=lambda ex: Client(HTTP_USER_AGENT=ex.agent, HTTP_X_FORWARDED_FOR=", ".join([*ex.forged, PROXY_SAW])),
        request=lambda ex: post("/accounts/login/", ex.data),
        accepts=login_acceptable,
        # test_login_with_a_username_longer_than_the_lockout_log
        known_bug=lambda ex: len(signed_in_username(ex)) > 255,
        refused=login_refused,
        accepted=signed_in,
        # A failed attempt is logged for the lockout, and nothing else is written.
        refusal_writes=("axes.AccessAttempt", "axes.AccessAttemptExpiration", "axes.AccessFailureLog"),
        max_examples=40,
        examples=(
            {"data": {"username": "dev", "password": PASSWORD, "next": "https://evil.example.com/"},
             "agent": "Mozilla/5.0", "forged": []},
            {"data": {"username": "<script>alert('fz')</script>", "password": "x",
                      "next": "\"><img src=x onerror=alert('fz')>"},
             "agent": "😀\x00", "forged": ["127.0.0.1", "<script>alert('fz')</script>"]},
        ),
    ),
    # Only a POST with a language Django knows sets the cookie; every answer is a safe redirect.
    Action(
        "set-language",
        draw={
            "data": form_data({"language": ["en", "ru", "de", "ru-RU"], "next": NEXT_URLS}),
            "referer": st.one_of(
                st.none(), field(*NEXT_URLS).filter(lambda value: "\n" not in value and "\r" not in value)
            ),
            "accept_language": st.one_of(
                st.none(), field("ru", "ru-RU,ru;q=0.9,en;q=0.8", "*", "xx;q=NaN", "en;q=" + "9" * 600)
            ),
            "method": st.sampled_from(["post", "get"]),
        },
        by=language_client,
        request=lambda ex: Request(ex.method, "/i18n/setlang/", ex.data),
        accepts=language_acceptable,
        refused=language_kept,
        accepted=language_switched,
        max_examples=40,
        examples=(
            {"data": {"language": "ru", "next": "//evil.example.com"}, "referer": "https://evil.example.com/",
             "accept_language": None, "method": "post"},
        ),
    ),
]


ACTIONS = [*ADMIN_FORMS, *ADMIN_LOOKUPS, *SIGN_IN_AND_LANGUAGE]


@pytest.mark.parametrize("action", ACTIONS, ids=str)
def test_hostile_input(action, request):
    fuzz(action, request)
