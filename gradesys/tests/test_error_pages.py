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


# --- The reason: the project's own message, never Django's ------------------------------------------


def reason(page: str) -> str:
    start = page.index('data-testid="reason">') + len('data-testid="reason">')
    return page[start : page.index("</p>", start)]


def test_a_403_says_the_reason_the_view_gave_and_links_home(client):
    developer = hire(level_code="middle")
    client.force_login(developer.user)
    page = client.get("/exports/").content.decode()
    assert reason(page) == "Only managers and HR download reports."
    assert '<a href="/">Back to the start page</a>' in page


def test_a_404_the_project_raised_with_a_message_says_it(client):
    client.force_login(UserFactory(roles=["Manager"]))
    response = client.get("/exports/payroll.csv")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'class="topbar"' in page and reason(page) == "No report called payroll."


def test_django_s_own_404_messages_are_not_shown(client):
    """get_object_or_404 names the model ("No Employee matches the given query"), an unknown
    address names the patterns tried: the page says neither."""
    client.force_login(UserFactory(roles=["HR"]))
    for url in ("/people/999999/", "/no/such/page/"):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 404, url
        assert reason(page) == "There is nothing at this address, or it is not yours to see.", url
        assert "matches the given query" not in page and "tried" not in page


def test_the_default_404_reason_in_russian(settings):
    settings.DEBUG = False
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(UserFactory(roles=["HR"]))
    page = client.get("/people/999999/").content.decode()
    assert reason(page) == "По этому адресу ничего нет, или это не ваше."
    assert '<a href="/">На главную страницу</a>' in page


def test_a_request_django_refuses_is_a_400_in_the_layout_without_its_detail(client):
    """A Host header the site does not serve: Django's reason names the header; the page does not."""
    response = client.get("/accounts/login/", HTTP_HOST="evil.example.com")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Bad request" in page and 'href="/"' in page
    assert reason(page) == "The request could not be understood; nothing was changed."
    assert "evil.example.com" not in page and "HTTP_HOST" not in page


def test_only_the_project_s_own_exceptions_give_a_reason():
    from django.core.exceptions import PermissionDenied
    from django.http import Http404
    from django.shortcuts import get_object_or_404

    from gradesys.errors import user_reason
    from grades.models import Employee

    try:
        raise PermissionDenied("Only HR does that.")
    except PermissionDenied as exc:
        assert user_reason(exc) == "Only HR does that."
    try:
        get_object_or_404(Employee, pk=999999)
    except Http404 as exc:
        assert user_reason(exc) == ""
    assert user_reason(PermissionDenied("never raised")) == ""  # no traceback to tell where from
    try:
        raise Http404({"tried": [], "path": "x"})
    except Http404 as exc:
        assert user_reason(exc) == ""
