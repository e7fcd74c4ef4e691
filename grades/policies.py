"""
Who may do what with people's grades: the one place these decisions are made.

Pure predicates over the signed-in user and a row already read, and the QuerySet
filters built from the same rules for lists. Views, services, the menu, the admin
and the other apps ask here; none decides access on its own. The roles themselves
(groups, and the facts read once per request) are grades.roles.

The rules:
  * everyone sees their own progress; a team lead sees their reports'; HR sees
    everyone's;
  * a person claims lines of their own checklist only;
  * the person's team lead or HR decides a claim; nobody decides their own;
  * the people list is for team leads (their reports) and HR (everyone);
  * HR records grade changes and track moves and reads the audit trail;
  * a person marks the books of their own reading list as read; their team lead
    acknowledges them.
  * the person's team lead or HR records their delivery facts; the others who see
    the person read them.
  * HR records grade changes and track moves and reads the audit trail;
  * the person and their team lead keep the person's growth plan; whoever sees the
    person reads it.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Employee
from .roles import HR, MANAGER, user_has_role, viewer_facts


def is_hr(user) -> bool:
    return user_has_role(user, HR)


def is_manager(user) -> bool:
    return user_has_role(user, MANAGER)


def is_lead_of(user, employee: Employee) -> bool:
    """`user` is the team lead of `employee` (read with `team_lead` selected)."""
    lead = employee.team_lead if employee.team_lead_id is not None else None
    return user.is_authenticated and lead is not None and lead.user_id == user.pk


def leads_anyone(user) -> bool:
    """Someone has `user` as their team lead (read with the viewer's roles, no query of its own)."""
    return user.is_authenticated and viewer_facts(user).is_lead


def may_view_person(user, employee: Employee) -> bool:
    """visible_employees(user)'s rule for one person already read (with `team_lead` selected)."""
    if not user.is_authenticated:
        return False
    return employee.user_id == user.pk or is_hr(user) or is_lead_of(user, employee)


def visible_employees(user) -> QuerySet[Employee]:
    """The people whose progress `user` may see, as a filter of Employee (may_view_person's rule)."""
    qs = Employee.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if is_hr(user):
        return qs
    # By the viewer's employee id (read with their roles): two index lookups, no join.
    me = viewer_facts(user).employee_id
    return qs.filter(Q(pk=me) | Q(team_lead_id=me)) if me is not None else qs.none()


def may_claim(user, employee: Employee) -> bool:
    """A person claims the lines of their own checklist, nobody else's."""
    return user.is_authenticated and employee.user_id == user.pk


def may_decide_claim(user, employee: Employee) -> bool:
    """The person's team lead or HR may decide their claims; nobody decides their own."""
    if not user.is_authenticated or user.pk == employee.user_id:
        return False
    return is_hr(user) or is_lead_of(user, employee)


def may_see_people_list(user) -> bool:
    return is_hr(user) or leads_anyone(user)


def may_record_grade_change(user) -> bool:
    """HR records ledger entries (hire, promotion, correction) and moves people between tracks."""
    return is_hr(user)


def may_read_trail(user) -> bool:
    """A person's audit trail (every recorded change about them) is HR's."""
    return is_hr(user)


# --- Books read -------------------------------------------------------------------------------


def may_mark_book_read(user, employee: Employee) -> bool:
    """A person marks the books of their own reading list as read (and takes that back), nobody else."""
    return user.is_authenticated and employee.user_id == user.pk


def may_acknowledge_reading(user, employee: Employee) -> bool:
    """The person's team lead acknowledges the books they read; nobody acknowledges their own
    (`employee` read with `team_lead` selected)."""
    return user.is_authenticated and user.pk != employee.user_id and is_lead_of(user, employee)


def may_record_delivery(user, employee: Employee) -> bool:
    """The person's team lead or HR records and corrects their delivery facts; nobody their own.

    Everyone who may see the person (may_view_person) reads them.
    """
    if not user.is_authenticated or user.pk == employee.user_id:
        return False
    return is_hr(user) or is_lead_of(user, employee)


def may_plan(user, employee: Employee) -> bool:
    """The person and their team lead add, edit and mark done the goals of the person's
    growth plan (`employee` with `team_lead` selected); others who see the person read it."""
    return user.is_authenticated and (employee.user_id == user.pk or is_lead_of(user, employee))
