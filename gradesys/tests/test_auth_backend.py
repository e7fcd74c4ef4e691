"""Signing in: django-axes' lockout first, then Django's own ModelBackend as shipped."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.test import Client

from grades.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long and correct passphrase"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def test_the_backends_are_axes_then_django_s_model_backend():
    # Then the identity provider's (sso), which answers only its own callback.
    assert settings.AUTHENTICATION_BACKENDS == [
        "axes.backends.AxesStandaloneBackend", MODEL_BACKEND, "sso.backends.ProviderBackend"
    ]


def test_a_real_sign_in_uses_model_backend_and_keeps_the_person_signed_in():
    user = UserFactory(username="dana")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    client = Client()
    response = client.post("/accounts/login/", {"username": "dana", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == MODEL_BACKEND
    assert client.get("/me/").status_code == 200
    # A changed password signs the session out (the session keeps a hash of the password).
    user.set_password("another long passphrase")
    user.save(update_fields=["password"])
    response = client.get("/me/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_inactive_person_cannot_sign_in_and_is_signed_out():
    user = UserFactory(username="erin")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    client = Client()
    assert client.post("/accounts/login/", {"username": "erin", "password": PASSWORD}).status_code == 302
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.get("/me/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    again = Client()
    response = again.post("/accounts/login/", {"username": "erin", "password": PASSWORD})
    assert response.status_code == 200  # the form again, with its error
    assert BACKEND_SESSION_KEY not in again.session


@pytest.mark.parametrize("retired", ["gradesys.auth.UserBackend", "some.retired.Backend"])
def test_a_session_of_a_backend_no_longer_configured_is_signed_out(retired):
    """Sessions made by a backend the settings no longer list sign in again, without an error."""
    user = UserFactory()
    client = Client()
    client.force_login(user)
    session = client.session
    session[BACKEND_SESSION_KEY] = retired
    session.save()
    response = client.get("/me/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
