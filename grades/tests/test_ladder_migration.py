"""The migrations that make ladders data carry an existing database across without loss.

A database with grade history, evidence, mentorships, reviews and salary bands is taken back
to the state before ladders (0016), its rows are read, and it is migrated forward again: every
row keeps its id and its values, every level lands on the ladder `standard` with its main grade,
and every track climbs that ladder. Run with MigrationExecutor, as Django's own migration tests do.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from grades import services
from grades.models import Ladder, Level, Track, TrackRung
from grades.selectors import employees_with_wrong_counts
from grades.tests.factories import MentorshipFactory, hire
from pay.models import SalaryBand
from reviews.tests.factories import confirm_checklist, decided, organisation

# The flush after a transactional test would leave the next tests without the data the
# migrations create (levels, tracks, groups): it is put back from a serialized copy.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = ("grades", "0016_level_is_main_grade")
# The tables whose rows must come through, and the columns the ladders replace.
TABLES = (
    "grades_level", "grades_track", "grades_tracklevel", "grades_requirement", "grades_book",
    "grades_employee", "grades_gradechange", "grades_evidence", "grades_evidenceevent",
    "grades_mentorship", "reviews_promotionreview", "reviews_committeeseat", "reviews_vote",
    "pay_salaryband",
)  # fmt: skip


def rows(table: str) -> dict[int, dict]:
    """Every row of `table` by its key (the first column), as column -> value. Raw SQL: no
    model of either state is needed to read it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - a fixed table name
        names = [column[0] for column in cursor.description]
        return {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}


def drop_views() -> None:
    """Drop the analytics views: SQLite re-creates a changed table, and refuses to while a view
    reads it (`migrate` drops them itself first, and makes them again after)."""
    with connection.cursor() as cursor:
        for table in connection.introspection.get_table_list(cursor):
            if table.type == "v":
                cursor.execute(f"DROP VIEW {connection.ops.quote_name(table.name)}")


def leaf_nodes(executor: MigrationExecutor, **pinned) -> list[tuple[str, str]]:
    """The latest migration of every app, except the apps pinned to an earlier one."""
    leaves = executor.loader.graph.leaf_nodes()
    return [(app, pinned.get(app, name)) for app, name in leaves]


@pytest.fixture
def seeded():
    """An organisation with history in every table the ladders touch."""
    org = organisation()
    dev = org["dev"]
    confirm_checklist(dev)
    review = decided(org)
    other = hire(level_code="junior", team_lead=org["lead"], hire_date=datetime.date(2023, 1, 10))
    MentorshipFactory(mentor=org["lead"], mentee=other, started_on=datetime.date(2023, 2, 1))
    services.evidence_claim(
        employee=other, requirement=services.claimable_requirements(other).first(),
        description="Wrote the first tests", by=other.user,
    )
    SalaryBand.objects.create(
        level=Level.objects.get(ladder__slug="standard", code="middle"), track=None, currency="EUR",
        minimum=Decimal("3000"), maximum=Decimal("4000"), valid_from=datetime.date(2025, 1, 1),
    )
    assert review.grade_change is not None
    # The confirmed lines above were made by a factory, around the services that count them.
    services.employee_counts_refresh()
    return org


def test_an_existing_database_migrates_to_ladders_without_loss(seeded):
    main_grades = {level.code: level.main_grade.code for level in Level.objects.select_related("main_grade")}
    drop_views()
    executor = MigrationExecutor(connection)
    # Back to before ladders: grades, and the later migrations of other apps built on it.
    executor.migrate([BEFORE])
    before = {table: rows(table) for table in TABLES}
    assert all(before[table] for table in TABLES), "the seed leaves rows in every table"
    flags = {row["code"]: row["is_main_grade"] for row in before["grades_level"].values()}
    assert {code for code, flag in flags.items() if flag} == {"junior", "middle", "senior"}

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(leaf_nodes(executor))
    call_command("sync_views", verbosity=0)

    for table in TABLES:
        after = rows(table)
        assert set(after) == set(before[table]), f"{table}: the same ids"
        for pk, old in before[table].items():
            kept = {name: value for name, value in old.items() if name in after[pk]}
            assert {name: after[pk][name] for name in kept} == kept, f"{table} #{pk}"
    standard = Ladder.objects.get(slug="standard")
    assert set(Level.objects.values_list("ladder_id", flat=True)) == {standard.pk}
    assert set(Track.objects.values_list("ladder_id", flat=True)) == {standard.pk}
    assert {level.code: level.main_grade.code for level in Level.objects.select_related("main_grade")} == main_grades
    for track in Track.objects.all():
        assert list(TrackRung.objects.filter(track=track).order_by("rank").values_list("level__code", "owner_id")) == [
            (code, track.pk) for code in Level.objects.order_by("rank").values_list("code", flat=True)
        ]
    # The people's kept figures still match a recount on the new ladders.
    assert not employees_with_wrong_counts().exists()
