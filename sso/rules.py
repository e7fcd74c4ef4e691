"""
Pure decisions of single sign-on: no database, no network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping


def role_map(configured: Mapping[str, object], roles: Iterable[str]) -> dict[str, frozenset[str]]:
    """Provider group name -> the product roles it grants.

    `configured` is OIDC_ROLE_MAP: a group name to one role name or a list of them. When it
    is empty every role is granted by the provider group of the same name.
    """
    if not configured:
        return {role: frozenset([role]) for role in roles}
    result = {}
    for group, granted in configured.items():
        names = [granted] if isinstance(granted, str) else list(granted)
        result[str(group)] = frozenset(str(name) for name in names)
    return result


def unknown_roles(mapping: Mapping[str, frozenset[str]], roles: Iterable[str]) -> set[str]:
    """Role names the mapping grants that the product does not have."""
    known = set(roles)
    return {role for granted in mapping.values() for role in granted if role not in known}


def provider_groups(claims: Mapping[str, object], claim_name: str) -> set[str]:
    """The group names in the claim: a list of names, or one name (some providers send a string)."""
    value = claims.get(claim_name)
    if value is None:
        return set()
    if isinstance(value, str):
        return {value}
    if isinstance(value, (list, tuple)):
        return {str(item) for item in value}
    return set()


def role_changes(
    *, held: set[str], groups: set[str], mapping: Mapping[str, frozenset[str]]
) -> tuple[set[str], set[str]]:
    """(roles to grant, roles to take away) so that of the roles the mapping manages, the
    person holds exactly those their provider groups grant. Other roles are left alone."""
    managed = {role for granted in mapping.values() for role in granted}
    wanted = {role for group in groups for role in mapping.get(group, ())}
    return wanted - held, (held & managed) - wanted


def email_is_verified(claims: Mapping[str, object]) -> bool:
    """True only for an explicit yes: a boolean true, or the string "true" some providers send."""
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


def username_base(claims: Mapping[str, object]) -> str:
    """A username for a new account: the provider's preferred username, else the e-mail's
    local part, with characters Django's usernames refuse dropped; "user" when nothing is left."""
    for candidate in (claims.get("preferred_username"), str(claims.get("email") or "").split("@")[0]):
        if isinstance(candidate, str):
            cleaned = _USERNAME_UNSAFE.sub("", candidate)[:140]
            if cleaned:
                return cleaned
    return "user"
