"""The audit trail of the salary bands: the calculator and the command name who wrote each band."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from grades.tests.factories import UserFactory
from pay.models import SalaryBand
from pay.tests.test_admin import CALCULATOR, calculator_form, state
from pay.tests.test_commands import BACKEND_ARGS

pytestmark = pytest.mark.django_db


@pytest.fixture
def start():
    return timezone.now()


def bands(*args):
    call_command("salary_bands", *args, stdout=StringIO())


def test_the_calculator_records_hr_and_the_reason_on_new_and_changed_bands(client, start):
    hr = UserFactory(username="hr", roles=["HR"], is_staff=True)
    client.force_login(hr)

    def save(**form):
        preview = client.post(CALCULATOR, {**calculator_form(**form), "_preview": "1"})
        fingerprint = preview.context["form"].fingerprint()
        confirmed = client.post(CALCULATOR, {**calculator_form(**form), "_confirm": "1", "_previewed": fingerprint})
        assert confirmed.status_code == 302

    save()
    save(maximum="8600")

    records = list(SalaryBand.history.all())
    assert sorted(r.history_type for r in records) == ["+"] * 9 + ["~"] * 9
    assert {(r.history_user, r.history_change_reason) for r in records} == {(hr, "salary band calculator")}
    assert all(start <= r.history_date <= timezone.now() for r in records)


def test_the_command_records_the_user_given():
    by = UserFactory(username="payroll")

    bands(*BACKEND_ARGS, "--user", "payroll")

    records = SalaryBand.history.all()
    assert records.count() == 9
    assert {(r.history_user, r.history_change_reason) for r in records} == {(by, "salary_bands")}


def test_the_command_without_a_user_names_the_command_line():
    bands(*BACKEND_ARGS)

    reasons = set(SalaryBand.history.values_list("history_user", "history_change_reason"))
    assert len(reasons) == 1
    user, reason = reasons.pop()
    assert user is None and reason.startswith("salary_bands (command line, system login ")


def test_the_command_refuses_an_unknown_user_and_writes_nothing():
    before = state()
    with pytest.raises(CommandError, match="no active account"):
        bands(*BACKEND_ARGS, "--user", "nobody")
    assert state() == before
