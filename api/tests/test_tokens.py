"""Personal access tokens: made on the page and shown once, kept as a digest, revoked by their
owner or in admin, each creation and revocation in the token's history."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse
from django.utils import translation

from api import policies, services
from api.models import ApiToken, TokenScope
from api.tests.conftest import make_token
from grades.tests.factories import UserFactory

PAGE = "/accounts/tokens/"


@pytest.fixture
def person(db):
    return UserFactory(username="tess", roles=["Developer"])


def test_the_page_is_for_people_signed_in(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_token_is_shown_once_and_kept_only_as_its_digest(client, person):
    client.force_login(person)
    response = client.post(PAGE, {"name": "CI sync", "scope": "write"})
    assert response.status_code == 200
    plaintext = response.context["new_token"]
    assert plaintext.startswith("gs_") and plaintext in response.content.decode()
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.scope) == (person, "CI sync", TokenScope.WRITE)
    assert token.digest == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in str(list(ApiToken.objects.values()))
    assert plaintext.startswith(f"gs_{token.prefix}_")
    # The next visit lists it by its prefix, never the whole token.
    listed = client.get(PAGE).content.decode()
    assert f"gs_{token.prefix}_" in listed and plaintext not in listed
    # The creation is in the token's history, naming who.
    created = token.history.get()
    assert (created.history_type, created.history_user, created.history_change_reason) == ("+", person, "token created")


@pytest.mark.parametrize("data", [{"name": "", "scope": "read"}, {"name": "x", "scope": "admin"},
                                  {"name": "x" * 101, "scope": "read"}, {"name": "   ", "scope": "read"}])
def test_a_refused_form_makes_no_token(client, person, data):
    client.force_login(person)
    response = client.post(PAGE, data)
    assert response.status_code == 400
    assert response.context["new_token"] is None
    assert not ApiToken.objects.exists()


def test_the_owner_revokes_a_token_and_it_opens_nothing_more(client, person):
    plaintext = make_token(person)
    token = ApiToken.objects.get()
    client.force_login(person)
    response = client.post(reverse("api:revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == person
    revoked = token.history.latest()
    assert (revoked.history_type, revoked.history_user, revoked.history_change_reason) == ("~", person, "token revoked")
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 401
    # Revoked for good: a second revocation changes nothing.
    client.post(reverse("api:revoke", args=[token.pk]))
    assert token.history.count() == 2


def test_nobody_revokes_someone_else_s_token_on_the_page(client, person):
    make_token(person)
    token = ApiToken.objects.get()
    other = UserFactory(username="other", roles=["HR"], is_staff=True)
    client.force_login(other)
    assert client.post(reverse("api:revoke", args=[token.pk])).status_code == 404
    assert client.get(reverse("api:revoke", args=[token.pk])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None and token.history.count() == 1


def test_the_service_makes_tokens_for_oneself_only(person):
    other = UserFactory(username="other")
    with pytest.raises(PermissionError):
        services.token_create(user=person, name="x", scope="read", by=other)
    assert not ApiToken.objects.exists()
    assert not policies.may_revoke_token(other, ApiToken(user=person))


def test_an_administrator_sees_and_revokes_tokens_in_admin(client, person):
    plaintext = make_token(person, TokenScope.READ)
    token = ApiToken.objects.get()
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get("/admin/api/apitoken/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert token.prefix in page and plaintext not in page
    assert client.get("/admin/api/apitoken/add/").status_code == 403
    response = client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == admin
    assert token.history.latest().history_user == admin


def test_the_admin_is_for_administrators_only(client, person):
    make_token(person)
    hr = UserFactory(username="hr", roles=["HR"], is_staff=True)
    client.force_login(hr)
    assert client.get("/admin/api/apitoken/").status_code == 403


def test_the_page_and_the_menu_speak_russian(client, person):
    client.force_login(person)
    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="ru")
    html = response.content.decode()
    with translation.override("ru"):
        title = translation.gettext("API tokens")
    assert title != "API tokens"
    assert f"<h1>{title}</h1>" in html
    assert "Make the token" not in html and "Создать токен" in html
    assert f'data-nav="tokens">{title}</a>' in html
