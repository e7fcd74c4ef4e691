"""The analytics views: created after migrate, re-creatable, matching the ORM, free of personal data."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection

from exports.analytics import VIEWS, sync_views
from grades.models import Employee, GradeChange, Level
from grades.services import grade_change_record
from grades.tests.factories import UserFactory, hire

pytestmark = pytest.mark.django_db

# Column names that would carry personal or sensitive data.
PERSONAL = {"first_name", "last_name", "email", "username", "name", "comment", "reason", "description",
            "decision_note", "override_reason", "recommendation", "links", "password", "salary", "note"}


def rows(view: str, order: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(view)} ORDER BY {order}")
        names = [c[0] for c in cursor.description]
        return names, [dict(zip(names, row)) for row in cursor.fetchall()]


def as_date(value):
    return value if isinstance(value, datetime.date) or value is None else datetime.date.fromisoformat(str(value)[:10])


@pytest.fixture
def people():
    lead = hire(level_code="senior", user=UserFactory(first_name="Анна", last_name="Secret-Surname"))
    dev = hire(level_code="middle", team_lead=lead)
    grade_change_record(employee=dev, kind="promotion", level=Level.objects.get(code="middle-plus"),
                        effective_date=datetime.date(2024, 5, 1), by=lead.user)
    grade_change_record(employee=dev, kind="correction", level=Level.objects.get(code="middle"),
                        effective_date=datetime.date(2024, 6, 1), reason="Private reason text", by=lead.user)
    return lead, dev


def test_views_exist_after_migrate_and_hold_no_personal_columns():
    with connection.cursor() as cursor:
        existing = {t.name for t in connection.introspection.get_table_list(cursor) if t.type == "v"}
    for view in VIEWS:
        assert view.name in existing
        names, _ = rows(view.name, "1")
        assert tuple(names) == view.columns
        assert not (set(names) & PERSONAL), view.name


def test_no_personal_value_leaks_into_any_view(people):
    for view in VIEWS:
        _, data = rows(view.name, "1")
        text = repr(data)
        for secret in ("Анна", "Secret-Surname", "Private reason text", "@example.com"):
            assert secret not in text, (view.name, secret)


def test_employee_grades_match_the_orm(people):
    _, data = rows("analytics_employee_grades", "employee_id")
    expected = [
        {
            "employee_id": e.pk,
            "track": e.track.slug,
            "level": e.current_level.code,
            "level_rank": e.current_level.rank,
            "level_since": e.current_level_since,
            "team_lead_id": e.team_lead_id,
            "is_current": 1,
            "ladder": e.current_level.ladder.slug,
        }
        for e in Employee.objects.select_related("track", "current_level__ladder").order_by("pk")
    ]
    for row in data:
        row["level_since"] = as_date(row["level_since"])
    assert data == expected


def test_grade_changes_match_the_orm(people):
    _, data = rows("analytics_grade_changes", "change_id")
    expected = [
        (g.pk, g.employee_id, g.kind, g.track.slug, g.level.code, g.level.rank, g.effective_date, g.level.ladder.slug)
        for g in GradeChange.objects.select_related("track", "level__ladder").order_by("pk")
    ]
    assert [
        (r["change_id"], r["employee_id"], r["kind"], r["track"], r["level"], r["level_rank"],
         as_date(r["effective_date"]), r["ladder"])
        for r in data
    ] == expected


def test_reviews_and_votes_views_match_the_orm(people):
    from reviews.models import CommitteeSeat, PromotionReview, Vote
    from django.utils import timezone

    lead, dev = people
    review = PromotionReview.objects.create(
        candidate=dev, track=dev.track, from_level=dev.current_level,
        to_level=Level.objects.get(code="middle-plus"), requested_by=lead.user,
        requested_at=timezone.now(), recommendation="Private recommendation",
    )
    seat = CommitteeSeat.objects.create(review=review, role="cto", member=lead.user)
    Vote.objects.create(seat=seat, value="approve", comment="Private vote comment", cast_at=timezone.now())
    _, reviews = rows("analytics_reviews", "review_id")
    assert [(r["review_id"], r["employee_id"], r["from_level"], r["to_level"], r["status"]) for r in reviews] == [
        (review.pk, dev.pk, "middle", "middle-plus", "requested")
    ]
    assert as_date(reviews[0]["requested_on"]) == timezone.now().date()
    _, votes = rows("analytics_votes", "seat_id")
    # The ballot is secret until the decision: the view shows that the seat voted, not how.
    assert [(v["seat_id"], v["review_id"], v["role"], v["member_user_id"], v["vote"]) for v in votes] == [
        (seat.pk, review.pk, "cto", lead.user_id, None)
    ]
    assert as_date(votes[0]["cast_on"]) == timezone.now().date()
    assert "Private" not in repr(reviews) + repr(votes)

    PromotionReview.objects.filter(pk=review.pk).update(
        status="passed", scheduled_for=timezone.now(), decided_at=timezone.now(), decided_by=lead.user
    )
    _, votes = rows("analytics_votes", "seat_id")
    assert [v["vote"] for v in votes] == ["approve"]


# MySQL commits DDL implicitly, so these run outside a test transaction.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sync_views_is_idempotent_and_drops_stale_views(people):
    with connection.cursor() as cursor:
        cursor.execute("CREATE VIEW analytics_obsolete AS SELECT 1 AS one")
    call_command("sync_views", verbosity=0)
    call_command("sync_views", verbosity=0)
    with connection.cursor() as cursor:
        views = {t.name for t in connection.introspection.get_table_list(cursor) if t.type == "v"}
    assert "analytics_obsolete" not in views
    assert {v.name for v in VIEWS} <= views
    _, data = rows("analytics_grade_changes", "change_id")
    assert len(data) == GradeChange.objects.count()


def test_views_are_not_in_the_migration_files():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for migration in root.glob("*/migrations/*.py"):
        assert "analytics_" not in migration.read_text(encoding="utf-8"), migration


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sync_views_returns_the_names():
    assert sync_views() == [v.name for v in VIEWS]


@pytest.mark.sqlite_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_sqlite_migrate_drops_the_views_first_and_makes_them_again():
    """SQLite adds a NOT NULL column by re-creating the table, which it refuses while a view reads it."""
    from django.apps import apps

    from exports.analytics import drop_views_before_migrate

    def views_now():
        with connection.cursor() as cursor:
            return {t.name for t in connection.introspection.get_table_list(cursor) if t.type == "v"}

    sync_views()
    drop_views_before_migrate(sender=None, app_config=apps.get_app_config("exports"), using="default")
    assert not {v.name for v in VIEWS} & views_now()
    call_command("migrate", verbosity=0)
    assert {v.name for v in VIEWS} <= views_now()
