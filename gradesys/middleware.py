"""Answering cleanly when the database is away."""

import logging

from django.db import InterfaceError, OperationalError
from django.template.loader import render_to_string
from django.http import HttpResponse

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
