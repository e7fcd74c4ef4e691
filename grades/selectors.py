"""
Reads for the browser pages: who may see whom, and a person's progress towards the next level.

Each function runs a fixed number of queries whatever the number of requirements,
claims or people; the tests pin those numbers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, Func, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import rules
from .models import (
    Book,
    Employee,
    Evidence,
    EvidenceEvent,
    EvidenceStatus,
    GradeChange,
    GradeChangeKind,
    Level,
    Mentorship,
    Requirement,
)
from .roles import HR, user_has_role


def today() -> datetime.date:
    return timezone.localdate()


# --- Visibility ---------------------------------------------------------------------------------


def visible_employees(user) -> QuerySet[Employee]:
    """The people whose progress `user` may see: HR everyone, a team lead their reports, anyone themself."""
    qs = Employee.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user_has_role(user, HR):
        return qs
    return qs.filter(Q(user=user) | Q(team_lead__user=user))


def can_view_employee(user, pk: int, *, request=None) -> bool:
    """visible_employees(user).filter(pk=pk).exists() in one plain statement.

    For the page cache's hits, where the ORM's cost of building two queries (the
    roles, then the person) would be most of the request's. Given the request, the
    same statement also reads the page cache's content version for it.
    """
    from django.contrib.auth import get_user_model
    from django.db import connection

    from . import pagecache

    if not user.is_authenticated:
        return False
    qn = connection.ops.quote_name
    membership = get_user_model().groups.through._meta.db_table
    group = get_user_model().groups.field.related_model._meta.db_table
    employee = Employee._meta.db_table
    sql = (
        f"SELECT 1 FROM {qn(employee)} e LEFT JOIN {qn(employee)} l ON l.id = e.team_lead_id "
        f"WHERE e.id = %s AND (e.user_id = %s OR l.user_id = %s OR %s OR EXISTS ("
        f"SELECT 1 FROM {qn(membership)} ug JOIN {qn(group)} g ON g.id = ug.group_id "
        f"WHERE ug.user_id = %s AND g.name = %s))"
    )  # noqa: S608 table names from the models; every value is a parameter
    params = [pk, user.pk, user.pk, bool(user.is_superuser), user.pk, HR]
    if request is not None:
        return pagecache.exists_with_version(request, sql, params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def is_team_lead_of_anyone(user) -> bool:
    return user.is_authenticated and Employee.objects.filter(team_lead__user=user).exists()


# --- Progress -----------------------------------------------------------------------------------


@dataclass
class ChecklistItem:
    requirement: Requirement
    level: Level
    # confirmed / claimed / rejected / missing for people-judged lines; met / unmet for data-judged.
    state: str
    detail: str = ""
    evidence: Evidence | None = None
    history: list[Evidence] = field(default_factory=list)
    new_at_level: bool = False

    @property
    def done(self) -> bool:
        return self.state in ("confirmed", "met")

    @property
    def claimable(self) -> bool:
        return not self.requirement.check_kind and self.state in ("missing", "rejected")


@dataclass
class Progress:
    employee: Employee
    level: Level | None
    since: datetime.date | None
    next_level: Level | None
    items: list[ChecklistItem]
    history: list[GradeChange]
    mentorships: list[Mentorship]
    mentored_by: list[Mentorship]
    books: list[Book]
    earliest_defense: datetime.date | None
    earliest_reasons: list[str]
    time_in_level_start: datetime.date | None
    months_in_level: int
    last_failed_defense: datetime.date | None = None

    @property
    def done_count(self) -> int:
        return sum(1 for item in self.items if item.done)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / self.total) if self.total else 100

    @property
    def waiting_count(self) -> int:
        return sum(1 for item in self.items if item.state == "claimed")

    def items_by_level(self):
        """[(level, [items])] in ladder order, for the checklist grouped by level."""
        groups: dict[int, tuple[Level, list[ChecklistItem]]] = {}
        for item in self.items:
            groups.setdefault(item.level.rank, (item.level, []))[1].append(item)
        return [groups[rank] for rank in sorted(groups)]


def _levels() -> list[Level]:
    return list(Level.objects.order_by("rank"))


def _ledger(changes) -> list[rules.LedgerEntry]:
    return [rules.LedgerEntry(c.level.code, c.effective_date, c.kind) for c in changes]


def level_since(entries) -> datetime.date | None:
    """The day the person's current level began, from their chronological ledger.

    Time in level is time in the LEVEL: a track change that keeps the level does not
    restart it, so the clock runs from the latest entry that is not such a move. Hire,
    promotion and correction entries always start it (a correction may restore the
    same level on purpose, and HR records it as a new start). `entries` are ledger
    rows or anything with `kind`, `level_id` and `effective_date`.
    """
    since = None
    previous_level_id = None
    for entry in entries:
        lateral = entry.kind == GradeChangeKind.TRANSFER and entry.level_id == previous_level_id
        if not lateral:
            since = entry.effective_date
        previous_level_id = entry.level_id
    return since


def last_failed_defense_date(employee: Employee) -> datetime.date | None:
    """The date of the person's latest failed defense, when the reviews app records one."""
    try:
        from reviews.selectors import last_failed_defense_date as from_reviews
    except ImportError:
        return None
    return from_reviews(employee)


def employee_progress(employee: Employee, *, on: datetime.date | None = None) -> Progress:
    """Everything the progress page shows about one person, in a fixed number of queries."""
    on = on or today()
    levels = _levels()
    by_rank = {level.rank: level for level in levels}
    history = list(
        GradeChange.objects.filter(employee=employee)
        .select_related("level", "track", "recorded_by")
        .order_by("effective_date", "id")
    )
    latest = history[-1] if history else None
    level = latest.level if latest else None
    next_level = by_rank.get(level.rank + 1) if level else None
    target_rank = next_level.rank if next_level else (level.rank if level else 0)

    requirements = list(
        Requirement.objects.for_track_up_to(employee.track_id, target_rank)
    )
    evidence = list(
        Evidence.objects.filter(employee=employee, requirement__in=[r.pk for r in requirements])
        .select_related("decided_by", "claimed_by")
        .prefetch_related(
            Prefetch("events", queryset=EvidenceEvent.objects.select_related("actor").order_by("at", "id"))
        )
        .order_by("claimed_at", "id")
    )
    by_requirement: dict[int, list[Evidence]] = {}
    for item in evidence:
        by_requirement.setdefault(item.requirement_id, []).append(item)

    mentorships = list(
        Mentorship.objects.filter(mentor=employee)
        .select_related("mentee__user", "mentee__current_level")
        .prefetch_related(
            Prefetch(
                "mentee__grade_changes",
                queryset=GradeChange.objects.select_related("level").order_by("effective_date", "id"),
            )
        )
    )
    mentored_by = list(
        Mentorship.objects.filter(mentee=employee).select_related("mentor__user")
    )
    periods = [
        rules.MentorshipPeriod(
            mentee_id=m.mentee_id,
            started_on=m.started_on,
            ended_on=m.ended_on,
            mentee_ledger=_ledger(m.mentee.grade_changes.all()),
        )
        for m in mentorships
    ]

    items: list[ChecklistItem] = []
    for requirement in requirements:
        req_level = requirement.track_level.level
        new_at_level = next_level is not None and req_level.rank == next_level.rank
        if requirement.check_kind:
            result = rules.evaluate_check(
                requirement.check_kind,
                requirement.check_params,
                today=on,
                career_start=employee.career_start,
                mentorships=periods,
            )
            items.append(
                ChecklistItem(requirement, req_level, "met" if result.met else "unmet", result.detail,
                              new_at_level=new_at_level)
            )
            continue
        claims = by_requirement.get(requirement.pk, [])
        live = next((c for c in reversed(claims) if c.status != EvidenceStatus.WITHDRAWN), None)
        state = live.status if live else "missing"
        items.append(
            ChecklistItem(requirement, req_level, state, evidence=live, history=claims,
                          new_at_level=new_at_level)
        )

    books = (
        list(
            Book.objects.filter(track_level__track_id=employee.track_id, track_level__level=next_level)
            .order_by("position", "id")
        )
        if next_level
        else []
    )

    failed = last_failed_defense_date(employee)
    earliest = None
    reasons: list[str] = []
    start = None
    months = 0
    since = level_since(history)
    if since is not None:
        start = rules.time_in_level_start(since, employee.probation_end)
        months = rules.whole_months_between(start, on)
    if since is not None and next_level is not None:
        cooldown = settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS
        earliest = rules.earliest_defense_date(
            last_change=since,
            probation_end=employee.probation_end,
            min_months=next_level.min_months_in_previous,
            last_failed_defense=failed,
            cooldown_months=cooldown,
        )
        reasons = rules.earliest_defense_reasons(
            last_change=since,
            probation_end=employee.probation_end,
            min_months=next_level.min_months_in_previous,
            next_level_name=next_level.name,
            last_failed_defense=failed,
            cooldown_months=cooldown,
        )

    return Progress(
        employee=employee,
        level=level,
        since=since,
        next_level=next_level,
        items=items,
        history=history,
        mentorships=mentorships,
        mentored_by=mentored_by,
        books=books,
        earliest_defense=earliest,
        earliest_reasons=reasons,
        time_in_level_start=start,
        months_in_level=months,
        last_failed_defense=failed,
    )


# --- The people list ----------------------------------------------------------------------------


def count_of(queryset: QuerySet):
    """A correlated COUNT(*) subquery as an annotation (0 when nothing matches).

    COUNT is written as a plain function rather than an aggregate so that Django adds no
    GROUP BY to the subquery; that keeps it valid on SQLite, MariaDB and MySQL alike.
    """
    counted = queryset.order_by().annotate(_n=Func(F("pk"), function="COUNT")).values("_n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


PEOPLE_ORDERINGS = {
    "name": ("user__last_name", "user__first_name", "id"),
    "level": ("-current_level__rank", "user__last_name", "id"),
    "since": ("current_level_since", "id"),
    "waiting": ("-waiting_count", "user__last_name", "id"),
    "progress": ("-confirmed_count", "user__last_name", "id"),
}


def _people_counts() -> dict:
    """The list's three per-person counts as correlated subqueries.

    `checklist_size`: people-judged lines of the next level's cumulative checklist;
    `confirmed_count`: confirmed claims on it; `waiting_count`: claims waiting for a decision.
    """
    next_rank = OuterRef("current_level__rank") + 1
    checklist = Requirement.objects.filter(
        track=OuterRef("track"), is_active=True, check_kind="", track_level__level__rank__lte=next_rank
    )
    confirmed = Evidence.objects.filter(
        employee=OuterRef("pk"),
        status=EvidenceStatus.CONFIRMED,
        requirement__is_active=True,
        requirement__check_kind="",
        requirement__track=OuterRef("track"),
        requirement__track_level__level__rank__lte=next_rank,
    )
    waiting = Evidence.objects.filter(employee=OuterRef("pk"), status=EvidenceStatus.CLAIMED)
    return {
        "checklist_size": count_of(checklist),
        "confirmed_count": count_of(confirmed),
        "waiting_count": count_of(waiting),
    }


def people_ids(user, *, track: str = "", level: str = "", order: str = "name") -> QuerySet:
    """Ids of the people `user` may see, filtered and in list order.

    Only the count a sort needs is computed here, for everyone; the page's rows get
    all three counts afterwards (people_page), so a deep page costs what the first does.
    """
    qs = visible_employees(user)
    if track:
        qs = qs.filter(track__slug=track)
    if level:
        qs = qs.filter(current_level__code=level)
    order = order if order in PEOPLE_ORDERINGS else "name"
    counts = _people_counts()
    if order == "waiting":
        qs = qs.annotate(waiting_count=counts["waiting_count"])
    elif order == "progress":
        qs = qs.annotate(confirmed_count=counts["confirmed_count"])
    return qs.order_by(*PEOPLE_ORDERINGS[order]).values_list("pk", flat=True)


def people_page(ids: list[int]) -> list[Employee]:
    """The employees with these ids, in this order, with the list's counts annotated."""
    rows = (
        Employee.objects.filter(pk__in=ids)
        .select_related("user", "track", "current_level", "team_lead__user")
        .annotate(**_people_counts())
    )
    by_pk = {row.pk: row for row in rows}
    return [by_pk[pk] for pk in ids if pk in by_pk]


@dataclass
class PersonRow:
    employee: Employee
    months_in_level: int
    earliest_defense: datetime.date | None
    checklist_size: int
    confirmed_count: int
    waiting_count: int

    @property
    def percent(self) -> int:
        return round(100 * self.confirmed_count / self.checklist_size) if self.checklist_size else 100


def people_rows(employees, *, on: datetime.date) -> list[PersonRow]:
    """Rows of the people list: time in level and earliest defense for one page, in two queries."""
    employees = list(employees)
    by_rank = {level.rank: level for level in _levels()}
    failed = failed_defense_dates([e.pk for e in employees])
    cooldown = settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS
    rows = []
    for employee in employees:
        earliest = None
        months = 0
        if employee.current_level_id and employee.current_level_since:
            start = rules.time_in_level_start(employee.current_level_since, employee.probation_end)
            months = rules.whole_months_between(start, on)
            next_level = by_rank.get(employee.current_level.rank + 1)
            if next_level:
                earliest = rules.earliest_defense_date(
                    last_change=employee.current_level_since,
                    probation_end=employee.probation_end,
                    min_months=next_level.min_months_in_previous,
                    last_failed_defense=failed.get(employee.pk),
                    cooldown_months=cooldown,
                )
        rows.append(
            PersonRow(
                employee=employee,
                months_in_level=months,
                earliest_defense=earliest,
                checklist_size=employee.checklist_size,
                confirmed_count=employee.confirmed_count,
                waiting_count=employee.waiting_count,
            )
        )
    return rows


def failed_defense_dates(employee_ids) -> dict[int, datetime.date]:
    """{employee id: date of their latest failed defense}, when the reviews app records them."""
    try:
        from reviews.selectors import failed_defense_dates as from_reviews
    except ImportError:
        return {}
    return from_reviews(employee_ids)
