"""The dashboard's filters: track, team lead, a period (dates or a quarter) and the claims' age."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from common.validators import validate_calendar_date
from grades.templatetags.grades_tags import level_name as localized_name

from . import rules

DEFAULT_WAITING_DAYS = 14
# The longest period the history figures cover: one chart row per quarter.
MAX_PERIOD_DAYS = 10 * 366


class DashboardFilterForm(forms.Form):
    track = forms.ChoiceField(label=_("Track"), required=False)
    lead = forms.TypedChoiceField(label=_("Team lead"), required=False, coerce=int, empty_value=None)
    quarter = forms.ChoiceField(label=_("Quarter"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, input_formats=["%Y-%m-%d"], validators=[validate_calendar_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("To"), required=False, input_formats=["%Y-%m-%d"], validators=[validate_calendar_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    days = forms.IntegerField(label=_("Claims waiting longer than (days)"), required=False, min_value=1, max_value=3650)

    def __init__(self, *args, tracks, leads, today: datetime.date, lead_filter: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["track"].choices = [("", _("All tracks"))] + [(t.slug, localized_name(t)) for t in tracks]
        if lead_filter:
            self.fields["lead"].choices = [("", _("All team leads"))] + [(str(pk), name) for pk, name in leads]
        else:
            del self.fields["lead"]
        self.fields["quarter"].choices = [("", _("Dates below"))] + [
            (rules.quarter_key(y, q), rules.quarter_key(y, q)) for y, q in rules.recent_quarters(today)
        ]

    def clean(self):
        data = super().clean()
        quarter = data.get("quarter")
        if quarter and (data.get("date_from") or data.get("date_to")):
            raise forms.ValidationError(_("Choose either a quarter or dates, not both."))
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the period is before its start."))
        elif not self.errors:
            start, end = self.period()
            if start > end:
                self.add_error("date_from", _("The end of the period is before its start."))
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("date_from", _("A period of at most ten years, please."))
        return data

    def period(self) -> tuple[datetime.date, datetime.date]:
        """The period of the history figures (cleaned data only)."""
        data = self.cleaned_data
        if data.get("quarter"):
            year, quarter = data["quarter"].split("-Q")
            return rules.quarter_bounds(int(year), int(quarter))
        start, end = rules.default_period(self.today)
        return data.get("date_from") or start, data.get("date_to") or end

    def waiting_days(self) -> int:
        return self.cleaned_data.get("days") or DEFAULT_WAITING_DAYS
