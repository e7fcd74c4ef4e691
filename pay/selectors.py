"""Reads of salary bands: which are in force, what a change would break."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.utils.translation import gettext as _

from grades.models import Level, Track

from . import rules
from .models import SalaryBand


def ladder_bands(track: Track, *, on: datetime.date) -> list[SalaryBand]:
    """The bands in force on `on` for every level of `track`, lowest level first.

    One query whatever the number of bands and levels: the track's own and the
    all-tracks bands started by that day, resolved in Python (`rules.bands_in_force`).
    """
    # Only the levels of the track's own ladder: an all-tracks band of another ladder's level is not its.
    candidates = (
        SalaryBand.objects.applying_to(track).started_by(on).filter(level__rungs__track=track).select_related("level")
    )
    bands = rules.bands_in_force(candidates, track_id=track.pk, on=on)
    return sorted(bands, key=lambda band: (band.level.rank, band.currency))


def _figures(band: SalaryBand, levels: dict) -> rules.BandFigures:
    level = levels[band.level_id]
    return rules.BandFigures(level.rank, level.name, band.currency, band.minimum, band.maximum)


def band_problems_with(
    proposed: Sequence[SalaryBand],
    *,
    replacing: Iterable[int] = (),
    stored: Sequence[SalaryBand] | None = None,
    levels: dict[int, Level] | None = None,
) -> list[str]:
    """What storing `proposed` (unsaved or edited bands) would break, as sentences.

    Each proposed band is checked, with the stored bands, in every scope it applies
    to (its track; for an all-tracks band, each track and the all-tracks set), on its
    `valid_from` and on every later date a stored band starts while it is still in
    force. Stored rows with the ids in `replacing`, and rows with the same level,
    track, currency and date as a proposed band, are left out: the proposal takes
    their place. Only problems that involve a proposed band are reported, so older
    inconsistencies do not block an unrelated change.

    A caller that has already read the stored bands of these currencies (and the
    levels they point at) passes them as `stored` and `levels` to save the queries.
    """
    if not proposed:
        return []
    replacing = set(replacing)
    keys = {(b.level_id, b.track_id, b.currency, b.valid_from) for b in proposed}
    currencies = {b.currency for b in proposed}
    if stored is None:
        stored = list(SalaryBand.objects.filter(currency__in=currencies).select_related("level"))
        levels = {band.level_id: band.level for band in stored}
    levels = {**(levels or {}), **{band.level_id: band.level for band in proposed}}
    stored = [
        band
        for band in stored
        if band.currency in currencies
        and band.pk not in replacing
        and (band.level_id, band.track_id, band.currency, band.valid_from) not in keys
    ]
    track_ids = {b.track_id for b in proposed}
    if None in track_ids:
        all_tracks = dict(Track.objects.values_list("pk", "name"))
    else:
        all_tracks = {b.track_id: b.track.name for b in proposed}
    scopes: set[int | None] = set()
    for band in proposed:
        scopes |= {band.track_id} if band.track_id is not None else {None, *all_tracks}

    # Levels are compared by rank within a ladder only: the bands of a track, or of one
    # ladder's levels among the all-tracks bands.
    ladder_of = {pk: level.ladder_id for pk, level in levels.items()}
    pool = [*stored, *proposed]
    proposed_ids = {id(b) for b in proposed}
    messages: list[str] = []
    seen: set[str] = set()
    for scope in sorted(scopes, key=lambda s: (s is not None, all_tracks.get(s, ""))):
        label = all_tracks[scope] if scope is not None else _("All tracks")
        start = min(b.valid_from for b in proposed if b.track_id in (scope, None))
        dates = sorted({start} | {b.valid_from for b in pool if b.valid_from > start})
        for day in dates:
            in_force = rules.bands_in_force(pool, track_id=scope, on=day)
            ours = {
                (levels[b.level_id].ladder_id, levels[b.level_id].rank, b.currency) for b in in_force if id(b) in proposed_ids
            }
            if not ours:
                continue
            problems = [
                problem
                for ladder_id in sorted({ladder_of[b.level_id] for b in in_force})
                for problem in rules.band_problems(_figures(b, levels) for b in in_force if ladder_of[b.level_id] == ladder_id)
                if any((ladder_id, rank, problem.currency) in ours for rank in problem.ranks)
            ]
            for problem in problems:
                # The same break seen again (a later date, or a track that simply
                # follows the all-tracks bands, which come first) is said once.
                if problem.message in seen:
                    continue
                seen.add(problem.message)
                messages.append(
                    _("%(scope)s, from %(day)s: %(problem)s")
                    % {"scope": label, "day": f"{day:%Y-%m-%d}", "problem": problem.message}
                )
    return messages
