"""`manage.py salary_bands`: computes, checks, prints, and writes the nine bands once."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from grades.models import Level
from pay.models import SalaryBand
from pay.tests.factories import SalaryBandFactory, track

pytestmark = pytest.mark.django_db

D = Decimal
BACKEND_ARGS = ["--min", "1500", "--max", "8500", "--mode", "weighted", "--track", "backend",
                "--valid-from", "2025-01-01"]
# The pay policy rounds to 10 unless changed: 7,000 / 13 per unit of weight, steps rounded to tens.
WEIGHTED_EDGES = [1500, 2040, 2580, 3660, 4330, 5000, 6080, 6890, 7700, 8500]


def run(*args, **options):
    out = StringIO()
    call_command("salary_bands", *args, stdout=out, **options)
    return out.getvalue()


def stored(**filters):
    return [
        (b.level.code, b.minimum, b.maximum)
        for b in SalaryBand.objects.filter(**filters).select_related("level").order_by("level__rank")
    ]


def state():
    return (
        list(SalaryBand.objects.order_by("id").values()),
        list(SalaryBand.history.order_by("history_id").values_list("id", "history_type", "minimum", "maximum")),
    )


def test_writes_nine_weighted_bands_and_prints_them():
    out = run(*BACKEND_ARGS)
    bands = stored(track=track("backend"), currency="EUR", valid_from=datetime.date(2025, 1, 1))
    assert [code for code, _low, _high in bands] == list(Level.objects.order_by("rank").values_list("code", flat=True))
    assert [low for _code, low, _high in bands] + [bands[-1][2]] == [D(e) for e in WEIGHTED_EDGES]
    assert SalaryBand.history.filter(history_type="+").count() == 9
    assert "Middle      3,660    4,330      670  new" in out
    assert "Saved the bands for Back-end developer in EUR from 2025-01-01: 9 new, 0 changed, 0 already stored." in out


def test_the_same_call_twice_writes_nothing_new():
    run(*BACKEND_ARGS)
    before = state()
    out = run(*BACKEND_ARGS)
    assert state() == before
    assert "Nothing to write: the nine bands for Back-end developer in EUR from 2025-01-01 are already stored." in out


def test_other_amounts_on_the_same_date_update_the_bands_and_keep_the_old_ones_in_history():
    run(*BACKEND_ARGS)
    out = run("--min", "1500", "--max", "8600", "--mode", "weighted", "--track", "backend",
              "--valid-from", "2025-01-01")
    assert SalaryBand.objects.count() == 9
    assert stored()[-1] == ("senior-plus-plus", D(7780), D(8600))
    assert "0 new, 9 changed" in out
    assert "was 7,700–8,500" in out
    senior_pp = SalaryBand.objects.get(level__code="senior-plus-plus")
    assert [h.maximum for h in senior_pp.history.order_by("history_id")] == [D(8500), D(8600)]


def test_a_new_date_keeps_the_old_bands():
    run(*BACKEND_ARGS)
    run("--min", "1600", "--max", "9000", "--mode", "weighted", "--track", "backend", "--valid-from", "2026-01-01")
    assert SalaryBand.objects.count() == 18
    assert stored(valid_from=datetime.date(2025, 1, 1))[0] == ("junior", D(1500), D(2040))
    assert stored(valid_from=datetime.date(2026, 1, 1))[0][1] == D(1600)


def test_even_mode_all_tracks_currency_and_default_date():
    run("--min", "1000", "--max", "10000", "--mode", "even", "--currency", "usd")
    bands = SalaryBand.objects.filter(track__isnull=True, currency="USD", valid_from=timezone.localdate())
    assert sorted(b.maximum - b.minimum for b in bands) == [D(1000)] * 9


def test_dry_run_prints_the_bands_and_writes_nothing():
    out = run(*BACKEND_ARGS, "--dry-run")
    assert not SalaryBand.objects.exists() and not SalaryBand.history.exists()
    assert "Senior++    7,700    8,500           new" in out
    assert "Dry run, nothing written." in out


def test_dry_run_after_a_real_run_says_every_band_is_stored():
    run(*BACKEND_ARGS)
    out = run(*BACKEND_ARGS, "--dry-run")
    assert "0 new, 0 changed, 9 already stored" in out


def test_verbosity_zero_prints_nothing():
    assert run(*BACKEND_ARGS, verbosity=0) == ""
    assert SalaryBand.objects.count() == 9


@pytest.mark.parametrize(
    "args, message",
    [
        (["--min", "2000", "--max", "2000"], "The Senior++ maximum (2,000) must be above the Junior minimum (2,000)."),
        (["--min", "3000", "--max", "2000"], "must be above the Junior minimum (3,000)"),
        (["--min", "-100", "--max", "2000"], "The Junior minimum cannot be negative; got -100."),
        (["--min", "abc", "--max", "2000"], "The Junior minimum must be a number such as 1500"),
        (["--min", "1000", "--max", "9000", "--track", "cobol"], "No track 'cobol'; known tracks: backend, fullstack."),
        (["--min", "1000", "--max", "9000", "--mode", "linear"], "Unknown mode 'linear'; choose one of: even, weighted."),
        (["--min", "1000", "--max", "9000", "--currency", "EURO"], "three-letter ISO 4217 code"),
        (["--min", "1000", "--max", "9000", "--currency", "€"], "three-letter ISO 4217 code"),
        (["--min", "1000", "--max", "9000", "--valid-from", "2025-13-01"], "--valid-from must be a date like 2025-01-01"),
        (["--min", "1000", "--max", "1030"], "too narrow for 9 bands rounded to 10"),
    ],
)
def test_bad_input_is_a_command_error_and_writes_nothing(args, message):
    SalaryBandFactory()  # something stored already, which must stay as it is
    before = state()
    if "--mode" not in args:
        args = [*args, "--mode", "even"]
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert message in str(caught.value)
    assert state() == before


@pytest.mark.parametrize("args, missing", [
    (["--min", "1000", "--mode", "even"], "--max"),
    (["--max", "1000", "--mode", "even"], "--min"),
    (["--min", "1000", "--max", "9000"], "--mode"),
])
def test_missing_arguments_are_a_command_error(args, missing):
    with pytest.raises(CommandError, match=f"the following arguments are required: {missing}"):
        run(*args)
    assert not SalaryBand.objects.exists()


def test_bands_that_would_break_a_tracks_own_band_are_refused():
    # Backend's own Middle+ band sits far below what the all-tracks set gives Middle.
    SalaryBandFactory(level=Level.objects.get(code="middle-plus"), track=track("backend"),
                      minimum=D(1000), maximum=D(1200), valid_from=datetime.date(2024, 6, 1))
    before = state()
    with pytest.raises(CommandError) as caught:
        run("--min", "1500", "--max", "8500", "--mode", "weighted", "--valid-from", "2025-01-01")
    assert (
        "Back-end developer, from 2025-01-01: Middle+ minimum 1,000 is below Middle minimum 3,660 (EUR)."
        in str(caught.value)
    )
    assert state() == before
    # For fullstack alone there is no conflict.
    run("--min", "1500", "--max", "8500", "--mode", "weighted", "--valid-from", "2025-01-01", "--track", "fullstack")
    assert SalaryBand.objects.filter(track=track("fullstack")).count() == 9
