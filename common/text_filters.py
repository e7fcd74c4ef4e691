"""Template filters every template may use without {% load %} (TEMPLATES "builtins" in settings)."""

from django import template

from .validators import show_bidi_controls

register = template.Library()


@register.filter
def bidi_visible(value) -> str:
    """Text a person typed, with direction-control characters shown as escapes (\\u202e).

    Links with such characters are refused now; this keeps the ones stored before
    from showing an address that reads differently from where it leads. The result
    is plain text: autoescaping still applies.
    """
    return show_bidi_controls("" if value is None else str(value))
