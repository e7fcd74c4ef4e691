"""The review pages: a whole defense in the browser, every refused action by role and state
(with nothing changed in the database), vote secrecy, the list, the calendar, query counts."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grades import rules as grade_rules
from grades.models import Employee, GradeChange, GradeChangeKind, Requirement
from grades.services import grade_change_record
from grades.tests.factories import EvidenceFactory, hire, level
from reviews import rules, services
from reviews.models import PromotionReview, ReviewEvent, ReviewStatus, SeatRole, Vote
from reviews.tests.factories import (
    confirm_checklist,
    db_state,
    decided,
    defense_day_came,
    in_a_week,
    members,
    organisation,
    requested,
    scheduled,
    user_of,
    voted,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return organisation()


def login(client, person):
    client.force_login(user_of(person))
    return client


def schedule_data(org, *, when=None, place="Room 4", override="", **seats):
    when = timezone.localtime(when or in_a_week())
    chosen = {role: user.pk for role, user in members(org).items()}
    chosen.update({role: user_of(user).pk for role, user in seats.items()})
    return {"when": when.strftime("%Y-%m-%dT%H:%M"), "place": place, "override_reason": override, **chosen}


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def body(response) -> str:
    return response.content.decode()


# --- The whole defense in the browser -------------------------------------------------------------


def test_full_defense_lead_requests_hr_schedules_committee_votes_hr_decides(
    client, org, mailoutbox, django_capture_on_commit_callbacks
):
    dev, lead, hr = org["dev"], org["lead"], org["hr"]
    confirm_checklist(dev)

    # The team lead finds the request form on the developer's progress page.
    page = login(client, lead).get(f"/people/{dev.pk}/")
    assert page.status_code == 200
    assert "Request a defense of Middle+" in body(page)
    response = client.post(f"/reviews/request/{dev.pk}/", {"statement": "Ready for the next level.", "recommendation": "Led the billing rewrite"})
    review = PromotionReview.objects.get(candidate=dev)
    assert response.status_code == 302 and response["Location"] == f"/reviews/{review.pk}/"
    assert (review.status, review.from_level.code, review.to_level.code) == ("requested", "middle", "middle-plus")
    assert review.requested_by == lead.user and review.recommendation == "Led the billing rewrite"
    assert "Open the review" in body(client.get(f"/people/{dev.pk}/"))

    # HR schedules: the team-lead seat defaults to the candidate's lead; nothing to override.
    page = login(client, hr).get(f"/reviews/{review.pk}/")
    assert page.context["forms"]["schedule"].initial[SeatRole.TEAM_LEAD] == lead.user.pk
    assert 'name="override_reason"' not in body(page)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/reviews/{review.pk}/schedule/", schedule_data(org, place="Room 7"))
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.SCHEDULED and review.place == "Room 7" and review.override_reason == ""
    assert {seat.role: seat.member for seat in review.seats.all()} == members(org)
    # The committee and the candidate are invited.
    assert sorted(m.to[0] for m in mailoutbox) == sorted([*(u.email for u in members(org).values()), dev.user.email])

    # The defense's day comes. Each member votes on the page; 3 approvals to 1 rejection pass under the majority rule.
    defense_day_came(review)
    for role, value in [("cto", "approve"), ("product", "reject"), ("hrdirector", "approve"), ("lead", "approve")]:
        response = login(client, org[role]).post(f"/reviews/{review.pk}/vote/",
                                                 {"value": value, "comment": f"{role}: ok"})
        assert response.status_code == 302, role
    assert Vote.objects.filter(seat__review=review).count() == 4

    page = login(client, hr).get(f"/reviews/{review.pk}/")
    assert "With these votes the defense passes (majority rule)." in body(page)
    response = client.post(f"/reviews/{review.pk}/decide/", {"note": "Convincing defense"})
    assert response.status_code == 302
    review.refresh_from_db()
    dev.refresh_from_db()
    promotion = GradeChange.objects.filter(employee=dev).order_by("-id").first()
    assert review.status == ReviewStatus.PASSED and review.decided_by == hr
    assert dev.current_level.code == "middle-plus"
    assert review.grade_change == promotion and promotion.kind == GradeChangeKind.PROMOTION
    assert list(review.events.values_list("action", flat=True)) == [
        "requested", "scheduled", "voted", "voted", "voted", "voted", "passed"]

    # The developer sees the new level, the outcome and the decision note.
    page = login(client, dev).get("/me/")
    assert page.context["progress"].level.code == "middle-plus"
    assert "Latest defense: Middle+, passed on" in body(page)
    page = client.get(f"/reviews/{review.pk}/")
    assert "Convincing defense" in body(page) and "Passed: the new level is Middle+." in body(page)


def test_a_failing_vote_fails_and_the_cooldown_shows_on_the_progress_page(client, org):
    dev, hr = org["dev"], org["hr"]
    review = voted(org, values=("reject", "approve", "reject", "abstain"))
    response = login(client, hr).post(f"/reviews/{review.pk}/decide/", {"note": "Not yet: system design"})
    assert response.status_code == 302
    review.refresh_from_db()
    dev.refresh_from_db()
    assert review.status == ReviewStatus.FAILED and review.grade_change is None
    assert dev.current_level.code == "middle"
    assert not GradeChange.objects.filter(employee=dev, kind=GradeChangeKind.PROMOTION).exists()

    earliest = grade_rules.add_months(timezone.localdate(), 3)
    page = login(client, dev).get("/me/")
    assert page.context["progress"].earliest_defense == earliest
    assert f'data-testid="earliest-defense">{earliest:%Y-%m-%d}<' in body(page)
    assert "Latest defense: Middle+, not passed on" in body(page)
    assert f"You can request a defense from {earliest:%Y-%m-%d}." in body(page)

    # Requesting during the cool-down: 400, the date in the message, nothing written.
    before = db_state()
    response = login(client, org["lead"]).post(f"/reviews/request/{dev.pk}/", {"statement": "Ready for the next level.", "recommendation": "Try again"})
    assert response.status_code == 400
    assert f"Too early: the next defense may be held from {earliest:%Y-%m-%d}." in messages_of(response)
    assert "Try again" in body(response)  # the form is shown again with what was typed
    assert db_state() == before


# --- Every transition by every wrong role and in every wrong state -----------------------------------

ACTORS = ["hr", "dev", "lead", "cto", "colleague", "other_lead", "manager", "spare"]
STATES = ["requested", "scheduled", "voted", "passed", "failed", "withdrawn"]
ALLOWED_ROLES = {
    "schedule": {"hr"},
    "vote": {"lead", "cto"},  # the seated members among the actors
    "decide": {"hr"},
    "withdraw": {"hr", "dev", "lead"},
}
ALLOWED_STATES = {
    "schedule": {"requested", "scheduled", "voted"},
    "vote": {"scheduled", "voted"},
    "decide": {"voted"},
    "withdraw": {"requested", "scheduled", "voted"},
}
REFUSALS = {
    "schedule": "can no longer be scheduled",
    "vote": "Votes are taken only while the defense is scheduled",
    "decide": "only a scheduled defense can be decided",
    "withdraw": "can no longer be withdrawn",
}


def build(org, state) -> PromotionReview:
    if state == "requested":
        return requested(org)
    if state == "scheduled":
        return defense_day_came(scheduled(org))
    if state == "voted":
        return voted(org)
    if state == "passed":
        return decided(org)
    if state == "failed":
        return decided(org, values=("reject", "reject", "approve", "abstain"))
    review = scheduled(org)
    return services.review_withdraw(review=review, by=org["hr"], reason="Moved to another team")


def expected_status(actor, action, state) -> int:
    seated = state != "requested"  # a review withdrawn after scheduling keeps its seats
    visible = actor in {"hr", "dev", "lead"} or (actor == "cto" and seated)
    if not visible:
        return 404
    allowed = ALLOWED_ROLES[action] if seated or action != "vote" else set()
    if actor not in allowed:
        return 403
    if state not in ALLOWED_STATES[action]:
        return 400
    return 302


@pytest.mark.parametrize("state", STATES)
def test_every_wrong_role_and_state_is_refused_and_changes_nothing(client, org, state):
    review = build(org, state)
    payloads = {
        "schedule": schedule_data(org, override="Schedule it anyway"),
        "vote": {"value": "reject", "comment": "late"},
        "decide": {"note": "decided"},
        "withdraw": {"reason": "changed my mind"},
    }
    checked = 0
    for actor in ACTORS:
        login(client, org[actor])
        for action, payload in payloads.items():
            expected = expected_status(actor, action, state)
            if expected == 302:
                continue  # the allowed transitions are run in their own tests
            before = db_state()
            response = client.post(f"/reviews/{review.pk}/{action}/", payload)
            where = f"{actor} {action} on a {state} review"
            assert response.status_code == expected, where
            assert db_state() == before, where
            if expected == 400:
                assert any(
                    REFUSALS[action] in m or "Not everyone has voted yet" in m for m in messages_of(response)
                ), where
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    "action, actor, status, message",
    [
        ("schedule", "dev", 403, None),  # a developer (the candidate) scheduling
        ("vote", "hr", 403, None),  # HR is not on this committee
        ("vote", "dev", 403, None),  # nor is the candidate
        ("vote", "spare", 404, None),  # a committee member of other defenses does not see this one
        ("decide", "cto", 403, None),  # a committee member deciding
        ("decide", "hr", 400, "Not everyone has voted yet: Product director, HR director, Team lead."),
        ("withdraw", "colleague", 404, None),  # a stranger
        ("withdraw", "cto", 403, None),
    ],
)
def test_named_refusals_on_a_scheduled_review(client, org, action, actor, status, message):
    review = defense_day_came(scheduled(org))
    services.review_vote(review=review, by=org["cto"], value="approve")
    payload = {
        "schedule": schedule_data(org),
        "vote": {"value": "approve"},
        "decide": {"note": ""},
        "withdraw": {"reason": ""},
    }[action]
    before = db_state()
    response = login(client, org[actor]).post(f"/reviews/{review.pk}/{action}/", payload)
    assert response.status_code == status
    if message:
        assert message in messages_of(response)
        assert message in body(response)
    assert db_state() == before


def test_voting_after_the_decision_is_400(client, org):
    review = decided(org)
    before = db_state()
    response = login(client, org["cto"]).post(f"/reviews/{review.pk}/vote/", {"value": "reject"})
    assert response.status_code == 400
    assert "Votes are taken only while the defense is scheduled; it is passed." in messages_of(response)
    assert db_state() == before


def test_members_change_their_vote_until_the_decision(client, org):
    review = defense_day_came(scheduled(org))
    login(client, org["cto"])
    assert client.post(f"/reviews/{review.pk}/vote/", {"value": "approve", "comment": "yes"}).status_code == 302
    page = client.get(f"/reviews/{review.pk}/")
    assert page.context["forms"]["vote"].initial == {"value": "approve", "comment": "yes"}
    response = client.post(f"/reviews/{review.pk}/vote/", {"value": "reject", "comment": "on reflection"})
    assert response.status_code == 302
    vote = Vote.objects.get(seat__review=review, seat__member=org["cto"])
    assert (vote.value, vote.comment) == ("reject", "on reflection") and vote.changed_at is not None
    assert list(review.events.filter(actor=org["cto"]).values_list("action", flat=True)) == ["voted", "vote_changed"]


@pytest.mark.parametrize("payload, message", [
    ({"value": "maybe"}, "Select a valid choice."),
    ({}, "This field is required."),
    ({"value": "approve", "comment": "x" * 5001}, "at most 5000 characters"),
])
def test_an_invalid_vote_is_400_and_writes_nothing(client, org, payload, message):
    review = scheduled(org)
    before = db_state()
    response = login(client, org["cto"]).post(f"/reviews/{review.pk}/vote/", payload)
    assert response.status_code == 400
    assert message in body(response)
    assert db_state() == before


# --- Scheduling --------------------------------------------------------------------------------------


def test_unmet_requirements_need_a_reason_which_is_then_shown(client, org):
    review = requested(org)
    login(client, org["hr"])
    page = client.get(f"/reviews/{review.pk}/")
    assert 'name="override_reason"' in body(page) and 'data-testid="unmet-warning"' in body(page)
    unmet = len(page.context["unmet"])
    assert unmet > 0

    before = db_state()
    response = client.post(f"/reviews/{review.pk}/schedule/", schedule_data(org))
    assert response.status_code == 400
    assert (f"{unmet} requirement(s) of Middle+ are not confirmed yet; confirm them first or give a "
            "reason to schedule anyway.") in messages_of(response)
    assert response.context["forms"]["schedule"].data["place"] == "Room 4"
    assert db_state() == before

    response = client.post(f"/reviews/{review.pk}/schedule/",
                           schedule_data(org, override="Architecture owner already"))
    assert response.status_code == 302
    page = client.get(f"/reviews/{review.pk}/")
    assert re.search(r'data-testid="override-reason">.*Architecture owner already', body(page), re.S)
    # The candidate sees it too.
    assert "Architecture owner already" in body(login(client, org["dev"]).get(f"/reviews/{review.pk}/"))


@pytest.mark.parametrize("change, message", [
    ({"when": "2020-01-01T10:00"}, "The defense must be scheduled in the future."),
    ({"when": "tomorrow"}, "Enter a valid date/time."),
    ({"place": ""}, "This field is required."),
    ({"cto": "product"}, "A person can hold only one seat on a committee."),
    ({"cto": "dev"}, "Select a valid choice."),  # the candidate is never offered
    ({"cto": "manager"}, "Select a valid choice."),  # nor someone outside the committee groups
])
def test_bad_schedules_are_400_and_write_nothing(client, org, change, message):
    review = requested(org)
    confirm_checklist(org["dev"])
    data = schedule_data(org)
    for key, value in change.items():
        data[key] = user_of(org[value]).pk if key in SeatRole.values else value
    before = db_state()
    response = login(client, org["hr"]).post(f"/reviews/{review.pk}/schedule/", data)
    assert response.status_code == 400
    assert message in body(response)
    assert db_state() == before


def test_hr_moves_a_scheduled_defense(client, org, mailoutbox, django_capture_on_commit_callbacks):
    review = scheduled(org)
    later = in_a_week() + datetime.timedelta(days=3)
    login(client, org["hr"])
    page = client.get(f"/reviews/{review.pk}/")
    assert "Move the defense" in body(page)
    assert page.context["forms"]["schedule"].initial["place"] == "Room 4"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/reviews/{review.pk}/schedule/",
                               schedule_data(org, when=later, place="Room 9", override="Still fine"))
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.scheduled_for, review.place) == (later, "Room 9")
    assert review.events.order_by("-id").first().action == ReviewEvent.Action.MOVED
    assert len(mailoutbox) == 4 + 1  # the committee and the candidate
    assert f"{timezone.localtime(later):%Y-%m-%d %H:%M} · Room 9" in body(client.get(f"/reviews/{review.pk}/"))


# --- Withdrawal ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["dev", "lead", "hr"])
def test_candidate_lead_and_hr_withdraw_an_open_review(client, org, who):
    review = requested(org)
    response = login(client, org[who]).post(f"/reviews/{review.pk}/withdraw/", {"reason": "Parental leave"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.WITHDRAWN and review.withdrawn_reason == "Parental leave"
    # The person may ask again later: the open slot is free.
    assert "Request a defense of Middle+" in body(login(client, org["dev"]).get("/me/"))


# --- Requesting ------------------------------------------------------------------------------------------


def test_the_developer_requests_their_own_defense(client, org):
    dev = org["dev"]
    page = login(client, dev).get("/me/")
    assert "Request a defense of Middle+" in body(page)
    response = client.post(f"/reviews/request/{dev.pk}/", {"statement": "Ready for the next level.", "recommendation": ""})
    assert response.status_code == 302
    review = PromotionReview.objects.get(candidate=dev)
    assert review.requested_by == dev.user
    page = client.get("/me/")
    assert "Request a defense" not in body(page)
    assert "The defense of Middle+ was requested on" in body(page)


def test_a_skip_is_not_possible(client, org):
    """The target is never a parameter: a forged `to_level` is ignored, the next rank is taken."""
    dev = org["dev"]
    response = login(client, dev).post(f"/reviews/request/{dev.pk}/", {"to_level": "senior", "statement": "Ready for the next level.", "recommendation": ""})
    assert response.status_code == 302
    assert PromotionReview.objects.get(candidate=dev).to_level.code == "middle-plus"
    # The rule behind the service refuses any target but the next rank.
    assert rules.request_refusal(
        current_rank=4, target_rank=7, top_rank=9, target_entry_only=False, earliest=None,
        today=timezone.localdate(), probation_end=None, has_open_review=False,
    ) == "Grades are passed in order: only the next level can be defended."


def test_the_promotion_is_refused_when_the_candidate_changed_level_meanwhile(client, org):
    """A correction between scheduling and decision: deciding would skip a rank, so it is refused."""
    review = voted(org)
    grade_change_record(employee=org["dev"], kind=GradeChangeKind.CORRECTION, level=level("middle-plus"),
                        effective_date=timezone.localdate(), reason="Mis-recorded at hire", by=org["hr"])
    before = db_state()
    response = login(client, org["hr"]).post(f"/reviews/{review.pk}/decide/", {"note": ""})
    assert response.status_code == 400
    assert any(m.startswith("The promotion cannot be recorded: A promotion goes to the next level only")
               for m in messages_of(response))
    assert db_state() == before


def test_request_during_probation_is_400_with_the_date(client, org):
    today = timezone.localdate()
    probation_end = today + datetime.timedelta(days=40)
    newcomer = hire(level_code="middle", team_lead=org["lead"], hire_date=today - datetime.timedelta(days=50),
                    probation_end=probation_end)
    before = db_state()
    response = login(client, newcomer).post(f"/reviews/request/{newcomer.pk}/", {"statement": "Ready for the next level.", "recommendation": ""})
    assert response.status_code == 400
    [message] = messages_of(response)
    assert message.startswith(f"The probation period runs until {probation_end:%Y-%m-%d}")
    assert db_state() == before


def test_request_too_early_is_400_with_the_date(client, org):
    today = timezone.localdate()
    newcomer = hire(level_code="middle", team_lead=org["lead"], hire_date=today - datetime.timedelta(days=30))
    earliest = grade_rules.add_months(today - datetime.timedelta(days=30), 6)
    before = db_state()
    response = login(client, org["lead"]).post(f"/reviews/request/{newcomer.pk}/", {"statement": "Ready for the next level.", "recommendation": ""})
    assert response.status_code == 400
    assert f"Too early: the next defense may be held from {earliest:%Y-%m-%d}." in messages_of(response)
    assert db_state() == before


def test_a_second_open_review_is_400(client, org):
    dev = org["dev"]
    requested(org)
    before = db_state()
    response = login(client, dev).post(f"/reviews/request/{dev.pk}/", {"statement": "Ready for the next level.", "recommendation": ""})
    assert response.status_code == 400
    assert "There is already an open review for this person." in messages_of(response)
    assert db_state() == before


def test_top_of_the_ladder_has_no_form_and_is_refused(client, org):
    top = hire(level_code="senior-plus-plus", hire_date=datetime.date(2015, 1, 1))
    page = login(client, top).get("/me/")
    assert "Request a defense" not in body(page)
    before = db_state()
    response = client.post(f"/reviews/request/{top.pk}/", {"statement": "Ready for the next level.", "recommendation": ""})
    assert response.status_code == 400
    assert "The person is at the top of the ladder." in messages_of(response)
    assert db_state() == before


@pytest.mark.parametrize("who, status", [("hr", 403), ("colleague", 404), ("other_lead", 404), ("manager", 404)])
def test_only_the_candidate_or_their_lead_request(client, org, who, status):
    dev = org["dev"]
    before = db_state()
    response = login(client, org[who]).post(f"/reviews/request/{dev.pk}/", {"statement": "Ready for the next level.", "recommendation": ""})
    assert response.status_code == status
    assert db_state() == before
    if who != "hr":
        # Not on their progress pages either: they cannot see the developer at all.
        assert login(client, org[who]).get(f"/people/{dev.pk}/").status_code == 404


def test_request_with_a_too_long_recommendation_is_400(client, org):
    dev = org["dev"]
    before = db_state()
    response = login(client, dev).post(f"/reviews/request/{dev.pk}/", {"statement": "Ready for the next level.", "recommendation": "x" * 5001})
    assert response.status_code == 400
    assert "at most 5000 characters" in body(response)
    assert db_state() == before


def test_others_see_the_box_without_the_form(client, org):
    review = requested(org)
    page = login(client, org["hr"]).get(f"/people/{org['dev'].pk}/")
    assert f'href="/reviews/{review.pk}/"' in body(page)
    assert "Request a defense" not in body(page)


# --- Vote secrecy ----------------------------------------------------------------------------------------


def test_a_member_sees_other_votes_only_after_voting(client, org):
    review = defense_day_came(scheduled(org))
    services.review_vote(review=review, by=org["cto"], value="reject", comment="Weak on incident handling")

    page = login(client, org["product"]).get(f"/reviews/{review.pk}/")
    html = body(page)
    assert page.context["visibility"] == "progress"
    assert "Weak on incident handling" not in html
    assert 'data-testid="vote"' not in html and 'data-testid="trail-vote"' not in html
    assert 'data-testid="tally"' not in html
    assert "has voted" in html  # that the CTO voted is no secret, how they voted is
    assert 'data-testid="votes-hidden"' in html

    client.post(f"/reviews/{review.pk}/vote/", {"value": "approve", "comment": "Good design sense"})
    html = body(client.get(f"/reviews/{review.pk}/"))
    assert "Weak on incident handling" in html
    assert html.count('data-testid="vote"') == 2
    assert 'data-testid="tally"' in html


def test_hr_sees_every_vote_all_along(client, org):
    review = defense_day_came(scheduled(org))
    services.review_vote(review=review, by=org["cto"], value="reject", comment="Weak on incident handling")
    html = body(login(client, org["hr"]).get(f"/reviews/{review.pk}/"))
    assert "Weak on incident handling" in html and 'data-testid="vote"' in html


def test_the_candidate_sees_the_outcome_and_the_tally_only_after_the_decision(client, org):
    review = voted(org, values=("reject", "approve", "approve", "abstain"))
    login(client, org["dev"])
    html = body(client.get(f"/reviews/{review.pk}/"))
    assert 'data-testid="tally"' not in html and 'data-testid="vote"' not in html
    assert 'data-action="voted"' not in html and "says" not in html  # comments are "<role> says <vote>"
    assert "has voted" not in html

    services.review_decide(review=review, by=org["hr"], note="Welcome to Middle+")
    html = body(client.get(f"/reviews/{review.pk}/"))
    assert "Welcome to Middle+" in html and 'data-testid="outcome"' in html
    assert re.search(r'data-testid="tally">Approve 2 · reject 1 · abstain 1<', html)
    assert 'data-testid="vote"' not in html and "says" not in html


def test_vote_visibility_rules():
    from reviews.models import CommitteeSeat, Vote as VoteModel
    from reviews.views import vote_visibility

    seat = CommitteeSeat(role="cto")
    voted_seat = CommitteeSeat(role="cto")
    voted_seat.vote = VoteModel(value="approve")
    assert vote_visibility(is_hr=True, seat=None, decided=False) == "all"
    assert vote_visibility(is_hr=False, seat=seat, decided=False) == "progress"
    assert vote_visibility(is_hr=False, seat=voted_seat, decided=False) == "all"
    assert vote_visibility(is_hr=False, seat=seat, decided=True) == "all"
    assert vote_visibility(is_hr=False, seat=None, decided=False) == "none"
    assert vote_visibility(is_hr=False, seat=None, decided=True) == "tally"


# --- The review page -----------------------------------------------------------------------------------


def test_the_packet_shows_checklist_evidence_history_and_time_in_level(client, org):
    dev = org["dev"]
    requirement = Requirement.objects.filter(
        track=dev.track, check_kind="", track_level__level__code="middle-plus").first()
    EvidenceFactory(employee=dev, requirement=requirement, confirmed=True,
                    description="Rewrote the retry queue", links=["https://git.example.com/pr/7"])
    review = scheduled(org)
    page = login(client, org["cto"]).get(f"/reviews/{review.pk}/")
    html = body(page)
    assert page.status_code == 200
    assert f'data-requirement="{requirement.pk}"' in html and "Rewrote the retry queue" in html
    assert "https://git.example.com/pr/7" in html
    assert page.context["progress"].months_in_level == grade_rules.whole_months_between(
        datetime.date(2021, 6, 1), timezone.localdate())
    assert "counted from 2021-06-01" in html
    assert re.search(r'data-testid="grade-history">.*Middle.*Hire', html, re.S)
    assert "Led the billing rewrite." in html  # the recommendation
    assert [e.event.action for e in page.context["trail"]] == ["requested", "scheduled"]
    assert "Room 4" in html


@pytest.mark.parametrize("who, status", [
    ("hr", 200), ("dev", 200), ("lead", 200), ("cto", 200),
    ("colleague", 404), ("other_lead", 404), ("manager", 404), ("spare", 404),
])
def test_review_page_visibility(client, org, who, status):
    review = scheduled(org)
    response = login(client, org[who]).get(f"/reviews/{review.pk}/")
    assert response.status_code == status
    if status == 404:
        assert "Led the billing rewrite" not in body(response)


def test_each_role_gets_its_forms(client, org):
    review = voted(org)
    forms = {}
    for who in ["hr", "dev", "lead", "cto"]:
        forms[who] = set(login(client, org[who]).get(f"/reviews/{review.pk}/").context["forms"])
    assert forms == {
        "hr": {"schedule", "decide", "withdraw"},
        "dev": {"withdraw"},
        "lead": {"vote", "withdraw"},  # the lead sits on the committee and is the candidate's lead
        "cto": {"vote"},
    }
    services.review_decide(review=review, by=org["hr"])
    for who in ["hr", "dev", "lead", "cto"]:
        assert login(client, org[who]).get(f"/reviews/{review.pk}/").context["forms"] == {}, who


def test_every_form_carries_a_csrf_token(client, org):
    review = voted(org)
    for who, url in [("hr", f"/reviews/{review.pk}/"), ("lead", f"/reviews/{review.pk}/"),
                     ("dev", "/me/")]:
        html = body(login(client, org[who]).get(url))
        posts = html.count('method="post"')
        assert posts >= 2 and html.count('name="csrfmiddlewaretoken"') == posts, who


def test_posts_without_the_csrf_token_are_refused(org):
    review = scheduled(org)
    client = Client(enforce_csrf_checks=True)
    before = db_state()
    login(client, org["cto"])
    assert client.post(f"/reviews/{review.pk}/vote/", {"value": "approve"}).status_code == 403
    login(client, org["hr"])
    assert client.post(f"/reviews/{review.pk}/withdraw/", {}).status_code == 403
    login(client, org["dev"])
    assert client.post(f"/reviews/request/{org['colleague'].pk}/", {}).status_code == 403
    assert db_state() == before


def test_actions_need_post_and_a_login(client, org):
    review = scheduled(org)
    login(client, org["hr"])
    for action in ["schedule", "vote", "decide", "withdraw"]:
        assert client.get(f"/reviews/{review.pk}/{action}/").status_code == 405
    assert client.get(f"/reviews/request/{org['dev'].pk}/").status_code == 405
    client.logout()
    before = db_state()
    for url in ["/reviews/", "/reviews/upcoming/", f"/reviews/{review.pk}/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    response = client.post(f"/reviews/{review.pk}/withdraw/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert db_state() == before


def test_unknown_review_is_404(client, org):
    login(client, org["hr"])
    assert client.get("/reviews/999999/").status_code == 404
    assert client.post("/reviews/999999/decide/", {}).status_code == 404


def test_text_is_escaped(client, org):
    dev = org["dev"]
    services.review_request(statement="Ready for the next level.", candidate=dev, by=dev.user, recommendation="<script>alert(1)</script>")
    review = PromotionReview.objects.get(candidate=dev)
    html = body(login(client, org["hr"]).get(f"/reviews/{review.pk}/"))
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


# --- The list ---------------------------------------------------------------------------------------------


@pytest.fixture
def many(org):
    """Reviews of three people: dev (scheduled, cto and the lead seated), a fullstack developer
    (requested), and a passed one of the colleague's from the past."""
    dev_review = scheduled(org)
    other_review = services.review_request(statement="Ready for the next level.", candidate=org["other_dev"], by=org["other_dev"].user)
    colleague = org["colleague"]
    colleague_review = services.review_request(statement="Ready for the next level.", candidate=colleague, by=org["lead"].user)
    services.review_withdraw(review=colleague_review, by=org["lead"].user)
    return {"dev": dev_review, "other": other_review, "colleague": colleague_review}


def listed(client, query="") -> set[int]:
    response = client.get(f"/reviews/{query}")
    assert response.status_code == 200, body(response)
    return {review.pk for review in response.context["page"].object_list}


def test_the_list_shows_what_each_person_may_see(client, org, many):
    assert listed(login(client, org["hr"])) == {r.pk for r in many.values()}
    assert listed(login(client, org["dev"])) == {many["dev"].pk}
    assert listed(login(client, org["lead"])) == {many["dev"].pk, many["colleague"].pk}
    assert listed(login(client, org["cto"])) == {many["dev"].pk}
    assert listed(login(client, org["other_lead"])) == {many["other"].pk}
    assert listed(login(client, org["manager"])) == set()
    assert listed(login(client, org["spare"])) == set()


def test_list_filters(client, org, many):
    login(client, org["hr"])
    when = timezone.localdate(many["dev"].scheduled_for)
    assert listed(client, "?status=scheduled") == {many["dev"].pk}
    assert listed(client, "?status=withdrawn") == {many["colleague"].pk}
    assert listed(client, "?track=fullstack") == {many["other"].pk}
    assert listed(client, "?level=middle-plus") == {many["dev"].pk, many["other"].pk}
    assert listed(client, "?level=junior-plus-plus") == {many["colleague"].pk}
    assert listed(client, f"?from={when:%Y-%m-%d}&to={when:%Y-%m-%d}") == {many["dev"].pk}
    assert listed(client, f"?from={when + datetime.timedelta(days=1):%Y-%m-%d}") == set()
    assert listed(client, f"?to={when - datetime.timedelta(days=1):%Y-%m-%d}") == set()
    assert listed(client, "?status=&track=&level=&from=&to=") == {r.pk for r in many.values()}


def test_waiting_for_my_vote(client, org, many):
    review = many["dev"]
    login(client, org["cto"])
    assert listed(client, "?mine=1") == {review.pk}
    assert 'data-testid="awaiting-my-vote"' in body(client.get("/reviews/"))
    defense_day_came(review)
    services.review_vote(review=review, by=org["cto"], value="approve")
    assert listed(client, "?mine=1") == set()
    assert 'data-testid="awaiting-my-vote"' not in body(client.get("/reviews/"))
    # The lead still has to vote; HR has no seat at all.
    assert listed(login(client, org["lead"]), "?mine=1") == {review.pk}
    assert listed(login(client, org["hr"]), "?mine=1") == set()


@pytest.mark.parametrize("query, parameter", [
    ("?status=approved", "status"),
    ("?track=cobol", "track"),
    ("?level=principal", "level"),
    ("?from=yesterday", "from"),
    ("?to=2024-02-30", "to"),
    ("?from=2025-03-01&to=2025-02-01", "to"),
])
def test_a_bad_filter_is_400_naming_the_parameter(client, org, query, parameter):
    response = login(client, org["hr"]).get(f"/reviews/{query}")
    assert response.status_code == 400
    lines = re.findall(r'data-testid="filter-error">([^<]*)<', body(response))
    assert lines and all(line.startswith(f"Invalid filter “{parameter}”") for line in lines), lines


def test_the_list_paginates(client, org, monkeypatch):
    from reviews import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for _ in range(5):
        services.review_request(statement="Ready for the next level.", candidate=hire(level_code="middle", team_lead=org["lead"]), by=org["lead"].user)
    login(client, org["hr"])
    first = client.get("/reviews/?status=requested")
    assert first.context["page"].paginator.num_pages == 3
    assert "status=requested&amp;page=2" in body(first)
    third = client.get("/reviews/?status=requested&page=3")
    assert len(third.context["page"].object_list) == 1


# The statements of the list and of the review page per role: test_query_counts.py.


def test_the_review_box_adds_one_query_to_the_progress_page(client, org):
    dev = org["dev"]
    confirm_checklist(dev)
    login(client, dev)
    client.get("/me/")
    with CaptureQueriesContext(connection) as without_reviews:
        client.get("/me/")
    # An open review, a passed and a failed one in the past: still one query for the box.
    decided(org, values=("reject", "reject", "reject", "reject"))
    long_ago = timezone.now() - datetime.timedelta(days=200)
    PromotionReview.objects.filter(candidate=dev).update(decided_at=long_ago)
    # The day the decision service noted on the person's row, moved back with it.
    Employee.objects.filter(pk=dev.pk).update(last_failed_defense_on=timezone.localdate(long_ago))
    requested(org, by=dev)
    with CaptureQueriesContext(connection) as with_reviews:
        page = client.get("/me/")
    # The box reads the person's reviews in one statement, however many there are.
    # (The box of feedback asked of the person reads the reviews it names in a statement of its own.)
    box_queries = [
        q["sql"] for q in with_reviews.captured_queries
        if "reviews_promotionreview" in q["sql"] and "reviews_feedbackrequest" not in q["sql"]
    ]
    assert len(box_queries) == 1, box_queries
    assert len(with_reviews) == len(without_reviews)
    assert "The defense of Middle+ was requested on" in body(page) and "not passed on" in body(page)


# --- HR's calendar ------------------------------------------------------------------------------------------


def test_upcoming_defenses_grouped_by_day_for_hr_only(client, org):
    first_day = in_a_week()
    dev_review = scheduled(org, when=first_day)
    other = services.review_request(statement="Ready for the next level.", candidate=org["other_dev"], by=org["other_dev"].user)
    services.review_schedule(review=other, when=first_day + datetime.timedelta(hours=3), place="Room 2",
                             members={**members(org), SeatRole.TEAM_LEAD: org["other_lead"].user}, by=org["hr"],
                             override_reason="ok")
    third = services.review_request(statement="Ready for the next level.", candidate=org["colleague"], by=org["lead"].user)
    services.review_schedule(review=third, when=first_day + datetime.timedelta(days=2), place="Room 3",
                             members=members(org), by=org["hr"], override_reason="ok")
    # A defense that was due yesterday and is still undecided is not "upcoming".
    past = hire(level_code="middle", team_lead=org["lead"], hire_date=datetime.date(2020, 1, 1))
    stale = services.review_request(statement="Ready for the next level.", candidate=past, by=org["lead"].user)
    services.review_schedule(review=stale, when=first_day, place="Room 1", members=members(org), by=org["hr"],
                             override_reason="ok")
    PromotionReview.objects.filter(pk=stale.pk).update(scheduled_for=timezone.now() - datetime.timedelta(days=1))

    response = login(client, org["hr"]).get("/reviews/upcoming/")
    assert response.status_code == 200
    days = [(day, [r.pk for r in reviews]) for day, reviews in response.context["days"]]
    assert days == [
        (timezone.localdate(first_day), [dev_review.pk, other.pk]),
        (timezone.localdate(first_day + datetime.timedelta(days=2)), [third.pk]),
    ]
    assert body(response).count('class="card day"') == 2

    for who in ["dev", "lead", "cto", "manager"]:
        assert login(client, org[who]).get("/reviews/upcoming/").status_code == 403, who
