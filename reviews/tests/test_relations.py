"""Team relations (criterion 3): HR's and the team lead's assessments, colleague feedback, who
sees what, and every refusal with nothing changed in the database."""

import datetime
import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grades.models import Employee
from grades.tests.factories import UserFactory, hire
from reviews import policies, services
from reviews.models import FeedbackAnswer, FeedbackRequest, RelationsAssessment
from reviews.services import ReviewError
from reviews.tests.factories import db_state, decided, organisation, requested, scheduled, user_of, voted

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return organisation()


def state():
    """Every row a relations action (or any review action) could write."""
    return (
        db_state(),
        list(RelationsAssessment.objects.order_by("id").values()),
        list(FeedbackRequest.objects.order_by("id").values()),
        list(FeedbackRequest.history.order_by("history_id").values()),
        list(FeedbackAnswer.objects.order_by("id").values()),
    )


def login(client, person):
    client.force_login(user_of(person))
    return client


def body(response) -> str:
    return response.content.decode()


def comparable(response) -> str:
    """The page without its CSRF token, which differs per response."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body(response))


def assess(review, by, role="hr", rating=4, note="Helps newcomers; no conflicts."):
    return services.relations_assess(review=review, by=user_of(by), role=role, rating=rating, note=note)


def ask(org, review, colleague=None):
    return services.feedback_ask(review=review, by=org["hr"], colleague=colleague or org["colleague"])


def answer(feedback_request, by, text="Always ready to help.", rating=None):
    return services.feedback_answer(feedback_request=feedback_request, by=user_of(by), text=text, rating=rating)


# --- Assessments: the services ----------------------------------------------------------------------


def test_hr_and_the_lead_assess_and_revise_the_latest_counts(org):
    review = scheduled(org)
    first = assess(review, org["hr"], "hr", 4, "Good mood in the team.")
    assess(review, org["lead"], "team_lead", 3, "Gets along.")
    revised = assess(review, org["hr"], "hr", 5, "Organised the team retreat.")
    rows = list(RelationsAssessment.objects.filter(review=review, role="hr").order_by("revision"))
    assert [(r.revision, r.rating, r.note, r.author) for r in rows] == [
        (1, 4, "Good mood in the team.", org["hr"]),
        (2, 5, "Organised the team retreat.", org["hr"]),
    ]
    assert revised.revision == 2 and first.pk != revised.pk
    # The earlier row is history: it cannot be changed.
    first.note = "rewritten"
    with pytest.raises(Exception):
        first.save()


def test_an_unchanged_revision_is_refused(org):
    review = requested(org)
    assess(review, org["hr"], "hr", 4, "Fine.")
    before = state()
    with pytest.raises(ReviewError, match="unchanged"):
        assess(review, org["hr"], "hr", 4, "  Fine.  ")
    assert state() == before


@pytest.mark.parametrize("rating", [0, 6, -1, "x", None, "", True, 3.5])
def test_a_rating_out_of_range_is_refused(org, rating):
    review = requested(org)
    before = state()
    with pytest.raises(ReviewError, match="from 1 to 5"):
        assess(review, org["hr"], "hr", rating, "A note.")
    assert state() == before


@pytest.mark.parametrize("note", ["", "   ", None, "x" * (services.MAX_TEXT + 1)])
def test_an_empty_or_too_long_note_is_refused(org, note):
    review = requested(org)
    before = state()
    with pytest.raises(ReviewError):
        assess(review, org["lead"], "team_lead", 4, note)
    assert state() == before


@pytest.mark.parametrize("who, role", [
    ("dev", "hr"), ("dev", "team_lead"),  # the candidate
    ("colleague", "hr"), ("colleague", "team_lead"),  # another developer of the team
    ("other_dev", "team_lead"),
    ("cto", "hr"), ("cto", "team_lead"),  # a committee member
    ("other_lead", "team_lead"),  # leads another team
    ("manager", "hr"),
    ("lead", "hr"),  # the lead writes the lead's assessment, not HR's
    ("hr", "team_lead"),  # and HR not the lead's
    ("hr", "ceo"),  # no such role
])
def test_a_wrong_role_may_not_assess(org, who, role):
    review = scheduled(org)
    before = state()
    with pytest.raises(PermissionError):
        assess(review, org[who], role)
    assert state() == before


def test_a_candidate_who_is_hr_does_not_assess_themself(org):
    hr_dev = hire(level_code="middle", team_lead=org["lead"], hire_date=datetime.date(2021, 3, 1),
                  user=UserFactory(username="hrdev", roles=["Developer", "HR"]))
    review = services.review_request(candidate=hr_dev, by=org["lead"].user, statement="Ready for the next level.")
    assert not policies.may_assess_relations(hr_dev.user, review, "hr")
    with pytest.raises(PermissionError):
        assess(review, hr_dev, "hr")
    assert not policies.may_see_colleague_feedback(hr_dev.user, review, [])
    assert not policies.may_see_relations_assessments(hr_dev.user, review, [])


@pytest.mark.parametrize("close", ["decided", "withdrawn"])
def test_a_closed_review_takes_no_assessment(org, close):
    if close == "decided":
        review = decided(org)
    else:
        review = services.review_withdraw(review=requested(org), by=org["hr"], reason="Not now.")
    before = state()
    for who, role in [("hr", "hr"), ("lead", "team_lead")]:
        with pytest.raises(ReviewError, match="only while it is open"):
            assess(review, org[who], role)
    assert state() == before


def test_two_rows_cannot_take_the_same_revision(org):
    review = requested(org)
    assess(review, org["hr"])
    with pytest.raises(IntegrityError), transaction.atomic():
        RelationsAssessment.objects.create(
            review=review, role="hr", revision=1, rating=2, note="Racing.", author=org["hr"], at=timezone.now()
        )


def test_the_database_refuses_a_rating_out_of_range_and_an_empty_note(org):
    review = requested(org)
    for rating, note in [(6, "ok"), (0, "ok"), (3, "")]:
        with pytest.raises(IntegrityError), transaction.atomic():
            RelationsAssessment.objects.create(
                review=review, role="hr", revision=1, rating=rating, note=note, author=org["hr"], at=timezone.now()
            )


# --- Colleague feedback: the services ---------------------------------------------------------------


def test_hr_asks_the_colleague_answers_once(org, mailoutbox, django_capture_on_commit_callbacks):
    review = scheduled(org)
    with django_capture_on_commit_callbacks(execute=True):
        feedback_request = ask(org, review)
    assert [m.to for m in mailoutbox] == [[org["colleague"].user.email]]
    assert f"/reviews/feedback/{feedback_request.pk}/" in mailoutbox[0].body
    assert str(org["dev"]) in mailoutbox[0].subject
    given = answer(feedback_request, org["colleague"], "Calm and helpful in incidents.", rating=5)
    assert (given.author, given.text, given.rating) == (org["colleague"].user, "Calm and helpful in incidents.", 5)
    before = state()
    with pytest.raises(ReviewError, match="already answered"):
        answer(feedback_request, org["colleague"], "A second thought.")
    assert state() == before


def test_the_rating_of_an_answer_is_optional_but_on_the_scale(org):
    review = requested(org)
    feedback_request = ask(org, review)
    before = state()
    for rating in [0, 6, "many"]:
        with pytest.raises(ReviewError, match="from 1 to 5"):
            answer(feedback_request, org["colleague"], "Fine.", rating=rating)
    for text in ["", "  ", None]:
        with pytest.raises(ReviewError, match="required"):
            answer(feedback_request, org["colleague"], text)
    assert state() == before
    assert answer(feedback_request, org["colleague"], "Fine.", rating="").rating is None


@pytest.mark.parametrize("who", ["dev", "other_dev", "lead", "hr", "cto", "manager"])
def test_nobody_answers_for_someone_else(org, who):
    review = scheduled(org)
    feedback_request = ask(org, review)
    before = state()
    with pytest.raises(PermissionError):
        answer(feedback_request, org[who], "In their name.")
    assert state() == before


def test_a_withdrawn_request_is_not_answered_and_the_colleague_may_be_asked_again(org):
    review = requested(org)
    feedback_request = ask(org, review)
    services.feedback_withdraw(feedback_request=feedback_request, by=org["hr"])
    feedback_request.refresh_from_db()
    assert feedback_request.is_withdrawn and feedback_request.withdrawn_by == org["hr"]
    assert feedback_request.history.first().history_user == org["hr"]
    before = state()
    with pytest.raises(ReviewError, match="withdrawn"):
        answer(feedback_request, org["colleague"])
    with pytest.raises(ReviewError, match="already withdrawn"):
        services.feedback_withdraw(feedback_request=feedback_request, by=org["hr"])
    assert state() == before
    again = ask(org, review)
    assert again.pk != feedback_request.pk


def test_an_answered_request_is_not_withdrawn(org):
    review = requested(org)
    feedback_request = ask(org, review)
    answer(feedback_request, org["colleague"])
    before = state()
    with pytest.raises(ReviewError, match="answered"):
        services.feedback_withdraw(feedback_request=feedback_request, by=org["hr"])
    assert state() == before


@pytest.mark.parametrize("who", ["dev", "colleague", "lead", "cto", "manager"])
def test_only_hr_asks_and_withdraws(org, who):
    review = scheduled(org)
    feedback_request = ask(org, review, org["other_dev"])
    before = state()
    with pytest.raises(PermissionError):
        services.feedback_ask(review=review, by=user_of(org[who]), colleague=org["colleague"])
    with pytest.raises(PermissionError):
        services.feedback_withdraw(feedback_request=feedback_request, by=user_of(org[who]))
    assert state() == before


def test_who_may_be_asked(org):
    review = requested(org)
    ask(org, review)
    gone = hire(level_code="middle", team_lead=org["lead"])
    Employee.objects.filter(pk=gone.pk).update(left_on=datetime.date(2024, 1, 1))
    inactive = hire(level_code="middle", team_lead=org["lead"])
    type(inactive.user).objects.filter(pk=inactive.user_id).update(is_active=False)
    before = state()
    for colleague, message in [
        (org["dev"], "candidate"), (org["colleague"], "already been asked"),
        (gone, "not an active employee"), (inactive, "not an active employee"),
    ]:
        with pytest.raises(ReviewError, match=message):
            ask(org, review, colleague)
    assert state() == before


def test_a_decided_review_takes_no_request_answer_or_withdrawal(org):
    review = voted(org)
    feedback_request = ask(org, review)
    review = services.review_decide(review=review, by=org["hr"])
    before = state()
    with pytest.raises(ReviewError, match="only while it is open"):
        ask(org, review, org["other_dev"])
    with pytest.raises(ReviewError, match="only while it is open"):
        answer(feedback_request, org["colleague"])
    with pytest.raises(ReviewError, match="only while it is open"):
        services.feedback_withdraw(feedback_request=feedback_request, by=org["hr"])
    assert state() == before


def test_a_lost_race_is_a_refusal_not_an_error(org, monkeypatch):
    """When the checks read before a concurrent write commits, the constraints refuse the second row."""
    review = requested(org)
    feedback_request = ask(org, review)
    answer(feedback_request, org["colleague"])
    before = state()
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)
    with pytest.raises(ReviewError, match="already answered"):
        answer(feedback_request, org["colleague"], "Sent twice at once.")
    with pytest.raises(ReviewError, match="already been asked"):
        ask(org, review)
    assert state() == before


def test_the_database_keeps_one_answer_and_one_live_request(org):
    review = requested(org)
    feedback_request = ask(org, review)
    answer(feedback_request, org["colleague"])
    with pytest.raises(IntegrityError), transaction.atomic():
        FeedbackAnswer.objects.create(request=feedback_request, author=org["colleague"].user, text="Again",
                                      answered_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        FeedbackRequest.objects.create(review=review, colleague=org["colleague"], asked_by=org["hr"],
                                       asked_at=timezone.now())


# --- Who sees what ------------------------------------------------------------------------------------


def test_the_rules_per_role(org):
    review = scheduled(org)
    seats = list(review.seats.all())
    feedback_request = ask(org, review)
    expect = {
        # who: (sees the review, sees assessments, sees colleague feedback, may ask, sees the request)
        "hr": (True, True, True, True, True),
        "cto": (True, True, True, False, True),
        "lead": (True, True, True, False, True),  # seated in the team lead's seat
        "dev": (True, False, False, False, False),
        "colleague": (False, False, False, False, True),  # the colleague asked
        "other_dev": (False, False, False, False, False),
        "other_lead": (False, False, False, False, False),
        "manager": (False, False, False, False, False),
        "spare": (False, False, False, False, False),  # Committee group, not seated
    }
    for who, answers in expect.items():
        user = user_of(org[who])
        got = (
            policies.may_see_review(user, review, seats),
            policies.may_see_relations_assessments(user, review, seats),
            policies.may_see_colleague_feedback(user, review, seats),
            policies.may_ask_for_feedback(user, review),
            policies.may_see_feedback_request(user, feedback_request, seats),
        )
        assert got == answers, who


def test_the_candidate_reads_the_assessments_after_the_decision_never_the_feedback(org):
    review = voted(org)
    seats = list(review.seats.all())
    dev = org["dev"].user
    assert not policies.may_see_relations_assessments(dev, review, seats)
    review = services.review_decide(review=review, by=org["hr"])
    assert policies.may_see_relations_assessments(dev, review, seats)
    assert not policies.may_see_colleague_feedback(dev, review, seats)


def test_an_unseated_lead_reads_the_assessments_not_the_feedback(org):
    review = requested(org)  # nobody seated yet
    lead = org["lead"].user
    assert policies.may_see_relations_assessments(lead, review, [])
    assert not policies.may_see_colleague_feedback(lead, review, [])
    assert policies.may_see_colleague_feedback(org["hr"], review, [])
    assert not policies.may_see_colleague_feedback(org["cto"], review, [])  # not seated before scheduling


# --- The pages --------------------------------------------------------------------------------------


def relations_of(response):
    return response.context["relations"]


def test_the_whole_story_in_the_browser(client, org, mailoutbox, django_capture_on_commit_callbacks):
    review = scheduled(org)
    url = f"/reviews/{review.pk}/"
    colleague = org["colleague"]

    # HR finds the section with an assessment form and whom to ask.
    page = login(client, org["hr"]).get(url)
    assert 'id="packet-relations"' in body(page)
    panel = relations_of(page)
    assert [role for role, _label, _form in panel.assess_forms] == ["hr"]
    choices = dict(panel.section.colleague_choices)
    assert colleague.pk in choices and org["dev"].pk not in choices
    response = client.post(f"/reviews/{review.pk}/relations/hr/", {"hr-rating": "4", "hr-note": "Helps everyone."})
    assert response.status_code == 302 and response["Location"] == url
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/reviews/{review.pk}/feedback/ask/", {"colleague": colleague.pk})
    assert response.status_code == 302 and response["Location"] == url
    feedback_request = FeedbackRequest.objects.get(review=review, colleague=colleague)
    assert [m.to for m in mailoutbox] == [[colleague.user.email]]
    page = client.get(url)
    assert colleague.pk not in dict(relations_of(page).section.colleague_choices)
    assert "waiting for the answer" in body(page)

    # The lead writes theirs, then revises it.
    login(client, org["lead"])
    for note in ["Gets along.", "Mentors the juniors."]:
        response = client.post(f"/reviews/{review.pk}/relations/team_lead/",
                               {"team_lead-rating": "5", "team_lead-note": note})
        assert response.status_code == 302
    assert list(RelationsAssessment.objects.filter(role="team_lead").values_list("revision", "note")) == [
        (1, "Gets along."), (2, "Mentors the juniors.")]
    page = client.get(url)
    assert "Mentors the juniors." in body(page) and 'data-testid="assessment-earlier"' in body(page)
    # The form starts from the latest version.
    assert relations_of(page).assess_forms[0][2].initial == {"rating": 5, "note": "Mentors the juniors."}

    # The colleague sees the request on their start page, answers on its page, once.
    login(client, colleague)
    me = client.get("/me/")
    assert 'data-testid="feedback-box"' in body(me) and f"/reviews/feedback/{feedback_request.pk}/" in body(me)
    assert client.get(url).status_code == 404  # the review itself is not theirs to see
    page = client.get(f"/reviews/feedback/{feedback_request.pk}/")
    assert page.status_code == 200 and str(org["dev"]) in body(page)
    response = client.post(f"/reviews/feedback/{feedback_request.pk}/answer/",
                           {"text": "Calm in incidents.", "rating": "4"})
    assert response.status_code == 302 and response["Location"] == f"/reviews/feedback/{feedback_request.pk}/"
    assert 'data-testid="feedback-box"' not in body(client.get("/me/"))
    before = state()
    response = client.post(f"/reviews/feedback/{feedback_request.pk}/answer/", {"text": "Changed my mind."})
    assert response.status_code == 400 and state() == before
    assert "You have already answered" in body(response)

    # HR and the committee read the answer with the colleague's name.
    for who in ["hr", "cto", "lead"]:
        html = body(login(client, org[who]).get(url))
        assert "Calm in incidents." in html and str(colleague) in html, who
        assert "Helps everyone." in html and "Mentors the juniors." in html, who

    # The candidate sees neither the assessments nor anything of the feedback before the decision.
    html = body(login(client, org["dev"]).get(url))
    assert 'id="packet-relations"' in html and 'data-testid="assessments-hidden"' in html
    for secret in ["Helps everyone.", "Mentors the juniors.", "Calm in incidents.", str(colleague),
                   "Colleague feedback", 'action="/reviews/feedback/']:
        assert secret not in html, secret
    assert relations_of(login(client, org["dev"]).get(url)).section.requests == []

    # After the decision: the assessments, still no feedback.
    voted(org, review)
    services.review_decide(review=review, by=org["hr"])
    html = body(login(client, org["dev"]).get(url))
    assert "Helps everyone." in html and "Mentors the juniors." in html
    for secret in ["Calm in incidents.", str(colleague), "Colleague feedback"]:
        assert secret not in html, secret
    # Nobody has a form any more.
    panel = relations_of(login(client, org["hr"]).get(url))
    assert panel.assess_forms == [] and panel.ask_form is None


def test_the_section_is_one_include_in_the_review_page(org):
    from django.conf import settings

    detail = (settings.BASE_DIR / "jinja2" / "reviews" / "detail.html").read_text()
    assert detail.count('{% include "reviews/_packet_relations.html" %}') == 1


@pytest.mark.parametrize("data, error", [
    ({"hr-rating": "7", "hr-note": "Fine."}, "Select a valid choice"),
    ({"hr-rating": "0", "hr-note": "Fine."}, "Select a valid choice"),
    ({"hr-rating": "x", "hr-note": "Fine."}, "Select a valid choice"),
    ({"hr-note": "Fine."}, "This field is required"),
    ({"hr-rating": "4", "hr-note": ""}, "This field is required"),
    ({"hr-rating": "4", "hr-note": "x" * (services.MAX_TEXT + 1)}, "at most"),
])
def test_a_bad_assessment_is_a_400_with_the_form_again(client, org, data, error):
    review = scheduled(org)
    login(client, org["hr"])
    before = state()
    response = client.post(f"/reviews/{review.pk}/relations/hr/", data)
    assert response.status_code == 400 and state() == before
    assert error in body(response) and 'id="relations-hr"' in body(response)


def test_a_whitespace_note_is_refused_by_the_service_with_a_message(client, org):
    review = scheduled(org)
    login(client, org["hr"])
    before = state()
    response = client.post(f"/reviews/{review.pk}/relations/hr/", {"hr-rating": "4", "hr-note": "   "})
    assert response.status_code == 400 and state() == before


@pytest.mark.parametrize("who, role, status", [
    ("dev", "hr", 403), ("dev", "team_lead", 403),  # the candidate sees the review, may not assess
    ("colleague", "hr", 404), ("other_dev", "team_lead", 404),  # other developers do not see it
    ("other_lead", "team_lead", 404), ("manager", "hr", 404), ("spare", "hr", 404),  # non-members
    ("cto", "hr", 403), ("cto", "team_lead", 403),  # a member who is neither
    ("lead", "hr", 403), ("hr", "team_lead", 403),
    ("hr", "ceo", 404),  # no such assessor
])
def test_a_wrong_role_gets_403_or_404_and_nothing_changes(client, org, who, role, status):
    review = scheduled(org)
    login(client, org[who])
    before = state()
    response = client.post(f"/reviews/{review.pk}/relations/{role}/",
                           {f"{role}-rating": "4", f"{role}-note": "Fine."})
    assert response.status_code == status and state() == before


def test_a_decided_review_refuses_with_a_message(client, org):
    review = decided(org)
    before = state()
    response = login(client, org["hr"]).post(f"/reviews/{review.pk}/relations/hr/",
                                             {"hr-rating": "4", "hr-note": "Late."})
    assert response.status_code == 400 and "only while it is open" in body(response)
    response = client.post(f"/reviews/{review.pk}/feedback/ask/", {"colleague": org["colleague"].pk})
    assert response.status_code == 400 and "only while it is open" in body(response)
    assert state() == before


@pytest.mark.parametrize("who, status", [
    ("dev", 403), ("lead", 403), ("cto", 403),
    ("colleague", 404), ("other_dev", 404), ("other_lead", 404), ("manager", 404),
])
def test_only_hr_asks_on_the_page(client, org, who, status):
    review = scheduled(org)
    before = state()
    response = login(client, org[who]).post(f"/reviews/{review.pk}/feedback/ask/", {"colleague": org["other_dev"].pk})
    assert response.status_code == status and state() == before


@pytest.mark.parametrize("colleague, message", [
    ("", "This field is required"), ("abc", "Enter a whole number"), ("999999", "There is no such employee"),
    ("dev", "The candidate cannot give feedback"), ("colleague", "has already been asked"),
])
def test_a_bad_ask_is_a_400(client, org, colleague, message):
    review = scheduled(org)
    ask(org, review)
    login(client, org["hr"])
    before = state()
    value = org[colleague].pk if colleague in org else colleague
    response = client.post(f"/reviews/{review.pk}/feedback/ask/", {"colleague": value})
    assert response.status_code == 400 and message in body(response) and state() == before


@pytest.mark.parametrize("who, status", [
    ("dev", 404), ("other_dev", 404), ("other_lead", 404), ("manager", 404), ("spare", 404),
    ("hr", 403), ("cto", 403), ("lead", 403),  # they see the request, and may not answer it
])
def test_answering_someone_elses_request(client, org, who, status):
    review = scheduled(org)
    feedback_request = ask(org, review)
    before = state()
    response = login(client, org[who]).post(f"/reviews/feedback/{feedback_request.pk}/answer/", {"text": "Forged."})
    assert response.status_code == status and state() == before


@pytest.mark.parametrize("who, status", [
    ("colleague", 200), ("hr", 200), ("cto", 200), ("lead", 200),
    ("dev", 404), ("other_dev", 404), ("other_lead", 404), ("manager", 404), ("spare", 404),
])
def test_the_request_page_per_role(client, org, who, status):
    review = scheduled(org)
    feedback_request = ask(org, review)
    answer(feedback_request, org["colleague"], "Kind and direct.")
    response = login(client, org[who]).get(f"/reviews/feedback/{feedback_request.pk}/")
    assert response.status_code == status
    if status == 404:
        assert "Kind and direct." not in body(response) and str(org["colleague"]) not in body(response)
        # The same page as an id that was never used.
        missing = client.get(f"/reviews/feedback/{feedback_request.pk + 1000}/")
        assert missing.status_code == 404 and comparable(missing) == comparable(response)
    else:
        assert "Kind and direct." in body(response)


def test_bad_answers_on_the_page(client, org):
    review = scheduled(org)
    feedback_request = ask(org, review)
    login(client, org["colleague"])
    before = state()
    for data in [{"text": ""}, {"text": "  "}, {"text": "ok", "rating": "6"}, {"text": "ok", "rating": "0"}]:
        response = client.post(f"/reviews/feedback/{feedback_request.pk}/answer/", data)
        assert response.status_code == 400, data
        assert 'action="/reviews/feedback/' in body(response)
    assert state() == before


def test_a_withdrawn_request_on_the_pages(client, org):
    review = scheduled(org)
    feedback_request = ask(org, review)
    login(client, org["hr"])
    for who in ["dev", "colleague", "cto", "lead"]:
        before = state()
        response = login(client, org[who]).post(f"/reviews/feedback/{feedback_request.pk}/withdraw/")
        assert response.status_code == (404 if who == "dev" else 403) and state() == before, who
    response = login(client, org["hr"]).post(f"/reviews/feedback/{feedback_request.pk}/withdraw/")
    assert response.status_code == 302 and response["Location"] == f"/reviews/{review.pk}/"
    before = state()
    response = client.post(f"/reviews/feedback/{feedback_request.pk}/withdraw/")
    assert response.status_code == 400 and "already withdrawn" in body(response)
    login(client, org["colleague"])
    assert 'data-testid="feedback-box"' not in body(client.get("/me/"))
    page = client.get(f"/reviews/feedback/{feedback_request.pk}/")
    assert 'data-testid="feedback-withdrawn"' in body(page) and "<form" not in body(page).split("feedback-page")[1]
    response = client.post(f"/reviews/feedback/{feedback_request.pk}/answer/", {"text": "Too late."})
    assert response.status_code == 400 and "HR has withdrawn this request." in body(response)
    assert state() == before
    html = body(login(client, org["hr"]).get(f"/reviews/{review.pk}/"))
    assert 'data-state="withdrawn"' in html


def test_an_answered_request_cannot_be_withdrawn_on_the_page(client, org):
    review = scheduled(org)
    feedback_request = ask(org, review)
    answer(feedback_request, org["colleague"])
    before = state()
    response = login(client, org["hr"]).post(f"/reviews/feedback/{feedback_request.pk}/withdraw/")
    assert response.status_code == 400 and state() == before


def test_a_seated_colleague_answers_on_the_review_page(client, org):
    """A committee member asked as a colleague finds the form on the review page, and is sent back there."""
    review = scheduled(org)
    feedback_request = ask(org, review, org["lead"])
    page = login(client, org["lead"]).get(f"/reviews/{review.pk}/")
    assert relations_of(page).answer_form is not None
    assert f'action="/reviews/feedback/{feedback_request.pk}/answer/"' in body(page)
    response = client.post(f"/reviews/feedback/{feedback_request.pk}/answer/", {"text": "Leads by example."})
    assert response.status_code == 302 and response["Location"] == f"/reviews/{review.pk}/"


def test_an_unseated_lead_sees_the_assessments_not_the_feedback_on_the_page(client, org):
    review = requested(org)
    assess(review, org["hr"], "hr", 2, "Two complaints this quarter.")
    answer(ask(org, review), org["colleague"], "Sometimes harsh in reviews.")
    html = body(login(client, org["lead"]).get(f"/reviews/{review.pk}/"))
    assert "Two complaints this quarter." in html
    assert "Sometimes harsh in reviews." not in html and str(org["colleague"]) not in html


def test_the_feedback_box_is_only_on_ones_own_page(client, org):
    review = scheduled(org)
    ask(org, review)
    login(client, org["lead"])
    assert 'data-testid="feedback-box"' not in body(client.get(f"/people/{org['colleague'].pk}/"))
    login(client, org["hr"])
    assert 'data-testid="feedback-box"' not in body(client.get(f"/people/{org['colleague'].pk}/"))


def test_the_section_costs_the_same_however_much_it_holds(client, org, django_assert_num_queries):
    review = scheduled(org)
    url = f"/reviews/{review.pk}/"
    login(client, org["hr"])
    client.get(url)
    with CaptureQueriesContext(connection) as empty:
        client.get(url)
    for note in ["One.", "Two.", "Three."]:
        assess(review, org["hr"], "hr", 4, note)
        assess(review, org["lead"], "team_lead", 3, note)
    for _ in range(4):
        person = hire(level_code="middle", team_lead=org["lead"])
        answer(ask(org, review, person), person, "Fine to work with.", rating=4)
    withdrawn = ask(org, review, org["other_dev"])
    services.feedback_withdraw(feedback_request=withdrawn, by=org["hr"])
    with django_assert_num_queries(len(empty)):
        page = client.get(url)
    assert relations_of(page).section.answered_count == 4


def test_the_persons_audit_trail_lists_the_team_relations(client, org):
    review = scheduled(org)
    assess(review, org["hr"], "hr", 4, "Good mood.")
    assess(review, org["hr"], "hr", 5, "Even better.")
    answer(ask(org, review), org["colleague"], "Patient with juniors.", rating=4)
    services.feedback_withdraw(feedback_request=ask(org, review, org["other_dev"]), by=org["hr"])
    html = body(login(client, org["hr"]).get(f"/people/{org['dev'].pk}/trail/"))
    for text in ["Assessed team relations as HR", "Revised the team relations assessment as HR", "Even better.",
                 "Asked a colleague for feedback", "Withdrew a feedback request", "Answered a feedback request",
                 "Patient with juniors.", str(org["colleague"]), str(org["other_dev"])]:
        assert text in html, text


# --- Whom the form offers, and anyone else by login ------------------------------------------------


def test_the_form_offers_the_close_colleagues_and_takes_anyone_else_by_login(client, org, mailoutbox):
    from grades.models import Mentorship

    review = scheduled(org)
    dev = org["dev"]
    mentee = hire(level_code="junior", team_lead=org["other_lead"], track_slug="fullstack")
    Mentorship.objects.create(mentor=dev, mentee=mentee, started_on=datetime.date(2023, 1, 1))
    stranger = hire(level_code="middle", team_lead=org["other_lead"], track_slug="fullstack")
    login(client, org["hr"])
    choices = dict(relations_of(client.get(f"/reviews/{review.pk}/")).section.colleague_choices)
    # The candidate's teammate, their lead and their mentee; not the candidate, not another team.
    assert {org["colleague"].pk, org["lead"].pk, mentee.pk} <= set(choices)
    assert dev.pk not in choices and org["other_dev"].pk not in choices and stranger.pk not in choices

    response = client.post(f"/reviews/{review.pk}/feedback/ask/", {"colleague": "", "login": stranger.user.username})
    assert response.status_code == 302
    assert FeedbackRequest.objects.filter(review=review, colleague=stranger, asked_by=org["hr"]).exists()


@pytest.mark.parametrize("posted, field, message", [
    ({"colleague": "", "login": "nobody-by-that-name"}, "login", "There is no such employee"),
    ({"colleague": "", "login": ""}, "colleague", "This field is required"),
    ({"colleague": "", "login": "x" * 151}, "login", "at most 150 characters"),
])
def test_a_bad_login_is_a_400_next_to_its_field(client, org, posted, field, message):
    review = scheduled(org)
    login(client, org["hr"])
    before = state()
    response = client.post(f"/reviews/{review.pk}/feedback/ask/", posted)
    assert response.status_code == 400 and state() == before
    form = relations_of(response).ask_form
    assert message in " ".join(form.errors[field]) and message in body(response)


def test_the_feedback_box_names_the_candidate_and_level_in_the_same_statements_however_many(
    client, org, django_assert_num_queries
):
    """The box reads only the columns it shows; however many requests wait, nothing more is read."""
    login(client, org["colleague"])
    client.get("/me/")
    with CaptureQueriesContext(connection) as none_waiting:
        assert 'data-testid="feedback-box"' not in body(client.get("/me/"))
    statements = len(none_waiting)
    first = ask(org, scheduled(org))
    second = ask(org, requested(org, candidate=org["other_dev"], by=org["other_lead"]))
    with django_assert_num_queries(statements):
        html = body(client.get("/me/"))
    for feedback_request, candidate in ((first, org["dev"]), (second, org["other_dev"])):
        assert f"/reviews/feedback/{feedback_request.pk}/" in html and str(candidate) in html
        assert feedback_request.review.to_level.name in html
    client.post("/i18n/setlang/", {"language": "ru", "next": "/me/"})
    with django_assert_num_queries(statements):
        html = body(client.get("/me/"))
    assert first.review.to_level.name_ru and first.review.to_level.name_ru in html
