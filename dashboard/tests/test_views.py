"""The dashboard page: each figure's table against a count made here from the rows, the
filters and bad filters, who sees what (k-anonymity for managers, pay), and Russian."""

from __future__ import annotations

import datetime
import statistics
from collections import Counter

import pytest
from django.conf import settings
from django.utils import timezone

from dashboard.tests.factories import months_ago, organisation
from grades.models import Employee, Evidence, GradeChange, Level, TrackRung
from grades.rules import add_months, earliest_defense_date, whole_months_between
from grades.selectors import level_since
from reviews.models import PromotionReview

pytestmark = pytest.mark.django_db

URL = "/dashboard/"


@pytest.fixture
def org():
    return organisation()


def page(client, user, query="", status=200, **extra):
    client.force_login(user)
    response = client.get(URL + (f"?{query}" if query else ""), **extra)
    assert response.status_code == status, response.content[:2000]
    return response


def figure(response, key):
    found = [f for f in response.context["figures"] if f.key == key]
    assert found, f"no figure {key}"
    return found[0]


def table(response, key) -> dict:
    """{first cell: the other cells} of a figure's table."""
    return {row[0]: row[1:] for row in figure(response, key).rows}


def active():
    return Employee.objects.filter(left_on__isnull=True, current_level__isnull=False)


def name(employee):
    return employee.user.get_full_name()


# --- Each figure against the data ----------------------------------------------------------------


def test_levels_per_track_and_per_lead_are_the_head_counts(client, org):
    response = page(client, org["hr"])
    for key, column, labels in (
        ("by-track", "track", {"Back-end developer": "backend", "Full-stack developer": "fullstack"}),
        ("by-lead", "team_lead", {name(org["big"]): org["big"].pk, name(org["small"]): org["small"].pk,
                                  "No team lead": None}),
    ):
        fig = figure(response, key)
        levels = fig.headers[1:-1]
        rows = table(response, key)
        assert set(rows) == set(labels)
        for label, value in labels.items():
            people = active().filter(**({f"{column}__slug": value} if column == "track" else {column: value}))
            for index, level_name in enumerate(levels):
                assert rows[label][index] == people.filter(current_level__name=level_name).count(), (key, label, level_name)
            assert rows[label][-1] == people.count()
    assert table(response, "by-lead")[name(org["small"])][-1] == 3


def test_promotions_per_quarter_are_the_ledger_promotions(client, org):
    response = page(client, org["hr"])
    rows = table(response, "promotions")
    assert rows, "a row per quarter of the period"
    for label, (count,) in rows.items():
        year, quarter = map(int, label.split("-Q"))
        months = range(3 * quarter - 2, 3 * quarter + 1)
        expected = GradeChange.objects.filter(
            kind="promotion", effective_date__year=year, effective_date__month__in=months
        ).count()
        assert count == expected, label
    assert sum(count for (count,) in rows.values()) == 2


def test_defense_outcomes_are_the_decided_reviews(client, org):
    response = page(client, org["hr"])
    rows = table(response, "outcomes")
    decided = Counter(PromotionReview.objects.values_list("to_level__name", "status"))
    assert set(rows) == {level for level, _status in decided}
    for level, (passed, failed, pass_rate, fail_rate) in rows.items():
        assert (passed, failed) == (decided[(level, "passed")], decided[(level, "failed")])
        assert pass_rate == f"{round(100 * passed / (passed + failed))}%"
        assert fail_rate == f"{round(100 * failed / (passed + failed))}%"
    assert rows["Middle+"][:2] == [3, 2]


def test_median_time_to_promotion_against_the_ladder_minimum(client, org):
    response = page(client, org["hr"])
    rows = table(response, "time-to-promotion")
    waits: dict = {}
    for promotion in GradeChange.objects.filter(kind="promotion").select_related("level"):
        # The level before began where grades.selectors.level_since puts it, from the earlier entries.
        began = level_since(GradeChange.objects.filter(employee=promotion.employee, id__lt=promotion.id)
                            .order_by("effective_date", "id"))
        waits.setdefault(promotion.level, []).append((promotion.effective_date - began).days * 12 / 365.25)
    assert set(rows) == {level.name for level in waits}
    for level, values in waits.items():
        count, median, minimum = rows[level.name]
        assert count == len(values)
        assert median == round(statistics.median(values), 1)
        assert minimum == level.min_months_in_previous
    # Junior++ was reached after 13 months in Junior+, Middle+ after 18 in Middle.
    assert rows["Junior++"][1] == pytest.approx(13, abs=0.2)
    assert rows["Middle+"][1] == pytest.approx(18, abs=0.2)


@pytest.mark.parametrize("cooldown", [3, 9])
def test_eligibility_pipeline_follows_the_time_rules(client, org, settings, cooldown):
    # The cool-down after a failed defense is the people list's setting, here too.
    settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS = cooldown
    response = page(client, org["hr"])
    rows = table(response, "pipeline")
    assert f"{cooldown} months after a failed defense" in " ".join(figure(response, "pipeline").notes)
    today = timezone.localdate()
    expected = Counter()
    for person in active().select_related("current_level"):
        rung = TrackRung.objects.filter(track_id=person.track_id, rank=person.current_level.rank + 1).first()
        if rung is None:
            continue
        earliest = earliest_defense_date(
            last_change=person.current_level_since, probation_end=person.probation_end,
            min_months=rung.level.min_months_in_previous, last_failed_defense=person.last_failed_defense_on,
            cooldown_months=cooldown,
        )
        expected["now" if earliest <= today else "soon" if earliest <= add_months(today, 3) else "later"] += 1
    assert rows == {"Eligible now": [expected["now"]], "Within 3 months": [expected["soon"]], "Later": [expected["later"]]}
    if cooldown == 3:
        # The two leads, b4, s1 and s2 now; b1 (cool-down), b2 and b6 (probation) soon.
        assert [rows["Eligible now"][0], rows["Within 3 months"][0], rows["Later"][0]] == [5, 3, 3]
    else:
        # b1's failed defense now keeps them out for longer than three months.
        assert [rows["Eligible now"][0], rows["Within 3 months"][0], rows["Later"][0]] == [5, 2, 4]


def test_time_in_level_spread(client, org):
    response = page(client, org["hr"])
    rows = table(response, "in-level")
    today = timezone.localdate()
    spread = Counter()
    for since in active().values_list("current_level_since", flat=True):
        months = whole_months_between(since, today)
        spread["Under 6 months" if months < 6 else "6 to 12 months" if months < 12
               else "1 to 2 years" if months < 24 else "2 years or more"] += 1
    assert {label: count for label, (count,) in rows.items()} == {
        label: spread[label] for label in ("Under 6 months", "6 to 12 months", "1 to 2 years", "2 years or more")}
    assert sum(spread.values()) == active().count()


def test_claims_waiting_longer_than_n_days_by_lead(client, org):
    def expected(days):
        cut = timezone.now() - datetime.timedelta(days=days)
        old = Evidence.objects.filter(status="claimed", claimed_at__lt=cut)
        return {
            name(org["big"]): old.filter(employee__team_lead=org["big"]).count(),
            name(org["small"]): old.filter(employee__team_lead=org["small"]).count(),
        }

    rows = table(page(client, org["hr"]), "waiting")
    assert {label: cells[0] for label, cells in rows.items()} == expected(14) == {name(org["big"]): 3, name(org["small"]): 1}
    assert rows[name(org["big"])][1] == 2  # people with a claim waiting
    rows = table(page(client, org["hr"], "days=1"), "waiting")
    assert {label: cells[0] for label, cells in rows.items()} == expected(1) == {name(org["big"]): 4, name(org["small"]): 1}
    rows = table(page(client, org["hr"], "days=35"), "waiting")
    assert {label: cells[0] for label, cells in rows.items()} == {name(org["small"]): 1}


def test_every_chart_is_an_accessible_svg_with_a_table_and_its_report(client, org):
    response = page(client, org["hr"])
    html = response.content.decode()
    assert 'style="' not in html and "<script" not in html
    for fig in response.context["figures"]:
        assert f'data-chart="{fig.chart.key}"' in html
        assert f'<title id="{fig.chart.key}-title">' in html and f'<desc id="{fig.chart.key}-desc">' in html
        assert f'data-figure="{fig.key}"' in html
        assert fig.report and f"/exports/{fig.report}.csv" in html
    assert 'viewBox="0 0 420 ' in html
    assert "/static/css/dashboard.css" in html


# --- Pay ------------------------------------------------------------------------------------------


def test_pay_bands_for_hr_with_the_people_at_each_level(client, org):
    rows = table(page(client, org["hr"]), "pay-eur")
    middle = Level.objects.get(ladder__slug="standard", code="middle")
    assert rows["Back-end developer · Middle"] == [
        "3,000", "4,500", active().filter(track__slug="backend", current_level=middle).count()]
    assert "/exports/salary-bands.csv" in page(client, org["hr"]).content.decode()


@pytest.mark.parametrize("who", ["manager", "big"])
def test_pay_hidden_from_those_who_may_not_see_it(client, org, who):
    user = org[who] if who == "manager" else org[who].user
    response = page(client, user)
    assert not [f for f in response.context["figures"] if f.key.startswith("pay-")]
    html = response.content.decode()
    assert "4,500" not in html and "salary-bands" not in html


def test_pay_shown_to_a_manager_when_bands_are_published(client, org, settings):
    settings.PAY_BANDS_VISIBLE_TO = "everyone"
    rows = table(page(client, org["manager"]), "pay-eur")
    # The bands show; the people at each level (three back-end, one full-stack Middle) are
    # too few to count aloud to a manager.
    assert rows["Back-end developer · Middle"] == ["3,000", "4,500", "—"]
    assert rows["Full-stack developer · Middle"] == ["3,000", "4,500", "—"]
    assert table(page(client, org["hr"]), "pay-eur")["Back-end developer · Middle"][2] == 3


# --- Filters --------------------------------------------------------------------------------------


def test_track_filter_narrows_every_figure_and_the_report_links(client, org):
    response = page(client, org["hr"], "track=fullstack")
    rows = table(response, "by-track")
    assert list(rows) == ["Full-stack developer"]
    assert rows["Full-stack developer"][-1] == active().filter(track__slug="fullstack").count()
    lead_total = sum(cells[-1] for cells in table(response, "by-lead").values())
    assert lead_total == active().filter(track__slug="fullstack").count()
    html = response.content.decode()
    assert "/exports/roster.csv?track=fullstack" in html
    start, end = response.context["period"]
    assert f"/exports/grade-history.csv?track=fullstack&amp;date_from={start:%Y-%m-%d}&amp;date_to={end:%Y-%m-%d}" in html
    assert (f'/exports/reviews.csv?track=fullstack&amp;date_from={start:%Y-%m-%d}&amp;date_to={end:%Y-%m-%d}'
            '&amp;dates=decided"') in html


def test_lead_filter_shows_one_team(client, org):
    response = page(client, org["hr"], f"lead={org['small'].pk}")
    assert table(response, "by-lead") == {name(org["small"]): [1, 2, 3]}
    html = response.content.decode()
    assert "not narrowed" not in html
    # Every report link carries the team lead, except the salary bands' (no one's rows).
    assert f"/exports/roster.csv?lead={org['small'].pk}" in html
    assert f"/exports/skill-matrix.csv?lead={org['small'].pk}" in html
    start, end = response.context["period"]
    assert (f"/exports/reviews.csv?lead={org['small'].pk}&amp;date_from={start:%Y-%m-%d}"
            f"&amp;date_to={end:%Y-%m-%d}&amp;dates=decided") in html
    assert table(response, "waiting") == {name(org["small"]): [1, 1]}


def test_quarter_and_dates_set_the_period(client, org):
    today = timezone.localdate()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    response = page(client, org["hr"], f"quarter={year}-Q{quarter}")
    start = datetime.date(year, 3 * quarter - 2, 1)
    assert response.context["period"] == (start, add_months(start, 3) - datetime.timedelta(days=1))
    assert list(table(response, "promotions")) == [f"{year}-Q{quarter}"]

    # Only b5's promotion (two months ago) falls in a period that ends before b3's.
    end = months_ago(1) - datetime.timedelta(days=1)
    response = page(client, org["hr"], f"date_from={months_ago(3):%Y-%m-%d}&date_to={end:%Y-%m-%d}")
    assert response.context["period"] == (months_ago(3), end)
    assert sum(cells[0] for cells in table(response, "promotions").values()) == 1
    assert list(table(response, "time-to-promotion")) == ["Middle+"]


@pytest.mark.parametrize("query", [
    "track=nope",
    "lead=999999",
    "lead=abc",
    "quarter=2001-Q1",
    "date_from=2026-13-01",
    "date_from=2026-05-01&date_to=2026-04-01",
    "quarter={q}&date_from=2026-01-01",
    "days=0",
    "days=many",
    "date_from=0001-01-01",
    "date_from=1990-01-01",
    "date_from=2999-01-01",
])
def test_bad_filters_show_the_form_again_with_a_message(client, org, query):
    today = timezone.localdate()
    query = query.format(q=f"{today.year}-Q1")
    before = (GradeChange.objects.count(), PromotionReview.objects.count(), Evidence.objects.count())
    response = page(client, org["hr"], query, status=400)
    html = response.content.decode()
    assert 'class="topbar"' in html and 'name="track"' in html  # the site layout and the form
    assert 'data-testid="filter-error"' in html and 'class="error" role="alert"' in html
    assert response.context["figures"] is None
    assert (GradeChange.objects.count(), PromotionReview.objects.count(), Evidence.objects.count()) == before


def test_both_a_quarter_and_dates_are_refused_with_a_sentence(client, org):
    today = timezone.localdate()
    response = page(client, org["hr"], f"quarter={today.year}-Q1&date_to=2026-01-01", status=400)
    assert "Choose either a quarter or dates, not both." in response.content.decode()


# --- Who sees what --------------------------------------------------------------------------------


@pytest.mark.parametrize("roles", [["Developer"], ["Committee"], []])
def test_others_are_refused_in_the_site_layout(client, org, roles):
    from grades.tests.factories import UserFactory

    user = org["developer"] if roles == ["Developer"] else UserFactory(roles=roles or ["Developer"])
    user.groups.set([g for g in user.groups.all() if g.name in roles])
    response = page(client, user, status=403)
    html = response.content.decode()
    assert 'class="topbar"' in html and "Only HR, managers and team leads see the dashboard." in html
    assert "data-chart" not in html


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_menu_offers_the_dashboard_to_those_who_may_open_it(client, org):
    for user, shown in ((org["hr"], True), (org["manager"], True), (org["big"].user, True), (org["developer"], False)):
        client.force_login(user)
        html = client.get("/tracks/").content.decode()
        assert ('data-nav="dashboard"' in html) is shown


def test_a_team_lead_sees_only_their_own_people(client, org):
    response = page(client, org["big"].user)
    own = active().filter(team_lead=org["big"])
    assert table(response, "by-lead") == {name(org["big"]): [
        own.filter(current_level__name=level).count() for level in figure(response, "by-lead").headers[1:-1]
    ] + [own.count()]}
    assert sum(cells[-1] for cells in table(response, "by-track").values()) == own.count() == 6
    assert sum(c for (c,) in table(response, "pipeline").values()) == own.count()
    assert table(response, "waiting") == {name(org["big"]): [3, 2]}
    assert table(response, "outcomes")["Middle+"][:2] == [1, 2]  # b2 passed; b1 and b5 failed
    html = response.content.decode()
    assert name(org["small"]) not in html and 'name="lead"' not in html
    # A lead filter of someone else's team is no way round it.
    again = page(client, org["big"].user, f"lead={org['small'].pk}")
    assert table(again, "by-lead") == table(response, "by-lead")
    # Team leads do not download reports: no links.
    assert "/exports/" not in html


def test_a_small_team_is_shown_to_hr_but_not_to_a_manager(client, org):
    small = name(org["small"])
    hr = page(client, org["hr"])
    assert table(hr, "by-lead")[small][-1] == 3
    assert table(hr, "waiting")[small] == [1, 1]
    assert 'data-testid="anonymity-note"' not in hr.content.decode()

    manager = page(client, org["manager"])
    html = manager.content.decode()
    assert small not in html  # not in a chart, a table or the team-lead filter
    rows = table(manager, "by-lead")
    assert list(rows) == [name(org["big"]), "Other team leads"]
    # The three of the small team and the two leads without a lead: five, shown together.
    assert rows["Other team leads"][-1] == 5
    assert rows[name(org["big"])][-1] == 6
    # Claims: the small team's one claim alone would be a group of three: hidden, not shown.
    assert table(manager, "waiting") == {name(org["big"]): [3, 2], "Other team leads": ["—", "—"]}
    assert 'data-testid="anonymity-note"' in html and "HR sees every group." in html
    # Decided defenses: five Middle+ shown, the one Senior+ hidden; the two promotions of the quarter hidden.
    assert table(manager, "outcomes") == {"Middle+": [3, 2, "60%", "40%"], "Other levels": ["—"] * 4}
    assert "—" in [cells[0] for cells in table(manager, "promotions").values()]
    # A manager may not narrow the page to the small team either.
    response = page(client, org["manager"], f"lead={org['small'].pk}", status=400)
    assert response.context["figures"] is None


def test_a_manager_sees_a_big_enough_track_on_its_own(client, org):
    rows = table(page(client, org["manager"]), "by-track")
    # Seven back-end people: shown; four full-stack: merged into a hidden "Other".
    assert rows["Back-end developer"][-1] == 7
    assert rows["Other tracks"][-1] == "—"


# --- Russian --------------------------------------------------------------------------------------


def test_russian_page_with_russian_level_and_track_names(client, org):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = page(client, org["hr"])
    html = response.content.decode()
    assert '<html lang="ru">' in html
    assert "Уровни по трекам" in html and "Воронка готовности" in html
    assert "Мидл" in html and "Мидл+" in html
    assert "Все треки" in html
    from grades.models import Track as TrackModel

    backend = TrackModel.objects.get(slug="backend")
    assert backend.name_ru and f'<option value="backend">{backend.name_ru}</option>' in html
    assert "Levels per track" not in html
    track = figure(response, "by-track").rows[0][0]
    from grades.models import Track

    assert track in set(Track.objects.values_list("name_ru", flat=True))


def test_only_the_largest_teams_get_a_row_of_their_own(client, org, monkeypatch):
    from dashboard import figures as dashboard_figures

    monkeypatch.setattr(dashboard_figures, "MAX_GROUPS", 1)
    response = page(client, org["hr"])
    rows = table(response, "by-lead")
    assert {label: cells[-1] for label, cells in rows.items()} == {name(org["big"]): 6, "Other team leads": 5}
    assert any("1 largest groups are shown on their own; 2 more are counted" in note
               for note in figure(response, "by-lead").notes)


# --- The team-lead filter typed ---------------------------------------------------------------------


def test_hr_narrows_to_a_lead_by_login_or_name_as_by_a_links_id(client, org):
    big = org["big"]
    by_id = table(page(client, org["hr"], f"lead={big.pk}"), "by-lead")
    login = page(client, org["hr"], f"lead={big.user.username.upper()}")
    assert table(login, "by-lead") == by_id == {name(big): by_id[name(big)]}
    # The filter shows the lead found by their login.
    assert f'value="{big.user.username}"' in login.content.decode()
    assert table(page(client, org["hr"], f"lead={big.user.last_name[:3]}"), "by-lead") == by_id


def test_a_name_of_several_leads_or_of_none_is_a_400_that_says_so(client, org):
    from grades.tests.factories import UserFactory, hire

    big = org["big"]
    namesake = hire(level_code="senior", user=UserFactory(first_name="Zed", last_name=big.user.last_name,
                                                          roles=["Developer", "Team lead"]))
    hire(level_code="middle", team_lead=namesake)
    response = page(client, org["hr"], f"lead={big.user.last_name}", status=400)
    assert "Several team leads match" in response.content.decode() and response.context["figures"] is None
    response = page(client, org["hr"], "lead=nobody-at-all", status=400)
    assert "No team lead you may narrow the figures to matches" in response.content.decode()


def test_a_manager_may_not_type_the_lead_of_a_small_team(client, org):
    small = org["small"]
    response = page(client, org["manager"], f"lead={small.user.username}", status=400)
    assert response.context["figures"] is None and name(small) not in response.content.decode()


def test_head_counts_narrowed_in_python_are_those_the_database_counts(org):
    """The page narrows one count of everyone to the filters; the database, asked, agrees."""
    from dashboard import selectors

    today = timezone.localdate()
    everyone = selectors.headcounts(selectors.Filters(date_from=today, date_to=today))
    leads = [None, org["big"].pk, org["small"].pk]
    tracks = [None, *Employee.objects.values_list("track_id", flat=True).distinct()]
    for lead_id in leads:
        for track_id in tracks:
            f = selectors.Filters(date_from=today, date_to=today, track_id=track_id, lead_id=lead_id)
            assert Counter(selectors.narrowed(everyone, f)) == Counter(selectors.headcounts(f)), (lead_id, track_id)
    assert any(selectors.narrowed(everyone, selectors.Filters(date_from=today, date_to=today, lead_id=org["small"].pk)))
