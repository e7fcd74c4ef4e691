"""The candidate's books read in the review packet (/reviews/<id>/, section packet-reading)."""

import re

import pytest
from markupsafe import escape

from common import audit
from grades import services as grade_services
from grades.models import Book, TrackLevel
from grades.tests.factories import BookFactory
from reviews.tests.factories import organisation, requested, scheduled, user_of
from reviews.tests.test_query_counts import DETAIL_QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return organisation()


def book_of(level_code: str, track_slug: str = "backend") -> Book:
    return Book.objects.filter(track_level__track__slug=track_slug, track_level__level__code=level_code).order_by(
        "position", "id"
    ).first()


def packet_section(html: str) -> str:
    found = re.search(r'<section id="packet-reading".*?</section>', html, re.S)
    assert found, "the packet has no reading section"
    return found.group(0)


def book_item(section: str, book: Book) -> str:
    found = re.search(rf'<li class="book [^"]*" data-book="{book.pk}".*?</li>', section, re.S)
    assert found, f"book {book.pk} is not in the packet"
    return found.group(0)


def test_the_packet_shows_the_books_read_per_level_with_their_states(client, org):
    dev, lead = org["dev"], org["lead"]
    unread, waiting, acknowledged = book_of("middle-plus"), book_of("middle"), book_of("junior-plus")
    ahead_read, ahead_unread = book_of("senior"), Book.objects.filter(
        track_level__track__slug="backend", track_level__level__code="senior"
    ).order_by("-position", "-id").first()
    grade_services.book_mark_read(employee=dev, book=waiting, note="Patterns <in> practice", by=dev.user)
    done = grade_services.book_mark_read(employee=dev, book=acknowledged, note="Clean names", by=dev.user)
    grade_services.book_acknowledge(reading=done, by=lead.user)
    grade_services.book_mark_read(employee=dev, book=ahead_read, note="Read ahead", by=dev.user)
    review = scheduled(org)

    client.force_login(org["cto"])
    response = client.get(f"/reviews/{review.pk}/")
    assert response.status_code == 200
    section = packet_section(response.content.decode())
    assert 'data-state="unread"' in book_item(section, unread)
    item = book_item(section, waiting)
    assert 'data-state="read"' in item and escape("Patterns <in> practice") in item
    item = book_item(section, acknowledged)
    assert 'data-state="acknowledged"' in item and "Clean names" in item
    assert escape(lead.user.get_full_name()) in item
    # Above the level defended, only what was read.
    assert "Read ahead" in book_item(section, ahead_read)
    assert f'data-book="{ahead_unread.pk}"' not in section
    packet = response.context["packet_reading"]
    assert (packet.read, packet.acknowledged) == (2, 1)
    assert f"{packet.read} of {packet.total} books read" in section
    # Read-only: the committee acts on nothing here.
    assert "<form" not in section


def test_a_book_taken_off_the_list_still_shows_as_read(client, org):
    dev = org["dev"]
    book = book_of("middle")
    grade_services.book_mark_read(employee=dev, book=book, note="Still counts as read", by=dev.user)
    audit.delete(Book.objects.get(pk=book.pk), by=None, reason="taken off the list")
    review = requested(org)
    client.force_login(user_of(org["hr"]))
    section = packet_section(client.get(f"/reviews/{review.pk}/").content.decode())
    assert "Books no longer on the reading lists" in section
    assert escape(book.title) in section and "Still counts as read" in section


def test_the_packet_reads_the_same_whatever_the_books_and_readings(client, org, django_assert_num_queries):
    dev, lead = org["dev"], org["lead"]
    review = requested(org)
    client.force_login(org["dev"].user)
    client.get(f"/reviews/{review.pk}/")
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(f"/reviews/{review.pk}/")
    for code in ("middle", "middle-plus", "senior"):
        for _ in range(4):
            BookFactory(track_level=TrackLevel.objects.get(track__slug="backend", level__code=code))
    for index, book in enumerate(Book.objects.on_ladder_of(dev.track_id).order_by("id")[:10]):
        reading = grade_services.book_mark_read(employee=dev, book=book, note="Noted.", by=dev.user)
        if index % 2:
            grade_services.book_acknowledge(reading=reading, by=lead.user)
    audit.delete(Book.objects.filter(readings__employee=dev).order_by("id").first(), by=None)
    with django_assert_num_queries(DETAIL_QUERIES):
        html = client.get(f"/reviews/{review.pk}/").content.decode()
    section = packet_section(html)
    assert section.count('data-state="read"') + section.count('data-state="acknowledged"') == 10
