"""Each endpoint of /api/v1/ with its good and bad paths: who may read what, who may write,
the token's scope, refused input (and that a refusal changes nothing), cursors, the rate
limit and the JSON of every refusal."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from api.models import ApiToken, TokenScope
from api.tests.conftest import make_token, user_of
from grades import services as grade_services
from grades.models import Employee, Evidence, EvidenceEvent, EvidenceStatus, GradeChange
from pay.models import SalaryBand
from reviews.tests.factories import db_state, decided, scheduled

User = get_user_model()
API = "/api/v1"


def claimable(employee):
    return grade_services.claimable_requirements(employee).order_by("pk")


def claim(employee, requirement=None):
    requirement = requirement or claimable(employee).first()
    return grade_services.evidence_claim(
        employee=employee, requirement=requirement, description="Wrote the retry worker", by=employee.user
    )


def evidence_state():
    return (
        list(Evidence.objects.order_by("pk").values()),
        EvidenceEvent.objects.count(),
        list(Employee.objects.order_by("pk").values("pk", "waiting_claims", "checklist_done")),
    )


def people_state():
    return (
        list(Employee.objects.order_by("pk").values()),
        list(User.objects.order_by("pk").values("pk", "username", "email", "first_name", "last_name")),
        GradeChange.objects.count(),
    )


def assert_refused(response, status: int):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail"} and body["detail"]
    return body["detail"]


# --- Tokens at the door ------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_unknown_malformed_or_revoked_token_gets_in(org, call):
    dev = user_of(org["dev"])
    assert_refused(call("get", f"{API}/me"), 401)
    for wrong in ("nonsense", "gs_", "gs_abc_def", "gs_0123456789ab_" + "x" * 43):
        assert_refused(call("get", f"{API}/me", token=wrong), 401)
    token = make_token(dev)
    assert call("get", f"{API}/me", token=token).status_code == 200
    # The right prefix with another secret is no token either.
    assert_refused(call("get", f"{API}/me", token=token[:-4] + "AAAA"), 401)
    from api import services

    services.token_revoke(token=ApiToken.objects.get(user=dev), by=dev)
    response = call("get", f"{API}/me", token=token)
    assert_refused(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_a_deactivated_account_s_token_gets_nothing(org, call):
    dev = user_of(org["dev"])
    token = make_token(dev)
    dev.is_active = False
    dev.save()
    assert_refused(call("get", f"{API}/people", token=token), 401)


@pytest.mark.django_db
def test_a_token_notes_its_last_use(org, call):
    token = make_token(user_of(org["dev"]))
    assert ApiToken.objects.get().last_used_at is None
    assert call("get", f"{API}/me", token=token).json()["scope"] == "write"
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.django_db
def test_a_read_token_is_refused_every_write_and_nothing_changes(org, call):
    dev, lead, hr = org["dev"], org["lead"], org["hr"]
    waiting = claim(dev)
    before = evidence_state(), people_state()
    read = {who: make_token(user_of(org[who]), TokenScope.READ) for who in ("dev", "lead", "hr")}
    requirement = claimable(dev).exclude(pk=waiting.requirement_id).first()
    refusals = [
        call("post", f"{API}/people/{dev.pk}/claims", token=read["dev"],
             json={"requirement_id": requirement.pk, "description": "Done"}),
        call("post", f"{API}/claims/{waiting.pk}/decision", token=read["lead"], json={"confirm": True}),
        call("post", f"{API}/people", token=read["hr"], json={
            "username": "newbie", "email": "newbie@example.com", "track": "backend", "level": "junior",
            "hire_date": "2026-01-05"}),
        call("patch", f"{API}/people/{dev.pk}", token=read["hr"], json={"first_name": "X"}),
        call("post", f"{API}/people/{dev.pk}/leave", token=read["hr"], json={"on": "2026-06-30"}),
    ]
    for response in refusals:
        assert "read" in assert_refused(response, 403)
    assert (evidence_state(), people_state()) == before
    # The same people read with them.
    assert call("get", f"{API}/people/{dev.pk}", token=read["lead"]).status_code == 200
    assert lead and hr


# --- Tracks and ladders -------------------------------------------------------------------------


@pytest.mark.django_db
def test_tracks_are_read_a_page_at_a_time_by_cursor(org, call):
    token = make_token(user_of(org["dev"]))
    first = call("get", f"{API}/tracks", token=token, data={"limit": 1}).json()
    assert [t["slug"] for t in first["items"]] == ["backend"]
    second = call("get", f"{API}/tracks", token=token, data={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [t["slug"] for t in second["items"]] == ["fullstack"]
    everything = call("get", f"{API}/tracks", token=token).json()
    assert everything["next_cursor"] is None
    assert [t["slug"] for t in everything["items"]][:2] == ["backend", "fullstack"]


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"cursor": "not-a-cursor"},
                                   {"cursor": "eyJhZnRlciI6ICJ4In0"}, {"cursor": "eyJhZnRlciI6IC0xfQ"}])
def test_a_limit_out_of_bounds_or_a_foreign_cursor_is_refused(org, call, query):
    token = make_token(user_of(org["dev"]))
    assert_refused(call("get", f"{API}/tracks", token=token, data=query), 400)


@pytest.mark.django_db
def test_a_ladder_has_its_levels_requirements_and_books(org, call):
    token = make_token(user_of(org["dev"]))
    track = call("get", f"{API}/tracks/backend", token=token).json()
    assert [level["rank"] for level in track["levels"]] == list(range(1, 10))
    middle_plus = next(level for level in track["levels"] if level["code"] == "middle-plus")
    assert middle_plus["requirements"] and all(r["counted"] for r in middle_plus["requirements"])
    assert middle_plus["min_months_in_previous"] == 6
    assert_refused(call("get", f"{API}/tracks/no-such-track", token=token), 404)


@pytest.mark.django_db
def test_salary_bands_only_for_those_who_may_see_them(org, call, settings):
    level = Employee.objects.get(pk=org["dev"].pk).current_level
    SalaryBand.objects.create(level=level, currency="EUR", minimum=Decimal("3000"), maximum=Decimal("4000"),
                              valid_from=datetime.date(2020, 1, 1))
    settings.PAY_BANDS_VISIBLE_TO = "hr"
    of = {who: call("get", f"{API}/tracks/backend", token=make_token(user_of(org[who]))).json() for who in ("dev", "hr")}
    assert all(level["salary_bands"] is None for level in of["dev"]["levels"])
    middle = next(level for level in of["hr"]["levels"] if level["code"] == "middle")
    assert middle["salary_bands"] == [
        {"currency": "EUR", "minimum": "3000.00", "maximum": "4000.00", "valid_from": "2020-01-01"}
    ]


# --- People --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_role_sees_the_people_the_pages_show_them(org, call):
    ids = lambda who: {p["id"] for p in call("get", f"{API}/people", token=make_token(user_of(org[who]))).json()["items"]}  # noqa: E731
    assert ids("dev") == {org["dev"].pk}
    assert ids("lead") == {org["lead"].pk, org["dev"].pk, org["colleague"].pk}
    assert ids("hr") == set(Employee.objects.values_list("pk", flat=True))
    assert ids("manager") == set() and ids("cto") == set()


@pytest.mark.django_db
def test_a_person_with_their_grade_history_or_404_for_whoever_may_not_see_them(org, call):
    dev = org["dev"]
    mine = call("get", f"{API}/people/{dev.pk}", token=make_token(user_of(dev))).json()
    assert mine["level"]["code"] == "middle"
    assert [(e["kind"], e["level"]["code"]) for e in mine["grade_history"]] == [("hire", "middle")]
    for who in ("colleague", "other_lead", "manager", "cto"):
        assert_refused(call("get", f"{API}/people/{dev.pk}", token=make_token(user_of(org[who]))), 404)
        assert_refused(call("get", f"{API}/people/{dev.pk}/claims", token=make_token(user_of(org[who]))), 404)
    assert_refused(call("get", f"{API}/people/999999", token=make_token(org["hr"])), 404)


@pytest.mark.django_db
def test_hr_adds_a_person_with_an_account_and_a_hire_entry(org, call):
    hr = org["hr"]
    response = call("post", f"{API}/people", token=make_token(hr), json={
        "username": "nina", "email": "nina@example.com", "first_name": "Nina", "last_name": "New",
        "track": "backend", "level": "junior-plus", "hire_date": "2026-02-02", "team_lead_id": org["lead"].pk,
    })
    assert response.status_code == 201, response.content
    person = response.json()
    assert person["level"]["code"] == "junior-plus" and person["team_lead_id"] == org["lead"].pk
    assert person["grade_history"][0]["kind"] == "hire"
    user = User.objects.get(username="nina")
    assert not user.has_usable_password()
    assert user.groups.filter(name="Developer").exists()
    employee = Employee.objects.get(user=user)
    assert employee.history.get().history_user == hr
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.filter(user=hr, object_id=str(user.pk)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("change, status", [
    ({"username": "dev"}, 409),
    ({"email": "DEV@example.com"}, 409),
    ({"level": "no-such-level"}, 400),
    ({"track": "no-such-track"}, 400),
    ({"team_lead_id": 999999}, 400),
    ({"probation_end": "2025-01-01"}, 400),
    ({"career_start": "2027-01-01"}, 400),
    ({"username": "has spaces!"}, 400),
    ({"hire_date": "not a date"}, 400),
])
def test_a_refused_new_person_writes_nothing(org, call, change, status):
    before = people_state()
    body = {"username": "nina", "email": "nina@example.com", "track": "backend", "level": "junior",
            "hire_date": "2026-02-02", **change}
    assert_refused(call("post", f"{API}/people", token=make_token(org["hr"]), json=body), status)
    assert people_state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["dev", "lead", "manager", "cto"])
def test_only_hr_adds_changes_and_lets_go_of_people(org, call, who):
    token = make_token(user_of(org[who]))
    dev = org["dev"]
    before = people_state()
    assert_refused(call("post", f"{API}/people", token=token, json={
        "username": "nina", "email": "nina@example.com", "track": "backend", "level": "junior",
        "hire_date": "2026-02-02"}), 403)
    # Whoever sees the person is told they may not; whoever does not see them, that there is no such person.
    expected = 403 if who in ("dev", "lead") else 404
    assert_refused(call("patch", f"{API}/people/{dev.pk}", token=token, json={"first_name": "X"}), expected)
    assert_refused(call("post", f"{API}/people/{dev.pk}/leave", token=token, json={"on": "2026-06-30"}), expected)
    assert people_state() == before


@pytest.mark.django_db
def test_hr_changes_a_person_and_the_history_says_who(org, call):
    dev, hr = org["dev"], org["hr"]
    response = call("patch", f"{API}/people/{dev.pk}", token=make_token(hr), json={
        "team_lead_id": org["other_lead"].pk, "probation_end": None, "last_name": "Devova"})
    assert response.status_code == 200, response.content
    assert response.json()["team_lead_id"] == org["other_lead"].pk
    dev.refresh_from_db()
    assert dev.team_lead_id == org["other_lead"].pk and dev.probation_end is None
    assert dev.user.last_name == "Devova"
    assert dev.history.latest().history_user == hr


@pytest.mark.django_db
@pytest.mark.parametrize("body", [
    {"probation_end": "2020-01-01"},             # before the hire date
    {"career_start": None},
    {"team_lead_id": 999999},
    {"email": "lead@example.com"},               # another account's
    {"first_name": "ok", "career_start": "2030-01-01"},  # after the hire date: nothing of it is kept
])
def test_a_refused_change_writes_nothing(org, call, body):
    before = people_state()
    response = call("patch", f"{API}/people/{org['dev'].pk}", token=make_token(org["hr"]), json=body)
    assert response.status_code in (400, 409)
    assert_refused(response, response.status_code)
    assert people_state() == before


@pytest.mark.django_db
def test_nobody_becomes_their_own_team_lead(org, call):
    before = people_state()
    dev = org["dev"]
    assert_refused(call("patch", f"{API}/people/{dev.pk}", token=make_token(org["hr"]), json={"team_lead_id": dev.pk}), 400)
    assert people_state() == before


@pytest.mark.django_db
def test_hr_records_that_someone_leaves_but_not_before_their_history(org, call):
    dev, token = org["dev"], make_token(org["hr"])
    before = people_state()
    assert_refused(call("post", f"{API}/people/{dev.pk}/leave", token=token, json={"on": "2020-01-01"}), 400)
    assert people_state() == before
    response = call("post", f"{API}/people/{dev.pk}/leave", token=token, json={"on": "2026-06-30"})
    assert response.status_code == 200 and response.json()["left_on"] == "2026-06-30"


# --- Claims and decisions --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_developer_claims_a_line_of_their_checklist(org, call):
    dev = org["dev"]
    requirement = claimable(dev).first()
    response = call("post", f"{API}/people/{dev.pk}/claims", token=make_token(user_of(dev)), json={
        "requirement_id": requirement.pk, "description": "Built the retry worker",
        "links": ["https://git.example.com/pr/7"]})
    assert response.status_code == 201, response.content
    claim_ = response.json()
    assert claim_["status"] == "claimed" and claim_["links"] == ["https://git.example.com/pr/7"]
    evidence = Evidence.objects.get(pk=claim_["id"])
    assert evidence.claimed_by == dev.user
    assert evidence.events.get().action == "claimed"
    assert Employee.objects.get(pk=dev.pk).waiting_claims == 1
    listed = call("get", f"{API}/people/{dev.pk}/claims", token=make_token(user_of(org["lead"]))).json()
    assert [c["id"] for c in listed["items"]] == [evidence.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("body, status", [
    ({"description": ""}, 400),
    ({"description": "   "}, 400),
    ({"links": ["javascript:alert(1)"]}, 400),
    ({"links": ["https://example.com/\u202eevil"]}, 400),
    ({"requirement_id": 999999}, 400),
    ({"requirement_id": "x"}, 400),
    ({"description": "x" * 5001}, 400),
])
def test_a_refused_claim_writes_nothing(org, call, body, status):
    dev = org["dev"]
    payload = {"requirement_id": claimable(dev).first().pk, "description": "Done", **body}
    before = evidence_state()
    assert_refused(call("post", f"{API}/people/{dev.pk}/claims", token=make_token(user_of(dev)), json=payload), status)
    assert evidence_state() == before


@pytest.mark.django_db
def test_a_claim_is_the_person_s_own_and_only_once(org, call):
    dev, lead = org["dev"], org["lead"]
    requirement = claimable(dev).first()
    body = {"requirement_id": requirement.pk, "description": "Done"}
    before = evidence_state()
    # Their lead sees them, and may not claim for them; someone else does not see them.
    assert_refused(call("post", f"{API}/people/{dev.pk}/claims", token=make_token(user_of(lead)), json=body), 403)
    assert_refused(call("post", f"{API}/people/{dev.pk}/claims", token=make_token(user_of(org["colleague"])), json=body), 404)
    # A line of another track's ladder.
    other = claimable(org["other_dev"]).exclude(track_id=dev.track_id).first()
    assert_refused(call("post", f"{API}/people/{dev.pk}/claims", token=make_token(user_of(dev)),
                        json={"requirement_id": other.pk, "description": "Done"}), 400)
    assert evidence_state() == before
    token = make_token(user_of(dev))
    assert call("post", f"{API}/people/{dev.pk}/claims", token=token, json=body).status_code == 201
    after = evidence_state()
    assert_refused(call("post", f"{API}/people/{dev.pk}/claims", token=token, json=body), 409)
    assert evidence_state() == after


@pytest.mark.django_db
def test_the_team_lead_confirms_a_claim(org, call):
    waiting = claim(org["dev"])
    response = call("post", f"{API}/claims/{waiting.pk}/decision", token=make_token(user_of(org["lead"])),
                    json={"confirm": True, "comment": "Seen it in production"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    waiting.refresh_from_db()
    assert waiting.status == EvidenceStatus.CONFIRMED and waiting.decided_by == user_of(org["lead"])
    assert Employee.objects.get(pk=org["dev"].pk).checklist_done == 1
    # Decided once: a second decision is a conflict.
    before = evidence_state()
    assert_refused(call("post", f"{API}/claims/{waiting.pk}/decision", token=make_token(org["hr"]),
                        json={"confirm": False, "comment": "No"}), 409)
    assert evidence_state() == before


@pytest.mark.django_db
def test_hr_rejects_with_a_reason_and_without_one_nothing_happens(org, call):
    waiting = claim(org["dev"])
    token = make_token(org["hr"])
    before = evidence_state()
    assert_refused(call("post", f"{API}/claims/{waiting.pk}/decision", token=token, json={"confirm": False}), 400)
    assert_refused(call("post", f"{API}/claims/{waiting.pk}/decision", token=token, json={"comment": "x"}), 400)
    assert evidence_state() == before
    response = call("post", f"{API}/claims/{waiting.pk}/decision", token=token,
                    json={"confirm": False, "comment": "Show the pull request"})
    assert response.json()["status"] == "rejected"


@pytest.mark.django_db
def test_nobody_decides_their_own_claim_nor_a_stranger_s(org, call):
    waiting = claim(org["dev"])
    before = evidence_state()
    body = {"confirm": True}
    assert_refused(call("post", f"{API}/claims/{waiting.pk}/decision", token=make_token(user_of(org["dev"])), json=body), 403)
    for who in ("other_lead", "colleague", "manager", "cto"):
        assert_refused(call("post", f"{API}/claims/{waiting.pk}/decision", token=make_token(user_of(org[who])), json=body), 404)
    assert_refused(call("post", f"{API}/claims/999999/decision", token=make_token(org["hr"]), json=body), 404)
    assert evidence_state() == before


# --- Reviews ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_decided_review_shows_each_reader_what_the_ballot_allows(org, call):
    review = decided(org, values=("approve", "approve", "reject", "abstain"))
    read = lambda who: call("get", f"{API}/reviews/{review.pk}", token=make_token(user_of(org[who]) if who != "hr" else org["hr"]))  # noqa: E731
    candidate = read("dev").json()
    assert candidate["status"] == "passed"
    assert candidate["outcome"]["approvals"] == 2 and candidate["outcome"]["rejections"] == 1
    assert candidate["outcome"]["note"] == "The committee has spoken."
    # The candidate learns the outcome and the counts, never who voted how.
    assert all(seat["vote"] is None and seat["comment"] is None for seat in candidate["seats"])
    member = read("cto").json()
    assert sorted(seat["vote"] for seat in member["seats"]) == ["abstain", "approve", "approve", "reject"]
    assert read("hr").json()["seats"][0]["vote"] is not None
    for who in ("other_lead", "colleague", "manager", "spare"):
        assert_refused(read(who), 404)
    listed = call("get", f"{API}/reviews", token=make_token(user_of(org["dev"]))).json()
    assert [r["id"] for r in listed["items"]] == [review.pk]
    assert call("get", f"{API}/reviews", token=make_token(org["manager"])).json()["items"] == []


@pytest.mark.django_db
def test_before_the_decision_a_member_sees_only_who_has_voted_until_they_vote(org, call):
    from reviews import services as review_services
    from reviews.tests.factories import defense_day_came

    review = defense_day_came(scheduled(org))
    review_services.review_vote(review=review, by=org["product"], value="reject", comment="not yet")
    cto = call("get", f"{API}/reviews/{review.pk}", token=make_token(org["cto"])).json()
    assert cto["outcome"] is None
    assert {seat["role"]: seat["has_voted"] for seat in cto["seats"]}["product"] is True
    assert all(seat["vote"] is None for seat in cto["seats"])
    candidate = call("get", f"{API}/reviews/{review.pk}", token=make_token(user_of(org["dev"]))).json()
    assert all(seat["has_voted"] is None and seat["vote"] is None for seat in candidate["seats"])
    product = call("get", f"{API}/reviews/{review.pk}", token=make_token(org["product"])).json()
    assert {seat["role"]: seat["vote"] for seat in product["seats"]}["product"] == "reject"


@pytest.mark.django_db
def test_reading_a_review_changes_nothing(org, call):
    review = decided(org)
    before = db_state()
    for who in ("dev", "lead", "cto"):
        call("get", f"{API}/reviews/{review.pk}", token=make_token(user_of(org[who])))
    assert db_state() == before


# --- Limits and errors ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_past_the_rate_limit_a_token_waits(org, call, settings):
    settings.API_RATE_LIMIT = "3/min"
    token, other = make_token(user_of(org["dev"])), make_token(user_of(org["lead"]))
    for _ in range(3):
        assert call("get", f"{API}/me", token=token).status_code == 200
    response = call("get", f"{API}/me", token=token)
    assert_refused(response, 429)
    assert 0 < int(response["Retry-After"]) <= 60
    # Counted per token.
    assert call("get", f"{API}/me", token=other).status_code == 200


@pytest.mark.django_db
def test_every_refusal_under_api_is_json(org, call, client):
    token = make_token(user_of(org["dev"]))
    assert_refused(call("get", "/api/nothing-here", token=token), 404)
    assert_refused(call("get", f"{API}/no/such/endpoint", token=token), 404)
    assert_refused(call("delete", f"{API}/me", token=token), 405)
    malformed = client.post(f"{API}/people/{org['dev'].pk}/claims", data="{not json", content_type="application/json",
                            HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_refused(malformed, 400)


@pytest.mark.django_db
def test_an_unexpected_error_is_a_json_500_without_its_message(org, call, monkeypatch):
    from api import api as module

    def broken(*args, **kwargs):
        raise RuntimeError("secret personal detail")

    monkeypatch.setattr(module, "_person_detail", broken)
    response = call("get", f"{API}/people/{org['dev'].pk}", token=make_token(user_of(org["dev"])))
    assert "secret" not in assert_refused(response, 500)


@pytest.mark.django_db
def test_api_answers_are_kept_by_no_cache(org, call):
    response = call("get", f"{API}/people", token=make_token(user_of(org["dev"])))
    assert "no-store" in response["Cache-Control"]


def test_the_openapi_document_and_the_docs_page(client):
    document = client.get(f"{API}/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/people", "/api/v1/claims/{claim_id}/decision", "/api/v1/reviews/{review_id}"} <= set(document["paths"])
    assert document["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    page = client.get(f"{API}/docs")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<script>" not in html and "http://" not in html and "https://" not in html
    assert "script-src 'self'" in page["Content-Security-Policy"]


# --- Cost ---------------------------------------------------------------------------------------------


def _queries(call, path, token) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert call("get", path, token=token).status_code == 200
    return len(captured)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/people", "/reviews", "/tracks"])
def test_a_page_of_a_list_costs_the_same_whatever_its_length(org, call, path):
    from grades.tests.factories import hire

    token = make_token(org["hr"])
    call("get", f"{API}/me", token=token)  # the token's last use noted: not part of what is counted
    few = _queries(call, f"{API}{path}", token)
    for _ in range(4):
        hire(level_code="junior", team_lead=org["lead"])
    decided(org)
    # The token, the viewer's roles and the page itself: a fixed number, no query per row.
    assert _queries(call, f"{API}{path}", token) == few <= 4


@pytest.mark.django_db
def test_a_database_that_is_away_is_a_json_503_with_retry_after(org, call, monkeypatch):
    from django.db import OperationalError

    from api import api as module

    def away(*args, **kwargs):
        raise OperationalError("server has gone away")

    monkeypatch.setattr(module, "_person_detail", away)
    response = call("get", f"{API}/people/{org['dev'].pk}", token=make_token(user_of(org["dev"])))
    assert "gone away" not in assert_refused(response, 503)
    assert response["Retry-After"] == "30"
