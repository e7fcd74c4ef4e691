"""
Salary bands: what a level pays, per currency, optionally per track, from a date;
and the pay policy, how the calculator lays bands out over the ladder.

Bands are never replaced by a later set: a new set gets a new `valid_from` and the
old rows stay, so the band in force on any past day can still be answered
(`rules.bands_in_force`). Edits to a row are kept by django-simple-history.

The product holds no personal pay: nothing here points at a person.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from simple_history.models import HistoricalRecords

from grades.models import Level, SingleRowModel, Track

from . import rules

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


# Each weight of the pay policy must be above the next one: (larger, smaller, the rule).
WEIGHT_ORDER = (
    ("main_step", "inner_senior", _("The step into a new main grade must weigh more than an inner Senior step.")),
    ("inner_senior", "inner_middle", _("An inner Senior step must weigh more than an inner Middle step.")),
    ("inner_middle", "inner_junior", _("An inner Middle step must weigh more than an inner Junior step.")),
)
POSITIVE_WEIGHT = _("An inner Junior step must weigh more than zero.")


def _weight_field(verbose_name, default: Decimal, help_text):
    return models.DecimalField(verbose_name, max_digits=6, decimal_places=3, default=default, help_text=help_text)


class PayPolicy(SingleRowModel):
    """How the salary band calculator spreads a range over the ladder (the "weighted" mode).

    Only the ratios of the weights matter, and they must keep main step > inner
    Senior > inner Middle > inner Junior > 0, or "weighted" would not mean what the
    documentation says (see pay.rules). A change is recorded with who made it; bands
    already stored keep their amounts until the calculator writes new ones.

    Two pay settings stay deployment settings rather than rows here:
    PAY_BANDS_VISIBLE_TO (who sees the bands) and PAY_DEFAULT_CURRENCY (the
    calculator's currency when none is given). Neither changes an amount or a
    decision: the first is what the deployment discloses, chosen with it and off
    (HR only) unless set, and deciding it needs no database read on every ladder
    page; the second only fills in a form field that the person can change.
    """

    main_step = _weight_field(
        _("step into a new main grade"),
        rules.DEFAULT_WEIGHTS.main_step,
        _("Junior++ to Middle and Middle++ to Senior."),
    )
    inner_junior = _weight_field(
        _("inner step inside Junior"), rules.DEFAULT_WEIGHTS.inner_junior, _("Junior to Junior+ to Junior++.")
    )
    inner_middle = _weight_field(
        _("inner step inside Middle"), rules.DEFAULT_WEIGHTS.inner_middle, _("Middle to Middle+ to Middle++.")
    )
    inner_senior = _weight_field(
        _("inner step inside Senior"),
        rules.DEFAULT_WEIGHTS.inner_senior,
        _("Senior to Senior+ to Senior++; the Senior++ band is as wide."),
    )
    round_to = models.PositiveIntegerField(
        _("round steps to"),
        default=10,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Band edges between the Junior minimum and the Senior++ maximum are rounded to a "
            "multiple of this many currency units (1, 10, 100, ...)."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pay policy")
        verbose_name_plural = _("pay policy")
        constraints = [
            models.CheckConstraint(
                condition=Q(id=SingleRowModel.ROW_ID),
                name="paypolicy_single_row",
                violation_error_message=_("There is only one pay policy."),
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{larger}__gt": F(smaller)}),
                    name=f"paypolicy_{larger}_above_{smaller}",
                    violation_error_message=message,
                )
                for larger, smaller, message in WEIGHT_ORDER
            ),
            models.CheckConstraint(
                condition=Q(inner_junior__gt=0),
                name="paypolicy_inner_junior_positive",
                violation_error_message=POSITIVE_WEIGHT,
            ),
            models.CheckConstraint(
                condition=Q(round_to__gte=1),
                name="paypolicy_round_to_positive",
                violation_error_message=_("Steps are rounded to a multiple of 1 or more."),
            ),
        ]

    def __str__(self) -> str:
        return str(_("Pay policy"))

    def clean(self):
        """The weights' order, each broken rule on the larger weight's field."""
        super().clean()
        errors = {}
        # A field that failed its own validation may still hold what was typed: skip it.
        numbers = {
            name: value
            for name in ("main_step", "inner_senior", "inner_middle", "inner_junior")
            if isinstance(value := getattr(self, name), (Decimal, int, float))
        }
        for larger, smaller, message in WEIGHT_ORDER:
            if larger in numbers and smaller in numbers and not numbers[larger] > numbers[smaller]:
                errors[larger] = message
        if "inner_junior" in numbers and not numbers["inner_junior"] > 0:
            errors["inner_junior"] = POSITIVE_WEIGHT
        if errors:
            raise ValidationError(errors)

    @property
    def weights(self) -> rules.Weights:
        return rules.Weights(
            main_step=self.main_step,
            inner_junior=self.inner_junior,
            inner_middle=self.inner_middle,
            inner_senior=self.inner_senior,
        )
