from django import forms
from django.utils.translation import gettext_lazy as _

from common.converters import MAX_ID
from common.validators import MAX_LINK_LENGTH, validate_calendar_date, validate_link

from .models import READING_NOTE_LENGTH
from .services import (
    MAX_COMMENT,
    MAX_CORRECTION_REASON,
    MAX_DESCRIPTION,
    MAX_GOAL,
    MAX_LINKS,
    MAX_MEASURE,
    MAX_UNIT,
)


class EvidenceForm(forms.Form):
    """A claim: what was done, and links to the code or feature that shows it."""

    description = forms.CharField(
        label=_("What did you do that shows this?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_DESCRIPTION,
    )
    links = forms.CharField(
        label=_("Links (one per line: pull requests, code, features)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=MAX_LINKS * 510,
    )

    def clean_description(self):
        value = self.cleaned_data["description"].strip()
        if not value:
            raise forms.ValidationError(_("Describe the work that shows the requirement is met."))
        return value

    def clean_links(self):
        links = [line.strip() for line in self.cleaned_data["links"].splitlines() if line.strip()]
        if len(links) > MAX_LINKS:
            raise forms.ValidationError(_("At most %(n)d links.") % {"n": MAX_LINKS})
        for link in links:
            validate_link(link)
        return links


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", _("Confirm")), ("reject", _("Reject"))])
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=MAX_COMMENT
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say why the claim is rejected, so the developer knows what to do next."))
        return data


class PeopleFilterForm(forms.Form):
    """The people list's filters. The team lead is what the viewer typed (a login or the start
    of a name) or a link's employee id; the view finds the lead (selectors.find_lead)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100, strip=True)
    track = forms.SlugField(label=_("Track"), required=False)
    level = forms.SlugField(label=_("Level"), required=False)
    lead = forms.CharField(label=_("Team lead"), required=False, max_length=150, strip=True)
    eligible = forms.BooleanField(label=_("Eligible now"), required=False)
    order = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("Name")),
            ("level", _("Level")),
            ("since", _("Longest in level")),
            ("waiting", _("Claims waiting")),
            ("progress", _("Confirmed")),
            ("eligible", _("Eligible now first")),
        ],
    )


class BookReadingForm(forms.Form):
    """A book marked as read: a short note and the day it was finished (today when left empty)."""

    note = forms.CharField(
        label=_("A short note: what did you take from it?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=READING_NOTE_LENGTH,
    )
    read_on = forms.DateField(
        label=_("Finished on"), required=False, validators=[validate_calendar_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_note(self):
        value = " ".join(self.cleaned_data["note"].split())
        if not value:
            raise forms.ValidationError(_("Write a short note on the book: what you took from it."))
        return value


class DeliveryFactForm(forms.Form):
    """A delivery fact, new or corrected (`fact` names the one corrected; `reason` says why).

    The numbers and the rules between the fields are checked by the service
    (services.delivery_values), which the spreadsheet import shares.
    """

    period_start = forms.DateField(label=_("Period start"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Period end"), widget=forms.DateInput(attrs={"type": "date"}))
    measure = forms.CharField(
        label=_("Measure (empty for sprint completion)"), required=False, max_length=MAX_MEASURE,
    )
    committed = forms.DecimalField(label=_("Committed (sprint completion)"), required=False)
    done = forms.DecimalField(label=_("Done (sprint completion)"), required=False)
    value = forms.DecimalField(label=_("Value (another measure)"), required=False)
    unit = forms.CharField(label=_("Unit (story points, tasks, days…)"), required=False, max_length=MAX_UNIT)
    link = forms.CharField(label=_("Source (a board or a report, http or https)"), required=False, max_length=500)
    fact = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why is it corrected?"), required=False, max_length=MAX_CORRECTION_REASON,
    )


class GoalForm(forms.Form):
    """A goal of the growth plan: what is to be done, a link, and by when."""

    text = forms.CharField(
        label=_("Goal: what is to be done for this requirement"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_GOAL,
        error_messages={"required": _("Write the goal: what is to be done for this requirement.")},
    )
    link = forms.CharField(label=_("Link (optional)"), required=False, max_length=MAX_LINK_LENGTH,
                           validators=[validate_link])
    due_on = forms.DateField(
        label=_("Due date (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        validators=[validate_calendar_date],
        error_messages={"invalid": _("Enter the due date as a real day, e.g. 2026-09-30.")},
    )
