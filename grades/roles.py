"""
The roles of the product as Django groups, and what each may do.

A person's role is their group membership; object-level rules (a team lead sees
only their own reports) live in the QuerySets and services, these permissions
say what kinds of things a role may touch at all, mostly for Django admin.
"""

from __future__ import annotations

import functools

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from .models import Employee

HR = "HR"
TEAM_LEAD = "Team lead"
COMMITTEE = "Committee"
MANAGER = "Manager"
DEVELOPER = "Developer"

ROLES = (HR, TEAM_LEAD, COMMITTEE, MANAGER, DEVELOPER)

# Designations within the Committee: who holds each director's role (reviews 0013 creates
# the groups). They grant no permission and let nobody sit who could not: a holder sits only
# while in the Committee group too. They tell the schedule form whom to offer first in each
# director's seat (reviews.policies.SEAT_DESIGNATIONS).
CTO = "CTO"
PRODUCT_DIRECTOR = "Product director"
HR_DIRECTOR = "HR director"

DESIGNATIONS = (CTO, PRODUCT_DIRECTOR, HR_DIRECTOR)

_FRAMEWORK_VIEW = [
    "grades.view_ladder",
    "grades.view_level",
    "grades.view_track",
    "grades.view_tracklevel",
    "grades.view_requirement",
    "grades.view_book",
    "grades.view_category",
    "grades.view_requirementgroup",
]

# "app_label.codename" for each role. Nobody gets change/delete on history
# (grade changes, evidence events): those are appended through the services.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    HR: _FRAMEWORK_VIEW
    + [
        "grades.change_ladder",
        "grades.change_level",
        "grades.add_tracklevel",
        "grades.change_tracklevel",
        "grades.add_requirement",
        "grades.change_requirement",
        # Themes and "at least N" groups (grades 0019 gives these to HR).
        "grades.add_category",
        "grades.change_category",
        "grades.add_requirementgroup",
        "grades.change_requirementgroup",
        "grades.add_book",
        "grades.change_book",
        "grades.delete_book",
        "grades.view_employee",
        "grades.add_employee",
        "grades.change_employee",
        "grades.view_gradechange",
        "grades.add_gradechange",
        "grades.view_mentorship",
        "grades.add_mentorship",
        "grades.change_mentorship",
        "grades.view_evidence",
        "grades.change_evidence",
        "grades.view_evidenceevent",
        # Delivery facts (grades 0024 gives these to HR).
        "grades.view_deliveryfact",
        "grades.add_deliveryfact",
        "grades.change_deliveryfact",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "reviews.view_promotionreview",
        "reviews.view_committeeseat",
        "reviews.view_vote",
        "reviews.view_reviewevent",
        # The committee's decision rule and the salary band weights: one row each, changed
        # in the admin with history (reviews 0007, pay 0004 give these to HR).
        "reviews.view_decisionpolicy",
        "reviews.change_decisionpolicy",
        # Defense sessions are made on the site; the admin reads them (reviews 0012).
        "reviews.view_defensesession",
        "pay.view_salaryband",
        "pay.add_salaryband",
        "pay.change_salaryband",
        "pay.view_paypolicy",
        "pay.change_paypolicy",
        # Sign-in lockouts (django-axes): HR sees them and lifts them (grades/admin_lockouts.py).
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
    ],
    TEAM_LEAD: _FRAMEWORK_VIEW
    + [
        "grades.view_employee",
        "grades.view_gradechange",
        "grades.view_mentorship",
        "grades.view_evidence",
        "grades.change_evidence",
        "grades.view_evidenceevent",
        "grades.view_deliveryfact",
        "reviews.view_promotionreview",
    ],
    COMMITTEE: _FRAMEWORK_VIEW
    + [
        "grades.view_employee",
        "grades.view_gradechange",
        "grades.view_evidence",
        "reviews.view_promotionreview",
        "reviews.view_committeeseat",
    ],
    MANAGER: _FRAMEWORK_VIEW + ["grades.view_employee", "grades.view_gradechange"],
    DEVELOPER: _FRAMEWORK_VIEW + ["grades.add_evidence"],
}


def user_has_role(user, role: str) -> bool:
    """True when the user is in the role's group (superusers hold every role)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return role in role_names(user)


def role_names(user) -> set[str]:
    """The names of the user's groups, read once per user object (that is, per request)."""
    return set(viewer_facts(user).roles)


@dataclass(frozen=True)
class ViewerFacts:
    """What the menus and permission checks ask about the signed-in person."""

    roles: frozenset[str]
    # Their employee row's id (a progress page of their own), None when they have none.
    employee_id: int | None
    # Someone has them as team lead (the people list).
    is_lead: bool

    @property
    def is_employee(self) -> bool:
        return self.employee_id is not None


@functools.cache
def _viewer_rows():
    """Every user's groups, employee id and whether they lead anyone: built once, filtered by
    key per read (resolving the correlated EXISTS was half of what the ORM spent on it).

    One row per group (one row with no group name when there is none), the employee row
    LEFT JOINed: its id and the flag are the same on every row.
    """
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.annotate(is_lead=Exists(Employee.objects.filter(team_lead_id=OuterRef("employee__id"))))
        .values_list("groups__name", "employee__id", "is_lead")
        .order_by()
    )


def viewer_facts(user) -> ViewerFacts:
    """The person's groups, their employee id and whether they lead anyone, in one query.

    Read once per user object, that is once per request: a request's user is loaded
    afresh from the session each time, so nothing outlives the request.
    """
    facts = getattr(user, "_viewer_facts", None)
    if facts is not None:
        return facts
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        facts = ViewerFacts(frozenset(), None, False)
    else:
        rows = list(_viewer_rows().filter(pk=user.pk))
        facts = ViewerFacts(
            roles=frozenset(name for name, _employee, _lead in rows if name),
            employee_id=rows[0][1] if rows else None,
            is_lead=bool(rows and rows[0][2]),
        )
    user._viewer_facts = facts
    return facts


def sync_role_permissions(apps, using: str = "default") -> None:
    """Create the role groups and give each exactly the permissions listed above.

    Used by data migrations with historical models. Permissions of apps whose
    tables do not exist yet are skipped; a later migration of that app syncs again.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # create_permissions skips app configs without a models module, which
        # historical app configs never have.
        original = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            permission = Permission.objects.using(using).filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
