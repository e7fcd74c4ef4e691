"""Shared test configuration: fast hashing, in-memory mail, database markers."""

import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Each test starts with an empty cache: a rolled-back test database may hand the same
    # ids to the next test, and nothing kept under them may carry over.
    from django.core.cache import cache

    cache.clear()
    yield
    # A request in Russian leaves Russian active in the thread (the locale middleware sets it
    # per request and does not set it back): the next test starts in the default language.
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True, scope="session")
def _pages_report_their_context():
    """The test client's response.context for the site's Jinja2 pages.

    Django's test environment reports what each template of its own language rendered
    with (the template_rendered signal); it does not do so for Jinja2. This does the same
    for them: the page renders exactly as in production, and the test client also hears
    which template it was and with what context.
    """
    from django.template.backends import jinja2 as backend
    from django.test.signals import template_rendered

    render = backend.Template.render

    def render_and_report(self, context=None, request=None):
        html = render(self, context, request)
        template_rendered.send(sender=self, template=self, context=dict(context or {}))
        return html

    backend.Template.render = render_and_report
    yield
    backend.Template.render = render


def pytest_collection_modifyitems(config, items):
    vendor = connection.vendor
    for item in items:
        if "mysql_only" in item.keywords and vendor != "mysql":
            item.add_marker(pytest.mark.skip(reason="needs DATABASE_URL pointing at MariaDB/MySQL"))
        if "sqlite_only" in item.keywords and vendor != "sqlite":
            item.add_marker(pytest.mark.skip(reason="SQLite-specific"))


def pytest_configure(config):
    """CI sets REQUIRE_DATABASE_VENDOR so a MariaDB run can never quietly fall back to SQLite."""
    import os

    expected = os.environ.get("REQUIRE_DATABASE_VENDOR")
    if expected and connection.vendor != expected:
        raise pytest.UsageError(
            f"REQUIRE_DATABASE_VENDOR={expected} but DATABASE_URL selects {connection.vendor}."
        )
