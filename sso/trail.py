"""What the person's audit trail (grades.trail) shows of single sign-on: the roles their
provider groups granted or took away, and how their account was linked to the provider."""

from __future__ import annotations

from django.utils.translation import gettext as _

from grades.trail import TrailEntry

from .models import ProviderIdentity, RoleChange


def sign_in_trail(employee) -> list[TrailEntry]:
    """Role changes at sign-in and provider links of the person's account, in two queries."""
    entries = [
        TrailEntry(
            at=change.at,
            actor=_("identity provider"),
            subject=_("Role: %(role)s") % {"role": change.role},
            action=change.get_change_display(),
            detail=change.issuer,
        )
        for change in RoleChange.objects.filter(user_id=employee.user_id)
    ]
    entries += [
        TrailEntry(
            at=identity.linked_at,
            actor=_("identity provider"),
            subject=_("Single sign-on"),
            action=identity.get_kind_display(),
            detail=identity.issuer,
        )
        for identity in ProviderIdentity.objects.filter(user_id=employee.user_id)
    ]
    return entries
