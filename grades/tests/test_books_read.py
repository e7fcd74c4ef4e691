"""Books read (the fourth criterion of a promotion): marking a book of one's ladder as read,
the team lead's acknowledgement, taking a mark back, the refusals, and the pages that show them."""

import datetime
import re

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from markupsafe import escape

from common import audit
from grades import selectors, services
from grades.versions import load_framework
from grades.models import Book, BookReading, TrackLevel
from grades.tests.factories import BookFactory, UserFactory, hire

pytestmark = pytest.mark.django_db

D = datetime.date
NOTE = "Names that say what a function does; small functions."


@pytest.fixture
def team():
    """A backend team lead with two reports, another (fullstack) team, HR."""
    lead = hire(level_code="senior", roles=["Developer", "Team lead"], hire_date=D(2018, 1, 1))
    dev = hire(level_code="middle", team_lead=lead, hire_date=D(2021, 3, 1))
    colleague = hire(level_code="junior-plus", team_lead=lead)
    other_lead = hire(level_code="senior", roles=["Developer", "Team lead"], track_slug="fullstack")
    stranger = hire(level_code="middle", team_lead=other_lead, track_slug="fullstack")
    hr = UserFactory(roles=["HR"], is_staff=True)
    return dict(lead=lead, dev=dev, colleague=colleague, other_lead=other_lead, stranger=stranger, hr=hr)


def book_of(track_slug: str, level_code: str) -> Book:
    return Book.objects.filter(track_level__track__slug=track_slug, track_level__level__code=level_code).order_by(
        "position", "id"
    ).first()


def mark(client, employee, book, note=NOTE, read_on=""):
    return client.post(f"/people/{employee.pk}/books/{book.pk}/read/", {"note": note, "read_on": read_on})


def reading_state():
    """Every row marking, acknowledging or taking back writes: compared before and after a refusal."""
    return (
        list(BookReading.objects.order_by("id").values()),
        list(BookReading.history.order_by("history_id").values()),
    )


def book_item(html: str, book: Book) -> str:
    """The <li> of a book on the progress page."""
    found = re.search(rf'<li class="book [^"]*" id="book-{book.pk}".*?</li>', html, re.S)
    assert found, f"book {book.pk} is not on the page"
    return found.group(0)


# --- Marking -----------------------------------------------------------------------------------


def test_the_developer_marks_a_book_of_their_ladder_with_a_note_and_a_date(client, team):
    dev = team["dev"]
    book = book_of("backend", "middle-plus")
    client.force_login(dev.user)
    response = mark(client, dev, book, note="  Small   steps,\n tests first.  ", read_on="2024-05-01")
    assert response.status_code == 302 and response["Location"] == "/me/"
    reading = BookReading.objects.get(employee=dev, book=book)
    assert reading.note == "Small steps, tests first."
    assert reading.read_on == D(2024, 5, 1)
    assert (reading.title, reading.author) == (book.title, book.author)
    assert reading.acknowledged_by is None and reading.acknowledged_at is None
    record = reading.history.get()
    assert record.history_type == "+" and record.history_user == dev.user


def test_a_book_of_a_level_already_passed_or_far_above_may_be_marked_and_the_date_defaults_to_today(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    for code in ("junior-plus", "senior-plus-plus"):
        assert mark(client, dev, book_of("backend", code)).status_code == 302
    assert BookReading.objects.filter(employee=dev).count() == 2
    assert set(BookReading.objects.values_list("read_on", flat=True)) == {timezone.localdate()}


@pytest.mark.parametrize(
    "note, read_on, message",
    [
        ("", "", "This field is required."),
        ("   ", "", "This field is required."),
        ("x" * 501, "", "at most 500 characters"),
        (NOTE, "2999-13-01", "Enter a valid date."),
        (NOTE, "tomorrow", "cannot be in the future"),
    ],
)
def test_an_invalid_mark_is_refused_with_the_form_again_and_writes_nothing(client, team, note, read_on, message):
    dev = team["dev"]
    book = book_of("backend", "middle-plus")
    client.force_login(dev.user)
    if read_on == "tomorrow":
        read_on = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    before = reading_state()
    response = mark(client, dev, book, note=note, read_on=read_on)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert reading_state() == before


def test_a_book_of_another_track_is_refused_and_a_missing_book_is_404(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    before = reading_state()
    response = mark(client, dev, book_of("fullstack", "middle-plus"))
    assert response.status_code == 400
    assert "not on the reading list of your track" in response.content.decode()
    missing = Book.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
    response = client.post(f"/people/{dev.pk}/books/{missing}/read/", {"note": NOTE})
    assert response.status_code == 404
    assert "Not found" in response.content.decode()  # the site's own 404 page
    assert reading_state() == before


def test_a_book_is_marked_once(client, team):
    dev = team["dev"]
    book = book_of("backend", "middle-plus")
    client.force_login(dev.user)
    mark(client, dev, book)
    before = reading_state()
    response = mark(client, dev, book, note="Again.")
    assert response.status_code == 400
    assert "already marked that book as read" in response.content.decode()
    assert reading_state() == before
    # The service refuses it too, and the database would refuse a second row of its own.
    with pytest.raises(services.GradeError):
        services.book_mark_read(employee=dev, book=book, note="Again.", by=dev.user)
    with pytest.raises(IntegrityError), transaction.atomic():
        BookReading.objects.create(
            employee=dev, book=book, title=book.title, note="Again.", read_on=D(2024, 1, 1), marked_at=timezone.now()
        )
    assert reading_state() == before


def test_nobody_marks_a_book_for_someone_else(client, team):
    dev = team["dev"]
    book = book_of("backend", "middle-plus")
    before = reading_state()
    client.force_login(team["lead"].user)  # sees dev, but is not dev
    assert mark(client, dev, book).status_code == 403
    client.force_login(team["hr"])
    assert mark(client, dev, book).status_code == 403
    client.force_login(team["colleague"].user)  # does not see dev at all
    assert mark(client, dev, book).status_code == 404
    client.force_login(team["other_lead"].user)
    assert mark(client, dev, book).status_code == 404
    assert reading_state() == before
    with pytest.raises(PermissionError):
        services.book_mark_read(employee=dev, book=book, note=NOTE, by=team["lead"].user)
    assert reading_state() == before


def test_the_actions_need_post(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    book = book_of("backend", "middle-plus")
    assert client.get(f"/people/{dev.pk}/books/{book.pk}/read/").status_code == 405
    mark(client, dev, book)
    reading = BookReading.objects.get()
    assert client.get(f"/readings/{reading.pk}/unmark/").status_code == 405
    assert client.get(f"/readings/{reading.pk}/acknowledge/").status_code == 405


def test_a_fork_reads_its_parents_books_below_the_fork_only():
    load_framework(__import__("pathlib").Path(__file__).resolve().parent / "data" / "fork-parent.yaml")
    load_framework(__import__("pathlib").Path(__file__).resolve().parent / "data" / "fork-manager.yaml")
    shared = BookFactory(track_level=TrackLevel.objects.get(track__slug="eng", level__code="engineer"))
    parents_own = BookFactory(track_level=TrackLevel.objects.get(track__slug="eng", level__code="senior-2"))
    forks_own = BookFactory(track_level=TrackLevel.objects.get(track__slug="eng-manager", level__code="senior-2-pm"))
    manager = hire(level_code="engineer", track_slug="eng-manager")
    assert set(Book.objects.on_ladder_of(manager.track_id)) == {shared, forks_own}
    services.book_mark_read(employee=manager, book=shared, note=NOTE, by=manager.user)
    services.book_mark_read(employee=manager, book=forks_own, note=NOTE, by=manager.user)
    with pytest.raises(services.GradeError, match="not on the reading list"):
        services.book_mark_read(employee=manager, book=parents_own, note=NOTE, by=manager.user)
    progress = selectors.employee_progress(manager)
    shown = {book.pk: book.reading_state for step in progress.reading.levels for book in step.books}
    assert shown == {shared.pk: "read", forks_own.pk: "read"}


# --- Acknowledging and taking back -------------------------------------------------------------


def test_the_team_lead_acknowledges_once_and_it_is_final(client, team):
    dev, lead = team["dev"], team["lead"]
    book = book_of("backend", "middle-plus")
    client.force_login(dev.user)
    mark(client, dev, book)
    reading = BookReading.objects.get()
    client.force_login(lead.user)
    response = client.post(f"/readings/{reading.pk}/acknowledge/")
    assert response.status_code == 302 and response["Location"] == f"/people/{dev.pk}/"
    reading.refresh_from_db()
    assert reading.acknowledged_by == lead.user and reading.acknowledged_at >= reading.marked_at
    assert [(r.history_type, r.history_user) for r in reading.history.order_by("history_id")] == [
        ("+", dev.user), ("~", lead.user)
    ]
    before = reading_state()
    response = client.post(f"/readings/{reading.pk}/acknowledge/")
    assert response.status_code == 400
    assert "already been acknowledged" in response.content.decode()
    # Once acknowledged, the developer can no longer take it back.
    client.force_login(dev.user)
    response = client.post(f"/readings/{reading.pk}/unmark/")
    assert response.status_code == 400
    assert "stays marked as read" in response.content.decode()
    assert reading_state() == before


def test_only_the_team_lead_acknowledges(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    mark(client, dev, book_of("backend", "middle-plus"))
    url = f"/readings/{BookReading.objects.get().pk}/acknowledge/"
    before = reading_state()
    assert client.post(url).status_code == 403  # the developer themself
    client.force_login(team["hr"])
    assert client.post(url).status_code == 403  # sees dev, is not their lead
    for who in ("colleague", "other_lead", "stranger"):
        client.force_login(team[who].user)
        assert client.post(url).status_code == 404, who  # does not see dev
    assert client.post("/readings/999999/acknowledge/").status_code == 404
    assert reading_state() == before


def test_the_developer_takes_a_mark_back_before_acknowledgement_and_the_history_keeps_both(client, team):
    dev, lead = team["dev"], team["lead"]
    book = book_of("backend", "middle-plus")
    client.force_login(dev.user)
    mark(client, dev, book)
    reading = BookReading.objects.get()
    before = reading_state()
    for who in (lead.user, team["hr"]):
        client.force_login(who)
        assert client.post(f"/readings/{reading.pk}/unmark/").status_code == 403
    client.force_login(team["colleague"].user)
    assert client.post(f"/readings/{reading.pk}/unmark/").status_code == 404
    assert reading_state() == before
    client.force_login(dev.user)
    response = client.post(f"/readings/{reading.pk}/unmark/")
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert not BookReading.objects.exists()
    history = list(BookReading.history.filter(id=reading.pk).order_by("history_id"))
    assert [(r.history_type, r.history_user) for r in history] == [("+", dev.user), ("-", dev.user)]
    assert history[-1].note == NOTE
    # Taken back twice: nothing left to take back.
    response = client.post(f"/readings/{reading.pk}/unmark/")
    assert response.status_code == 404
    # And it may be marked again.
    assert mark(client, dev, book, note="Read it properly this time.").status_code == 302


def test_a_book_taken_off_the_list_keeps_the_reading_with_its_title(team):
    dev = team["dev"]
    book = book_of("backend", "middle-plus")
    reading = services.book_mark_read(employee=dev, book=book, note=NOTE, by=dev.user)
    audit.delete(Book.objects.get(pk=book.pk), by=None, reason="taken off the list")
    reading.refresh_from_db()
    assert reading.book is None and reading.title == book.title and reading.note == NOTE
    packet = selectors.reading_packet(dev, up_to=selectors.employee_progress(dev).next_level)
    assert [other.title for other in packet.others] == [book.title]


# --- The pages ---------------------------------------------------------------------------------


def test_the_progress_page_shows_each_books_state_and_the_forms_of_whoever_looks(client, team):
    dev, lead = team["dev"], team["lead"]
    unread, waiting, acknowledged = book_of("backend", "middle-plus"), book_of("backend", "middle"), book_of(
        "backend", "junior-plus"
    )
    services.book_mark_read(employee=dev, book=waiting, note="Waiting <b>note</b>", by=dev.user)
    done = services.book_mark_read(employee=dev, book=acknowledged, note="Acknowledged note", by=dev.user)
    services.book_acknowledge(reading=done, by=lead.user)

    client.force_login(dev.user)
    html = client.get("/me/").content.decode()
    assert 'id="reading"' in html
    item = book_item(html, unread)
    assert 'data-state="unread"' in item and f"/people/{dev.pk}/books/{unread.pk}/read/" in item
    item = book_item(html, waiting)
    assert 'data-state="read"' in item and escape("Waiting <b>note</b>") in item
    assert "/unmark/" in item and "/acknowledge/" not in item and "/read/" not in item
    item = book_item(html, acknowledged)
    assert 'data-state="acknowledged"' in item and "Acknowledged note" in item
    assert escape(lead.user.get_full_name()) in item
    assert "<form" not in item
    # Beside the checklist's figures, never in them.
    progress = selectors.employee_progress(dev)
    assert (progress.reading.read, progress.reading.acknowledged) == (2, 1)
    assert f"{progress.reading.read} of {progress.reading.total} books read" in html
    assert f"{progress.done_count} of {progress.total} done" in html

    client.force_login(lead.user)
    html = client.get(f"/people/{dev.pk}/").content.decode()
    item = book_item(html, waiting)
    assert "/acknowledge/" in item and "/unmark/" not in item
    assert "<form" not in book_item(html, unread) and "<form" not in book_item(html, acknowledged)

    client.force_login(team["hr"])
    html = client.get(f"/people/{dev.pk}/").content.decode()
    assert "Waiting &lt;b&gt;note&lt;/b&gt;" in html
    assert "/acknowledge/" not in html and "/books/" not in html


def test_a_refused_mark_shows_the_form_again_on_its_book(client, team):
    dev = team["dev"]
    book = book_of("backend", "middle-plus")
    client.force_login(dev.user)
    response = mark(client, dev, book, note="x" * 501)
    item = book_item(response.content.decode(), book)
    assert "<details class=\"action reading-action\" open>" in item and "at most 500 characters" in item


def test_the_ladder_page_shows_nothing_personal(client, team):
    dev = team["dev"]
    book = book_of("backend", "middle-plus")
    services.book_mark_read(employee=dev, book=book, note="A very personal note.", by=dev.user)
    client.force_login(dev.user)
    html = client.get("/tracks/backend/").content.decode()
    assert escape(book.title) in html
    assert "A very personal note." not in html and "/read/" not in html


def test_the_progress_page_in_russian(client, team):
    dev = team["dev"]
    services.book_mark_read(employee=dev, book=book_of("backend", "middle"), note=NOTE, by=dev.user)
    client.force_login(dev.user)
    html = client.get("/me/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Прочитанные книги" in html and "Отметить как прочитанную" in html


# The progress page's statements (grades/tests/test_query_counts.py pins them exactly): the
# reading lists and the person's readings of them come with the ladder, in its statement.
from grades.tests.test_query_counts import OWN_PROGRESS_PAGE, PROGRESS_PAGE  # noqa: E402


def test_the_progress_page_does_not_read_more_with_more_books_and_readings(
    client, team, django_assert_max_num_queries
):
    dev, lead = team["dev"], team["lead"]
    client.force_login(dev.user)
    client.get("/me/")
    with django_assert_max_num_queries(OWN_PROGRESS_PAGE):
        client.get("/me/")
    for code in ("middle", "middle-plus", "senior"):
        track_level = TrackLevel.objects.get(track__slug="backend", level__code=code)
        for _ in range(5):
            BookFactory(track_level=track_level)
    for index, book in enumerate(Book.objects.on_ladder_of(dev.track_id).order_by("id")[:12]):
        reading = services.book_mark_read(employee=dev, book=book, note=NOTE, by=dev.user)
        if index % 2:
            services.book_acknowledge(reading=reading, by=lead.user)
    with django_assert_max_num_queries(OWN_PROGRESS_PAGE):
        html = client.get("/me/").content.decode()
    assert html.count('data-state="acknowledged"') + html.count('data-state="read"') == 12
    client.force_login(lead.user)
    client.get(f"/people/{dev.pk}/")
    with django_assert_max_num_queries(PROGRESS_PAGE):
        html = client.get(f"/people/{dev.pk}/").content.decode()
    assert html.count("/acknowledge/") == 6


def test_hrs_audit_trail_of_the_person_names_who_marked_acknowledged_and_took_back(client, team):
    dev, lead = team["dev"], team["lead"]
    kept, taken_back = book_of("backend", "middle"), book_of("backend", "middle-plus")
    reading = services.book_mark_read(employee=dev, book=kept, note=NOTE, by=dev.user)
    services.book_acknowledge(reading=reading, by=lead.user)
    services.book_unmark_read(
        reading=services.book_mark_read(employee=dev, book=taken_back, note=NOTE, by=dev.user), by=dev.user
    )
    client.force_login(team["hr"])
    html = client.get(f"/people/{dev.pk}/trail/").content.decode()
    assert html.count(escape(f"Book read: {kept.title}")) == 2  # marked, then acknowledged
    assert html.count(escape(f"Book read: {taken_back.title}")) == 2  # marked, then taken back
    cell = r"<td[^>]*>"  # each cell carries its column's heading as data-label
    rows = re.findall(rf"<tr>{cell}[^<]*</td>{cell}([^<]*)</td>{cell}Book read: [^<]*</td>{cell}([^<]*)</td>", html)
    assert sorted(rows) == sorted([
        (escape(dev.user.get_full_name()), "created"), (escape(lead.user.get_full_name()), "changed"),
        (escape(dev.user.get_full_name()), "created"), (escape(dev.user.get_full_name()), "deleted"),
    ])
    assert "acknowledged_by: — →" in html
