"""
The sign-in pages with single sign-on: the provider's button on the sign-in page, the
provider's round trip (mozilla-django-oidc's views, with the endpoints from discovery), and
sign-out that also ends the provider's session when the person came through it.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc import views as oidc_views

from gradesys import password_reset

from . import discovery, policies
from .backends import oidc_setting
from .forms import PolicyResetForm, SignInForm

logger = logging.getLogger(__name__)

# Session keys: the provider's ID token (mozilla-django-oidc's name) for its sign-out.
ID_TOKEN_SESSION_KEY = "oidc_id_token"


def provider_name() -> str:
    return settings.OIDC_PROVIDER_NAME or _("your organisation's account")


def sign_in_context() -> dict:
    """What the sign-in and password reset pages show about single sign-on."""
    return {
        "sso_enabled": discovery.enabled(),
        "sso_button": _("Sign in with %(provider)s") % {"provider": provider_name()},
        "local_passwords_enabled": policies.local_passwords_enabled(),
    }


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True
    authentication_form = SignInForm

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **sign_in_context()}


class PasswordResetView(password_reset.PasswordResetView):
    form_class = PolicyResetForm

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **sign_in_context()}


class LogoutView(auth_views.LogoutView):
    """Django's sign-out; after someone who came through the provider, on to the provider's
    sign-out (RP-initiated logout) when it has one, and back to the sign-in page."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get(ID_TOKEN_SESSION_KEY)
        response = super().post(request, *args, **kwargs)
        if not id_token or not discovery.enabled():
            return response
        try:
            end_session = discovery.configuration().get("end_session_endpoint")
        except discovery.DiscoveryError:
            logger.warning("sso: provider unreachable at sign-out; signed out here only")
            return response
        if not end_session:
            return response
        query = urlencode(
            {
                "id_token_hint": id_token,
                "client_id": settings.OIDC_CLIENT_ID,
                "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
            }
        )
        return HttpResponseRedirect(f"{end_session}{'&' if '?' in end_session else '?'}{query}")


class _ProviderView:
    """404 while single sign-on is off; back to the sign-in page with a sentence while the
    provider cannot be reached."""

    get_settings = staticmethod(oidc_setting)

    def dispatch(self, request, *args, **kwargs):
        if not discovery.enabled():
            raise Http404()
        try:
            discovery.configuration()
        except discovery.DiscoveryError as error:
            logger.warning("sso: discovery failed: %s", error)
            messages.error(request, _("The sign-in service cannot be reached. Try again later."))
            return HttpResponseRedirect(reverse("login"))
        return super().dispatch(request, *args, **kwargs)


class AuthenticateView(_ProviderView, oidc_views.OIDCAuthenticationRequestView):
    """Off to the provider's sign-in page."""

    def __init__(self, *args, **kwargs):
        # The library reads the endpoint here, before dispatch could say the provider is down.
        super(oidc_views.OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID

    @property
    def OIDC_OP_AUTH_ENDPOINT(self):
        return oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")


class CallbackView(_ProviderView, oidc_views.OIDCAuthenticationCallbackView):
    """Back from the provider: the code exchanged, the token checked, the person signed in."""

    def login_failure(self):
        reason = getattr(self.request, "sso_refusal", None)
        messages.error(self.request, str(reason) if reason else _("Sign-in with %(provider)s failed.") % {"provider": provider_name()})
        return super().login_failure()
