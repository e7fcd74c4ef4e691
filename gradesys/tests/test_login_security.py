"""
Signing in safely: the rate limit on the login form (django-axes, configured in
gradesys/settings.py), one error message whatever was wrong, and CSRF on every POST.

Every sign-in goes through the real login view (/accounts/login/) with client.post:
`Client.login()` cannot be used with the axes backend, which needs the request (the
client's address) to decide; force_login sets up users who are already signed in.
"""

from __future__ import annotations

import datetime
import importlib.util
import re
from types import ModuleType

import axes.attempts
import axes.handlers.proxy
import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

import gradesys.settings as project_settings
from grades import services as grade_services
from grades.models import Evidence, EvidenceEvent
from grades.tests.factories import UserFactory
from reviews.models import Vote
from reviews.tests.factories import db_state, defense_day_came, organisation, scheduled

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "a long and correct passphrase"
WRONG = "not the passphrase"
# Documentation addresses (RFC 5737): the client, another client, and a reverse proxy.
HOME = "203.0.113.10"
ELSEWHERE = "198.51.100.20"
PROXY = "10.0.0.2"
LOGIN_ERROR = "Your username and password didn't match. Please try again."


def person(username: str):
    user = UserFactory(username=username)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def dana():
    return person("dana")


def sign_in(username: str, password: str, *, address: str = HOME, client: Client | None = None, **headers):
    client = client or Client()
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def signed_in(response) -> bool:
    return "_auth_user_id" in response.client.session


def limit() -> int:
    return django_settings.AXES_FAILURE_LIMIT


def fail_until_locked(username: str, **where):
    """AXES_FAILURE_LIMIT wrong passwords; the answer to the last one."""
    for attempt in range(1, limit()):
        response = sign_in(username, WRONG, **where)
        assert response.status_code == 200, f"attempt {attempt} was not a plain failure"
        assert LOGIN_ERROR in response.content.decode()
    return sign_in(username, WRONG, **where)


def assert_locked_out(response):
    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many failed sign-ins" in text
    minutes = round(django_settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    assert f"Try again in {minutes} min." in text
    assert not signed_in(response)


def assert_signed_in(response):
    assert response.status_code == 302, response.status_code
    assert signed_in(response)


# --- Lockout ----------------------------------------------------------------------------------


def test_repeated_failures_lock_out_even_the_right_password(dana):
    assert limit() >= 2
    assert_locked_out(fail_until_locked("dana"))
    assert_locked_out(sign_in("dana", PASSWORD))
    assert AccessAttempt.objects.filter(username="dana", ip_address=HOME).exists()


def test_the_lockout_is_keyed_on_username_and_address(dana):
    person("erik")
    fail_until_locked("dana", address=HOME)

    assert_signed_in(sign_in("dana", PASSWORD, address=ELSEWHERE))
    assert_signed_in(sign_in("erik", PASSWORD, address=HOME))
    assert_locked_out(sign_in("dana", PASSWORD, address=HOME))


@pytest.fixture
def clock(monkeypatch):
    """Moves forward the time django-axes reads, without waiting.

    Axes takes a request's time from `now` imported into axes.handlers.proxy (and, as a
    fallback, axes.attempts); the stored attempts keep their real times.
    """
    real_now = timezone.now
    offset = [datetime.timedelta()]

    def now():
        return real_now() + offset[0]

    monkeypatch.setattr(axes.handlers.proxy, "now", now)
    monkeypatch.setattr(axes.attempts, "now", now)

    class Clock:
        def advance(self, **delta):
            offset[0] += datetime.timedelta(**delta)

    return Clock()


def test_the_cool_off_is_finite(dana, settings, clock):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=5)
    assert_locked_out(fail_until_locked("dana"))

    clock.advance(minutes=4)
    assert_locked_out(sign_in("dana", PASSWORD))

    # That try during the lockout counted as a failure and restarted the cool-off
    # (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so it ends 5 minutes after it.
    clock.advance(minutes=5, seconds=1)
    assert_signed_in(sign_in("dana", PASSWORD))
    assert not AccessAttempt.objects.filter(username="dana").exists()


def test_the_default_cool_off_is_configured_and_finite():
    cool_off = django_settings.AXES_COOLOFF_TIME
    assert isinstance(cool_off, datetime.timedelta)
    assert datetime.timedelta(0) < cool_off <= datetime.timedelta(hours=24)


def test_an_administrator_can_lift_a_lockout(dana):
    fail_until_locked("dana")
    call_command("axes_reset_username", "dana", verbosity=0)
    assert_signed_in(sign_in("dana", PASSWORD))


def test_a_successful_sign_in_resets_the_failure_count(dana):
    for _ in range(limit() - 1):
        sign_in("dana", WRONG)
    assert_signed_in(sign_in("dana", PASSWORD))
    assert not AccessAttempt.objects.filter(username="dana").exists()

    # As many failures again: together with the first ones they reach the limit,
    # so only the reset keeps the account open.
    for _ in range(limit() - 1):
        assert sign_in("dana", WRONG).status_code == 200
    assert_signed_in(sign_in("dana", PASSWORD))


def test_without_the_reset_the_same_sequence_locks_out(dana, settings):
    """The control for the test above: it is the reset that keeps the account open."""
    settings.AXES_RESET_ON_SUCCESS = False
    for _ in range(limit() - 1):
        sign_in("dana", WRONG)
    assert_signed_in(sign_in("dana", PASSWORD))
    responses = [sign_in("dana", WRONG) for _ in range(limit() - 1)]
    assert responses[-1].status_code == 429
    assert_locked_out(sign_in("dana", PASSWORD))


# --- The client's address behind a reverse proxy ------------------------------------------------


def settings_for_environment(monkeypatch, **environment: str) -> ModuleType:
    """gradesys/settings.py evaluated afresh with these environment variables set.

    The deployment says TRUSTED_PROXY_COUNT; this shows what the settings make of it,
    whatever mechanism (ipware settings or a callable) they use.
    """
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gradesys_settings_probe", project_settings.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def behind_proxies(settings, monkeypatch, count: int) -> None:
    configured = settings_for_environment(monkeypatch, TRUSTED_PROXY_COUNT=str(count))
    for name in dir(configured):
        if name.startswith("AXES_") or name == "TRUSTED_PROXY_COUNT":
            setattr(settings, name, getattr(configured, name))


def test_behind_one_proxy_each_client_is_locked_out_on_its_own(dana, settings, monkeypatch):
    """One reverse proxy (nginx `proxy_add_x_forwarded_for`) appends the address it saw to
    X-Forwarded-For and connects from its own address, so each client arrives with
    REMOTE_ADDR = the proxy and its own address last in the header."""
    behind_proxies(settings, monkeypatch, 1)

    fail_until_locked("dana", address=PROXY, HTTP_X_FORWARDED_FOR=HOME)
    assert set(AccessAttempt.objects.filter(username="dana").values_list("ip_address", flat=True)) == {HOME}

    assert_signed_in(sign_in("dana", PASSWORD, address=PROXY, HTTP_X_FORWARDED_FOR=ELSEWHERE))
    assert_locked_out(sign_in("dana", PASSWORD, address=PROXY, HTTP_X_FORWARDED_FOR=HOME))
    # A client may send its own X-Forwarded-For; the proxy appends the real address
    # after it, and a made-up address in front must not buy a fresh count.
    assert_locked_out(
        sign_in("dana", PASSWORD, address=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {HOME}")
    )


def test_without_a_proxy_a_forwarded_for_header_is_not_trusted(dana, settings, monkeypatch):
    behind_proxies(settings, monkeypatch, 0)
    fail_until_locked("dana", address=HOME)
    assert_locked_out(sign_in("dana", PASSWORD, address=HOME, HTTP_X_FORWARDED_FOR=ELSEWHERE))
    assert not AccessAttempt.objects.filter(ip_address=ELSEWHERE).exists()


# --- One error for every wrong sign-in --------------------------------------------------------------

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _comparable(response, username: str) -> str:
    text = _CSRF.sub('name="csrfmiddlewaretoken" value=""', response.content.decode())
    # The form shows back the username that was typed; that is not an answer.
    return text.replace(f'value="{username}"', 'value="…"')


def test_the_error_is_the_same_for_an_unknown_user_and_a_wrong_password(dana):
    unknown = sign_in("nobody-by-this-name", WRONG)
    wrong_password = sign_in("dana", WRONG)
    assert unknown.status_code == wrong_password.status_code == 200
    assert LOGIN_ERROR in unknown.content.decode()
    assert _comparable(unknown, "nobody-by-this-name") == _comparable(wrong_password, "dana")


def test_inactive_accounts_get_the_same_error(dana):
    dana.is_active = False
    dana.save(update_fields=["is_active"])
    inactive = sign_in("dana", PASSWORD)
    unknown = sign_in("nobody-by-this-name", WRONG)
    assert inactive.status_code == 200 and not signed_in(inactive)
    assert _comparable(inactive, "dana") == _comparable(unknown, "nobody-by-this-name")


# --- CSRF -------------------------------------------------------------------------------------------


def csrf_token(client: Client, page: str) -> str:
    """The token a browser would send: the form's hidden field, after loading the page."""
    response = client.get(page)
    assert response.status_code == 200
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


def axes_rows() -> tuple[int, int, int]:
    return AccessAttempt.objects.count(), AccessFailureLog.objects.count(), AccessLog.objects.count()


def test_the_login_form_refuses_a_post_without_the_csrf_token(dana):
    client = Client(enforce_csrf_checks=True)
    before = axes_rows()

    response = client.post(LOGIN, {"username": "dana", "password": PASSWORD}, REMOTE_ADDR=HOME)
    assert response.status_code == 403
    # With the cookie but without the form's field it is still refused.
    csrf_token(client, LOGIN)
    response = client.post(LOGIN, {"username": "dana", "password": PASSWORD}, REMOTE_ADDR=HOME)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert axes_rows() == before

    token = csrf_token(client, LOGIN)
    response = client.post(
        LOGIN, {"username": "dana", "password": PASSWORD, "csrfmiddlewaretoken": token}, REMOTE_ADDR=HOME
    )
    assert response.status_code == 302 and "_auth_user_id" in client.session


def evidence_state():
    return list(Evidence.objects.order_by("id").values()), list(EvidenceEvent.objects.order_by("id").values())


def test_a_claim_without_the_csrf_token_is_403_and_writes_nothing():
    org = organisation()
    dev = org["dev"]
    requirement = grade_services.claimable_requirements(dev).order_by("id").first()
    client = Client(enforce_csrf_checks=True)
    client.force_login(dev.user)
    url = f"/people/{dev.pk}/claim/{requirement.pk}/"
    data = {"description": "Wrote the retry policy.", "links": ""}
    before = evidence_state()

    assert client.post(url, data).status_code == 403
    assert evidence_state() == before

    token = csrf_token(client, "/me/")
    assert client.post(url, {**data, "csrfmiddlewaretoken": token}).status_code == 302
    assert Evidence.objects.filter(employee=dev, requirement=requirement).exists()


def test_a_vote_without_the_csrf_token_is_403_and_writes_nothing():
    org = organisation()
    review = defense_day_came(scheduled(org))
    client = Client(enforce_csrf_checks=True)
    client.force_login(org["cto"])
    url = f"/reviews/{review.pk}/vote/"
    before = db_state()

    assert client.post(url, {"value": "approve", "comment": ""}).status_code == 403
    assert db_state() == before

    token = csrf_token(client, f"/reviews/{review.pk}/")
    response = client.post(url, {"value": "approve", "comment": "", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Vote.objects.filter(seat__review=review, seat__member=org["cto"], value="approve").exists()
