"""
A deterministic demo organisation for trying the product: `manage.py seed_demo`.

Two halves:

* planning — plain Python, no database: who works here, on which track, under
  which team lead, their grade ledger, mentorships and evidence. Every person
  is planned from a random generator seeded with (seed, person), so person 17
  is the same whether 40 or 10,000 people are asked for, and a later run with
  a larger number only adds people;
* writing — `demo_seed()`, one transaction, `bulk_create` in large batches,
  skipping every person whose username already exists.

Dates are computed back from a reference date ("today") and never pass it, so
tests can pin it. The ledger obeys the same rules as the services: promotions go
to the next rank only, each at least the level's minimum months after the later
of the previous change and the probation's end (see `rules.earliest_defense_date`).
"""

from __future__ import annotations

import datetime
import random
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from faker import Faker

from grades import roles, rules, selectors, services
from grades.models import (
    CheckKind,
    Employee,
    Evidence,
    EvidenceEvent,
    GradeChange,
    GradeChangeKind,
    Level,
    Mentorship,
    Requirement,
    Track,
)

User = get_user_model()

DEMO_URL = "http://127.0.0.1:8000/"
DEFAULT_PASSWORD = "gradesys-demo"
MAX_EMPLOYEES = 200_000
TRACKS = ("backend", "fullstack")
# Fixed width, so that the usernames of a small run are a prefix of a large one.
USERNAME_PATTERN = "demo{:06d}"
EMAIL_DOMAIN = "example.com"
BATCH_SIZE = 1000
# People whose evidence is generated and written together; bounds memory at 200,000 people.
EVIDENCE_CHUNK = 500

# (username, groups, is_staff, is_superuser) of the logins that are not employees.
# cto, product and hrdirector sit on the committee only; they are not on a track. Each holds
# their director's role (the designation the schedule form offers first in that seat).
STAFF_LOGINS: tuple[tuple[str, tuple[str, ...], bool, bool], ...] = (
    ("admin", (), True, True),
    ("hr", (roles.HR,), True, False),
    ("manager", (roles.MANAGER,), False, False),
    ("cto", (roles.COMMITTEE, roles.CTO), False, False),
    ("product", (roles.COMMITTEE, roles.PRODUCT_DIRECTOR), False, False),
    ("hrdirector", (roles.COMMITTEE, roles.HR_DIRECTOR), False, False),
)
DEMO_LEAD = "lead"
DEMO_DEV = "dev"
DEMO_LOGINS = ("admin", "hr", DEMO_LEAD, DEMO_DEV, "manager", "cto", "product", "hrdirector")
# Team leads have no team lead above them; the CTO decides their claims.
LEADS_DECIDER = "cto"
# Grade changes are recorded by HR, as they would be in the product.
LEDGER_RECORDER = "hr"


class DemoError(Exception):
    """The demo cannot be created; the message says what to do."""


# --- Inputs from the database, as plain values -------------------------------------------


@dataclass(frozen=True)
class LevelInfo:
    id: int
    rank: int
    code: str
    name: str
    min_months: int


@dataclass(frozen=True)
class RequirementInfo:
    id: int
    rank: int
    key: str


# --- The plan ------------------------------------------------------------------------------


@dataclass(slots=True)
class PlannedEntry:
    kind: str
    rank: int
    date: datetime.date
    reason: str = ""

    # What the ledger rules read of an entry (grades.selectors.level_since). The ladder is
    # the same on every track, so the rank stands for the level.
    @property
    def level_id(self) -> int:
        return self.rank

    @property
    def effective_date(self) -> datetime.date:
        return self.date


@dataclass(slots=True)
class PlannedMentorship:
    mentor: str  # username
    started_on: datetime.date
    ended_on: datetime.date | None


@dataclass(slots=True)
class PlannedEvent:
    action: str
    actor: str  # username
    at: datetime.datetime
    description: str = ""
    links: list = field(default_factory=list)
    comment: str = ""


@dataclass(slots=True)
class PlannedEvidence:
    requirement_id: int
    status: str
    description: str
    links: list
    claimed_by: str
    claimed_at: datetime.datetime
    decided_by: str | None
    decided_at: datetime.datetime | None
    decision_comment: str
    events: list[PlannedEvent]


@dataclass(slots=True)
class PlannedPerson:
    key: str  # what seeds this person's generator: the index, or the login name
    username: str
    first_name: str
    last_name: str
    email: str
    track: str
    is_lead: bool
    team_lead: str | None  # username
    hire_date: datetime.date
    probation_end: datetime.date
    career_start: datetime.date
    ledger: list[PlannedEntry]
    mentorships: list[PlannedMentorship] = field(default_factory=list)  # as the mentee
    # Evidence outcomes forced for the next level, in requirement order (the `dev` login).
    forced_outcomes: tuple[str, ...] = ()

    @property
    def current_rank(self) -> int:
        return self.ledger[-1].rank

    @property
    def current_since(self) -> datetime.date:
        """The day the current level began, as the ledger service counts it."""
        return selectors.level_since(self.ledger)


@dataclass(frozen=True)
class PlannedLogin:
    username: str
    first_name: str
    last_name: str
    email: str
    groups: tuple[str, ...]
    is_staff: bool
    is_superuser: bool


# --- Small helpers ----------------------------------------------------------------------------

_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_DAY = 86_400
_HOUR = 3_600
# Claims and decisions happen in office hours, 06:00-15:00 UTC (09:00-18:00 in Moscow),
# so an instant on the reference date is still that date from UTC-6 to UTC+8.
OFFICE_OPENS = 6 * _HOUR
OFFICE_HOURS = 9 * _HOUR

_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),
    )
)


def last_full_office_day(now: datetime.datetime) -> datetime.date:
    """The latest date whose office hours are over at `now`: the default reference date, so
    that no claim, vote or decision of the demo is dated after the moment it was written."""
    closed = now.astimezone(datetime.timezone.utc) - datetime.timedelta(seconds=OFFICE_OPENS + OFFICE_HOURS)
    return closed.date()


def _seconds(day: datetime.date) -> int:
    return (day.toordinal() - _EPOCH_ORDINAL) * _DAY


def _instant(seconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)


def _ascii(name: str) -> str:
    latin = "".join(_CYRILLIC.get(ch, ch) for ch in name.lower()).replace("-", "")
    return re.sub(r"[^a-z]", "", latin) or "x"


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Names:
    """Faker names, reseeded per person so a name depends only on (seed, person)."""

    def __init__(self) -> None:
        faker = Faker(["ru_RU", "en_US"])
        self._by_locale = {"ru_RU": faker["ru_RU"], "en_US": faker["en_US"]}

    def person(self, rng: random.Random) -> tuple[str, str]:
        locale = "ru_RU" if rng.random() < 0.6 else "en_US"
        generator = self._by_locale[locale]
        generator.seed_instance(rng.getrandbits(48))
        if rng.random() < 0.35:
            return generator.first_name_female(), generator.last_name_female()
        return generator.first_name_male(), generator.last_name_male()


# --- Planning: people and their ledgers ---------------------------------------------------------

# Current level of people who are not team leads, by rank 1..9.
_RANK_WEIGHTS = (10, 15, 15, 20, 15, 12, 8, 4, 1)
# How many promotions a person has had, 0..4 (0: hired directly at their level).
_PROMOTION_WEIGHTS = (15, 35, 25, 15, 10)
# (months of probation, weight): three months for most.
_PROBATION = ((3, 80), (2, 10), (6, 10))
# Years of programming before the hire, by the rank hired at.
_YEARS_BEFORE_HIRE = {1: (0, 1), 2: (0.5, 2), 3: (1, 3), 4: (2, 4), 5: (3, 5), 6: (4, 6),
                      7: (5, 8), 8: (6, 10), 9: (8, 12)}  # fmt: skip
_CORRECTION_REASONS = (
    "The hire was entered as {wrong}; the signed offer says {right}.",
    "Level corrected after the onboarding interview notes were checked: {right}, not {wrong}.",
    "Data-entry mistake at hire ({wrong}); HR confirmed {right} with the team lead.",
)


def _team_layout(seed: int, employees: int) -> list[tuple[int, int, str]]:
    """Teams as (first index, last index, track) over people 1..employees.

    Team 0 reports to the `lead` login (with `dev`); every later team starts with
    its own team lead. The sizes come from their own generator, so the layout of a
    small run is the beginning of the layout of a larger one.
    """
    rng = random.Random(f"{seed}:teams")
    teams = []
    start = 1
    number = 0
    while start <= employees:
        size = rng.randint(5, 9) if number == 0 else rng.randint(7, 11)
        track_roll = rng.random()
        if number == 0:
            track = "backend"
        elif number == 1:
            track = "fullstack"
        else:
            track = "backend" if track_roll < 0.6 else "fullstack"
        teams.append((start, min(start + size - 1, employees), track))
        start += size
        number += 1
    return teams


def _career(
    rng: random.Random,
    *,
    final_rank: int,
    promotions: int,
    probation_months: int,
    slack_days: int,
    today: datetime.date,
    levels: dict[int, LevelInfo],
    extras: Sequence[int] | None = None,
    correction: bool = False,
) -> tuple[datetime.date, datetime.date, list[PlannedEntry]]:
    """Hire date, probation end and ledger ending at `final_rank` no later than `today`.

    The hire date is chosen far enough back for every promotion to wait its
    level's minimum after the later of the previous change and the probation end;
    the `slack_days` beyond that minimum are spread over the waits (or given as `extras`).
    """
    hire_rank = final_rank - promotions
    steps = [levels[rank].min_months for rank in range(hire_rank + 1, final_rank + 1)]
    hire = rules.add_months(today, -(probation_months + sum(steps))) - _days(slack_days)
    probation_end = rules.add_months(hire, probation_months)

    def promotion_dates(added: Sequence[int]) -> list[datetime.date]:
        """Each promotion on the first day the product allows it, plus that step's `added` days."""
        dates = []
        previous = hire
        for months, extra in zip(steps, added):
            previous = rules.earliest_defense_date(
                last_change=previous, probation_end=probation_end, min_months=months
            ) + _days(extra)
            dates.append(previous)
        return dates

    earliest = promotion_dates([0] * len(steps))
    if extras is None:
        budget = (today - (earliest[-1] if earliest else probation_end)).days
        weights = [rng.random() + 0.05 for _ in range(len(steps) + 1)]
        total = sum(weights)
        extras = [int(budget * weight / total) for weight in weights[:-1]]
    dates = promotion_dates(extras)
    if dates and dates[-1] > today:
        # Month-end clamping can stretch a chain by a few days; the minimal chain always fits.
        dates = earliest

    ledger = []
    if correction:
        wrong = hire_rank + 1 if hire_rank < 9 and (hire_rank == 1 or rng.random() < 0.5) else hire_rank - 1
        template = rng.choice(_CORRECTION_REASONS)
        ledger.append(PlannedEntry(GradeChangeKind.HIRE, wrong, hire))
        reason = template.format(wrong=levels[wrong].name, right=levels[hire_rank].name)
        # Inside the probation, so the waits computed from its end still hold.
        ledger.append(
            PlannedEntry(GradeChangeKind.CORRECTION, hire_rank, hire + _days(rng.randint(3, 20)), reason)
        )
    else:
        ledger.append(PlannedEntry(GradeChangeKind.HIRE, hire_rank, hire))
    for offset, day in enumerate(dates, start=1):
        ledger.append(PlannedEntry(GradeChangeKind.PROMOTION, hire_rank + offset, day))
    return hire, probation_end, ledger


def _career_start(
    rng: random.Random, *, hire: datetime.date, hire_rank: int, final_rank: int, today: datetime.date
) -> datetime.date:
    low, high = _YEARS_BEFORE_HIRE[hire_rank]
    start = hire - _days(int(rng.uniform(low, high) * 365) + rng.randint(0, 30))
    if final_rank >= 7:
        # Senior asks for five years of experience: people at Senior have them.
        start = min(start, today - _days(int(5.2 * 365) + rng.randint(0, 900)))
    return start


def _weighted(rng: random.Random, weights: Sequence[int]) -> int:
    """An index into `weights`, drawn in proportion to them."""
    return rng.choices(range(len(weights)), weights=weights)[0]


def _probation_months(rng: random.Random) -> int:
    return _PROBATION[_weighted(rng, [w for _, w in _PROBATION])][0]


def _email(first: str, last: str, number: int) -> str:
    return f"{_ascii(first)}.{_ascii(last)}.{number}@{EMAIL_DOMAIN}"


def _plan_lead(
    key: str, username: str, track: str, *, seed: int, today: datetime.date,
    levels: dict[int, LevelInfo], names: _Names, email: str | None = None,
) -> PlannedPerson:  # fmt: skip
    rng = random.Random(f"{seed}:{key}")
    first, last = names.person(rng)
    final = 7 + _weighted(rng, (50, 35, 15))
    promotions = rng.randint(0, 2)
    hire, probation_end, ledger = _career(
        rng,
        final_rank=final,
        promotions=promotions,
        probation_months=_probation_months(rng),
        slack_days=rng.randint(60, 1500),
        today=today,
        levels=levels,
        correction=rng.random() < 0.03,
    )
    return PlannedPerson(
        key=key,
        username=username,
        first_name=first,
        last_name=last,
        email=email or _email(first, last, int(key)),
        track=track,
        is_lead=True,
        team_lead=None,
        hire_date=hire,
        probation_end=probation_end,
        career_start=_career_start(rng, hire=hire, hire_rank=final - promotions, final_rank=final, today=today),
        ledger=ledger,
    )


def _plan_member(
    index: int, track: str, team_lead: PlannedPerson, teammates: list[PlannedPerson], *,
    seed: int, today: datetime.date, levels: dict[int, LevelInfo], names: _Names,
    rank: int | None = None, mentor: PlannedPerson | None = None, mentorship: str | None = None,
) -> PlannedPerson:  # fmt: skip
    """A person who reports to `team_lead`; `rank`, `mentor` and `mentorship` (kind) pin choices."""
    rng = random.Random(f"{seed}:{index}")
    first, last = names.person(rng)
    final = 1 + _weighted(rng, _RANK_WEIGHTS)
    if rank is not None:
        final = rank
    promotions = 0 if final == 1 else _weighted(rng, _PROMOTION_WEIGHTS[: min(final - 1, 4) + 1])
    slack = rng.randint(0, 240) if final == 1 else rng.randint(0, 900)
    hire, probation_end, ledger = _career(
        rng,
        final_rank=final,
        promotions=promotions,
        probation_months=_probation_months(rng),
        slack_days=slack,
        today=today,
        levels=levels,
        correction=rng.random() < 0.03,
    )
    person = PlannedPerson(
        key=str(index),
        username=USERNAME_PATTERN.format(index),
        first_name=first,
        last_name=last,
        email=_email(first, last, index),
        track=track,
        is_lead=False,
        team_lead=team_lead.username,
        hire_date=hire,
        probation_end=probation_end,
        career_start=_career_start(rng, hire=hire, hire_rank=final - promotions, final_rank=final, today=today),
        ledger=ledger,
    )
    roll = rng.random()
    seniors = [p for p in teammates if p.current_rank >= max(5, final + 2)]
    senior_roll = rng.random()
    # Seniors are not mentored here: their team lead is no more senior than they are.
    if mentorship is None and roll < 0.55 and final <= 6:
        mentorship = "spanning" if roll < 0.25 else ("current" if roll < 0.4 else "ended")
        mentor = rng.choice(seniors) if seniors and senior_roll < 0.3 else team_lead
    if mentorship:
        planned = _plan_mentorship(rng, mentorship, mentee=person, mentor=mentor or team_lead, today=today)
        if planned:
            person.mentorships.append(planned)
    return person


def _plan_mentorship(
    rng: random.Random, kind: str, *, mentee: PlannedPerson, mentor: PlannedPerson, today: datetime.date
) -> PlannedMentorship | None:
    """A mentorship of `kind`: "spanning" (across one of the mentee's promotions), "current" or "ended"."""
    earliest = max(mentee.hire_date, mentor.hire_date)
    if kind == "spanning":
        # (earliest start, latest start, promotion the mentorship must outlast). Preferred: the
        # promotions mentors are credited for — into Middle from Junior+/++, and into Middle++
        # for someone mentored while at Middle; otherwise any promotion.
        ledger = mentee.ledger
        credited, others = [], []
        for i in range(1, len(ledger)):
            if ledger[i].kind != GradeChangeKind.PROMOTION:
                continue
            window = (ledger[i - 1].date, ledger[i].date - _days(14), ledger[i].date)
            (credited if ledger[i].rank == 4 and ledger[i - 1].rank in (2, 3) else others).append(window)
            if ledger[i].rank == 6:
                middle = [j for j in range(i) if ledger[j].rank == 4]
                if middle:
                    j = middle[-1]
                    credited.append((ledger[j].date, ledger[j + 1].date - _days(14), ledger[i].date))
        candidates = credited or others
        if candidates:
            low, high, promoted = rng.choice(candidates)
            low = max(low, earliest)
            if low <= high:
                start = low + _days(rng.randint(0, (high - low).days))
                end = promoted + _days(rng.randint(30, 240))
                return PlannedMentorship(mentor.username, start, None if end >= today else end)
        kind = "current"
    if kind == "current":
        low = max(earliest, today - _days(300))
        high = today - _days(7)
        if low > high:
            return None
        return PlannedMentorship(mentor.username, low + _days(rng.randint(0, (high - low).days)), None)
    high = today - _days(90)
    if earliest > high:
        return None
    start = earliest + _days(rng.randint(0, (high - earliest).days))
    end = min(start + _days(rng.randint(60, 365)), today - _days(1))
    return PlannedMentorship(mentor.username, start, end)


def _plan_named(
    *, seed: int, today: datetime.date, levels: dict[int, LevelInfo], names: _Names
) -> tuple[PlannedPerson, PlannedPerson]:
    """The `lead` and `dev` logins: a backend Senior+ lead and a Middle who reports to them."""
    rng = random.Random(f"{seed}:{DEMO_LEAD}")
    first, last = names.person(rng)
    hire, probation_end, ledger = _career(
        rng, final_rank=8, promotions=2, probation_months=3, slack_days=500,
        today=today, levels=levels, extras=(40, 120),
    )  # fmt: skip
    lead = PlannedPerson(
        key=DEMO_LEAD,
        username=DEMO_LEAD,
        first_name=first,
        last_name=last,
        email=f"{DEMO_LEAD}@{EMAIL_DOMAIN}",
        track="backend",
        is_lead=True,
        team_lead=None,
        hire_date=hire,
        probation_end=probation_end,
        career_start=rules.add_months(hire, -12 * 6),
        ledger=ledger,
    )
    rng = random.Random(f"{seed}:{DEMO_DEV}")
    first, last = names.person(rng)
    # Hired at Junior+ about three years ago, Middle for well over the six months
    # Middle+ asks, so the progress page has something to show.
    hire, probation_end, ledger = _career(
        rng, final_rank=4, promotions=2, probation_months=3, slack_days=690,
        today=today, levels=levels, extras=(25, 40),
    )  # fmt: skip
    dev = PlannedPerson(
        key=DEMO_DEV,
        username=DEMO_DEV,
        first_name=first,
        last_name=last,
        email=f"{DEMO_DEV}@{EMAIL_DOMAIN}",
        track="backend",
        is_lead=False,
        team_lead=lead.username,
        hire_date=hire,
        probation_end=probation_end,
        career_start=rules.add_months(hire, -10),
        ledger=ledger,
        forced_outcomes=("confirmed", "claimed_edited", "rejected_reclaimed", "withdrawn", "claimed"),
    )
    # The lead mentored dev through the Junior++ → Middle promotion (counts for
    # the lead's Senior requirement), and the mentorship ended two months later.
    junior_pp, middle = ledger[-2].date, ledger[-1].date
    dev.mentorships.append(
        PlannedMentorship(lead.username, max(junior_pp + _days(10), lead.hire_date), middle + _days(60))
    )
    return lead, dev


def plan_people(
    *, employees: int, seed: int, today: datetime.date, levels: dict[int, LevelInfo]
) -> list[PlannedPerson]:
    """Everyone in the demo, team leads before the people who report to them.

    `lead` and `dev` come first, then demo people 1..employees.
    """
    names = _Names()
    lead, dev = _plan_named(seed=seed, today=today, levels=levels, names=names)
    people = [lead, dev]
    for number, (first, last, track) in enumerate(_team_layout(seed, employees)):
        if number == 0:
            team_lead, teammates, members = lead, [dev], range(first, last + 1)
        else:
            team_lead = _plan_lead(
                str(first), USERNAME_PATTERN.format(first), track,
                seed=seed, today=today, levels=levels, names=names,
            )  # fmt: skip
            people.append(team_lead)
            teammates, members = [], range(first + 1, last + 1)
        for index in members:
            pinned = {}
            if index == 1:
                # dev mentors a Junior+ of the lead's team, so `dev` sees both sides of mentoring.
                pinned = dict(rank=2, mentor=dev, mentorship="current")
            elif index == 2:
                pinned = dict(rank=3, mentor=lead, mentorship="current")
            person = _plan_member(
                index, track, team_lead, teammates, seed=seed, today=today, levels=levels, names=names, **pinned
            )
            teammates.append(person)
            people.append(person)
    return people


def plan_logins(*, seed: int) -> list[PlannedLogin]:
    """The demo logins that are not employees (admin, HR, manager, committee)."""
    names = _Names()
    logins = []
    for username, groups, is_staff, is_superuser in STAFF_LOGINS:
        if username == "admin":
            first, last = "Demo", "Administrator"
        else:
            first, last = names.person(random.Random(f"{seed}:{username}"))
        logins.append(
            PlannedLogin(username, first, last, f"{username}@{EMAIL_DOMAIN}", groups, is_staff, is_superuser)
        )
    return logins


# --- Planning: evidence ----------------------------------------------------------------------

_PROJECTS = ("billing", "checkout", "search", "catalog", "notifications", "auth-service", "reports",
             "mobile-api", "admin-panel", "warehouse", "crm-sync", "pricing")  # fmt: skip
_VERBS = ("Implemented", "Refactored", "Covered with tests", "Reviewed and merged", "Documented",
          "Optimised", "Migrated", "Designed", "Debugged in production", "Ran a workshop on")  # fmt: skip
_OBJECTS = ("the payment retry worker", "the order export job", "rate limiting for the public API",
            "the search indexer", "the nightly report queries", "the session storage",
            "the Docker images of the service", "the CI pipeline", "the cache invalidation",
            "the password reset flow", "the slow catalogue listing", "the queue consumers",
            "the database migrations of the release", "the logging and alerts")  # fmt: skip
_EDIT_NOTES = (" Added the follow-up merge request.", " Added the design notes.",
               " Linked the incident review.", " Clarified my part of the work.")  # fmt: skip
_CONFIRM_COMMENTS = ("", "", "Confirmed.", "Good example, thanks.", "Seen it in the review.",
                     "Agreed, done well.")  # fmt: skip
_REJECT_COMMENTS = ("Please link the merge request where this was done.",
                    "This shows usage, not understanding; let's go through it at the one-to-one.",
                    "Most of the linked change was written by someone else.",
                    "One example is not yet a habit; come back with two more.")  # fmt: skip
_WITHDRAW_COMMENTS = ("Claimed too early.", "Wrong requirement; I will claim the right one.",
                      "Will come back with a better example.")  # fmt: skip

# Outcomes for the requirements of a person's next level, with weights.
_NEXT_LEVEL_OUTCOMES = ("none", "claimed", "claimed_edited", "confirmed", "rejected",
                        "rejected_reclaimed", "withdrawn", "withdrawn_reclaimed")  # fmt: skip
_NEXT_LEVEL_WEIGHTS = (25, 16, 6, 25, 7, 6, 10, 5)
_MIN_GAP = 30 * 60
_MAX_GAP = 10 * _DAY


def _office_time(moment: int) -> int:
    """`moment` squeezed into its day's office hours; keeps the order of instants."""
    day, second = divmod(moment, _DAY)
    squeezed = day * _DAY + OFFICE_OPENS + second * OFFICE_HOURS // _DAY
    return squeezed - squeezed % 60


def _moments(
    rng: random.Random, first_day: datetime.date, last_day: datetime.date, count: int
) -> list[int] | None:
    """`count` increasing office-hours instants (epoch seconds, whole minutes) from the start of
    `first_day` to the end of `last_day`, or None when they do not fit."""
    low, high = _seconds(first_day), _seconds(last_day) + _DAY - 1
    if high - low < _MIN_GAP * count:
        return None
    at = rng.randint(low, high - _MIN_GAP * (count - 1))
    moments = [at]
    for left in range(count - 1, 0, -1):
        room = high - at - _MIN_GAP * (left - 1)
        at += rng.randint(_MIN_GAP, max(_MIN_GAP, min(room, _MAX_GAP)))
        moments.append(at)
    # A 30-minute gap becomes at least 11 minutes in office time: still strictly increasing.
    return [_office_time(moment) for moment in moments]


def _claim(
    rng: random.Random,
    out: list[PlannedEvidence],
    *,
    requirement_id: int,
    outcome: str,
    claimant: str,
    decider: str,
    low: datetime.date,
    high: datetime.date,
    edited: bool | None = None,
) -> datetime.date | None:
    """Append one claim ending in `outcome` (claimed/confirmed/rejected/withdrawn), made between
    the days `low` and `high`; the day it was closed or last touched."""
    if edited is None:
        edited = rng.random() < 0.2
    count = 1 + edited + (outcome != "claimed")
    moments = _moments(rng, low, high, count)
    if moments is None:
        return None
    project = rng.choice(_PROJECTS)
    description = f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)} ({project})."
    links = [f"https://git.example.com/{project}/-/merge_requests/{rng.randint(100, 9999)}"]
    claimed_at = _instant(moments[0])
    events = [PlannedEvent(EvidenceEvent.Action.CLAIMED, claimant, claimed_at, description, links)]
    if edited:
        description += rng.choice(_EDIT_NOTES)
        links = links + [f"https://git.example.com/{project}/-/merge_requests/{rng.randint(100, 9999)}"]
        events.append(
            PlannedEvent(EvidenceEvent.Action.EDITED, claimant, _instant(moments[1]), description, links)
        )
    decided_by = decided_at = None
    comment = ""
    if outcome == "confirmed":
        decided_by, decided_at, comment = decider, _instant(moments[-1]), rng.choice(_CONFIRM_COMMENTS)
        events.append(PlannedEvent(EvidenceEvent.Action.CONFIRMED, decider, decided_at, comment=comment))
    elif outcome == "rejected":
        decided_by, decided_at, comment = decider, _instant(moments[-1]), rng.choice(_REJECT_COMMENTS)
        events.append(PlannedEvent(EvidenceEvent.Action.REJECTED, decider, decided_at, comment=comment))
    elif outcome == "withdrawn":
        events.append(
            PlannedEvent(
                EvidenceEvent.Action.WITHDRAWN, claimant, _instant(moments[-1]),
                comment=rng.choice(_WITHDRAW_COMMENTS),
            )
        )  # fmt: skip
    out.append(
        PlannedEvidence(
            requirement_id=requirement_id,
            status=outcome,
            description=description,
            links=links,
            claimed_by=claimant,
            claimed_at=claimed_at,
            decided_by=decided_by,
            decided_at=decided_at,
            decision_comment=comment if decided_by else "",
            events=events,
        )
    )
    return events[-1].at.date()


def _claim_outcome(
    rng: random.Random, out: list[PlannedEvidence], outcome: str, *, requirement_id: int,
    claimant: str, decider: str, low: datetime.date, high: datetime.date,
) -> None:  # fmt: skip
    """An outcome from _NEXT_LEVEL_OUTCOMES: one claim, or a closed claim followed by a new one."""
    if outcome == "none":
        return
    common = dict(requirement_id=requirement_id, claimant=claimant, decider=decider)
    if outcome == "claimed_edited":
        _claim(rng, out, outcome="claimed", low=low, high=high, edited=True, **common)
    elif outcome in ("rejected_reclaimed", "withdrawn_reclaimed"):
        first = outcome.split("_")[0]
        # The first attempt takes the earlier part of the window, leaving room for the second.
        closed = _claim(rng, out, outcome=first, low=low, high=low + (high - low) * 2 // 3, **common)
        if closed is not None:
            _claim(rng, out, outcome="claimed", low=closed + _days(1), high=high, **common)
    else:
        _claim(rng, out, outcome=outcome, low=low, high=high, **common)


def plan_evidence(
    person: PlannedPerson,
    *,
    seed: int,
    today: datetime.date,
    requirements: dict[int, list[RequirementInfo]],
) -> list[PlannedEvidence]:
    """The person's claims: for levels they were promoted into, mostly confirmed before the
    promotion; for their next level, a mix of every state. `requirements` are the
    track's team-lead-judged requirements by rank."""
    rng = random.Random(f"{seed}:{person.key}:evidence")
    claimant = person.username
    decider = person.team_lead or LEADS_DECIDER
    out: list[PlannedEvidence] = []
    common = dict(claimant=claimant, decider=decider)
    ledger = person.ledger
    for i in range(1, len(ledger)):
        entry = ledger[i]
        if entry.kind != GradeChangeKind.PROMOTION:
            continue
        # Claimed and confirmed while in the level below, before the promotion.
        low = max(ledger[i - 1].date, entry.date - _days(150))
        high = entry.date - _days(1)
        for requirement in requirements.get(entry.rank, ()):
            if rng.random() >= 0.75:
                continue
            common["requirement_id"] = requirement.id
            if rng.random() < 0.1:
                # A rejected first try, confirmed at the second.
                closed = _claim(rng, out, outcome="rejected", low=low, high=low + (high - low) // 2, **common)
                if closed is not None:
                    _claim(rng, out, outcome="confirmed", low=closed + _days(1), high=high, **common)
            else:
                _claim(rng, out, outcome="confirmed", low=low, high=high, **common)
    next_rank = person.current_rank + 1
    if next_rank in requirements:
        low = person.current_since + _days(1)
        high = today
        for position, requirement in enumerate(requirements[next_rank]):
            if person.forced_outcomes:
                outcome = person.forced_outcomes[position % len(person.forced_outcomes)]
            else:
                outcome = rng.choices(_NEXT_LEVEL_OUTCOMES, weights=_NEXT_LEVEL_WEIGHTS)[0]
            common["requirement_id"] = requirement.id
            _claim_outcome(rng, out, outcome, low=low, high=high, **common)
    return out


# --- Writing ------------------------------------------------------------------------------------


@dataclass
class SeedResult:
    """What one run created, per kind of row, and how many planned people already existed."""

    employees_planned: int
    employees_existing: int
    logins_existing: list[str]
    created: dict[str, int]

    @property
    def created_anything(self) -> bool:
        return any(self.created.values())


def _load_levels() -> dict[int, LevelInfo]:
    levels = {
        level.rank: LevelInfo(level.id, level.rank, level.code, level.name, level.min_months_in_previous)
        # The demo's tracks (backend, fullstack) climb the shipped ladder.
        for level in Level.objects.filter(ladder__slug="standard")
    }
    if sorted(levels) != list(range(1, 10)):
        raise DemoError(
            "The nine-level ladder (Junior … Senior++) is missing or changed; run `manage.py migrate` "
            "on a fresh database before seeding the demo."
        )
    return levels


def _load_tracks() -> dict[str, int]:
    tracks = dict(Track.objects.filter(slug__in=TRACKS).values_list("slug", "id"))
    missing = [slug for slug in TRACKS if slug not in tracks]
    if missing:
        raise DemoError(
            f"Track(s) {', '.join(missing)} not found; run `manage.py migrate` (it loads the shipped "
            "tracks) or `manage.py load_framework grades/frameworks/<track>.yaml`."
        )
    return tracks


def _load_groups() -> dict[str, int]:
    names = roles.ROLES + roles.DESIGNATIONS
    groups = dict(Group.objects.filter(name__in=names).values_list("name", "id"))
    missing = [name for name in names if name not in groups]
    if missing:
        raise DemoError(f"Role group(s) {', '.join(missing)} not found; run `manage.py migrate`.")
    return groups


def _load_requirements(tracks: dict[str, int]) -> dict[str, dict[int, list[RequirementInfo]]]:
    """Active requirements that a team lead confirms (not judged from data), by track and rank."""
    by_track: dict[str, dict[int, list[RequirementInfo]]] = {slug: {} for slug in tracks}
    slug_of = {track_id: slug for slug, track_id in tracks.items()}
    rows = (
        Requirement.objects.active()
        .filter(track_id__in=tracks.values(), check_kind=CheckKind.NONE)
        .order_by("track_level__level__rank", "position", "id")
        .values_list("id", "track_id", "track_level__level__rank", "key")
    )
    for requirement_id, track_id, rank, key in rows:
        by_track[slug_of[track_id]].setdefault(rank, []).append(RequirementInfo(requirement_id, rank, key))
    return by_track


def _ids_by(model, field_name: str, values: Iterable, id_field: str = "id") -> dict:
    """{value of `field_name`: id} for the rows whose `field_name` is in `values`."""
    found: dict = {}
    values = list(values)
    # Well under SQLite's 999 variables per statement.
    for chunk in _chunks(values, 900):
        found.update(model.objects.filter(**{f"{field_name}__in": chunk}).values_list(field_name, id_field))
    return found


def _insert(model, objects: list) -> list:
    return model.objects.bulk_create(objects, batch_size=BATCH_SIZE)


def _returns_ids() -> bool:
    # MariaDB ≥ 10.5 and SQLite ≥ 3.35 hand back the ids of a bulk insert; MySQL does not,
    # and then the rows are found again by their natural keys.
    return connection.features.can_return_rows_from_bulk_insert


def demo_seed(*, employees: int, seed: int, today: datetime.date, password: str) -> SeedResult:
    """Create the demo organisation, or the part of it that is missing.

    People and logins are matched by username; those that exist are left as they
    are, with their rows. All-or-nothing: runs in one transaction.
    """
    if not 1 <= employees <= MAX_EMPLOYEES:
        raise DemoError(
            f"The number of employees must be between 1 and {MAX_EMPLOYEES:,}; got {employees}."
        )
    if not password:
        raise DemoError("The demo password is empty; pass --password or set DEMO_PASSWORD.")
    with transaction.atomic():
        levels = _load_levels()
        tracks = _load_tracks()
        groups = _load_groups()
        requirements = _load_requirements(tracks)
        people = plan_people(employees=employees, seed=seed, today=today, levels=levels)
        logins = plan_logins(seed=seed)

        user_ids = _ids_by(
            User, "username", [p.username for p in people] + [login.username for login in logins]
        )
        employee_ids = _existing_employees(people, user_ids)
        new_people = [p for p in people if p.username not in user_ids]
        new_logins = [login for login in logins if login.username not in user_ids]
        created = {
            "users": 0,
            "group memberships": 0,
            "employees": 0,
            "grade changes": 0,
            "mentorships": 0,
            "evidence": 0,
            "evidence events": 0,
        }
        result = SeedResult(
            employees_planned=len(people),
            employees_existing=len(people) - len(new_people),
            logins_existing=[username for username in DEMO_LOGINS if username in user_ids],
            created=created,
        )
        if not (new_people or new_logins):
            return result

        _create_users(new_people, new_logins, user_ids, groups, password, today, created)
        _create_employees(new_people, user_ids, employee_ids, tracks, levels, created)
        _create_history(new_people, user_ids, employee_ids, tracks, levels, created)
        # Evidence is generated and written a slice of people at a time, so memory does
        # not grow with the size of the organisation.
        for group in _chunks(new_people, EVIDENCE_CHUNK):
            _create_evidence(group, user_ids, employee_ids, requirements, seed, today, created)
        # The bulk writes above go around the services: recount the people list's figures.
        services.employee_counts_refresh()
    return result


def _existing_employees(people: list[PlannedPerson], user_ids: dict[str, int]) -> dict[str, int]:
    """{username: employee id} of the planned people already in the database."""
    by_user = _ids_by(Employee, "user_id", [user_ids[p.username] for p in people if p.username in user_ids])
    employee_ids = {}
    for person in people:
        if person.username in user_ids:
            employee_id = by_user.get(user_ids[person.username])
            if employee_id is None:
                raise DemoError(
                    f"User {person.username!r} exists but is not an employee, so the demo cannot use "
                    "that name; rename or remove that user and run seed_demo again."
                )
            employee_ids[person.username] = employee_id
    return employee_ids


def _create_users(
    new_people: list[PlannedPerson], new_logins: list[PlannedLogin], user_ids: dict[str, int],
    groups: dict[str, int], password: str, today: datetime.date, created: dict[str, int],
) -> None:  # fmt: skip
    """Users with their groups; adds the new ids to `user_ids`."""
    # One hash for everybody: hashing is deliberately slow, about a second per password.
    hashed = make_password(password)
    users = [
        User(
            username=login.username, first_name=login.first_name, last_name=login.last_name,
            email=login.email, password=hashed, is_staff=login.is_staff,
            is_superuser=login.is_superuser,
            date_joined=_instant(_seconds(today - _days(3 * 365)) + OFFICE_OPENS),
        )
        for login in new_logins
    ] + [
        User(
            username=p.username, first_name=p.first_name, last_name=p.last_name, email=p.email,
            password=hashed, date_joined=_instant(_seconds(p.hire_date) + OFFICE_OPENS),
        )
        for p in new_people
    ]  # fmt: skip
    _insert(User, users)
    if _returns_ids():
        user_ids.update((user.username, user.pk) for user in users)
    else:
        user_ids.update(_ids_by(User, "username", [user.username for user in users]))
    created["users"] = len(users)

    Membership = User.groups.through
    memberships = [
        Membership(user_id=user_ids[login.username], group_id=groups[name])
        for login in new_logins
        for name in login.groups
    ]
    for person in new_people:
        user_id = user_ids[person.username]
        memberships.append(Membership(user_id=user_id, group_id=groups[roles.DEVELOPER]))
        if person.is_lead:
            memberships.append(Membership(user_id=user_id, group_id=groups[roles.TEAM_LEAD]))
    _insert(Membership, memberships)
    created["group memberships"] = len(memberships)


def _create_employees(
    new_people: list[PlannedPerson], user_ids: dict[str, int], employee_ids: dict[str, int],
    tracks: dict[str, int], levels: dict[int, LevelInfo], created: dict[str, int],
) -> None:  # fmt: skip
    """Employee rows; adds the new ids to `employee_ids`."""
    # Team leads first, so that their reports can point at them.
    for wave in ([p for p in new_people if p.is_lead], [p for p in new_people if not p.is_lead]):
        rows = [
            Employee(
                user_id=user_ids[p.username],
                track_id=tracks[p.track],
                team_lead_id=employee_ids[p.team_lead] if p.team_lead else None,
                hire_date=p.hire_date,
                probation_end=p.probation_end,
                career_start=p.career_start,
                # The denormalised copy of the ledger's latest entry, as the ledger service keeps it.
                current_level_id=levels[p.current_rank].id,
                current_level_since=p.current_since,
            )
            for p in wave
        ]
        _insert(Employee, rows)
        if _returns_ids():
            employee_ids.update((p.username, row.pk) for p, row in zip(wave, rows))
        else:
            by_user = _ids_by(Employee, "user_id", [row.user_id for row in rows])
            employee_ids.update((p.username, by_user[user_ids[p.username]]) for p in wave)
        created["employees"] += len(rows)


def _create_history(
    new_people: list[PlannedPerson], user_ids: dict[str, int], employee_ids: dict[str, int],
    tracks: dict[str, int], levels: dict[int, LevelInfo], created: dict[str, int],
) -> None:  # fmt: skip
    """Grade ledgers and mentorships (where the new person is the mentee)."""
    recorder = user_ids[LEDGER_RECORDER]
    changes = []
    for p in new_people:
        ledger = [
            GradeChange(
                employee_id=employee_ids[p.username],
                kind=entry.kind,
                track_id=tracks[p.track],
                level_id=levels[entry.rank].id,
                effective_date=entry.date,
                reason=entry.reason,
                recorded_by_id=recorder,
            )
            for entry in p.ledger
        ]
        selectors.mark_previous_starts(ledger)
        changes += ledger
    _insert(GradeChange, changes)
    created["grade changes"] = len(changes)

    mentorships = [
        Mentorship(
            mentor_id=employee_ids[m.mentor],
            mentee_id=employee_ids[p.username],
            started_on=m.started_on,
            ended_on=m.ended_on,
        )
        for p in new_people
        for m in p.mentorships
    ]
    _insert(Mentorship, mentorships)
    created["mentorships"] = len(mentorships)


def _create_evidence(
    people: Sequence[PlannedPerson], user_ids: dict[str, int], employee_ids: dict[str, int],
    requirements: dict[str, dict[int, list[RequirementInfo]]], seed: int, today: datetime.date,
    created: dict[str, int],
) -> None:  # fmt: skip
    """Evidence of `people` and the events of each claim."""
    planned = [
        (p, item)
        for p in people
        for item in plan_evidence(p, seed=seed, today=today, requirements=requirements[p.track])
    ]
    rows = [
        Evidence(
            employee_id=employee_ids[p.username],
            requirement_id=item.requirement_id,
            status=item.status,
            description=item.description,
            links=item.links,
            claimed_by_id=user_ids[item.claimed_by],
            claimed_at=item.claimed_at,
            decided_by_id=user_ids[item.decided_by] if item.decided_by else None,
            decided_at=item.decided_at,
            decision_comment=item.decision_comment,
        )
        for p, item in planned
    ]
    _insert(Evidence, rows)
    evidence_ids = [row.pk for row in rows] if _returns_ids() else _evidence_ids(rows)
    events = [
        EvidenceEvent(
            evidence_id=evidence_id,
            action=event.action,
            actor_id=user_ids[event.actor],
            at=event.at,
            description=event.description,
            links=event.links,
            comment=event.comment,
        )
        for evidence_id, (_, item) in zip(evidence_ids, planned)
        for event in item.events
    ]
    _insert(EvidenceEvent, events)
    created["evidence"] += len(rows)
    created["evidence events"] += len(events)


def _evidence_ids(rows: list[Evidence]) -> list[int]:
    """Ids of freshly inserted evidence, found by (employee, requirement, claimed_at).

    A person's claims of one requirement are made one after another, so the triple is unique.
    """
    employee_ids = {row.employee_id for row in rows}
    found = {}
    for chunk in _chunks(sorted(employee_ids), 500):
        for pk, employee_id, requirement_id, claimed_at in Evidence.objects.filter(
            employee_id__in=chunk
        ).values_list("id", "employee_id", "requirement_id", "claimed_at"):
            found[(employee_id, requirement_id, claimed_at)] = pk
    return [found[(row.employee_id, row.requirement_id, row.claimed_at)] for row in rows]
