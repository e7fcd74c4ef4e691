"""The dashboard's filters: track, team lead, a period (dates or a quarter) and the claims' age."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from common.validators import validate_calendar_date
from grades.templatetags.grades_tags import level_name as localized_name

from . import rules

DEFAULT_WAITING_DAYS = 14
# How many team leads a name that matches several of them lists.
LEAD_MATCHES_SHOWN = 5
# The longest period the history figures cover: one chart row per quarter.
MAX_PERIOD_DAYS = 10 * 366


class DashboardFilterForm(forms.Form):
    track = forms.ChoiceField(label=_("Track"), required=False)
    # A login or the start of a name, or a link's employee id: one of `leads` (clean_lead).
    lead = forms.CharField(label=_("Team lead"), required=False, max_length=150, strip=True)
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
        self.leads = leads
        if not lead_filter:
            del self.fields["lead"]
        self.fields["quarter"].choices = [("", _("Dates below"))] + [
            (rules.quarter_key(y, q), rules.quarter_key(y, q)) for y, q in rules.recent_quarters(today)
        ]

    def clean_lead(self) -> int | None:
        """The team lead's employee id: a link's id, a login, or the start of a name that only
        one of the leads offered (`leads`: (id, name, login)) has."""
        text = self.cleaned_data.get("lead") or ""
        if not text:
            return None
        if text.isdigit():
            found = [lead for lead in self.leads if str(lead[0]) == text]
        else:
            wanted = text.casefold()
            found = [lead for lead in self.leads if lead[2].casefold() == wanted]
            if not found:
                words = wanted.split()
                found = [
                    lead for lead in self.leads
                    if all(any(part.startswith(word) for part in (*lead[1].casefold().split(), lead[2].casefold()))
                           for word in words)
                ]
        if not found:
            raise forms.ValidationError(_("No team lead you may narrow the figures to matches “%(text)s”."),
                                        params={"text": text})
        if len(found) > 1:
            names = ", ".join(name for _pk, name, _login in found[:LEAD_MATCHES_SHOWN])
            raise forms.ValidationError(
                _("Several team leads match: %(names)s. Type more of the name, or the login."),
                params={"names": names + (", …" if len(found) > LEAD_MATCHES_SHOWN else "")},
            )
        return found[0][0]

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
