"""The candidate's statement: written with the request, changed by the candidate or their
team lead until HR schedules the defense, every change in the review's trail; refusals by
role, state and input change nothing."""

import pytest

from reviews import services
from reviews.models import PromotionReview, ReviewEvent, ReviewStatus
from reviews.services import MAX_TEXT, ReviewError
from reviews.tests.factories import db_state, decided, organisation, requested, scheduled, user_of

pytestmark = pytest.mark.django_db

STATEMENT = "Ready: the search rewrite and the on-call runbook show the Middle+ skills."


@pytest.fixture
def org():
    return organisation()


def login(client, person):
    client.force_login(user_of(person))
    return client


def body(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return html[start : html.index("</section>", start)]


# --- Requesting with a statement ------------------------------------------------------------------------


def test_the_request_form_asks_for_the_statement_and_stores_it(client, org):
    dev = org["dev"]
    page = login(client, dev).get("/me/")
    assert 'name="statement"' in body(page)
    response = client.post(f"/reviews/request/{dev.pk}/", {"statement": f"  {STATEMENT}  ", "recommendation": ""})
    assert response.status_code == 302
    review = PromotionReview.objects.get(candidate=dev)
    assert review.statement == STATEMENT
    assert review.events.get().data == {"statement": STATEMENT}
    assert review.history.latest().statement == STATEMENT
    page = client.get(review.get_absolute_url())
    assert STATEMENT in section(body(page), "packet-statement")


@pytest.mark.parametrize("statement", ["", "   \n ", None])
def test_a_request_without_a_statement_is_400_and_writes_nothing(client, org, statement):
    dev = org["dev"]
    before = db_state()
    data = {"recommendation": "Led the billing rewrite"}
    if statement is not None:
        data["statement"] = statement
    response = login(client, org["lead"]).post(f"/reviews/request/{dev.pk}/", data)
    assert response.status_code == 400
    assert "Write the statement: why the candidate is ready for the next level" in body(response)
    assert db_state() == before


def test_a_too_long_statement_is_400_and_writes_nothing(client, org):
    dev = org["dev"]
    before = db_state()
    response = login(client, dev).post(f"/reviews/request/{dev.pk}/", {"statement": "x" * (MAX_TEXT + 1)})
    assert response.status_code == 400
    assert f"at most {MAX_TEXT} characters" in body(response)
    assert db_state() == before


def test_the_service_refuses_a_request_without_a_statement(org):
    before = db_state()
    for statement in ["", "  ", "x" * (MAX_TEXT + 1)]:
        with pytest.raises(ReviewError):
            services.review_request(candidate=org["dev"], by=org["dev"].user, statement=statement)
    assert db_state() == before


# --- Editing --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["dev", "lead"])
def test_the_candidate_and_their_lead_edit_the_statement_while_requested(client, org, who):
    review = requested(org)
    page = login(client, org[who]).get(review.get_absolute_url())
    assert f'action="/reviews/{review.pk}/statement/"' in section(body(page), "packet-statement")

    response = client.post(f"/reviews/{review.pk}/statement/", {"statement": "Also: mentored Kim through the payments API."})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.statement == "Also: mentored Kim through the payments API."
    event = review.events.get(action=ReviewEvent.Action.STATEMENT)
    assert event.actor == user_of(org[who])
    assert event.data == {"statement": review.statement, "previous": STATEMENT}
    assert review.history.latest().history_user == user_of(org[who])
    page = client.get(review.get_absolute_url())
    assert "Statement edited" in body(page)
    assert "The statement is saved." in body(page)


@pytest.mark.parametrize("who", ["hr", "cto", "colleague", "other_lead", "manager"])
def test_anyone_else_is_refused_and_nothing_changes(client, org, who):
    # The CTO sees the review once seated on its committee, which needs it scheduled.
    review = scheduled(org) if who == "cto" else requested(org)
    before = db_state()
    response = login(client, org[who]).post(f"/reviews/{review.pk}/statement/", {"statement": "Something else"})
    # Those who may see the review are told they may not (403); the others learn nothing (404).
    assert response.status_code == (403 if who in ("hr", "cto") else 404)
    assert db_state() == before


def test_others_who_see_the_review_read_the_statement_without_the_form(client, org):
    review = requested(org)
    page = login(client, org["hr"]).get(review.get_absolute_url())
    statement = section(body(page), "packet-statement")
    assert STATEMENT in statement
    assert "/statement/" not in statement


@pytest.mark.parametrize("state", ["scheduled", "withdrawn", "decided"])
def test_once_scheduled_the_statement_no_longer_changes(client, org, state):
    if state == "decided":
        review = decided(org)
    else:
        review = scheduled(org)
        if state == "withdrawn":
            services.review_withdraw(review=review, by=org["hr"], reason="Postponed.")
    review.refresh_from_db()
    before = db_state()
    page = login(client, org["dev"]).get(review.get_absolute_url())
    assert "/statement/" not in section(body(page), "packet-statement")

    response = client.post(f"/reviews/{review.pk}/statement/", {"statement": "A late addition."})
    assert response.status_code == 400
    assert f"The review is {review.get_status_display().lower()}; the statement can no longer be changed." in messages_of(response)
    assert db_state() == before


@pytest.mark.parametrize("statement, message", [
    ("", "Write the statement: why the candidate is ready for the next level"),
    ("  ", "Write the statement: why the candidate is ready for the next level"),
    ("x" * (MAX_TEXT + 1), f"at most {MAX_TEXT} characters"),
    (STATEMENT, "The statement is the same as before; nothing was changed."),
])
def test_an_invalid_edit_is_400_and_changes_nothing(client, org, statement, message):
    review = requested(org)
    before = db_state()
    response = login(client, org["dev"]).post(f"/reviews/{review.pk}/statement/", {"statement": statement})
    assert response.status_code == 400
    assert message in body(response)
    assert db_state() == before


def test_the_service_refuses_the_wrong_person_and_state(org):
    review = requested(org)
    before = db_state()
    with pytest.raises(PermissionError):
        services.review_statement_edit(review=review, by=org["hr"], statement="HR's words")
    with pytest.raises(PermissionError):
        services.review_statement_edit(review=review, by=org["colleague"].user, statement="A colleague's words")
    assert db_state() == before
    scheduled(org, review)
    before = db_state()
    with pytest.raises(ReviewError, match="scheduled; the statement can no longer be changed"):
        services.review_statement_edit(review=review, by=org["dev"].user, statement="Too late")
    assert db_state() == before


def test_a_review_from_before_the_statement_says_none_was_written(client, org):
    review = requested(org)
    # As the migration leaves the reviews requested before the statement existed.
    PromotionReview.objects.filter(pk=review.pk).update(statement="")
    page = login(client, org["hr"]).get(review.get_absolute_url())
    statement = section(body(page), "packet-statement")
    assert "No statement was written." in statement
    assert review.status == ReviewStatus.REQUESTED


def test_the_statement_is_escaped(client, org):
    dev = org["dev"]
    services.review_request(candidate=dev, by=dev.user, statement="<script>alert(1)</script>")
    review = PromotionReview.objects.get(candidate=dev)
    html = body(login(client, dev).get(review.get_absolute_url()))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section(html, "packet-statement")


def test_the_statement_is_translated(client, org):
    review = requested(org)
    PromotionReview.objects.filter(pk=review.pk).update(statement="")
    client = login(client, org["dev"])
    client.cookies["django_language"] = "ru"
    html = body(client.get(review.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ru"))
    assert "Заявление кандидата" in html and "Заявление не написано." in html
