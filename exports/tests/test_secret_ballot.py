"""The secret ballot in the reports: `votes` and `reviews` show the votes, comments and
running tally of a review not yet decided only to whom the review page shows them."""

from __future__ import annotations

import csv
import io
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from exports.reports import REPORTS
from grades.roles import MANAGER
from grades.tests.factories import UserFactory
from reviews import policies, services
from reviews.models import CommitteeSeat, SeatRole, Vote
from reviews.policies import VOTES_ALL, VOTES_NONE, VOTES_PROGRESS, VOTES_TALLY, VoteViewer
from reviews.tests.factories import defense_day_came, members, organisation, requested, scheduled

# Committed data: on MariaDB the export reads through a connection of its own, which
# cannot see a test transaction. serialized_rollback restores the migrations' rows.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

VOTE_COLUMNS = ("vote", "comment", "cast_at", "changed_at")
TALLY_COLUMNS = ("approvals", "rejections", "abstentions")


def rows(client, name: str, query: str = "") -> list[dict]:
    response = client.get(f"/exports/{name}.csv{query}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    table = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert table[0] == REPORTS[name].column_names  # the columns never change with the reader
    return [dict(zip(table[0], row)) for row in table[1:]]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def org():
    org = organisation()
    # The CTO seat's member also holds the Manager role, so may download reports.
    org["cto"].groups.add(Group.objects.get(name=MANAGER))
    return org


@pytest.fixture
def half_voted(org):
    """A scheduled defense of `dev`: three seats voted (one changed their mind), the CTO not yet."""
    review = defense_day_came(scheduled(org))
    seats = members(org)
    services.review_vote(review=review, by=seats[SeatRole.PRODUCT], value="reject", comment="Not yet ready")
    services.review_vote(review=review, by=seats[SeatRole.PRODUCT], value="approve", comment="Convinced after all")
    services.review_vote(review=review, by=seats[SeatRole.HR_DIRECTOR], value="approve", comment="Good peer feedback")
    services.review_vote(review=review, by=seats[SeatRole.TEAM_LEAD], value="abstain", comment="I am their lead")
    return review


def vote_cells(table: list[dict]) -> list[tuple]:
    return [tuple(row[column] for column in VOTE_COLUMNS) for row in table]


def tally(table: list[dict], review) -> tuple:
    (row,) = [row for row in table if row["review_id"] == str(review.pk)]
    return tuple(row[column] for column in TALLY_COLUMNS)


# --- A manager on the committee, before and after voting ----------------------------------------


def test_a_manager_on_the_committee_reads_no_votes_before_casting_their_own(org, half_voted):
    cto = signed_in(org["cto"])

    votes = rows(cto, "votes", "?status=scheduled")

    assert len(votes) == 4
    for row in votes:
        assert (row["vote"], row["comment"]) == ("", ""), row["seat"]
    # Like the review page, a member sees who has voted already, not how.
    voted_at = {row["seat"]: row["cast_at"] for row in votes}
    assert voted_at["cto"] == "" and all(voted_at[seat] for seat in ("product", "hr_director", "team_lead"))
    body = b"".join(cto.get("/exports/votes.csv?status=scheduled").streaming_content).decode()
    for secret in ("Not yet ready", "Convinced after all", "Good peer feedback", "I am their lead", "approve",
                   "abstain"):
        assert secret not in body
    assert tally(rows(cto, "reviews", "?status=scheduled"), half_voted) == ("", "", "")
    assert tally(rows(cto, "reviews"), half_voted) == ("", "", "")

    # Once they have voted, they see the others, as on the review page.
    services.review_vote(review=half_voted, by=org["cto"], value="reject", comment="Needs more scope")
    votes = {row["seat"]: row for row in rows(cto, "votes", "?status=scheduled")}
    assert (votes["product"]["vote"], votes["product"]["comment"]) == ("approve", "Convinced after all")
    assert votes["product"]["changed_at"] != ""
    assert (votes["cto"]["vote"], votes["team_lead"]["vote"]) == ("reject", "abstain")
    assert tally(rows(cto, "reviews", "?status=scheduled"), half_voted) == ("2", "1", "1")


def test_a_manager_off_the_committee_reads_nothing_of_the_voting_until_the_decision(org, half_voted):
    manager = signed_in(org["manager"])

    assert vote_cells(rows(manager, "votes", "?status=scheduled")) == [("", "", "", "")] * 4
    assert tally(rows(manager, "reviews", "?status=scheduled"), half_voted) == ("", "", "")

    services.review_vote(review=half_voted, by=org["cto"], value="approve", comment="Yes")
    services.review_decide(review=half_voted, by=org["hr"], note="Promoted")

    votes = {row["seat"]: row for row in rows(manager, "votes", "?status=passed")}
    assert (votes["product"]["vote"], votes["product"]["comment"]) == ("approve", "Convinced after all")
    assert all(votes[seat]["cast_at"] for seat in votes) and votes["product"]["changed_at"]
    assert tally(rows(manager, "reviews", "?status=passed"), half_voted) == ("3", "0", "1")
    # The member who holds the Manager role sees the same once it is decided.
    cto = signed_in(org["cto"])
    assert rows(cto, "votes") == rows(manager, "votes")
    assert rows(cto, "reviews") == rows(manager, "reviews")


def test_hr_reads_every_vote_all_along(org, half_voted):
    hr = signed_in(org["hr"])

    votes = {row["seat"]: row for row in rows(hr, "votes", "?status=scheduled")}

    assert (votes["product"]["vote"], votes["product"]["comment"]) == ("approve", "Convinced after all")
    assert (votes["hr_director"]["vote"], votes["team_lead"]["vote"]) == ("approve", "abstain")
    assert votes["product"]["changed_at"] != "" and votes["cto"]["vote"] == ""
    assert tally(rows(hr, "reviews", "?status=scheduled"), half_voted) == ("2", "0", "1")
    admin = signed_in(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert rows(admin, "votes") == rows(hr, "votes")


def test_each_review_is_judged_on_its_own(org, half_voted):
    """A decided review shows its votes beside an undecided one that hides them."""
    other = defense_day_came(scheduled(org, requested(org, candidate=org["other_dev"])))
    for user in members(org).values():
        services.review_vote(review=other, by=user, value="reject", comment="Not this time")
    services.review_decide(review=other, by=org["hr"], note="Try again in spring")

    votes = rows(signed_in(org["manager"]), "votes")

    by_review = {}
    for row in votes:
        by_review.setdefault(row["review_id"], []).append((row["vote"], row["comment"]))
    assert by_review[str(other.pk)] == [("reject", "Not this time")] * 4
    assert by_review[str(half_voted.pk)] == [("", "")] * 4
    reviews = rows(signed_in(org["manager"]), "reviews")
    assert tally(reviews, other) == ("0", "4", "0")
    assert tally(reviews, half_voted) == ("", "", "")


def test_a_withdrawn_review_keeps_its_votes_secret(org, half_voted):
    services.review_withdraw(review=half_voted, by=org["hr"], reason="Moved to another team")
    manager = signed_in(org["manager"])
    assert vote_cells(rows(manager, "votes", "?status=withdrawn")) == [("", "", "", "")] * 4
    assert tally(rows(manager, "reviews", "?status=withdrawn"), half_voted) == ("", "", "")
    hr_votes = rows(signed_in(org["hr"]), "votes", "?status=withdrawn")
    assert sorted(row["vote"] for row in hr_votes) == ["", "abstain", "approve", "approve"]


def test_hr_on_the_committee_reads_no_votes_before_casting_their_own(org, half_voted):
    """An HR person who sits on the committee is a member first, as on the review page."""
    from grades.roles import HR

    org["cto"].groups.add(Group.objects.get(name=HR))  # the CTO seat's member, in HR too
    cto = signed_in(org["cto"])
    seat = CommitteeSeat.objects.get(review=half_voted, member=org["cto"])
    assert policies.report_vote_visibility(is_hr=True, seat=seat, decided=False) == VOTES_PROGRESS
    votes = rows(cto, "votes", "?status=scheduled")
    assert [(row["vote"], row["comment"]) for row in votes] == [("", "")] * 4
    assert all(row["cast_at"] for row in votes if row["seat"] != "cto")
    assert tally(rows(cto, "reviews"), half_voted) == ("", "", "")

    services.review_vote(review=half_voted, by=org["cto"], value="reject", comment="Needs more scope")
    votes = {row["seat"]: row for row in rows(cto, "votes", "?status=scheduled")}
    assert (votes["product"]["vote"], votes["cto"]["comment"]) == ("approve", "Needs more scope")
    assert tally(rows(cto, "reviews"), half_voted) == ("2", "1", "1")


# --- The command ------------------------------------------------------------------------------------


def command_rows(name: str, *args: str) -> list[dict]:
    out = StringIO()
    call_command("export_report", name, *args, stdout=out)
    table = list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))
    assert table[0] == REPORTS[name].column_names
    return [dict(zip(table[0], row)) for row in table[1:]]


def test_the_command_keeps_the_ballot_secret_unless_it_names_a_reader_who_may_see_it(org, half_voted, tmp_path):
    # Nobody named: the file may be mailed on, so it is nobody's in particular.
    assert vote_cells(command_rows("votes", "--status", "scheduled")) == [("", "", "", "")] * 4
    assert tally(command_rows("reviews"), half_voted) == ("", "", "")
    # HR named: as HR's own download, byte for byte.
    out = tmp_path / "votes.csv"
    call_command("export_report", "votes", "--as-user", "hr", "--output", str(out))
    download = b"".join(signed_in(org["hr"]).get("/exports/votes.csv").streaming_content)
    assert out.read_bytes() == download
    assert "Convinced after all" in download.decode()
    # A manager on the committee named: what they would download, nothing more.
    cto_votes = command_rows("votes", "--as-user", "cto")
    assert [(row["vote"], row["comment"]) for row in cto_votes] == [("", "")] * 4
    assert cto_votes == rows(signed_in(org["cto"]), "votes")


# --- One rule: the SQL agrees with reviews.policies -----------------------------------------------


@pytest.mark.parametrize("state", ["scheduled", "decided", "withdrawn"])
def test_every_reader_sees_what_the_rule_says(org, half_voted, state):
    """For each kind of reader, each row's cells are shown exactly when report_vote_visibility says."""
    if state == "decided":
        services.review_vote(review=half_voted, by=org["cto"], value="approve", comment="Yes")
        services.review_decide(review=half_voted, by=org["hr"], note="Promoted")
    elif state == "withdrawn":
        services.review_withdraw(review=half_voted, by=org["hr"], reason="Moved to another team")
    readers = {
        "hr": org["hr"],
        "member who has voted": org["product"],
        "member who has not voted": org["cto"],
        "outsider": org["manager"],
    }
    for who, user in readers.items():
        user.groups.add(Group.objects.get(name=MANAGER))  # allowed to download at all
        seat = CommitteeSeat.objects.select_related("vote").filter(review=half_voted, member=user).first()
        is_hr = who == "hr"
        expected = policies.report_vote_visibility(is_hr=is_hr, seat=seat, decided=state == "decided")
        viewer = policies.vote_viewer(user)
        assert viewer == VoteViewer(user_id=user.pk, is_hr=is_hr)
        votes = rows(signed_in(user), "votes")
        for row in votes:
            cast = row["seat"] != "cto" or state == "decided"
            shows_vote = bool(row["vote"]) and bool(row["comment"])
            assert shows_vote == (expected == VOTES_ALL and cast), (who, state, row["seat"])
            shows_time = bool(row["cast_at"])
            assert shows_time == (expected in (VOTES_ALL, VOTES_PROGRESS) and cast), (who, state, row["seat"])
        counts = tally(rows(signed_in(user), "reviews"), half_voted)
        assert (counts != ("", "", "")) == (expected == VOTES_ALL), (who, state)


# --- The rule itself (no database) ----------------------------------------------------------------


@pytest.mark.django_db(transaction=False)
def test_report_rule_follows_the_page_rule_until_the_decision():
    seat = CommitteeSeat(role="cto")
    voted_seat = CommitteeSeat(role="cto")
    voted_seat.vote = Vote(value="approve")
    rule = policies.report_vote_visibility
    assert rule(is_hr=True, seat=None, decided=False) == VOTES_ALL
    assert rule(is_hr=False, seat=voted_seat, decided=False) == VOTES_ALL
    assert rule(is_hr=False, seat=seat, decided=False) == VOTES_PROGRESS
    assert rule(is_hr=False, seat=None, decided=False) == VOTES_NONE
    # Reports are for HR and managers, who read a decided committee's votes in full; the
    # review page shows a candidate only the counts.
    assert rule(is_hr=False, seat=None, decided=True) == VOTES_ALL
    assert policies.vote_visibility(is_hr=False, seat=None, decided=True) == VOTES_TALLY
    assert policies.vote_viewer(None) == policies.NOBODY
