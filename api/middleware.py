"""Everything under /api/ answers in JSON, and nothing there is kept by a cache.

The API's own views answer JSON already. This covers what happens around them: a path
that matches no endpoint (Django's 404 page), a method an endpoint does not take (Django's
empty 405), a database that is away (the site's 503 page) or an error no handler caught
(the 500 page). Each becomes {"detail": ...} with the same status and headers such as
Retry-After kept. The docs page (HTML by design) is left alone.
"""

from __future__ import annotations

import json

from django.http import HttpResponse

API_PREFIX = "/api/"
HTML_PAGES = ("/api/v1/docs",)

DETAILS = {
    400: "Bad request.",
    401: "Give a valid, unrevoked token: Authorization: Bearer <token>.",
    403: "You may not do this.",
    404: "Not found.",
    405: "This method is not allowed here.",
    429: "Too many requests.",
    500: "Something went wrong on the server.",
    503: "The database is not available; try again shortly.",
}
KEPT_HEADERS = ("Retry-After", "Allow", "WWW-Authenticate")


class ApiJsonMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or request.path.startswith(HTML_PAGES):
            return response
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            status = response.status_code
            replaced = HttpResponse(
                json.dumps({"detail": DETAILS.get(status, "Request refused.")}),
                status=status,
                content_type="application/json",
            )
            for header in KEPT_HEADERS:
                if response.has_header(header):
                    replaced[header] = response[header]
            response = replaced
        # Answers carry people's data: no proxy or browser keeps them.
        response["Cache-Control"] = "private, no-store"
        return response
