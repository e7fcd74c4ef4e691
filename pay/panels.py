"""The salary bands box on a track's ladder page (registered in PayConfig.ready)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from . import policies, selectors


def ladder_panel(request, track) -> dict | None:
    """The bands in force today for each level of `track`; None (no box) for those not allowed.

    One query for the whole ladder (selectors.ladder_bands), and none at all for someone
    who may not see bands.
    """
    if not policies.may_see_bands(request.user):
        return None
    return {
        "bands": selectors.ladder_bands(track, on=timezone.localdate()),
        "published": settings.PAY_BANDS_VISIBLE_TO == "everyone",
    }
