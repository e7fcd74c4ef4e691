"""
Writes of single sign-on: the account a provider identity signs in as, and the roles its
groups grant. Every role change leaves a RoleChange row; linking leaves a ProviderIdentity.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from common import audit
from grades.roles import DESIGNATIONS, ROLES

from . import rules
from .models import LinkKind, ProviderIdentity, RoleChange, RoleChangeKind

logger = logging.getLogger(__name__)

MANAGEABLE_ROLES = ROLES + DESIGNATIONS


class SignInRefused(Exception):
    """The provider vouched for someone the product will not sign in; `reason` says why."""

    def __init__(self, reason) -> None:
        super().__init__(str(reason))
        self.reason = reason


@dataclass(frozen=True)
class SignInResult:
    user: object
    granted: frozenset[str]
    revoked: frozenset[str]


def configured_role_map() -> dict[str, frozenset[str]]:
    """OIDC_ROLE_MAP with roles the product does not have left out (the system check names them)."""
    mapping = rules.role_map(settings.OIDC_ROLE_MAP, MANAGEABLE_ROLES)
    return {group: granted & set(MANAGEABLE_ROLES) for group, granted in mapping.items()}


def sso_sign_in(*, issuer: str, claims: Mapping[str, object]) -> SignInResult:
    """The account these verified claims sign in as, with its roles brought in line with the
    provider's groups; raises SignInRefused when there is none the product may use.

    Call only with claims from a token whose signature, issuer, audience and expiry were checked.
    """
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SignInRefused(_("The identity provider did not say who you are."))
    try:
        return _sign_in(issuer=issuer, subject=subject, claims=claims)
    except IntegrityError:
        # Two first sign-ins of one provider account at once: the other one made the link
        # (or the account) first, and this one now finds it.
        return _sign_in(issuer=issuer, subject=subject, claims=claims)


def _sign_in(*, issuer: str, subject: str, claims: Mapping[str, object]) -> SignInResult:
    with transaction.atomic():
        user = _account_for(issuer=issuer, subject=subject, claims=claims)
        if not user.is_active:
            raise SignInRefused(_("This account is disabled."))
        granted, revoked = _sync_roles(user=user, issuer=issuer, claims=claims)
    return SignInResult(user=user, granted=frozenset(granted), revoked=frozenset(revoked))


def _account_for(*, issuer: str, subject: str, claims: Mapping[str, object]):
    User = get_user_model()
    identity = ProviderIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if identity is not None:
        return identity.user
    email = str(claims.get("email") or "").strip()
    verified = rules.email_is_verified(claims) or settings.OIDC_ASSUME_EMAIL_VERIFIED
    same_email = list(User._default_manager.filter(email__iexact=email)[:2]) if email else []
    if same_email:
        if not verified:
            # An unverified address proves nothing: it must not open someone's account, and a
            # second account with the same address would only confuse the two.
            raise SignInRefused(
                _("Your e-mail address is not verified at the identity provider, and an account with it already exists. Ask an administrator to link your account.")
            )
        if len(same_email) > 1:
            raise SignInRefused(_("More than one account has your e-mail address. Ask an administrator to link your account."))
        user = same_email[0]
        if ProviderIdentity.objects.filter(user=user, issuer=issuer).exists():
            # The account is already someone else's at this provider.
            raise SignInRefused(_("This account is already linked to another identity. Ask an administrator."))
        audit.create(
            ProviderIdentity, by=user, reason="first sign-in", user=user, issuer=issuer, subject=subject, kind=LinkKind.EMAIL
        )
        logger.info("sso: linked user %s to a provider identity by verified e-mail", user.pk)
        return user
    if not settings.OIDC_CREATE_USERS:
        raise SignInRefused(_("There is no account for you here. Ask an administrator to create one."))
    user = User(
        username=_free_username(rules.username_base(claims)),
        email=email if verified else "",
        first_name=str(claims.get("given_name") or "")[:150],
        last_name=str(claims.get("family_name") or "")[:150],
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    # The account has no history of its own (auth.User is logged by the admin); this row's
    # history says when and for which provider account it was made.
    audit.create(
        ProviderIdentity, by=user, reason="first sign-in", user=user, issuer=issuer, subject=subject, kind=LinkKind.CREATED
    )
    logger.info("sso: created user %s for a provider identity", user.pk)
    return user


def _free_username(base: str) -> str:
    User = get_user_model()
    taken = set(
        User._default_manager.filter(username__istartswith=base).values_list("username", flat=True)
    )
    taken = {name.casefold() for name in taken}
    if base.casefold() not in taken:
        return base
    number = 2
    while f"{base}-{number}".casefold() in taken:
        number += 1
    return f"{base}-{number}"


def _sync_roles(*, user, issuer: str, claims: Mapping[str, object]) -> tuple[set[str], set[str]]:
    """Grant and take away the roles the mapping manages; a RoleChange row for each change.

    With OIDC_GROUPS_CLAIM empty (a provider with no groups, such as Google) roles are
    managed in the admin only and nothing changes here.
    """
    claim_name = settings.OIDC_GROUPS_CLAIM
    if not claim_name:
        return set(), set()
    mapping = configured_role_map()
    held = set(user.groups.values_list("name", flat=True))
    grant, revoke = rules.role_changes(held=held, groups=rules.provider_groups(claims, claim_name), mapping=mapping)
    if grant:
        groups = list(Group.objects.filter(name__in=grant))
        missing = grant - {group.name for group in groups}
        if missing:
            logger.warning("sso: role groups missing from the database: %s", ", ".join(sorted(missing)))
        user.groups.add(*groups)
        grant = {group.name for group in groups}
    if revoke:
        user.groups.remove(*Group.objects.filter(name__in=revoke))
    RoleChange.objects.bulk_create(
        [RoleChange(user=user, role=role, change=RoleChangeKind.GRANTED, issuer=issuer) for role in sorted(grant)]
        + [RoleChange(user=user, role=role, change=RoleChangeKind.REVOKED, issuer=issuer) for role in sorted(revoke)]
    )
    return grant, revoke
