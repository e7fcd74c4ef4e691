"""Showing framework texts in the interface language."""

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localized(obj, field: str) -> str:
    """The original text in Russian, the English rendering otherwise (falling back to the original).

    The framework is written in Russian; `<field>_en` holds the English rendering.
    """
    original = getattr(obj, field, "") or ""
    if (get_language() or "en").startswith("ru"):
        return original
    return getattr(obj, f"{field}_en", "") or original


@register.filter
def level_name(level) -> str:
    if level is None:
        return ""
    if (get_language() or "en").startswith("ru") and level.name_ru:
        return level.name_ru
    return level.name
