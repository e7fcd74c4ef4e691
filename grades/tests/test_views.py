"""The browser pages: who sees what, the evidence flow, bad input, and query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from grades.models import Evidence, EvidenceEvent, EvidenceStatus, Mentorship, Requirement
from grades.tests.factories import UserFactory, hire
from grades.tests.test_query_counts import OWN_PROGRESS_PAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    """A team lead with two reports (backend), another lead with one report, HR, a manager."""
    lead = hire(level_code="senior", roles=["Developer", "Team lead"], hire_date=datetime.date(2018, 1, 1))
    dev = hire(level_code="middle", team_lead=lead, hire_date=datetime.date(2021, 3, 1),
               probation_end=datetime.date(2021, 6, 1))
    colleague = hire(level_code="junior-plus", team_lead=lead)
    other_lead = hire(level_code="senior", roles=["Developer", "Team lead"], track_slug="fullstack")
    stranger = hire(level_code="middle", team_lead=other_lead, track_slug="fullstack")
    hr = UserFactory(roles=["HR"], is_staff=True)
    manager = UserFactory(roles=["Manager"])
    committee = UserFactory(roles=["Committee"])
    return dict(lead=lead, dev=dev, colleague=colleague, other_lead=other_lead, stranger=stranger,
                hr=hr, manager=manager, committee=committee)


def next_level_requirement(employee, *, data_checked=False):
    rank = employee.current_level.rank + 1
    qs = Requirement.objects.filter(track=employee.track, track_level__level__rank=rank)
    qs = qs.exclude(check_kind="") if data_checked else qs.filter(check_kind="")
    return qs.order_by("id").first()


def claim(client, employee, requirement, description="Built the billing retry worker",
          links="https://git.example.com/pr/42"):
    return client.post(
        f"/people/{employee.pk}/claim/{requirement.pk}/", {"description": description, "links": links}
    )


def evidence_state():
    return (
        list(Evidence.objects.order_by("id").values()),
        list(EvidenceEvent.objects.order_by("id").values()),
    )


# --- Ladders -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    for url in ["/tracks/", "/tracks/backend/", "/me/", "/people/", "/people/1/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_ladder_lists_nine_levels_with_comments_and_requirements(client, team):
    client.force_login(team["dev"].user)
    response = client.get("/tracks/backend/")
    assert response.status_code == 200
    body = response.content.decode()
    for name in ["Junior", "Junior+", "Middle++", "Senior++"]:
        assert f"{name}</h2>" in body
    senior = Requirement.objects.get(track__slug="backend", key="five-years-experience")
    assert senior.text_en in body
    assert "checked from data" in body
    assert len(response.context["ladder"]) == 9
    # What each level adds, and the running total.
    assert response.context["ladder"][0]["added"] == []
    assert response.context["ladder"][-1]["cumulative"] == Requirement.objects.filter(
        track__slug="backend", is_active=True
    ).count()


def test_ladder_in_russian_shows_the_original_wording(client, team):
    client.force_login(team["dev"].user)
    client.cookies["django_language"] = "ru"
    body = client.get("/tracks/backend/").content.decode()
    assert "Не менее 5 лет работы в программировании" in body


def test_unknown_track_is_404(client, team):
    client.force_login(team["dev"].user)
    assert client.get("/tracks/cobol/").status_code == 404


# The ladder's statements are pinned once, with the other pages': test_query_counts.py.


# --- Progress pages: who sees whom ---------------------------------------------------------------


def test_me_shows_the_developers_progress(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    response = client.get("/me/")
    assert response.status_code == 200
    progress = response.context["progress"]
    assert progress.level.code == "middle" and progress.next_level.code == "middle-plus"
    # Probation ended after the hire entry: six months from 2021-06-01.
    assert progress.earliest_defense == datetime.date(2021, 12, 1)
    assert "counted from the end of probation on 2021-06-01" in progress.earliest_reasons[0]
    expected = Requirement.objects.filter(
        track=dev.track, is_active=True, track_level__level__rank__lte=5
    ).count()
    assert progress.total == expected
    assert 'data-testid="progress-label"' in response.content.decode()


def test_me_without_an_employee_record(client, team):
    client.force_login(team["manager"])
    response = client.get("/me/")
    assert response.status_code == 200
    assert "not on a track" in response.content.decode()


@pytest.mark.parametrize(
    "viewer, target, status",
    [
        ("lead", "dev", 200),
        ("lead", "colleague", 200),
        ("hr", "stranger", 200),
        ("dev", "dev", 200),
        ("dev", "colleague", 404),
        ("dev", "lead", 404),
        ("other_lead", "dev", 404),
        ("lead", "stranger", 404),
        ("manager", "dev", 404),
        ("committee", "dev", 404),
    ],
)
def test_person_page_visibility(client, team, viewer, target, status):
    user = team[viewer] if not hasattr(team[viewer], "user") else team[viewer].user
    client.force_login(user)
    response = client.get(f"/people/{team[target].pk}/")
    assert response.status_code == status
    if status == 404:
        assert str(team[target]) not in response.content.decode()


def test_unknown_person_is_404(client, team):
    client.force_login(team["hr"])
    assert client.get("/people/999999/").status_code == 404


def test_mentoring_counts_towards_data_checked_requirements(client, team):
    lead = team["lead"]
    for mentee in (team["dev"], team["colleague"]):
        Mentorship.objects.create(mentor=lead, mentee=mentee, started_on=datetime.date(2023, 1, 1))
    client.force_login(lead.user)
    progress = client.get("/me/").context["progress"]
    item = next(i for i in progress.items if i.requirement.check_kind == "mentee_count")
    assert item.state == "met" and item.detail == "2 of 2 current mentees"


# --- The people list --------------------------------------------------------------------------------


def test_people_list_is_for_team_leads_and_hr(client, team):
    client.force_login(team["dev"].user)
    assert client.get("/people/").status_code == 403
    client.force_login(team["manager"])
    assert client.get("/people/").status_code == 403


def test_team_lead_sees_only_their_reports(client, team):
    client.force_login(team["lead"].user)
    response = client.get("/people/")
    names = {row.employee.pk for row in response.context["rows"]}
    assert names == {team["dev"].pk, team["colleague"].pk, team["lead"].pk}


def test_hr_sees_everyone_and_filters(client, team):
    client.force_login(team["hr"])
    everyone = {row.employee.pk for row in client.get("/people/").context["rows"]}
    assert everyone == {team[k].pk for k in ("lead", "dev", "colleague", "other_lead", "stranger")}
    fullstack = {row.employee.pk for row in client.get("/people/?track=fullstack").context["rows"]}
    assert fullstack == {team["other_lead"].pk, team["stranger"].pk}
    middles = {row.employee.pk for row in client.get("/people/?level=middle").context["rows"]}
    assert middles == {team["dev"].pk, team["stranger"].pk}


def test_people_list_counts_waiting_and_confirmed_claims(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    requirement = next_level_requirement(dev)
    claim(client, dev, requirement)
    client.force_login(team["lead"].user)
    row = next(r for r in client.get("/people/").context["rows"] if r.employee.pk == dev.pk)
    assert row.waiting_claims == 1 and row.checklist_done == 0
    evidence = Evidence.objects.get(employee=dev)
    client.post(f"/evidence/{evidence.pk}/decide/", {"decision": "confirm"})
    row = next(r for r in client.get("/people/?order=progress").context["rows"] if r.employee.pk == dev.pk)
    assert row.waiting_claims == 0 and row.checklist_done == 1
    assert row.checklist_total == Requirement.objects.filter(
        track=dev.track, is_active=True, check_kind="", track_level__level__rank__lte=5
    ).count()


def test_people_list_rows_link_to_each_persons_page(client, team):
    client.force_login(team["hr"])
    response = client.get("/people/")
    rows = response.context["rows"]
    assert rows and all(row.url == row.employee.get_absolute_url() for row in rows)
    body = response.content.decode()
    assert all(f'<a href="{row.url}">{escape(str(row.employee))}</a>' in body for row in rows)


def test_people_list_bad_filter_is_400_with_a_message(client, team):
    client.force_login(team["hr"])
    response = client.get("/people/?order=salary")
    assert response.status_code == 400
    assert "order" in response.content.decode()


def test_people_list_sorts_and_paginates(client, team):
    client.force_login(team["hr"])
    for order in ["name", "level", "since", "waiting", "progress"]:
        assert client.get(f"/people/?order={order}").status_code == 200
    response = client.get("/people/?page=999")
    assert response.status_code == 200 and response.context["page"].number == 1


def test_people_list_queries_do_not_grow_with_people(client, team, django_assert_num_queries):
    client.force_login(team["hr"])
    client.get("/people/")
    # session, user, the user's groups, count for the paginator, the page of people with
    # their counts as subqueries, levels, failed defenses of the page, tracks and levels for the
    # filter selects, navigation flags = 10 queries, for 5 people as for 25.
    with CaptureQueriesContext(connection) as few:
        client.get("/people/")
    for _ in range(20):
        hire(level_code="middle", team_lead=team["lead"])
    with CaptureQueriesContext(connection) as many:
        client.get("/people/")
    assert len(few) == len(many)


# --- Evidence: claim, edit, withdraw, decide ----------------------------------------------------------


def test_full_flow_claim_then_confirm_moves_the_progress(client, team):
    dev, lead = team["dev"], team["lead"]
    client.force_login(dev.user)
    before = client.get("/me/").context["progress"].done_count
    requirement = next_level_requirement(dev)
    response = claim(client, dev, requirement)
    assert response.status_code == 302
    evidence = Evidence.objects.get(employee=dev, requirement=requirement)
    assert evidence.status == EvidenceStatus.CLAIMED and evidence.links == ["https://git.example.com/pr/42"]
    assert list(evidence.events.values_list("action", flat=True)) == ["claimed"]

    client.force_login(lead.user)
    response = client.post(f"/evidence/{evidence.pk}/decide/", {"decision": "confirm", "comment": "Seen it"})
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.CONFIRMED and evidence.decided_by == lead.user

    client.force_login(dev.user)
    page = client.get("/me/")
    assert page.context["progress"].done_count == before + 1
    assert "Seen it" in page.content.decode()


def test_claim_edit_and_withdraw_keep_a_history(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    claim(client, dev, next_level_requirement(dev))
    evidence = Evidence.objects.get(employee=dev)
    response = client.post(f"/evidence/{evidence.pk}/edit/", {"description": "Better words", "links": ""})
    assert response.status_code == 302
    response = client.post(f"/evidence/{evidence.pk}/withdraw/")
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.WITHDRAWN
    assert list(evidence.events.values_list("action", "description")) == [
        ("claimed", "Built the billing retry worker"),
        ("edited", "Better words"),
        ("withdrawn", "Better words"),
    ]
    # A withdrawn requirement can be claimed again.
    assert claim(client, dev, evidence.requirement).status_code == 302


def test_rejected_claim_needs_a_comment_and_can_be_claimed_again(client, team):
    dev, lead = team["dev"], team["lead"]
    client.force_login(dev.user)
    requirement = next_level_requirement(dev)
    claim(client, dev, requirement)
    evidence = Evidence.objects.get(employee=dev)
    client.force_login(lead.user)
    before = evidence_state()
    response = client.post(f"/evidence/{evidence.pk}/decide/", {"decision": "reject", "comment": ""})
    assert response.status_code == 400
    assert "Say why the claim is rejected" in response.content.decode()
    assert evidence_state() == before
    response = client.post(f"/evidence/{evidence.pk}/decide/", {"decision": "reject", "comment": "Show the tests"})
    assert response.status_code == 302
    client.force_login(dev.user)
    item = next(i for i in client.get("/me/").context["progress"].items if i.requirement == requirement)
    assert item.state == "rejected" and item.claimable
    assert claim(client, dev, requirement).status_code == 302
    assert Evidence.objects.filter(employee=dev, requirement=requirement).count() == 2


@pytest.mark.parametrize(
    "description, links, message",
    [
        ("", "", "This field is required."),
        ("   ", "", "This field is required."),
        ("Did it", "javascript:alert(1)", "is not an http(s) link"),
        ("Did it", "ftp://files.example.com/x", "is not an http(s) link"),
        ("Did it", "not a url", "is not an http(s) link"),
        ("Did it", "\n".join(f"https://e.example.com/{i}" for i in range(11)), "At most 10 links"),
        ("x" * 5001, "", "at most 5000 characters"),
    ],
)
def test_invalid_claim_reshows_the_form_and_writes_nothing(client, team, description, links, message):
    dev = team["dev"]
    client.force_login(dev.user)
    before = evidence_state()
    response = claim(client, dev, next_level_requirement(dev), description=description, links=links)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert evidence_state() == before


def test_claims_outside_the_checklist_are_refused(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    before = evidence_state()
    other_track = Requirement.objects.filter(track__slug="fullstack", check_kind="").first()
    above_next = Requirement.objects.filter(track=dev.track, track_level__level__code="senior", check_kind="").first()
    data_checked = Requirement.objects.filter(track=dev.track, check_kind="experience_years").first()
    for requirement, message in [
        (other_track, "belongs to another track"),
        (above_next, "above your next level"),
        (data_checked, "judged from data"),
    ]:
        response = claim(client, dev, requirement)
        assert response.status_code == 400
        assert message in response.content.decode()
    response = client.post(f"/people/{dev.pk}/claim/999999/", {"description": "x"})
    assert response.status_code == 400
    assert evidence_state() == before


def test_a_second_open_claim_is_refused(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    requirement = next_level_requirement(dev)
    claim(client, dev, requirement)
    before = evidence_state()
    response = claim(client, dev, requirement)
    assert response.status_code == 400
    assert "already have a claim" in response.content.decode()
    assert evidence_state() == before


def test_nobody_claims_for_someone_else(client, team):
    dev = team["dev"]
    requirement = next_level_requirement(dev)
    before = evidence_state()
    client.force_login(team["lead"].user)  # can see dev, but is not dev
    assert claim(client, dev, requirement).status_code == 403
    client.force_login(team["colleague"].user)  # cannot see dev at all
    assert claim(client, dev, requirement).status_code == 404
    client.force_login(team["hr"])
    assert claim(client, dev, requirement).status_code == 403
    assert evidence_state() == before


def test_decisions_by_the_wrong_people_are_refused(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    claim(client, dev, next_level_requirement(dev))
    evidence = Evidence.objects.get(employee=dev)
    before = evidence_state()
    url = f"/evidence/{evidence.pk}/decide/"
    # The developer cannot confirm their own claim.
    assert client.post(url, {"decision": "confirm"}).status_code == 403
    # Another team lead cannot even see it; a colleague neither.
    client.force_login(team["other_lead"].user)
    assert client.post(url, {"decision": "confirm"}).status_code == 404
    client.force_login(team["colleague"].user)
    assert client.post(url, {"decision": "confirm"}).status_code == 404
    # A manager and a committee member are not deciders.
    client.force_login(team["manager"])
    assert client.post(url, {"decision": "confirm"}).status_code == 404
    # Nobody else may edit or withdraw it.
    client.force_login(team["lead"].user)
    assert client.post(f"/evidence/{evidence.pk}/edit/", {"description": "mine now"}).status_code == 403
    assert client.post(f"/evidence/{evidence.pk}/withdraw/").status_code == 403
    assert evidence_state() == before


def test_hr_can_decide_and_a_decision_is_final(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    claim(client, dev, next_level_requirement(dev))
    evidence = Evidence.objects.get(employee=dev)
    client.force_login(team["hr"])
    assert client.post(f"/evidence/{evidence.pk}/decide/", {"decision": "confirm"}).status_code == 302
    before = evidence_state()
    response = client.post(f"/evidence/{evidence.pk}/decide/", {"decision": "reject", "comment": "changed my mind"})
    assert response.status_code == 400
    assert "already confirmed" in response.content.decode()
    client.force_login(dev.user)
    response = client.post(f"/evidence/{evidence.pk}/edit/", {"description": "after the fact"})
    assert response.status_code == 400 and "can no longer be edited" in response.content.decode()
    response = client.post(f"/evidence/{evidence.pk}/withdraw/")
    assert response.status_code == 400 and "can no longer be withdrawn" in response.content.decode()
    assert evidence_state() == before


def test_a_claim_dated_later_than_the_clock_is_refused_with_a_message(client, team):
    """A claim whose time is ahead of the server's clock cannot be decided yet: a 400 with the
    reason, never the database's decided-after-claimed rule breaking into a 500."""
    from django.utils import timezone

    dev = team["dev"]
    client.force_login(dev.user)
    claim(client, dev, next_level_requirement(dev))
    evidence = Evidence.objects.get(employee=dev)
    Evidence.objects.filter(pk=evidence.pk).update(claimed_at=timezone.now() + datetime.timedelta(hours=2))
    before = evidence_state()
    client.force_login(team["lead"].user)
    response = client.post(f"/evidence/{evidence.pk}/decide/", {"decision": "confirm"})
    assert response.status_code == 400
    assert "later than the server" in response.content.decode()
    assert evidence_state() == before


def test_evidence_actions_need_post(client, team):
    client.force_login(team["dev"].user)
    assert client.get(f"/people/{team['dev'].pk}/claim/1/").status_code == 405
    assert client.get("/evidence/1/decide/").status_code == 405


def test_decision_form_rejects_unknown_decisions(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    claim(client, dev, next_level_requirement(dev))
    evidence = Evidence.objects.get(employee=dev)
    client.force_login(team["lead"].user)
    before = evidence_state()
    assert client.post(f"/evidence/{evidence.pk}/decide/", {"decision": "promote"}).status_code == 400
    assert evidence_state() == before


def test_evidence_text_is_escaped(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    claim(client, dev, next_level_requirement(dev), description="<script>alert('x')</script>")
    body = client.get("/me/").content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert" in body


# --- Query counts ------------------------------------------------------------------------------------


def test_progress_page_queries_do_not_grow_with_claims_and_mentees(client, team):
    lead = team["lead"]
    # One claim and one mentee first, so that every prefetch already runs once.
    Mentorship.objects.create(mentor=lead, mentee=team["dev"], started_on=datetime.date(2023, 1, 1))
    client.force_login(lead.user)
    claim(client, lead, Requirement.objects.filter(track=lead.track, check_kind="").order_by("id").first())
    client.get("/me/")
    with CaptureQueriesContext(connection) as few:
        client.get("/me/")
    # Many claims with events, mentees with ledgers: the count must not move.
    mentees = [hire(level_code="junior-plus", team_lead=lead) for _ in range(5)]
    for mentee in mentees:
        Mentorship.objects.create(mentor=lead, mentee=mentee, started_on=datetime.date(2023, 1, 1))
    requirements = Requirement.objects.filter(track=lead.track, check_kind="", track_level__level__rank__lte=8)
    client.force_login(lead.user)
    for requirement in requirements[1:13]:
        claim(client, lead, requirement)
    with CaptureQueriesContext(connection) as many:
        client.get("/me/")
    # session, user, the viewer's roles and employee id, mentorships both ways, the ledgers
    # of the person and their mentees (with the person's row), the review box (with the
    # last failed defense), the next level with its books, the checklist with the claims,
    # the growth plan's goals = 9; a claim's events are read only when its history is opened.
    assert len(few) == len(many), [q["sql"] for q in many.captured_queries]
    assert len(many) == OWN_PROGRESS_PAGE


# --- A claim's history, read when opened ----------------------------------------------------------


def history_url(employee, requirement):
    return f"/people/{employee.pk}/requirements/{requirement.pk}/history/"


def test_the_page_links_each_claimed_line_to_its_history_instead_of_inlining_it(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    requirement = next_level_requirement(dev)
    claim(client, dev, requirement)
    evidence = Evidence.objects.get(employee=dev)
    client.post(f"/evidence/{evidence.pk}/edit/", {"description": "Also wrote the runbook", "links": ""})

    body = client.get("/me/").content.decode()

    assert f'href="{history_url(dev, requirement)}" data-fragment-link' in body
    assert body.count('/history/" data-fragment-link') == 1  # only the line with claims has a history
    assert "Edited" not in body  # the events themselves are not on the page
    # The script that opens it in place is a file of this site: the CSP allows no inline script.
    assert '<script src="/static/js/on-open.js" defer></script>' in body
    assert "<script>" not in body and "onclick" not in body


def test_the_history_fragment_lists_every_event_of_the_lines_claims_in_order(client, team):
    dev, lead = team["dev"], team["lead"]
    requirement = next_level_requirement(dev)
    client.force_login(dev.user)
    claim(client, dev, requirement)
    first = Evidence.objects.get(employee=dev)
    client.force_login(lead.user)
    client.post(f"/evidence/{first.pk}/decide/", {"decision": "reject", "comment": "Show the tests"})
    client.force_login(dev.user)
    claim(client, dev, requirement, description="Now with tests")

    response = client.get(history_url(dev, requirement), headers={"X-Requested-With": "fetch"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and 'data-testid="claim-history"' in body
    events = [line for line in body.splitlines() if line.strip().startswith("<li>")]
    assert [("Claimed" in e, "Rejected" in e) for e in events] == [(True, False), (False, True), (True, False)]
    assert "“Show the tests”" in body and lead.user.get_full_name() in body
    assert "X-Requested-With" in response["Vary"]


def test_without_the_script_the_history_is_a_page_of_the_site(client, team):
    dev = team["dev"]
    requirement = next_level_requirement(dev)
    client.force_login(dev.user)
    claim(client, dev, requirement)
    response = client.get(history_url(dev, requirement))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body and 'data-testid="claim-history"' in body
    assert f'href="/me/#req-{requirement.pk}"' in body
    assert requirement.text_en in body


def test_a_line_without_claims_has_an_empty_history(client, team):
    dev = team["dev"]
    client.force_login(team["lead"].user)
    response = client.get(history_url(dev, next_level_requirement(dev)), headers={"X-Requested-With": "fetch"})
    assert response.status_code == 200 and "No claims yet." in response.content.decode()


def test_only_those_who_see_the_person_see_their_history(client, team):
    dev = team["dev"]
    requirement = next_level_requirement(dev)
    client.force_login(dev.user)
    claim(client, dev, requirement)
    url = history_url(dev, requirement)
    for viewer in (team["colleague"].user, team["other_lead"].user, team["manager"], team["committee"]):
        client.force_login(viewer)
        response = client.get(url, headers={"X-Requested-With": "fetch"})
        # The same 404 as for nobody at all: who is on the site is nobody else's business.
        assert response.status_code == 404, viewer
        assert "Built the billing retry worker" not in response.content.decode()
    for viewer in (team["lead"].user, team["hr"]):
        client.force_login(viewer)
        assert client.get(url).status_code == 200
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_history_of_no_such_requirement_or_person_is_a_404_and_it_only_reads(client, team):
    dev = team["dev"]
    client.force_login(team["hr"])
    before = evidence_state()
    assert client.get(f"/people/{dev.pk}/requirements/999999/history/").status_code == 404
    assert client.get(f"/people/999999/requirements/{next_level_requirement(dev).pk}/history/").status_code == 404
    assert client.post(history_url(dev, next_level_requirement(dev))).status_code == 405
    assert evidence_state() == before


# --- The menu ---------------------------------------------------------------------------------------------


def menu(client, user) -> str:
    client.force_login(user)
    body = client.get("/tracks/").content.decode()
    return body[body.index('<nav aria-label="Main">') : body.index("</nav>")]


def test_the_menu_shows_each_person_what_they_may_open(client, team):
    dev_menu = menu(client, team["dev"].user)
    assert 'data-nav="me"' in dev_menu and 'data-nav="people"' not in dev_menu and "/exports/" not in dev_menu
    lead_menu = menu(client, team["lead"].user)
    assert 'data-nav="me"' in lead_menu and 'data-nav="people"' in lead_menu
    hr_menu = menu(client, team["hr"])
    assert 'data-nav="me"' not in hr_menu  # HR here is no employee
    assert 'data-nav="people"' in hr_menu and "/exports/" in hr_menu and "/admin/" in hr_menu
    manager_menu = menu(client, team["manager"])
    assert "/exports/" in manager_menu and 'data-nav="people"' not in manager_menu


def test_the_menu_follows_a_change_at_once(client, team):
    """No menu is kept between requests: a new report shows the People link on the next page."""
    colleague = team["colleague"]
    assert 'data-nav="people"' not in menu(client, colleague.user)
    hire(level_code="junior", team_lead=colleague)
    assert 'data-nav="people"' in menu(client, colleague.user)


def test_the_lines_addresses_are_those_reverse_gives(client, team):
    from django.urls import reverse

    from grades.pages import _AddressOf

    for pk in (1, 9, 10, 123456789, 2**63 - 1):
        assert _AddressOf("grades:claim", 42)(pk) == reverse("grades:claim", args=[42, pk])
        assert _AddressOf("grades:evidence_decide")(pk) == reverse("grades:evidence_decide", args=[pk])
    dev = team["dev"]
    client.force_login(dev.user)
    claim(client, dev, next_level_requirement(dev))
    evidence = Evidence.objects.get(employee=dev)
    items = client.get("/me/").context["progress"].items
    line = next(item for item in items if item.evidence is not None)
    assert line.edit_url == reverse("grades:evidence_edit", args=[evidence.pk])
    assert line.withdraw_url == reverse("grades:evidence_withdraw", args=[evidence.pk])
    assert line.history_url == reverse("grades:claim_history", args=[dev.pk, line.requirement.pk])
    assert all(
        item.claim_url == reverse("grades:claim", args=[dev.pk, item.requirement.pk]) for item in items if item.claimable
    )
    client.force_login(team["lead"].user)
    items = client.get(f"/people/{dev.pk}/").context["progress"].items
    line = next(item for item in items if item.evidence is not None)
    assert line.decide_url == reverse("grades:evidence_decide", args=[evidence.pk])
    assert not any(item.claim_url or item.edit_url for item in items)  # not the lead's to claim or edit
