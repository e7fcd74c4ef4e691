"""Webhook endpoints for the tests."""

from __future__ import annotations

from grades import events
from webhooks.models import Endpoint, EndpointFormat

SECRET = "test-secret-0123456789abcdef0123456789abcdef"


def endpoint(url: str, *, format: str = EndpointFormat.SIGNED, kinds=None, active: bool = True,
             name: str = "receiver") -> Endpoint:
    item = Endpoint(name=name, url=url, format=format, secret=SECRET,
                    events=list(events.TYPES) if kinds is None else list(kinds), is_active=active)
    item.full_clean()
    item.save()
    return item
