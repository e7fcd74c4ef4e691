"""grades/services.py: hiring and the grade ledger. A refused call must leave everything as it was."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError

from grades import models, services
from grades.services import GradeError
from grades.tests import factories
from grades.tests.factories import add_level, level

pytestmark = pytest.mark.django_db

D = datetime.date


def backend():
    return models.Track.objects.get(slug="backend")


def latest_entry(employee):
    return models.GradeChange.objects.filter(employee=employee).chronological().last()


def state(employee):
    """Everything a refused call must leave untouched: the ledger and the denormalised level."""
    employee = models.Employee.objects.get(pk=employee.pk)
    return (
        list(employee.grade_changes.order_by("id").values_list("id", "kind", "level__code", "effective_date")),
        employee.current_level_id,
        employee.current_level_since,
    )


def assert_current_level_is_latest(employee):
    employee.refresh_from_db()
    latest = latest_entry(employee)
    assert (employee.current_level_id, employee.current_level_since) == (
        latest.level_id,
        latest.effective_date,
    )


# --- employee_hire ---------------------------------------------------------------------------


def test_hire_creates_the_employee_and_the_hire_entry():
    user = factories.UserFactory()
    hr = factories.UserFactory(roles=["HR"])
    lead = factories.hire(level_code="senior")

    employee = services.employee_hire(
        user=user,
        track=backend(),
        level=level("junior-plus"),
        hire_date=D(2024, 3, 1),
        career_start=D(2020, 9, 1),
        probation_end=D(2024, 6, 1),
        team_lead=lead,
        by=hr,
    )

    employee = models.Employee.objects.get(pk=employee.pk)
    assert employee.user == user
    assert employee.track == backend()
    assert employee.team_lead == lead
    assert (employee.hire_date, employee.career_start, employee.probation_end) == (
        D(2024, 3, 1),
        D(2020, 9, 1),
        D(2024, 6, 1),
    )
    assert employee.current_level == level("junior-plus")
    assert employee.current_level_since == D(2024, 3, 1)
    entry = employee.grade_changes.get()
    assert (entry.kind, entry.level, entry.track, entry.effective_date, entry.recorded_by) == (
        "hire",
        level("junior-plus"),
        backend(),
        D(2024, 3, 1),
        hr,
    )


def test_hire_returns_the_employee_with_its_current_level_set():
    employee = factories.hire(level_code="middle", hire_date=D(2023, 5, 2))
    assert (employee.current_level, employee.current_level_since) == (level("middle"), D(2023, 5, 2))


def test_hire_defaults_career_start_to_the_hire_date():
    employee = factories.hire(hire_date=D(2023, 5, 2))
    employee.refresh_from_db()
    assert employee.career_start == D(2023, 5, 2)
    assert employee.probation_end is None


def _counts():
    return models.Employee.objects.count(), models.GradeChange.objects.count()


@pytest.mark.parametrize("fresh_copy", [False, True], ids=["same instance", "fresh copy of the user"])
def test_hiring_an_employee_again_is_refused(fresh_copy):
    employee = factories.hire(level_code="junior", hire_date=D(2022, 1, 10))
    user = get_user_model().objects.get(pk=employee.user_id) if fresh_copy else employee.user
    before, counts = state(employee), _counts()

    with pytest.raises(GradeError, match="already an employee"):
        services.employee_hire(
            user=user, track=backend(), level=level("senior"), hire_date=D(2024, 1, 1)
        )

    assert state(employee) == before
    assert _counts() == counts
    employee.refresh_from_db()
    assert employee.hire_date == D(2022, 1, 10)


def test_hiring_through_a_stale_user_instance_is_refused_with_grade_error():
    user = factories.UserFactory()
    assert not hasattr(user, "employee")  # caches "no employee" on this instance
    factories.hire(user=get_user_model().objects.get(pk=user.pk))
    counts = _counts()

    try:
        services.employee_hire(user=user, track=backend(), level=level("junior"), hire_date=D(2024, 1, 1))
    except GradeError:
        pass
    assert _counts() == counts


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({"probation_end": D(2024, 2, 1)}, "probation"),
        ({"career_start": D(2024, 4, 1)}, "career"),
    ],
)
def test_hire_with_dates_out_of_order_is_refused(dates, message):
    user = factories.UserFactory()
    counts = _counts()
    with pytest.raises(GradeError, match=message):
        services.employee_hire(
            user=user, track=backend(), level=level("junior"), hire_date=D(2024, 3, 1), **dates
        )
    assert _counts() == counts
    assert not models.Employee.objects.filter(user=user).exists()


# --- grade_change_record ---------------------------------------------------------------------


def test_promotion_to_the_next_rank():
    employee = factories.hire(level_code="junior", hire_date=D(2022, 1, 10))
    hr = factories.UserFactory(roles=["HR"])

    entry = services.grade_change_record(
        employee=employee,
        kind="promotion",
        level=level("junior-plus"),
        effective_date=D(2022, 7, 11),
        by=hr,
    )

    entry = models.GradeChange.objects.get(pk=entry.pk)
    assert (entry.employee, entry.kind, entry.level, entry.track, entry.effective_date, entry.recorded_by) == (
        employee,
        "promotion",
        level("junior-plus"),
        backend(),
        D(2022, 7, 11),
        hr,
    )
    assert employee.grade_changes.count() == 2
    employee.refresh_from_db()
    assert employee.current_level == level("junior-plus")
    assert employee.current_level_since == D(2022, 7, 11)


def test_promotion_on_the_day_of_the_latest_entry_is_allowed():
    employee = factories.hire(level_code="junior", hire_date=D(2022, 1, 10))
    services.grade_change_record(
        employee=employee, kind="promotion", level=level("junior-plus"), effective_date=D(2022, 1, 10)
    )
    employee.refresh_from_db()
    assert employee.current_level == level("junior-plus")


@pytest.fixture
def entry_only_level_above_senior_plus_plus():
    """A level the shipped ladder does not have: the only way to reach an entry-only level by rank."""
    return add_level(rank=10, code="principal", name="Principal", entry_only=True)


REFUSALS = {
    "skip a rank": (
        dict(level_code="middle"),
        dict(kind="promotion", level="senior", effective_date=D(2023, 1, 1)),
        "next level only",
    ),
    "promotion to the same rank": (
        dict(level_code="middle"),
        dict(kind="promotion", level="middle", effective_date=D(2023, 1, 1)),
        "next level only",
    ),
    "promotion down": (
        dict(level_code="middle"),
        dict(kind="promotion", level="junior-plus-plus", effective_date=D(2023, 1, 1)),
        "next level only",
    ),
    "promotion into an entry-only level": (
        dict(level_code="senior-plus-plus"),
        dict(kind="promotion", level="principal", effective_date=D(2023, 1, 1)),
        "Nobody is promoted into Principal",
    ),
    "correction without a reason": (
        dict(level_code="middle"),
        dict(kind="correction", level="junior", effective_date=D(2023, 1, 1)),
        "correction needs a reason",
    ),
    "correction with a blank reason": (
        dict(level_code="middle"),
        dict(kind="correction", level="junior", effective_date=D(2023, 1, 1), reason="  \n "),
        "correction needs a reason",
    ),
    "date before the latest entry": (
        dict(level_code="middle"),
        dict(kind="promotion", level="middle-plus", effective_date=D(2022, 1, 9)),
        "before the latest entry (2022-01-10)",
    ),
    "correction dated before the latest entry": (
        dict(level_code="middle"),
        dict(kind="correction", level="junior", effective_date=D(2021, 12, 31), reason="typo"),
        "history cannot be rewritten",
    ),
    "entry after the person left": (
        dict(level_code="middle", left_on=D(2023, 1, 1)),
        dict(kind="promotion", level="middle-plus", effective_date=D(2023, 1, 2)),
        "left on 2023-01-01",
    ),
    "kind hire": (
        dict(level_code="middle"),
        dict(kind="hire", level="senior", effective_date=D(2023, 1, 1)),
        "Only a promotion or a correction",
    ),
    "unknown kind": (
        dict(level_code="middle"),
        dict(kind="demotion", level="junior", effective_date=D(2023, 1, 1), reason="why not"),
        "Only a promotion or a correction",
    ),
}


@pytest.mark.parametrize(("person", "change", "message"), REFUSALS.values(), ids=REFUSALS.keys())
@pytest.mark.usefixtures("entry_only_level_above_senior_plus_plus")
def test_refused_grade_changes_write_nothing(person, change, message):
    person = dict(person)
    left_on = person.pop("left_on", None)
    employee = factories.hire(hire_date=D(2022, 1, 10), **person)
    if left_on:
        models.Employee.objects.filter(pk=employee.pk).update(left_on=left_on)
    before = state(employee)
    change = dict(change, level=level(change["level"]))

    with pytest.raises(GradeError) as excinfo:
        services.grade_change_record(employee=employee, **change)

    assert message in str(excinfo.value)
    assert state(employee) == before


def test_entry_on_the_day_the_person_left_is_allowed():
    employee = factories.hire(level_code="middle", hire_date=D(2022, 1, 10))
    models.Employee.objects.filter(pk=employee.pk).update(left_on=D(2023, 1, 1))
    services.grade_change_record(
        employee=employee, kind="promotion", level=level("middle-plus"), effective_date=D(2023, 1, 1)
    )
    assert_current_level_is_latest(employee)
    assert employee.current_level == level("middle-plus")


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("middle", "junior"),  # down three ranks, into the entry-only level
        ("senior", "junior-plus-plus"),
        ("junior", "senior-plus-plus"),  # up eight ranks
        ("middle", "middle-plus"),
        ("middle", "middle"),  # same level, e.g. to restart the time in level
    ],
)
def test_correction_with_a_reason_sets_any_level(start, target):
    employee = factories.hire(level_code=start, hire_date=D(2022, 1, 10))
    hr = factories.UserFactory(roles=["HR"])

    entry = services.grade_change_record(
        employee=employee,
        kind="correction",
        level=level(target),
        effective_date=D(2022, 3, 1),
        reason="  Hired at the wrong level  ",
        by=hr,
    )

    entry.refresh_from_db()
    assert (entry.kind, entry.level, entry.reason, entry.recorded_by) == (
        "correction",
        level(target),
        "Hired at the wrong level",
        hr,
    )
    assert employee.grade_changes.count() == 2
    employee.refresh_from_db()
    assert (employee.current_level, employee.current_level_since) == (level(target), D(2022, 3, 1))


def test_current_level_follows_the_latest_entry_through_a_history():
    employee = factories.hire(level_code="junior", hire_date=D(2021, 1, 10))
    steps = [
        ("promotion", "junior-plus", D(2021, 7, 12), ""),
        # Two entries on one day: the later one (by id) is the level.
        ("promotion", "junior-plus-plus", D(2022, 1, 12), ""),
        ("correction", "middle", D(2022, 1, 12), "Committee placed one rank higher"),
        ("promotion", "middle-plus", D(2022, 7, 12), ""),
        ("correction", "junior-plus", D(2022, 9, 1), "Level recorded in error"),
        ("promotion", "junior-plus-plus", D(2023, 3, 1), ""),
        ("promotion", "middle", D(2023, 3, 1), ""),
    ]
    for kind, code, day, reason in steps:
        services.grade_change_record(
            employee=employee, kind=kind, level=level(code), effective_date=day, reason=reason
        )
        assert_current_level_is_latest(employee)
        assert (employee.current_level, employee.current_level_since) == (level(code), day)

    chronological = list(
        employee.grade_changes.chronological().values_list("level__code", flat=True)
    )
    assert chronological == ["junior"] + [code for _, code, _, _ in steps]
    # The list selector sees the same level.
    listed = models.Employee.objects.with_current_level().get(pk=employee.pk)
    assert listed.current_level.code == "middle"
