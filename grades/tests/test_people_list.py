"""The people list's search, team-lead filter and "eligible now" filter and order, and bad values."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import F

from grades import rules, selectors
from grades.models import Employee
from grades.tests.factories import UserFactory, hire
from grades.views import NearerEndPaginator

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def team():
    """Two teams: Lena leads Ivan and Olga (backend), Max leads Pavel (fullstack); HR."""
    lead = hire(level_code="senior", hire_date=D(2018, 1, 1), user=UserFactory(
        username="lena", first_name="Lena", last_name="Lead", roles=["Developer", "Team lead"]))
    dev = hire(level_code="middle", team_lead=lead, hire_date=D(2021, 3, 1), probation_end=D(2021, 6, 1),
               user=UserFactory(username="ivan.p", first_name="Иван", last_name="Петров"))
    colleague = hire(level_code="junior-plus", team_lead=lead,
                     user=UserFactory(username="olga", first_name="Olga", last_name="Smith"))
    other_lead = hire(level_code="senior", track_slug="fullstack", user=UserFactory(
        username="max", first_name="Max", last_name="Maier", roles=["Developer", "Team lead"]))
    stranger = hire(level_code="middle", team_lead=other_lead, track_slug="fullstack",
                    user=UserFactory(username="pavel", first_name="Pavel", last_name="Ivanov"))
    hr = UserFactory(roles=["HR"], is_staff=True)
    return dict(lead=lead, dev=dev, colleague=colleague, other_lead=other_lead, stranger=stranger, hr=hr)


def shown(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:500]
    return [row.employee.pk for row in response.context["rows"]]


def all_confirmed(employee):
    """The kept checklist figures as if every line of the next level were confirmed."""
    Employee.objects.filter(pk=employee.pk).update(checklist_done=F("checklist_total"))


# --- Search --------------------------------------------------------------------------------------


def test_search_by_first_last_or_login_in_any_case(client, team):
    client.force_login(team["hr"])
    assert shown(client, "/people/?q=olga") == [team["colleague"].pk]  # first name, lower case
    assert shown(client, "/people/?q=SMI") == [team["colleague"].pk]  # last name, upper case
    assert shown(client, "/people/?q=ivan.") == [team["dev"].pk]  # login
    assert shown(client, "/people/?q=иван") == [team["dev"].pk]  # Cyrillic, lower case
    assert shown(client, "/people/?q=ПЕТ") == [team["dev"].pk]  # Cyrillic, upper case
    # Every word must match: "ivan" alone also finds Pavel Ivanov.
    assert set(shown(client, "/people/?q=ivan")) == {team["dev"].pk, team["stranger"].pk}
    assert shown(client, "/people/?q=pavel+ivan") == [team["stranger"].pk]
    assert shown(client, "/people/?q=nobody") == []
    assert "Nobody matches." in client.get("/people/?q=nobody").content.decode()


def test_search_stays_within_what_the_viewer_sees(client, team):
    client.force_login(team["lead"].user)
    assert shown(client, "/people/?q=pavel") == []
    assert shown(client, "/people/?q=olga") == [team["colleague"].pk]


def test_search_keeps_the_other_filters_and_the_pager_keeps_the_search(client, team):
    client.force_login(team["hr"])
    assert shown(client, "/people/?q=ivan&track=fullstack") == [team["stranger"].pk]
    for _ in range(51):
        hire(level_code="middle", team_lead=team["lead"])
    response = client.get("/people/?q=user")
    assert response.status_code == 200 and response.context["page"].paginator.count == 51
    assert "?q=user&amp;page=2" in response.content.decode()


def test_a_search_too_long_is_a_400_with_a_message(client, team):
    client.force_login(team["hr"])
    response = client.get("/people/?q=" + "a" * 101)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="error"' in body and "Search" in body and "<nav" in body  # in the site layout


# --- Team-lead filter -------------------------------------------------------------------------


def test_hr_filters_by_any_team_lead(client, team):
    client.force_login(team["hr"])
    # By a link's id, by login (in any case), by the start of a name.
    assert set(shown(client, f"/people/?lead={team['other_lead'].pk}")) == {team["stranger"].pk}
    assert set(shown(client, f"/people/?lead={team['lead'].pk}")) == {team["dev"].pk, team["colleague"].pk}
    assert set(shown(client, "/people/?lead=MAX")) == {team["stranger"].pk}
    assert set(shown(client, "/people/?lead=Lead")) == {team["dev"].pk, team["colleague"].pk}
    # The filter shows the lead found by their login, whatever was typed.
    assert 'value="lena"' in client.get(f"/people/?lead={team['lead'].pk}").content.decode()


def test_a_name_that_matches_several_leads_lists_them_and_filters_nothing(client, team):
    hire(level_code="middle", team_lead=hire(level_code="senior", user=UserFactory(
        username="lenka", first_name="Lenka", last_name="Novak", roles=["Developer", "Team lead"])))
    client.force_login(team["hr"])
    response = client.get("/people/?lead=len")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Several team leads match: Lena Lead, Lenka Novak" in body
    # The login typed in full picks that lead even though another name starts the same way.
    assert set(shown(client, "/people/?lead=lena")) == {team["dev"].pk, team["colleague"].pk}


def test_a_team_lead_chooses_only_among_leads_they_see(client, team):
    client.force_login(team["lead"].user)
    assert set(shown(client, f"/people/?lead={team['lead'].pk}")) == {team["dev"].pk, team["colleague"].pk}
    assert set(shown(client, "/people/?lead=lena")) == {team["dev"].pk, team["colleague"].pk}
    response = client.get("/people/?lead=max")
    assert response.status_code == 400 and "No team lead among the people you see matches" in response.content.decode()
    assert "Max Maier" not in response.content.decode()


@pytest.mark.parametrize("value", ["abc", "999999", "-1", "1.5", "99999999999999999999", "x" * 151])
def test_an_unknown_team_lead_is_a_400_with_a_message(client, team, value):
    client.force_login(team["hr"])
    response = client.get(f"/people/?lead={value}")
    assert response.status_code == 400
    assert "Team lead:" in response.content.decode()


def test_another_teams_lead_is_refused_to_a_team_lead_and_shows_nobody_of_theirs(client, team):
    client.force_login(team["lead"].user)
    response = client.get(f"/people/?lead={team['other_lead'].pk}")
    assert response.status_code == 400
    assert "Team lead:" in response.content.decode()
    body = response.content.decode()
    assert "Pavel" not in body and "Max Maier" not in body
    # The refused filter is not applied to anything wider: the lead's own people only.
    assert {row.employee.pk for row in response.context["rows"]} == {
        team["lead"].pk, team["dev"].pk, team["colleague"].pk}


# --- Eligible now ------------------------------------------------------------------------------


def test_eligible_now_needs_time_in_level_and_the_whole_checklist(client, team):
    client.force_login(team["hr"])
    # Nobody has confirmed their checklist yet.
    assert shown(client, "/people/?eligible=1") == []
    all_confirmed(team["dev"])
    assert shown(client, "/people/?eligible=1") == [team["dev"].pk]
    response = client.get("/people/?eligible=1")
    assert 'data-testid="eligible"' in response.content.decode()
    # Just promoted: too short in the level, whatever the checklist says.
    Employee.objects.filter(pk=team["dev"].pk).update(current_level_since=selectors.today())
    assert shown(client, "/people/?eligible=1") == []


def test_eligible_now_counts_from_the_end_of_probation(client, team):
    client.force_login(team["hr"])
    all_confirmed(team["dev"])
    today = selectors.today()
    Employee.objects.filter(pk=team["dev"].pk).update(
        current_level_since=D(2021, 3, 1), probation_end=today - datetime.timedelta(days=30))
    assert shown(client, "/people/?eligible=1") == []
    # Middle+ asks 6 months in Middle: on the first day that adds up, eligible.
    start = rules.latest_start_for(today, 6)
    Employee.objects.filter(pk=team["dev"].pk).update(current_level_since=start, probation_end=None)
    assert shown(client, "/people/?eligible=1") == [team["dev"].pk]
    Employee.objects.filter(pk=team["dev"].pk).update(current_level_since=start + datetime.timedelta(days=1))
    assert shown(client, "/people/?eligible=1") == []


def test_eligible_now_waits_for_the_cool_down_after_a_failed_defense(client, team, settings):
    client.force_login(team["hr"])
    all_confirmed(team["dev"])
    today = selectors.today()
    Employee.objects.filter(pk=team["dev"].pk).update(last_failed_defense_on=today - datetime.timedelta(days=20))
    assert shown(client, "/people/?eligible=1") == []
    Employee.objects.filter(pk=team["dev"].pk).update(
        last_failed_defense_on=rules.add_months(today, -settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS))
    assert shown(client, "/people/?eligible=1") == [team["dev"].pk]


def test_eligible_now_leaves_out_people_who_left(client, team):
    client.force_login(team["hr"])
    all_confirmed(team["dev"])
    Employee.objects.filter(pk=team["dev"].pk).update(left_on=selectors.today())
    assert shown(client, "/people/?eligible=1") == []


def test_eligible_now_agrees_with_each_rows_earliest_defense(client, team):
    client.force_login(team["hr"])
    for person in ("dev", "stranger", "colleague", "lead", "other_lead"):
        all_confirmed(team[person])
    rows = client.get("/people/").context["rows"]
    today = selectors.today()
    expected = {row.employee.pk for row in rows if row.earliest_defense and row.earliest_defense <= today}
    assert {row.employee.pk for row in rows if row.eligible} == expected
    assert set(shown(client, "/people/?eligible=1")) == expected
    assert team["dev"].pk in expected  # Middle since 2021
    # Who has not confirmed their checklist is not eligible, whatever the date says.
    Employee.objects.filter(pk=team["dev"].pk).update(checklist_done=0)
    assert team["dev"].pk not in shown(client, "/people/?eligible=1")


def test_eligible_now_first_then_by_name(client, team):
    client.force_login(team["hr"])
    all_confirmed(team["stranger"])
    order = shown(client, "/people/?order=eligible")
    assert order[0] == team["stranger"].pk
    assert set(order) == {team[k].pk for k in ("lead", "dev", "colleague", "other_lead", "stranger")}
    all_confirmed(team["dev"])
    # Ivanov (Pavel) before Петров (Иван) among the eligible, by last name.
    assert shown(client, "/people/?order=eligible")[:2] == [team["stranger"].pk, team["dev"].pk]


def test_eligible_within_a_team_leads_people(client, team):
    all_confirmed(team["dev"])
    all_confirmed(team["stranger"])
    client.force_login(team["lead"].user)
    assert shown(client, "/people/?eligible=1") == [team["dev"].pk]


@pytest.mark.parametrize("query", ["order=eligibility", "track=no%20such", "page=abc"])
def test_bad_values_never_fail(client, team, query):
    client.force_login(team["hr"])
    response = client.get(f"/people/?{query}")
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert 'class="error"' in response.content.decode()


def test_the_list_without_a_reviews_app_has_no_open_reviews(team, monkeypatch):
    from grades import extensions

    monkeypatch.setattr(extensions, "OPEN_REVIEW_QUERIES", [])
    all_confirmed(team["dev"])
    qs = selectors.people_list(team["hr"], eligible=True)
    assert [e.pk for e in qs] == [team["dev"].pk] and qs[0].has_open_review is False


# --- The rule behind the thresholds ------------------------------------------------------------


@pytest.mark.parametrize("months", [1, 3, 6, 12])
def test_latest_start_for_is_the_last_day_add_months_reaches_in_time(months):
    day = D(2023, 1, 1)
    while day < D(2025, 1, 1):
        latest = rules.latest_start_for(day, months)
        assert rules.add_months(latest, months) <= day
        assert rules.add_months(latest + datetime.timedelta(days=1), months) > day
        day += datetime.timedelta(days=1)


# --- Pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", sorted(selectors.PEOPLE_ORDERINGS))
def test_every_page_shows_its_part_of_the_list_whichever_end_it_is_read_from(client, team, order):
    """Pages past the middle are read from the list's end (NearerEndPaginator): every page
    shows the rows the whole list has at its place, names and figures tied or not."""
    for n in range(120):
        # Ties on every column the orders read before their last, unique one.
        hire(level_code="middle" if n % 3 else "junior", track_slug="backend", hire_date=D(2022, 1, 1),
             user=UserFactory(username=f"twin{n:03}", first_name="Anna", last_name="Tie" if n % 2 else "Same"))
    client.force_login(team["hr"])
    whole = list(selectors.people_list(team["hr"], order=order).values_list("pk", flat=True))
    assert len(whole) == 125
    pages = []
    for number in (1, 2, 3):
        response = client.get(f"/people/?order={order}&page={number}")
        assert response.status_code == 200 and response.context["page"].number == number
        pages.append([row.employee.pk for row in response.context["rows"]])
    assert pages == [whole[:50], whole[50:100], whole[100:]]
    # A page past the end is the last one, as with Django's paginator.
    assert shown(client, f"/people/?order={order}&page=9") == whole[100:]


def test_the_nearer_end_paginator_keeps_djangos_pages_and_orphans():
    for n in range(23):
        UserFactory(username=f"page{n:02}")
    users = get_user_model().objects.filter(username__startswith="page").order_by("username")
    names = [u.username for u in users]
    for per_page, orphans in ((5, 0), (5, 3), (4, 2), (23, 0), (30, 0)):
        ours = NearerEndPaginator(users, per_page, orphans=orphans)
        djangos = Paginator(names, per_page, orphans=orphans)
        assert ours.num_pages == djangos.num_pages
        for number in djangos.page_range:
            page, expected = ours.page(number), djangos.page(number)
            assert [u.username for u in page.object_list] == list(expected.object_list)
            assert (page.has_next(), page.start_index(), page.end_index()) == (
                expected.has_next(), expected.start_index(), expected.end_index())
