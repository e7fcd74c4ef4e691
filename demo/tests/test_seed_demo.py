"""Tests of `manage.py seed_demo` and the demo generator in demo/people.py."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.contrib.auth import authenticate as django_authenticate, get_user_model
from django.test import RequestFactory
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from demo import people as demo
from grades import roles, rules
from grades.models import (
    Employee,
    Evidence,
    EvidenceEvent,
    GradeChange,
    Level,
    Mentorship,
)
from reviews.models import SeatRole
from reviews.selectors import seat_candidate_choices

pytestmark = pytest.mark.django_db

User = get_user_model()
TODAY = datetime.date(2025, 6, 30)
SMALL = 40

LOGIN_GROUPS = {
    "admin": set(),
    "hr": {roles.HR},
    "lead": {roles.TEAM_LEAD, roles.DEVELOPER},
    "dev": {roles.DEVELOPER},
    "manager": {roles.MANAGER},
    "cto": {roles.COMMITTEE, roles.CTO},
    "product": {roles.COMMITTEE, roles.PRODUCT_DIRECTOR},
    "hrdirector": {roles.COMMITTEE, roles.HR_DIRECTOR},
}


def authenticate(**credentials):
    """Sign-in as the login page does it: the rate-limiting backend needs the request."""
    return django_authenticate(RequestFactory().post("/accounts/login/"), **credentials)


def seed(**options) -> str:
    options.setdefault("employees", SMALL)
    options.setdefault("today", TODAY.isoformat())
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "memberships": User.groups.through.objects.count(),
        "employees": Employee.objects.count(),
        "grade changes": GradeChange.objects.count(),
        "mentorships": Mentorship.objects.count(),
        "evidence": Evidence.objects.count(),
        "events": EvidenceEvent.objects.count(),
    }


def organisation() -> dict[str, list]:
    """Everything the demo wrote, by usernames and keys rather than ids (ids differ between runs)."""
    return {
        "people": sorted(
            Employee.objects.values_list(
                "user__username", "user__first_name", "user__last_name", "user__email", "track__slug",
                "team_lead__user__username", "hire_date", "probation_end", "career_start",
                "current_level__code", "current_level_since",
            )
        ),
        "ledger": sorted(
            GradeChange.objects.values_list(
                "employee__user__username", "kind", "level__code", "effective_date", "reason"
            )
        ),
        "mentorships": sorted(
            Mentorship.objects.values_list(
                "mentor__user__username", "mentee__user__username", "started_on", "ended_on"
            ),
            key=str,
        ),
        "evidence": sorted(
            Evidence.objects.values_list(
                "employee__user__username", "requirement__key", "status", "claimed_at",
                "decided_by__username", "decided_at", "description",
            ),
            key=str,
        ),
        "events": sorted(
            EvidenceEvent.objects.values_list(
                "evidence__employee__user__username", "evidence__requirement__key",
                "evidence__claimed_at", "action", "actor__username", "at",
            )
        ),
    }


class _Rollback(Exception):
    pass


def organisation_of_a_run(**options) -> dict[str, list]:
    """Seed, read the result, and roll the seeding back so that the next run starts fresh."""
    result = {}
    try:
        with transaction.atomic():
            seed(**options)
            result.update(organisation())
            raise _Rollback
    except _Rollback:
        pass
    return result


@pytest.fixture
def seeded() -> str:
    return seed()


def employees_with_ledgers():
    ledgers = defaultdict(list)
    for change in GradeChange.objects.select_related("level").chronological():
        ledgers[change.employee_id].append(change)
    return [(e, ledgers[e.id]) for e in Employee.objects.select_related("user", "current_level")]


# --- Logins ---------------------------------------------------------------------------


def test_demo_logins_have_their_roles_and_the_printed_password(seeded):
    for username, groups in LOGIN_GROUPS.items():
        user = User.objects.get(username=username)
        assert set(user.groups.values_list("name", flat=True)) == groups, username
        assert authenticate(username=username, password=demo.DEFAULT_PASSWORD) == user
        assert authenticate(username=username, password="wrong-password") is None
    assert User.objects.get(username="admin").is_superuser
    assert {u.username for u in User.objects.filter(is_staff=True)} == {"admin", "hr"}
    assert Employee.objects.filter(user__username__in=["lead", "dev"]).count() == 2
    # The committee logins are not on a track.
    assert not Employee.objects.filter(user__username__in=["cto", "product", "hrdirector"]).exists()
    assert f"password: {demo.DEFAULT_PASSWORD}" in seeded
    assert "http://127.0.0.1:8000/" in seeded
    assert "admin, hr, lead, dev, manager, cto, product, hrdirector" in seeded


def test_each_director_holds_their_role_and_is_offered_and_chosen_for_its_seat(seeded):
    logins = dict(User.objects.filter(username__in=["cto", "product", "hrdirector"]).values_list("username", "pk"))
    expected = {SeatRole.CTO: logins["cto"], SeatRole.PRODUCT: logins["product"],
                SeatRole.HR_DIRECTOR: logins["hrdirector"]}
    # Only the three directors hold a role, one each.
    holders = User.groups.through.objects.filter(group__name__in=roles.DESIGNATIONS)
    assert sorted(holders.values_list("user__username", "group__name")) == sorted(
        [("cto", roles.CTO), ("hrdirector", roles.HR_DIRECTOR), ("product", roles.PRODUCT_DIRECTOR)]
    )
    choices = seat_candidate_choices()
    # The admin (a superuser) may sit in every seat too, after the holder.
    for role, pk in expected.items():
        assert choices[role][0][0] == pk, role
        assert len(choices[role]) > 1
    assert {role: choices.usual.get(role) for role in expected} == expected


def test_password_comes_from_the_option_then_the_environment(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "from-the-environment")
    out = seed()
    assert authenticate(username="dev", password="from-the-environment") is not None
    assert authenticate(username="dev", password=demo.DEFAULT_PASSWORD) is None
    assert "password: from-the-environment" in out


def test_password_option_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "from-the-environment")
    seed(password="from-the-option")
    assert authenticate(username="hr", password="from-the-option") is not None
    assert authenticate(username="hr", password="from-the-environment") is None


def test_all_demo_users_share_one_password_hash(seeded):
    # Hashing once is what keeps 10,000 users fast; every user still logs in.
    assert User.objects.values("password").distinct().count() == 1


# --- The organisation -------------------------------------------------------------------


def test_both_tracks_and_every_non_lead_has_a_lead_on_the_same_track(seeded):
    employees = list(Employee.objects.select_related("team_lead", "current_level", "user"))
    assert len(employees) == SMALL + 2  # the demo people, plus the lead and dev logins
    assert {e.track_id for e in employees} == set(
        Employee.objects.filter(track__slug__in=demo.TRACKS).values_list("track_id", flat=True)
    )
    assert Employee.objects.in_track("backend").exists() and Employee.objects.in_track("fullstack").exists()

    group_names = defaultdict(set)
    for user_id, name in User.groups.through.objects.values_list("user_id", "group__name"):
        group_names[user_id].add(name)
    lead_ids = {e.team_lead_id for e in employees if e.team_lead_id}
    for employee in employees:
        groups = group_names[employee.user_id]
        assert roles.DEVELOPER in groups
        is_lead = roles.TEAM_LEAD in groups
        if is_lead:
            assert employee.current_level.rank >= 7, "team leads are at Senior levels"
            assert employee.team_lead_id is None
        else:
            assert employee.team_lead is not None, employee.user.username
            assert employee.team_lead.track_id == employee.track_id
            assert employee.team_lead_id in lead_ids
            assert roles.TEAM_LEAD in group_names[employee.team_lead.user_id]
    report_counts = Counter(e.team_lead_id for e in employees if e.team_lead_id)
    lead = Employee.objects.get(user__username="lead")
    assert 6 <= report_counts[lead.id] <= 10
    # Complete teams have 6-10 reports; only the last team may be cut short by --employees.
    assert all(count <= 10 for count in report_counts.values())


def test_dev_is_a_backend_middle_reporting_to_lead_with_history(seeded):
    dev = Employee.objects.select_related("team_lead__user", "track", "current_level").get(user__username="dev")
    assert dev.team_lead.user.username == "lead"
    assert dev.track.slug == "backend"
    assert dev.current_level.code == "middle"
    assert list(dev.grade_changes.chronological().values_list("kind", "level__code")) == [
        ("hire", "junior-plus"),
        ("promotion", "junior-plus-plus"),
        ("promotion", "middle"),
    ]
    assert set(Evidence.objects.filter(employee=dev).values_list("status", flat=True)) == {
        "claimed", "confirmed", "rejected", "withdrawn",
    }  # fmt: skip
    assert Mentorship.objects.filter(mentee=dev).exists()
    assert Mentorship.objects.filter(mentor=dev).current(TODAY).exists()


def test_every_ledger_follows_the_promotion_rules():
    seed(employees=300)
    people = employees_with_ledgers()
    kinds = Counter()
    for employee, ledger in people:
        name = employee.user.username
        assert ledger, name
        assert ledger[0].kind == "hire", name
        assert [c.kind for c in ledger].count("hire") == 1, name
        assert employee.career_start <= employee.hire_date == ledger[0].effective_date
        assert employee.probation_end is not None and employee.hire_date < employee.probation_end
        for previous, change in zip(ledger, ledger[1:]):
            kinds[change.kind] += 1
            assert change.effective_date > previous.effective_date, name
            if change.kind == "promotion":
                assert change.level.rank == previous.level.rank + 1, name
                assert not change.level.entry_only
                earliest = rules.earliest_defense_date(
                    last_change=previous.effective_date,
                    probation_end=employee.probation_end,
                    min_months=change.level.min_months_in_previous,
                )
                assert change.effective_date >= earliest, (name, change)
            else:
                assert change.kind == "correction" and change.reason.strip(), name
        # The denormalised level is the ledger's latest entry.
        assert employee.current_level_id == ledger[-1].level_id, name
        assert employee.current_level_since == ledger[-1].effective_date, name
        # Each entry keeps the start of the level before it, as the ledger service writes it.
        assert [c.previous_level_since for c in ledger] == [None, *(c.effective_date for c in ledger[:-1])], name
        if employee.current_level.rank >= 7:
            assert rules.years_between(employee.career_start, TODAY) >= 5, name
    assert kinds["promotion"] > 0 and kinds["correction"] > 0
    hired_at = Counter(ledger[0].level.rank for _, ledger in people)
    assert any(rank >= 4 for rank in hired_at), "some people are hired directly at higher levels"
    assert {e.current_level.rank for e, _ in people} == set(range(1, 10))
    # Probation is three months for most.
    three_months = sum(e.probation_end == rules.add_months(e.hire_date, 3) for e, _ in people)
    assert three_months > len(people) / 2


def test_no_date_is_after_the_reference_date(seeded):
    for employee in Employee.objects.all():
        assert max(employee.hire_date, employee.probation_end, employee.career_start) <= TODAY
        assert employee.current_level_since <= TODAY
    assert not GradeChange.objects.filter(effective_date__gt=TODAY).exists()
    assert not Mentorship.objects.filter(started_on__gt=TODAY).exists()
    assert not Mentorship.objects.filter(ended_on__gt=TODAY).exists()
    # Office hours end at 15:00 UTC.
    end_of_today = datetime.datetime.combine(TODAY, datetime.time(15), tzinfo=datetime.timezone.utc)
    assert not Evidence.objects.filter(claimed_at__gt=end_of_today).exists()
    assert not Evidence.objects.filter(decided_at__gt=end_of_today).exists()
    assert not EvidenceEvent.objects.filter(at__gt=end_of_today).exists()
    assert not User.objects.filter(date_joined__gt=end_of_today).exists()


def test_mentorships_current_ended_and_across_a_promotion(seeded):
    mentorships = list(Mentorship.objects.select_related("mentor", "mentee"))
    assert any(m.ended_on is None for m in mentorships)
    assert any(m.ended_on is not None for m in mentorships)
    for m in mentorships:
        assert m.mentor_id != m.mentee_id
        assert m.started_on >= max(m.mentor.hire_date, m.mentee.hire_date)
        assert m.ended_on is None or m.started_on <= m.ended_on
    # The lead mentored dev while dev went from Junior++ to Middle: what Senior asks of a mentor.
    lead_of_dev = Mentorship.objects.get(mentor__user__username="lead", mentee__user__username="dev")
    dev = lead_of_dev.mentee
    period = rules.MentorshipPeriod(
        mentee_id=dev.id,
        started_on=lead_of_dev.started_on,
        ended_on=lead_of_dev.ended_on,
        mentee_ledger=[
            rules.LedgerEntry(code, day, kind)
            for code, day, kind in dev.grade_changes.chronological().values_list(
                "level__code", "effective_date", "kind"
            )
        ],
    )
    assert lead_of_dev.ended_on is not None
    ranks = dict(Level.objects.values_list("code", "rank"))
    assert rules.mentee_was_promoted(period, ["junior-plus", "junior-plus-plus"], "middle", TODAY, level_ranks=ranks)


def test_evidence_in_every_state_with_a_consistent_history(seeded):
    assert set(Evidence.objects.values_list("status", flat=True)) == {
        "claimed", "confirmed", "rejected", "withdrawn",
    }  # fmt: skip
    events = defaultdict(list)
    for event in EvidenceEvent.objects.order_by("at", "id"):
        events[event.evidence_id].append(event)
    cto = User.objects.get(username="cto")
    evidence = Evidence.objects.select_related(
        "employee__team_lead", "employee__current_level", "requirement__track_level__level"
    )
    for item in evidence:
        employee = item.employee
        history = events[item.id]
        decider = employee.team_lead.user_id if employee.team_lead else cto.id
        assert item.claimed_by_id == employee.user_id
        assert item.requirement.track_id == employee.track_id
        assert item.requirement.check_kind == "", "data-judged requirements are not claimed"
        assert item.requirement.track_level.level.rank <= employee.current_level.rank + 1
        assert history[0].action == "claimed"
        assert (history[0].actor_id, history[0].at) == (employee.user_id, item.claimed_at)
        assert all(a.at < b.at for a, b in zip(history, history[1:])), "events are in order"
        claim_events = [e for e in history if e.action in ("claimed", "edited")]
        assert all(e.actor_id == employee.user_id for e in claim_events)
        assert (claim_events[-1].description, claim_events[-1].links) == (item.description, item.links)
        last = history[-1]
        if item.status in ("confirmed", "rejected"):
            assert (last.action, last.actor_id, last.at) == (item.status, decider, item.decided_at)
            assert item.decided_by_id == decider
        elif item.status == "withdrawn":
            assert item.decided_by_id is None and item.decided_at is None
            assert (last.action, last.actor_id) == ("withdrawn", employee.user_id)
        else:
            assert item.decided_by_id is None and item.decided_at is None
            assert last.action in ("claimed", "edited")
    assert Counter(e.action for history in events.values() for e in history)["edited"] > 0
    hours = {event.at.astimezone(datetime.timezone.utc).hour for history in events.values() for event in history}
    assert min(hours) >= 6 and max(hours) < 15, "claims and decisions happen in office hours"


# --- Determinism and idempotency ----------------------------------------------------------


def test_the_same_seed_gives_the_same_organisation_and_another_seed_does_not():
    first = organisation_of_a_run(seed=7)
    assert first["people"], "the rollback helper must have seen the run"
    again = organisation_of_a_run(seed=7)
    other = organisation_of_a_run(seed=8)
    assert again == first
    names = lambda org: [row[1:3] for row in org["people"]]  # noqa: E731
    assert names(other) != names(first)
    emails = [row[3] for row in first["people"]]
    assert len(set(emails)) == len(emails)


def test_a_second_run_creates_nothing(seeded):
    before = row_counts()
    snapshot = organisation()
    out = seed()
    assert row_counts() == before
    assert organisation() == snapshot
    assert "Nothing new was created" in out


def test_a_larger_run_adds_only_the_missing_people():
    fresh = organisation_of_a_run(employees=60)
    seed(employees=SMALL)
    first_people = organisation()
    first_ids = set(Employee.objects.values_list("id", flat=True))
    out = seed(employees=60)
    assert Employee.objects.count() == 60 + 2
    assert "42 of the 62 demo employees already existed" in out
    # The people of the first run are untouched, and the result is what a single run of 60 gives.
    assert set(Employee.objects.values_list("id", flat=True)) >= first_ids
    assert organisation() == fresh
    people = set(fresh["people"])
    assert set(first_people["people"]) <= people


def test_a_different_seed_on_the_same_database_adds_nothing(seeded):
    before = row_counts()
    seed(seed=99)
    assert row_counts() == before


def test_ids_are_found_again_where_the_database_does_not_return_them(monkeypatch):
    """MySQL (not MariaDB) returns no ids from a bulk insert; rows are then looked up by natural key."""
    expected = organisation_of_a_run()
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    seed()
    assert organisation() == expected


def test_the_number_of_queries_does_not_grow_with_each_person():
    with CaptureQueriesContext(connection) as queries:
        seed(employees=150)
    # A dozen lookups plus one INSERT per batch: 39 on SQLite, where a batch is about 100 rows
    # (999 values per statement), fewer on MariaDB (1,000 rows); plus the demo reviews: ten
    # reads, about 20 INSERT batches on SQLite and one UPDATE of the failures; plus the salary
    # bands through their service: about 100 in all; plus the defense sessions, a few per
    # calendar quarter (at most six). A query per person would be 150+. Plus the other
    # criteria of the defenses (demo/criteria.py): about 16 reads, an INSERT per batch
    # (about 12 here), and three reads for each kept packet, of which there are at most
    # KEPT_PACKETS whatever the number of people.
    from demo.criteria import KEPT_PACKETS

    assert len(queries) < 115 + 4 * 6 + 30 + 3 * KEPT_PACKETS


def test_verbosity_zero_prints_nothing():
    assert seed(verbosity=0) == ""
    assert Employee.objects.count() == SMALL + 2


def test_verbosity_two_prints_every_table():
    out = seed(verbosity=2)
    for table in ("users:", "group memberships:", "grade changes:", "evidence events:"):
        assert table in out


# --- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, message",
    [
        ({"employees": 0}, "between 1 and 200,000; got 0"),
        ({"employees": -5}, "between 1 and 200,000; got -5"),
        ({"employees": 200_001}, "between 1 and 200,000; got 200001"),
        ({"today": "30/06/2025"}, "--today must be a date like"),
        ({"today": "2999-01-01"}, "is in the future"),
        ({"password": ""}, "password is empty"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(options, message):
    before = row_counts()
    with pytest.raises(CommandError, match=message):
        seed(**options)
    assert row_counts() == before


def test_a_non_numeric_employee_count_is_refused():
    with pytest.raises(CommandError, match="--employees"):
        call_command("seed_demo", "--employees", "many", stdout=StringIO())
    assert not Employee.objects.exists()


def test_a_demo_username_held_by_someone_who_is_not_an_employee_is_refused():
    User.objects.create_user(username="dev", password="x")
    before = row_counts()
    with pytest.raises(CommandError, match="'dev' exists but is not an employee"):
        seed()
    assert row_counts() == before


def test_a_missing_ladder_is_refused():
    # The demo plans careers over nine ranks; a ladder with a gap is not the one it knows.
    Level.objects.filter(code="senior-plus-plus").update(rank=12)
    with pytest.raises(CommandError, match="ladder"):
        seed()
    assert not Employee.objects.exists()


# --- The reference date --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now, latest",
    [
        # Before today's office hours are over (15:00 UTC), history ends yesterday: a claim or vote
        # of today's office hours would otherwise be dated after the moment it is written.
        ("2026-12-02T03:50:00+00:00", "2026-12-01"),
        ("2026-12-02T14:59:59+00:00", "2026-12-01"),
        ("2026-12-02T15:00:00+00:00", "2026-12-02"),
        ("2026-12-02T23:30:00+00:00", "2026-12-02"),
        # The same instant seen from Moscow: the answer follows UTC office hours, not the zone.
        ("2026-12-02T02:00:00+03:00", "2026-12-01"),
    ],
)
def test_the_latest_reference_date_is_a_day_whose_office_hours_are_over(now, latest):
    assert demo.last_full_office_day(datetime.datetime.fromisoformat(now)) == datetime.date.fromisoformat(latest)


def test_no_seeded_event_is_later_than_the_seeding_moment():
    """With the default reference date, whatever the hour of the day it runs."""
    from django.db.models import Max
    from django.utils import timezone

    from reviews.models import ReviewEvent, Vote

    seed(employees=12, today=None)

    moment = timezone.now()
    latest = {
        "evidence claimed": Evidence.objects.aggregate(at=Max("claimed_at"))["at"],
        "evidence decided": Evidence.objects.aggregate(at=Max("decided_at"))["at"],
        "evidence events": EvidenceEvent.objects.aggregate(at=Max("at"))["at"],
        "votes": Vote.objects.aggregate(at=Max("cast_at"))["at"],
        "review events": ReviewEvent.objects.aggregate(at=Max("at"))["at"],
    }
    assert latest["evidence claimed"] is not None
    assert {name: at for name, at in latest.items() if at is not None and at > moment} == {}
