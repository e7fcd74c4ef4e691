from django import forms
from django.utils.translation import gettext_lazy as _

from common.validators import MAX_LINK_LENGTH, validate_calendar_date, validate_link

from .services import MAX_COMMENT, MAX_DESCRIPTION, MAX_GOAL, MAX_LINKS


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
