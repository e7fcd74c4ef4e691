"""
Writes of salary bands.

`salary_bands_fill` is the one way a computed set of bands reaches the database:
the `salary_bands` command and the admin calculator both call it. It validates
before writing, runs in one transaction, and raises `PayError` with sentences a
person can act on when it refuses; a refused call writes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from common import audit
from grades.models import Ladder, Level, Track
from grades.rules import build_ladder

from . import rules, selectors
from .models import PayPolicy, SalaryBand

User = get_user_model()

NEW = "new"
CHANGED = "changed"
UNCHANGED = "unchanged"


class PayError(Exception):
    """A refused salary band action; the message is meant for the user."""


@dataclass
class PlannedBand:
    level: Level
    minimum: Decimal
    maximum: Decimal
    # NEW, CHANGED (a band of the same level, track, currency and date had other
    # amounts) or UNCHANGED (exactly this band is already stored).
    action: str
    previous: tuple[Decimal, Decimal] | None = None


@dataclass
class BandPlan:
    track: Track | None
    currency: str
    valid_from: datetime.date
    mode: str
    bands: list[PlannedBand]
    written: bool

    def count(self, action: str) -> int:
        return sum(1 for band in self.bands if band.action == action)

    @property
    def changes_anything(self) -> bool:
        return any(band.action != UNCHANGED for band in self.bands)


def normalise_currency(value: str) -> str:
    """'eur ' -> 'EUR'; PayError for anything that is not three letters."""
    code = (value or "").strip().upper()
    if not (len(code) == 3 and code.isascii() and code.isalpha()):
        raise PayError(
            _("The currency must be a three-letter ISO 4217 code such as EUR; got %(value)r.")
            % {"value": value}
        )
    return code


@transaction.atomic
def salary_bands_fill(
    *,
    minimum,
    maximum,
    mode: str,
    track: Track | None,
    currency: str,
    valid_from: datetime.date,
    dry_run: bool = False,
    by: User | None = None,
    reason: str = "salary band calculator",
) -> BandPlan:
    """Compute a band for each level of the ladder, from its lowest level's minimum to its
    highest level's maximum, and store them.

    The weights and the rounding are the pay policy's (PayPolicy), the levels and
    their main grades the track's ladder's (Level.main_grade), both read in this transaction.
    `track=None` writes the all-tracks bands, for the levels of the shipped ladder. Bands of the same level, track,
    currency and `valid_from` are updated (their history keeps the old amounts);
    a call that matches what is stored writes nothing. The history of every band
    written names `by` and `reason`. With `dry_run` nothing is
    written and the plan says what would be. Refuses (PayError) on bad input or
    when the new bands, together with the other bands in force, would put a
    higher level's minimum below a lower level's.
    """
    code = normalise_currency(currency)
    policy = PayPolicy.current()
    all_levels = {level.pk: level for level in Level.objects.select_related("ladder", "main_grade")}
    # The track's own ladder (its full ladder, a fork's shared levels included); the
    # all-tracks bands are those of the shipped ladder's levels.
    if track is not None:
        ids = set(Level.objects.of_track(track.pk).values_list("pk", flat=True))
        on_ladder = [level for level in all_levels.values() if level.pk in ids]
    else:
        on_ladder = [level for level in all_levels.values() if level.ladder.slug == Ladder.DEFAULT_SLUG]
    if not on_ladder:
        raise PayError(_("The ladder has no levels; run the migrations first."))
    levels = {level.code: level for level in on_ladder}
    try:
        ladder = build_ladder(
            (level.rank, level.code, level.main_grade.code if level.main_grade_id else None) for level in on_ladder
        )
        computed = rules.calculate_bands(
            minimum=minimum,
            maximum=maximum,
            mode=mode,
            ladder=ladder,
            weights=policy.weights,
            round_to=Decimal(policy.round_to),
        )
    except ValueError as exc:
        raise PayError(str(exc)) from exc

    # Every band of the currency, locked: the check below reads them, and two fills
    # that would break each other must not both pass it. Bands are few (levels x
    # tracks x dates), so locking them all costs nothing worth a narrower lock.
    in_currency = list(SalaryBand.objects.select_for_update().filter(currency=code))
    existing = {
        band.level_id: band
        for band in in_currency
        if band.track_id == (track.pk if track else None) and band.valid_from == valid_from
    }
    planned: list[PlannedBand] = []
    rows: list[tuple[PlannedBand, SalaryBand]] = []
    for amounts in computed:
        level = levels[amounts.level_code]
        stored = existing.get(level.pk)
        if stored is None:
            band = SalaryBand(
                level=level, track=track, currency=code, valid_from=valid_from,
                minimum=amounts.minimum, maximum=amounts.maximum,
            )
            plan = PlannedBand(level, amounts.minimum, amounts.maximum, NEW)
        elif (stored.minimum, stored.maximum) == (amounts.minimum, amounts.maximum):
            band = stored
            plan = PlannedBand(level, amounts.minimum, amounts.maximum, UNCHANGED)
        else:
            plan = PlannedBand(
                level, amounts.minimum, amounts.maximum, CHANGED, (stored.minimum, stored.maximum)
            )
            band = stored
            band.minimum, band.maximum = amounts.minimum, amounts.maximum
        planned.append(plan)
        rows.append((plan, band))

    problems = selectors.band_problems_with(
        [band for _plan, band in rows], stored=in_currency, levels=all_levels
    )
    if problems:
        raise PayError(" ".join(problems))
    result = BandPlan(track, code, valid_from, mode, planned, written=False)
    if dry_run:
        return result
    new = [band for plan, band in rows if plan.action == NEW]
    changed = [band for plan, band in rows if plan.action == CHANGED]
    try:
        for band in new + changed:
            # The rules already hold the amounts to the constraints, and the level and
            # track were just read: this checks the field validators (currency
            # format, digits) without a query per band.
            band.full_clean(exclude=["track_key", "level", "track"], validate_constraints=False)
        if new:
            audit.bulk_create(new, by=by, reason=reason)
        for band in changed:
            audit.save(band, by=by, reason=reason, update_fields=["minimum", "maximum"])
    except ValidationError as exc:
        raise PayError(" ".join(exc.messages)) from exc
    except IntegrityError as exc:  # a concurrent fill for the same date won the race
        raise PayError(
            _("Bands for this track, currency and date were written at the same time by someone "
              "else; look at them and try again.")
        ) from exc
    result.written = result.changes_anything
    return result
