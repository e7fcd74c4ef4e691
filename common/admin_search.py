"""Admin guards against hostile input: bounded search terms, autocompletes that ignore bad ids,
date filters within the product's calendar."""

from django.contrib import messages
from django.contrib.admin.views.main import ERROR_FLAG, IGNORED_PARAMS, PAGE_VAR
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponseRedirect
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from .validators import EARLIEST_DATE, LATEST_DATE

MAX_SEARCH_WORDS = 10
MAX_SEARCH_LENGTH = 200


class BoundedSearchMixin:
    """Searches with the first words of what was typed only.

    Django ORs every search field for every word; a pasted page of text would build a
    query too large for SQLite (an error page) and needlessly slow anywhere else.
    """

    def get_search_results(self, request, queryset, search_term):
        search_term = " ".join((search_term or "")[: MAX_SEARCH_LENGTH * 2].split()[:MAX_SEARCH_WORDS])
        return super().get_search_results(request, queryset, search_term[:MAX_SEARCH_LENGTH])


class SafeAutocompleteSelect(AutocompleteSelect):
    """An autocomplete that ignores posted values its model's key cannot hold.

    When a form with such a value is shown again (with the error "select a valid
    choice"), Django's widget would look the value up and fail with a server error.
    """

    def optgroups(self, name, value, attr=None):
        field = self.field.remote_field.model._meta.get_field(self.field.remote_field.field_name)
        kept = []
        for item in value:
            if item in (None, ""):
                continue
            try:
                converted = field.to_python(item)
                field.run_validators(converted)
            except (ValidationError, TypeError, ValueError, OverflowError):
                continue
            if isinstance(converted, int) and not -(2**63) <= converted < 2**63:
                continue
            kept.append(item)
        return super().optgroups(name, kept, attr)


class SafeAutocompleteMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        widget = getattr(formfield, "widget", None)
        inner = getattr(widget, "widget", None)  # RelatedFieldWidgetWrapper
        if isinstance(inner, AutocompleteSelect) and not isinstance(inner, SafeAutocompleteSelect):
            inner.__class__ = SafeAutocompleteSelect
        elif isinstance(widget, AutocompleteSelect) and not isinstance(widget, SafeAutocompleteSelect):
            widget.__class__ = SafeAutocompleteSelect
        return formfield


# The parts of a date that a list filter may compare (hire_date__year=2021, the date
# hierarchy's at__year / at__month / at__day), each with the whole numbers it can be.
DATE_PARTS = {
    "year": (EARLIEST_DATE.year, LATEST_DATE.year),
    "iso_year": (EARLIEST_DATE.year, LATEST_DATE.year),
    "quarter": (1, 4),
    "month": (1, 12),
    "week": (1, 53),
    "day": (1, 31),
    "week_day": (1, 7),
    "iso_week_day": (1, 7),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
}
# Query parameters of the change list that are not filters.
NOT_FILTERS = {*IGNORED_PARAMS, PAGE_VAR, ERROR_FLAG}


def _date_field(model, lookup: str) -> tuple[models.DateField | None, list[str]]:
    """The date or datetime field a filter's lookup compares (following relations), and
    the transforms and lookup after it; (None, []) when it compares something else."""
    opts = model._meta
    parts = lookup.split(LOOKUP_SEP)
    for index, part in enumerate(parts):
        try:
            field = opts.get_field(part)
        except FieldDoesNotExist:
            return None, []
        if field.is_relation:
            if field.related_model is None:
                return None, []
            opts = field.related_model._meta
            continue
        if isinstance(field, models.DateField):  # DateTimeField too
            return field, parts[index + 1:]
        return None, []
    return None, []


def date_filter_problem(model, params) -> str | None:
    """Why a change list's filters cannot be run, when one compares a date with a value
    outside the product's calendar (common.validators); None when they can.

    The database or Python's datetime cannot hold such a date: a year of 99999999999
    or -5 in `hire_date__year`, or the date hierarchy's year 9999 and the next year it
    counts up to, end in a server error deep inside the query instead of a refusal.
    Values that are not dates at all are left to Django, which refuses them itself.
    """
    for name, values in params.lists():
        if name in NOT_FILTERS:
            continue
        field, rest = _date_field(model, name)
        if field is None or rest[-1:] == ["isnull"]:
            continue
        many = rest[-1:] in (["in"], ["range"])
        part = next((p for p in rest if p in DATE_PARTS), None)
        for value in values:
            for item in value.split(",") if many else [value]:
                shown = Truncator(item).chars(40)
                if part is not None:
                    low, high = DATE_PARTS[part]
                    try:
                        number = int(item.strip())
                    except ValueError:
                        number = None
                    if number is None or not low <= number <= high:
                        return _(
                            "Filter %(name)s: %(value)s is not a whole number from %(low)s to %(high)s. "
                            "The list is shown without filters."
                        ) % {"name": name, "value": shown, "low": low, "high": high}
                    continue
                try:
                    parsed = (models.DateField() if "date" in rest else field).to_python(item)
                except ValidationError:
                    parsed = None
                if parsed is None:
                    continue  # not a date: Django's own check refuses it
                day = parsed.date() if hasattr(parsed, "date") else parsed
                if not EARLIEST_DATE <= day <= LATEST_DATE:
                    return _(
                        "Filter %(name)s: %(value)s is not a date from %(first)s to %(last)s. "
                        "The list is shown without filters."
                    ) % {"name": name, "value": shown, "first": EARLIEST_DATE.isoformat(),
                         "last": LATEST_DATE.isoformat()}
    return None


class BoundedDateFiltersMixin:
    """Date filters and the date hierarchy only within the product's calendar.

    A change list asked for a date outside it goes back to the list without filters,
    as Django does with filters it cannot run (`?e=1`), and says why.
    """

    def changelist_view(self, request, extra_context=None):
        problem = date_filter_problem(self.model, request.GET)
        if problem is not None:
            self.message_user(request, problem, messages.WARNING)
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return super().changelist_view(request, extra_context)


class GuardedAdminMixin(BoundedSearchMixin, SafeAutocompleteMixin, BoundedDateFiltersMixin):
    """Bounded search, safe autocompletes and bounded date filters: for every ModelAdmin of the product."""
