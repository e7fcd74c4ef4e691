"""What the review pages cost: the statements of /reviews/ and /reviews/<id>/ per role, pinned and
the same however much data there is; the review page's packet against the progress page's
reading of the same person; the list's pages without a full count; the schedule form's member selects."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.html import parse_html
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grades.models import EvidenceStatus, GradeChangeKind, Level, Requirement
from grades.selectors import employee_progress
from grades.services import grade_change_record
from grades.tests.factories import EvidenceFactory, MentorshipFactory, UserFactory, add_level, hire, level
from reviews import services
from reviews.forms import ScheduleForm
from reviews.policies import visible_reviews
from reviews.models import PromotionReview
from reviews.selectors import (
    review_for_page,
    review_list_queryset,
    review_packet,
    review_seats,
    seat_candidate_choices,
)
from reviews.tests.factories import decided, organisation, requested, scheduled, user_of, voted
from reviews.views import _schedule_initial, _seat_choices, review_box

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return organisation()


def login(client, person):
    client.force_login(user_of(person))
    return client


def more_reviews(org, count: int) -> None:
    """`count` more requested reviews of the lead's reports, each with its request event."""
    for _ in range(count):
        services.review_request(statement="Ready for the next level.", candidate=hire(level_code="middle", team_lead=org["lead"]), by=org["lead"].user)


# --- The list ------------------------------------------------------------------------------------


# Every signed-in page starts with three statements: the session, the user, and the viewer's
# facts (their groups, and whether they are an employee and lead anyone; the menu and the
# role checks share them). The list adds the tracks and the levels of the filter's selects,
# the page's ids in list order with a look-ahead that stands for the count (see
# test_a_long_list_counts_only_so_far), and the page's rows with the candidate's name and
# "awaiting my vote".
LIST_QUERIES = {
    # HR sees every review: the ids come from the index alone.
    "hr": 7,
    # A committee member sits on most defenses: read like HR's, each row tested in SQL.
    "cto": 7,
    # A team lead and a developer see a few reviews among thousands: the ids of those are
    # read first (one statement from the candidate and seat indexes), then as above.
    "lead": 8,
    "dev": 8,
}


@pytest.mark.parametrize("who", LIST_QUERIES)
def test_list_query_count_is_pinned(client, org, who, django_assert_num_queries):
    scheduled(org)  # dev's, with the cto and the lead seated: every role has a row
    login(client, org[who])
    client.get("/reviews/")
    with django_assert_num_queries(LIST_QUERIES[who]):
        response = client.get("/reviews/?mine=&status=")
    assert response.status_code == 200 and len(response.context["page"].object_list) >= 1
    more_reviews(org, 6)
    with django_assert_num_queries(LIST_QUERIES[who]):
        response = client.get("/reviews/")
    assert response.status_code == 200


def test_the_list_ids_read_first_are_the_visible_reviews(org):
    """review_list_queryset takes another road for developers and team leads, to the same rows."""
    dev_review = scheduled(org)
    other = services.review_request(statement="Ready for the next level.", candidate=org["other_dev"], by=org["other_dev"].user)
    # The other team's lead sits on dev's committee instead of dev's own lead... and on a review
    # of a person they do not lead: the seat alone makes it visible to them.
    services.review_withdraw(review=dev_review, by=org["hr"], reason="Re-seated below.")
    review = requested(org)
    services.review_schedule(
        review=review, when=timezone.now() + datetime.timedelta(days=3), place="Room 1",
        members={"cto": org["cto"], "product": org["product"], "hr_director": org["hrdirector"],
                 "team_lead": org["other_lead"].user},
        by=org["hr"], override_reason="Checked by hand.",
    )
    for who in ["hr", "cto", "lead", "dev", "other_lead", "other_dev", "colleague", "manager", "spare"]:
        user = user_of(org[who])
        expected = set(visible_reviews(user).values_list("pk", flat=True))
        assert set(review_list_queryset(user).values_list("pk", flat=True)) == expected, who
    other_lead = org["other_lead"].user
    assert set(review_list_queryset(other_lead).values_list("pk", flat=True)) == {other.pk, review.pk}
    assert set(review_list_queryset(org["lead"].user).values_list("pk", flat=True)) == {dev_review.pk, review.pk}


def test_a_long_list_counts_only_so_far(client, org, monkeypatch):
    from reviews import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(views, "LIST_COUNT_LOOKAHEAD", 2)
    more_reviews(org, 5)
    login(client, org["hr"])
    # Page 1 counts up to 2 + 2 rows: there are more, so the pager says so.
    first = client.get("/reviews/")
    paginator = first.context["page"].paginator
    assert (paginator.more, paginator.count, paginator.num_pages) == (True, 4, 2)
    assert "Page 1 of more than 2 · more than 4 reviews" in first.content.decode()
    assert first.context["page"].has_next()
    # Further pages stay reachable; near the end the count is exact again.
    third = client.get("/reviews/?page=3")
    assert (third.context["page"].number, len(third.context["page"].object_list)) == (3, 1)
    assert (third.context["page"].paginator.more, third.context["page"].paginator.count) == (False, 5)
    assert "Page 3 of 3 · 5 reviews" in third.content.decode()
    assert not third.context["page"].has_next()
    # A page past the end is the last one, as before; a page that is not a number is the first.
    assert client.get("/reviews/?page=9").context["page"].number == 3
    assert client.get("/reviews/?page=99999999999999999999999").context["page"].number == 3
    for odd in ["x", "0", "-4", "1e3"]:
        assert client.get(f"/reviews/?page={odd}").context["page"].number == 1, odd


def test_the_pager_is_translated(client, org, monkeypatch):
    from reviews import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    monkeypatch.setattr(views, "LIST_COUNT_LOOKAHEAD", 1)
    more_reviews(org, 3)
    login(client, org["hr"])
    client.cookies["django_language"] = "ru"
    html = client.get("/reviews/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Страница 1 из более чем 2 · более 2 защит" in html


# --- One review ------------------------------------------------------------------------------------


# The three statements every signed-in page starts with (session, user, viewer's facts), then:
# the review with its people and levels joined, and as subqueries (JSON lists) the seats with
# each member and vote, the trail with each event's actor, the candidate's mentorships, the
# ledgers of the candidate and of their mentees, the candidate's delivery facts and books read,
# and the id of the level above the candidate's; the checklist with each line's live claim,
# its decider and the candidate's growth goal on it; the reading lists of the candidate's
# ladder with their readings.
DETAIL_QUERIES = 6
# The team relations section (selectors.review_relations) shown to HR and the committee, the
# assessments with their authors and the colleague feedback requests with their answers, comes
# with the review's row as two more JSON lists: no statement of its own, for any viewer.
# HR on an open review also reads whom they may ask for feedback, and who may be seated, for
# the schedule form.
DETAIL_QUERIES_HR_OPEN = DETAIL_QUERIES + 1 + 1
# Once every seat has voted, HR's page also says what the votes would decide, by the decision
# policy read with the review's row (a subquery of one row by its key): no statement more.
DETAIL_QUERIES_HR_ALL_VOTED = DETAIL_QUERIES_HR_OPEN
# A decided review shows the packet kept at its decision, joined to the review, every part of it:
# none of the live parts is read (checklist with the goals, reading lists with readings), only
# the three every page reads and the review with its trail, whoever reads it.
DETAIL_QUERIES_DECIDED = DETAIL_QUERIES - 1 - 1


def detail_queries(client, person, review, django_assert_num_queries, expected):
    login(client, person)
    client.get(f"/reviews/{review.pk}/")
    with django_assert_num_queries(expected):
        response = client.get(f"/reviews/{review.pk}/")
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("who, expected", [
    ("cto", DETAIL_QUERIES),  # a committee member
    ("dev", DETAIL_QUERIES),  # the candidate
    ("lead", DETAIL_QUERIES),  # the candidate's team lead, seated too
    ("hr", DETAIL_QUERIES_HR_ALL_VOTED),  # the schedule form: who may be seated; the decision rule
])
def test_detail_query_count_is_pinned_and_constant(client, org, who, expected, django_assert_num_queries):
    dev = org["dev"]
    claimable = list(Requirement.objects.for_track_up_to(dev.track_id, 5).filter(check_kind=""))
    EvidenceFactory(employee=dev, requirement=claimable[0], status=EvidenceStatus.CLAIMED)
    review = voted(org)
    detail_queries(client, org[who], review, django_assert_num_queries, expected)
    # More claims, events (changed votes), mentees and ledger entries: the same statements.
    for requirement in claimable[1:13]:
        EvidenceFactory(employee=dev, requirement=requirement, status=EvidenceStatus.CLAIMED)
    for value in ["reject", "approve", "abstain"]:
        services.review_vote(review=review, by=org["cto"], value=value, comment=value)
    for mentee in [org["colleague"], hire(level_code="junior", team_lead=org["lead"])]:
        MentorshipFactory(mentor=dev, mentee=mentee, started_on=datetime.date(2022, 2, 1))
    response = detail_queries(client, org[who], review, django_assert_num_queries, expected)
    assert response.context["progress"].waiting_count == 13
    assert len([e for e in response.context["trail"] if e.is_vote]) == (7 if who in ("hr", "cto", "lead") else 0)


def test_hr_reads_a_decided_review_without_the_schedule_form(client, org, django_assert_num_queries):
    review = decided(org)
    response = detail_queries(client, org["hr"], review, django_assert_num_queries, DETAIL_QUERIES_DECIDED)
    assert "schedule" not in response.context["forms"]
    assert response.context["packet_frozen"]
    assert response.context["packet_sections_not_kept"] == []


@pytest.mark.parametrize("who", ["dev", "cto", "lead"])
def test_a_decided_review_costs_the_same_whoever_reads_it(client, org, who, django_assert_num_queries):
    review = decided(org)
    response = detail_queries(client, org[who], review, django_assert_num_queries, DETAIL_QUERIES_DECIDED)
    assert response.context["packet_frozen"]


def test_a_senior_candidate_with_mentees_costs_the_same(client, org, django_assert_num_queries):
    """The checks judged from data read the mentorships and the mentees' ledgers, in the same statements."""
    lead = org["lead"]
    review = services.review_request(statement="Ready for the next level.", candidate=lead, by=lead.user)
    MentorshipFactory(mentor=lead, mentee=org["colleague"], started_on=datetime.date(2022, 2, 1))
    response = detail_queries(client, org["hr"], review, django_assert_num_queries, DETAIL_QUERIES_HR_OPEN)
    kinds = {item.requirement.check_kind for item in response.context["progress"].items}
    assert {"experience_years", "mentee_promoted", "mentee_count"} <= kinds


def test_the_holders_of_the_directors_roles_cost_no_statement_more(client, org, django_assert_num_queries):
    """Who holds each director's role is read with who may be seated, in the same statement."""
    review = requested(org)
    detail_queries(client, org["hr"], review, django_assert_num_queries, DETAIL_QUERIES_HR_OPEN)
    for username, name in [("cto", "CTO"), ("product", "Product director"), ("hrdirector", "HR director"),
                           ("spare", "HR director")]:
        org[username].groups.add(Group.objects.get(name=name))
    response = detail_queries(client, org["hr"], review, django_assert_num_queries, DETAIL_QUERIES_HR_OPEN)
    assert response.context["forms"]["schedule"].initial["cto"] == org["cto"].pk


def test_the_review_box_is_one_query(org, django_assert_num_queries):
    dev = type(org["dev"]).objects.select_related("team_lead").get(pk=org["dev"].pk)
    decided(org, values=("reject", "reject", "reject", "reject"))
    long_ago = timezone.now() - datetime.timedelta(days=200)
    PromotionReview.objects.filter(candidate=dev).update(decided_at=long_ago)
    # The decision noted the failure on the person's row; moved back with the decision.
    type(dev).objects.filter(pk=dev.pk).update(last_failed_defense_on=timezone.localdate(long_ago))
    requested(org, by=dev)
    for user in [dev.user, org["lead"].user, org["hr"]]:
        with django_assert_num_queries(1):
            box = review_box(employee=dev, user=user)
        assert box.open_review is not None and box.last_decided.status == "failed"
        assert box.can_request is False


# --- The packet against the progress page -------------------------------------------------------------


def packet_and_progress(review, user):
    review = review_for_page(user, review.pk)
    return review_packet(review), employee_progress(type(review.candidate).objects.get(pk=review.candidate_id))


def summary(reading):
    return {
        "level": reading.level.pk if reading.level else None,
        "since": reading.since,
        "next_level": reading.next_level.pk if reading.next_level else None,
        "history": [change.pk for change in reading.history],
        "start": reading.time_in_level_start,
        "months": reading.months_in_level,
        "done": (reading.done_count, reading.total, reading.waiting_count),
        "items": [
            (item.requirement.pk, item.level.pk, item.state, item.detail, item.new_at_level,
             item.evidence.pk if item.evidence else None,
             item.evidence.decided_by_id if item.evidence else None)
            for item in reading.items
        ],
    }


def at(day: int) -> datetime.datetime:
    return datetime.datetime(2024, 3, day, 12, 0, tzinfo=datetime.timezone.utc)


def test_the_packet_reads_the_checklist_as_the_progress_page_does(org):
    dev = org["dev"]
    lines = list(Requirement.objects.for_track_up_to(dev.track_id, 5).filter(check_kind=""))
    EvidenceFactory(employee=dev, requirement=lines[0], confirmed=True, claimed_at=at(1))
    # Rejected, then claimed again: the new claim is the live one.
    EvidenceFactory(employee=dev, requirement=lines[1], rejected=True, claimed_at=at(1))
    EvidenceFactory(employee=dev, requirement=lines[1], status=EvidenceStatus.CLAIMED, claimed_at=at(9))
    # Withdrawn only: missing. Withdrawn after a rejection: the rejection is what stands.
    EvidenceFactory(employee=dev, requirement=lines[2], status=EvidenceStatus.WITHDRAWN, claimed_at=at(2))
    EvidenceFactory(employee=dev, requirement=lines[3], rejected=True, claimed_at=at(1))
    EvidenceFactory(employee=dev, requirement=lines[3], status=EvidenceStatus.WITHDRAWN, claimed_at=at(3))
    # Withdrawn, then confirmed.
    EvidenceFactory(employee=dev, requirement=lines[4], status=EvidenceStatus.WITHDRAWN, claimed_at=at(1))
    EvidenceFactory(employee=dev, requirement=lines[4], confirmed=True, claimed_at=at(4))
    review = scheduled(org)
    packet, progress = packet_and_progress(review, org["cto"])
    assert summary(packet) == summary(progress)
    states = {item.requirement.pk: item.state for item in packet.items}
    assert [states[line.pk] for line in lines[:5]] == ["confirmed", "claimed", "missing", "rejected", "confirmed"]
    assert packet.unmet == [item for item in packet.items if not item.done]


def test_the_packet_judges_the_data_checks_as_the_progress_page_does(org):
    lead, colleague = org["lead"], org["colleague"]
    # The lead (Senior) mentors the colleague, who is promoted twice while mentored, and a
    # second person from an earlier date; one more mentorship ended long ago.
    MentorshipFactory(mentor=lead, mentee=colleague, started_on=datetime.date(2022, 2, 1))
    grade_change_record(employee=colleague, kind=GradeChangeKind.PROMOTION, level=level("junior-plus-plus"),
                        effective_date=datetime.date(2022, 8, 1), by=org["hr"])
    grade_change_record(employee=colleague, kind=GradeChangeKind.PROMOTION, level=level("middle"),
                        effective_date=datetime.date(2023, 3, 1), by=org["hr"])
    MentorshipFactory(mentor=lead, mentee=org["dev"], started_on=datetime.date(2021, 4, 1))
    MentorshipFactory(mentor=lead, mentee=org["other_dev"], started_on=datetime.date(2020, 2, 1),
                      ended_on=datetime.date(2020, 12, 1))
    review = services.review_request(statement="Ready for the next level.", candidate=lead, by=lead.user)
    packet, progress = packet_and_progress(review, org["hr"])
    assert summary(packet) == summary(progress)
    met = {item.requirement.check_kind: item.state for item in packet.items if item.requirement.check_kind}
    assert met == {"experience_years": "met", "mentee_promoted": "met", "mentee_count": "met"}


def test_the_packet_after_the_promotion_shows_the_next_level(org):
    """A passed review's page shows the candidate's checklist of today, for the level after."""
    review = decided(org)
    packet, progress = packet_and_progress(review, org["hr"])
    assert summary(packet) == summary(progress)
    assert packet.next_level.code == "middle-plus-plus" and packet.level.code == "middle-plus"


def test_a_level_above_without_lines_is_read_on_its_own(org, django_assert_num_queries):
    """The one case with one statement more: the level above has no line of the candidate's track."""
    top = Level.objects.filter(ladder__slug="standard").order_by("-rank").first()
    lead = org["lead"]
    grade_change_record(employee=lead, kind=GradeChangeKind.CORRECTION, level=top,
                        effective_date=timezone.localdate(), reason="Top of the ladder", by=org["hr"])
    # A review of the top level, from before a level was added above it.
    review = review_row(lead, Level.objects.get(ladder__slug="standard", rank=top.rank - 1), top, org)
    principal = add_level(rank=top.rank + 1, code="principal", name="Principal", name_ru="Принципал")
    row = review_for_page(org["hr"], review.pk)
    with django_assert_num_queries(2):  # checklist, the level above (the ledgers came with the row)
        packet = review_packet(row)
    assert packet.next_level == principal
    progress = employee_progress(type(lead).objects.get(pk=lead.pk))
    assert summary(packet) == summary(progress)


def review_row(candidate, from_level, to_level, org):
    """A review row made directly: the request service refuses a level nobody may defend yet."""
    return PromotionReview.objects.create(
        candidate=candidate, track=candidate.track, from_level=from_level, to_level=to_level,
        requested_by=org["hr"], requested_at=timezone.now(),
    )


# --- The schedule form's member selects -----------------------------------------------------------------


def selects_of(html: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r'<select name="([a-z_]+)".*?</select>', html, re.S)}


@pytest.mark.parametrize("state", ["requested", "scheduled"])
def test_member_selects_are_the_widgets_markup(client, org, state):
    # Names that need escaping, and a member who left the committee group but keeps a seat.
    UserFactory(username="amp", first_name='Ann & "Bo"', last_name="<b>", roles=["Team lead"])
    review = requested(org) if state == "requested" else scheduled(org)
    response = login(client, org["hr"]).get(f"/reviews/{review.pk}/")
    page = selects_of(response.content.decode())
    row = review_for_page(org["hr"], review.pk)
    seats = review_seats(row)
    people = _seat_choices(row, seats)
    form = ScheduleForm(people=people, initial=_schedule_initial(row, seats, people))
    for role in ["cto", "product", "hr_director", "team_lead"]:
        assert parse_html(page[role]) == parse_html(str(form[role])), role
    # A team lead is offered for the team lead's seat only, the directors for theirs.
    assert "Ann &amp; &quot;Bo&quot; &lt;b&gt;" in page["team_lead"]
    assert "Ann &amp;" not in page["cto"]
    assert f'value="{org["cto"].pk}"' in page["cto"] and f'value="{org["cto"].pk}"' not in page["team_lead"]


def test_a_refused_schedule_shows_the_posted_choices_again(client, org):
    review = requested(org)
    login(client, org["hr"])
    response = client.post(f"/reviews/{review.pk}/schedule/", {
        "when": "", "place": "Room 4", "cto": str(org["cto"].pk), "product": "not-a-user",
    })
    assert response.status_code == 400
    page = selects_of(response.content.decode())
    form = response.context["forms"]["schedule"]
    for role in ["cto", "product", "hr_director", "team_lead"]:
        assert parse_html(page[role]) == parse_html(str(form[role])), role
    assert f'value="{org["cto"].pk}" selected' in page["cto"] and 'aria-invalid="true"' in page["product"]


def test_who_may_see_a_review_page_is_the_rule_of_the_list(org):
    """review_for_page tests visibility on the row read; visible_reviews in SQL: the same rule."""
    reviews = [scheduled(org), services.review_request(statement="Ready for the next level.", candidate=org["other_dev"], by=org["other_dev"].user)]
    admin = UserFactory(username="root", is_superuser=True)
    people = ["hr", "cto", "lead", "dev", "other_lead", "other_dev", "colleague", "manager", "spare"]
    for review in reviews:
        for user in [user_of(org[who]) for who in people] + [admin]:
            expected = visible_reviews(user).filter(pk=review.pk).exists()
            assert (review_for_page(user, review.pk) is not None) == expected, (user, review)
    assert review_for_page(org["hr"], 10**9) is None


def test_the_schedule_forms_people_are_who_may_hold_each_seat(org):
    """seat_candidate_choices in one statement agrees with policies.may_hold_seat for every active user."""
    from django.contrib.auth import get_user_model

    from reviews import policies

    # Holders of a role: a superuser the product director's (superusers are in every group, the
    # Committee too), the CTO, and three the HR director's (one of them outside the Committee).
    root = UserFactory(username="root", is_superuser=True, roles=["Product director"])
    gone = UserFactory(username="gone", roles=["Committee", "CTO"], is_active=False)
    both = UserFactory(username="both", roles=["Committee", "Team lead"])
    org["cto"].groups.add(Group.objects.get(name="CTO"))
    org["hrdirector"].groups.add(Group.objects.get(name="HR director"))
    org["spare"].groups.add(Group.objects.get(name="HR director"))
    outside = UserFactory(username="outside", roles=["HR director", "Team lead"])
    with CaptureQueriesContext(connection) as statements:
        choices = seat_candidate_choices()
    assert len(statements) == 1
    for role in policies.SEAT_GROUPS:
        designation = policies.SEAT_DESIGNATIONS.get(role)
        may_sit = [
            user
            for user in get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")
            if policies.may_hold_seat(role, groups={g.name for g in user.groups.all()}, is_superuser=user.is_superuser,
                                      holds_it_now=False, leads_candidate=False)
        ]
        # Those who hold the seat's role first, each part by name.
        holds = [designation is not None and user.groups.filter(name=designation).exists() for user in may_sit]
        expected = [
            (user.pk, user.get_full_name() or user.get_username())
            for _not_holder, user in sorted(zip((not h for h in holds), may_sit), key=lambda pair: pair[0])
        ]
        assert choices[role] == expected, role
        assert len(expected) == len({pk for pk, _label in expected})
    ids = {role: {pk for pk, _label in people} for role, people in choices.items()}
    assert all(root.pk in people and both.pk in people and gone.pk not in people for people in ids.values())
    assert org["cto"].pk in ids["cto"] and org["cto"].pk not in ids["team_lead"]
    assert org["lead"].user.pk in ids["team_lead"] and org["lead"].user.pk not in ids["cto"]
    assert outside.pk in ids["team_lead"] and outside.pk not in ids["hr_director"]
    assert choices["cto"][0][0] == org["cto"].pk and choices["product"][0][0] == root.pk
    assert {pk for pk, _label in choices["hr_director"][:2]} == {org["hrdirector"].pk, org["spare"].pk}
    # One holder is chosen; two are not.
    assert choices.usual == {"cto": org["cto"].pk, "product": root.pk}


def test_the_seats_read_with_the_review_are_its_seats(org, django_assert_num_queries):
    """The seats made from the review's JSON rows: the stored ones, with member and vote, no statement more."""
    review = voted(org)
    services.review_vote(review=review, by=org["cto"], value="reject", comment='“Not yet” & <soon>')
    seat = review.seats.get(member=org["cto"])
    seat.vote.delete()  # one seat without a vote
    stored = list(review.seats.select_related("member").order_by("pk"))
    row = review_for_page(org["hr"], review.pk)
    with django_assert_num_queries(0):
        read = review_seats(row)
        facts = [
            (s.pk, s.role, s.member_id, s.member.pk, s.member.get_full_name(), s.member.get_username(),
             s.member.is_active, s.vote.pk if hasattr(s, "vote") else None,
             (s.vote.value, s.vote.comment) if hasattr(s, "vote") else None)
            for s in read
        ]
    expected = []
    for s in stored:
        vote = getattr(s, "vote", None) if hasattr(s, "vote") else None
        expected.append((s.pk, s.role, s.member_id, s.member.pk, s.member.get_full_name(), s.member.get_username(),
                         s.member.is_active, vote.pk if vote else None, (vote.value, vote.comment) if vote else None))
    assert facts == expected
    assert sum(1 for fact in facts if fact[-1] is None) == 1
    # An empty committee reads as none.
    assert review_seats(review_for_page(org["hr"], requested(org, candidate=org["other_dev"], by=org["other_dev"]).pk)) == []
