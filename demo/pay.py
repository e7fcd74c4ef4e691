"""Salary bands for the demo organisation: both shipped tracks, from 1 January of the demo year."""

from __future__ import annotations

import datetime
from decimal import Decimal

from grades.models import Track

from pay import rules, services

# Monthly gross in euros, Junior minimum to Senior++ maximum.
DEMO_CURRENCY = "EUR"
DEMO_RANGES = {
    "backend": (Decimal("1500"), Decimal("8500")),
    "fullstack": (Decimal("1400"), Decimal("8000")),
}


def seed_bands(today: datetime.date) -> dict[str, int]:
    """Weighted bands for each shipped track, valid from 1 January of `today`'s year.

    Goes through the calculator service, so a second run with the same `today` writes
    nothing. Returns how many bands were created and changed.
    """
    created = changed = 0
    tracks = {track.slug: track for track in Track.objects.filter(slug__in=DEMO_RANGES)}
    for slug, (low, high) in DEMO_RANGES.items():
        if slug not in tracks:
            continue
        plan = services.salary_bands_fill(
            minimum=low,
            maximum=high,
            mode=rules.WEIGHTED,
            track=tracks[slug],
            currency=DEMO_CURRENCY,
            valid_from=datetime.date(today.year, 1, 1),
        )
        created += plan.count(services.NEW)
        changed += plan.count(services.CHANGED)
    return {"salary bands": created, "salary bands changed": changed}
