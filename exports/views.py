"""Report downloads: a list page and the streamed CSV files."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from grades.models import Level, Track
from common.http import read_only
from reviews.models import ReviewStatus
from reviews.policies import vote_viewer

from . import policies, services
from .reports import REPORTS, REVIEW_STATUSES, VIEWER, ReportFilterForm, team_lead_choices


@read_only
@login_required
def index(request):
    if not policies.may_use_reports(request.user):
        raise PermissionDenied(_("Only managers and HR download reports."))
    return render(request, "exports/index.html", _index_context(request))


def _index_context(request, *, refused=None) -> dict:
    """The reports page; `refused` is a report's filter form that was refused, shown again
    with each message next to its field."""
    return {
        "reports": [report for report in REPORTS.values() if policies.may_download(request.user, report)],
        "tracks": Track.objects.order_by("name"),
        # Grouped by ladder in the filter; a key names that level on any ladder.
        "levels": list(Level.objects.select_related("ladder").order_by("ladder__slug", "rank")),
        # The values the CSV filters by, named in the reader's language.
        "statuses": [(value, label) for value, label in ReviewStatus.choices if value in REVIEW_STATUSES],
        # The team leads the reports narrow to, offered once for every form (`lead`: a login
        # typed there, or an employee id from a dashboard link).
        "leads": team_lead_choices(),
        "refused": refused,
        # The language switch returns to the page, not to the refused download.
        "page_url": reverse("exports:index"),
    }


def _wants_a_page(request) -> bool:
    """A browser asks for HTML by name; scripts (curl, cron) ask for anything or for CSV and
    keep getting the refusal as one plain-text sentence naming each parameter."""
    return "text/html" in request.headers.get("Accept", "")


def _replica_behind(request):
    """503 while the reports replica is too far behind: the page for a browser, one sentence
    for a script; Retry-After, since replication usually catches up by itself."""
    message = _(
        "Reports are read from a copy of the database that is behind or cannot be reached right now, "
        "so this file would not show the latest changes. Please try again in a few minutes."
    )
    if _wants_a_page(request):
        response = render(request, "exports/replica_behind.html", {"message": message}, status=503)
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = "60"
    return response


# The rows are read by the response's generator after this view has returned, so a
# request transaction would be closed (or held open) around it: no ATOMIC_REQUESTS here.
@transaction.non_atomic_requests
@login_required
@require_GET
def download(request, name):
    if not policies.may_use_reports(request.user):
        raise PermissionDenied(_("Only managers and HR download reports."))
    try:
        report = services.get_report(name)
    except services.UnknownReport:
        raise Http404(_("No report called %(name)s.") % {"name": name}) from None
    if not policies.may_download(request.user, report):
        raise PermissionDenied(
            _("The %(name)s report is for %(roles)s only.")
            % {"name": name, "roles": " and ".join(report.roles)}
        )
    form = ReportFilterForm(request.GET, report=report)
    if not form.is_valid():
        if _wants_a_page(request):
            return render(request, "exports/index.html", _index_context(request, refused=form), status=400)
        return HttpResponseBadRequest(
            _("Invalid report parameters. %(errors)s") % {"errors": form.error_sentence()},
            content_type="text/plain; charset=utf-8",
        )
    # The reader decides what the votes of undecided reviews show (the secret ballot).
    data = {**form.cleaned_data, VIEWER: vote_viewer(request.user)}
    try:
        source = services.report_source()
    except services.ReplicaBehind:
        return _replica_behind(request)
    content = services.csv_chunks(
        report, data, delimiter=data.get("delimiter") or ";", bom=bool(data.get("bom")), alias=source.alias
    )
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{services.filename(report, source.as_of)}"'
    if source.as_of is not None:
        response["X-Data-As-Of"] = services.as_of_header(source.as_of)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
