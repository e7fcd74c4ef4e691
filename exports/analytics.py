"""
SQL views for analytics tools, defined here in code and kept out of migrations.

Each view shows the grade system's facts with people by id only: no names,
e-mails, comments, reasons, evidence texts or pay. `sync_views` drops and
re-creates every `analytics_*` view (and drops `analytics_*` views that are no
longer defined), so the definitions here are always the ones in the database.
It runs after every `migrate` (a post_migrate handler) and as
`manage.py sync_views`. On SQLite the views are also dropped before every `migrate`
(a pre_migrate handler): SQLite changes a table by re-creating it, and refuses to
while a view reads the table.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

from django.db import connections, transaction

PREFIX = "analytics_"


@dataclass(frozen=True)
class View:
    name: str
    # The SELECT; `{rank}` is replaced by the quoted rank column for the vendor.
    select: str
    columns: tuple[str, ...]
    tables: tuple[str, ...]


VIEWS = [
    View(
        name="analytics_employee_grades",
        select="""
            SELECT e.id AS employee_id, t.slug AS track, l.code AS level, l.{rank} AS level_rank,
                   e.current_level_since AS level_since, e.team_lead_id AS team_lead_id,
                   CASE WHEN e.left_on IS NULL THEN 1 ELSE 0 END AS is_current,
                   la.slug AS ladder
            FROM grades_employee e
            JOIN grades_track t ON t.id = e.track_id
            LEFT JOIN grades_level l ON l.id = e.current_level_id
            LEFT JOIN grades_ladder la ON la.id = l.ladder_id
        """,
        # A level's key and rank are its ladder's: `ladder` says which.
        columns=("employee_id", "track", "level", "level_rank", "level_since", "team_lead_id", "is_current", "ladder"),
        tables=("grades_employee", "grades_track", "grades_level", "grades_ladder"),
    ),
    View(
        name="analytics_grade_changes",
        select="""
            SELECT g.id AS change_id, g.employee_id AS employee_id, g.kind AS kind, t.slug AS track,
                   l.code AS level, l.{rank} AS level_rank, g.effective_date AS effective_date,
                   la.slug AS ladder
            FROM grades_gradechange g
            JOIN grades_track t ON t.id = g.track_id
            JOIN grades_level l ON l.id = g.level_id
            JOIN grades_ladder la ON la.id = l.ladder_id
        """,
        columns=("change_id", "employee_id", "kind", "track", "level", "level_rank", "effective_date", "ladder"),
        tables=("grades_gradechange", "grades_track", "grades_level", "grades_ladder"),
    ),
    View(
        name="analytics_reviews",
        select="""
            SELECT r.id AS review_id, r.candidate_id AS employee_id, t.slug AS track,
                   fl.code AS from_level, tl.code AS to_level, r.status AS status,
                   DATE(r.requested_at) AS requested_on, DATE(r.scheduled_for) AS scheduled_on,
                   DATE(r.decided_at) AS decided_on,
                   CASE WHEN r.override_reason <> '' THEN 1 ELSE 0 END AS scheduled_with_override
            FROM reviews_promotionreview r
            JOIN grades_track t ON t.id = r.track_id
            JOIN grades_level fl ON fl.id = r.from_level_id
            JOIN grades_level tl ON tl.id = r.to_level_id
        """,
        columns=("review_id", "employee_id", "track", "from_level", "to_level", "status",
                 "requested_on", "scheduled_on", "decided_on", "scheduled_with_override"),
        tables=("reviews_promotionreview", "grades_track", "grades_level"),
    ),
    View(
        name="analytics_votes",
        select="""
            SELECT s.id AS seat_id, s.review_id AS review_id, s.role AS role,
                   s.member_id AS member_user_id,
                   CASE WHEN r.status IN ('passed', 'failed') THEN v.value END AS vote,
                   DATE(v.cast_at) AS cast_on
            FROM reviews_committeeseat s
            JOIN reviews_promotionreview r ON r.id = s.review_id
            LEFT JOIN reviews_vote v ON v.seat_id = s.id
        """,
        columns=("seat_id", "review_id", "role", "member_user_id", "vote", "cast_on"),
        tables=("reviews_committeeseat", "reviews_promotionreview", "reviews_vote"),
    ),
]


def _existing_views(connection) -> set[str]:
    with connection.cursor() as cursor:
        return {
            info.name
            for info in connection.introspection.get_table_list(cursor)
            if info.type == "v" and info.name.startswith(PREFIX)
        }


def missing_tables(using: str = "default") -> set[str]:
    connection = connections[using]
    needed = {table for view in VIEWS for table in view.tables}
    return needed - set(connection.introspection.table_names())


def sync_views(using: str = "default") -> list[str]:
    """Drop and re-create every analytics view; returns the names created.

    On SQLite the whole change is one transaction. MySQL/MariaDB commit DDL
    implicitly, so there each view is replaced in one statement (CREATE OR
    REPLACE VIEW) and readers never see it missing.
    """
    connection = connections[using]
    vendor = connection.vendor
    rank = "`rank`" if vendor == "mysql" else '"rank"'
    missing = missing_tables(using)
    if missing:
        raise RuntimeError(f"Tables missing, run migrate first: {', '.join(sorted(missing))}")
    wanted = {view.name for view in VIEWS}
    # Where DDL cannot be rolled back (MySQL), a transaction would only be committed
    # implicitly by the first CREATE; there each statement stands alone.
    atomic = transaction.atomic(using=using) if connection.features.can_rollback_ddl else nullcontext()
    with atomic:
        stale = _existing_views(connection) - wanted
        with connection.cursor() as cursor:
            for name in sorted(stale):
                cursor.execute(f"DROP VIEW IF EXISTS {connection.ops.quote_name(name)}")
            for view in VIEWS:
                name = connection.ops.quote_name(view.name)
                select = view.select.format(rank=rank)
                if vendor == "sqlite":
                    cursor.execute(f"DROP VIEW IF EXISTS {name}")
                    cursor.execute(f"CREATE VIEW {name} AS {select}")
                else:
                    cursor.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")
    return [view.name for view in VIEWS]


def drop_views_before_migrate(sender, app_config=None, using="default", **kwargs):
    """pre_migrate handler, SQLite only: no view may read a table a migration re-creates.

    A migration that adds a NOT NULL column or changes one re-creates the table on
    SQLite, which fails while a view reads it. The views come back once every app has
    migrated (sync_views_after_migrate); should the migration fail, with the next
    successful one or `manage.py sync_views`.
    """
    if app_config is None or app_config.label != "exports":
        return
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for name in sorted(_existing_views(connection)):
            cursor.execute(f"DROP VIEW IF EXISTS {connection.ops.quote_name(name)}")


def sync_views_after_migrate(sender, app_config=None, using="default", verbosity=1, plan=None, **kwargs):
    """post_migrate handler: keep the views in step once every app has migrated."""
    if app_config is None or app_config.label != "exports":
        return
    if missing_tables(using):
        # A partial migrate (say, to an early migration): the views come with the full one.
        return
    sync_views(using)
    if verbosity >= 2:
        print(f"  Analytics views synced on {using}.")
