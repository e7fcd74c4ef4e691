"""reviews/notifications.py and reviews/ics.py: who is told of each step, the links, the invitation."""

import datetime
import re

import pytest
from django.utils import timezone, translation

from grades.roles import HR
from grades.tests.factories import UserFactory
from reviews import ics, services
from reviews.models import VoteValue
from reviews.tests.factories import defense_day_came
from reviews.tests.test_services import (
    CTO,
    committee_for,
    held_review,
    in_a_week,
    ready_candidate,
    recipients,
    requested_review,
)

pytestmark = pytest.mark.django_db

SITE = "https://grades.example.com"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def links(text):
    return re.findall(r"\S*/reviews/\d+/\S*", text)


def unfolded(calendar_text):
    return calendar_text.replace("\r\n ", "")


# --- HR: a new request, and the last vote ------------------------------------------------------


def test_a_request_tells_each_active_hr_person(mailoutbox, django_capture_on_commit_callbacks):
    hr_people = [UserFactory(roles=[HR]), UserFactory(roles=[HR])]
    UserFactory(roles=[HR], is_active=False)
    UserFactory(roles=[HR], email="")
    candidate = ready_candidate()
    with django_capture_on_commit_callbacks(execute=True):
        review = requested_review(candidate)
    assert recipients(mailoutbox) == sorted(user.email for user in hr_people)
    mail = mailoutbox[0]
    assert mail.subject.startswith("Defense requested")
    assert str(candidate) in mail.subject and str(candidate) in mail.body
    assert links(mail.body) == [f"{SITE}/reviews/{review.pk}/"]


def test_a_refused_request_tells_nobody(mailoutbox, django_capture_on_commit_callbacks):
    UserFactory(roles=[HR])
    candidate = ready_candidate(hire_date=timezone.localdate() - datetime.timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(services.ReviewError):
            requested_review(candidate)
    assert callbacks == [] and mailoutbox == []


def test_hr_is_told_once_when_the_last_seat_votes(mailoutbox, django_capture_on_commit_callbacks):
    hr = UserFactory(roles=[HR])
    review, members, _hr = held_review(ready_candidate(), hr=hr)
    seats = list(members.items())
    for _role, member in seats[:-1]:
        with django_capture_on_commit_callbacks(execute=True):
            services.review_vote(review=review, by=member, value=VoteValue.APPROVE)
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.review_vote(review=review, by=seats[-1][1], value=VoteValue.REJECT, comment="secret-remark")
    assert recipients(mailoutbox) == [hr.email]
    mail = mailoutbox[0]
    assert mail.subject.startswith("Ready for a decision")
    assert links(mail.body) == [f"{SITE}/reviews/{review.pk}/"]
    # The mail says the votes are in, not what they are.
    assert "secret-remark" not in mail.body and "reject" not in mail.body.lower()
    # Changing a vote afterwards tells nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        services.review_vote(review=review, by=seats[0][1], value=VoteValue.ABSTAIN)
    assert len(mailoutbox) == 1


# --- The invitation -----------------------------------------------------------------------------


def test_the_schedule_mails_carry_a_calendar_invitation(mailoutbox, django_capture_on_commit_callbacks):
    hr = UserFactory(roles=[HR])
    candidate = ready_candidate()
    review = requested_review(candidate)
    members = committee_for(candidate)
    when = (timezone.now() + datetime.timedelta(days=7)).replace(microsecond=0, second=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_schedule(review=review, when=when, place="Room 4; floor 2, east", members=members, by=hr)
    assert len(mailoutbox) == 5
    for mail in mailoutbox:
        assert links(mail.body) == [f"{SITE}/reviews/{review.pk}/"]
        [(filename, content, mimetype)] = mail.attachments
        assert filename.endswith(".ics")
        assert mimetype.startswith("text/calendar") and "method=REQUEST" in mimetype
        text = unfolded(content)
        assert "METHOD:REQUEST" in text.splitlines()
        part = mail.message().get_payload()[1]
        assert part.get_content_type() == "text/calendar"
        assert part.get_param("method") == "REQUEST" and part.get_content_charset() == "utf-8"
        assert part.get_all("Content-Type")[0].count("charset") == 1
        assert part.get_filename() == "invite.ics"
        assert f"UID:review-{review.pk}@grades.example.com" in text.splitlines()
        start = when.astimezone(datetime.timezone.utc)
        assert f"DTSTART:{start:%Y%m%dT%H%M%S}Z" in text.splitlines()
        assert f"DTEND:{start + datetime.timedelta(hours=1):%Y%m%dT%H%M%S}Z" in text.splitlines()
        assert "LOCATION:Room 4\\; floor 2\\, east" in text.splitlines()
        assert f"URL:{SITE}/reviews/{review.pk}/" in text.splitlines()
        assert f"DESCRIPTION:Middle → Middle+\\n{SITE}/reviews/{review.pk}/" in text.splitlines()
        assert f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:{mail.to[0]}" in text
        assert all(len(line.encode()) <= 75 for line in content.split("\r\n"))
        assert content.endswith("\r\n") and "\n" not in content.replace("\r\n", "")


def test_a_moved_defense_updates_the_same_event(mailoutbox, django_capture_on_commit_callbacks):
    hr = UserFactory(roles=[HR])
    candidate = ready_candidate()
    review = requested_review(candidate)
    members = committee_for(candidate)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_schedule(review=review, when=in_a_week(), place="", members=members, by=hr)
    first = unfolded(mailoutbox[0].attachments[0][1])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.review_schedule(review=review, when=in_a_week() + datetime.timedelta(days=1), place="",
                                 members=members, by=hr)
    moved = unfolded(mailoutbox[0].attachments[0][1])
    uid = next(line for line in first.splitlines() if line.startswith("UID:"))
    assert uid in moved.splitlines()
    assert "SEQUENCE:0" in first.splitlines() and "SEQUENCE:1" in moved.splitlines()


def test_the_invitation_mail_follows_the_site_language(settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.LANGUAGE_CODE = "ru"
    hr = UserFactory(roles=[HR])
    candidate = ready_candidate()
    review = requested_review(candidate)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_schedule(review=review, when=in_a_week(), place="", members=committee_for(candidate), by=hr)
    own = next(mail for mail in mailoutbox if mail.to == [candidate.user.email])
    assert "Ваша защита назначена" in own.subject
    assert "Ваша защита назначена" in own.body


def test_level_names_in_the_mails_follow_the_site_language(settings, mailoutbox, django_capture_on_commit_callbacks):
    # The ladder's levels have Russian names; the mails are in Russian while the person acting
    # reads English: every level name in them is the Russian one, calendar event included.
    settings.LANGUAGE_CODE = "ru"
    hr = UserFactory(roles=[HR])
    candidate = ready_candidate()
    review = requested_review(candidate)
    for level, russian in ((review.from_level, "Мидл"), (review.to_level, "Мидл+")):
        level.name_ru = russian
        level.save(update_fields=["name_ru"])
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.review_schedule(review=review, when=in_a_week(), place="", members=committee_for(candidate), by=hr)
    assert mailoutbox
    for mail in mailoutbox:
        assert "Мидл+" in mail.subject, mail.subject
        assert "Мидл → Мидл+" in mail.body
        assert "Middle" not in mail.subject + mail.body
        assert "DESCRIPTION:Мидл → Мидл+" in unfolded(mail.attachments[0][1])


def test_a_refused_schedule_sends_no_invitation(mailoutbox, django_capture_on_commit_callbacks):
    candidate = ready_candidate()
    review = requested_review(candidate)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(PermissionError):
            services.review_schedule(review=review, when=in_a_week(), place="", members=committee_for(candidate),
                                     by=candidate.team_lead.user)
    assert mailoutbox == []


def test_the_other_review_mails_link_with_the_site_address(mailoutbox, django_capture_on_commit_callbacks):
    hr = UserFactory(roles=[HR])
    review, members, _hr = held_review(ready_candidate(), hr=hr)
    for member in members.values():
        services.review_vote(review=review, by=member, value=VoteValue.APPROVE)
    with django_capture_on_commit_callbacks(execute=True):
        services.review_decide(review=review, by=hr, note="Well argued")
    assert mailoutbox
    for mail in mailoutbox:
        assert links(mail.body) == [f"{SITE}/reviews/{review.pk}/"]


# --- The calendar text --------------------------------------------------------------------------


def test_text_is_escaped_as_rfc_5545_asks():
    assert ics.escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    line = "SUMMARY:" + "Защита " * 30
    folded = ics.fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert folded.replace("\r\n ", "") == line
    assert ics.fold("SHORT:line") == "SHORT:line"
