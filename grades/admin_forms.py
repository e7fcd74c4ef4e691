"""
Forms behind the grades admin pages that do more than save one row.

They only collect and shape input: hiring and appending to the grade ledger are
done by `grades.services`, whose refusals the admin shows on the form.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from common.forms import ExactKeyChoiceField
from common.validators import validate_calendar_date

from .models import Employee, GradeChangeKind, Level, Requirement, Track


class LevelChoiceField(forms.ModelChoiceField):
    """Levels labelled with their ladder: level names are unique within a ladder only."""

    def __init__(self, *args, queryset=None, **kwargs):
        super().__init__(
            *args, queryset=queryset if queryset is not None else Level.objects.select_related("ladder").order_by("ladder__slug", "rank"),
            **kwargs,
        )

    def label_from_instance(self, obj):
        return f"{obj.ladder.name}: {obj.name}"


def _levels_of(track_id):
    """The levels of a track's full ladder, for a choice field."""
    return Level.objects.of_track(track_id).select_related("ladder")


class EmployeeAddForm(forms.ModelForm):
    """The admin add form: the employee row plus the level of their hire entry."""

    level = LevelChoiceField(
        label=_("Starting level"),
        help_text=_("The level of the hire entry that opens this person's grade history: a level of the track's ladder."),
    )

    class Meta:
        model = Employee
        fields = [
            "user",
            "track",
            "level",
            "team_lead",
            "hire_date",
            "probation_end",
            "career_start",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The hire service defaults it to the hire date; saying so beats a required field.
        self.fields["career_start"].required = False
        self.fields["career_start"].help_text = _(
            "Start of programming work, earlier jobs included. Leave empty for the hire date."
        )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("career_start") and cleaned.get("hire_date"):
            # Filled in here, before the model constraints are checked against it.
            cleaned["career_start"] = cleaned["hire_date"]
        track, level = cleaned.get("track"), cleaned.get("level")
        if track is not None and level is not None and not _levels_of(track.pk).filter(pk=level.pk).exists():
            self.add_error("level", _("%(level)s is not a level of the %(track)s track's ladder.") % {"level": level, "track": track})
        return cleaned


class GradeChangeRecordForm(forms.Form):
    """A promotion or correction to append to one person's grade history."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (GradeChangeKind.PROMOTION.value, GradeChangeKind.PROMOTION.label),
            (GradeChangeKind.CORRECTION.value, GradeChangeKind.CORRECTION.label),
        ],
    )
    level = LevelChoiceField(label=_("Level"))
    # The same range as the ledger's own field (and the people import): refused here with
    # the form's message rather than further down.
    effective_date = forms.DateField(
        label=_("Effective date"), widget=AdminDateWidget, validators=[validate_calendar_date]
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Required for a correction."),
    )

    def __init__(self, *args, employee: Employee, **kwargs):
        super().__init__(*args, **kwargs)
        self.employee = employee
        # Suggest the usual case, a promotion to the next rank today; the service
        # still decides whether it is allowed.
        self.fields["effective_date"].initial = datetime.date.today()
        self.fields["kind"].initial = GradeChangeKind.PROMOTION
        # The levels of the person's own ladder; the next one suggested.
        self.fields["level"].queryset = _levels_of(employee.track_id)
        if employee.current_level_id is not None:
            next_level = _levels_of(employee.track_id).filter(rank=employee.current_level.rank + 1).first()
            self.fields["level"].initial = next_level or employee.current_level


class TrackChangeForm(forms.Form):
    """A move of one person to another track, for `services.employee_change_track`."""

    track = forms.ModelChoiceField(queryset=Track.objects.none(), label=_("New track"))
    level = LevelChoiceField(
        label=_("Level"),
        required=False,
        help_text=_("Leave empty to keep the current level (a lateral move; across a fork, the level of the "
                    "same rank). Another ladder's level: choose it."),
    )
    # The same range as the ledger's own field (and the people import): refused here with
    # the form's message rather than further down.
    effective_date = forms.DateField(
        label=_("Effective date"), widget=AdminDateWidget, validators=[validate_calendar_date]
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept in the grade history."),
    )

    def __init__(self, *args, employee: Employee, **kwargs):
        super().__init__(*args, **kwargs)
        self.employee = employee
        # Only tracks a person can be moved onto; the service checks again at write time.
        self.fields["track"].queryset = Track.objects.active().exclude(pk=employee.track_id)
        self.fields["effective_date"].initial = datetime.date.today()
        if employee.current_level_id is not None:
            self.fields["level"].empty_label = _("Keep %(level)s") % {"level": employee.current_level}


class RequirementForm(forms.ModelForm):
    """Requirement edits, with the track-wide key check the model form cannot do.

    `Requirement.track` is copied from the track-level in save(), so it is not a
    form field and Django skips the (track, key) unique constraint; without this
    check a duplicate key would reach the database as an IntegrityError.
    """

    class Meta:
        model = Requirement
        fields = "__all__"
        field_classes = {"category": ExactKeyChoiceField}
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2, "cols": 40}),
            "text_en": forms.Textarea(attrs={"rows": 2, "cols": 40}),
        }

    def clean_check_params(self):
        # An emptied or "null" field means no parameters, not a NULL in a NOT NULL column.
        value = self.cleaned_data.get("check_params")
        return {} if value is None else value

    def clean(self):
        cleaned = super().clean()
        track_level = cleaned.get("track_level") or getattr(self.instance, "track_level", None)
        key = cleaned.get("key")
        if track_level is not None and key:
            clash = Requirement.objects.filter(track_id=track_level.track_id, key=key)
            if self.instance.pk is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(
                    "key",
                    _("The track already has a requirement with the key “%(key)s”.") % {"key": key},
                )
        return cleaned


class RequirementInlineFormSet(BaseInlineFormSet):
    """Requirements under one track-level: keys must also differ between the new rows."""

    def clean(self):
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data"):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue
            key = form.cleaned_data.get("key")
            if not key:
                continue
            if key in seen:
                form.add_error("key", _("This key is used twice on this page."))
            seen.add(key)


class EmployeeChangeForm(forms.ModelForm):
    """The change page: dates are checked against the hire date, which is read-only here.

    A read-only field is not on the form, so Django skips the database constraints
    that compare with it; without this a date out of order would reach the database.
    """

    class Meta:
        model = Employee
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        hire_date = self.instance.hire_date
        if hire_date is None:
            return cleaned
        probation_end = cleaned.get("probation_end")
        career_start = cleaned.get("career_start")
        left_on = cleaned.get("left_on")
        if probation_end and probation_end < hire_date:
            self.add_error("probation_end", _("The probation cannot end before the hire date."))
        if career_start and career_start > hire_date:
            self.add_error("career_start", _("The career cannot start after the hire date."))
        if left_on and left_on < hire_date:
            self.add_error("left_on", _("Leaving cannot be dated before the hire date."))
        return cleaned
