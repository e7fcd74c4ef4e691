"""The interface in Russian: level and track names, status names and the reasons the product
writes on grade-ledger entries, on the people list, the reviews list, a review's page and
the reports form."""

from __future__ import annotations

import pytest
from django.utils import translation

from grades.models import GradeChange, Level, Track
from reviews.models import ReviewStatus
from reviews.tests.factories import decided, organisation, requested

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return organisation()


@pytest.fixture
def russian(client):
    client.cookies["django_language"] = "ru"
    return client


def names_ru():
    backend = Track.objects.get(slug="backend")
    middle = Level.objects.of_track(backend.pk).get(code="middle")
    following = Level.objects.of_track(backend.pk).get(code="middle-plus")
    assert backend.name_ru and middle.name_ru and following.name_ru
    return backend, middle, following


def test_people_list_in_russian(russian, org):
    backend, middle, _following = names_ru()
    requested(org)
    russian.force_login(org["hr"])
    body = russian.get("/people/").content.decode()
    assert f">{backend.name_ru}</td>" in body and f">{middle.name_ru}</td>" in body
    assert f">{backend.name_ru}</option>" in body and f">{middle.name_ru}</option>" in body
    assert f">{backend.name}</td>" not in body and f">{middle.name}</option>" not in body
    assert "Поиск" in body and "Открытая защита" in body and "открыта" in body


def test_reviews_list_in_russian(russian, org):
    backend, middle, following = names_ru()
    requested(org)
    russian.force_login(org["hr"])
    body = russian.get("/reviews/").content.decode()
    assert f">{backend.name_ru}</td>" in body
    assert f"{middle.name_ru} → <strong>{following.name_ru}</strong>" in body
    with translation.override("ru"):
        requested_ru = str(ReviewStatus.REQUESTED.label)
        withdrawn_ru = str(ReviewStatus.WITHDRAWN.label)
    assert requested_ru != "Requested"
    assert f'<span class="badge status-requested">{requested_ru}</span>' in body
    # The filter's choices: statuses, tracks and levels.
    assert f">{withdrawn_ru}</option>" in body and f">{backend.name_ru}</option>" in body
    assert f">{following.name_ru}</option>" in body and f">{following.name}</option>" not in body


def test_a_review_page_in_russian(russian, org):
    backend, middle, following = names_ru()
    review = requested(org)
    russian.force_login(org["hr"])
    body = russian.get(review.get_absolute_url()).content.decode()
    assert f"{backend.name_ru} · {middle.name_ru} → {following.name_ru}" in body
    with translation.override("ru"):
        assert f'data-testid="review-status">{ReviewStatus.REQUESTED.label}</span>' in body


def test_a_review_refusal_names_the_level_in_russian(russian, org):
    _backend, _middle, following = names_ru()
    review = requested(org)
    russian.force_login(org["hr"])
    # Scheduling over unmet requirements without a reason is refused: the message names
    # the level the reader's way.
    from reviews import services
    from reviews.tests.factories import in_a_week, members

    with translation.override("ru"):
        with pytest.raises(services.ReviewError) as refused:
            services.review_schedule(review=review, when=in_a_week(), place="", members=members(org), by=org["hr"])
    assert following.name_ru in str(refused.value) and following.name not in str(refused.value)


def test_the_reports_form_in_russian(russian, org):
    backend, middle, _following = names_ru()
    russian.force_login(org["hr"])
    response = russian.get("/exports/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<option value="backend">{backend.name_ru}</option>' in body
    assert f'<option value="middle">{middle.name_ru}</option>' in body
    with translation.override("ru"):
        assert f'<option value="failed">{ReviewStatus.FAILED.label}</option>' in body
    assert '<option value="failed">failed</option>' not in body


def test_the_reports_form_in_english_keeps_the_english_names(client, org):
    backend, middle, _following = names_ru()
    client.force_login(org["hr"])
    body = client.get("/exports/").content.decode()
    assert f'<option value="backend">{backend.name}</option>' in body
    assert '<option value="failed">Failed</option>' in body


def test_a_promotion_reason_reads_in_the_readers_language(client, org):
    _backend, _middle, following = names_ru()
    # HR decides in Russian; the ledger keeps the product's sentence in English.
    with translation.override("ru"):
        review = decided(org)
    change = GradeChange.objects.get(pk=review.grade_change_id)
    assert change.reason == f"Passed the defense of {following.name} (review #{review.pk})."
    with translation.override("ru"):
        russian_reason = change.reason_display
    assert russian_reason == f"Пройдена защита уровня {following.name_ru} (защита №{review.pk})."
    assert change.reason_display == change.reason

    # Each reader sees it in their own language on the person's progress page.
    client.force_login(org["hr"])
    url = f"/people/{org['dev'].pk}/"
    assert change.reason in client.get(url).content.decode()
    client.cookies["django_language"] = "ru"
    assert russian_reason in client.get(url).content.decode()
    # And on the person's audit trail.
    body = client.get(f"/people/{org['dev'].pk}/trail/").content.decode()
    assert russian_reason in body


def test_a_reason_stored_in_russian_reads_in_english_too(org):
    _backend, _middle, following = names_ru()
    change = GradeChange(level=following, reason=f"Пройдена защита уровня {following.name_ru} (защита №7).")
    assert change.reason_display == f"Passed the defense of {following.name} (review #7)."


def test_a_reason_hr_wrote_stays_as_written(org):
    change = GradeChange(reason="Level corrected after the offer was checked.")
    with translation.override("ru"):
        assert change.reason_display == "Level corrected after the offer was checked."
