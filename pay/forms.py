"""Forms of the pay admin: one band by hand, and the calculator."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import ExactKeyChoiceField
from grades.models import Track

from . import rules, selectors, services
from .models import SalaryBand


class SalaryBandAdminForm(forms.ModelForm):
    """A band typed in by hand, checked against the other bands in force like a computed set."""

    class Meta:
        model = SalaryBand
        fields = ["level", "track", "currency", "minimum", "maximum", "valid_from"]

    def clean_currency(self):
        try:
            return services.normalise_currency(self.cleaned_data["currency"])
        except services.PayError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        data = super().clean()
        needed = ("level", "currency", "minimum", "maximum", "valid_from")
        if any(data.get(name) is None for name in needed) or self.errors:
            return data
        if data["maximum"] < data["minimum"]:
            self.add_error("maximum", _("The maximum cannot be below the minimum."))
            return data
        band = SalaryBand(
            level=data["level"],
            track=data.get("track"),
            currency=data["currency"],
            minimum=data["minimum"],
            maximum=data["maximum"],
            valid_from=data["valid_from"],
        )
        # The unique index is over the generated track_key, which the form does not
        # carry, so Django's own unique check would skip it.
        twin = SalaryBand.objects.filter(
            level=band.level, track=band.track, currency=band.currency, valid_from=band.valid_from
        ).exclude(pk=self.instance.pk)
        if twin.exists():
            raise forms.ValidationError(
                _("There is already a band for this level, track and currency from that date.")
            )
        replacing = [self.instance.pk] if self.instance.pk else []
        problems = selectors.band_problems_with([band], replacing=replacing)
        if problems:
            raise forms.ValidationError(problems)
        return data


class CalculatorForm(forms.Form):
    """The calculator's input; the amounts are checked again by the service."""

    minimum = forms.DecimalField(
        label=_("Junior minimum"), max_digits=12, decimal_places=2, min_value=0
    )
    maximum = forms.DecimalField(
        label=_("Senior++ maximum"), max_digits=12, decimal_places=2, min_value=0
    )
    mode = forms.ChoiceField(
        label=_("Mode"),
        choices=[
            (rules.WEIGHTED, _("weighted: larger steps into Middle and Senior, and inside higher grades")),
            (rules.EVEN, _("even: the same step between every two levels")),
        ],
        initial=rules.WEIGHTED,
    )
    track = ExactKeyChoiceField(
        label=_("Track"),
        queryset=Track.objects.order_by("name"),
        required=False,
        empty_label=_("All tracks"),
        to_field_name="slug",
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3)
    valid_from = forms.DateField(label=_("Valid from"), input_formats=["%Y-%m-%d"])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "initial",
            {"currency": settings.PAY_DEFAULT_CURRENCY, "valid_from": timezone.localdate().isoformat()},
        )
        super().__init__(*args, **kwargs)

    def clean_currency(self):
        try:
            return services.normalise_currency(self.cleaned_data["currency"])
        except services.PayError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        data = super().clean()
        low, high = data.get("minimum"), data.get("maximum")
        if low is not None and high is not None and high <= low:
            self.add_error(
                "maximum",
                _("The Senior++ maximum (%(high)s) must be above the Junior minimum (%(low)s).")
                % {"high": rules.format_amount(high), "low": rules.format_amount(low)},
            )
        return data

    def fingerprint(self) -> str:
        """The cleaned input as one string: a confirmation must match what was previewed."""
        data = self.cleaned_data
        track = data.get("track")
        return "|".join(
            [str(data["minimum"]), str(data["maximum"]), data["mode"], track.slug if track else "",
             data["currency"], data["valid_from"].isoformat()]
        )

    def fill(self, *, dry_run: bool, by=None) -> services.BandPlan:
        """Run the calculator service on the cleaned input (PayError when it refuses)."""
        data = self.cleaned_data
        return services.salary_bands_fill(
            minimum=data["minimum"],
            maximum=data["maximum"],
            mode=data["mode"],
            track=data.get("track"),
            currency=data["currency"],
            valid_from=data["valid_from"],
            dry_run=dry_run,
            by=by,
        )
