"""The short lists read as JSON of one row (common.json_rows) read back exactly what the
ORM reads of the same rows: dates, times (UTC), decimals, booleans, nested JSON, on either vendor."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from grades import selectors as grade_selectors
from grades.models import DeliveryFact, GradeChange, Mentorship
from grades.tests.factories import hire
from reviews.models import ReviewEvent
from reviews.selectors import _ledgers_from_rows, review_delivery_facts, review_events, review_for_page
from reviews import services
from reviews.tests.factories import defense_day_came, members, organisation, scheduled, voted

pytestmark = pytest.mark.django_db


def test_the_review_rows_arrays_read_back_what_the_orm_reads():
    org = organisation()
    dev = org["dev"]
    mentee = hire(level_code="junior", team_lead=org["lead"])
    Mentorship.objects.create(mentor=dev, mentee=mentee, started_on=datetime.date(2023, 2, 1))
    DeliveryFact.objects.create(
        employee=dev, period_start=datetime.date(2024, 1, 1), period_end=datetime.date(2024, 1, 14),
        committed=Decimal("10.50"), done=Decimal("7.25"), unit="sp", recorded_by=org["hr"],
    )
    review = voted(org, values=("approve", "reject", "abstain", "approve"))
    row = review_for_page(None, review.pk)

    fact_fields = ("pk", "employee_id", "period_start", "period_end", "measure", "committed", "done", "value",
                   "unit", "link", "recorded_by_id", "recorded_at")
    read = sorted(review_delivery_facts(row), key=lambda fact: fact.pk)
    stored = list(DeliveryFact.objects.filter(employee=dev).order_by("pk"))
    assert [[getattr(f, name) for name in fact_fields] for f in read] == [
        [getattr(f, name) for name in fact_fields] for f in stored]
    assert read[0].committed == Decimal("10.50") and read[0].recorded_at.tzinfo is not None

    event_fields = ("pk", "action", "at", "note", "data", "actor_id")
    events = review_events(row)
    assert [[getattr(e, name) for name in event_fields] + [e.actor.username] for e in events] == [
        [getattr(e, name) for name in event_fields] + [e.actor.username]
        for e in ReviewEvent.objects.filter(review=review).select_related("actor").order_by("at", "pk")
    ]
    assert any(isinstance(e.data, dict) and e.data.get("vote") for e in events)

    ledgers = _ledgers_from_rows(row)
    for employee in (dev, mentee):
        assert [(c.pk, c.kind, c.effective_date, c.level.code, c.level.rank, c.recorded_at) for c in ledgers[employee.pk]] == [
            (c.pk, c.kind, c.effective_date, c.level.code, c.level.rank, c.recorded_at)
            for c in GradeChange.objects.filter(employee=employee).select_related("level").order_by("effective_date", "pk")
        ]


def test_the_persons_row_arrays_read_back_what_the_orm_reads():
    org = organisation()
    dev, lead = org["dev"], org["lead"]
    mentee = hire(level_code="junior", team_lead=lead)
    Mentorship.objects.create(mentor=dev, mentee=mentee, started_on=datetime.date(2023, 2, 1),
                              ended_on=datetime.date(2024, 3, 31))
    records = grade_selectors.person_records(dev.pk)
    assert records.employee == dev and records.employee.user.username == dev.user.username
    from django.db.models import Q

    assert sorted((m.pk, m.mentor_id, m.mentee_id, m.started_on, m.ended_on) for m in records.mentorships) == sorted(
        Mentorship.objects.filter(Q(mentor=dev) | Q(mentee=dev))
        .values_list("pk", "mentor_id", "mentee_id", "started_on", "ended_on")
    )
    given = next(m for m in records.mentorships if m.mentee_id == mentee.pk)
    assert str(given.mentee) == str(mentee) and given.mentee.current_level_id == mentee.current_level_id
    for employee in (dev, mentee):
        assert [(c.pk, c.kind, c.level_id, c.effective_date, c.reason, c.recorded_at) for c in records.ledgers[employee.pk]] == [
            (c.pk, c.kind, c.level_id, c.effective_date, c.reason, c.recorded_at)
            for c in GradeChange.objects.filter(employee=employee).order_by("effective_date", "pk")
        ]
    assert grade_selectors.person_records(10**9) is None


def test_a_person_with_no_rows_reads_empty_lists():
    org = organisation()
    newcomer = hire(level_code="junior", team_lead=org["lead"])
    records = grade_selectors.person_records(newcomer.pk)
    assert records.mentorships == [] and records.claims == [] and records.goals == []
    assert records.ledgers == {newcomer.pk: list(GradeChange.objects.filter(employee=newcomer))}
    row = grade_selectors._person_rows().get(pk=newcomer.pk)
    # Each list reads as a list whatever the vendor gives for no rows (NULL, or an empty object).
    assert (row.mentorship_rows, row.claim_rows, row.goal_rows, row.mentee_ledger_rows) == ([], [], [], [])


def _disk_tables(cursor) -> int:
    cursor.execute("SHOW SESSION STATUS LIKE 'Created_tmp_disk_tables'")
    return int(cursor.fetchone()[1])


def test_on_mariadb_the_lists_are_built_without_a_disk_table():
    """MariaDB builds a JSON array in a scratch table on disk when an element may be longer
    than 512 characters (see common.json_rows); the page statements build none."""
    if connection.vendor != "mysql":
        pytest.skip("a MariaDB server's behaviour; the suite's MariaDB run covers it")
    org = organisation()
    review = defense_day_came(scheduled(org))
    for user in members(org).values():
        services.review_vote(review=review, by=user, value="approve", comment="x" * 600)
    with connection.cursor() as cursor:
        before = _disk_tables(cursor)
        row = review_for_page(None, review.pk)
        records = grade_selectors.person_records(org["dev"].pk)
        after = _disk_tables(cursor)
    assert after == before
    # The lists were read, long text and all.
    assert [seat["comment"] for seat in row.seat_rows] == ["x" * 600] * 4
    assert len(row.event_rows) == ReviewEvent.objects.filter(review=review).count() > 4
    assert records.ledgers[org["dev"].pk]
