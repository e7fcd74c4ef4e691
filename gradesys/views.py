"""Project-level views: the health check and the start page."""

import logging

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connections, transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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


@login_required
def home(request):
    """Send each person to the page they most likely came for."""
    from grades import policies
    from grades.roles import viewer_facts

    if policies.may_see_people_list(request.user):
        return redirect("grades:people")
    if viewer_facts(request.user).is_employee:
        return redirect("grades:me")
    return redirect("grades:track_list")
