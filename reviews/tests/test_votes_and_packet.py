"""Votes per criterion and who sees them, the decision's reasons, the defense's date, and the
packet kept at the decision (reviews.services.review_vote / review_decide, reviews.selectors
packet_freeze / packet_from_snapshot, the review page)."""

import datetime
import json
import re

import pytest
from django.utils import timezone
from django.utils.html import escape

from grades import services as grade_services
from grades.models import Evidence, EvidenceStatus, GradeChange, GradeChangeKind, Requirement
from grades.tests.factories import UserFactory
from reviews import policies, rules, services
from reviews.models import PacketSnapshot, ReviewStatus, SeatRole, Vote
from reviews.selectors import PACKET_SCHEMA, packet_freeze, packet_from_snapshot, review_for_page, review_packet
from reviews.services import ReviewError
from reviews.tests.factories import (
    confirm_checklist,
    db_state,
    decided,
    defense_day_came,
    members,
    organisation,
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


def body(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def page(client, person, review):
    response = login(client, person).get(f"/reviews/{review.pk}/")
    assert response.status_code == 200
    return response


NOTES = {"skills": "Solid SQL, thin on caching", "relations": "Mentors the new hires"}


# --- The criteria ------------------------------------------------------------------------------------


def test_the_four_criteria_are_defined_once_and_translated():
    from django.utils import translation

    assert rules.CRITERION_KEYS == ("skills", "productivity", "relations", "reading")
    with translation.override("ru"):
        assert rules.criterion_label("reading") == "Прочитанные книги"
    with translation.override("en"):
        assert rules.criterion_label("reading") == "Books read"


# --- Notes per criterion -------------------------------------------------------------------------------


def test_a_vote_carries_a_note_per_criterion_and_a_change_replaces_them(client, org):
    review = defense_day_came(scheduled(org))
    login(client, org["cto"])
    response = client.post(f"/reviews/{review.pk}/vote/", {
        "value": "approve", "comment": "Ready", "note_skills": NOTES["skills"], "note_relations": NOTES["relations"],
        "note_productivity": "   ",
    })
    assert response.status_code == 302
    vote = Vote.objects.get(seat__review=review, seat__member=org["cto"])
    assert (vote.value, vote.comment, vote.notes) == ("approve", "Ready", NOTES)  # blank notes are not kept
    assert review.events.get(action="voted").data == {"role": SeatRole.CTO, "vote": "approve", "notes": NOTES}
    # The form shows the member's notes again.
    form = client.get(f"/reviews/{review.pk}/").context["forms"]["vote"]
    assert form.initial["note_skills"] == NOTES["skills"] and "note_reading" not in form.initial

    assert client.post(f"/reviews/{review.pk}/vote/", {"value": "reject", "note_reading": "No books yet"}).status_code == 302
    vote.refresh_from_db()
    assert (vote.value, vote.comment, vote.notes) == ("reject", "", {"reading": "No books yet"})
    assert vote.history.count() == 2


def test_bad_notes_are_refused_and_change_nothing(org):
    review = defense_day_came(scheduled(org))
    before = db_state()
    with pytest.raises(ReviewError, match="Unknown criterion: charisma"):
        services.review_vote(review=review, by=org["cto"], value="approve", notes={"charisma": "High"})
    with pytest.raises(ReviewError, match="longer than 5000"):
        services.review_vote(review=review, by=org["cto"], value="approve", notes={"skills": "x" * 5001})
    assert db_state() == before


def test_an_overlong_note_on_the_page_is_400(client, org):
    review = defense_day_came(scheduled(org))
    before = db_state()
    response = login(client, org["cto"]).post(f"/reviews/{review.pk}/vote/", {"value": "approve", "note_skills": "x" * 5001})
    assert response.status_code == 400
    assert db_state() == before


# --- Who sees the votes ---------------------------------------------------------------------------------


def test_a_member_sees_the_others_notes_only_after_voting(client, org):
    review = defense_day_came(scheduled(org))
    services.review_vote(review=review, by=org["cto"], value="reject", comment="Not yet", notes=NOTES)

    html = body(page(client, org["product"], review))
    assert NOTES["skills"] not in html and 'data-testid="vote-notes"' not in html
    assert 'data-testid="votes-hidden"' in html

    services.review_vote(review=review, by=org["product"], value="approve", notes={"productivity": "Sprints done"})
    html = body(page(client, org["product"], review))
    assert NOTES["skills"] in html and NOTES["relations"] in html and "Sprints done" in html
    assert "Skills (the checklist):" in html


def test_hr_who_does_not_sit_sees_every_vote_and_note_all_along(client, org):
    review = defense_day_came(scheduled(org))
    services.review_vote(review=review, by=org["cto"], value="reject", notes=NOTES)
    response = page(client, org["hr"], review)
    assert response.context["visibility"] == policies.VOTES_ALL
    assert NOTES["skills"] in body(response)


def test_an_hr_person_who_sits_on_the_committee_is_a_member_first(client, org):
    """The HR director often belongs to HR too: seated, they see the others' votes only after voting."""
    hr_member = UserFactory(username="hrboth", roles=["HR", "Committee"])
    seats = {**members(org), SeatRole.HR_DIRECTOR: hr_member}
    review = services.review_request(candidate=org["dev"], by=org["lead"].user, statement="Ready for the next level.")
    review = services.review_schedule(
        review=review, when=timezone.now() + datetime.timedelta(days=3), place="Room 1", members=seats,
        by=org["hr"], override_reason="Checked by hand.",
    )
    defense_day_came(review)
    services.review_vote(review=review, by=org["cto"], value="reject", comment="Weak design", notes=NOTES)

    response = page(client, hr_member, review)
    assert response.context["visibility"] == policies.VOTES_PROGRESS
    assert "Weak design" not in body(response) and NOTES["skills"] not in body(response)

    services.review_vote(review=review, by=hr_member, value="approve")
    response = page(client, hr_member, review)
    assert response.context["visibility"] == policies.VOTES_ALL
    assert "Weak design" in body(response) and NOTES["skills"] in body(response)


def test_vote_visibility_puts_the_seat_before_hr():
    from reviews.models import CommitteeSeat

    seat = CommitteeSeat(role="hr_director")
    assert policies.vote_visibility(is_hr=True, seat=seat, decided=False) == policies.VOTES_PROGRESS
    assert policies.vote_visibility(is_hr=True, seat=seat, decided=True) == policies.VOTES_ALL
    assert policies.vote_visibility(is_hr=True, seat=None, decided=False) == policies.VOTES_ALL
    assert policies.vote_visibility(is_hr=False, seat=None, decided=False) == policies.VOTES_NONE
    assert policies.vote_visibility(is_hr=False, seat=None, decided=True) == policies.VOTES_TALLY


# --- The decision's reasons -----------------------------------------------------------------------------


def test_the_candidate_reads_the_reasons_but_not_who_voted_how(client, org):
    review = defense_day_came(scheduled(org))
    for (role, user), value in zip(members(org).items(), ("reject", "reject", "approve", "abstain")):
        services.review_vote(review=review, by=user, value=value, comment=f"{role} says {value}",
                             notes={"skills": f"{role} noted caching"})
    response = login(client, org["hr"]).post(f"/reviews/{review.pk}/decide/", {
        "note": "", "reason_skills": "Caching and queues are not there yet", "reason_reading": "Read two of five",
    })
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.FAILED
    assert review.decision_reasons == {"skills": "Caching and queues are not there yet", "reading": "Read two of five"}
    assert review.events.get(action="failed").data["reasons"] == review.decision_reasons

    for who in ("dev", "lead"):  # the candidate, and their lead who sits on the committee
        html = body(page(client, org[who], review))
        reasons = re.search(r'data-testid="decision-reasons">(.*?)</dl>', html, re.S).group(1)
        assert "Skills (the checklist)" in reasons and "Caching and queues are not there yet" in reasons
        assert "Books read" in reasons and "Read two of five" in reasons
        assert "Productivity" not in reasons  # no reason given for it
    html = body(page(client, org["dev"], review))
    assert "says" not in html and "noted caching" not in html
    assert 'data-testid="vote"' not in html and 'data-testid="vote-notes"' not in html
    assert 'data-action="voted"' not in html
    assert re.search(r'data-testid="tally">Approve 1 · reject 2 · abstain 1<', html)


def test_a_failed_defense_without_any_reason_is_refused(client, org):
    review = voted(org, values=("reject", "reject", "approve", "abstain"))
    before = db_state()
    response = login(client, org["hr"]).post(f"/reviews/{review.pk}/decide/", {"note": "  "})
    assert response.status_code == 400
    assert any("needs a reason" in message for message in messages_of(response))
    assert db_state() == before
    # One criterion's reason is enough.
    services.review_decide(review=review, by=org["hr"], reasons={"productivity": "Sprints slip"})
    assert PacketSnapshot.objects.filter(review=review).exists()


def test_a_passed_defense_may_go_without_reasons(org):
    review = services.review_decide(review=voted(org), by=org["hr"])
    assert (review.status, review.decision_note, review.decision_reasons) == ("passed", "", {})


# --- The defense's date ------------------------------------------------------------------------------------


def test_no_vote_before_the_defense_day(client, org):
    review = scheduled(org)
    day = timezone.localdate(review.scheduled_for)
    assert 'data-testid="before-defense"' in body(page(client, org["cto"], review))
    before = db_state()
    response = client.post(f"/reviews/{review.pk}/vote/", {"value": "approve", "note_skills": "Fine"})
    assert response.status_code == 400
    assert f"Votes are taken from the day of the defense, {day.isoformat()}." in messages_of(response)
    assert db_state() == before
    # The day before is still too early; the day itself is not.
    review.scheduled_for = timezone.now() + datetime.timedelta(days=1)
    type(review).objects.filter(pk=review.pk).update(scheduled_for=review.scheduled_for)
    before = db_state()
    with pytest.raises(ReviewError, match="from the day of the defense"):
        services.review_vote(review=review, by=org["cto"], value="approve")
    assert db_state() == before
    defense_day_came(review)
    assert services.review_vote(review=review, by=org["cto"], value="approve").pk


def test_no_decision_before_the_defense_day(client, org):
    """Every seat voted at the defense, then HR moved it to next week: no decision until then."""
    review = voted(org)
    later = timezone.now() + datetime.timedelta(days=7)
    services.review_schedule(review=review, when=later, place="Room 9", members=members(org), by=org["hr"])
    before = db_state()
    response = login(client, org["hr"]).post(f"/reviews/{review.pk}/decide/", {"note": "Fine"})
    assert response.status_code == 400
    assert (f"The decision is recorded from the day of the defense, {timezone.localdate(later).isoformat()}."
            in messages_of(response))
    assert db_state() == before
    assert not PacketSnapshot.objects.exists()


def test_the_promotion_is_dated_at_the_defense(client, org):
    review = defense_day_came(scheduled(org), days_ago=4)
    for user in members(org).values():
        services.review_vote(review=review, by=user, value="approve")
    held_on = timezone.localdate() - datetime.timedelta(days=4)
    assert login(client, org["hr"]).post(f"/reviews/{review.pk}/decide/", {"note": "Welcome"}).status_code == 302
    review.refresh_from_db()
    promotion = GradeChange.objects.get(pk=review.grade_change_id)
    assert (promotion.kind, promotion.effective_date) == (GradeChangeKind.PROMOTION, held_on)
    assert timezone.localdate(review.decided_at) == timezone.localdate()
    org["dev"].refresh_from_db()
    assert org["dev"].current_level_since == held_on
    assert review.events.get(action="passed").data["held_on"] == held_on.isoformat()


# --- The packet kept at the decision ------------------------------------------------------------------


def _lines(response) -> dict[int, tuple[str, str]]:
    """{requirement id: (state, text)} of the packet's checklist on a review page."""
    return {
        line.requirement_pk: (line.state, str(line.text))
        for _level, lines in response.context["packet_lines"] for line in lines
    }


def _two_lines(dev, review):
    """Two people-judged lines of the defended level's checklist: the first left waiting for the
    lead (a claim not yet decided), the second confirmed (by confirm_checklist)."""
    waiting, confirmed = list(
        Requirement.objects.for_track_up_to(dev.track_id, review.to_level.rank).filter(check_kind="")
    )[-2:]
    Evidence.objects.filter(employee=dev, requirement=waiting).update(
        status=EvidenceStatus.CLAIMED, decided_by=None, decided_at=None, decision_comment="")
    return waiting, confirmed


def _change_the_checklist_after_the_decision(dev, waiting, confirmed):
    """The waiting claim withdrawn and the confirmed line reworded after the decision (the
    promotion itself already moved the person on to the next level's checklist)."""
    grade_services.evidence_withdraw(evidence=Evidence.objects.get(employee=dev, requirement=waiting), by=dev.user)
    Requirement.objects.filter(pk=confirmed.pk).update(text="Переписано после защиты", text_en="Reworded after the defense")


def test_a_review_decided_without_a_kept_packet_shows_todays_checklist_labelled(client, org):
    """What the page did for every decided review before packets were kept (and still does for
    those decided then): today's checklist, which after the promotion is the next level's."""
    dev = org["dev"]
    confirm_checklist(dev)
    review = voted(org)
    waiting, confirmed = _two_lines(dev, review)
    services.review_decide(review=review, by=org["hr"], note="Well defended")
    # The review as the migration leaves one decided before it: no packet kept.
    PacketSnapshot.objects.filter(review=review)._raw_delete(PacketSnapshot.objects.db)
    _change_the_checklist_after_the_decision(dev, waiting, confirmed)

    response = page(client, org["dev"], review)
    assert response.context["packet_not_kept"] and not response.context["packet_frozen"]
    assert 'data-testid="packet-not-kept"' in body(response)
    # Today's packet: the level after the one defended, the claim gone, the new wording.
    assert response.context["progress"].next_level.code == "middle-plus-plus"
    assert response.context["packet_level_differs"]
    lines = _lines(response)
    assert lines[waiting.pk][0] == "missing"
    assert lines[confirmed.pk] == ("confirmed", "Reworded after the defense")


def test_the_packet_is_kept_at_the_decision_and_shown_ever_after(client, org):
    dev = org["dev"]
    confirm_checklist(dev)
    review = voted(org)
    waiting, requirement = _two_lines(dev, review)
    original = requirement.text_en or requirement.text
    seen = page(client, org["hr"], review)  # what the committee reads before the decision
    seen_lines = _lines(seen)
    seen_figures = (seen.context["progress"].done_count, seen.context["progress"].total,
                    seen.context["progress"].months_in_level)
    assert seen_lines[requirement.pk][0] == "confirmed" and seen_lines[waiting.pk][0] == "claimed"

    services.review_decide(review=review, by=org["hr"], note="Well defended")
    snapshot = PacketSnapshot.objects.get(review=review)
    assert snapshot.data["schema"] == PACKET_SCHEMA
    assert snapshot.data["next_level"]["code"] == "middle-plus"
    assert snapshot.data["on"] == timezone.localdate(review.scheduled_for).isoformat()
    line = next(line for block in snapshot.data["checklist"] for line in block["lines"]
                if line["requirement"] == requirement.pk)
    assert (line["text"], line["text_en"], line["state"]) == (requirement.text, requirement.text_en, "confirmed")
    assert line["claim"]["status"] == "confirmed" and line["claim"]["reconfirm_needed"] is False

    waiting_line = next(line for block in snapshot.data["checklist"] for line in block["lines"]
                        if line["requirement"] == waiting.pk)
    assert (waiting_line["state"], waiting_line["claim"]["status"]) == ("claimed", "claimed")
    _change_the_checklist_after_the_decision(dev, waiting, requirement)

    for who in ("dev", "hr", "cto"):
        response = page(client, org[who], review)
        assert response.context["packet_frozen"] and 'data-testid="packet-frozen"' in body(response)
        assert _lines(response) == seen_lines, who
        progress = response.context["progress"]
        assert (progress.done_count, progress.total, progress.months_in_level) == seen_figures
        assert progress.next_level.code == "middle-plus" and progress.level.code == "middle"
        assert not response.context["packet_level_differs"]
        html = body(response)
        assert escape(original) in html and "Reworded after the defense" not in html
        assert "Level at the decision" in html
    # The kept packet is history: it is never changed.
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        snapshot.save()
    with pytest.raises(ValidationError):
        PacketSnapshot.objects.filter(pk=snapshot.pk).update(data={})


def test_the_kept_packet_reads_in_the_readers_language(client, org):
    dev = org["dev"]
    confirm_checklist(dev)
    review = decided(org)
    requirement = Requirement.objects.for_track_up_to(dev.track_id, review.to_level.rank).filter(check_kind="").last()
    client.cookies["django_language"] = "ru"
    response = login(client, org["dev"]).get(f"/reviews/{review.pk}/", HTTP_ACCEPT_LANGUAGE="ru")
    assert _lines(response)[requirement.pk][1] == str(requirement.text)
    assert "Материалы в том виде, в каком их видела комиссия" in body(response)


def test_the_snapshot_format_is_plain_versioned_json_open_to_new_sections(org):
    dev = org["dev"]
    confirm_checklist(dev)
    review = defense_day_came(scheduled(org))
    row = review_for_page(org["hr"], review.pk)
    packet = review_packet(row)
    data = packet_freeze(row, packet)
    assert json.loads(json.dumps(data)) == data
    assert data["schema"] == 1
    assert data["figures"] == {
        "done": packet.done_count, "total": packet.total, "data_met": packet.data_met,
        "data_total": packet.data_total, "waiting": packet.waiting_count, "unmet": len(packet.unmet),
    }
    assert (data["since"], data["months_in_level"]) == (packet.since.isoformat(), packet.months_in_level)
    # A later section under a key of its own does not disturb the reader.
    read = packet_from_snapshot({**data, "interviews": {"notes": ["Asked about caching"]}})
    assert (read.done_count, read.total, read.since, read.months_in_level) == (
        packet.done_count, packet.total, packet.since, packet.months_in_level)
    assert sum(len(lines) for _level, lines in read.lines) == len(packet.items)
    assert [change.level.code for change in read.history] == [change.level.code for change in packet.history]


def test_the_decision_mail_carries_the_reasons_not_the_votes(org, mailoutbox, django_capture_on_commit_callbacks):
    review = defense_day_came(scheduled(org))
    for user in members(org).values():
        services.review_vote(review=review, by=user, value="reject", comment="secret-remark",
                             notes={"skills": "secret-note"})
    with django_capture_on_commit_callbacks(execute=True):
        services.review_decide(review=review, by=org["hr"], reasons={"productivity": "Sprints slip often"})
    assert len(mailoutbox) == 2
    for mail in mailoutbox:
        assert "Productivity: Sprints slip often" in mail.body
        assert "secret-remark" not in mail.body and "secret-note" not in mail.body
