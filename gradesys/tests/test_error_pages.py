"""Refusals come in the site's layout, with the menu and a way back, in the reader's language."""

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views import defaults

from grades.tests.factories import UserFactory, hire

pytestmark = pytest.mark.django_db


def test_a_forbidden_page_is_a_403_in_the_layout(client):
    developer = hire(level_code="middle")
    client.force_login(developer.user)
    response = client.get("/exports/")  # reports are for managers and HR
    page = response.content.decode()
    assert response.status_code == 403
    assert 'class="topbar"' in page and "Not allowed" in page and 'href="/"' in page


def test_an_unknown_person_is_a_404_in_the_layout_in_russian(settings):
    settings.DEBUG = False
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(UserFactory(roles=["HR"]))
    response = client.get("/people/999999/")
    page = response.content.decode()
    assert response.status_code == 404
    assert 'class="topbar"' in page and "Не найдено" in page
    assert 'name="next" value="/"' in page  # the refused address is not repeated


def test_a_bad_request_page_renders_without_a_request():
    """Django renders 400.html with no request at all (a request it could not read)."""
    with translation.override("en"):
        response = defaults.bad_request(RequestFactory().get("/"), Exception("unreadable"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Bad request" in page and 'name="next" value="/"' in page
