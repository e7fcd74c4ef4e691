"""
Inputs that once answered with a server error, each as it was sent: ids past 64 bits in
addresses, admin date filters outside the calendar, and a requirements spreadsheet whose
check_params cell no parser should follow to the end. Each now answers 404, goes back to
the list with a message, or refuses the row in the preview, and writes nothing.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import resolve, reverse

from common.admin_search import GuardedAdminMixin, date_filter_problem
from common.converters import MAX_ID, IdConverter
from grades.models import Employee, EvidenceEvent, GradeChange, Mentorship, Requirement
from grades.tests.factories import EvidenceFactory, UserFactory
from imports import rules as import_rules
from reviews.tests.factories import organisation, scheduled

from .fuzz_harness import db_state

pytestmark = pytest.mark.django_db

BEYOND = [2**63, 2**64, 10**20, 10**30]


@pytest.fixture
def org():
    return organisation()


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(getattr(user, "user", user))
    return client


# --- Ids in addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["dev", "lead", "hr", "manager"])
def test_an_id_past_64_bits_is_a_404_for_everyone(org, who):
    """The raw statement that decided who may see a person overflowed on /people/2**63/."""
    client = signed_in(org[who])
    before = db_state()
    for pk in BEYOND:
        assert client.get(f"/people/{pk}/").status_code == 404
        assert client.get(f"/people/{pk}/trail/").status_code == 404
        assert client.get(f"/reviews/{pk}/").status_code == 404
    assert db_state() == before


def test_the_largest_id_is_still_an_id_that_names_nobody(org):
    client = signed_in(org["dev"])
    assert client.get(f"/people/{MAX_ID}/").status_code == 404
    assert client.get(f"/people/{org['dev'].pk}/").status_code == 200


def every_id_address(pk) -> list[tuple[str, str]]:
    """Every address of the product with an object id in it, with `pk` in each id."""
    return [
        ("get", f"/people/{pk}/"),
        ("get", f"/people/{pk}/trail/"),
        ("post", f"/people/{pk}/claim/1/"),
        ("post", f"/people/1/claim/{pk}/"),
        ("get", f"/people/{pk}/requirements/1/history/"),
        ("get", f"/people/1/requirements/{pk}/history/"),
        ("post", f"/evidence/{pk}/edit/"),
        ("post", f"/evidence/{pk}/withdraw/"),
        ("post", f"/evidence/{pk}/decide/"),
        ("post", f"/reviews/request/{pk}/"),
        ("get", f"/reviews/{pk}/"),
        ("post", f"/reviews/{pk}/schedule/"),
        ("post", f"/reviews/{pk}/vote/"),
        ("post", f"/reviews/{pk}/decide/"),
        ("post", f"/reviews/{pk}/withdraw/"),
    ]


@pytest.mark.parametrize("pk", [0, *BEYOND, "9" * 19, "9" * 400])
def test_every_id_in_every_address_is_bounded_before_any_query(org, pk):
    client = signed_in(org["hr"])
    before = db_state()
    for method, url in every_id_address(pk):
        response = getattr(client, method)(url, {"description": "x", "decision": "confirm", "value": "approve"})
        assert response.status_code == 404, url
    assert db_state() == before


def test_every_id_route_uses_the_bounded_converter():
    """No address takes an id through Django's unbounded <int:…>."""
    from django.urls import get_resolver

    def patterns(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from patterns(pattern, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern

    from django.urls.converters import IntConverter

    bounded = 0
    for route, pattern in patterns(get_resolver()):
        for converter in getattr(pattern.pattern, "converters", {}).values():
            assert not isinstance(converter, IntConverter), route
            bounded += isinstance(converter, IdConverter)
    assert bounded >= 13  # the ids of the people, claim, review and request addresses
    assert resolve("/people/12/").kwargs == {"pk": 12}
    assert reverse("grades:person", args=[12]) == "/people/12/"


def test_the_converter_takes_one_to_the_largest_bigint():
    converter = IdConverter()
    assert converter.to_python("1") == 1 and converter.to_python(str(MAX_ID)) == MAX_ID
    for value in ("0", str(MAX_ID + 1), "9" * 19):
        with pytest.raises(ValueError):
            converter.to_python(value)


# --- Admin date filters ---------------------------------------------------------------------------


@pytest.fixture
def admin_data(org):
    """A row in every change list that has a date to filter on."""
    scheduled(org)
    dev = org["dev"]
    requirement = Requirement.objects.filter(track=dev.track, check_kind="").first()
    EvidenceFactory(employee=dev, requirement=requirement, confirmed=True)
    Mentorship.objects.create(mentor=org["lead"], mentee=dev, started_on=datetime.date(2022, 5, 1))
    return org


@pytest.fixture
def root() -> Client:
    return signed_in(UserFactory(username="root", is_staff=True, is_superuser=True))


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def assert_back_to_the_list_with_a_message(client, url, query, *, writes_checked=True):
    before = db_state() if writes_checked else None
    response = client.get(f"{url}?{query}")
    assert response.status_code == 302, (url, query)
    assert response["Location"] == f"{url}?e=1"
    page = client.get(response["Location"])
    assert page.status_code == 200
    shown = [str(message) for message in page.context["messages"]]
    assert len(shown) == 1 and shown[0].startswith("Filter ") and "shown without filters" in shown[0], shown
    assert shown[0].split(":")[0].removeprefix("Filter ") in query
    if writes_checked:
        assert db_state() == before


@pytest.mark.parametrize("model, query", [
    (Employee, "hire_date__year=99999999999"),
    (Employee, "hire_date__year=-5"),
    (GradeChange, "effective_date__year=99999999999"),
    (GradeChange, "effective_date__year=-5"),
    (Mentorship, "started_on__year=99999999999"),
    (Mentorship, "started_on__year=-5"),
    (EvidenceEvent, "at__year=99999999999"),
    (EvidenceEvent, "at__year=-5"),
    # The date hierarchy counts on to the next year, month or day.
    (GradeChange, "effective_date__year=9999"),
    (GradeChange, "effective_date__year=2021&effective_date__month=99999999999"),
    (Mentorship, "started_on__year=2022&started_on__month=12&started_on__day=99999999999"),
])
def test_the_filters_that_ended_in_a_server_error(admin_data, root, model, query):
    assert_back_to_the_list_with_a_message(root, changelist(model), query)


@pytest.mark.parametrize("model, query", [
    (EvidenceEvent, "at__gte=0001-01-01"),
    (Employee, "hire_date__lt=9999-12-31"),
    (Employee, "hire_date__year__in=2021,99999999999"),
    (Employee, "hire_date__range=2021-01-01,9999-12-31"),
    (Employee, "team_lead__hire_date__year=99999999999"),
    (GradeChange, "recorded_at__date=0001-01-01"),
])
def test_other_ways_to_ask_for_a_date_outside_the_calendar(admin_data, root, settings, model, query):
    settings.TIME_ZONE = "Europe/Moscow"  # east of UTC: the first day of the calendar has no UTC start
    assert_back_to_the_list_with_a_message(root, changelist(model), query)


def guarded_date_filters():
    """Every date and datetime field of every change list of the product, with its admin."""
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, GuardedAdminMixin):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.DateField):
                yield pytest.param(model, field.name, id=f"{model._meta.label}.{field.name}")


@pytest.mark.parametrize("model, name", list(guarded_date_filters()))
def test_every_date_filter_of_every_admin_is_bounded(admin_data, root, model, name):
    before = db_state()
    for value in ("99999999999", "-5", "0", "9999", "1e3"):
        assert_back_to_the_list_with_a_message(root, changelist(model), f"{name}__year={value}", writes_checked=False)
    assert db_state() == before


def test_every_change_list_with_dates_is_guarded():
    """axes' own sign-in logs included: a year past the calendar ended in a server error there."""
    unguarded = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if any(isinstance(f, models.DateField) for f in model._meta.get_fields())
        and not isinstance(model_admin, GuardedAdminMixin)
    ]
    assert unguarded == []


@pytest.mark.parametrize("model_name", ["accesslog", "accessfailurelog"])
def test_the_sign_in_logs_filter_by_year_without_a_server_error(admin_data, root, model_name):
    url = reverse(f"admin:axes_{model_name}_changelist")
    for value in ("99999999999", "9999", "-5"):
        assert_back_to_the_list_with_a_message(root, url, f"attempt_time__year={value}")


def test_hr_on_the_people_list_too(admin_data):
    hr = signed_in(admin_data["hr"])
    assert_back_to_the_list_with_a_message(hr, changelist(Employee), "hire_date__year=99999999999")


@pytest.mark.parametrize("model, query, lookups", [
    (Employee, "hire_date__year=2021", {"hire_date__year": 2021}),
    (Employee, "hire_date__year__in=2018,2021", {"hire_date__year__in": [2018, 2021]}),
    (GradeChange, "effective_date__year=2021&effective_date__month=3",
     {"effective_date__gte": datetime.date(2021, 3, 1), "effective_date__lt": datetime.date(2021, 4, 1)}),
    (Mentorship, "started_on__year=2022&started_on__month=5&started_on__day=1",
     {"started_on": datetime.date(2022, 5, 1)}),
    (Employee, "hire_date__gte=2019-01-01&hire_date__lt=2022-01-01",
     {"hire_date__gte": datetime.date(2019, 1, 1), "hire_date__lt": datetime.date(2022, 1, 1)}),
    (Employee, "left_on__isnull=True", {"left_on__isnull": True}),
])
def test_filters_within_the_calendar_still_filter(admin_data, root, model, query, lookups):
    response = root.get(f"{changelist(model)}?{query}")
    assert response.status_code == 200
    expected = model.objects.filter(**lookups).count()
    assert expected > 0 and response.context["cl"].result_count == expected


def test_the_check_reads_only_date_filters():
    params = {"q": ["99999999999"], "o": ["1"], "p": ["99999999999"], "track__id__exact": ["99999999999"],
              "hire_date__isnull": ["99999999999"], "hire_date__gte": ["not a date"]}
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for name, values in params.items():
        query.setlist(name, values)
    assert date_filter_problem(Employee, query) is None


# --- The requirements spreadsheet -------------------------------------------------------------------

REQUIREMENTS_URL = "/admin/imports/importrun/requirements/"
HEADER = "track;level;key;category;text;text_en;check_kind;check_params"


@pytest.fixture
def hr_staff() -> Client:
    return signed_in(UserFactory(username="hr-importer", roles=["HR"], is_staff=True))


def preview(client, *lines: str):
    data = ("\r\n".join([HEADER, *lines]) + "\r\n").encode()
    return client.post(REQUIREMENTS_URL, {"file": SimpleUploadedFile("reqs.csv", data, content_type="text/csv")})


@pytest.mark.parametrize("cell, message", [
    ("[" * 100_000, "is longer than 1000 characters"),
    ("[" * 900, "is nested more than 4 levels deep"),
    ('{"years": ' + "1" * 4301 + "}", "is longer than 1000 characters"),
    ('{"years": ' + "7" * 25 + "}", "holds a number longer than 20 digits"),
    ('{"years": -' + "7" * 25 + "}", "holds a number longer than 20 digits"),
])
def test_a_check_params_cell_no_parser_should_follow_is_refused_in_the_preview(hr_staff, cell, message):
    before = (db_state(), list(Requirement.objects.order_by("pk").values()))

    response = preview(
        hr_staff,
        f"backend;senior;csv-hostile;experience;Text;;experience_years;{cell}",
        'backend;senior;csv-fine;experience;Text;;experience_years;"{""years"": 5}"',
    )

    assert response.status_code == 200
    plan = response.context["plan"]
    assert {row.row.number: row.action for row in plan.rows} == {2: "skip", 3: "create"}
    problems = [str(problem) for problem in response.context["problems"]]
    assert len(problems) == 1 and problems[0].startswith("row 2: check_params: ") and message in problems[0]
    assert len(problems[0]) < 200  # the cell is named by its start, not pasted whole
    assert (db_state(), list(Requirement.objects.order_by("pk").values())) == before


@pytest.mark.parametrize("raw, value", [
    ('{"years": 5}', {"years": 5}),
    ('{"from": ["junior", "middle"], "to": "senior"}', {"from": ["junior", "middle"], "to": "senior"}),
    ('{"years": 1.5}', {"years": 1.5}),
    ('{"a": "[[[[[[[[\\"]]"}', {"a": '[[[[[[[["]]'}),  # brackets inside text do not nest
    ("[[[[1]]]]", [[[[1]]]]),
])
def test_check_params_within_the_limits_parse_as_json(raw, value):
    assert import_rules.parse_check_params(raw) == value


@pytest.mark.parametrize("raw", ["[[[[[1]]]]]", '{"a": {"b": {"c": {"d": {}}}}}', "x" * 1001, "1" * 21, "years=5"])
def test_check_params_beyond_the_limits_are_a_sentence(raw):
    with pytest.raises(ValueError) as refused:
        import_rules.parse_check_params(raw)
    assert len(str(refused.value)) < 150
