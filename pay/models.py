"""
Salary bands: what a level pays, per currency, optionally per track, from a date.

Bands are never replaced by a later set: a new set gets a new `valid_from` and the
old rows stay, so the band in force on any past day can still be answered
(`rules.bands_in_force`). Edits to a row are kept by django-simple-history.

The product holds no personal pay: nothing here points at a person.
"""

from __future__ import annotations

import datetime

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from simple_history.models import HistoricalRecords

from grades.models import Level, Track

currency_code = RegexValidator(
    r"^[A-Z]{3}\Z", _("Use a three-letter ISO 4217 currency code in capitals, such as EUR.")
)


class SalaryBandQuerySet(models.QuerySet):
    def applying_to(self, track: Track | None):
        """A track's own bands and the all-tracks ones (only the latter for `None`)."""
        if track is None:
            return self.filter(track__isnull=True)
        return self.filter(Q(track=track) | Q(track__isnull=True))

    def started_by(self, day: datetime.date):
        return self.filter(valid_from__lte=day)


class SalaryBand(models.Model):
    """The pay range of one level, in one currency, for one track or all, from a date."""

    level = models.ForeignKey(
        Level, on_delete=models.PROTECT, related_name="salary_bands", verbose_name=_("level")
    )
    track = models.ForeignKey(
        Track,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="salary_bands",
        verbose_name=_("track"),
        help_text=_("Empty: every track that has no band of its own for this level and currency."),
    )
    currency = models.CharField(
        _("currency"), max_length=3, validators=[currency_code], help_text=_("ISO 4217, e.g. EUR.")
    )
    minimum = models.DecimalField(
        _("minimum"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    maximum = models.DecimalField(_("maximum"), max_digits=12, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    # The track id, or 0 for the all-tracks band: a unique index treats NULLs as all
    # different (MySQL/MariaDB and SQLite alike), so the uniqueness below is over this
    # column rather than over `track`.
    track_key = models.GeneratedField(
        expression=Coalesce(F("track"), Value(0)),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )

    history = HistoricalRecords(excluded_fields=["track_key"])
    objects = SalaryBandQuerySet.as_manager()

    class Meta:
        ordering = ["level__rank", "track__name", "currency", "-valid_from"]
        verbose_name = _("salary band")
        verbose_name_plural = _("salary bands")
        constraints = [
            models.UniqueConstraint(
                fields=["level", "track_key", "currency", "valid_from"],
                name="salaryband_unique_scope_date",
                violation_error_message=_(
                    "There is already a band for this level, track and currency from that date."
                ),
            ),
            models.CheckConstraint(
                condition=Q(minimum__gte=0),
                name="salaryband_minimum_not_negative",
                violation_error_message=_("The minimum cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(maximum__gte=F("minimum")),
                name="salaryband_maximum_not_below_minimum",
                violation_error_message=_("The maximum cannot be below the minimum."),
            ),
            models.CheckConstraint(
                condition=Exact(Length("currency"), 3),
                name="salaryband_currency_three_letters",
                violation_error_message=_("The currency is a three-letter code."),
            ),
        ]
        indexes = [models.Index(fields=["valid_from"], name="salaryband_valid_from")]

    def __str__(self) -> str:
        scope = self.track.name if self.track_id else _("all tracks")
        return f"{self.level} · {scope} · {self.currency} from {self.valid_from:%Y-%m-%d}"
