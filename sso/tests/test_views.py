"""
The sign-in page and the provider's views with single sign-on off and on, sign-out through the
provider, a provider that cannot be reached, and what the person's audit trail shows.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.checks import run_checks

from gradesys.tests.test_settings import run_settings
from grades.tests.factories import UserFactory, hire
from grades.trail import person_trail
from sso import discovery
from sso.models import ProviderIdentity

from .conftest import CLIENT_ID, provider_round_trip

pytestmark = pytest.mark.django_db


def test_without_an_issuer_there_is_no_button_and_the_sso_urls_are_404(client, settings):
    settings.OIDC_ISSUER = ""
    page = client.get("/accounts/login/").content.decode()
    assert 'id="sso-login"' not in page
    assert client.get("/accounts/sso/login/").status_code == 404
    assert client.get("/accounts/sso/callback/?code=x&state=y").status_code == 404
    assert "oidc_states" not in client.session


def test_without_an_issuer_password_sign_in_and_sign_out_are_as_before(client, settings):
    settings.OIDC_ISSUER = ""
    UserFactory(username="plain")
    response = client.post("/accounts/login/", {"username": "plain", "password": "pw-for-tests-only"})
    assert response["Location"] == "/"
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_the_sign_in_page_offers_the_provider(client, oidc):
    page = client.get("/accounts/login/?next=/tracks/").content.decode()
    assert 'id="sso-login"' in page
    assert "Sign in with Test IdP" in page
    assert 'href="/accounts/sso/login/?next=%2Ftracks%2F"' in page


def test_the_button_is_translated(client, oidc):
    client.cookies["django_language"] = "ru"
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Войти через Test IdP" in page


def test_the_sso_link_sends_to_the_provider_with_pkce_and_nonce(client, oidc):
    response = client.get("/accounts/sso/login/?next=/tracks/")
    target = urlsplit(response["Location"])
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == oidc.issuer + "/authorize/"
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["http://testserver/accounts/sso/callback/"]
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert client.session["oidc_login_next"] == "/tracks/"


def test_coming_back_to_the_page_asked_for(client, oidc):
    UserFactory(username="gil", email="gil@example.com")
    oidc.user("gil.idp", email="gil@example.com", groups=["Developer"])
    response = provider_round_trip(client, oidc, "gil.idp", start_at="/accounts/sso/login/?next=/tracks/")
    assert response.status_code == 302 and response["Location"] == "/tracks/"


def test_a_next_elsewhere_is_not_followed(client, oidc):
    UserFactory(username="gus", email="gus@example.com")
    oidc.user("gus.idp", email="gus@example.com")
    response = provider_round_trip(client, oidc, "gus.idp", start_at="/accounts/sso/login/?next=https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_callback_with_an_unknown_state_changes_nothing(client, oidc):
    client.get("/accounts/sso/login/")
    response = client.get("/accounts/sso/callback/?code=forged&state=not-ours")
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert not ProviderIdentity.objects.exists()


def test_a_provider_error_returns_to_the_sign_in_page(client, oidc):
    client.get("/accounts/sso/login/")
    state = next(iter(client.session["oidc_states"]))
    response = client.get(f"/accounts/sso/callback/?error=access_denied&state={state}", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "Sign-in with Test IdP failed." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_unreachable_provider_sends_back_with_a_sentence(client, oidc, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9/nothing-here"
    discovery.forget()
    response = client.get("/accounts/sso/login/", follow=True)
    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert "The sign-in service cannot be reached." in response.content.decode()


def test_password_sign_in_works_while_the_provider_is_unreachable(client, oidc, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9/nothing-here"
    discovery.forget()
    UserFactory(username="local")
    response = client.post("/accounts/login/", {"username": "local", "password": "pw-for-tests-only"})
    assert response["Location"] == "/"


def test_sign_out_ends_the_provider_session_too(client, oidc):
    UserFactory(username="hana", email="hana@example.com")
    oidc.user("hana.idp", email="hana@example.com")
    provider_round_trip(client, oidc, "hana.idp")
    id_token = client.session["oidc_id_token"]

    response = client.post("/accounts/logout/")

    target = urlsplit(response["Location"])
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == oidc.issuer + "/logout/"
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert "_auth_user_id" not in client.session
    # The provider accepts it and sends the person back to the sign-in page.
    answer = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and answer.headers["Location"] == "http://testserver/accounts/login/"


def test_sign_out_after_a_password_sign_in_stays_here(client, oidc):
    UserFactory(username="ivan")
    client.post("/accounts/login/", {"username": "ivan", "password": "pw-for-tests-only"})
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"


def test_role_changes_and_the_link_are_in_the_persons_trail(client, oidc):
    employee = hire(user=UserFactory(username="jo", email="jo@example.com", roles=["Developer"]))
    oidc.user("jo.idp", email="jo@example.com", groups=["Developer", "Manager"])
    provider_round_trip(client, oidc, "jo.idp")

    entries = [(entry.subject, entry.action) for entry in person_trail(employee)]
    assert ("Role: Manager", "granted") in entries
    assert ("Single sign-on", "linked by verified e-mail") in entries


def test_an_unknown_role_in_the_map_is_a_system_error(settings):
    settings.OIDC_ROLE_MAP = {"admins": "Superhero"}
    errors = [message for message in run_checks() if message.id == "sso.E001"]
    assert len(errors) == 1 and "Superhero" in errors[0].msg


def test_the_csp_lets_sign_out_continue_to_the_provider():
    # Sign-out posts here and is redirected to the provider: form-action must allow its origin.
    code = "import gradesys.settings as s; print(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])"
    on = run_settings(
        {"DEBUG": "1", "OIDC_ISSUER": "https://login.example.com/realms/acme/", "OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET": "s"},
        code,
    )
    assert on.returncode == 0, on.stderr
    assert on.stdout.strip() == "[\"'self'\", 'https://login.example.com']"
    off = run_settings({"DEBUG": "1", "OIDC_ISSUER": ""}, code)
    assert off.stdout.strip() == "[\"'self'\"]"


def test_an_issuer_without_client_credentials_stops_with_a_sentence():
    result = run_settings({"DEBUG": "1", "OIDC_ISSUER": "https://login.example.com", "OIDC_CLIENT_ID": "", "OIDC_CLIENT_SECRET": ""})
    assert result.returncode != 0
    assert "set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too" in result.stderr


def test_a_role_map_that_is_not_an_object_stops_with_a_sentence():
    result = run_settings({"DEBUG": "1", "OIDC_ROLE_MAP": '["HR"]'})
    assert result.returncode != 0
    assert "OIDC_ROLE_MAP must be a JSON object" in result.stderr
