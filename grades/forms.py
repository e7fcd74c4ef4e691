from django import forms
from django.utils.translation import gettext_lazy as _

from common.validators import validate_calendar_date, validate_link

from .models import READING_NOTE_LENGTH
from .services import MAX_COMMENT, MAX_DESCRIPTION, MAX_LINKS


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
    track = forms.SlugField(required=False)
    level = forms.SlugField(required=False)
    order = forms.ChoiceField(
        required=False,
        choices=[
            ("name", _("Name")),
            ("level", _("Level")),
            ("since", _("Longest in level")),
            ("waiting", _("Claims waiting")),
            ("progress", _("Confirmed")),
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
