"""How many SQL statements each grades page costs, pinned, whatever the size of what it shows.

Every page here is read-only (grades.views uses common.http.read_only), so no request
transaction adds statements. The first two statements of every signed-in page are
Django's own: the session, then the signed-in user.
"""

from __future__ import annotations

import datetime

import pytest
from django.db.models import F

from grades import selectors
from grades.models import Employee, Mentorship, Requirement
from grades.tests.factories import BookFactory, UserFactory, hire
from grades.models import TrackLevel
from grades.tests.test_employee_counts import claim, next_line

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def team():
    lead = hire(level_code="senior", roles=["Developer", "Team lead"], hire_date=D(2018, 1, 1))
    dev = hire(level_code="middle", team_lead=lead, hire_date=D(2021, 3, 1))
    return {"lead": lead, "dev": dev, "hr": UserFactory(roles=["HR"], is_staff=True)}


def grow(team):
    """More of everything a progress page or list shows: claims, decisions, mentees, people."""
    from grades import services

    lead, dev = team["lead"], team["dev"]
    for offset in range(4):
        evidence = claim(dev, next_line(dev, offset=offset))
        if offset % 2:
            services.evidence_decide(evidence=evidence, confirm=True, by=lead.user)
    for _ in range(3):
        mentee = hire(level_code="junior-plus", team_lead=lead)
        Mentorship.objects.create(mentor=lead, mentee=mentee, started_on=D(2023, 1, 1))
        Mentorship.objects.create(mentor=dev, mentee=mentee, started_on=D(2023, 6, 1))
    Mentorship.objects.create(mentor=lead, mentee=dev, started_on=D(2022, 1, 1))
    for _ in range(3):
        BookFactory(track_level=TrackLevel.objects.get(track__slug="backend", level__code="middle-plus"))
    for _ in range(60):
        hire(level_code="middle", team_lead=lead)


def count(client, django_assert_num_queries, url, expected):
    client.get(url)  # anything a first request does once
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


# session, user, the viewer's roles with their employee id and whether they lead anyone
# (one statement: grades.roles.viewer_facts), the person's row with, as JSON lists, their
# mentorships both ways, their ledger and their mentees' ledgers (selectors.person_records),
# the review box (the reviews app's panel: the person's reviews; the last failed defense is
# the person's own column), the ladder with its reading lists and the person's readings of
# them, the checklist with the person's claims and who decided them, and on each line the
# person's growth goal with who marked it done = 7. A claim's history is read only when it
# is opened (claim_history).
PROGRESS_PAGE = 7
# One more on one's own page: the feedback on colleagues asked of the person (the reviews app's panel).
OWN_PROGRESS_PAGE = PROGRESS_PAGE + 1


@pytest.mark.parametrize("grown", [False, True], ids=["small", "grown"])
def test_own_progress_page(client, team, django_assert_num_queries, grown):
    if grown:
        grow(team)
    client.force_login(team["dev"].user)
    count(client, django_assert_num_queries, "/me/", OWN_PROGRESS_PAGE)


@pytest.mark.parametrize("grown", [False, True], ids=["small", "grown"])
@pytest.mark.parametrize("viewer", ["lead", "hr"])
def test_someone_elses_progress_page(client, team, django_assert_num_queries, grown, viewer):
    if grown:
        grow(team)
    client.force_login(team["hr"] if viewer == "hr" else team["lead"].user)
    # The same 7: who may see the person is decided from the roles and the person's row
    # already read (policies.may_view_person), without a statement of its own.
    count(client, django_assert_num_queries, f"/people/{team['dev'].pk}/", PROGRESS_PAGE)


def test_a_person_one_may_not_see_costs_less_and_is_a_404(client, team, django_assert_num_queries):
    stranger = hire(level_code="middle")
    client.force_login(team["lead"].user)
    # session, user, the person's row with their mentorships and ledgers, the viewer's roles
    # = 4; then the 404 page, which asks for nothing more.
    with django_assert_num_queries(4):
        assert client.get(f"/people/{stranger.pk}/").status_code == 404


# session, user, the viewer's roles and flags, every track with its full ladder in one LEFT
# JOIN (each row's track, level and next level's minimum time, the "eligible now" thresholds,
# and the filters' choices), the count of people, the page's ids (a deep page walks the
# narrow ids only), then the page's people with their users = 7. The figures, the last
# failed defense and the time in level are the employee row's own columns; whether a review
# is open is an EXISTS on the rows' statement, and the search, the lead and "eligible now"
# are conditions of the same ones.
PEOPLE_LIST = 7
# A team lead given (typed, or a link's id): one statement more finds that lead among the
# leads the viewer sees (selectors.find_lead).
PEOPLE_LIST_BY_LEAD = PEOPLE_LIST + 1


@pytest.mark.parametrize(
    "query",
    [
        "", "?order=waiting", "?order=progress", "?order=level", "?order=since", "?track=backend&level=middle",
        "?page=2", "?q=user", "?q=ив+пе", "?eligible=1", "?order=eligible", "?eligible=1&order=eligible&q=ив",
        "LEAD",
    ],
)
@pytest.mark.parametrize("viewer", ["lead", "hr"])
def test_people_list(client, team, django_assert_num_queries, viewer, query):
    grow(team)
    client.force_login(team["hr"] if viewer == "hr" else team["lead"].user)
    query = query.replace("LEAD", f"?lead={team['lead'].pk}")
    # Someone for the search in Cyrillic and for "eligible now" to find (their whole
    # checklist confirmed, long enough in the level): an empty page reads no ids and no rows.
    dev = team["dev"]
    dev.user.first_name, dev.user.last_name = "Иван", "Петров"
    dev.user.save()
    Employee.objects.filter(pk=dev.pk).update(checklist_done=F("checklist_total"))
    count(client, django_assert_num_queries, f"/people/{query}", PEOPLE_LIST_BY_LEAD if "lead=" in query else PEOPLE_LIST)


def test_people_list_refusal_costs_only_the_roles(client, team, django_assert_num_queries):
    client.force_login(team["dev"].user)
    # session, user, the viewer's roles and flags = 3, then 403.
    with django_assert_num_queries(3):
        assert client.get("/people/").status_code == 403


def test_ladder_of_a_track(client, team, django_assert_num_queries):
    client.force_login(team["dev"].user)
    # session, user, the track (and whether any track forks from it: a fork's page, or a
    # parent's, reads its forks with one statement more), its levels, their requirements,
    # their books, the viewer's roles for the menu = 7, for the 42 requirements of backend
    # as for any number.
    count(client, django_assert_num_queries, "/tracks/backend/", 7)
    client.force_login(team["hr"])
    # HR also sees the salary bands: one statement more for the whole ladder.
    count(client, django_assert_num_queries, "/tracks/backend/", 8)


def test_claim_history(client, team, django_assert_num_queries):
    dev = team["dev"]
    line = next_line(dev)
    claim(dev, line)
    client.force_login(team["lead"].user)
    url = f"/people/{dev.pk}/requirements/{line.pk}/history/"
    # session, user, the viewer's roles (who may see the person), the person, the
    # requirement, the events with who acted = 6 for the fragment the page's script asks for.
    client.get(url, headers={"X-Requested-With": "fetch"})
    with django_assert_num_queries(6):
        client.get(url, headers={"X-Requested-With": "fetch"})
    # The page of its own adds nothing: the menu reuses the roles already read.
    with django_assert_num_queries(6):
        client.get(url)


def test_employee_progress_outside_the_page(team, django_assert_num_queries):
    """For other callers (eligibility, the jobs): three statements for any person."""
    grow(team)
    dev = Employee.objects.get(pk=team["dev"].pk)
    # the person's row with mentorships and ledgers, next level with books, checklist with
    # claims and goals (the last failed defense is on the person's row).
    with django_assert_num_queries(3):
        progress = selectors.employee_progress(dev)
    assert progress.items and progress.mentored_by and progress.books
    assert Requirement.objects.filter(pk__in=[item.requirement.pk for item in progress.items]).count() == len(progress.items)
