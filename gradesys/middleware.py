"""Project-wide middleware: answering cleanly when the database is away, and keeping
signed-in pages out of caches."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database answers 503 with a short page and Retry-After.

    Covers connection failures only (OperationalError, InterfaceError: server gone,
    restarting, refusing connections); other errors stay 500. No detail reaches the
    user; the log gets the exception class, not the query or its values.
    CONN_HEALTH_CHECKS reconnects on the next request once the server is back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning("database unavailable: %s", type(exception).__name__)
        body = render_to_string("503.html", request=None)
        response = HttpResponse(body, status=503)
        response["Retry-After"] = "30"
        return response


class PrivatePagesMiddleware:
    """Every answer to a signed-in person says `Cache-Control: private, no-store`.

    What a signed-in person sees is theirs: progress pages, people, reviews, the
    trail, reports, imports, admin. Neither a shared proxy nor the browser's disk
    cache should keep it (a shared computer's back button, a proxy that ignores
    Vary). A view that sets its own Cache-Control keeps it, with `private` and
    `no-store` added unless it declared itself `public`. Static files and the health
    check are left alone: they are nobody's.
    """

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        static = "/" + settings.STATIC_URL.lstrip("/") if settings.STATIC_URL else None
        self.exempt = tuple(p for p in (static, "/healthz") if p)

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.exempt) or not self._signed_in(request):
            return response
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "private, no-store"
            return response
        directives = {part.split("=", 1)[0].strip().lower() for part in response["Cache-Control"].split(",")}
        if "public" not in directives:
            patch_cache_control(response, private=True, no_store=True)
        return response

    @staticmethod
    def _signed_in(request) -> bool:
        user = getattr(request, "user", None)
        if user is None:
            return False
        try:
            # Usually read already by the view; when it was not and the database is
            # away (a 503 answer), the answer is nobody's page: leave it as it is.
            return user.is_authenticated
        except (OperationalError, InterfaceError):
            return False
