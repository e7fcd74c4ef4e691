"""The pay policy: one row of weights and rounding, refused when out of order, changed in the
admin with its history, and what the calculator computes with; main grades from the Level table."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from grades.models import Level
from grades.tests.factories import UserFactory
from pay import rules, services
from pay.checks import check_retired_settings
from pay.models import PayPolicy
from pay.tests.factories import track

pytestmark = pytest.mark.django_db

D = Decimal
CHANGE = "/admin/pay/paypolicy/1/change/"
CALCULATOR = "/admin/pay/salaryband/calculator/"
DEFAULTS = {"main_step": D(2), "inner_junior": D(1), "inner_middle": D("1.25"), "inner_senior": D("1.5"),
            "round_to": 10}


@pytest.fixture
def hr():
    return UserFactory(username="hr", roles=["HR"], is_staff=True)


@pytest.fixture
def hr_client(client, hr):
    client.force_login(hr)
    return client


def stored():
    """The row and its history, to compare before and after a refusal."""
    return (
        list(PayPolicy.objects.values()),
        list(PayPolicy.history.order_by("history_id").values_list("history_id", "main_step", "round_to")),
    )


def policy_form(**overrides):
    data = {"main_step": "2", "inner_junior": "1", "inner_middle": "1.25", "inner_senior": "1.5", "round_to": "10"}
    data.update(overrides)
    return data


def fill(**kwargs):
    """The weighted bands of 1,500 to 8,500 the calculator would write for backend, written nothing."""
    plan = services.salary_bands_fill(
        minimum="1500", maximum="8500", mode="weighted", track=track("backend"), currency="EUR",
        valid_from=datetime.date(2025, 1, 1), dry_run=True, **kwargs,
    )
    return [band.minimum for band in plan.bands]


# --- The row -----------------------------------------------------------------------------------------


def test_the_migration_stored_the_defaults_with_a_first_history_record():
    policy = PayPolicy.current()
    assert policy.pk == 1
    assert {name: getattr(policy, name) for name in DEFAULTS} == DEFAULTS
    assert policy.weights == rules.DEFAULT_WEIGHTS
    assert list(PayPolicy.history.values_list("history_type", "history_user")) == [("+", None)]


def test_without_the_row_the_documented_defaults_apply():
    PayPolicy.objects.all().delete()
    policy = PayPolicy.current()
    assert policy._state.adding and policy.weights == rules.DEFAULT_WEIGHTS and policy.round_to == 10


@pytest.mark.parametrize("values, field, message", [
    ({"main_step": D("1.5")}, "main_step", "The step into a new main grade must weigh more than an inner Senior step."),
    ({"main_step": D("1")}, "main_step", "The step into a new main grade must weigh more than an inner Senior step."),
    ({"inner_senior": D("1.25")}, "inner_senior", "An inner Senior step must weigh more than an inner Middle step."),
    ({"inner_middle": D("0.5")}, "inner_middle", "An inner Middle step must weigh more than an inner Junior step."),
    ({"inner_junior": D("0")}, "inner_junior", "An inner Junior step must weigh more than zero."),
    ({"inner_junior": D("-1")}, "inner_junior", "An inner Junior step must weigh more than zero."),
    ({"round_to": 0}, "round_to", "greater than or equal to 1"),
])
def test_weights_out_of_order_are_refused_by_the_model_and_by_the_database(values, field, message):
    policy = PayPolicy.current()
    for name, value in values.items():
        setattr(policy, name, value)
    with pytest.raises(ValidationError) as caught:
        policy.full_clean()
    assert any(message in text for text in caught.value.message_dict[field])
    # Past the model's checks (a bulk update), the database's constraints refuse it too.
    before = stored()
    with pytest.raises(IntegrityError), transaction.atomic():
        PayPolicy.objects.filter(pk=1).update(**values)
    assert stored() == before


def test_there_is_only_one_row():
    with pytest.raises(IntegrityError), transaction.atomic():
        PayPolicy.objects.create(pk=2, **DEFAULTS)
    assert PayPolicy.objects.count() == 1


def test_sound_weights_pass():
    policy = PayPolicy.current()
    policy.main_step, policy.inner_senior, policy.inner_middle, policy.inner_junior = D(3), D("2.5"), D(2), D("0.125")
    policy.full_clean()


# --- The admin -----------------------------------------------------------------------------------------


def test_hr_changes_the_policy_and_the_history_names_them(hr_client, hr):
    assert hr_client.get(CHANGE).status_code == 200
    response = hr_client.post(CHANGE, policy_form(main_step="3", inner_senior="2", round_to="100"))
    assert response.status_code == 302
    policy = PayPolicy.current()
    assert (policy.main_step, policy.inner_senior, policy.round_to) == (D(3), D(2), 100)
    latest = PayPolicy.history.latest()
    assert (latest.history_type, latest.history_user, latest.main_step) == ("~", hr, D(3))
    assert latest.prev_record.main_step == D(2)
    assert "History" in hr_client.get(CHANGE).content.decode()
    assert hr_client.get(f"{CHANGE[:-len('change/')]}history/").status_code == 200


@pytest.mark.parametrize("overrides, message", [
    ({"main_step": "1.5"}, "The step into a new main grade must weigh more than an inner Senior step."),
    ({"inner_senior": "1", "inner_middle": "1.25"}, "An inner Senior step must weigh more than an inner Middle step."),
    ({"inner_junior": "0"}, "An inner Junior step must weigh more than zero."),
    ({"round_to": "0"}, "Ensure this value is greater than or equal to 1."),
    ({"main_step": "lots"}, "Enter a number."),
    ({"main_step": "1000"}, "Ensure that there are no more than 3 digits before the decimal point."),
])
def test_bad_weights_in_the_admin_are_shown_and_nothing_changes(hr_client, overrides, message):
    before = stored()
    response = hr_client.post(CHANGE, policy_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert stored() == before


def test_the_row_cannot_be_added_or_deleted(hr_client, client):
    assert hr_client.get("/admin/pay/paypolicy/add/").status_code == 403
    assert hr_client.get("/admin/pay/paypolicy/1/delete/").status_code == 403
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.post("/admin/pay/paypolicy/1/delete/", {"post": "yes"}).status_code == 403
    assert client.post("/admin/pay/paypolicy/add/", policy_form()).status_code == 403
    assert PayPolicy.objects.count() == 1


@pytest.mark.parametrize("roles", [["Manager"], ["Developer"], ["Team lead"], ["Committee"]])
def test_other_staff_roles_may_not_change_it(client, roles):
    client.force_login(UserFactory(roles=roles, is_staff=True))
    before = stored()
    assert client.get(CHANGE).status_code == 403
    assert client.post(CHANGE, policy_form(main_step="5")).status_code == 403
    assert stored() == before


def test_the_calculator_shows_the_policy_and_links_to_it(hr_client):
    PayPolicy.objects.filter(pk=1).update(main_step=D("2.5"), inner_middle=D("1.125"), round_to=100)
    body = hr_client.get(CALCULATOR).content.decode()
    assert "a step into Middle or Senior weighs 2.5; a step inside Junior 1, inside Middle 1.125" in body
    assert "Band edges are rounded to 100." in body
    assert f'href="{CHANGE}"' in body


# --- What the calculator computes with ---------------------------------------------------------------------


def test_the_bands_follow_the_policy_row():
    # The defaults: 7,000 / 13 per unit of weight, steps rounded to tens.
    assert fill() == [D(m) for m in [1500, 2040, 2580, 3660, 4330, 5000, 6080, 6890, 7700]]
    PayPolicy.objects.filter(pk=1).update(main_step=D(4), inner_senior=D(3), inner_middle=D(2), round_to=100)
    # Weights 1, 1, 4, 2, 2, 4, 3, 3, 3 sum to 23: 304.35 per unit, steps rounded to hundreds.
    assert fill() == [D(m) for m in [1500, 1800, 2100, 3300, 3900, 4500, 5700, 6600, 7500]]


def standard(*codes):
    return Level.objects.filter(ladder__slug="standard", code__in=codes)


def test_the_main_grades_are_the_levels_own():
    """Middle's levels joined to Junior: Junior's inner steps run up to Middle++, one main step is
    left, and Senior is the second main grade (inner Middle weight)."""
    standard("middle", "middle-plus", "middle-plus-plus").update(main_grade=standard("junior").get())
    # Weights 1, 1, 1, 1, 1, 2, 1.25, 1.25, 1.25 sum to 10.75: 651.16 per unit, steps rounded to tens.
    assert fill() == [D(m) for m in [1500, 2150, 2800, 3450, 4100, 4750, 6050, 6860, 7670]]


def test_a_ladder_the_weights_do_not_fit_is_refused_with_a_sentence():
    standard("junior", "junior-plus", "junior-plus-plus").update(main_grade=None)
    with pytest.raises(services.PayError, match=r"junior, junior-plus, junior-plus-plus belong\(s\) to none"):
        fill()
    # Even bands need no main grades.
    plan = services.salary_bands_fill(
        minimum="1500", maximum="8500", mode="even", track=track("backend"), currency="EUR",
        valid_from=datetime.date(2025, 1, 1), dry_run=True,
    )
    assert len(plan.bands) == 9


# --- Variables no longer read -------------------------------------------------------------------------------


def test_a_pay_variable_still_set_is_warned_about(monkeypatch):
    for name in ["PAY_WEIGHTS_MAIN_STEP", "PAY_WEIGHTS_INNER_JUNIOR", "PAY_WEIGHTS_INNER_MIDDLE",
                 "PAY_WEIGHTS_INNER_SENIOR", "PAY_ROUND_TO"]:
        monkeypatch.delenv(name, raising=False)
    assert check_retired_settings() == []
    monkeypatch.setenv("PAY_ROUND_TO", "100")
    monkeypatch.setenv("PAY_WEIGHTS_MAIN_STEP", "3")
    warnings = check_retired_settings()
    assert [w.id for w in warnings] == ["gradesys.W006", "gradesys.W006"]
    assert "PAY_WEIGHTS_MAIN_STEP='3' is set, but the product no longer reads it" in warnings[0].msg
    assert "Pay › Pay policy" in warnings[1].msg and "PAY_ROUND_TO" in warnings[1].msg
