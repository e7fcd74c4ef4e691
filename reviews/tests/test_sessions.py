"""Defense sessions: HR groups scheduled defenses by their days, the committee compares the
candidates side by side, and the outcome is counted per track and level (and in the reviews
report). Every refusal changes nothing."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from grades import services as grade_services
from grades.models import Book
from grades.tests.factories import hire
from reviews import services
from reviews.models import DefenseSession, PromotionReview
from reviews.tests.factories import (
    db_state,
    defense_day_came,
    in_a_week,
    members,
    organisation,
    requested,
    scheduled,
    user_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return organisation()


def week_session(org, **kwargs) -> DefenseSession:
    """A session over the seven days around a week from now (where the factories schedule)."""
    day = timezone.localdate(in_a_week())
    return services.session_create(
        name=kwargs.get("name", "Committee week"), name_ru=kwargs.get("name_ru", "Неделя комитета"),
        starts_on=day - datetime.timedelta(days=3), ends_on=day + datetime.timedelta(days=3), by=org["hr"],
    )


def state():
    return db_state(), list(DefenseSession.objects.order_by("id").values()), DefenseSession.history.count()


def login(client, person):
    client.force_login(user_of(person))
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Making a session ------------------------------------------------------------------------------


def test_hr_makes_a_session_on_the_page(client, org):
    login(client, org["hr"])
    response = client.post(reverse("reviews:sessions"), {
        "name": "Q1 committee", "name_ru": "Комитет I квартала", "starts_on": "2027-03-01", "ends_on": "2027-03-05",
    })
    session = DefenseSession.objects.get()
    assert response.status_code == 302 and response.url == reverse("reviews:session", args=[session.pk])
    assert (session.name, session.starts_on, session.ends_on, session.created_by) == (
        "Q1 committee", datetime.date(2027, 3, 1), datetime.date(2027, 3, 5), org["hr"],
    )
    record = session.history.get()
    assert (record.history_type, record.history_user) == ("+", org["hr"])
    page = client.get(reverse("reviews:sessions"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Комитет I квартала" in page


@pytest.mark.parametrize("data, message", [
    ({"name": " ", "starts_on": "2027-03-01", "ends_on": "2027-03-05"}, "This field is required."),
    ({"name": "Q1", "starts_on": "2027-03-05", "ends_on": "2027-03-01"}, "The session's last day is before its first day."),
    ({"name": "Q1", "starts_on": "2027-01-01", "ends_on": "2028-06-01"}, "A session spans at most a year."),
])
def test_a_bad_session_is_refused_with_a_message(client, org, data, message):
    login(client, org["hr"])
    before = state()
    response = client.post(reverse("reviews:sessions"), data)
    assert response.status_code == 400
    assert message in messages_of(response) or message in response.content.decode()
    assert state() == before


def test_a_malformed_date_is_a_form_error(client, org):
    login(client, org["hr"])
    response = client.post(reverse("reviews:sessions"), {"name": "Q1", "starts_on": "2027-02-30", "ends_on": "x"})
    assert response.status_code == 400 and DefenseSession.objects.count() == 0
    assert response.context["form"].errors.keys() == {"starts_on", "ends_on"}


@pytest.mark.parametrize("who", ["lead", "cto", "manager"])
def test_only_hr_makes_sessions(client, org, who):
    login(client, org[who])
    before = state()
    response = client.post(reverse("reviews:sessions"), {"name": "Q1", "starts_on": "2027-03-01", "ends_on": "2027-03-05"})
    assert response.status_code == 403 and "Only HR makes defense sessions." in response.content.decode()
    assert state() == before


def test_developers_do_not_read_sessions(client, org):
    session = week_session(org)
    login(client, org["dev"])
    assert client.get(reverse("reviews:sessions")).status_code == 403
    assert client.get(reverse("reviews:session", args=[session.pk])).status_code == 404


# --- Putting defenses in it ------------------------------------------------------------------------


def test_hr_puts_scheduled_defenses_of_its_days_in_it(client, org):
    session = week_session(org)
    review = scheduled(org)
    login(client, org["hr"])
    page = client.get(reverse("reviews:session", args=[session.pk])).content.decode()
    assert f'name="reviews" value="{review.pk}"' in page

    response = client.post(reverse("reviews:session", args=[session.pk]), {"reviews": [review.pk]})

    assert response.status_code == 302
    review.refresh_from_db()
    assert review.session == session
    record = review.history.latest()
    assert (record.history_user, record.history_change_reason) == (org["hr"], f"put in defense session {session.pk}")


def test_refusals_when_putting_defenses_in_change_nothing(client, org):
    session = week_session(org)
    other = services.session_create(name="Other", starts_on=datetime.date(2030, 1, 1),
                                    ends_on=datetime.date(2030, 1, 2), by=org["hr"])
    in_range = scheduled(org)
    waiting = requested(org, candidate=org["other_dev"])
    login(client, org["hr"])
    url = reverse("reviews:session", args=[session.pk])
    before = state()

    # Not scheduled; and all or nothing: the good one does not join either.
    response = client.post(url, {"reviews": [in_range.pk, waiting.pk]})
    assert response.status_code == 400
    assert state() == before
    # Outside the other session's days.
    response = client.post(reverse("reviews:session", args=[other.pk]), {"reviews": [in_range.pk]})
    assert response.status_code == 400
    assert any("outside the session's days" in m for m in messages_of(response))
    # Nothing chosen, and an id that is no defense at all.
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {"reviews": ["999999"]}).status_code == 400
    assert state() == before
    # Another HR action puts it in; it cannot be in two sessions.
    services.session_add(session=session, reviews=[in_range], by=org["hr"])
    third = services.session_create(name="Third", starts_on=session.starts_on, ends_on=session.ends_on, by=org["hr"])
    with pytest.raises(services.ReviewError, match="in another session already"):
        services.session_add(session=third, reviews=[in_range], by=org["hr"])


def test_only_hr_puts_defenses_in_or_takes_them_out(client, org):
    session = week_session(org)
    review = scheduled(org)
    services.session_add(session=session, reviews=[review], by=org["hr"])
    login(client, org["cto"])
    before = state()
    url = reverse("reviews:session", args=[session.pk])
    assert client.post(url, {"reviews": [review.pk]}).status_code == 403
    assert client.post(url, {"remove": "1", "review": review.pk}).status_code == 403
    assert state() == before


def test_hr_takes_an_undecided_defense_out_but_not_a_decided_one(client, org):
    session = week_session(org)
    review = scheduled(org)
    services.session_add(session=session, reviews=[review], by=org["hr"])
    login(client, org["hr"])
    url = reverse("reviews:session", args=[session.pk])
    assert client.post(url, {"remove": "1", "review": review.pk}).status_code == 302
    assert PromotionReview.objects.get(pk=review.pk).session is None

    services.session_add(session=session, reviews=[review], by=org["hr"])
    decided_review = decided_in(org, session, review)
    before = state()
    response = client.post(url, {"remove": "1", "review": decided_review.pk})
    assert response.status_code == 400 and "A decided defense stays in its session." in messages_of(response)
    assert client.post(url, {"remove": "1", "review": "abc"}).status_code == 400
    assert state() == before


def decided_in(org, session, review) -> PromotionReview:
    """Decide `review` (already in `session`) with four approvals."""
    from reviews.tests.factories import voted

    voted(org, review)
    return services.review_decide(review=review, by=org["hr"], note="Agreed.")


def test_a_defense_moved_off_the_sessions_days_leaves_it(org):
    session = week_session(org)
    review = scheduled(org)
    services.session_add(session=session, reviews=[review], by=org["hr"])
    services.review_schedule(review=review, when=in_a_week() + datetime.timedelta(days=1), place="Room 5",
                             members=members(org), by=org["hr"])
    assert PromotionReview.objects.get(pk=review.pk).session == session  # still on its days
    services.review_schedule(review=review, when=in_a_week() + datetime.timedelta(days=30), place="Room 5",
                             members=members(org), by=org["hr"])
    assert PromotionReview.objects.get(pk=review.pk).session is None


# --- Reading it ----------------------------------------------------------------------------------


def test_the_committee_compares_its_candidates_side_by_side(client, org):
    session = week_session(org)
    first = scheduled(org)
    second = scheduled(org, requested(org, candidate=org["other_dev"], by=org["other_lead"]))
    services.session_add(session=session, reviews=[first, second], by=org["hr"])
    defense_day_came(first)
    services.review_vote(review=first, by=org["product"], value="approve")
    # Dana's sprints in her level: 70%, 80%, 90% (rising); Dana has read one book.
    for month, done in ((1, 7), (2, 8), (3, 9)):
        grade_services.delivery_fact_record(
            employee=org["dev"], by=org["lead"].user, period_start=datetime.date(2024, month, 1),
            period_end=datetime.date(2024, month, 14), committed=Decimal(10), done=Decimal(done),
        )
    book = Book.objects.on_ladder_of(org["dev"].track).first()
    grade_services.book_mark_read(employee=org["dev"], book=book, note="Useful.", by=org["dev"].user)

    login(client, org["hr"])
    response = client.get(reverse("reviews:session", args=[session.pk]))
    assert response.status_code == 200
    rows = {row.review.pk: row for row in response.context["rows"]}
    assert set(rows) == {first.pk, second.pk}
    dev = org["dev"]
    dev.refresh_from_db()
    assert (rows[first.pk].done, rows[first.pk].total) == (dev.checklist_done, dev.checklist_total)
    # Middle since hire (2021-03-01), probation to 2021-06-01: months from then.
    assert rows[first.pk].months_in_level >= 12
    assert rows[first.pk].votes == {"approve": 1} and rows[first.pk].voted == 1
    assert (rows[first.pk].completion_trend, rows[first.pk].completion_last, rows[first.pk].books_read) == (
        "rising", 90, 1,
    )
    assert (rows[second.pk].completion_last, rows[second.pk].books_read) == (None, 0)
    page = response.content.decode()
    assert f'href="{reverse("reviews:session_summary", args=[session.pk])}"' in page
    assert "90% · rising" in page

    # A member who has not voted sees who has voted, not how.
    login(client, org["cto"])
    row = {r.review.pk: r for r in client.get(reverse("reviews:session", args=[session.pk])).context["rows"]}[first.pk]
    assert (row.visibility, row.votes, row.voted) == ("progress", {}, 1)
    page = client.get(reverse("reviews:session", args=[session.pk])).content.decode()
    assert "1 of 4 voted" in page and "for 1" not in page
    # One who has voted sees the votes.
    login(client, org["product"])
    row = {r.review.pk: r for r in client.get(reverse("reviews:session", args=[session.pk])).context["rows"]}[first.pk]
    assert row.votes == {"approve": 1}


def test_a_team_lead_sees_only_the_defenses_they_may_see(client, org):
    session = week_session(org)
    first = scheduled(org)
    second = scheduled(org, requested(org, candidate=org["other_dev"], by=org["other_lead"]))
    services.session_add(session=session, reviews=[first, second], by=org["hr"])
    login(client, org["other_lead"])
    rows = client.get(reverse("reviews:session", args=[session.pk])).context["rows"]
    assert [row.review.pk for row in rows] == [second.pk]
    # A lead of nobody in it, or a manager, finds no such session.
    stranger = hire(level_code="senior", roles=["Developer", "Team lead"])
    login(client, stranger)
    assert client.get(reverse("reviews:session", args=[session.pk])).status_code == 404
    assert client.get(reverse("reviews:session", args=[999999])).status_code == 404
    assert client.get(reverse("reviews:session_summary", args=[session.pk])).status_code == 404
    assert session.pk not in [s.pk for s in client.get(reverse("reviews:sessions")).context["sessions"]]


def test_the_outcome_counts_per_track_and_level_and_the_report_has_the_session(client, org):
    session = week_session(org)
    first = scheduled(org)
    second = scheduled(org, requested(org, candidate=org["other_dev"], by=org["other_lead"]))
    services.session_add(session=session, reviews=[first, second], by=org["hr"])
    decided_in(org, session, first)

    login(client, org["hr"])
    response = client.get(reverse("reviews:session_summary", args=[session.pk]))
    outcomes = {(line.track.slug, line.level.code): (line.passed, line.failed, line.pending, line.withdrawn)
                for line in response.context["outcomes"]}
    assert outcomes == {("backend", "middle-plus"): (1, 0, 0, 0), ("fullstack", "middle-plus"): (0, 0, 1, 0)}
    assert "Dana" not in response.content.decode()  # counts, no names
    assert 'data-testid="session-report"' in response.content.decode()  # HR downloads the reviews report
    login(client, org["other_lead"])
    lead_view = client.get(reverse("reviews:session_summary", args=[session.pk]))
    assert [(line.passed, line.pending) for line in lead_view.context["outcomes"]] == [(0, 1)]  # their report only
    assert 'data-testid="session-report"' not in lead_view.content.decode()


# The report reads through a connection of its own on MariaDB: the rows must be committed.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_reviews_report_carries_and_filters_by_the_session(client, org):
    session = week_session(org)
    first = scheduled(org)
    second = scheduled(org, requested(org, candidate=org["other_dev"], by=org["other_lead"]))
    services.session_add(session=session, reviews=[first, second], by=org["hr"])
    requested(org, candidate=org["colleague"])  # in no session
    login(client, org["hr"])

    report = client.get(reverse("exports:download", args=["reviews"]), {"session": session.pk, "delimiter": ","})
    assert report.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert sorted(int(row["review_id"]) for row in rows) == sorted([first.pk, second.pk])
    assert {row["session"] for row in rows} == {"Committee week"}
    everything = client.get(reverse("exports:download", args=["reviews"]), {"delimiter": ","})
    assert b"Committee week" in b"".join(everything.streaming_content)
    bad = client.get(reverse("exports:download", args=["reviews"]), {"session": 999999})
    assert bad.status_code == 400
