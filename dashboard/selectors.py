"""The dashboard's reads: one aggregate statement per figure, whatever the number of people.

Every statement groups in the database (GROUP BY with COUNT) and returns a handful of
rows per track, level, team lead or bucket; none uses window functions, so SQLite and
MariaDB run the same SQL (the day count between two dates aside: DaysBetween). The one figure that needs individual values is the median
time to promotion (no portable SQL median): it reads one number per promotion of the
period, the days it waited.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest

from grades.models import Employee, Evidence, EvidenceStatus, GradeChange, GradeChangeKind, Level, Track
from grades.rules import add_months, latest_start_for
from pay.models import SalaryBand
from reviews.models import PromotionReview, ReviewStatus


# The eligibility pipeline's buckets (by the time rules: months in level, cool-down).
NOW, SOON, LATER, TOP = "now", "soon", "later", "top"
PIPELINE_BUCKETS = (NOW, SOON, LATER)
PIPELINE_HORIZON_MONTHS = 3
# Time in the current level: (key, months from, months to or None).
IN_LEVEL_BUCKETS = (("lt6", 0, 6), ("6to12", 6, 12), ("12to24", 12, 24), ("ge24", 24, None))


@dataclass(frozen=True)
class Filters:
    """What the figures are narrowed to (already validated)."""

    date_from: datetime.date
    date_to: datetime.date
    track_id: int | None = None
    # The team lead whose reports are shown: the filter, or the viewing lead themself.
    lead_id: int | None = None


def _people(f: Filters, prefix: str = "", *, track: str | None = "track_id") -> Q:
    """The people the figures cover: a team lead's reports, a track (`track` names its column)."""
    q = Q()
    if f.lead_id is not None:
        q &= Q(**{f"{prefix}team_lead_id": f.lead_id})
    if f.track_id is not None and track is not None:
        q &= Q(**{track: f.track_id})
    return q


def _active(f: Filters):
    return Employee.objects.filter(_people(f), left_on__isnull=True, current_level__isnull=False).order_by()


# --- Reference rows -------------------------------------------------------------------------------


def tracks() -> list[Track]:
    """Every track (labels and the filter): one statement."""
    return list(Track.objects.only("slug", "name", "name_ru", "is_active", "ladder_id").order_by("name"))


def levels() -> dict[int, Level]:
    """Every level of every ladder with its minimum time (labels, the ladder's minimums): one statement."""
    return {
        level.pk: level
        for level in Level.objects.only("ladder_id", "rank", "code", "name", "name_ru", "min_months_in_previous")
    }


def team_leads() -> list[tuple[int, str, str]]:
    """(employee id, name, login) of everyone who leads someone still employed, by name.

    One statement: the leads' rows with their names, found by a semi-join on the team_lead
    index. How many people each leads comes from headcounts(), which counts them anyway:
    counting them here too was half of this statement's time.
    """
    leading = Employee.objects.filter(left_on__isnull=True, team_lead__isnull=False).values("team_lead_id")
    rows = (
        Employee.objects.filter(pk__in=leading)
        .order_by("user__last_name", "user__first_name", "pk")
        .values_list("pk", "user__first_name", "user__last_name", "user__username")
    )
    return [
        (pk, " ".join(part for part in (first, last) if part) or username, username)
        for pk, first, last, username in rows
    ]


# --- Figures --------------------------------------------------------------------------------------


def headcounts(f: Filters) -> list[tuple[int, int | None, int, int]]:
    """(track id, team lead id, level id, people) of the people employed now.

    SELECT track_id, team_lead_id, current_level_id, COUNT(id) FROM grades_employee
    WHERE left_on IS NULL [AND filters] GROUP BY the three; the employee_track_level
    index covers the grouping.
    """
    return list(
        _active(f).values_list("track_id", "team_lead_id", "current_level_id").annotate(people=Count("id"))
    )


def narrowed(rows: list[tuple[int, int | None, int, int]], f: Filters) -> list[tuple[int, int | None, int, int]]:
    """The rows of an unfiltered headcounts() that `f` covers: what headcounts(f) would read."""
    return [
        row for row in rows
        if (f.track_id is None or row[0] == f.track_id) and (f.lead_id is None or row[1] == f.lead_id)
    ]


def promotions_by_quarter(f: Filters) -> dict[tuple[int, int], int]:
    """{(year, quarter): promotions} of the ledger in the period (gradechange_kind_date_track index).

    Counted per day in SQL and summed per quarter here: at most a row per day of the period,
    and no date function for the database to run on every entry (SQLite's is a call back
    into Python per row).
    """
    rows = (
        GradeChange.objects.filter(
            _people(f, "employee__", track="track_id"),
            kind=GradeChangeKind.PROMOTION,
            effective_date__range=(f.date_from, f.date_to),
        )
        .order_by()
        .values_list("effective_date")
        .annotate(promotions=Count("id"))
    )
    quarters: dict[tuple[int, int], int] = {}
    for day, n in rows:
        key = (day.year, (day.month - 1) // 3 + 1)
        quarters[key] = quarters.get(key, 0) + n
    return quarters


def _start_of(day: datetime.date) -> datetime.datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def review_outcomes(f: Filters) -> list[tuple[int, str, int]]:
    """(target level id, passed or failed, reviews) of the defenses decided in the period."""
    return list(
        PromotionReview.objects.filter(
            _people(f, "candidate__", track="track_id"),
            status__in=(ReviewStatus.PASSED, ReviewStatus.FAILED),
            decided_at__gte=_start_of(f.date_from),
            decided_at__lt=_start_of(f.date_to + datetime.timedelta(days=1)),
        )
        .order_by()
        .values_list("to_level_id", "status")
        .annotate(reviews=Count("id"))
    )


class DaysBetween(Func):
    """Whole days from the first date to the second, in the database (NULL when either is NULL).

    SQLite subtracts Julian day numbers (a built-in, no call back into Python), MariaDB has
    DATEDIFF; Django's own date subtraction returns a duration through a Python function on
    SQLite, once per row.
    """

    arity = 2
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        start, end = (compiler.compile(expression) for expression in self.get_source_expressions())
        return f"CAST(julianday({end[0]}) - julianday({start[0]}) AS INTEGER)", (*end[1], *start[1])

    def as_mysql(self, compiler, connection, **extra_context):
        start, end = (compiler.compile(expression) for expression in self.get_source_expressions())
        return f"DATEDIFF({end[0]}, {start[0]})", (*end[1], *start[1])

    def as_postgresql(self, compiler, connection, **extra_context):
        start, end = (compiler.compile(expression) for expression in self.get_source_expressions())
        return f"({end[0]} - {start[0]})", (*end[1], *start[1])


def promotion_waits(f: Filters) -> list[tuple[int, int | None]]:
    """(level promoted to, days spent in the level before) of each promotion in the period.

    Each ledger entry keeps the day the level before it began (previous_level_since, by
    grades.selectors.level_since's rule), so the days are the difference of two columns of
    the promotion's own row, counted in the database; the rows come from the
    gradechange_kind_date_track index alone, with or without a track.
    """
    return list(
        GradeChange.objects.filter(
            _people(f, "employee__", track="track_id"),
            kind=GradeChangeKind.PROMOTION,
            effective_date__range=(f.date_from, f.date_to),
        )
        .order_by()
        .values_list("level_id", DaysBetween("previous_level_since", "effective_date"))
    )


def _eligible_by(day: datetime.date, min_months: set[int]) -> Q:
    """Whether the time rules allow a defense of the next level by `day`, as a filter.

    Needs the annotations `next_min` (the next level's minimum months) and `clock` (the
    later of the level's start and the probation's end). The latest start that allows it is
    looked up by the minimum (a CASE over the few minimums the ladders use), so the database
    works out the clock once per person and test, not once per minimum.
    """
    latest_start = Case(
        *[When(next_min=months, then=Value(latest_start_for(day, months))) for months in sorted(min_months)],
        output_field=DateField(),
    )
    cooled = Q(last_failed_defense_on__isnull=True) | Q(
        last_failed_defense_on__lte=latest_start_for(day, settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS)
    )
    return Q(clock__lte=latest_start) & cooled


def timing(f: Filters, *, today: datetime.date, min_months: set[int]) -> list[tuple[str, str, int]]:
    """(pipeline bucket, time-in-level bucket, people) of the people employed now.

    One statement: the next level's minimum is joined through the track's rungs; both
    buckets are CASE expressions over dates computed here (grades.rules.latest_start_for, the
    people list's cut-offs too), so the database only compares dates.
    """
    soon = add_months(today, PIPELINE_HORIZON_MONTHS)
    pipeline = Case(
        When(next_min__isnull=True, then=Value(TOP)),
        When(_eligible_by(today, min_months), then=Value(NOW)),
        When(_eligible_by(soon, min_months), then=Value(SOON)),
        default=Value(LATER),
        output_field=CharField(),
    )
    in_level = Case(
        *[
            When(current_level_since__gt=add_months(today, -upper), then=Value(key))
            for key, _lower, upper in IN_LEVEL_BUCKETS
            if upper is not None
        ],
        default=Value(IN_LEVEL_BUCKETS[-1][0]),
        output_field=CharField(),
    )
    return list(
        _active(f)
        .annotate(
            # The rung above the person's level on their track's full ladder: one LEFT JOIN
            # on trackrung_unique_rank (track, rank), none at the top of a ladder.
            next_rung=FilteredRelation("track__rungs", condition=Q(track__rungs__rank=F("current_level__rank") + 1)),
            next_min=F("next_rung__level__min_months_in_previous"),
            clock=Greatest("current_level_since", Coalesce("probation_end", "current_level_since")),
        )
        .annotate(pipeline=pipeline, in_level=in_level)
        .values_list("pipeline", "in_level")
        .annotate(people=Count("id"))
    )


def waiting_claims(f: Filters, *, older_than: datetime.datetime) -> dict[int | None, tuple[int, int]]:
    """{team lead id: (claims, people)} of claims waiting for a decision since before `older_than`."""
    rows = (
        Evidence.objects.filter(
            _people(f, "employee__", track="employee__track_id"),
            employee__left_on__isnull=True,
            status=EvidenceStatus.CLAIMED,
            claimed_at__lt=older_than,
        )
        .order_by()
        .values_list("employee__team_lead_id")
        .annotate(claims=Count("id"), people=Count("employee_id", distinct=True))
    )
    return {lead: (claims, people) for lead, claims, people in rows}


def bands_started_by(day: datetime.date) -> list[SalaryBand]:
    """Every salary band started by `day`; which is in force is pay.rules.bands_in_force's answer."""
    return list(
        SalaryBand.objects.filter(valid_from__lte=day)
        .order_by()
        .only("level_id", "track_id", "currency", "minimum", "maximum", "valid_from")
    )
