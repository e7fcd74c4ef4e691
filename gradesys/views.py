"""Project-level views: the health check and the start page."""

import logging

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connections, transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from common.http import read_only

from . import inbox

logger = logging.getLogger(__name__)


# Outside ATOMIC_REQUESTS: opening the request's transaction would itself fail
# when the database is down, before the view could answer 503.
@transaction.non_atomic_requests
@never_cache
@require_GET
def healthz(request):
    """200 with {"status": "ok"} when the database answers a query, 503 otherwise.

    For load balancers and monitoring: no authentication, no personal data, and
    the error detail goes to the log, not to the caller.
    """
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("healthz: the database did not answer", exc_info=True)
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@read_only
@login_required
def home(request):
    """The person's inbox: what waits for them in each of their roles (gradesys.inbox).

    Someone whose only work here is reading the figures (a manager with no other role)
    has no inbox part: their start page is the dashboard itself.
    """
    found = inbox.inbox_for(request.user)
    if not found.has_parts and found.dashboard_url:
        return redirect(found.dashboard_url)
    return render(request, "home.html", {"inbox": found})
