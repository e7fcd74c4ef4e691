"""The dashboard page: figures for HR, managers (k-anonymous) and team leads (their own people)."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from common.http import read_only

from . import figures, policies, selectors
from .forms import DashboardFilterForm


def _lead_names(request, scope, leads) -> dict:
    """Team leads' names by employee id; a team lead's own view names only themself."""
    if scope.lead_id is not None:
        return {scope.lead_id: request.user.get_full_name() or request.user.get_username()}
    return {pk: name for pk, name, _team, _login in leads}


def _team_sizes(headcounts) -> dict:
    """People per team lead (None: those without one) in rows of selectors.headcounts."""
    sizes: dict = defaultdict(int)
    for _track, lead_id, _level, people in headcounts:
        sizes[lead_id] += people
    return sizes


@read_only
@login_required
def index(request):
    scope = policies.dashboard_scope(request.user)
    if scope is None:
        raise PermissionDenied(_("Only HR, managers and team leads see the dashboard."))
    today = timezone.localdate()
    tracks = selectors.tracks()
    # Whoever may pick a team lead needs every team's size (a manager may not narrow the
    # figures to a team too small to show): everyone is counted once, and the figures'
    # headcounts are taken from those rows rather than counted again.
    everyone = None
    leads = []
    if scope.may_filter_by_lead:
        everyone = selectors.headcounts(selectors.Filters(date_from=today, date_to=today))
        all_sizes = _team_sizes(everyone)
        leads = [(pk, name, all_sizes.get(pk, 0), login) for pk, name, login in selectors.team_leads()]
    choices = [
        (pk, name, login) for pk, name, team, login in leads if not scope.anonymised or team >= policies.K_ANONYMITY
    ]
    form = DashboardFilterForm(request.GET, tracks=tracks, leads=choices, today=today,
                               lead_filter=scope.may_filter_by_lead)
    context = {"form": form, "scope": scope, "k": policies.K_ANONYMITY, "lead_text": ""}
    if not form.is_valid():
        return render(request, "dashboard/index.html", {**context, "figures": None}, status=400)

    data = form.cleaned_data
    date_from, date_to = form.period()
    track = next((t for t in tracks if t.slug == data.get("track")), None)
    filters = selectors.Filters(
        date_from=date_from,
        date_to=date_to,
        track_id=track.pk if track else None,
        lead_id=scope.lead_id if scope.lead_id is not None else data.get("lead"),
    )
    levels = selectors.levels()
    ctx = figures.Context(scope=scope, filters=filters, track_slug=track.slug if track else "", today=today,
                          tracks={t.pk: t for t in tracks}, levels=levels, leads=_lead_names(request, scope, leads))
    headcounts = selectors.narrowed(everyone, filters) if everyone is not None else selectors.headcounts(filters)
    team_sizes = _team_sizes(headcounts)
    days = form.waiting_days()
    older_than = timezone.now() - datetime.timedelta(days=days)
    min_months = {level.min_months_in_previous for level in levels.values()}

    shown = [
        *figures.level_distributions(ctx, headcounts),
        figures.promotions(ctx, selectors.promotions_by_quarter(filters)),
        figures.outcomes(ctx, selectors.review_outcomes(filters)),
        figures.time_to_promotion(ctx, selectors.promotion_waits(filters)),
        *figures.pipeline_and_spread(ctx, selectors.timing(filters, today=today, min_months=min_months)),
        figures.waiting_claims(ctx, selectors.waiting_claims(filters, older_than=older_than), team_sizes, days),
    ]
    if scope.sees_pay:
        shown += figures.pay_positions(ctx, selectors.bands_started_by(today), headcounts)
    context.update(
        lead_text=next((login for pk, _name, login in choices if pk == filters.lead_id), "")
        if scope.may_filter_by_lead else "",
        figures=shown,
        period=(date_from, date_to),
        track=track,
        lead_name=ctx.leads.get(filters.lead_id) if scope.may_filter_by_lead else None,
        days=days,
        any_anonymised=any(figure.anonymised for figure in shown),
    )
    return render(request, "dashboard/index.html", context)
