"""Salary bands on a track's own ladder: its levels, its main grades, and no other ladder's bands."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from grades.versions import load_framework
from grades.models import Level, Track
from pay import selectors, services
from pay.tests.factories import SalaryBandFactory

pytestmark = pytest.mark.django_db

D = Decimal
DATA = Path(__file__).resolve().parents[2] / "grades" / "tests" / "data"


@pytest.fixture
def support():
    load_framework(DATA / "five-levels.yaml")
    return Track.objects.get(slug="support")


def fill(track, mode="weighted", **kwargs):
    return services.salary_bands_fill(
        minimum="1000", maximum="3000", mode=mode, track=track, currency="EUR",
        valid_from=datetime.date(2025, 1, 1), **kwargs,
    )


def test_a_tracks_bands_are_those_of_its_own_ladder(support):
    plan = fill(support)
    assert [band.level.code for band in plan.bands] == ["trainee", "associate", "specialist", "senior-specialist", "lead"]
    # Two main grades (trainee, specialist): one main step out of associate, the inner steps
    # weighted as the first and second main grades' (1 and 1.25): 1, 2, 1.25, 1.25, 1.25 over 6.75,
    # steps rounded to tens.
    assert [band.minimum for band in plan.bands] == [D(1000), D(1300), D(1890), D(2260), D(2630)]
    assert all(band.level.ladder.slug == "support" for band in plan.bands)


def test_a_ladder_without_main_grades_takes_even_bands_only(support, tmp_path):
    Level.objects.filter(ladder__slug="support").update(main_grade=None)
    with pytest.raises(services.PayError, match="belong\\(s\\) to none"):
        fill(support, dry_run=True)
    assert len(fill(support, mode="even", dry_run=True).bands) == 5


def test_the_ladder_page_shows_no_band_of_another_ladder(support):
    # An all-tracks band of the shipped ladder's Middle is not the support track's.
    SalaryBandFactory(level=Level.objects.get(ladder__slug="standard", code="middle"))
    fill(support)
    bands = selectors.ladder_bands(support, on=datetime.date(2025, 6, 1))
    assert {band.level.ladder.slug for band in bands} == {"support"} and len(bands) == 5
    backend = selectors.ladder_bands(Track.objects.get(slug="backend"), on=datetime.date(2025, 6, 1))
    assert [band.level.code for band in backend] == ["middle"]
