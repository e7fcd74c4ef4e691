"""View helpers shared by the apps."""

from django.db import transaction
from django.views.decorators.http import require_GET


def read_only(view):
    """A GET-only page that writes nothing: it runs outside the request transaction.

    ATOMIC_REQUESTS wraps every other view in a transaction, and on SQLite (IMMEDIATE
    mode) that takes the write lock; a page that only reads should not queue behind,
    or hold up, writers.
    """
    return transaction.non_atomic_requests(require_GET(view))


def client_address(request) -> str | None:
    """The address the login rate limit is keyed on.

    Behind TRUSTED_PROXY_COUNT reverse proxies, each proxy appends the address it
    saw to X-Forwarded-For, so the client is the N-th entry from the right; anything
    further left was sent by the client itself and cannot be trusted. Without
    proxies it is the direct peer.
    """
    from django.conf import settings

    from django.core.exceptions import ValidationError
    from django.core.validators import validate_ipv46_address

    count = settings.TRUSTED_PROXY_COUNT
    if count:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            try:
                validate_ipv46_address(hops[-count])
            except ValidationError:
                # Not an address (a client talking to the site without the proxy): the peer is.
                return request.META.get("REMOTE_ADDR")
            return hops[-count]
    return request.META.get("REMOTE_ADDR")
