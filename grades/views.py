"""Browser pages for developers, team leads and HR: ladders, progress, evidence, people."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gradesys.http import read_only

from . import pagecache, selectors, services
from .forms import DecisionForm, EvidenceForm, PeopleFilterForm
from .models import Employee, Evidence, Level, Requirement, Track, TrackLevel
from .roles import HR, user_has_role


# --- Ladders ------------------------------------------------------------------------------------


@read_only
@login_required
def track_list(request):
    tracks = Track.objects.active().order_by("name")
    return render(request, "grades/track_list.html", {"tracks": tracks})


@read_only
@login_required
def track_detail(request, slug):
    track = get_object_or_404(Track.objects.active(), slug=slug)
    track_levels = list(
        TrackLevel.objects.filter(track=track)
        .select_related("level")
        .prefetch_related(
            Prefetch("requirements", queryset=Requirement.objects.active().order_by("position", "id")),
            "books",
        )
        .order_by("level__rank")
    )
    cumulative = 0
    ladder = []
    for track_level in track_levels:
        added = list(track_level.requirements.all())
        cumulative += len(added)
        by_category: dict[str, list[Requirement]] = {}
        for requirement in added:
            by_category.setdefault(requirement.get_category_display(), []).append(requirement)
        ladder.append(
            {
                "track_level": track_level,
                "level": track_level.level,
                "added": added,
                "by_category": sorted(by_category.items()),
                "cumulative": cumulative,
            }
        )
    return render(request, "grades/track_detail.html", {"track": track, "ladder": ladder})


# --- Progress -----------------------------------------------------------------------------------


def _progress_response(request, subject, *, status=200, bound=None, key=None):
    """Render a progress page; `bound` = (kind, object id, form) re-shows a rejected form.

    A plain view of the page is served from grades/pagecache.py when it is there,
    and kept there otherwise; a page that re-shows a rejected form, or carries
    messages, is always built afresh. `key` names the kept page: "me" for /me/, the
    person's id for /people/<id>/; without it the page is not kept.
    """
    is_self = subject.user_id == request.user.pk
    # After a refused POST the address is the action's; the language switch returns here.
    page_url = reverse("grades:me") if is_self else subject.get_absolute_url()

    def build(csrf_token: str) -> str:
        from reviews.views import review_box

        employee = Employee.objects.select_related(
            "user", "track", "current_level", "team_lead__user"
        ).get(pk=subject.pk)
        context = {
            "employee": employee,
            "progress": selectors.employee_progress(employee),
            "is_self": is_self,
            "can_decide": services.can_decide_evidence(request.user, employee),
            "bound": bound,
            "claim_form": EvidenceForm(),
            "page_url": page_url,
            "decision_form": DecisionForm(),
            "reviews": review_box(employee=employee, user=request.user),
            "csrf_token": csrf_token,
        }
        return render_to_string("grades/progress.html", context, request=request)

    return pagecache.respond(request, key if bound is None else None, build, status=status)


def _visible_employee(request, pk):
    return get_object_or_404(selectors.visible_employees(request.user).select_related("user"), pk=pk)


@read_only
@login_required
def me(request):
    if pagecache.cacheable(request):
        # One's own page is found without looking the person up first.
        page = pagecache.kept(request, "me")
        if page is not None:
            return HttpResponse(page)
    # Everyone may see their own page: no visibility rule to apply.
    employee = Employee.objects.filter(user=request.user).first()
    if employee is None:
        return render(request, "grades/no_employee.html", status=200)
    employee.user = request.user
    return _progress_response(request, employee, key="me")


@read_only
@login_required
def person(request, pk):
    # Who may see the person is checked on every view, kept page or not.
    if pagecache.cacheable(request) and selectors.can_view_employee(request.user, pk, request=request):
        page = pagecache.kept(request, str(pk))
        if page is not None:
            return HttpResponse(page)
        employee = get_object_or_404(Employee.objects.select_related("user"), pk=pk)
    else:
        employee = _visible_employee(request, pk)
    return _progress_response(request, employee, key=str(pk))


@read_only
@login_required
def people(request):
    if not (user_has_role(request.user, HR) or selectors.is_team_lead_of_anyone(request.user)):
        raise PermissionDenied(_("Only team leads and HR see the people list."))
    # A list is kept like a progress page, per viewer and exact query. Only a 200 is kept.
    key, kept = pagecache.kept_list(request, "people")
    if kept is not None:
        return HttpResponse(kept)
    form = PeopleFilterForm(request.GET or None)
    valid = not request.GET or form.is_valid()
    filters = form.cleaned_data if valid and request.GET else {}

    def build(csrf_token: str) -> str:
        ids = selectors.people_ids(
            request.user,
            track=filters.get("track") or "",
            level=filters.get("level") or "",
            order=filters.get("order") or "name",
        )
        page = Paginator(ids, 50).get_page(request.GET.get("page"))
        rows = selectors.people_rows(selectors.people_page(list(page.object_list)), on=selectors.today())
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "page": page,
            "rows": rows,
            "form": form,
            "tracks": Track.objects.active().order_by("name"),
            "levels": Level.objects.order_by("rank"),
            "query": query.urlencode(),
            "csrf_token": csrf_token,
        }
        return render_to_string("grades/people.html", context, request=request)

    return pagecache.respond(request, key, build, status=200 if valid else 400)


@read_only
@login_required
def person_trail(request, pk):
    """HR reads everything recorded about a person: who changed what, and when."""
    if not user_has_role(request.user, HR):
        # Others may not learn whether the person exists.
        _visible_employee(request, pk)
        raise PermissionDenied(_("Only HR reads a person's audit trail."))
    employee = _visible_employee(request, pk)
    from .trail import person_trail as trail_of

    return render(request, "grades/trail.html", {"employee": employee, "entries": trail_of(employee)})


# --- Evidence -----------------------------------------------------------------------------------


@login_required
@require_POST
def claim(request, pk, requirement_pk):
    employee = _visible_employee(request, pk)
    if employee.user_id != request.user.pk:
        raise PermissionDenied(_("Only the person themself can claim their requirements."))
    requirement = Requirement.objects.filter(pk=requirement_pk).first()
    form = EvidenceForm(request.POST)
    if requirement is None:
        messages.error(request, _("That requirement does not exist."))
        return _progress_response(request, employee, status=400)
    if form.is_valid():
        try:
            services.evidence_claim(
                employee=employee,
                requirement=requirement,
                description=form.cleaned_data["description"],
                links=form.cleaned_data["links"],
                by=request.user,
            )
        except services.GradeError as exc:
            # Shown at the top: the requirement may not be on the page at all.
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Claim sent to your team lead."))
            return redirect(_progress_url(request, employee))
    return _progress_response(request, employee, status=400, bound=("claim", requirement.pk, form))


def _evidence_for(request, pk) -> Evidence:
    visible = selectors.visible_employees(request.user)
    return get_object_or_404(
        Evidence.objects.select_related("employee__user", "employee__team_lead").filter(
            employee__in=visible
        ),
        pk=pk,
    )


def _progress_url(request, employee):
    if employee.user_id == request.user.pk:
        return "grades:me"
    return employee.get_absolute_url()


@login_required
@require_POST
def evidence_edit(request, pk):
    evidence = _evidence_for(request, pk)
    employee = evidence.employee
    if employee.user_id != request.user.pk:
        raise PermissionDenied(_("Only the claimant can edit a claim."))
    form = EvidenceForm(request.POST)
    if form.is_valid():
        try:
            services.evidence_edit(
                evidence=evidence,
                description=form.cleaned_data["description"],
                links=form.cleaned_data["links"],
                by=request.user,
            )
        except services.GradeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Claim updated."))
            return redirect(_progress_url(request, employee))
    return _progress_response(request, _refetch(request, employee), status=400, bound=("edit", evidence.pk, form))


@login_required
@require_POST
def evidence_withdraw(request, pk):
    evidence = _evidence_for(request, pk)
    if evidence.employee.user_id != request.user.pk:
        raise PermissionDenied(_("Only the claimant can withdraw a claim."))
    try:
        services.evidence_withdraw(evidence=evidence, by=request.user)
    except services.GradeError as exc:
        messages.error(request, str(exc))
        return _progress_response(request, _refetch(request, evidence.employee), status=400)
    messages.success(request, _("Claim withdrawn."))
    return redirect(_progress_url(request, evidence.employee))


@login_required
@require_POST
def evidence_decide(request, pk):
    evidence = _evidence_for(request, pk)
    employee = evidence.employee
    if not services.can_decide_evidence(request.user, employee):
        raise PermissionDenied(_("Only the person's team lead or HR can decide this claim."))
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.evidence_decide(
                evidence=evidence,
                confirm=form.cleaned_data["decision"] == "confirm",
                comment=form.cleaned_data["comment"],
                by=request.user,
            )
        except services.GradeError as exc:
            messages.error(request, str(exc))
        else:
            if form.cleaned_data["decision"] == "confirm":
                messages.success(request, _("Claim confirmed."))
            else:
                messages.success(request, _("Claim rejected."))
            return redirect(_progress_url(request, employee))
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return _progress_response(request, _refetch(request, employee), status=400, bound=("decide", evidence.pk, form))


def _refetch(request, employee):
    """The employee again with the relations the progress page reads."""
    return _visible_employee(request, employee.pk)
