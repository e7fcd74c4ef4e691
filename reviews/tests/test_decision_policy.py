"""The decision policy: one row saying how the committee's votes decide, changed in the admin with
its history, and read by the decide service and the review page."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from grades.tests.factories import UserFactory
from reviews import services
from reviews.checks import check_retired_settings
from reviews.models import DecisionPolicy, DecisionRule, ReviewStatus
from reviews.tests.factories import organisation, user_of, voted

pytestmark = pytest.mark.django_db

CHANGE = "/admin/reviews/decisionpolicy/1/change/"
# One rejection among approvals: passes by majority, fails when it must be unanimous.
SPLIT = ("approve", "approve", "reject", "approve")


@pytest.fixture
def org():
    return organisation()


@pytest.fixture
def hr_client(client, org):
    org["hr"].is_staff = True
    org["hr"].save(update_fields=["is_staff"])
    client.force_login(org["hr"])
    return client


def stored():
    return (
        list(DecisionPolicy.objects.values()),
        list(DecisionPolicy.history.order_by("history_id").values_list("history_id", "rule", "history_user")),
    )


def set_rule(rule: str) -> None:
    DecisionPolicy.objects.filter(pk=DecisionPolicy.ROW_ID).update(rule=rule)


# --- The row -----------------------------------------------------------------------------------------


def test_the_migration_stored_majority_with_a_first_history_record():
    assert DecisionPolicy.current().rule == DecisionRule.MAJORITY == "majority"
    assert list(DecisionPolicy.history.values_list("history_type", "rule", "history_user")) == [
        ("+", "majority", None)
    ]


def test_an_unknown_rule_is_refused_by_the_model_and_by_the_database():
    policy = DecisionPolicy.current()
    policy.rule = "two-thirds"
    with pytest.raises(ValidationError) as caught:
        policy.full_clean()
    assert "rule" in caught.value.message_dict
    before = stored()
    with pytest.raises(IntegrityError), transaction.atomic():
        set_rule("two-thirds")
    assert stored() == before


def test_there_is_only_one_row():
    with pytest.raises(IntegrityError), transaction.atomic():
        DecisionPolicy.objects.create(pk=2, rule="unanimous")
    assert DecisionPolicy.objects.count() == 1


# --- The decide service ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rule, status", [("majority", ReviewStatus.PASSED), ("unanimous", ReviewStatus.FAILED)])
def test_the_same_votes_are_decided_by_the_rule_in_the_row(org, rule, status):
    review = voted(org, values=SPLIT)
    set_rule(rule)
    review = services.review_decide(review=review, by=org["hr"], note="Split committee")
    review.refresh_from_db()
    assert review.status == status
    assert review.events.order_by("-id").first().data["rule"] == rule


def test_a_change_in_the_admin_decides_the_next_defense(org, hr_client):
    review = voted(org, values=SPLIT)
    assert hr_client.post(CHANGE, {"rule": "unanimous"}).status_code == 302
    services.review_decide(review=review, by=org["hr"], note="Split committee")
    review.refresh_from_db()
    assert review.status == ReviewStatus.FAILED


# --- The review page ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule, sentence", [
    ("majority", "With these votes the defense passes (majority rule)."),
    ("unanimous", "With these votes the defense does not pass (unanimous rule)."),
])
def test_the_page_says_what_the_votes_decide_under_the_rule_in_the_row(client, org, rule, sentence):
    review = voted(org, values=SPLIT)
    set_rule(rule)
    client.force_login(org["hr"])
    assert sentence in client.get(f"/reviews/{review.pk}/").content.decode()


def test_the_page_names_the_rule_in_russian(client, org):
    review = voted(org, values=SPLIT)
    set_rule("unanimous")
    client.force_login(org["hr"])
    client.cookies["django_language"] = "ru"
    html = client.get(f"/reviews/{review.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "При таких голосах защита не пройдена (правило: единогласно)." in html


# --- The admin ---------------------------------------------------------------------------------------------


def test_hr_changes_the_rule_and_the_history_names_them(org, hr_client):
    assert "Majority: approvals outnumber rejections" in hr_client.get(CHANGE).content.decode()
    assert hr_client.post(CHANGE, {"rule": "unanimous"}).status_code == 302
    assert DecisionPolicy.current().rule == "unanimous"
    latest = DecisionPolicy.history.latest()
    assert (latest.history_type, latest.rule, latest.history_user) == ("~", "unanimous", org["hr"])
    assert hr_client.get("/admin/reviews/decisionpolicy/1/history/").status_code == 200


@pytest.mark.parametrize("data", [{"rule": "two-thirds"}, {"rule": ""}, {}])
def test_a_bad_rule_in_the_admin_is_shown_and_nothing_changes(hr_client, data):
    before = stored()
    response = hr_client.post(CHANGE, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["rule"]
    assert stored() == before


def test_the_row_cannot_be_added_or_deleted(hr_client, client):
    assert hr_client.get("/admin/reviews/decisionpolicy/add/").status_code == 403
    assert hr_client.get("/admin/reviews/decisionpolicy/1/delete/").status_code == 403
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.post("/admin/reviews/decisionpolicy/1/delete/", {"post": "yes"}).status_code == 403
    assert client.post("/admin/reviews/decisionpolicy/add/", {"rule": "unanimous"}).status_code == 403
    assert DecisionPolicy.objects.count() == 1


@pytest.mark.parametrize("who", ["cto", "lead", "dev", "manager"])
def test_committee_members_and_others_may_not_change_it(client, org, who):
    user = user_of(org[who])
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    before = stored()
    assert client.get(CHANGE).status_code == 403
    assert client.post(CHANGE, {"rule": "unanimous"}).status_code == 403
    assert stored() == before


# --- The variable no longer read -----------------------------------------------------------------------------


def test_the_old_variable_still_set_is_warned_about(monkeypatch):
    monkeypatch.delenv("REVIEWS_DECISION_RULE", raising=False)
    assert check_retired_settings() == []
    monkeypatch.setenv("REVIEWS_DECISION_RULE", "unanimous")
    [warning] = check_retired_settings()
    assert warning.id == "gradesys.W005"
    assert "REVIEWS_DECISION_RULE='unanimous' is set, but the product no longer reads it" in warning.msg
    assert "Reviews › Decision policy" in warning.msg
