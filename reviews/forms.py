"""Forms of the review pages. They check the shape of the input; the services decide what is allowed."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from common.validators import validate_calendar_date

from . import rules
from .models import CommitteeSeat, ReviewStatus, SeatRole, VoteValue
from .models import RelationsRating
from .services import MAX_TEXT


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class ReviewFilterForm(forms.Form):
    """The GET parameters of /reviews/. Unknown parameters are ignored; bad values are a 400.

    `tracks` and `levels` are the rows the page shows in its selects anyway, so that
    validating a slug or a level code costs no query of its own.
    """

    status = forms.ChoiceField(label=_("Status"), required=False)
    track = forms.ChoiceField(label=_("Track"), required=False)
    level = forms.ChoiceField(label=_("Level"), required=False)
    mine = forms.BooleanField(label=_("Waiting for my vote"), required=False)

    def __init__(self, *args, tracks=(), levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status")), *ReviewStatus.choices]
        self.fields["track"].choices = [("", _("All tracks"))] + [(t.slug, t.display_name) for t in tracks]
        # A key names the level of that key on any ladder (keys are unique per ladder).
        self.fields["level"].choices = [("", _("All levels"))] + list({lv.code: (lv.code, lv.display_name) for lv in levels}.values())
        # "from" is a Python keyword, hence fields added by name.
        self.fields["from"] = forms.DateField(label=_("Defense from"), required=False,
                                              widget=forms.DateInput(attrs={"type": "date"}),
                                              validators=[validate_calendar_date])
        self.fields["to"] = forms.DateField(label=_("Defense to"), required=False,
                                            widget=forms.DateInput(attrs={"type": "date"}),
                                            validators=[validate_calendar_date])
        self.order_fields(["status", "track", "level", "from", "to", "mine"])

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end and end < start:
            self.add_error("to", _("The end of the date range is before its start."))
        return data

    def filter(self, queryset, user):
        """`queryset` narrowed by the cleaned filters (call after is_valid())."""
        data = self.cleaned_data
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("track"):
            queryset = queryset.filter(track__slug=data["track"])
        if data.get("level"):
            queryset = queryset.filter(to_level__code=data["level"])
        # Ranges of aware datetimes rather than a __date lookup: on MySQL that lookup
        # needs the server's time zone tables as soon as TIME_ZONE is not UTC.
        if data.get("from"):
            queryset = queryset.filter(scheduled_for__gte=_day_start(data["from"]))
        if data.get("to"):
            queryset = queryset.filter(scheduled_for__lt=_day_start(data["to"] + datetime.timedelta(days=1)))
        if data.get("mine"):
            queryset = queryset.filter(status=ReviewStatus.SCHEDULED).filter(
                Exists(CommitteeSeat.objects.filter(review=OuterRef("pk"), member=user, vote__isnull=True))
            )
        return queryset

    def error_lines(self) -> list[str]:
        """One sentence per bad parameter, naming it as it appears in the address."""
        return [
            _("Invalid filter “%(name)s”: %(error)s") % {"name": name, "error": error}
            for name, errors in self.errors.items()
            for error in errors
        ]


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _statement_field() -> forms.CharField:
    return forms.CharField(
        label=_("Statement: why the candidate is ready for the next level, pointing at the evidence"),
        widget=_textarea(6),
        max_length=MAX_TEXT,
        error_messages={
            "required": _("Write the statement: why the candidate is ready for the next level, pointing at the evidence."),
        },
    )


class RequestForm(forms.Form):
    statement = _statement_field()
    recommendation = forms.CharField(
        label=_("Recommendation: example projects or features that show the skills of the next level"),
        widget=_textarea(4),
        required=False,
        max_length=MAX_TEXT,
    )


class StatementForm(forms.Form):
    """The candidate or their team lead rewrites the statement until the defense is scheduled."""

    statement = _statement_field()


class MemberChoiceField(forms.TypedChoiceField):
    """A person picked by id from the (pk, label) choices of who may hold the seat.

    The field gives the id; ScheduleForm.members() reads the four people in one query.
    """

    def __init__(self, *, people=(), **kwargs):
        super().__init__(choices=[("", "—"), *people], coerce=int, **kwargs)


class ScheduleForm(forms.Form):
    """HR sets or moves the defense and seats the committee."""

    when = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(label=_("Place"), max_length=200)
    override_reason = forms.CharField(
        label=_("Reason to schedule although requirements are not confirmed"),
        widget=_textarea(3),
        required=False,
        max_length=MAX_TEXT,
    )

    def __init__(self, *args, people=None, **kwargs):
        """`people`: {seat role: [(pk, label)]} of who may hold each seat (none: an empty form to show)."""
        super().__init__(*args, **kwargs)
        for role, label in SeatRole.choices:
            self.fields[role] = MemberChoiceField(people=(people or {}).get(role, ()), label=label)
        # The time typed is read in the site's zone (TIME_ZONE): the label names it.
        self.fields["when"].label = _("Date and time (%(zone)s)") % {"zone": timezone.get_current_timezone_name()}
        self.order_fields(["when", "place", *SeatRole.values, "override_reason"])

    def clean_when(self):
        when = self.cleaned_data["when"]
        if when <= timezone.now():
            raise forms.ValidationError(_("The defense must be scheduled in the future."))
        if when > timezone.now() + datetime.timedelta(days=2 * 366):
            raise forms.ValidationError(_("Schedule the defense within the next two years."))
        return when

    def members(self) -> dict:
        """{seat role: user} of the valid form, read in one query (None for a user gone since)."""
        ids = {role: self.cleaned_data[role] for role in SeatRole.values}
        users = get_user_model().objects.in_bulk(set(ids.values()))
        return {role: users.get(pk) for role, pk in ids.items()}

    def seat_fields(self):
        return [self[role] for role in SeatRole.values]


def _criterion_fields(form: forms.Form, prefix: str, label: str) -> None:
    """Add one optional text field per criterion (rules.CRITERIA), named `<prefix><key>`."""
    for key, name in rules.CRITERIA:
        form.fields[f"{prefix}{key}"] = forms.CharField(
            label=format_lazy(label, criterion=name), widget=_textarea(2), required=False, max_length=MAX_TEXT,
        )


def _criterion_values(form: forms.Form, prefix: str) -> dict[str, str]:
    return {key: form.cleaned_data.get(f"{prefix}{key}", "") for key in rules.CRITERION_KEYS}


class VoteForm(forms.Form):
    """The vote, its comment and an optional note per criterion."""

    value = forms.ChoiceField(label=_("Your vote"), choices=VoteValue.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), widget=_textarea(3), required=False, max_length=MAX_TEXT)

    NOTE = "note_"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _criterion_fields(self, self.NOTE, _("Note on: {criterion}"))

    @classmethod
    def initial_of(cls, vote) -> dict:
        """The form's initial values for a vote already cast."""
        return {"value": vote.value, "comment": vote.comment,
                **{f"{cls.NOTE}{key}": text for key, text in (vote.notes or {}).items()}}

    def notes(self) -> dict[str, str]:
        return _criterion_values(self, self.NOTE)


class DecideForm(forms.Form):
    """The overall reason and the reasons per criterion; the candidate reads them all."""

    note = forms.CharField(label=_("Decision note"), widget=_textarea(3), required=False, max_length=MAX_TEXT)

    REASON = "reason_"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _criterion_fields(self, self.REASON, _("Reason: {criterion}"))

    def reasons(self) -> dict[str, str]:
        return _criterion_values(self, self.REASON)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=_textarea(2), required=False, max_length=MAX_TEXT)


class SessionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    name_ru = forms.CharField(label=_("Name in Russian"), max_length=120, required=False)
    starts_on = forms.DateField(label=_("First day"), input_formats=["%Y-%m-%d"], validators=[validate_calendar_date],
                                widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Last day"), input_formats=["%Y-%m-%d"], validators=[validate_calendar_date],
                              widget=forms.DateInput(attrs={"type": "date"}))


class _Ids(forms.TypedMultipleChoiceField):
    """Ids of rows, offered or not: the service says why one may not be chosen."""

    def valid_value(self, value) -> bool:
        return str(value).isdigit() and 0 < int(value) < 2**31


class SessionAddForm(forms.Form):
    """The defenses to put in a session, by id (the service checks each)."""

    reviews = _Ids(coerce=int, choices=(), error_messages={
        "required": _("Choose the defenses to put in the session."),
        "invalid_choice": _("%(value)s is not a defense."),
    })

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviews"].choices = [(review.pk, str(review.candidate)) for review in candidates]


class SessionRemoveForm(forms.Form):
    review = forms.IntegerField(min_value=1)


# --- Team relations (criterion 3) ------------------------------------------------------------------


class AssessmentForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How does the candidate get on with the team?"),
        choices=RelationsRating.choices, coerce=int, widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note: what you saw or heard, with examples"), widget=_textarea(3), max_length=MAX_TEXT,
    )


class FeedbackAskForm(forms.Form):
    """The colleague to ask: by employee id, from the candidate's close colleagues the page
    offers (its select), or anyone else by their login. The service checks the person."""

    colleague = forms.IntegerField(label=_("Colleague"), min_value=1, required=False)
    login = forms.CharField(label=_("Another colleague's login"), max_length=150, required=False, strip=True)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("colleague") and not cleaned.get("login"):
            self.add_error("colleague", forms.Field.default_error_messages["required"])
        return cleaned


class FeedbackAnswerForm(forms.Form):
    text = forms.CharField(
        label=_("How does the candidate get on with the team? Examples help"), widget=_textarea(4),
        max_length=MAX_TEXT,
    )
    rating = forms.TypedChoiceField(
        label=_("Rating (optional)"),
        choices=[("", "—"), *RelationsRating.choices], coerce=int, empty_value=None, required=False,
    )
