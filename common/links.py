"""Absolute links for mail: the site's address (settings.SITE_URL) in front of a page's path.

A mail is built after the request that caused it has ended, or by a scheduled job that
had none, so the host cannot come from a request. Registered as a template builtin, so a
mail template writes `{{ review.get_absolute_url|absolute }}`.
"""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


def absolute_url(path: str) -> str:
    """`path` ("/reviews/7/") as a full link to this site; a full link is returned as it is.

    Without SITE_URL (a production install that has not set it; check gradesys.W007)
    the path is returned alone, as mail carried before the setting existed.
    """
    path = str(path or "")
    if "://" in path:
        return path
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if not path.startswith("/"):
        path = "/" + path
    return base + path


@register.filter(name="absolute")
def absolute(path) -> str:
    return absolute_url(path)
