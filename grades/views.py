"""Browser pages for developers, team leads and HR: ladders, progress, evidence, people."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from common.http import read_only

from . import extensions, pages, policies, rules, selectors, services
from . import versions as framework_versions
from .forms import BookReadingForm, DecisionForm, DeliveryFactForm, EvidenceForm, GoalForm, PeopleFilterForm
from .models import Book, BookReading, Evidence, GrowthGoal, Level, Requirement, Track, TrackLevel, TrackRung
from .roles import viewer_facts


# --- Ladders ------------------------------------------------------------------------------------


@read_only
@login_required
def track_list(request):
    # Each track's ladder in a few words: how many levels, the lowest and the highest.
    rungs = TrackRung.objects.filter(track=OuterRef("pk"))
    ends = {
        f"{end}_{field}": Subquery(rungs.order_by(order).values(f"level__{field}")[:1])
        for end, order in (("first", "rank"), ("last", "-rank"))
        for field in ("name", "name_ru")
    }
    tracks = Track.objects.active().annotate(
        level_count=Subquery(rungs.order_by().values("track").annotate(n=Count("pk")).values("n")[:1]), **ends
    ).order_by("name")
    return render(request, "grades/track_list.html", {"tracks": tracks})


@read_only
@login_required
def track_detail(request, slug):
    """A track's ladder: its full ladder's levels (a fork's shared ones below the fork read
    from its parent), what each level adds to the one below it, and the track's fork."""
    track = get_object_or_404(
        Track.objects.active()
        .select_related("fork_of", "fork_at")
        .annotate(has_forks=Exists(Track.objects.active().filter(fork_of=OuterRef("pk")))),
        slug=slug,
    )
    # The level pages of the rungs' owners: the parent's below a fork, the track's own above.
    track_levels = list(
        TrackLevel.objects.filter(
            Exists(TrackRung.objects.filter(track=track, level_id=OuterRef("level_id"), owner_id=OuterRef("track_id")))
        )
        .select_related("level")
        .prefetch_related(
            # Each requirement with its theme and group, in the same statement.
            Prefetch(
                "requirements",
                queryset=Requirement.objects.active().select_related("category", "group").order_by("position", "id"),
            ),
            "books",
        )
        .order_by("level__rank")
    )
    # Every track has a page for each level of the ladder (the loader writes them all).
    first_rank = min((track_level.level.rank for track_level in track_levels), default=0)
    # Only a track that has forks reads them.
    forks = list(track.forks.active().select_related("fork_at").order_by("name")) if track.has_forks else []
    cumulative = 0
    ladder = []
    previous = None
    for track_level in track_levels:
        level = track_level.level
        added = list(track_level.requirements.all())
        # Expectations of the entry level: shown, never claimed, never counted.
        expectations = rules.holds_expectations(entry_only=level.entry_only, rank=level.rank, first_rank=first_rank)
        if not expectations:
            cumulative += len(added)
        # Lines on their own under their theme, themes in their own order (position); each
        # "at least N of these" group after them with its lines, whatever their themes.
        by_category: dict[str, tuple[object, list[Requirement]]] = {}
        groups: dict[int, tuple[object, list[Requirement]]] = {}
        for requirement in added:
            if requirement.group_id is not None:
                groups.setdefault(requirement.group_id, (requirement.group, []))[1].append(requirement)
            else:
                theme = requirement.category
                by_category.setdefault(theme.key, (theme, []))[1].append(requirement)
        ladder.append(
            {
                "track_level": track_level,
                "level": level,
                "previous": previous,
                "added": added,
                "expectations": expectations,
                "by_category": sorted(by_category.values(), key=lambda pair: (pair[0].position, pair[0].key)),
                "groups": list(groups.values()),
                "cumulative": cumulative,
                "shared": track_level.track_id != track.pk,
                "forks": [fork for fork in forks if fork.fork_at_id == track_level.level_id],
            }
        )
        previous = track_level.level
    context = {
        "track": track,
        "ladder": ladder,
        "forks": forks,
        "panels": extensions.built(extensions.LADDER_PANELS, request, track),
    }
    return render(request, "grades/track_detail.html", context)


def _version_number(raw: str | None) -> int | None:
    """A version number from the address (?from=, ?to=), or None when it is not one."""
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        return None
    return int(raw)


@read_only
@login_required
def track_versions(request, slug):
    """The versions of a track's framework, and what changed between two of them (?from=N&to=M).

    Without a choice the latest version is compared with the one before it. A number that
    is not one is refused with 400, a version the track does not have with 404, each with
    a message on the page.
    """
    track = get_object_or_404(Track.objects.active(), slug=slug)
    versions = framework_versions.track_versions(track)
    numbers = [version.number for version in versions]
    status, error, comparison = 200, "", None
    if "from" in request.GET or "to" in request.GET:
        number_from, number_to = _version_number(request.GET.get("from")), _version_number(request.GET.get("to"))
        if number_from is None or number_to is None:
            status = 400
            error = _("Choose two versions by their numbers, e.g. ?from=1&to=2.")
        else:
            comparison = framework_versions.compare(track, number_from, number_to)
            if comparison is None:
                status = 404
                missing = number_from if number_from not in numbers else number_to
                error = (
                    _("The %(track)s track has no version %(number)s; its versions are 1 to %(latest)s.")
                    % {"track": track, "number": missing, "latest": max(numbers)}
                    if numbers
                    else _("The %(track)s track has no version %(number)s; it has no versions yet.")
                    % {"track": track, "number": missing}
                )
    elif len(versions) >= 2:
        comparison = framework_versions.compare(track, versions[1].number, versions[0].number)
    context = {"track": track, "versions": versions, "comparison": comparison, "error": error}
    return render(request, "grades/track_versions.html", context, status=status)


# --- Progress -----------------------------------------------------------------------------------


def _visible_employee(request, pk):
    return get_object_or_404(policies.visible_employees(request.user).select_related("user"), pk=pk)


# What someone who sees the person, but may not do this on their page, is told (403).
_ONLY_CLAIMANT = gettext_lazy("Only the person themself can claim their requirements.")
_ONLY_READER = gettext_lazy("Only the person themself can mark their books as read.")
_ONLY_PLANNERS = gettext_lazy("Only the person and their team lead can change the growth plan.")


def _require(user, employee, may, refusal) -> None:
    """403 with `refusal` unless the policy `may(user, employee)` allows it."""
    if not may(user, employee):
        raise PermissionDenied(str(refusal))


def _person_acted_on(request, pk, may, refusal):
    """The person `pk`, when the user sees them (404 otherwise) and `may` act on their page (403)."""
    employee = _visible_employee(request, pk)
    _require(request.user, employee, may, refusal)
    return employee


@read_only
@login_required
def me(request):
    # Everyone may see their own page: no visibility rule to apply. The id comes with
    # the roles the menu reads anyway.
    own = viewer_facts(request.user).employee_id
    records = selectors.person_records(own) if own is not None else None
    if records is None:
        return render(request, "grades/no_employee.html", status=200)
    records.employee.user = request.user
    return pages.render_progress(request, records.employee, records=records)


@read_only
@login_required
def person(request, pk):
    records = selectors.person_records(pk)
    if records is None or not policies.may_view_person(request.user, records.employee):
        # Someone not allowed to see the person does not learn whether they exist.
        raise Http404
    return pages.render_progress(request, records.employee, records=records)


@read_only
@login_required
def claim_history(request, pk, requirement_pk):
    """The history of a person's claims on one requirement, read when someone opens it.

    The progress page's script asks for the bare list (X-Requested-With: fetch) and
    shows it in place; without the script the link opens it as a page of its own.
    """
    employee = _visible_employee(request, pk)
    requirement = get_object_or_404(Requirement.objects.only("text", "text_en"), pk=requirement_pk)
    context = {
        "employee": employee,
        "requirement": requirement,
        "events": selectors.claim_history(employee, requirement.pk),
        "back_url": reverse("grades:me") if employee.user_id == request.user.pk else employee.get_absolute_url(),
    }
    fragment = request.headers.get("X-Requested-With") == "fetch"
    template = "grades/_claim_history.html" if fragment else "grades/claim_history.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["X-Requested-With"])
    return response


def _line_form(request, employee, *, subject, anchor: str, title: str, form, action: str, css: str, button: str):
    """The form of one line of the progress page, asked for when someone opens it there.

    A progress page has up to a hundred checklist lines, each of which could carry a claim
    form and a goal form, and a reading list whose every book could carry a form; the page
    sends a link instead, and its script swaps in this form (asked for with
    X-Requested-With: fetch) when the box opens. Without the script the link opens the form
    as a page of its own. The form posts to the same action as one shown again after a
    refusal, so both end the same way. `subject` is the requirement or the book; `anchor`
    the id of its line on the progress page.
    """
    context = {
        "employee": employee,
        "subject": subject,
        "title": title,
        "form": form,
        "action": f"{action}#{anchor}",
        "css": css,
        "button": button,
        "back_url": f"{resolve_url(_progress_url(request, employee))}#{anchor}",
    }
    fragment = request.headers.get("X-Requested-With") == "fetch"
    response = render(request, "grades/_line_form.html" if fragment else "grades/line_form.html", context)
    patch_vary_headers(response, ["X-Requested-With"])
    return response


@read_only
@login_required
def claim_form(request, pk, requirement_pk):
    """The claim form of one line of the person's own checklist (see _line_form)."""
    employee = _person_acted_on(request, pk, policies.may_claim, _ONLY_CLAIMANT)
    requirement = get_object_or_404(Requirement.objects.only("text", "text_en"), pk=requirement_pk)
    return _line_form(
        request, employee, subject=requirement, anchor=f"req-{requirement.pk}", title=_("Claim"),
        # Ids of their own: the page may hold the forms of several lines at once.
        form=EvidenceForm(auto_id=f"claim-{requirement.pk}-%s"),
        action=reverse("grades:claim", args=[employee.pk, requirement.pk]),
        css="claim-form", button=_("Send claim"),
    )  # fmt: skip


@read_only
@login_required
def goal_form(request, pk, requirement_pk):
    """The form agreeing a growth goal on one line of the person's checklist (see _line_form)."""
    employee = _person_acted_on(request, pk, policies.may_plan, _ONLY_PLANNERS)
    requirement = get_object_or_404(Requirement.objects.only("text", "text_en"), pk=requirement_pk)
    return _line_form(
        request, employee, subject=requirement, anchor=f"req-{requirement.pk}", title=_("Agree a growth goal"),
        form=GoalForm(auto_id=f"goal-{requirement.pk}-%s"),
        action=reverse("grades:goal_add", args=[employee.pk, requirement.pk]),
        css="goal-form", button=_("Add the goal"),
    )  # fmt: skip


def _lead_refusal(text: str, matches: list) -> str:
    """Why a team lead typed in the people list's filter finds nobody to filter by."""
    if not matches:
        return _("No team lead among the people you see matches “%(text)s”.") % {"text": text}
    shown = ", ".join(str(person) for person in matches[: selectors.LEAD_MATCHES_SHOWN])
    if len(matches) > selectors.LEAD_MATCHES_SHOWN:
        shown += ", …"
    return _("Several team leads match: %(names)s. Type more of the name, or the login.") % {"names": shown}


class NearerEndPaginator(Paginator):
    """Django's paginator, reading a page in the second half of a list from the list's end.

    The database reaches row N of an ordered list by walking N entries of its index
    (OFFSET); read in the reverse order, the last pages are as near as the first, so no
    page walks more than half the list. The list's order must be total (its last column
    unique) for the reverse order to be exactly the list read from its end.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if bottom <= self.count - top:
            return super().page(number)
        rows = list(self.object_list.reverse()[self.count - top : self.count - bottom])
        rows.reverse()
        return self._get_page(rows, number, self)


@read_only
@login_required
def people(request):
    if not policies.may_see_people_list(request.user):
        raise PermissionDenied(_("Only team leads and HR see the people list."))
    form = PeopleFilterForm(request.GET or None)
    valid = not request.GET or form.is_valid()
    lead = None
    if valid and request.GET and form.cleaned_data["lead"]:
        lead, matches = selectors.find_lead(request.user, form.cleaned_data["lead"])
        if lead is None:
            form.add_error("lead", _lead_refusal(form.cleaned_data["lead"], matches))
            valid = False
    filters = form.cleaned_data if valid and request.GET else {}
    # Every track (a person may still be on one that is no longer active: each row's
    # track, and the filter's active choices) with its full ladder (each row's level and
    # next level, the "eligible now" thresholds and the filter's choices): one statement.
    tracks, ladders = selectors.tracks_and_ladders()
    on = selectors.today()
    people = selectors.people_list(
        request.user,
        track=filters.get("track") or "",
        level=filters.get("level") or "",
        order=filters.get("order") or "name",
        search=filters.get("q") or "",
        lead=lead.pk if lead is not None and valid else None,
        eligible=bool(filters.get("eligible")),
        ladders=ladders,
        on=on,
    )
    # The page's ids first, then their rows: walking deep into the list (OFFSET) over
    # the narrow ids, rather than over whole rows with their user joined, halved the
    # cost of HR's later pages on MariaDB. One statement more, whatever the depth. Every
    # order of the list ends on a unique column (PEOPLE_ORDERINGS), as the paginator needs.
    page = NearerEndPaginator(people.values_list("pk", flat=True), 50).get_page(request.GET.get("page"))
    ids = list(page.object_list)
    found = people.filter(pk__in=ids).order_by().in_bulk()
    page.object_list = [found[pk] for pk in ids if pk in found]
    rows = selectors.people_rows(page.object_list, on=on, ladders=ladders, tracks=tracks)
    active = [track for track in tracks if track.is_active]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": rows,
        "form": form,
        "tracks": active,
        # The lead filtered by, shown in the filter by login (a link gives the id).
        "lead_text": lead.user.get_username() if lead is not None and valid else form.data.get("lead", ""),
        "level_groups": selectors.level_choices(ladders, {track.pk for track in active}),
        "query": query.urlencode(),
    }
    return render(request, "grades/people.html", context, status=200 if valid else 400)


@read_only
@login_required
def person_trail(request, pk):
    """HR reads everything recorded about a person: who changed what, and when."""
    if not policies.may_read_trail(request.user):
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
    employee = _person_acted_on(request, pk, policies.may_claim, _ONLY_CLAIMANT)
    requirement = Requirement.objects.filter(pk=requirement_pk).first()
    form = EvidenceForm(request.POST)
    refusal: list[str] = []
    if requirement is None:
        messages.error(request, _("That requirement does not exist."))
        return pages.progress_response(request, employee, status=400)
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
            # Next to the line when it is on the page, at the top otherwise.
            refusal = [str(exc)]
        else:
            messages.success(request, _("Claim sent to your team lead."))
            return redirect(_line_url(request, employee, requirement.pk))
    return pages.progress_response(
        request, employee, status=400, bound=("claim", requirement.pk, form), refusal=(requirement.pk, refusal)
    )


def _evidence_for(request, pk) -> Evidence:
    visible = policies.visible_employees(request.user)
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


def _line_url(request, employee, requirement_id: int) -> str:
    """The progress page at one checklist line (its element id is req-<requirement id>), so the
    person who acted on a claim is back where they were rather than at the top of a long page."""
    return f"{resolve_url(_progress_url(request, employee))}#req-{requirement_id}"


@login_required
@require_POST
def evidence_edit(request, pk):
    evidence = _evidence_for(request, pk)
    employee = evidence.employee
    if not policies.may_claim(request.user, employee):
        raise PermissionDenied(_("Only the claimant can edit a claim."))
    form = EvidenceForm(request.POST)
    refusal: list[str] = []
    if form.is_valid():
        try:
            services.evidence_edit(
                evidence=evidence,
                description=form.cleaned_data["description"],
                links=form.cleaned_data["links"],
                by=request.user,
            )
        except services.GradeError as exc:
            refusal = [str(exc)]
        else:
            messages.success(request, _("Claim updated."))
            return redirect(_line_url(request, employee, evidence.requirement_id))
    return pages.progress_response(
        request, _refetch(request, employee), status=400, bound=("edit", evidence.pk, form),
        refusal=(evidence.requirement_id, refusal),
    )


@login_required
@require_POST
def evidence_withdraw(request, pk):
    evidence = _evidence_for(request, pk)
    if not policies.may_claim(request.user, evidence.employee):
        raise PermissionDenied(_("Only the claimant can withdraw a claim."))
    try:
        services.evidence_withdraw(evidence=evidence, by=request.user)
    except services.GradeError as exc:
        return pages.progress_response(
            request, _refetch(request, evidence.employee), status=400, refusal=(evidence.requirement_id, [str(exc)])
        )
    messages.success(request, _("Claim withdrawn."))
    return redirect(_line_url(request, evidence.employee, evidence.requirement_id))


def _decision(request, pk, *, decide, confirmed: str, bound_kind: str):
    """A team lead's (or HR's) decision on a claim through `decide` (a service taking evidence,
    confirm, comment and by); a refused one shows the page again (400) with the reason next to
    the claim and the comment as typed."""
    evidence = _evidence_for(request, pk)
    employee = evidence.employee
    if not policies.may_decide_claim(request.user, employee):
        raise PermissionDenied(_("Only the person's team lead or HR can decide this claim."))
    form = DecisionForm(request.POST)
    refusal: list[str] = []
    if form.is_valid():
        confirm = form.cleaned_data["decision"] == "confirm"
        try:
            decide(evidence=evidence, confirm=confirm, comment=form.cleaned_data["comment"], by=request.user)
        except services.GradeError as exc:
            refusal = [str(exc)]
        else:
            messages.success(request, confirmed if confirm else _("Claim rejected."))
            return redirect(_line_url(request, employee, evidence.requirement_id))
    refusal += [error for errors in form.errors.values() for error in errors]
    return pages.progress_response(
        request, _refetch(request, employee), status=400, bound=(bound_kind, evidence.pk, form),
        refusal=(evidence.requirement_id, refusal),
    )


@login_required
@require_POST
def evidence_decide(request, pk):
    return _decision(request, pk, decide=services.evidence_decide, confirmed=_("Claim confirmed."), bound_kind="decide")


@login_required
@require_POST
def evidence_reconfirm(request, pk):
    """The team lead (or HR) confirms again, or rejects, a claim confirmed against an earlier wording."""
    return _decision(
        request, pk, decide=services.evidence_reconfirm,
        confirmed=_("Claim confirmed against the new wording."), bound_kind="reconfirm",
    )


def _refetch(request, employee):
    """The employee again with the relations the progress page reads."""
    return _visible_employee(request, employee.pk)


# --- Books read ---------------------------------------------------------------------------------


@login_required
@require_POST
def book_read(request, pk, book_pk):
    """The person marks a book of their ladder's reading list as read, with a note."""
    employee = _person_acted_on(request, pk, policies.may_mark_book_read, _ONLY_READER)
    book = get_object_or_404(Book.objects.only("title", "author"), pk=book_pk)
    form = BookReadingForm(request.POST)
    if form.is_valid():
        try:
            services.book_mark_read(
                employee=employee, book=book, note=form.cleaned_data["note"],
                read_on=form.cleaned_data["read_on"], by=request.user,
            )
        except services.GradeError as exc:
            # Shown at the top: the book may not be on the page at all.
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Marked as read; your team lead can acknowledge it."))
            return redirect(_progress_url(request, employee))
    return pages.progress_response(request, employee, status=400, bound=("read", book.pk, form))


@read_only
@login_required
def book_read_form(request, pk, book_pk):
    """The form marking one book of the person's reading list as read (see _line_form)."""
    employee = _person_acted_on(request, pk, policies.may_mark_book_read, _ONLY_READER)
    book = get_object_or_404(Book.objects.only("title", "author"), pk=book_pk)
    return _line_form(
        request, employee, subject=book, anchor=f"book-{book.pk}", title=_("Mark as read"),
        form=BookReadingForm(auto_id=f"reading-{book.pk}-%s"),
        action=reverse("grades:book_read", args=[employee.pk, book.pk]),
        css="reading-form", button=_("Mark as read"),
    )  # fmt: skip


def _reading_for(request, pk) -> BookReading:
    """A reading of someone the user may see; 404 otherwise, as for anything that does not exist."""
    visible = policies.visible_employees(request.user)
    return get_object_or_404(
        BookReading.objects.select_related("employee__user", "employee__team_lead").filter(employee__in=visible),
        pk=pk,
    )


def _reading_action(request, pk, *, may, refusal, act, done):
    """One action on a book marked as read: the policy `may` (403 with `refusal`), then the
    service `act`; a refusal of the service re-shows the progress page with its message (400)."""
    reading = _reading_for(request, pk)
    employee = reading.employee
    if not may(request.user, employee):
        raise PermissionDenied(refusal)
    try:
        act(reading=reading, by=request.user)
    except services.GradeError as exc:
        messages.error(request, str(exc))
        return pages.progress_response(request, employee, status=400)
    messages.success(request, done)
    return redirect(_progress_url(request, employee))


@login_required
@require_POST
def reading_unmark(request, pk):
    """The person takes back a book marked as read, before their team lead acknowledges it."""
    return _reading_action(
        request, pk, may=policies.may_mark_book_read, act=services.book_unmark_read,
        refusal=_("Only the person themself can take back a book marked as read."),
        done=_("The book is no longer marked as read."),
    )


@login_required
@require_POST
def reading_acknowledge(request, pk):
    """The person's team lead acknowledges a book they read; once."""
    return _reading_action(
        request, pk, may=policies.may_acknowledge_reading, act=services.book_acknowledge,
        refusal=_("Only the person's team lead can acknowledge the books they read."),
        done=_("Book acknowledged."),
    )


# --- Delivery -----------------------------------------------------------------------------------


def _delivery_page(request, employee, *, bound: DeliveryFactForm | None = None, status: int = 200):
    """The person's delivery facts, and the forms of the viewer who may record them.

    `bound` is a refused form to show again: the new fact's, or a correction's (its `fact`).
    """
    from .models import DeliveryFact

    can_record = policies.may_record_delivery(request.user, employee)
    found = selectors.delivery(employee)
    bound_fact = None
    if bound is not None and bound.is_bound:
        raw = bound.data.get("fact") or ""
        bound_fact = int(raw) if raw.isascii() and raw.isdigit() else None
    corrections = {}
    if can_record:
        for fact in found.facts:
            if bound is not None and bound_fact == fact.pk:
                corrections[fact.pk] = bound
                continue
            initial = {name: getattr(fact, name) for name in (
                "period_start", "period_end", "measure", "committed", "done", "value", "unit", "link",
            )}
            corrections[fact.pk] = DeliveryFactForm(initial={**initial, "fact": fact.pk}, auto_id=f"id_fact{fact.pk}_%s")
    new_form = None
    if can_record:
        new_form = bound if bound is not None and bound_fact is None else DeliveryFactForm()
    context = {
        "employee": employee,
        "delivery": found,
        "facts": list(reversed(found.facts)),
        "can_record": can_record,
        "form": new_form,
        "corrections": corrections,
        "bound_fact": bound_fact,
        "back_url": reverse("grades:me") if employee.user_id == request.user.pk else employee.get_absolute_url(),
        "has_history": set(
            DeliveryFact.history.filter(id__in=[fact.pk for fact in found.facts], history_type="~")
            .values_list("id", flat=True)
        ) if found.facts else set(),
    }
    return render(request, "grades/delivery.html", context, status=status)


@transaction.non_atomic_requests
@login_required
@require_http_methods(["GET", "POST"])
def delivery(request, pk):
    """A person's delivery facts (sprint completion or the company's other measures).

    Whoever may see the person reads them; the person's team lead and HR record and
    correct them here. Someone who may not see the person gets 404, as on the other
    pages of a person. Outside the request transaction, as the pages that only read
    are (common.http.read_only): reading the page takes no write lock, and a fact is
    written in the service's own transaction, which a refusal rolls back whole.
    """
    from .models import DeliveryFact

    employee = get_object_or_404(
        policies.visible_employees(request.user).select_related("user", "team_lead__user", "track"), pk=pk
    )
    if request.method != "POST":
        return _delivery_page(request, employee)
    if not policies.may_record_delivery(request.user, employee):
        raise PermissionDenied(_("Only the person's team lead or HR records their delivery facts."))
    form = DeliveryFactForm(request.POST)
    if not form.is_valid():
        return _delivery_page(request, employee, bound=form, status=400)
    data = dict(form.cleaned_data)
    fact_id, reason = data.pop("fact"), data.pop("reason")
    data["measure"], data["unit"], data["link"] = data["measure"] or "", data["unit"] or "", data["link"] or ""
    try:
        if fact_id:
            fact = DeliveryFact.objects.filter(pk=fact_id, employee=employee).first()
            if fact is None:
                raise services.GradeError(_("That fact is not one of this person's."))
            services.delivery_fact_correct(fact=fact, by=request.user, reason=reason, **data)
        else:
            services.delivery_fact_record(employee=employee, by=request.user, **data)
    except services.GradeError as exc:
        messages.error(request, str(exc))
        return _delivery_page(request, employee, bound=form, status=400)
    messages.success(request, _("Fact corrected.") if fact_id else _("Fact recorded."))
    return redirect("grades:delivery", pk=employee.pk)


# --- Growth plan --------------------------------------------------------------------------------

@login_required
@require_POST
def goal_add(request, pk, requirement_pk):
    """The person or their team lead agrees a goal on an unmet line of the next level's checklist."""
    employee = _person_acted_on(request, pk, policies.may_plan, _ONLY_PLANNERS)
    requirement = Requirement.objects.filter(pk=requirement_pk).first()
    if requirement is None:
        messages.error(request, _("That requirement does not exist."))
        return pages.progress_response(request, employee, status=400)
    form = GoalForm(request.POST)
    if form.is_valid():
        try:
            services.growth_goal_add(employee=employee, requirement=requirement, by=request.user, **form.cleaned_data)
        except services.GradeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The goal is added to the growth plan."))
            return redirect(_progress_url(request, employee))
    return pages.progress_response(request, employee, status=400, bound=(pages.GOAL_ADD, requirement.pk, form))


def _goal_for(request, pk) -> GrowthGoal:
    """A goal of someone the user may see (404 otherwise), with its person and their lead."""
    visible = policies.visible_employees(request.user)
    return get_object_or_404(
        GrowthGoal.objects.select_related("employee__user", "employee__team_lead").filter(employee__in=visible), pk=pk
    )


@login_required
@require_POST
def goal_edit(request, pk):
    goal = _goal_for(request, pk)
    employee = goal.employee
    _require(request.user, employee, policies.may_plan, _ONLY_PLANNERS)
    form = GoalForm(request.POST)
    if form.is_valid():
        try:
            services.growth_goal_edit(goal=goal, by=request.user, **form.cleaned_data)
        except services.GradeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The goal is saved."))
            return redirect(_progress_url(request, employee))
    return pages.progress_response(request, _refetch(request, employee), status=400, bound=(pages.GOAL_EDIT, goal.pk, form))


@login_required
@require_POST
def goal_done(request, pk):
    """Mark a goal done (done=1) or open again (done=0)."""
    goal = _goal_for(request, pk)
    employee = goal.employee
    _require(request.user, employee, policies.may_plan, _ONLY_PLANNERS)
    done = request.POST.get("done")
    if done not in ("0", "1"):
        messages.error(request, _("Say whether the goal is done or open again."))
        return pages.progress_response(request, _refetch(request, employee), status=400)
    try:
        services.growth_goal_mark(goal=goal, done=done == "1", by=request.user)
    except services.GradeError as exc:
        messages.error(request, str(exc))
        return pages.progress_response(request, _refetch(request, employee), status=400)
    messages.success(request, _("The goal is marked done.") if done == "1" else _("The goal is open again."))
    return redirect(_progress_url(request, employee))
