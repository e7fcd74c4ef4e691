"""
The grades invariants as the database holds them.

Rows are written with objects.create / bulk_create / QuerySet.update so that no
model validation runs first: each violation must be refused by the database
itself, on SQLite and on MariaDB alike. Each refused write sits in its own
transaction.atomic() so the test can go on and check that nothing was written.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from grades import models
from grades.tests import factories
from grades.tests.factories import level

pytestmark = pytest.mark.django_db

UTC = datetime.timezone.utc
CLAIMED_AT = datetime.datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
DECIDED_AT = datetime.datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def _refused(create):
    """Run one write that the database must refuse; return nothing."""
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def backend():
    return models.Track.objects.get(slug="backend")


def fullstack():
    return models.Track.objects.get(slug="fullstack")


def track_level(track, code):
    return models.TrackLevel.objects.get(track=track, level__code=code)


# --- Level ---------------------------------------------------------------------------------


def standard():
    return models.Ladder.objects.get(slug="standard")


@pytest.mark.parametrize("rank", [0, 100])
def test_level_rank_out_of_range_is_refused(rank):
    _refused(lambda: models.Level.objects.create(ladder=standard(), rank=rank, code="architect", name="Architect"))
    assert not models.Level.objects.filter(code="architect").exists()


def test_level_rank_within_range_is_accepted():
    models.Level.objects.create(ladder=standard(), rank=99, code="architect", name="Architect")
    assert models.Level.objects.count() == 10


def test_level_min_months_over_ten_years_is_refused():
    _refused(
        lambda: models.Level.objects.create(
            ladder=standard(), rank=10, code="architect", name="Architect", min_months_in_previous=121
        )
    )
    models.Level.objects.create(ladder=standard(), rank=10, code="architect", name="Architect", min_months_in_previous=120)


@pytest.mark.parametrize(
    "fields",
    [
        {"rank": 4, "code": "architect", "name": "Architect"},  # rank of Middle
        {"rank": 10, "code": "middle", "name": "Architect"},
        {"rank": 10, "code": "architect", "name": "Middle"},
    ],
    ids=["rank", "code", "name"],
)
def test_level_rank_code_and_name_are_unique_within_a_ladder(fields):
    _refused(lambda: models.Level.objects.create(ladder=standard(), **fields))
    assert models.Level.objects.count() == 9
    # Another ladder may use them: keys and ranks are a ladder's own.
    other = models.Ladder.objects.create(slug="other", name="Other")
    models.Level.objects.create(ladder=other, **fields)


def test_a_level_needs_a_ladder():
    _refused(lambda: models.Level.objects.create(rank=10, code="architect", name="Architect"))


def test_level_range_holds_for_updates_too():
    _refused(lambda: models.Level.objects.filter(code="senior-plus-plus").update(rank=100))
    assert level("senior-plus-plus").rank == 9


def test_a_fork_names_its_parent_and_its_level_together():
    _refused(lambda: models.Track.objects.filter(slug="fullstack").update(fork_of=backend()))
    _refused(lambda: models.Track.objects.filter(slug="fullstack").update(fork_at=level("middle")))
    assert fullstack().fork_of is None


# --- Track, TrackLevel, Requirement, Book ----------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [{"slug": "backend", "name": "Another"}, {"slug": "another", "name": "Back-end developer"}],
    ids=["slug", "name"],
)
def test_track_slug_and_name_are_unique(fields):
    assert backend().name == "Back-end developer"
    _refused(lambda: models.Track.objects.create(ladder=standard(), **fields))
    assert models.Track.objects.count() == 2


def test_track_level_pair_is_unique():
    _refused(lambda: models.TrackLevel.objects.create(track=backend(), level=level("middle")))
    assert models.TrackLevel.objects.filter(track=backend(), level__code="middle").count() == 1
    # The same level in a new track is a different pair.
    models.TrackLevel.objects.create(track=factories.TrackFactory(), level=level("middle"))


def test_requirement_key_is_unique_within_a_track_across_its_levels():
    junior_plus = track_level(backend(), "junior-plus")
    assert models.Requirement.objects.filter(track=backend(), key="git-gitflow").exists()

    def duplicate():
        # Another level of the same track, same key.
        models.Requirement.objects.create(
            track_level=track_level(backend(), "senior"), key="git-gitflow", category_id="hard_skill", text="x"
        )

    _refused(duplicate)
    assert models.Requirement.objects.filter(track=backend(), key="git-gitflow").count() == 1
    # The same key in another track is allowed (both shipped tracks have "oop").
    assert models.Requirement.objects.filter(key="oop").values("track").distinct().count() == 2
    assert junior_plus.requirements.filter(key="git-gitflow").exists()


@pytest.mark.parametrize(
    ("field", "value"), [("category_id", "gossip"), ("check_kind", "astrology")]
)
def test_requirement_category_and_check_kind_must_be_known(field, value):
    tl = track_level(backend(), "middle")
    fields = {"track_level": tl, "key": "bad", "category_id": "hard_skill", "text": "x", field: value}

    def create():
        models.Requirement.objects.create(**fields)
        # The theme is a foreign key, which SQLite checks at the end of the transaction.
        connection.check_constraints()

    _refused(create)
    assert not models.Requirement.objects.filter(key="bad").exists()


def test_book_title_is_unique_per_level():
    tl = track_level(backend(), "middle")
    models.Book.objects.create(track_level=tl, title="Refactoring")
    _refused(lambda: models.Book.objects.create(track_level=tl, title="Refactoring"))
    assert models.Book.objects.filter(title="Refactoring").count() == 1
    models.Book.objects.create(track_level=track_level(backend(), "senior"), title="Refactoring")


def test_requirement_save_takes_the_track_from_its_level():
    requirement = models.Requirement(
        track_level=track_level(fullstack(), "middle"),
        track=backend(),  # wrong on purpose: save() must overrule it
        key="made-up",
        category_id="hard_skill",
        text="x",
    )
    requirement.save()
    requirement.refresh_from_db()
    assert requirement.track == fullstack()

    requirement.track_level = track_level(backend(), "middle")
    requirement.save()
    requirement.refresh_from_db()
    assert requirement.track == backend()


@pytest.mark.parametrize(
    ("check_kind", "check_params"),
    [
        ("experience_years", {}),
        ("experience_years", {"years": 0}),
        ("mentee_count", {"min": "two"}),
        ("mentee_promoted", {"from": ["middle"], "to": "junior-plus"}),
        ("", {"years": 5}),
    ],
)
def test_requirement_clean_refuses_malformed_check_params(check_kind, check_params):
    requirement = models.Requirement(
        track_level=track_level(backend(), "middle"),
        key="data-checked",
        category_id="experience",
        text="x",
        check_kind=check_kind,
        check_params=check_params,
    )
    with pytest.raises(ValidationError) as excinfo:
        requirement.full_clean()
    assert list(excinfo.value.message_dict) == ["check_params"]


def test_requirement_clean_accepts_good_check_params():
    requirement = models.Requirement(
        track_level=track_level(backend(), "middle"),
        key="data-checked",
        category_id="experience",
        text="x",
        check_kind="mentee_promoted",
        check_params={"from": ["junior", "junior-plus"], "to": "junior-plus-plus"},
    )
    requirement.full_clean()


# --- Employee --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"probation_end": datetime.date(2022, 1, 9)}, "probation ends before the hire"),
        ({"career_start": datetime.date(2022, 1, 11)}, "career starts after the hire"),
        ({"left_on": datetime.date(2022, 1, 9)}, "left before the hire"),
    ],
)
def test_employee_dates_must_be_in_order(fields, name):
    user = factories.UserFactory()
    _refused(
        lambda: models.Employee.objects.create(
            user=user,
            track=backend(),
            hire_date=datetime.date(2022, 1, 10),
            career_start=fields.get("career_start", datetime.date(2020, 1, 1)),
            probation_end=fields.get("probation_end"),
            left_on=fields.get("left_on"),
        )
    )
    assert not models.Employee.objects.filter(user=user).exists()


def test_employee_dates_on_the_hire_day_are_accepted():
    hire = datetime.date(2022, 1, 10)
    employee = factories.EmployeeFactory(
        hire_date=hire, career_start=hire, probation_end=hire, left_on=hire
    )
    assert employee.pk


def test_employee_dates_hold_for_updates_too():
    employee = factories.EmployeeFactory(hire_date=datetime.date(2022, 1, 10))
    _refused(
        lambda: models.Employee.objects.filter(pk=employee.pk).update(left_on=datetime.date(2021, 1, 1))
    )
    employee.refresh_from_db()
    assert employee.left_on is None


def test_employee_user_is_one_to_one():
    employee = factories.EmployeeFactory()
    _refused(lambda: factories.EmployeeFactory(user=employee.user))
    assert models.Employee.objects.filter(user=employee.user).count() == 1


def test_employee_cannot_be_their_own_team_lead():
    employee = factories.EmployeeFactory()
    employee.team_lead = employee
    with pytest.raises(ValidationError) as excinfo:
        employee.full_clean()
    assert "own team lead" in excinfo.value.message_dict["team_lead"][0]

    employee.team_lead = factories.EmployeeFactory()
    employee.full_clean()


# --- GradeChange -----------------------------------------------------------------------------


def _entry(employee, **fields):
    values = {
        "employee": employee,
        "kind": "promotion",
        "track": employee.track,
        "level": level("junior-plus"),
        "effective_date": datetime.date(2022, 7, 10),
    }
    values.update(fields)
    return models.GradeChange.objects.create(**values)


def test_one_hire_entry_per_employee():
    employee = factories.hire()
    assert employee.grade_changes.get().kind == "hire"
    _refused(lambda: _entry(employee, kind="hire", level=level("junior")))
    assert employee.grade_changes.count() == 1
    # Many non-hire entries are fine: their marker is NULL.
    _entry(employee)
    _entry(employee, level=level("junior-plus-plus"))
    assert employee.grade_changes.count() == 3
    # And every employee has their own hire.
    factories.hire()
    assert models.GradeChange.objects.filter(kind="hire").count() == 2


def test_one_hire_entry_per_employee_in_bulk():
    employee = factories.EmployeeFactory()
    hires = [
        models.GradeChange(
            employee=employee, kind="hire", track=employee.track, level=level("junior"),
            effective_date=employee.hire_date,
        )
        for _ in range(2)
    ]
    _refused(lambda: models.GradeChange.objects.bulk_create(hires))
    assert not employee.grade_changes.exists()


def test_grade_change_hire_marker_is_generated_from_the_kind():
    employee = factories.hire()
    promotion = _entry(employee)
    markers = dict(employee.grade_changes.values_list("kind", "hire_marker"))
    assert markers == {"hire": 1, "promotion": None}
    assert promotion.pk


def test_grade_change_kind_must_be_known():
    employee = factories.hire()
    _refused(lambda: _entry(employee, kind="demotion"))
    assert employee.grade_changes.count() == 1


def test_grade_change_correction_needs_a_reason():
    employee = factories.hire()
    _refused(lambda: _entry(employee, kind="correction", reason=""))
    assert employee.grade_changes.count() == 1
    _entry(employee, kind="correction", reason="Typo in the hire level")
    assert employee.grade_changes.count() == 2


def _ledger_snapshot(employee):
    return list(employee.grade_changes.order_by("id").values())


def test_grade_change_instance_cannot_be_saved_again():
    employee = factories.hire()
    entry = employee.grade_changes.get()
    before = _ledger_snapshot(employee)
    entry.level = level("senior")
    entry.reason = "rewriting history"
    with pytest.raises(ValidationError, match="append-only"):
        entry.save()
    assert _ledger_snapshot(employee) == before


def test_grade_change_instance_cannot_be_deleted():
    employee = factories.hire()
    entry = employee.grade_changes.get()
    before = _ledger_snapshot(employee)
    with pytest.raises(ValidationError, match="append-only"):
        entry.delete()
    assert _ledger_snapshot(employee) == before


@pytest.mark.parametrize(
    "write",
    [
        lambda e: models.GradeChange.objects.filter(employee=e).update(level=level("senior")),
        lambda e: models.GradeChange.objects.filter(employee=e).delete(),
        lambda e: models.GradeChange.objects.chronological().delete(),
        lambda e: e.grade_changes.update(reason="changed"),
        lambda e: e.grade_changes.all().delete(),
        lambda e: models.GradeChange.objects.bulk_update(
            [e.grade_changes.get()], ["effective_date"]
        ),
    ],
    ids=["update", "delete", "chronological-delete", "related-update", "related-delete", "bulk_update"],
)
def test_grade_change_querysets_cannot_update_or_delete(write):
    employee = factories.hire()
    before = _ledger_snapshot(employee)
    # bulk_update runs inside atomic(savepoint=False): our own savepoint keeps the test usable.
    with pytest.raises(ValidationError, match="append-only"), transaction.atomic():
        write(employee)
    assert _ledger_snapshot(employee) == before


def test_employee_with_ledger_rows_cannot_be_deleted():
    employee = factories.hire()
    with pytest.raises(ProtectedError):
        employee.delete()
    assert models.Employee.objects.filter(pk=employee.pk).exists()
    assert employee.grade_changes.count() == 1


# --- Mentorship ------------------------------------------------------------------------------


def test_mentorship_cannot_be_with_oneself():
    employee = factories.EmployeeFactory()
    _refused(
        lambda: models.Mentorship.objects.create(
            mentor=employee, mentee=employee, started_on=datetime.date(2023, 1, 1)
        )
    )
    assert not models.Mentorship.objects.exists()


def test_mentorship_cannot_end_before_it_starts():
    mentor, mentee = factories.EmployeeFactory(), factories.EmployeeFactory()
    _refused(
        lambda: models.Mentorship.objects.create(
            mentor=mentor,
            mentee=mentee,
            started_on=datetime.date(2023, 1, 2),
            ended_on=datetime.date(2023, 1, 1),
        )
    )
    assert not models.Mentorship.objects.exists()
    models.Mentorship.objects.create(
        mentor=mentor, mentee=mentee, started_on=datetime.date(2023, 1, 2), ended_on=datetime.date(2023, 1, 2)
    )


def test_mentorship_start_is_unique_per_pair():
    mentorship = factories.MentorshipFactory()
    _refused(
        lambda: models.Mentorship.objects.create(
            mentor=mentorship.mentor, mentee=mentorship.mentee, started_on=mentorship.started_on
        )
    )
    assert models.Mentorship.objects.count() == 1
    # A second period for the same pair starts on another day.
    models.Mentorship.objects.create(
        mentor=mentorship.mentor, mentee=mentorship.mentee, started_on=datetime.date(2024, 1, 1)
    )


# --- Evidence --------------------------------------------------------------------------------


def _evidence(employee, requirement, status="claimed", **fields):
    values = {
        "employee": employee,
        "requirement": requirement,
        "status": status,
        "description": "Did it",
        "claimed_by": employee.user,
        "claimed_at": CLAIMED_AT,
    }
    if status in ("confirmed", "rejected"):
        values.update(decided_by=employee.user, decided_at=DECIDED_AT)
    values.update(fields)
    return models.Evidence.objects.create(**values)


@pytest.fixture
def person_and_requirement():
    employee = factories.EmployeeFactory()
    return employee, models.Requirement.objects.get(track=employee.track, key="git-gitflow")


@pytest.mark.parametrize(
    ("first", "second"),
    [("claimed", "claimed"), ("confirmed", "claimed"), ("claimed", "confirmed")],
)
def test_evidence_one_open_claim_per_requirement(person_and_requirement, first, second):
    employee, requirement = person_and_requirement
    _evidence(employee, requirement, first)
    _refused(lambda: _evidence(employee, requirement, second))
    assert models.Evidence.objects.filter(employee=employee).count() == 1


@pytest.mark.parametrize(
    "statuses",
    [
        ("rejected", "claimed"),
        ("rejected", "rejected"),
        ("withdrawn", "withdrawn", "claimed"),
        ("rejected", "withdrawn", "confirmed"),
    ],
)
def test_evidence_closed_claims_do_not_block_a_new_one(person_and_requirement, statuses):
    employee, requirement = person_and_requirement
    for status in statuses:
        _evidence(employee, requirement, status)
    assert models.Evidence.objects.filter(employee=employee).count() == len(statuses)


def test_evidence_open_claims_of_different_people_or_requirements_coexist(person_and_requirement):
    employee, requirement = person_and_requirement
    other_requirement = models.Requirement.objects.get(track=employee.track, key="oop")
    _evidence(employee, requirement)
    _evidence(employee, other_requirement)
    _evidence(factories.EmployeeFactory(), requirement)
    assert models.Evidence.objects.count() == 3


def test_evidence_reopening_a_rejected_claim_next_to_an_open_one_is_refused(person_and_requirement):
    employee, requirement = person_and_requirement
    rejected = _evidence(employee, requirement, "rejected")
    _evidence(employee, requirement, "claimed")
    _refused(
        lambda: models.Evidence.objects.filter(pk=rejected.pk).update(
            status="claimed", decided_by=None, decided_at=None
        )
    )
    rejected.refresh_from_db()
    assert (rejected.status, rejected.open_marker) == ("rejected", None)


def test_evidence_status_must_be_known(person_and_requirement):
    employee, requirement = person_and_requirement
    _refused(lambda: _evidence(employee, requirement, "pending"))
    assert not models.Evidence.objects.exists()


@pytest.mark.parametrize(
    ("status", "with_decider", "with_decision_time"),
    [
        ("confirmed", False, False),
        ("confirmed", True, False),
        ("rejected", False, True),
        ("claimed", False, True),
        ("claimed", True, False),
        ("withdrawn", True, True),
    ],
)
def test_evidence_decision_fields_match_the_status(
    person_and_requirement, status, with_decider, with_decision_time
):
    employee, requirement = person_and_requirement
    decided = {
        "decided_by": employee.user if with_decider else None,
        "decided_at": DECIDED_AT if with_decision_time else None,
    }
    _refused(lambda: _evidence(employee, requirement, status, **decided))
    assert not models.Evidence.objects.exists()


def test_evidence_cannot_be_decided_before_it_was_claimed(person_and_requirement):
    employee, requirement = person_and_requirement
    _refused(
        lambda: _evidence(
            employee, requirement, "confirmed", decided_at=CLAIMED_AT - datetime.timedelta(seconds=1)
        )
    )
    assert not models.Evidence.objects.exists()
    _evidence(employee, requirement, "confirmed", decided_at=CLAIMED_AT)


def test_evidence_decision_fields_hold_for_updates_too(person_and_requirement):
    employee, requirement = person_and_requirement
    evidence = _evidence(employee, requirement)
    _refused(lambda: models.Evidence.objects.filter(pk=evidence.pk).update(status="confirmed"))
    evidence.refresh_from_db()
    assert evidence.status == "claimed"


def test_requirement_with_evidence_cannot_be_deleted(person_and_requirement):
    employee, requirement = person_and_requirement
    _evidence(employee, requirement)
    with pytest.raises(ProtectedError):
        requirement.delete()
    assert models.Requirement.objects.filter(pk=requirement.pk).exists()
    assert requirement.evidence.count() == 1


def test_employee_with_evidence_cannot_be_deleted(person_and_requirement):
    employee, requirement = person_and_requirement
    _evidence(employee, requirement)
    with pytest.raises(ProtectedError):
        employee.delete()
    assert models.Employee.objects.filter(pk=employee.pk).exists()


# --- EvidenceEvent ---------------------------------------------------------------------------


def test_evidence_event_action_must_be_known():
    evidence = factories.EvidenceFactory()
    _refused(
        lambda: models.EvidenceEvent.objects.create(
            evidence=evidence, action="liked", actor=evidence.claimed_by, at=CLAIMED_AT
        )
    )
    assert not models.EvidenceEvent.objects.exists()


def _events_snapshot():
    return list(models.EvidenceEvent.objects.order_by("id").values())


def test_evidence_event_instance_cannot_be_saved_again_or_deleted():
    event = factories.EvidenceEventFactory()
    before = _events_snapshot()
    event.comment = "changed"
    with pytest.raises(ValidationError, match="append-only"):
        event.save()
    with pytest.raises(ValidationError, match="append-only"):
        event.delete()
    assert _events_snapshot() == before


@pytest.mark.parametrize(
    "write",
    [
        lambda: models.EvidenceEvent.objects.update(comment="changed"),
        lambda: models.EvidenceEvent.objects.all().delete(),
        lambda: models.Evidence.objects.get().events.update(comment="changed"),
        lambda: models.Evidence.objects.get().events.all().delete(),
    ],
    ids=["update", "delete", "related-update", "related-delete"],
)
def test_evidence_event_querysets_cannot_update_or_delete(write):
    factories.EvidenceEventFactory()
    before = _events_snapshot()
    with pytest.raises(ValidationError, match="append-only"):
        write()
    assert _events_snapshot() == before


def test_evidence_with_events_cannot_be_deleted():
    event = factories.EvidenceEventFactory()
    with pytest.raises(ProtectedError):
        event.evidence.delete()
    assert models.Evidence.objects.filter(pk=event.evidence_id).exists()


# --- Unicode (utf8mb4 on MariaDB) ---------------------------------------------------------


def test_cyrillic_and_emoji_round_trip():
    first_name, last_name = "Анна 🚀", "Ёлкина 🌲👩‍💻"
    description = "Написала воркер повторов платежей 💳🔁 — см. PR 🧵"
    text = "Знает git 🐙 и gitflow 🌊 (𝔘𝔫𝔦𝔠𝔬𝔡𝔢)"

    user = factories.UserFactory(first_name=first_name, last_name=last_name)
    employee = factories.hire(user=user)
    requirement = factories.RequirementFactory(
        track_level=track_level(employee.track, "junior-plus"), text=text
    )
    evidence = factories.EvidenceFactory(
        employee=employee, requirement=requirement, description=description
    )

    stored_user = get_user_model().objects.get(pk=user.pk)
    assert (stored_user.first_name, stored_user.last_name) == (first_name, last_name)
    assert models.Requirement.objects.get(pk=requirement.pk).text == text
    assert models.Evidence.objects.get(pk=evidence.pk).description == description
    assert str(models.Employee.objects.get(pk=employee.pk)) == f"{first_name} {last_name}"
