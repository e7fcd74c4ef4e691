"""
A real OpenID Connect provider for the sign-in tests: sso/tests/provider/ (django-oauth-toolkit)
run by `django runserver` in a process of its own on 127.0.0.1 and a free port, with its own
SQLite file in a temporary directory and an RSA key made here. Started once for the session,
stopped at its end.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from jwcrypto import jwk

from grades.tests.ports import free_port
from sso import discovery

PROVIDER_SETTINGS = "sso.tests.provider.settings"
CLIENT_ID = "gradesys-tests"
CLIENT_SECRET = "client-secret-for-tests-only"
PROVIDER_PASSWORD = "provider-pw-for-tests"
# The redirect URIs the client is registered with: the test client's host, and the live
# server's (added when a browser test starts it).
TEST_CLIENT_ORIGIN = "http://testserver"


@dataclass
class Provider:
    base_url: str
    private_key_pem: str
    environment: dict
    redirect_origins: list = field(default_factory=lambda: [TEST_CLIENT_ORIGIN])

    @property
    def issuer(self) -> str:
        return self.base_url + "/o"

    def configure(self, document: dict) -> None:
        """Run the provider's set-up script with `document` (see provider/configure.py)."""
        subprocess.run(
            [sys.executable, "-m", "sso.tests.provider.configure"],
            input=json.dumps(document),
            text=True,
            check=True,
            env=self.environment,
            cwd=django_settings.BASE_DIR,
            timeout=120,
        )

    def register_client(self) -> None:
        self.configure(
            {
                "client": {
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "redirect_uris": [origin + "/accounts/sso/callback/" for origin in self.redirect_origins],
                    "post_logout_redirect_uris": [origin + "/accounts/login/" for origin in self.redirect_origins],
                }
            }
        )

    def allow_origin(self, origin: str) -> None:
        if origin not in self.redirect_origins:
            self.redirect_origins.append(origin)
            self.register_client()

    def user(self, username: str, *, email: str, email_verified: bool = True, groups=(), **names) -> None:
        """Create the provider's user, or bring it to exactly this (groups included)."""
        self.configure(
            {
                "users": [
                    {
                        "username": username,
                        "password": PROVIDER_PASSWORD,
                        "email": email,
                        "email_verified": email_verified,
                        "groups": list(groups),
                        **names,
                    }
                ]
            }
        )

    @property
    def kid(self) -> str:
        # django-oauth-toolkit names its key by the JWK thumbprint.
        return jwk.JWK.from_pem(self.private_key_pem.encode()).thumbprint()

    def sign(self, claims: dict) -> str:
        """An ID token with these claims, signed with the provider's own key (as it publishes
        in its JWKS)."""
        return jwt.encode(claims, self.private_key_pem, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    directory = tmp_path_factory.mktemp("oidc-provider")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    environment = {
        key_: value
        for key_, value in os.environ.items()
        if not key_.startswith(("DJANGO_", "DATABASE_", "OIDC_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE=PROVIDER_SETTINGS,
        IDP_BASE_URL=base_url,
        IDP_SECRET_KEY=secrets.token_urlsafe(32),
        IDP_DATABASE=str(directory / "provider.sqlite3"),
        IDP_RSA_PRIVATE_KEY=pem,
        PYTHONPATH=str(django_settings.BASE_DIR),
    )
    provider = Provider(base_url=base_url, private_key_pem=pem, environment=environment)
    provider.register_client()
    log = open(directory / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=environment,
        cwd=django_settings.BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(provider.issuer + "/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"The test provider did not start:\n{(directory / 'server.log').read_text()}")
            time.sleep(0.2)
        yield provider
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def oidc(oidc_provider, settings):
    """Single sign-on switched on against the test provider, for this test."""
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = {}
    settings.OIDC_CREATE_USERS = True
    settings.OIDC_ASSUME_EMAIL_VERIFIED = False
    discovery.forget()
    yield oidc_provider
    discovery.forget()


def provider_round_trip(client, provider: Provider, username: str, start_at: str = "/accounts/sso/login/"):
    """Sign in at the provider as `username`, starting from the site's SSO link (`start_at`)
    with the Django test client, and come back to the site's callback: the callback's response."""
    password = PROVIDER_PASSWORD
    start = client.get(start_at)
    assert start.status_code == 302, start
    browser = requests.Session()
    answer = browser.get(start["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    login_url = urljoin(answer.url, answer.headers["Location"])
    login_page = browser.get(login_url, timeout=10)
    answer = browser.post(
        login_url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": browser.cookies["provider_csrftoken"],
            "next": parse_qs(urlsplit(login_url).query)["next"][0],
        },
        headers={"Referer": login_page.url},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    answer = browser.get(urljoin(login_url, answer.headers["Location"]), allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    assert callback.path == "/accounts/sso/callback/", answer.headers["Location"]
    return client.get(f"{callback.path}?{callback.query}")
