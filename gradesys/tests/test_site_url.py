"""SITE_URL: every link a mail carries starts with the site's address (common/links.py)."""

import re
import subprocess
import sys

import pytest
from django.core import mail
from django.test import Client

from common.links import absolute_url
from grades.checks import check_site_url
from grades.tests.factories import UserFactory
from gradesys.tests.test_deploy import PROJECT, manage
from jobs.tests.factories import TODAY, eligible_on, mails_to, run, team_lead

SITE = "https://grades.example.com"


def test_a_path_gets_the_site_address(settings):
    settings.SITE_URL = SITE
    assert absolute_url("/reviews/7/") == f"{SITE}/reviews/7/"
    assert absolute_url("reviews/7/") == f"{SITE}/reviews/7/"
    assert absolute_url("https://elsewhere.example.org/x") == "https://elsewhere.example.org/x"


def test_without_the_setting_a_path_stays_a_path(settings):
    settings.SITE_URL = ""
    assert absolute_url("/reviews/7/") == "/reviews/7/"


@pytest.mark.parametrize("value, warned", [
    ("", True),
    ("grades.example.com", True),
    ("https://grades.example.com/app", True),
    ("https://grades.example.com", False),
    ("http://127.0.0.1:8000", False),
])
def test_the_deploy_check_asks_for_a_scheme_and_host(settings, value, warned):
    settings.SITE_URL = value
    assert [w.id for w in check_site_url()] == (["gradesys.W007"] if warned else [])


def test_debug_defaults_to_the_development_server_and_production_to_nothing():
    code = "from django.conf import settings; print(repr(settings.SITE_URL))"

    def site_url(**env):
        import os

        environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SITE_URL")}
        environment.update(env, DJANGO_SETTINGS_MODULE="gradesys.settings", SECRET_KEY="x" * 50)
        result = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=PROJECT,
                                env=environment, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert site_url(DEBUG="1") == "'http://127.0.0.1:8000'"
    assert site_url(DEBUG="0") == "''"
    assert site_url(DEBUG="0", SITE_URL="https://grades.example.com/") == "'https://grades.example.com'"


def test_check_deploy_warns_while_it_is_unset():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides={"SITE_URL": ""})
    assert result.returncode != 0
    assert "gradesys.W007" in result.stderr + result.stdout


@pytest.mark.django_db
def test_the_jobs_mail_links_start_with_the_site_address(settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.SITE_URL = SITE
    lead = team_lead("lena")
    person = eligible_on(TODAY, lead=lead)
    run(django_capture_on_commit_callbacks, "notify_eligible", "--today", TODAY.isoformat())
    [to_lead] = mails_to(mailoutbox, lead.user)
    assert f"\n  {SITE}/people/{person.pk}/" in to_lead.body


@pytest.mark.django_db
def test_the_password_reset_link_uses_the_site_address_not_the_request_host(settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["evil.example.net", "testserver"]
    UserFactory(username="dana", email="dana@example.com")
    response = Client().post("/accounts/password_reset/", {"email": "dana@example.com"},
                             HTTP_HOST="evil.example.net")
    assert response.status_code == 302
    [message] = mail.outbox
    assert re.search(rf"{re.escape(SITE)}/accounts/reset/\S+/", message.body)
    assert "evil.example.net" not in message.body
