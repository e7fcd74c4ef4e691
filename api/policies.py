"""Who may do what through the API: the token's scope on top of the person's own rights.

A token acts as the person who made it and can do no more than they can on the pages:
every read goes through the same visibility filters as the pages (grades.policies,
reviews.policies, pay.policies) and every write through the same services, which ask the
same predicates. The scope can only narrow that: a read token writes nothing.
"""

from __future__ import annotations

from imports.policies import may_import_people

from .models import TokenScope

# The admin's rights behind the people writes: adding a person makes an account, an
# employee and their hire entry (what the people import needs); an edit is a change
# of the employee row, as on the admin's change page.
PEOPLE_CHANGE_PERMISSIONS = ("grades.change_employee",)


def may_make_tokens(user) -> bool:
    """Every signed-in, active person may make tokens for themself."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def may_revoke_token(user, token) -> bool:
    """The token's owner revokes it; an administrator with the admin's right does too."""
    if not may_make_tokens(user):
        return False
    return token.user_id == user.pk or (user.is_staff and user.has_perm("api.change_apitoken"))


def scope_allows_write(token) -> bool:
    return token is not None and token.scope == TokenScope.WRITE


def may_create_people(user) -> bool:
    """Whoever may import people in the admin (HR): an account, an employee and a hire entry."""
    return may_import_people(user)


def may_change_people(user) -> bool:
    """Whoever may change an employee on the admin's change page (HR): team lead, dates, leaving."""
    return bool(user.is_active and user.is_staff and user.has_perms(PEOPLE_CHANGE_PERMISSIONS))
