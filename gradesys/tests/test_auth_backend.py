"""The sign-in backend (gradesys/auth.py): the user each request reads is the one Django's would read."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gradesys.auth import UserBackend
from grades.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long and correct passphrase"
FIELDS = [field.attname for field in get_user_model()._meta.concrete_fields]


def values(user) -> dict:
    return {name: getattr(user, name) for name in FIELDS}


def test_get_user_gives_what_django_s_backend_gives_in_one_query():
    user = UserFactory(first_name="Zoë", last_name="O'Brien <b>", is_staff=True, is_superuser=True)
    user.last_login = timezone.now().replace(microsecond=123456)
    user.save()
    expected = ModelBackend().get_user(user.pk)
    with CaptureQueriesContext(connection) as queries:
        got = UserBackend().get_user(str(user.pk))  # the session keeps the id as text
    assert len(queries) == 1
    assert type(got) is type(expected)
    assert values(got) == values(expected)
    # Converted as the ORM converts: an aware time, real booleans, not 0 and 1.
    assert got.last_login == user.last_login and got.last_login.tzinfo is not None
    assert got.is_superuser is True and got.is_active is True
    assert got._state.adding is False and got._state.db == "default"
    # The instance saves and reads as any other.
    got.first_name = "Zoe"
    got.save(update_fields=["first_name"])
    assert get_user_model().objects.get(pk=user.pk).first_name == "Zoe"


def test_get_user_refuses_what_django_s_backend_refuses():
    inactive = UserFactory(is_active=False)
    backend = UserBackend()
    for user_id in (inactive.pk, 10**9):
        assert ModelBackend().get_user(user_id) is None
        assert backend.get_user(user_id) is None, user_id
    # An id that is no id at all (a tampered session) is no user rather than an error.
    for user_id in ("not a number", "", None, "1 OR 1=1"):
        assert backend.get_user(user_id) is None, user_id


def test_a_real_sign_in_uses_the_backend_and_keeps_the_person_signed_in():
    user = UserFactory(username="dana")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    client = Client()
    response = client.post("/accounts/login/", {"username": "dana", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[BACKEND_SESSION_KEY] == "gradesys.auth.UserBackend"
    assert client.get("/me/").status_code == 200
    # A changed password signs the session out (the session keeps a hash of the password).
    user.set_password("another long passphrase")
    user.save(update_fields=["password"])
    response = client.get("/me/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    # Permissions are still ModelBackend's.
    assert UserBackend().get_all_permissions(user) == ModelBackend().get_all_permissions(user)


def test_a_session_of_a_backend_no_longer_configured_is_signed_out():
    user = UserFactory()
    client = Client()
    client.force_login(user, backend="gradesys.auth.UserBackend")
    session = client.session
    session[BACKEND_SESSION_KEY] = "some.retired.Backend"
    session.save()
    response = client.get("/me/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_last_login_is_an_aware_time_on_every_database():
    user = UserFactory()
    moment = datetime.datetime(2026, 3, 1, 12, 30, tzinfo=datetime.timezone.utc)
    get_user_model().objects.filter(pk=user.pk).update(last_login=moment)
    assert UserBackend().get_user(user.pk).last_login == moment
