"""How salary band amounts are written on the ladder page."""

from django import template

from pay import rules

register = template.Library()


@register.filter
def amount(value) -> str:
    """1900 -> '1,900': band amounts as people write them."""
    return rules.format_amount(value)
