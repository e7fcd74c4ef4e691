"""The demo organisation's salary bands."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from demo import pay as demo
from grades.models import Track
from pay import rules
from pay.models import SalaryBand
from pay.selectors import ladder_bands

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2025, 6, 30)


def state():
    return list(SalaryBand.objects.order_by("id").values()), SalaryBand.history.count()


def test_both_tracks_get_weighted_bands_from_new_year():
    assert demo.seed_bands(TODAY) == {"salary bands": 18, "salary bands changed": 0}
    assert set(SalaryBand.objects.values_list("valid_from", "currency")) == {(datetime.date(2025, 1, 1), "EUR")}
    for track in Track.objects.filter(slug__in=["backend", "fullstack"]):
        bands = list(SalaryBand.objects.filter(track=track).order_by("level__rank"))
        assert len(bands) == 9
        steps = [b.maximum - b.minimum for b in bands]
        # Weighted: larger steps into Middle and Senior, and inside higher grades.
        assert steps[2] == steps[5] > steps[6] > steps[3] > steps[0]
        in_force = ladder_bands(track, on=TODAY)
        low, high = demo.DEMO_RANGES[track.slug]
        assert (in_force[0].minimum, in_force[-1].maximum) == (low, high)
        figures = [rules.BandFigures(b.level.rank, b.level.name, b.currency, b.minimum, b.maximum) for b in in_force]
        assert rules.check_bands(figures) == []


def test_a_second_run_writes_nothing():
    demo.seed_bands(TODAY)
    before = state()
    assert demo.seed_bands(TODAY) == {"salary bands": 0, "salary bands changed": 0}
    assert state() == before


def test_seed_demo_fills_the_bands_once():
    out = StringIO()
    call_command("seed_demo", "--employees", "3", "--today", "2025-06-30", "--password", "demo-pass-123", stdout=out)
    assert SalaryBand.objects.count() == 18
    assert "Created 18 salary bands (weighted, EUR) for both tracks." in out.getvalue()
    before = state()
    again = StringIO()
    call_command("seed_demo", "--employees", "3", "--today", "2025-06-30", "--password", "demo-pass-123", stdout=again)
    assert state() == before
    assert "salary bands" not in again.getvalue()
    assert "Nothing new was created" in again.getvalue()
