"""When the database is away, pages answer 503 without detail, and nothing is half-written."""

import pytest
from django.db import InterfaceError, OperationalError

from grades.tests.factories import hire

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("error", [OperationalError(2006, "MySQL server has gone away"),
                                   InterfaceError(0, "connection already closed")])
def test_a_page_answers_503_when_the_database_is_away(client, monkeypatch, error):
    dev = hire(level_code="middle")
    client.force_login(dev.user)
    import grades.views

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(grades.views.selectors, "employee_progress", broken)
    response = client.get("/me/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Temporarily unavailable" in body
    assert "gone away" not in body and "Traceback" not in body


def test_other_errors_stay_500_without_detail(client, monkeypatch):
    dev = hire(level_code="middle")
    client.force_login(dev.user)
    client.raise_request_exception = False
    import grades.views

    def broken(*args, **kwargs):
        raise ValueError("secret detail")

    monkeypatch.setattr(grades.views.selectors, "employee_progress", broken)
    response = client.get("/me/")
    assert response.status_code == 500
    assert "secret detail" not in response.content.decode()
    assert "Something went wrong" in response.content.decode()
