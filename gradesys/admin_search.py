"""Admin guards against hostile input: bounded search terms, autocompletes that ignore bad ids."""

from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError

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


class GuardedAdminMixin(BoundedSearchMixin, SafeAutocompleteMixin):
    """Bounded search and safe autocompletes: for every ModelAdmin of the product."""
