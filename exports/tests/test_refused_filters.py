"""A refused report filter in a browser: the reports page again, the message by the field."""

import re

import pytest

from grades.tests.factories import UserFactory, hire

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def manager(client):
    user = UserFactory(roles=["Manager"])
    client.force_login(user)
    return user


def section(page: str, name: str) -> str:
    start = page.index(f'id="report-{name}"')
    return page[start : page.index("</section>", start)]


def test_a_bad_date_range_reshows_the_form_with_the_message_by_the_field(client, manager):
    response = client.get("/exports/grade-history.csv?date_from=2024-05-01&date_to=2024-04-01&delimiter=,", **HTML)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'class="topbar"' in page  # the site layout, not a bare error
    form = section(page, "grade-history")
    # The message sits right after its field, which points at it.
    assert re.search(
        r'id="grade-history-to"[^>]*aria-describedby="grade-history-date_to-error"[^>]*>\s*'
        r'<p class="error field-error" id="grade-history-date_to-error">The end of the range is before its start.</p>',
        form,
    )
    # What was chosen is chosen again.
    assert 'value="2024-05-01"' in form
    assert re.search(r'<option value=","\s*selected>', form)
    # Only the refused report's form carries a message.
    assert "field-error" not in section(page, "roster")


def test_an_unknown_track_is_named_next_to_the_track(client, manager):
    hire(level_code="middle")
    response = client.get("/exports/roster.csv?track=cobol", **HTML)
    assert response.status_code == 400
    form = section(response.content.decode(), "roster")
    assert 'id="roster-track-error">No track cobol.</p>' in form
    assert 'data-testid="filter-refusal"' in form


def test_scripts_still_get_one_plain_sentence(client, manager):
    """curl and cron send */* (or nothing): the refusal stays plain text naming the parameter."""
    for accept in ({}, {"HTTP_ACCEPT": "*/*"}, {"HTTP_ACCEPT": "text/csv"}):
        response = client.get("/exports/roster.csv?track=cobol", **accept)
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/plain")
        assert "track: No track cobol." in response.content.decode()


def test_the_refused_form_is_for_managers_only(client):
    developer = hire(level_code="middle")
    client.force_login(developer.user)
    assert client.get("/exports/roster.csv?track=cobol", **HTML).status_code == 403


@pytest.mark.parametrize("query, message", [
    ("track=BACKEND", "track: No track BACKEND."),
    ("track=Backend", "track: No track Backend."),
    ("level=MIDDLE", "level: No level MIDDLE."),
])
def test_a_track_or_level_in_other_letters_is_refused_on_every_database(client, manager, query, message):
    """MariaDB's comparison alone would take them for backend and middle and send that file;
    SQLite's would not: the key must be the one stored, on both."""
    hire(level_code="middle")
    response = client.get(f"/exports/roster.csv?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
    # The same filter with the key as stored gives the file: only the letters were refused.
    good = client.get(f"/exports/roster.csv?{query.lower()}")
    assert good.status_code == 200 and good["Content-Type"].startswith("text/csv")
