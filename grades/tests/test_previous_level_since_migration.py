"""The migration that gives every ledger entry the start of the level before it fills existing
ledgers as the ledger service now writes new entries.

A database with ledgers (promotions, a move that keeps the level, one that changes it, a
correction) is taken back to the state before the column, and migrated forward again; every
entry then holds what grades.selectors.level_since gives for the entries before it.
"""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from grades import selectors, services
from grades.models import GradeChange, Track
from grades.tests.factories import UserFactory, hire, level
from grades.tests.test_ladder_migration import drop_views

# The flush after a transactional test would leave the next tests without the data the
# migrations create (levels, tracks, groups): it is put back from a serialized copy.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = ("grades", "0028_dashboard_covering_indexes")
D = datetime.date


def migrate_to(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def test_existing_ledgers_are_filled_by_the_level_since_rule():
    hr = UserFactory(username="hr", roles=["HR"], is_staff=True)
    fullstack = Track.objects.get(slug="fullstack")
    one = hire(level_code="junior-plus", hire_date=D(2020, 1, 10))
    services.grade_change_record(employee=one, kind="promotion", level=level("junior-plus-plus"),
                                 effective_date=D(2021, 2, 1), by=hr)
    services.employee_change_track(employee=one, track=fullstack, reason="Storefront team",
                                   effective_date=D(2021, 6, 1), by=hr)
    services.grade_change_record(employee=one, kind="promotion", level=level("middle"),
                                 effective_date=D(2022, 1, 1), by=hr)
    two = hire(level_code="middle", hire_date=D(2019, 5, 1))
    services.employee_change_track(employee=two, track=fullstack, level=level("middle-plus"),
                                   reason="Leads the storefront", effective_date=D(2020, 3, 1), by=hr)
    services.grade_change_record(employee=two, kind="correction", level=level("middle"),
                                 effective_date=D(2020, 9, 1), reason="Set too high", by=hr)
    written = dict(GradeChange.objects.values_list("pk", "previous_level_since"))
    assert sum(1 for day in written.values() if day is not None) == 5

    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    drop_views()
    migrate_to([BEFORE])
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, "grades_gradechange")]
    assert "previous_level_since" not in columns
    migrate_to(leaves)
    call_command("sync_views", verbosity=0)

    assert dict(GradeChange.objects.values_list("pk", "previous_level_since")) == written
    for employee in (one, two):
        ledger = list(employee.grade_changes.chronological())
        assert [e.previous_level_since for e in ledger] == [
            selectors.level_since(ledger[:i]) for i in range(len(ledger))
        ]
