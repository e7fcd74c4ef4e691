"""Factories for salary bands. Levels and the shipped tracks come from migrations."""

import datetime
from decimal import Decimal

import factory

from grades.models import Level, Track
from pay.models import SalaryBand


def track(slug: str) -> Track:
    return Track.objects.get(slug=slug)


class SalaryBandFactory(factory.django.DjangoModelFactory):
    """An all-tracks Middle band in EUR unless told otherwise."""

    class Meta:
        model = SalaryBand

    level = factory.LazyFunction(lambda: Level.objects.get(ladder__slug="standard", code="middle"))
    track = None
    currency = "EUR"
    minimum = Decimal("3000")
    maximum = Decimal("4000")
    valid_from = datetime.date(2025, 1, 1)


def ladder(
    *,
    minimums: list,
    track_slug: str | None = None,
    currency: str = "EUR",
    valid_from: datetime.date = datetime.date(2025, 1, 1),
    top: int | None = None,
) -> list[SalaryBand]:
    """Nine touching bands from the given minimums (the last band ends at `top`)."""
    levels = list(Level.objects.filter(ladder__slug="standard").order_by("rank"))
    edges = [Decimal(m) for m in minimums] + [Decimal(top if top is not None else int(minimums[-1]) + 1000)]
    scope = Track.objects.get(slug=track_slug) if track_slug else None
    return [
        SalaryBandFactory(
            level=level, track=scope, currency=currency, valid_from=valid_from,
            minimum=edges[i], maximum=edges[i + 1],
        )
        for i, level in enumerate(levels)
    ]
