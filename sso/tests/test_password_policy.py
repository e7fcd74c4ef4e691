"""
Local passwords switched off by the sign-in policy: ordinary accounts are refused at the
sign-in form (the site's and the admin's) and get no reset mail; break-glass accounts keep
both, and the login rate limit still applies to them.
"""

from __future__ import annotations

import html

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import translation

from grades.tests.factories import UserFactory
from sso.models import BreakGlassAccount, SignInPolicy

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "pw-for-tests-only"


@pytest.fixture
def passwords_off():
    policy = SignInPolicy.current()
    policy.local_passwords_enabled = False
    policy.save()
    return policy


@pytest.fixture
def normal_user():
    return UserFactory(username="norma", email="norma@example.com", roles=["HR"])


@pytest.fixture
def break_glass_admin():
    user = UserFactory(username="glass", email="glass@example.com", is_staff=True, is_superuser=True)
    BreakGlassAccount.objects.create(user=user, reason="provider outage")
    return user


def sign_in(client, username, password=PASSWORD, path=LOGIN):
    return client.post(path, {"username": username, "password": password})


def test_the_policy_row_exists_with_passwords_on():
    assert SignInPolicy.objects.get().local_passwords_enabled is True


def test_with_passwords_on_everyone_signs_in_with_a_password(client, normal_user):
    response = sign_in(client, "norma")
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.usefixtures("passwords_off")
def test_a_normal_users_password_sign_in_is_refused_with_a_clear_message(client, normal_user):
    response = sign_in(client, "norma")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert 'id="sso-only"' in page
    assert "Sign-in with a password is switched off" in page
    # Refused before the password is looked at: not counted as a failed attempt.
    assert not AccessAttempt.objects.exists()


@pytest.mark.usefixtures("passwords_off")
def test_the_refusal_is_the_same_with_a_wrong_password_or_an_unknown_name(client, normal_user):
    for username, password in (("norma", "wrong"), ("nobody", "wrong")):
        response = sign_in(client, username, password)
        assert 'id="sso-only"' in response.content.decode()


@pytest.mark.usefixtures("passwords_off")
def test_the_refusal_is_translated(client, normal_user):
    client.cookies["django_language"] = "ru"
    response = client.post(LOGIN, {"username": "norma", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="ru")
    with translation.override("ru"):
        expected = translation.gettext(
            "Sign-in with a password is switched off. Sign in with your organisation's account."
        )
    assert expected != "Sign-in with a password is switched off. Sign in with your organisation's account."
    assert html.escape(expected) in response.content.decode()


@pytest.mark.usefixtures("passwords_off")
def test_a_break_glass_admin_signs_in_with_a_password(client, break_glass_admin):
    response = sign_in(client, "glass")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(break_glass_admin.pk)


@pytest.mark.usefixtures("passwords_off")
def test_a_break_glass_admins_wrong_passwords_still_lock_out(client, break_glass_admin, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "glass", "wrong")
    response = sign_in(client, "glass")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.usefixtures("passwords_off")
def test_the_admin_sign_in_follows_the_policy(client, break_glass_admin):
    UserFactory(username="staffer", is_staff=True, roles=["HR"])

    refused = sign_in(client, "staffer", path="/admin/login/?next=/admin/")
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "Sign-in with a password is switched off" in refused.content.decode()

    accepted = sign_in(client, "glass", path="/admin/login/?next=/admin/")
    assert accepted.status_code == 302 and client.session["_auth_user_id"] == str(break_glass_admin.pk)


@pytest.mark.usefixtures("passwords_off")
def test_password_reset_mails_only_break_glass_accounts(client, normal_user, break_glass_admin):
    page = client.get("/accounts/password_reset/")
    assert 'id="passwords-off"' in page.content.decode()

    client.post("/accounts/password_reset/", {"email": "norma@example.com"})
    assert mail.outbox == []

    client.post("/accounts/password_reset/", {"email": "glass@example.com"})
    assert [message.to for message in mail.outbox] == [["glass@example.com"]]


def test_password_reset_mails_everyone_while_passwords_are_on(client, normal_user):
    client.post("/accounts/password_reset/", {"email": "norma@example.com"})
    assert [message.to for message in mail.outbox] == [["norma@example.com"]]


def test_the_admin_refuses_switching_passwords_off_without_a_break_glass_account(admin_client):
    response = admin_client.post("/admin/sso/signinpolicy/1/change/", {"local_passwords_enabled": ""})
    assert response.status_code == 200
    assert "break-glass account first" in response.content.decode()
    assert SignInPolicy.current().local_passwords_enabled is True


def test_the_admin_switches_passwords_off_with_history(admin_client, admin_user, break_glass_admin):
    response = admin_client.post("/admin/sso/signinpolicy/1/change/", {"local_passwords_enabled": ""})
    assert response.status_code == 302
    policy = SignInPolicy.current()
    assert policy.local_passwords_enabled is False
    assert policy.history.first().history_user == admin_user


def test_hr_cannot_change_the_policy_or_make_break_glass_accounts(client):
    hr = UserFactory(username="hr-staff", is_staff=True, roles=["HR"])
    client.force_login(hr)
    assert client.get("/admin/sso/signinpolicy/1/change/").status_code == 403
    response = client.post("/admin/sso/breakglassaccount/add/", {"user": hr.pk, "reason": "me"})
    assert response.status_code == 403
    assert not BreakGlassAccount.objects.exists()
    assert not Group.objects.filter(name="Break-glass").exists()
