"""The home inbox at `/`: each role's part shows what waits for that person, and nothing of others'."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grades import selectors as grade_selectors
from grades import services as grade_services
from grades.models import Evidence, Requirement
from grades.tests.factories import UserFactory, hire
from grades.tests.test_employee_counts import claim, next_line
from reviews.models import PromotionReview
from reviews.tests.factories import confirm_checklist, organisation, requested, scheduled, voted

pytestmark = pytest.mark.django_db



@pytest.fixture
def org():
    return organisation()


def page(client, user, **headers) -> str:
    client.force_login(getattr(user, "user", user))
    response = client.get("/", **headers)
    assert response.status_code == 200
    return response.content.decode()


def parts(html: str) -> list[str]:
    return re.findall(r'data-part="(\w+)"', html)


def section(html: str, testid: str) -> str:
    """The HTML of the list marked data-testid=`testid` ('' when the page has none)."""
    match = re.search(rf'data-testid="{testid}">(.*?)</(ul|ol)>', html, re.S)
    return match.group(1) if match else ""


def claimed_days_ago(evidence: Evidence, days: int) -> Evidence:
    Evidence.objects.filter(pk=evidence.pk).update(claimed_at=timezone.now() - datetime.timedelta(days=days))
    return evidence


def ready(employee) -> None:
    """Every counted line of the person's next-level checklist confirmed, and the kept counts recounted."""
    confirm_checklist(employee)
    grade_services.employee_counts_refresh()


# --- Who gets which part ---------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_inbox_only_reads(client, org):
    client.force_login(org["hr"])
    before = list(Evidence.objects.values()), list(Requirement.objects.values("id", "is_active"))
    assert client.post("/").status_code == 405
    assert (list(Evidence.objects.values()), list(Requirement.objects.values("id", "is_active"))) == before


@pytest.mark.parametrize(
    "who, expected",
    [
        ("dev", ["developer"]),
        ("lead", ["developer", "lead"]),
        ("cto", ["committee"]),
        ("hr", ["hr"]),
    ],
)
def test_each_role_gets_its_parts_only(client, org, who, expected):
    html = page(client, org[who])
    assert parts(html) == expected
    assert 'data-testid="nothing"' not in html


def test_a_manager_with_no_other_role_starts_on_the_dashboard(client, org):
    client.force_login(org["manager"])
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    followed = client.get("/", follow=True)
    assert followed.redirect_chain == [("/dashboard/", 302)] and followed.status_code == 200
    assert 'id="by-track"' in followed.content.decode()


def test_a_manager_who_also_develops_gets_the_inbox_with_the_dashboard_link(client, org):
    boss = hire(level_code="senior", roles=["Developer", "Manager"])
    html = page(client, boss)
    assert parts(html) == ["developer"]
    assert 'href="/dashboard/" data-link="dashboard"' in html


def test_someone_with_no_part_and_no_dashboard_is_told_nothing_waits(client):
    nobody = UserFactory(username="auditor", roles=[])
    html = page(client, nobody)
    assert parts(html) == [] and 'data-testid="nothing"' in html


def test_a_person_with_several_roles_sees_each_part_once(client, org):
    boss = hire(level_code="senior", roles=["Developer", "Team lead", "HR", "Committee", "Manager"])
    hire(level_code="middle", team_lead=boss)
    html = page(client, boss)
    assert parts(html) == ["developer", "lead", "committee", "hr"]
    for link in ("me", "people", "reviews", "upcoming", "reports"):
        assert html.count(f'data-link="{link}"') == 1


def test_the_links_keep_the_old_start_pages(client, org):
    dev_html = page(client, org["dev"])
    assert 'href="/me/" data-link="me"' in dev_html and 'data-link="people"' not in dev_html
    lead_html = page(client, org["lead"])
    assert 'href="/people/" data-link="people"' in lead_html
    assert 'href="/" data-nav="inbox"' in lead_html  # the way back from any page


# --- The developer ----------------------------------------------------------------------------------


def test_a_developer_sees_next_level_share_date_and_open_goals(client, org):
    dev = org["dev"]
    line, other_line = next_line(dev), next_line(dev, offset=1)
    due = timezone.localdate() + datetime.timedelta(days=30)
    grade_services.growth_goal_add(employee=dev, requirement=line, text="Ship the retry worker", due_on=due, by=dev.user)
    done = grade_services.growth_goal_add(employee=dev, requirement=other_line, text="Write the runbook", by=dev.user)
    grade_services.growth_goal_mark(goal=done, done=True, by=dev.user)
    claim(dev, next_line(dev, offset=2))

    html = page(client, dev)
    dev.refresh_from_db()
    assert 'data-testid="next-level">Middle+<' in html
    assert f"0 of {dev.checklist_total} done (0%)" in html
    # Middle since its hire on 2021-03-01, probation to 2021-06-01, Middle+ after 6 months.
    assert 'data-testid="earliest-defense">2021-12-01<' in html
    assert 'data-action="claim"' in html
    goals = section(html, "goals")
    assert "Ship the retry worker" in goals and due.isoformat() in goals
    assert f'href="/me/#req-{line.pk}"' in goals
    assert "Write the runbook" not in goals  # done goals are not in the inbox
    assert "inbox-lead" not in html and "inbox-hr" not in html and "inbox-committee" not in html


def test_a_ready_developer_is_told_to_ask_and_then_to_wait_and_defend(client, org):
    dev = org["dev"]
    ready(dev)
    html = page(client, dev)
    assert 'data-action="ask"' in html and 'href="/me/#defense"' in html
    review = requested(org)
    assert 'data-action="wait_schedule"' in page(client, dev)
    scheduled(org, review)
    html = page(client, dev)
    assert 'data-action="defend"' in html and f'href="/reviews/{review.pk}/"' in html


def test_a_developer_before_the_date_waits_for_it(client, org):
    fresh = hire(level_code="junior-plus", team_lead=org["lead"], hire_date=timezone.localdate())
    ready(fresh)
    html = page(client, fresh)
    assert 'data-action="wait_date"' in html
    earliest = re.search(r'data-testid="earliest-defense">([\d-]+)<', html).group(1)
    assert earliest > timezone.localdate().isoformat()


# --- The team lead -----------------------------------------------------------------------------------


def test_a_lead_sees_their_peoples_waiting_claims_oldest_first_with_links(client, org):
    dev, colleague = org["dev"], org["colleague"]
    newer = claimed_days_ago(claim(dev, next_line(dev)), 2)
    older = claimed_days_ago(claim(colleague, next_line(colleague)), 9)
    stranger = claim(org["other_dev"], next_line(org["other_dev"]))
    decided = claim(dev, next_line(dev, offset=1))
    grade_services.evidence_decide(evidence=decided, confirm=True, by=org["lead"].user)

    html = page(client, org["lead"])
    claims = section(html, "lead-claims")
    assert re.findall(r'data-claim="(\d+)"', claims) == [str(older.pk), str(newer.pk)]
    assert f'href="/people/{dev.pk}/#req-{newer.requirement_id}"' in claims
    assert f'href="/people/{colleague.pk}/#req-{older.requirement_id}"' in claims
    assert "9 days" in claims and 'data-testid="claims-total">2<' in html
    assert f'data-claim="{stranger.pk}"' not in html and f'data-claim="{decided.pk}"' not in html
    # The other lead sees their own person's claim and none of these.
    other = section(page(client, org["other_lead"]), "lead-claims")
    assert re.findall(r'data-claim="(\d+)"', other) == [str(stranger.pk)]


def test_a_lead_sees_who_became_ready_and_the_upcoming_defenses(client, org):
    dev, colleague = org["dev"], org["colleague"]
    ready(dev)
    ready(org["other_dev"])
    html = page(client, org["lead"])
    assert re.findall(r'data-employee="(\d+)"', section(html, "lead-ready")) == [str(dev.pk)]
    assert colleague.user.last_name not in section(html, "lead-ready")  # checklist not done
    assert not section(html, "lead-defenses")

    review = scheduled(org)
    html = page(client, org["lead"])
    # Once a defense is open the person is no longer listed as ready: the defense is.
    assert not section(html, "lead-ready")
    defenses = section(html, "lead-defenses")
    assert f'href="/reviews/{review.pk}/"' in defenses
    assert timezone.localtime(review.scheduled_for).strftime("%Y-%m-%d %H:%M") in defenses
    assert f'data-review="{review.pk}"' not in section(page(client, org["other_lead"]), "lead-defenses")


# --- The committee ------------------------------------------------------------------------------------


def test_members_see_the_defenses_waiting_for_their_vote_until_they_vote(client, org):
    review = scheduled(org)
    for who in ("cto", "product", "lead"):
        votes = section(page(client, org[who]), "committee-votes")
        assert f'href="/reviews/{review.pk}/"' in votes, who
        assert timezone.localtime(review.scheduled_for).strftime("%Y-%m-%d %H:%M") in votes
    # Unseated: a director sees an empty part, another lead none at all.
    assert 'data-part="committee"' in page(client, org["spare"])
    assert not section(page(client, org["spare"]), "committee-votes")
    assert 'data-part="committee"' not in page(client, org["other_lead"])

    review = voted(org, review)  # every seat votes (from the defense's day)
    assert not section(page(client, org["cto"]), "committee-votes")
    assert 'data-part="committee"' not in page(client, org["lead"])


# --- HR ---------------------------------------------------------------------------------------------------


def test_hr_sees_requests_with_their_age_decisions_due_and_overdue_claims(client, org, settings):
    settings.GRADES_OVERDUE_CLAIM_DAYS = 14
    review = requested(org)
    PromotionReview.objects.filter(pk=review.pk).update(requested_at=timezone.now() - datetime.timedelta(days=5))
    overdue = claimed_days_ago(claim(org["colleague"], next_line(org["colleague"])), 20)
    fresh = claimed_days_ago(claim(org["other_dev"], next_line(org["other_dev"])), 3)

    html = page(client, org["hr"])
    requests = section(html, "hr-requests")
    assert f'href="/reviews/{review.pk}/"' in requests and "requested 5 days ago" in requests
    assert not section(html, "hr-decisions")
    assert "longer than 14 days" in html
    assert re.findall(r'data-claim="(\d+)"', section(html, "hr-overdue")) == [str(overdue.pk)]
    assert f'data-claim="{fresh.pk}"' not in html

    voted(org, scheduled(org, review))
    html = page(client, org["hr"])
    assert not section(html, "hr-requests")
    assert f'href="/reviews/{review.pk}/"' in section(html, "hr-decisions")

    settings.GRADES_OVERDUE_CLAIM_DAYS = 2
    assert f'data-claim="{fresh.pk}"' in section(page(client, org["hr"]), "hr-overdue")


def overdue_claims_of_many(count: int) -> list[Evidence]:
    """`count` claims of as many people waiting 20 to 29 days, two of them claimed at the same moment."""
    claims = []
    for number in range(count):
        person = hire(level_code="middle")
        claims.append(claimed_days_ago(claim(person, next_line(person)), 20 + number % 10))
    same = Evidence.objects.get(pk=claims[0].pk).claimed_at
    Evidence.objects.filter(pk=claims[1].pk).update(claimed_at=same)
    return claims


def test_hr_overdue_claims_are_the_oldest_first_and_counted():
    claims = overdue_claims_of_many(25)
    listed = grade_selectors.overdue_claims(waiting_since=timezone.now() - datetime.timedelta(days=14), limit=20)
    everyone = sorted(Evidence.objects.filter(pk__in=[c.pk for c in claims]), key=lambda e: (e.claimed_at, e.employee_id, e.pk))
    assert listed.total == 25
    assert [item.pk for item in listed.items] == [e.pk for e in everyone[:20]]
    assert listed.items[0].claimed_at <= listed.items[-1].claimed_at


@pytest.mark.mysql_only
def test_hr_overdue_claims_read_only_the_rows_they_list():
    """The list walks the index evidence_status_claimed_emp in its own order and stops at the
    limit: MariaDB's own account of the statement (ANALYZE) has it read 20 claims of 25, not
    sort all of them first (as it did while the order ended in the id alone)."""
    overdue_claims_of_many(25)
    since = timezone.now() - datetime.timedelta(days=14)
    with CaptureQueriesContext(connection) as captured:
        grade_selectors.overdue_claims(waiting_since=since, limit=20)
    (statement,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE FORMAT=JSON " + statement["sql"])
        plan = json.loads(cursor.fetchone()[0])
    tables = {}

    def walk(node):
        if isinstance(node, dict):
            table = node.get("table")
            if isinstance(table, dict) and table.get("table_name") == "grades_evidence":
                tables.setdefault(table.get("key"), []).append(table.get("r_rows"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(plan)
    # The listed rows: 20 read along the index (the count's subquery reads its range as U0).
    assert tables == {"evidence_status_claimed_emp": [20]}, tables
    assert "filesort" not in json.dumps(plan), plan


def test_a_developer_and_a_manager_see_no_hr_part(client, org):
    requested(org)
    claimed_days_ago(claim(org["colleague"], next_line(org["colleague"])), 30)
    for who in ("dev", "cto"):
        html = page(client, org[who])
        assert "inbox-hr" not in html and "hr-requests" not in html and "hr-overdue" not in html, who


def test_the_dashboard_link_for_managers_and_hr_only(client, org):
    # A manager with no other role goes straight to the dashboard (above).
    for who, shown in (("hr", True), ("dev", False), ("cto", False)):
        html = page(client, org[who])
        assert ('href="/dashboard/" data-link="dashboard"' in html) is shown, who


def test_long_lists_are_cut_and_counted(client, org):
    lead = org["lead"]
    for _ in range(23):
        person = hire(level_code="middle", team_lead=lead)
        claim(person, next_line(person))
    html = page(client, lead)
    assert len(re.findall(r"data-claim=", section(html, "lead-claims"))) == 20
    assert 'data-testid="claims-total">23<' in html and "and 3 more" in html


# --- Russian ------------------------------------------------------------------------------------------------


def test_the_inbox_in_russian(client, org):
    claim(org["dev"], next_line(org["dev"]))
    requested(org, candidate=org["other_dev"])
    client.cookies["django_language"] = "ru"
    lead_html = page(client, org["lead"])
    assert "<h1>Входящие</h1>" in lead_html
    assert "Заявки, ждущие вашего решения" in lead_html
    assert "Следующий уровень" in lead_html
    hr_html = page(client, org["hr"])
    assert "Заявки на защиту к назначению" in hr_html and "запрошено 0 дней назад" in hr_html
    assert "Requests to schedule" not in hr_html


# --- Statements: a fixed number per role, whatever the size of the lists ----------------------------------

# Every signed-in page starts with Django's two (the session, the signed-in user) and the
# viewer's roles with their employee id and whether they lead anyone (grades.roles.viewer_facts).
# The page is read-only (common.http.read_only): no request transaction adds statements.
FIRST = 3
# The person's row with their current level, next level (grades.selectors.with_next_level's
# subqueries) and open review (reviews.selectors.open_review_annotations); their open growth
# goals cut at 20 with the count of all of them (a window COUNT).
DEVELOPER_PART = 2
# The people led whose checklist is done and who have no open review, with their next level
# (the date is judged in Python: grades.rules); their waiting claims, oldest 20 and the count;
# their scheduled defenses ahead, the soonest 20 and the count; the defenses where the lead
# holds a seat and has not voted (a lead may be seated: reviews.policies.may_be_seated).
LEAD_PART = 4
# The defenses waiting for the member's vote, the soonest 20 and the count.
COMMITTEE_PART = 1
# The requests to schedule, the defenses with every vote in, the overdue claims: 20 and a count each.
HR_PART = 3
STATEMENTS = {
    "dev": FIRST + DEVELOPER_PART,  # 5
    "lead": FIRST + DEVELOPER_PART + LEAD_PART,  # 9: a team lead is on a track too
    "cto": FIRST + COMMITTEE_PART,  # 4
    "hr": FIRST + HR_PART,  # 6
    "manager": FIRST,  # 3: no part to read; the answer is the redirect to the dashboard
}


def grow(org) -> None:
    """More of every list: claims of many people, goals, requests, seats, overdue claims."""
    lead, dev = org["lead"], org["dev"]
    for offset in range(3):
        grade_services.growth_goal_add(
            employee=dev, requirement=next_line(dev, offset=offset), text=f"Goal {offset}", by=dev.user
        )
    for _ in range(25):
        person = hire(level_code="middle", team_lead=lead)
        claimed_days_ago(claim(person, next_line(person)), 30)
    for number in range(4):
        person = hire(level_code="junior-plus", team_lead=lead, hire_date=datetime.date(2020, 1, 1))
        ready(person)
        if number:  # the first stays ready without a review: the lead's "ready" list has a row
            requested(org, candidate=person)
    ready(dev)
    scheduled(org)
    voted(org, scheduled(org, requested(org, candidate=org["colleague"])))


@pytest.mark.parametrize("grown", [False, True], ids=["small", "grown"])
@pytest.mark.parametrize("who", sorted(STATEMENTS))
def test_statements_per_role(client, org, django_assert_num_queries, who, grown):
    if grown:
        grow(org)
    client.force_login(getattr(org[who], "user", org[who]))
    client.get("/")  # anything a first request does once
    with django_assert_num_queries(STATEMENTS[who]):
        response = client.get("/")
    assert response.status_code == (302 if who == "manager" else 200)
    if grown:
        # The lists were not empty: the count is that of full lists.
        shown = {
            "dev": "goals", "lead": "lead-ready", "cto": "committee-votes", "hr": "hr-overdue", "manager": None,
        }[who]
        assert shown is None or section(response.content.decode(), shown)


def test_several_roles_cost_the_sum_of_their_parts(client, django_assert_num_queries):
    boss = hire(level_code="senior", roles=["Developer", "Team lead", "HR", "Committee", "Manager"])
    hire(level_code="middle", team_lead=boss)
    client.force_login(boss.user)
    client.get("/")
    # The lead part already reads the seats waiting for a vote: the committee part adds none.
    with django_assert_num_queries(FIRST + DEVELOPER_PART + LEAD_PART + HR_PART):
        assert client.get("/").status_code == 200
