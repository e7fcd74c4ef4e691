"""Delivery facts (criterion 2, rising productivity): the rules, the service, the person's page."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from grades import rules, selectors, services
from grades.models import DeliveryFact
from grades.tests.factories import UserFactory, hire

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    """A team lead with one report, another lead with theirs, HR, a manager."""
    lead = hire(level_code="senior", roles=["Developer", "Team lead"], hire_date=D(2018, 1, 1))
    dev = hire(level_code="middle", team_lead=lead, hire_date=D(2021, 3, 1))
    other_lead = hire(level_code="senior", roles=["Developer", "Team lead"], track_slug="fullstack")
    stranger = hire(level_code="middle", team_lead=other_lead, track_slug="fullstack")
    hr = UserFactory(roles=["HR"], is_staff=True)
    manager = UserFactory(roles=["Manager"])
    return dict(lead=lead, dev=dev, other_lead=other_lead, stranger=stranger, hr=hr, manager=manager)


def sprint(start: D, committed="20", done="18", **extra) -> dict:
    return {
        "period_start": start, "period_end": start + datetime.timedelta(days=13),
        "committed": Decimal(committed), "done": Decimal(done), **extra,
    }


def facts_state():
    return (
        list(DeliveryFact.objects.order_by("id").values()),
        list(DeliveryFact.history.order_by("history_id").values()),
    )


# --- The trend rule ----------------------------------------------------------------------------


@pytest.mark.parametrize("values, trend", [
    ([], None),
    ([80], None),
    ([70, 80], "rising"),
    ([60, 70, 75, 90], "rising"),
    ([90, 80, 70], "falling"),
    ([90, 91, 89, 90], "steady"),
    ([100, 100, 100], "steady"),
    ([0, 0, 0], "steady"),
    ([0, 5], "rising"),
    # A bump in the middle does not make a trend: first and last are the same level.
    ([80, 95, 80], "steady"),
    # Within 5% of the level over the whole span is steady, beyond it is not.
    ([100, 104], "steady"),
    ([100, 106], "rising"),
    ([Decimal("12.5"), Decimal("10")], "falling"),
])
def test_delivery_trend(values, trend):
    assert rules.delivery_trend(values) == trend


def test_consistently_good_needs_every_period_at_the_floor():
    assert rules.consistently_at_least([80, 95, 100], 80)
    assert not rules.consistently_at_least([80, 79.9, 100], 80)
    assert not rules.consistently_at_least([], 80)


def test_chart_points_run_left_to_right_and_high_values_up():
    points = rules.chart_points([0, 50, 100], width=120, height=60, pad=10)
    assert [p.x for p in points] == [10, 60, 110]
    assert [p.y for p in points] == [50, 30, 10]
    # One value: a point at the top, in the middle; a flat level: a line along the top.
    assert [(p.x, p.y) for p in rules.chart_points([7], width=120, height=60, pad=10)] == [(60, 10)]
    assert {p.y for p in rules.chart_points([5, 5], width=120, height=60, pad=10)} == {10}
    # All zero: the middle line.
    assert {p.y for p in rules.chart_points([0, 0], width=120, height=60, pad=10)} == {30}
    assert rules.chart_points([]) == []


# --- Recording ---------------------------------------------------------------------------------


def test_the_team_lead_records_a_sprint_with_its_history_row(team):
    lead_user = team["lead"].user
    fact = services.delivery_fact_record(
        employee=team["dev"], by=lead_user, **sprint(D(2024, 1, 1), unit="story points", link="https://jira.example.com/b/1")
    )
    assert (fact.measure, fact.committed, fact.done, fact.unit, fact.recorded_by) == (
        "", Decimal("20"), Decimal("18"), "story points", lead_user,
    )
    assert fact.figure == 90
    record = fact.history.get()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+", lead_user, "delivery fact recorded",
    )


def test_hr_records_another_measure_and_done_may_exceed_committed(team):
    velocity = services.delivery_fact_record(
        employee=team["dev"], by=team["hr"], period_start=D(2024, 1, 1), period_end=D(2024, 3, 31),
        measure="  Releases   shipped ", value=Decimal("7"), unit="releases",
    )
    assert (velocity.measure, velocity.value, velocity.committed) == ("Releases shipped", Decimal("7"), None)
    # Work pulled into a running sprint: done above committed is recorded as it is.
    extra = services.delivery_fact_record(employee=team["dev"], by=team["hr"], **sprint(D(2024, 1, 1), done="24"))
    assert extra.figure == 120


def test_the_default_measure_may_be_named_in_words(team):
    fact = services.delivery_fact_record(
        employee=team["dev"], by=team["hr"], measure="Sprint completion", **sprint(D(2024, 1, 1))
    )
    assert fact.measure == "" and fact.is_sprint_completion


@pytest.mark.parametrize("values, message", [
    (sprint(D(2024, 1, 1), committed="-1"), "committed cannot be negative"),
    (sprint(D(2024, 1, 1), done="-3"), "done cannot be negative"),
    (sprint(D(2024, 1, 1), committed="0", done="0"), "nothing committed"),
    ({"period_start": D(2024, 2, 1), "period_end": D(2024, 1, 31), "committed": Decimal(5), "done": Decimal(5)},
     "before it starts"),
    ({"period_start": D(2024, 1, 1), "period_end": D(2025, 6, 1), "committed": Decimal(5), "done": Decimal(5)},
     "at most a year"),
    ({"period_start": D(2024, 1, 1), "period_end": D(2999, 1, 14), "committed": Decimal(5), "done": Decimal(5)},
     "after today"),
    ({"period_start": D(1800, 1, 1), "period_end": D(1800, 1, 14), "committed": Decimal(5), "done": Decimal(5)},
     "Enter a date between"),
    ({"period_start": None, "period_end": D(2024, 1, 14), "committed": Decimal(5), "done": Decimal(5)},
     "period_start: enter a date"),
    ({"period_start": D(2024, 1, 1), "period_end": D(2024, 1, 14), "committed": Decimal(5)},
     "needs both the committed and the done"),
    ({"period_start": D(2024, 1, 1), "period_end": D(2024, 1, 14), "measure": "Velocity"}, "needs a value"),
    ({"period_start": D(2024, 1, 1), "period_end": D(2024, 1, 14), "measure": "Velocity", "value": Decimal(-2)},
     "value cannot be negative"),
    ({"period_start": D(2024, 1, 1), "period_end": D(2024, 1, 14), "measure": "Velocity", "value": Decimal(2),
      "committed": Decimal(3), "done": Decimal(3)}, "are for sprint completion"),
    (sprint(D(2024, 1, 1), value=Decimal(3)), "not a value"),
    (sprint(D(2024, 1, 1), committed="1.125"), "at most two decimal places"),
    (sprint(D(2024, 1, 1), link="javascript:alert(1)"), "is not an http(s) link"),
    (sprint(D(2024, 1, 1), link="ftp://files.example.com/report"), "is not an http(s) link"),
    (sprint(D(2024, 1, 1), unit="u" * 31), "unit is longer"),
])
def test_invalid_facts_are_refused_and_nothing_is_written(team, values, message):
    before = facts_state()
    with pytest.raises(services.GradeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        services.delivery_fact_record(employee=team["dev"], by=team["lead"].user, **values)
    assert facts_state() == before


def test_periods_of_the_same_measure_must_not_overlap(team):
    lead = team["lead"].user
    services.delivery_fact_record(employee=team["dev"], by=lead, **sprint(D(2024, 1, 1)))  # 1–14 January
    before = facts_state()
    for start in (D(2024, 1, 14), D(2023, 12, 20), D(2024, 1, 5)):
        with pytest.raises(services.GradeError, match="overlaps the Sprint completion fact of 2024-01-01 – 2024-01-14"):
            services.delivery_fact_record(employee=team["dev"], by=lead, **sprint(start))
    # The name of a measure is compared without regard to case.
    services.delivery_fact_record(employee=team["dev"], by=lead, period_start=D(2024, 1, 1),
                                  period_end=D(2024, 1, 31), measure="Velocity", value=Decimal(30))
    before = facts_state()
    with pytest.raises(services.GradeError, match="overlaps the Velocity fact"):
        services.delivery_fact_record(employee=team["dev"], by=lead, period_start=D(2024, 1, 31),
                                      period_end=D(2024, 2, 27), measure="VELOCITY", value=Decimal(30))
    assert facts_state() == before
    # The next sprint, another person's sprint: no overlap.
    services.delivery_fact_record(employee=team["dev"], by=lead, **sprint(D(2024, 1, 15)))
    services.delivery_fact_record(employee=team["stranger"], by=team["hr"], **sprint(D(2024, 1, 1)))
    assert DeliveryFact.objects.count() == 4


@pytest.mark.parametrize("who", ["dev", "other_lead", "manager", "stranger"])
def test_only_the_team_lead_or_hr_records_and_nothing_changes_otherwise(team, who):
    user = team[who] if who == "manager" else team[who].user
    before = facts_state()
    with pytest.raises(PermissionError):
        services.delivery_fact_record(employee=team["dev"], by=user, **sprint(D(2024, 1, 1)))
    assert facts_state() == before


def test_hr_does_not_record_their_own_facts(team):
    hr_employee = hire(level_code="middle", user=team["hr"])
    with pytest.raises(PermissionError):
        services.delivery_fact_record(employee=hr_employee, by=team["hr"], **sprint(D(2024, 1, 1)))
    assert not DeliveryFact.objects.exists()


def test_the_database_holds_the_shape_and_the_numbers_too(team):
    fact = DeliveryFact(employee=team["dev"], period_start=D(2024, 1, 2), period_end=D(2024, 1, 1),
                        committed=Decimal(1), done=Decimal(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        fact.save()
    fact = DeliveryFact(employee=team["dev"], period_start=D(2024, 1, 1), period_end=D(2024, 1, 1),
                        committed=Decimal(1), done=Decimal(-1))
    with pytest.raises(IntegrityError), transaction.atomic():
        fact.save()
    fact = DeliveryFact(employee=team["dev"], period_start=D(2024, 1, 1), period_end=D(2024, 1, 1),
                        measure="Velocity", committed=Decimal(1), done=Decimal(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        fact.save()


# --- Correcting --------------------------------------------------------------------------------


def test_a_correction_is_an_edit_whose_history_keeps_the_earlier_values(team):
    lead = team["lead"].user
    fact = services.delivery_fact_record(employee=team["dev"], by=lead, **sprint(D(2024, 1, 1)))
    services.delivery_fact_correct(fact=fact, by=team["hr"], reason="the board counted a spike twice",
                                   **sprint(D(2024, 1, 1), done="16"))
    fact.refresh_from_db()
    assert fact.done == Decimal(16) and fact.recorded_by == lead
    first, second = fact.history.order_by("history_id")
    assert (first.done, first.history_user) == (Decimal(18), lead)
    assert (second.done, second.history_user, second.history_type) == (Decimal(16), team["hr"], "~")
    assert second.history_change_reason == "corrected: the board counted a spike twice"


def test_a_refused_correction_changes_nothing(team):
    lead = team["lead"].user
    fact = services.delivery_fact_record(employee=team["dev"], by=lead, **sprint(D(2024, 1, 1)))
    services.delivery_fact_record(employee=team["dev"], by=lead, **sprint(D(2024, 1, 15)))
    before = facts_state()
    cases = [
        (dict(reason="", **sprint(D(2024, 1, 1), done="10")), "Say why"),
        (dict(reason="typo", **sprint(D(2024, 1, 1))), "changes nothing"),
        (dict(reason="moved", **sprint(D(2024, 1, 10))), "overlaps"),
        (dict(reason="typo", **sprint(D(2024, 1, 1), done="-1")), "cannot be negative"),
    ]
    for values, message in cases:
        with pytest.raises(services.GradeError, match=message):
            services.delivery_fact_correct(fact=fact, by=lead, **values)
    with pytest.raises(PermissionError):
        services.delivery_fact_correct(fact=fact, by=team["dev"].user, reason="mine", **sprint(D(2024, 1, 1), done="20"))
    assert facts_state() == before


# --- The selector ------------------------------------------------------------------------------


def test_delivery_reads_the_periods_since_a_date_by_measure(team, django_assert_num_queries):
    lead = team["lead"].user
    for start, done in [(D(2023, 11, 1), "10"), (D(2024, 1, 1), "14"), (D(2024, 1, 15), "16"), (D(2024, 1, 29), "19")]:
        services.delivery_fact_record(employee=team["dev"], by=lead, **sprint(start, done=done))
    services.delivery_fact_record(employee=team["dev"], by=lead, period_start=D(2024, 1, 1),
                                  period_end=D(2024, 1, 31), measure="Incidents resolved", value=Decimal(4))
    with django_assert_num_queries(1):
        found = selectors.delivery(team["dev"], since=D(2024, 1, 1))
    assert [fact.period_start for fact in found.facts] == [D(2024, 1, 1), D(2024, 1, 1), D(2024, 1, 15), D(2024, 1, 29)]
    completion, incidents = found.series
    assert (completion.label, completion.figures, completion.trend, completion.unit) == (
        "Sprint completion", [70.0, 80.0, 95.0], "rising", "%",
    )
    assert not completion.good_level
    assert (incidents.label, incidents.figures, incidents.trend) == ("Incidents resolved", [4.0], None)
    assert len(completion.polyline.split()) == 3


# --- The person's delivery page ----------------------------------------------------------------


def page(dev) -> str:
    return f"/people/{dev.pk}/delivery/"


def form_data(start: D, committed="20", done="18", **extra) -> dict:
    end = start + datetime.timedelta(days=13)
    return {"period_start": start.isoformat(), "period_end": end.isoformat(), "measure": "",
            "committed": committed, "done": done, "value": "", "unit": "", "link": "", **extra}


@pytest.mark.parametrize("who", ["lead", "hr"])
def test_the_lead_and_hr_see_the_form_and_record_a_fact(client, team, who):
    user = team["hr"] if who == "hr" else team["lead"].user
    client.force_login(user)
    response = client.get(page(team["dev"]))
    assert response.status_code == 200
    assert 'id="record-delivery"' in response.content.decode()
    assert "No facts recorded yet." in response.content.decode()

    done = client.post(page(team["dev"]), form_data(D(2024, 1, 1), link="https://jira.example.com/board/7"))

    assert done.status_code == 302 and done["Location"] == page(team["dev"])
    fact = DeliveryFact.objects.get()
    assert (fact.employee, fact.recorded_by, fact.done, fact.link) == (
        team["dev"], user, Decimal(18), "https://jira.example.com/board/7",
    )
    assert fact.history.get().history_user == user
    body = client.get(page(team["dev"])).content.decode()
    assert "Fact recorded." in body and "18 of 20 done (90%)" in body and 'data-testid="delivery-chart"' in body


def test_the_developer_reads_their_own_facts_without_forms(client, team):
    services.delivery_fact_record(employee=team["dev"], by=team["lead"].user, **sprint(D(2024, 1, 1)))
    services.delivery_fact_record(employee=team["dev"], by=team["lead"].user, **sprint(D(2024, 1, 15), done="20"))
    client.force_login(team["dev"].user)
    response = client.get(page(team["dev"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<tr data-fact=") == 2 and 'data-trend="rising"' in body
    assert 'id="record-delivery"' not in body and "Save the correction" not in body
    assert response.context["can_record"] is False
    # The progress page leads here.
    assert page(team["dev"]) in client.get("/me/").content.decode()


def test_the_developer_cannot_record_their_own_facts(client, team):
    client.force_login(team["dev"].user)
    before = facts_state()
    response = client.post(page(team["dev"]), form_data(D(2024, 1, 1)))
    assert response.status_code == 403
    assert facts_state() == before


@pytest.mark.parametrize("who", ["other_lead", "stranger", "manager"])
def test_someone_who_may_not_see_the_person_gets_404_and_nothing_changes(client, team, who):
    client.force_login(team[who] if who == "manager" else team[who].user)
    services.delivery_fact_record(employee=team["dev"], by=team["lead"].user, **sprint(D(2024, 1, 1)))
    before = facts_state()
    assert client.get(page(team["dev"])).status_code == 404
    assert client.post(page(team["dev"]), form_data(D(2024, 2, 1))).status_code == 404
    # An id that was never used answers the same.
    assert client.get("/people/999999/delivery/").status_code == 404
    assert facts_state() == before


def test_anonymous_is_sent_to_sign_in(client, team):
    response = client.get(page(team["dev"]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("data, message", [
    (form_data(D(2024, 1, 1), committed="-5"), "committed cannot be negative"),
    (form_data(D(2024, 1, 1), period_end="2023-12-01"), "before it starts"),
    (form_data(D(2024, 1, 1), period_end="not a date"), "Enter a valid date."),
    (form_data(D(2024, 1, 1), link="javascript:alert(1)"), "is not an http(s) link"),
    (form_data(D(2024, 1, 5)), "overlaps the Sprint completion fact"),
])
def test_a_refused_fact_shows_the_form_again_with_the_reason(client, team, data, message):
    services.delivery_fact_record(employee=team["dev"], by=team["lead"].user, **sprint(D(2023, 12, 25)))
    client.force_login(team["lead"].user)
    before = facts_state()
    response = client.post(page(team["dev"]), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body.replace("&#x27;", "'").replace("&quot;", '"')
    assert 'id="record-delivery"' in body
    assert facts_state() == before


def test_the_lead_corrects_a_fact_with_a_reason_and_the_page_says_so(client, team):
    fact = services.delivery_fact_record(employee=team["dev"], by=team["lead"].user, **sprint(D(2024, 1, 1)))
    client.force_login(team["lead"].user)
    refused = client.post(page(team["dev"]), {**form_data(D(2024, 1, 1), done="15"), "fact": fact.pk, "reason": ""})
    assert refused.status_code == 400 and "Say why the fact is corrected" in refused.content.decode()
    assert DeliveryFact.objects.get().done == Decimal(18)

    done = client.post(page(team["dev"]), {**form_data(D(2024, 1, 1), done="15"), "fact": fact.pk,
                                           "reason": "two tickets were reopened"})

    assert done.status_code == 302
    fact.refresh_from_db()
    assert fact.done == Decimal(15)
    assert fact.history.latest().history_change_reason == "corrected: two tickets were reopened"
    assert "corrected" in client.get(page(team["dev"])).content.decode()


def test_a_correction_names_a_fact_of_this_person_only(client, team):
    theirs = services.delivery_fact_record(employee=team["stranger"], by=team["hr"], **sprint(D(2024, 1, 1)))
    client.force_login(team["lead"].user)
    before = facts_state()
    response = client.post(page(team["dev"]), {**form_data(D(2024, 1, 1)), "fact": theirs.pk, "reason": "x"})
    assert response.status_code == 400
    assert facts_state() == before


def test_the_trail_lists_the_facts(client, team):
    fact = services.delivery_fact_record(employee=team["dev"], by=team["lead"].user, **sprint(D(2024, 1, 1)))
    services.delivery_fact_correct(fact=fact, by=team["hr"], reason="recount", **sprint(D(2024, 1, 1), done="17"))
    client.force_login(team["hr"])
    body = client.get(f"/people/{team['dev'].pk}/trail/").content.decode()
    assert "Delivery: Sprint completion 2024-01-01 – 2024-01-14" in body
    assert "done: 18.00 → 17.00 (corrected: recount)" in body


@pytest.mark.parametrize("extra", [
    {"fact": "abc"}, {"fact": str(10**30)}, {"fact": "-1"},
    {"committed": "NaN"}, {"committed": "1e999999"}, {"done": "1e-9"}, {"measure": "x\x00y"},
    {"period_start": "9999-12-31"}, {"link": "https://exa mple.com"},
])
def test_hostile_input_is_refused_with_400_and_nothing_changes(client, team, extra):
    client.force_login(team["lead"].user)
    before = facts_state()
    response = client.post(page(team["dev"]), {**form_data(D(2024, 1, 1)), **extra})
    assert response.status_code == 400
    assert facts_state() == before
