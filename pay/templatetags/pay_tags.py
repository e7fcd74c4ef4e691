"""Salary bands on the ladder pages, for those allowed to see them."""

from django import template
from django.conf import settings
from django.utils import timezone

from pay import rules, selectors

register = template.Library()


@register.inclusion_tag("pay/_ladder_bands.html", takes_context=True)
def salary_bands(context, track):
    """The bands in force today for each level of `track`, or nothing for those not allowed.

    One query for the whole ladder (`selectors.ladder_bands`), and none at all for
    someone who may not see bands.
    """
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if not selectors.can_see_bands(user):
        return {"visible": False}
    today = timezone.localdate()
    return {
        "visible": True,
        "bands": selectors.ladder_bands(track, on=today),
        "published": settings.PAY_BANDS_VISIBLE_TO == "everyone",
    }


@register.filter
def amount(value) -> str:
    """1900 -> '1,900': band amounts as people write them."""
    return rules.format_amount(value)
