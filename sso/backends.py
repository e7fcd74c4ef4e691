"""
Sign-in through the identity provider (mozilla-django-oidc), its endpoints found by discovery.

The library reads its configuration through `get_settings`; here that answers from the
product's settings (OIDC_ISSUER, OIDC_CLIENT_ID, ...) and the provider's discovery document,
read lazily: nothing touches the network until someone actually signs in with the provider.
With OIDC_ISSUER unset the backend answers None to everything.
"""

from __future__ import annotations

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.shortcuts import resolve_url
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from . import discovery, services

# Tokens signed with anything else are refused.
SIGNING_ALGORITHM = "RS256"
# Seconds of clock difference with the provider tolerated on exp/iat/nbf.
CLOCK_LEEWAY_SECONDS = 30

_FROM_DISCOVERY = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def oidc_setting(name: str, *default):
    """The value the library asks for, from the product's settings and the discovery document."""
    if name in _FROM_DISCOVERY:
        return discovery.configuration().get(_FROM_DISCOVERY[name])
    fixed = {
        "OIDC_RP_CLIENT_ID": settings.OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.OIDC_CLIENT_SECRET,
        "OIDC_RP_SIGN_ALGO": SIGNING_ALGORITHM,
        "OIDC_RP_SCOPES": settings.OIDC_SCOPES,
        "OIDC_TIMEOUT": settings.OIDC_TIMEOUT_SECONDS,
        "OIDC_USE_PKCE": True,
        "OIDC_USE_NONCE": True,
        # Kept in the session for the provider's sign-out (id_token_hint).
        "OIDC_STORE_ID_TOKEN": True,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "sso:callback",
        "OIDC_REDIRECT_FIELD_NAME": "next",
        "LOGIN_REDIRECT_URL": settings.LOGIN_REDIRECT_URL,
        "LOGIN_REDIRECT_URL_FAILURE": resolve_url(settings.LOGIN_URL),
    }
    if name in fixed:
        return fixed[name]
    return import_from_settings(name, *default)


class ProviderBackend(OIDCAuthenticationBackend):
    """Authenticates the provider's callback; permissions are left to ModelBackend."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # The library reads the endpoints here; this backend is built for every sign-in,
        # password ones included, so they are read only when used (the properties below).
        self.UserModel = get_user_model()

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_USER_ENDPOINT"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_JWKS_ENDPOINT"))
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = SIGNING_ALGORITHM
    OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        if not discovery.enabled() or request is None or "nonce" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def get_payload_data(self, token, key):
        """The token's claims once its signature, issuer, audience and times are checked.

        The library checks the signature and expiry only; the audience must be this client
        (a token the provider issued to another application is refused) and the issuer the
        configured one.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"Unreadable token: {error}") from error
        if header.get("alg") != SIGNING_ALGORITHM:
            raise SuspiciousOperation("The token is not signed with RS256.")
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[SIGNING_ALGORITHM],
                audience=settings.OIDC_CLIENT_ID,
                issuer=discovery.configuration()["issuer"],
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"Token refused: {error}") from error

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims with the userinfo endpoint's over them (when there is one):
        some providers put the groups in one, some in the other."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = super().get_userinfo(access_token, id_token, payload)
            if str(userinfo.get("sub", "")) != str(payload.get("sub", "")):
                raise SuspiciousOperation("The userinfo answer is about someone else.")
            claims.update(userinfo)
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        try:
            result = services.sso_sign_in(issuer=discovery.configuration()["issuer"], claims=claims)
        except services.SignInRefused as refusal:
            # The callback view shows the reason on the sign-in page.
            self.request.sso_refusal = refusal.reason
            return None
        return result.user

    # Permissions come from ModelBackend alone (the account is the same either way).
    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False

    def has_module_perms(self, user_obj, app_label):
        return False

    def with_perm(self, perm, is_active=True, include_superusers=True, obj=None):
        return get_user_model()._default_manager.none()

    def get_user(self, user_id):
        # ModelBackend's: an account disabled since the sign-in loses its session.
        return ModelBackend.get_user(self, user_id)


def is_provider_callback(request, credentials=None) -> bool:
    """For django-axes (AXES_WHITELIST_CALLABLE): the provider's callback is not a password guess.

    It carries no username, so its refusals would all count against one key per client
    address and lock out everyone behind an office's address; and it cannot be used to guess
    anything (each code is the provider's, single use). Password sign-ins are counted as before.
    """
    if credentials and credentials.get("username"):
        return False
    return getattr(request, "path", None) == reverse("sso:callback")
