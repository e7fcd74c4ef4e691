"""
The progress page: one person's grade, checklist and the panels of the apps built on the core.

Rendered by the core's views (a person's own page, someone else's) and again after a
refused form on it, whichever app's form that was: the views that take those forms call
progress_response, so the page is built in this one place.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse

from common.converters import MAX_ID

from . import extensions, policies, selectors
from .models import Employee


def render_progress(request, employee, *, records=None, status=200, bound=None, refusal=None):
    """The progress page of `employee` (with team_lead__user, track and user selected).

    `records` are what selectors.person_records read with the person; without them
    the page reads them. `bound` = (kind, object id, form) re-shows a rejected form.
    `refusal` = (requirement id, messages) says why an action on that checklist line was
    refused: next to the line when the line is on the page, at the top otherwise.
    Below the checklist come the panels other apps registered (extensions.PROGRESS_PANELS).
    """
    is_self = policies.may_claim(request.user, employee)
    progress = selectors.employee_progress(employee, records=records)
    can_decide = policies.may_decide_claim(request.user, employee)
    _line_actions(progress.items, employee=employee, is_self=is_self, can_decide=can_decide, bound=bound)
    if refusal and refusal[1] and not _place_refusal(progress.items, *refusal):
        for message in refusal[1]:
            messages.error(request, message)
    may_mark = policies.may_mark_book_read(request.user, employee)
    can_acknowledge = policies.may_acknowledge_reading(request.user, employee)
    _book_actions(progress.reading, employee=employee, may_mark=may_mark, can_acknowledge=can_acknowledge, bound=bound)
    _plan_actions(progress, employee=employee, may_plan=policies.may_plan(request.user, employee), bound=bound)
    context = {
        "employee": employee,
        "progress": progress,
        "is_self": is_self,
        "can_decide": can_decide,
        "can_acknowledge": can_acknowledge,
        "bound": bound,
        # After a refused POST the address is the action's; the language switch returns here.
        "page_url": reverse("grades:me") if is_self else employee.get_absolute_url(),
        "panels": extensions.built(extensions.PROGRESS_PANELS, request, employee, bound),
    }
    return render(request, "grades/progress.html", context, status=status)


class _AddressOf:
    """The addresses of one URL pattern whose last argument is an id, from one reverse().

    A page with a hundred lines needs a few hundred such addresses; reverse() each time
    would be a good part of the page's time. The pattern is reversed once with a stand-in
    id (the largest an address accepts) in place of the last one, which is then swapped.
    """

    def __init__(self, name: str, *args):
        self._head, _slot, self._tail = reverse(name, args=[*args, MAX_ID]).rpartition(str(MAX_ID))

    def __call__(self, pk: int) -> str:
        return f"{self._head}{pk}{self._tail}"


def _line_actions(items, *, employee, is_self: bool, can_decide: bool, bound) -> None:
    """Give each checklist line the addresses of what the viewer may do with it.

    Sets on each item: history_url (when it has claims), claim_url (the person, on a
    line they may claim) and claim_form_url (where the page reads its form when the line's
    claim box opens), edit_url and withdraw_url (the person, on a waiting claim),
    decide_url (their lead or HR, on a waiting claim), reconfirm_url (their lead or HR, on
    a claim confirmed against an earlier wording), and bound_form (the rejected form to
    show again on that line). Built here rather than with {% url %} in the template:
    the page has up to a hundred lines.
    """
    kind, bound_id, form = bound if bound else (None, None, None)
    history = _AddressOf("grades:claim_history", employee.pk)
    claim = _AddressOf("grades:claim", employee.pk)
    claim_form = _AddressOf("grades:claim_form", employee.pk)
    edit = _AddressOf("grades:evidence_edit")
    withdraw = _AddressOf("grades:evidence_withdraw")
    decide = _AddressOf("grades:evidence_decide")
    reconfirm = _AddressOf("grades:evidence_reconfirm")
    for item in items:
        requirement_id = item.requirement.pk
        waiting = item.state == "claimed" and item.evidence is not None
        evidence_id = item.evidence.pk if item.evidence is not None else None
        item.history_url = history(requirement_id) if item.history else ""
        item.claim_url = claim(requirement_id) if is_self and item.claimable else ""
        item.claim_form_url = claim_form(requirement_id) if item.claim_url else ""
        item.edit_url = edit(evidence_id) if is_self and waiting else ""
        item.withdraw_url = withdraw(evidence_id) if is_self and waiting else ""
        item.decide_url = decide(evidence_id) if can_decide and waiting else ""
        item.reconfirm_url = reconfirm(evidence_id) if can_decide and item.state == "reconfirm" else ""
        item.bound_form = None
        item.refusal = ()
        # The comment a refused decision was sent with, typed again into the same form.
        item.decision_comment = ""
        if kind == "claim" and item.claim_url and bound_id == requirement_id:
            item.bound_form = form
        elif kind == "edit" and item.edit_url and bound_id == evidence_id:
            item.bound_form = form
        elif kind in ("decide", "reconfirm") and bound_id == evidence_id and (item.decide_url or item.reconfirm_url):
            item.decision_comment = form["comment"].value() or ""


def _place_refusal(items, requirement_id: int, refusal: list[str]) -> bool:
    """Put `refusal` on the checklist line of `requirement_id`; False when no line shows it."""
    for item in items:
        if item.requirement.pk == requirement_id:
            item.refusal = refusal
            return True
    return False


def _book_actions(reading, *, employee, may_mark: bool, can_acknowledge: bool, bound) -> None:
    """Give each book of the reading list the addresses of what the viewer may do with it.

    Sets on each book: read_url and read_form_url (the person, on a book not marked yet:
    where the form posts, and where the page reads it when the box opens), unmark_url (the
    person, on a book marked and not acknowledged), acknowledge_url (their team lead, on
    the same), and bound_form (the refused form to show again on that book).
    """
    if reading is None:
        return
    kind, bound_id, form = bound if bound else (None, None, None)
    read = _AddressOf("grades:book_read", employee.pk)
    read_form = _AddressOf("grades:book_read_form", employee.pk)
    unmark = _AddressOf("grades:reading_unmark")
    acknowledge = _AddressOf("grades:reading_acknowledge")
    for step in reading.levels:
        for book in step.books:
            marked = book.reading
            open_reading = marked is not None and not marked.is_acknowledged
            book.read_url = read(book.pk) if may_mark and marked is None else ""
            book.read_form_url = read_form(book.pk) if book.read_url else ""
            book.unmark_url = unmark(marked.pk) if may_mark and open_reading else ""
            book.acknowledge_url = acknowledge(marked.pk) if can_acknowledge and open_reading else ""
            book.bound_form = form if kind == "read" and book.read_url and bound_id == book.pk else None


# The progress page's names for a refused growth goal form (the `bound` kind).
GOAL_ADD = "goal_add"
GOAL_EDIT = "goal_edit"


def _plan_actions(progress, *, employee, may_plan: bool, bound) -> None:
    """Give each checklist line its growth goal and the addresses of what the viewer may do.

    Sets on each item: goal (the person's goal on the line, or None), goal_overdue (past
    its due date and not done), goal_add_url (the
    person or their lead, on an unmet line of the next level's checklist without a goal),
    goal_edit_url and goal_done_url (the same two people, on a line with a goal), and
    goal_form (the refused goal form to show again on that line). The goals come with the
    checklist's lines (selectors.employee_progress), shown only when there is a next level.
    """
    items = progress.items
    goals = {item.requirement.pk: getattr(item.requirement, "plan_goal", None) for item in items}
    if not progress.next_level:
        goals = {}
    unmet = {id(item) for item in progress.unmet} if may_plan else set()
    kind, bound_id, form = bound if bound else (None, None, None)
    add = _AddressOf("grades:goal_add", employee.pk)
    add_form = _AddressOf("grades:goal_form", employee.pk)
    edit = _AddressOf("grades:goal_edit")
    done = _AddressOf("grades:goal_done")
    today = selectors.today()
    for item in items:
        goal = goals.get(item.requirement.pk)
        item.goal = goal
        item.goal_overdue = goal is not None and goal.done_at is None and goal.due_on is not None and goal.due_on < today
        item.goal_add_url = add(item.requirement.pk) if goal is None and id(item) in unmet else ""
        item.goal_form_url = add_form(item.requirement.pk) if item.goal_add_url else ""
        item.goal_edit_url = edit(goal.pk) if goal is not None and may_plan else ""
        item.goal_done_url = done(goal.pk) if goal is not None and may_plan else ""
        item.goal_form = None
        if kind == GOAL_ADD and item.goal_add_url and bound_id == item.requirement.pk:
            item.goal_form = form
        elif kind == GOAL_EDIT and item.goal_edit_url and bound_id == goal.pk:
            item.goal_form = form


def progress_response(request, subject, *, status=200, bound=None, refusal=None):
    """Render `subject`'s progress page again, after a refused action (`bound`: the form,
    `refusal`: the line and the reasons, see render_progress).

    The views of other apps whose forms sit on the page (a panel's) call it too."""
    employee = Employee.objects.select_related("user", "track", "current_level", "team_lead__user").get(
        pk=subject.pk
    )
    return render_progress(request, employee, status=status, bound=bound, refusal=refusal)
