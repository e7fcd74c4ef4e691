"""
Single sign-on in Chromium: from the site's sign-in page through the test provider's sign-in
page and back, landing on the inbox with the role the provider's groups grant; then signing out
of both. The machinery (live server, Chromium by path, the CSP check of every page) is that of
grades/tests/test_browser.py.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group

from grades.tests.factories import UserFactory, hire
from grades.tests.test_browser import browser, live_server, new_page  # noqa: F401  (fixtures used by name)
from sso.models import ProviderIdentity, RoleChange

from .conftest import PROVIDER_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def sso_site(oidc, live_server, settings):  # noqa: F811
    """The provider knows the live server's callback; sign-out may continue to the provider
    (what settings.py adds to the policy when OIDC_ISSUER is set)."""
    oidc.allow_origin(live_server.url)
    directives = dict(settings.CONTENT_SECURITY_POLICY["DIRECTIVES"])
    directives["form-action"] = [*directives["form-action"], oidc.base_url]
    settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY, "DIRECTIVES": directives}
    return oidc


def test_sign_in_with_the_provider_lands_on_the_inbox_with_the_role(sso_site, new_page, live_server):  # noqa: F811
    employee = hire(user=UserFactory(username="kira", email="kira@example.com", roles=["Developer"]))
    sso_site.user("kira.idp", email="kira@example.com", groups=["Developer", "HR"])

    page = new_page()
    page.goto("/accounts/login/")
    assert page.inner_text("#sso-login") == "Sign in with Test IdP"
    with page.expect_navigation():
        page.click("#sso-login")
    assert urlsplit(page.url).netloc == urlsplit(sso_site.base_url).netloc
    page.fill("#provider-username", "kira.idp")
    page.fill("#provider-password", PROVIDER_PASSWORD)
    with page.expect_navigation(url=lambda url: urlsplit(url).path == "/"):
        page.click("#provider-submit")

    assert page.locator("h1").first.inner_text() == "Inbox"
    # HR's menu: the people list and the reports, which a developer does not have.
    assert page.locator("a[data-nav=people]").count() == 1
    user = employee.user
    assert set(user.groups.values_list("name", flat=True)) == {"Developer", "HR"}
    assert ProviderIdentity.objects.filter(user=user).count() == 1
    assert list(RoleChange.objects.filter(user=user).values_list("role", flat=True)) == ["HR"]

    # Sign-out ends the provider's session too and comes back to the sign-in page.
    with page.expect_navigation(url=lambda url: urlsplit(url).path == "/accounts/login/"):
        page.click("header form button[type=submit]:has-text('Log out')")
    assert urlsplit(page.url).netloc == urlsplit(live_server.url).netloc
    page.goto("/")
    assert urlsplit(page.url).path == "/accounts/login/"
    # At the provider too: the SSO link asks for the password again.
    with page.expect_navigation():
        page.click("#sso-login")
    assert page.locator("#provider-username").count() == 1
    assert Group.objects.get(name="HR").user_set.filter(pk=user.pk).exists()
