"""Production settings: `check --deploy` is clean, and the security headers reach the browser."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]

# The production environment as the README documents it (behind a TLS proxy).
PRODUCTION_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "grades.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://grades.example.com",
    "SITE_URL": "https://grades.example.com",
}


def manage(*args, env_overrides=None):
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECURE_SSL_REDIRECT", "SECRET_KEY")}
    env.update(PRODUCTION_ENV)
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env.update(env_overrides or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_the_documented_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_when_hsts_is_switched_off():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides={"SECURE_HSTS_SECONDS": "0"})
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


@pytest.mark.django_db
def test_security_headers_on_a_page(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/accounts/login/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "frame-ancestors 'none'", "object-src 'none'", "form-action 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp


@pytest.mark.django_db
def test_cookies_are_secure_and_http_only_behind_tls(client, settings):
    from grades.tests.factories import UserFactory

    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    UserFactory(username="cookie-user", password="pw-for-tests-only")
    page = client.get("/accounts/login/", secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"]
    response = client.post(
        "/accounts/login/", {"username": "cookie-user", "password": "pw-for-tests-only"}, secure=True
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


@pytest.mark.django_db
def test_http_is_redirected_to_https_but_healthz_answers_for_load_balancers(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/accounts/login/")
    assert response.status_code == 301 and response["Location"].startswith("https://")
    assert client.get("/healthz").status_code == 200
