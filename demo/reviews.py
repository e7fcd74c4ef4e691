"""
Promotion reviews for the demo organisation: `seed_reviews()`, which `manage.py seed_demo`
runs once the demo people exist.

Each demo person who has no review yet gets, from a generator seeded with (seed, username):

* a passed review for every promotion in their grade ledger, linked to that grade change:
  requested 3-8 weeks and scheduled 1-3 weeks before it, defended and decided on the
  promotion's effective date;
* for about one promotion in seven, a failed defense of the same step before it — after
  the person could first defend it, and at least the cool-down before the passed
  review's request — where the dates leave room for one;
* for the level they hold now: sometimes a failed defense in the past (some are still
  in the cool-down), and, when the rules let them defend today, a requested (~3%),
  scheduled (~3%) or withdrawn (~1%) review. A scheduled defense either lies in the next
  30 days, with no votes, or its day has come in the last week and some members have
  voted (votes are taken only from the defense's day), the decision not recorded yet.

Every review carries the candidate's statement; votes may carry a note per criterion
(reviews.rules.CRITERIA); failed decisions give their reasons per criterion, some passed
ones too.

Everything follows the services' rules: requests on or after the earliest defense date
(`grades.rules.earliest_defense_date`), the four committee seats, the votes deciding by
`reviews.rules.outcome` under the configured rule, an override reason where HR scheduled
over unconfirmed requirements, and the same event trail the services write.

People who already have a review are left alone, so running it again creates nothing.
The demo logins get something to do: `dev` has a scheduled defense (or, when the rules
do not let them defend on the reference date, a failed one), and `lead` and `cto` each
have a scheduled defense waiting for their vote, held by the reference date where the
dates allow it, so that they can vote at once.
"""

from __future__ import annotations

import bisect
import datetime
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from common import audit
from demo import people as demo_people
from grades import rules as grade_rules
from grades import selectors as grade_selectors
from grades.models import (
    Employee,
    Evidence,
    EvidenceStatus,
    GradeChange,
    GradeChangeKind,
    Level,
    Mentorship,
    Requirement,
)
from reviews import rules
from reviews.models import (
    CommitteeSeat, DecisionPolicy, PromotionReview, ReviewEvent, ReviewStatus, SeatRole, Vote, VoteValue,
)

User = get_user_model()

# Shares of the planned people and promotions; the dates decide how many actually fit.
FAILED_BEFORE_PROMOTION = 0.15
FAILED_IN_CURRENT_LEVEL = 0.05
REQUESTED = 0.03
SCHEDULED = 0.03
WITHDRAWN = 0.01
# Reviews written together; bounds the model instances held at 10,000+ people.
WRITE_CHUNK = 2000

HR_LOGIN = demo_people.LEDGER_RECORDER
COMMITTEE_LOGINS = {SeatRole.CTO: "cto", SeatRole.PRODUCT: "product", SeatRole.HR_DIRECTOR: "hrdirector"}
# Last resort for the team-lead seat when no other team lead was employed yet.
FALLBACK_SEAT = "admin"
_DEMO_NAME = re.compile(re.escape(demo_people.USERNAME_PATTERN.split("{")[0]) + r"\d+")

# Instants are minutes on an "office axis": 540 minutes per day from 06:00 UTC (09:00-18:00
# in Moscow), so that any two increasing points are increasing office-hour instants.
_OFFICE_MINUTES = 9 * 60
_OFFICE_OPENS = datetime.time(6)
_DAY = datetime.timedelta(days=1)

_PLACES = ("Meeting room Ada, 3rd floor", "Meeting room Turing, 5th floor",
           "Meeting room Hopper, 2nd floor", "Video call (link in the invitation)")  # fmt: skip
_EXAMPLES = ("led the payment retry rework", "owned the search indexer migration",
             "designed the rate limiting of the public API", "took the on-call for the checkout service",
             "mentored two new joiners through onboarding", "cut the nightly report time from hours to minutes",
             "ran the incident review of the queue outage", "split the catalogue into its own service")  # fmt: skip
_OVERRIDES = (
    "The team lead vouches for the remaining lines; the committee checks them at the defense.",
    "Part of the evidence predates the system and is presented at the defense.",
    "Scheduled before the release freeze; the last lines are confirmed in the one-to-one notes.",
)
_COMMENTS = {
    VoteValue.APPROVE: ("", "", "Clear examples; ready for the level.", "Strong answers on the design questions.",
                        "Agreed with the team lead's recommendation."),
    VoteValue.REJECT: ("Not yet: the examples are mostly someone else's design.",
                       "Needs more ownership of production incidents.",
                       "Could not explain the trade-offs of their own solution."),
    VoteValue.ABSTAIN: ("", "Too little overlap with my area to judge.", "I have not worked with them closely."),
}  # fmt: skip
# The candidate's statement, written with the request; varied by the request's moment.
_STATEMENTS = (
    "I am ready for the next level: the checklist lines are confirmed and the examples are linked.",
    "Over the last months I owned larger pieces of work end to end; the evidence is in my claims.",
    "I took on the next level's scope in the last quarter and would like the committee to judge it.",
    "My team lead and I went through the next level's lines; the remaining ones are shown at the defense.",
    "I mentored a newcomer, led a feature to production and kept my sprint commitments.",
)
# A member's note on a criterion (reviews.rules.CRITERIA), by how they voted.
_VOTE_NOTES = {
    VoteValue.APPROVE: {
        "skills": "The examples cover the level's lines.", "productivity": "Steady sprint completion.",
        "relations": "The team speaks well of working together.", "reading": "Discussed the books with insight.",
    },
    VoteValue.REJECT: {
        "skills": "The design answers were shallow.", "productivity": "Completion fell in the last sprints.",
        "relations": "Friction with the reviewers needs attention.", "reading": "The reading list is behind.",
    },
    VoteValue.ABSTAIN: {"relations": "Not enough contact with the team to judge."},
}
# The decision's reasons per criterion: at least one on a failed defense, sometimes on a passed one.
_FAIL_REASONS = (
    {"skills": "The examples do not yet show the design work of the level."},
    {"skills": "Ownership of production incidents is missing.", "productivity": "Completion is uneven."},
    {"relations": "Colleagues report friction in code review.", "reading": "Read the level's books first."},
    {"productivity": "The last sprints fell short of the commitments."},
)
_PASS_REASONS = (
    {},
    {},
    {"skills": "Every line of the level shown with examples."},
    {"productivity": "Rising sprint completion over the time in level."},
)
_PASS_NOTES = ("", "Congratulations!", "The committee noted the quality of the examples.")
_FAIL_NOTES = (
    "The committee wants to see ownership of a larger piece of work.",
    "The design questions showed gaps; the team lead will plan the next steps.",
    "Good progress, but the examples do not yet show the level's scope.",
)
_WITHDRAW_REASONS = {
    "candidate": ("I would like another quarter to finish the migration project first.",
                  "Withdrawing to prepare better; I will request again."),
    "lead": ("We agreed to wait until the release is out.", "Requested too early; the examples are not ready yet."),
    "hr": ("The candidate is on long leave; to be requested again on return.",),
}  # fmt: skip
# (vote values, weight). Pass patterns put the team lead among the approvals.
_PASS_VOTES = (
    ((VoteValue.APPROVE,) * 4, 55),
    ((VoteValue.APPROVE,) * 3 + (VoteValue.ABSTAIN,), 25),
    ((VoteValue.APPROVE,) * 3 + (VoteValue.REJECT,), 15),
    ((VoteValue.APPROVE,) * 2 + (VoteValue.ABSTAIN,) * 2, 5),
)
_FAIL_VOTES = (
    ((VoteValue.REJECT,) * 2 + (VoteValue.APPROVE, VoteValue.ABSTAIN), 40),
    ((VoteValue.APPROVE,) * 2 + (VoteValue.REJECT,) * 2, 20),
    ((VoteValue.REJECT,) * 3 + (VoteValue.APPROVE,), 20),
    ((VoteValue.APPROVE, VoteValue.REJECT) + (VoteValue.ABSTAIN,) * 2, 10),
    ((VoteValue.REJECT,) * 4, 10),
)
_SEATS = tuple(SeatRole.values)
_OTHER_SEATS = tuple(role for role in _SEATS if role != SeatRole.TEAM_LEAD)


# --- The office axis ----------------------------------------------------------------------------


def _point(day: datetime.date) -> int:
    """The first office minute of `day`."""
    return day.toordinal() * _OFFICE_MINUTES


def _day(point: int) -> datetime.date:
    return datetime.date.fromordinal(point // _OFFICE_MINUTES)


def _instant(point: int) -> datetime.datetime:
    day, minute = divmod(point, _OFFICE_MINUTES)
    start = datetime.datetime.combine(
        datetime.date.fromordinal(day), _OFFICE_OPENS, tzinfo=datetime.timezone.utc
    )
    return start + datetime.timedelta(minutes=minute)


def _pick(rng: random.Random, low: int, high: int) -> int:
    """A point in [low, high), or `low` when the range is empty."""
    return rng.randrange(low, high) if high > low else low


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- What is read from the database -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    id: int
    kind: str
    level_id: int
    rank: int
    track_id: int
    date: datetime.date

    @property
    def effective_date(self) -> datetime.date:
        # The name the ledger rules read (grades.selectors.level_since).
        return self.date


@dataclass(slots=True)
class _Person:
    employee_id: int
    user_id: int
    username: str
    track_id: int
    lead_id: int | None  # employee id of the team lead
    hire_date: datetime.date
    probation_end: datetime.date | None
    career_start: datetime.date | None
    left_on: datetime.date | None
    ledger: list[_Entry] = field(default_factory=list)


@dataclass
class _World:
    """The demo organisation as plain values, read in a fixed number of queries."""

    today: datetime.date
    rule: str
    cooldown: int
    levels: dict[int, Level]  # by rank
    people: dict[int, _Person]  # by employee id
    logins: dict[str, int]  # username: user id
    reviewed: set[int]  # employee ids that have any review
    statuses: set[str]  # review statuses that exist
    waiting: set[str]  # of `lead` and `cto`, who has a scheduled review waiting for their vote
    requirements: dict[int, list[tuple[Level, Requirement]]]  # by track, in rank order
    confirmed: dict[int, dict[int, datetime.datetime]]  # employee: {requirement: confirmed at}
    mentorships: dict[int, list[tuple[int, datetime.date, datetime.date | None]]]  # by mentor
    leads: list[_Person] = field(default_factory=list)  # team leads by hire date
    lead_hired: list[datetime.date] = field(default_factory=list)  # their hire dates, for bisect
    _names: dict[int, str] = field(default_factory=dict)
    _periods: dict = field(default_factory=dict)
    _checklists: dict = field(default_factory=dict)
    _employees: dict = field(default_factory=dict)
    level_ranks: dict[str, int] = field(default_factory=dict)  # level code: rank
    # What a checklist line reads of a claim confirmed by the day in question: its status.
    confirmed_claim: Evidence = field(default_factory=lambda: Evidence(status=EvidenceStatus.CONFIRMED))

    def __post_init__(self) -> None:
        self._names = {user_id: name for name, user_id in self.logins.items()}
        self._names.update((p.user_id, p.username) for p in self.people.values())
        lead_ids = {p.lead_id for p in self.people.values() if p.lead_id}
        self.leads = sorted(
            (p for p in self.people.values() if p.employee_id in lead_ids or p.username == demo_people.DEMO_LEAD),
            key=lambda p: (p.hire_date, p.username),
        )
        self.lead_hired = [p.hire_date for p in self.leads]
        self.level_ranks = {level.code: rank for rank, level in self.levels.items()}

    def user_name(self, user_id: int) -> str:
        return self._names[user_id]

    def lead_of(self, person: _Person) -> _Person | None:
        return self.people.get(person.lead_id) if person.lead_id else None

    def checklist(self, track_id: int, rank: int) -> list[tuple[Level, Requirement]]:
        """The checklist of a defense of `rank`: the track's lines up to that level, with their level."""
        key = (track_id, rank)
        if key not in self._checklists:
            self._checklists[key] = [
                line for line in self.requirements.get(track_id, ()) if line[0].rank <= rank
            ]
        return self._checklists[key]

    def employee(self, person: _Person) -> Employee:
        """The person as the checklist rules read them (their career start)."""
        if person.employee_id not in self._employees:
            self._employees[person.employee_id] = Employee(
                id=person.employee_id, career_start=person.career_start
            )
        return self._employees[person.employee_id]

    def periods(self, person: _Person) -> list[grade_rules.MentorshipPeriod]:
        """The person's mentorships as a mentor, in the shape the data checks take."""
        if person.employee_id not in self._periods:
            code = {level.rank: level.code for level in self.levels.values()}
            self._periods[person.employee_id] = [
                grade_rules.MentorshipPeriod(
                    mentee_id=mentee_id,
                    started_on=started,
                    ended_on=ended,
                    mentee_ledger=[
                        grade_rules.LedgerEntry(code[e.rank], e.date, e.kind)
                        for e in (self.people[mentee_id].ledger if mentee_id in self.people else ())
                    ],
                )
                for mentee_id, started, ended in self.mentorships.get(person.employee_id, ())
            ]
        return self._periods[person.employee_id]


def _demo_people(prefix: str = "") -> Q:
    """Rows of the demo people (lead, dev and demoNNNNNN), through the relation `prefix`."""
    username = f"{prefix}user__username"
    return Q(**{f"{username}__in": (demo_people.DEMO_LEAD, demo_people.DEMO_DEV)}) | Q(
        **{f"{username}__startswith": demo_people.USERNAME_PATTERN.split("{")[0]}
    )


def _load(today: datetime.date) -> _World:
    # The demo's tracks climb the shipped ladder.
    levels = {level.rank: level for level in Level.objects.filter(ladder__slug="standard")}
    if sorted(levels) != list(range(1, 10)):
        raise demo_people.DemoError("The nine-level ladder is missing; run `manage.py migrate` first.")
    wanted = [HR_LOGIN, FALLBACK_SEAT, *COMMITTEE_LOGINS.values()]
    logins = dict(User.objects.filter(username__in=wanted).values_list("username", "id"))
    missing = [name for name in wanted if name not in logins]
    if missing:
        raise demo_people.DemoError(
            f"Demo login(s) {', '.join(missing)} not found; the reviews need them as HR and committee. "
            "Run seed_demo on a database where those names are free."
        )

    people: dict[int, _Person] = {}
    for row in Employee.objects.filter(_demo_people()).values_list(
        "id", "user_id", "user__username", "track_id", "team_lead_id", "hire_date", "probation_end",
        "career_start", "left_on",
    ):  # fmt: skip
        if row[2] in (demo_people.DEMO_LEAD, demo_people.DEMO_DEV) or _DEMO_NAME.fullmatch(row[2]):
            people[row[0]] = _Person(*row)
    rank_of = {level.id: level.rank for level in levels.values()}
    for change_id, employee_id, kind, level_id, track_id, day in (
        GradeChange.objects.filter(_demo_people("employee__"))
        .order_by("employee_id", "effective_date", "id")
        .values_list("id", "employee_id", "kind", "level_id", "track_id", "effective_date")
    ):
        if employee_id in people:
            people[employee_id].ledger.append(
                _Entry(change_id, kind, level_id, rank_of[level_id], track_id, day)
            )

    reviewed: set[int] = set()
    statuses: set[str] = set()
    for candidate_id, status in PromotionReview.objects.values_list("candidate_id", "status").distinct():
        reviewed.add(candidate_id)
        statuses.add(status)
    waiting = set(
        CommitteeSeat.objects.filter(review__status=ReviewStatus.SCHEDULED, vote__isnull=True)
        .filter(
            Q(member__username=COMMITTEE_LOGINS[SeatRole.CTO])
            | Q(
                member__username=demo_people.DEMO_LEAD,
                review__candidate__team_lead__user__username=demo_people.DEMO_LEAD,
            )
        )
        .values_list("member__username", flat=True)
        .distinct()
    )

    requirements: dict[int, list[tuple[Level, Requirement]]] = defaultdict(list)
    for requirement_id, track_id, rank, kind, params in (
        Requirement.objects.active()
        .order_by("track_level__level__rank", "position", "id")
        .values_list("id", "track_id", "track_level__level__rank", "check_kind", "check_params")
    ):
        requirement = Requirement(id=requirement_id, track_id=track_id, check_kind=kind, check_params=params or {})
        requirements[track_id].append((levels[rank], requirement))
    confirmed: dict[int, dict[int, datetime.datetime]] = defaultdict(dict)
    for employee_id, requirement_id, decided_at in Evidence.objects.filter(
        _demo_people("employee__"), status=EvidenceStatus.CONFIRMED
    ).values_list("employee_id", "requirement_id", "decided_at"):
        known = confirmed[employee_id].get(requirement_id)
        if known is None or decided_at < known:
            confirmed[employee_id][requirement_id] = decided_at
    mentorships = defaultdict(list)
    for mentor_id, mentee_id, started, ended in Mentorship.objects.filter(
        _demo_people("mentor__")
    ).values_list("mentor_id", "mentee_id", "started_on", "ended_on"):
        mentorships[mentor_id].append((mentee_id, started, ended))

    return _World(
        today=today,
        rule=DecisionPolicy.current().rule,
        cooldown=settings.GRADES_FAILED_DEFENSE_COOLDOWN_MONTHS,
        levels=levels,
        people=people,
        logins=logins,
        reviewed=reviewed,
        statuses=statuses,
        waiting=waiting,
        requirements=requirements,
        confirmed=confirmed,
        mentorships=mentorships,
    )


# --- The plan ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Vote:
    role: str
    value: str
    comment: str
    at: int  # office point
    notes: dict = field(default_factory=dict)  # criterion: note


def _notes(value: str, at: int) -> dict[str, str]:
    """Notes per criterion for about half the votes, chosen by the vote's moment (no draw from
    the generator, so that the rest of the demo stays as it was)."""
    if at % 2:
        return {}
    texts = _VOTE_NOTES[value]
    keys = sorted(texts)
    key = keys[(at // 2) % len(keys)]
    return {key: texts[key]}


@dataclass(slots=True)
class _Review:
    person: _Person
    status: str
    from_rank: int
    to_rank: int
    track_id: int
    requested_by: int  # user id
    requested: int  # office point
    recommendation: str = ""
    scheduled: int | None = None  # when HR scheduled it (office point)
    defense: int | None = None  # the date of the defense (office point)
    place: str = ""
    members: dict[str, int] = field(default_factory=dict)  # role: user id
    votes: list[_Vote] = field(default_factory=list)
    decided: int | None = None
    decision_note: str = ""
    reasons: dict = field(default_factory=dict)  # criterion: the decision's reason
    grade_change_id: int | None = None
    since: datetime.date | None = None  # the day the level defended from began
    earliest: datetime.date | None = None  # the first day the person could defend this step
    withdrawn: int | None = None
    withdrawn_by: int | None = None
    withdrawn_reason: str = ""


@dataclass(slots=True)
class _Plan:
    """One person's reviews, and what their current level's review will be."""

    person: _Person
    reviews: list[_Review]
    eligible_from: datetime.date | None  # None: no next level to defend
    since: datetime.date | None = None  # the day the current level began
    # The first day of a defense of the next level by time in level alone.
    earliest_by_time: datetime.date | None = None
    failed_in_level: bool = False  # failed the defense of the next level already
    open_kind: str | None = None  # requested / scheduled / withdrawn
    keep_unvoted: set[str] = field(default_factory=set)  # seats that must not have voted yet

    @property
    def has_failed(self) -> bool:
        return any(r.status == ReviewStatus.FAILED for r in self.reviews)


def _earliest(world: _World, person: _Person, *, since: datetime.date, target_rank: int,
              failed: datetime.date | None = None) -> datetime.date:  # fmt: skip
    return grade_rules.earliest_defense_date(
        last_change=since,
        probation_end=person.probation_end,
        min_months=world.levels[target_rank].min_months_in_previous,
        last_failed_defense=failed,
        cooldown_months=world.cooldown,
    )


def _lead_seat(world: _World, rng: random.Random, person: _Person, day: datetime.date) -> int:
    """The user for the team-lead seat: the person's lead if employed by `day`, else another lead."""
    lead = world.lead_of(person)
    if lead is not None and lead.hire_date <= day:
        return lead.user_id
    hired = bisect.bisect_right(world.lead_hired, day)  # world.leads[:hired] were employed by `day`
    index = rng.randrange(hired) if hired else None
    if index is not None and world.leads[index].employee_id == person.employee_id:
        index = (index + 1) % hired if hired > 1 else None
    return world.leads[index].user_id if index is not None else world.logins[FALLBACK_SEAT]


def _requester(world: _World, rng: random.Random, person: _Person, day: datetime.date) -> tuple[int, str]:
    """(user id, recommendation) of who asked: the person, or their team lead with a recommendation."""
    lead = world.lead_of(person)
    if lead is not None and lead.hire_date <= day and rng.random() < 0.5:
        return lead.user_id, f"{rng.choice(_EXAMPLES).capitalize()}; {rng.choice(_EXAMPLES)}."
    return person.user_id, ""


def _committee(world: _World, rng: random.Random, person: _Person, day: datetime.date) -> dict[str, int]:
    members = {role: world.logins[name] for role, name in COMMITTEE_LOGINS.items()}
    members[SeatRole.TEAM_LEAD] = _lead_seat(world, rng, person, day)
    return members


def _ballot(rng: random.Random, *, passed: bool, rule: str) -> dict[str, str]:
    """{seat role: vote} that `rules.outcome` decides as `passed` under `rule`."""
    patterns = [(votes, weight) for votes, weight in (_PASS_VOTES if passed else _FAIL_VOTES)
                if rules.outcome(votes, rule) is passed]  # fmt: skip
    votes = list(rng.choices([v for v, _ in patterns], weights=[w for _, w in patterns])[0])
    if passed:
        # Every pass pattern starts with an approval: the team lead's, who recommended the person.
        lead_vote, *others = votes
        rng.shuffle(others)
        return {**dict(zip(_OTHER_SEATS, others)), SeatRole.TEAM_LEAD: lead_vote}
    rng.shuffle(votes)
    return dict(zip(_SEATS, votes))


def _decided_review(
    world: _World, rng: random.Random, person: _Person, *, from_rank: int, to_rank: int, track_id: int,
    day: datetime.date, since: datetime.date, earliest: datetime.date, passed: bool,
    grade_change_id: int | None = None,
) -> _Review:  # fmt: skip
    """A review defended and decided on `day`, requested no earlier than `earliest`; `since` is
    the day the level defended from began."""
    defense = _point(day) + 60 + 30 * rng.randint(0, 10)  # 07:00-12:00 UTC
    low = _point(min(max(earliest, day - 56 * _DAY), day))
    high = min(_point(day - 20 * _DAY), defense - 1)
    requested = _pick(rng, low, high if high > low else defense - 1)
    asked = _day(requested)
    scheduled = _pick(
        rng,
        max(requested + 1, _point(max(asked, day - 21 * _DAY))),
        min(_point(max(asked, day - 7 * _DAY) + _DAY), defense),
    )
    requested_by, recommendation = _requester(world, rng, person, asked)
    members = _committee(world, rng, person, asked)
    ballot = _ballot(rng, passed=passed, rule=world.rule)
    at = defense + rng.randint(45, 90)
    votes = []
    for role in rng.sample(_SEATS, len(_SEATS)):
        value = ballot[role]
        votes.append(_Vote(role, value, rng.choice(_COMMENTS[value]), at, _notes(value, at)))
        at += rng.randint(2, 8)
    decided = at + rng.randint(5, 30)
    # The votes decide, by the service's rule; the ballot was drawn to come out as `passed`.
    passed = rules.outcome([vote.value for vote in votes], world.rule)
    name = world.levels[to_rank].name
    if passed:
        note = f"Promoted to {name}. {rng.choice(_PASS_NOTES)}".strip()
    else:
        again = _earliest(world, person, since=since, target_rank=to_rank, failed=day)
        note = f"{rng.choice(_FAIL_NOTES)} Next defense of {name} from {again:%Y-%m-%d}."
    return _Review(
        person=person, status=ReviewStatus.PASSED if passed else ReviewStatus.FAILED,
        from_rank=from_rank, to_rank=to_rank, track_id=track_id,
        requested_by=requested_by, requested=requested, recommendation=recommendation,
        scheduled=scheduled, defense=defense, place=rng.choice(_PLACES), members=members,
        votes=votes, decided=decided, decision_note=note, grade_change_id=grade_change_id,
        reasons=dict((_PASS_REASONS if passed else _FAIL_REASONS)[decided % 4]),
        since=since, earliest=earliest,
    )  # fmt: skip


def _failed_before(world: _World, rng: random.Random, person: _Person, passed: _Review, *,
                   earliest: datetime.date) -> _Review | None:  # fmt: skip
    """A failed defense of `passed`'s step, if one fits between `earliest` and the cool-down."""
    asked = _day(passed.requested)
    first = earliest + 14 * _DAY
    latest = grade_rules.add_months(asked, -world.cooldown)
    # Month ends make the cool-down's inverse approximate: the rule itself has the last word
    # on whether a defense failed on `latest` still lets the passed one be requested.
    while latest >= first and _earliest(
        world, person, since=passed.since, target_rank=passed.to_rank, failed=latest
    ) > asked:
        latest -= _DAY
    if first > latest:
        return None
    day = first + rng.randint(0, (latest - first).days) * _DAY
    return _decided_review(
        world, rng, person, from_rank=passed.from_rank, to_rank=passed.to_rank, track_id=passed.track_id,
        day=day, since=passed.since, earliest=earliest, passed=False,
    )  # fmt: skip


def _plan_person(world: _World, person: _Person, seed: int) -> _Plan:
    """The past reviews of a person and whether they may defend their next level today."""
    rng = random.Random(f"{seed}:{person.username}:reviews")
    reviews: list[_Review] = []
    ledger = person.ledger
    for index in range(1, len(ledger)):
        previous, change = ledger[index - 1], ledger[index]
        if change.kind != GradeChangeKind.PROMOTION:
            continue
        # Time in level as the ledger service counts it (a lateral track move does not restart it).
        since = grade_selectors.level_since(ledger[:index])
        earliest = _earliest(world, person, since=since, target_rank=change.rank)
        passed = _decided_review(
            world, rng, person, from_rank=previous.rank, to_rank=change.rank, track_id=change.track_id,
            day=change.date, since=since, earliest=earliest, passed=True, grade_change_id=change.id,
        )  # fmt: skip
        if rng.random() < FAILED_BEFORE_PROMOTION:
            failed = _failed_before(world, rng, person, passed, earliest=earliest)
            if failed is not None:
                reviews.append(failed)
        reviews.append(passed)

    if not ledger or ledger[-1].rank + 1 not in world.levels or person.left_on is not None:
        return _Plan(person, reviews, None)
    current = ledger[-1]
    since = grade_selectors.level_since(ledger)
    earliest = _earliest(world, person, since=since, target_rank=current.rank + 1)
    plan = _Plan(person, reviews, earliest, since=since, earliest_by_time=earliest)
    # `dev` keeps a clean slate here, so that what dev shows is chosen on purpose in _ensure.
    if rng.random() < FAILED_IN_CURRENT_LEVEL and person.username != demo_people.DEMO_DEV:
        _fail_in_level(world, rng, plan, first=earliest + 14 * _DAY)
    roll = rng.random()
    if person.username != demo_people.DEMO_DEV and _may_open(world, plan):
        if roll < REQUESTED:
            plan.open_kind = ReviewStatus.REQUESTED
        elif roll < REQUESTED + SCHEDULED:
            plan.open_kind = ReviewStatus.SCHEDULED
        elif roll < REQUESTED + SCHEDULED + WITHDRAWN and _may_withdraw(world, plan):
            plan.open_kind = ReviewStatus.WITHDRAWN
    return plan


def _fail_in_level(world: _World, rng: random.Random, plan: _Plan, *, first: datetime.date) -> bool:
    """A failed defense of the person's next level, decided from `first` to yesterday, if that fits."""
    person = plan.person
    if plan.earliest_by_time is None:
        return False
    first, last = max(first, plan.earliest_by_time + 14 * _DAY), world.today - _DAY
    if first > last:
        return False
    day = first + rng.randint(0, (last - first).days) * _DAY
    current = person.ledger[-1]
    plan.reviews.append(
        _decided_review(
            world, rng, person, from_rank=current.rank, to_rank=current.rank + 1, track_id=person.track_id,
            day=day, since=plan.since, earliest=plan.earliest_by_time, passed=False,
        )  # fmt: skip
    )
    plan.failed_in_level = True
    plan.eligible_from = _earliest(
        world, person, since=plan.since, target_rank=current.rank + 1, failed=day
    )
    return True


def _may_request(world: _World, plan: _Plan, on: datetime.date) -> bool:
    """Whether the request service would accept a defense of the person's next level on `on`."""
    if plan.eligible_from is None:
        return False
    current = plan.person.ledger[-1].rank
    refusal = rules.request_refusal(
        current_rank=current,
        target_rank=current + 1,
        top_rank=max(world.levels),
        target_entry_only=world.levels[current + 1].entry_only,
        earliest=plan.eligible_from,
        today=on,
        probation_end=plan.person.probation_end,
        has_open_review=False,  # only people without any review are planned
    )
    return refusal is None


def _may_withdraw(world: _World, plan: _Plan) -> bool:
    # Requested, and perhaps scheduled, at least three days ago, so there is room to withdraw.
    return _may_request(world, plan, world.today - 3 * _DAY)


def _may_open(world: _World, plan: _Plan) -> bool:
    return _may_request(world, plan, world.today)


def _ensure(world: _World, plans: list[_Plan], seed: int) -> None:
    """Make sure the demo logins have something to look at and every status exists."""
    order = sorted(plans, key=lambda p: p.person.username)
    random.Random(f"{seed}:reviews:ensure").shuffle(order)
    by_name = {p.person.username: p for p in plans}
    waiting = {SeatRole.TEAM_LEAD: "lead" in world.waiting, SeatRole.CTO: "cto" in world.waiting}

    dev = by_name.get(demo_people.DEMO_DEV)
    if dev is not None:
        if _may_open(world, dev):
            dev.open_kind = ReviewStatus.SCHEDULED
            dev.keep_unvoted |= {SeatRole.TEAM_LEAD, SeatRole.CTO}
        elif not dev.has_failed:
            _force_failed(world, dev, seed)

    lead = next((p.employee_id for p in world.people.values() if p.username == demo_people.DEMO_LEAD), None)
    reports = [p for p in order if lead is not None and p.person.lead_id == lead]
    if not waiting[SeatRole.TEAM_LEAD] and not any(
        p.open_kind == ReviewStatus.SCHEDULED and SeatRole.TEAM_LEAD in p.keep_unvoted for p in reports
    ):
        chosen = next(
            (p for p in reports if _may_open(world, p) and p.open_kind != ReviewStatus.SCHEDULED), None
        )
        if chosen is not None:
            chosen.open_kind = ReviewStatus.SCHEDULED
            chosen.keep_unvoted |= {SeatRole.TEAM_LEAD, SeatRole.CTO}
    if not waiting[SeatRole.CTO] and not any(SeatRole.CTO in p.keep_unvoted for p in plans):
        chosen = next((p for p in order if p.open_kind == ReviewStatus.SCHEDULED), None) or next(
            (p for p in order if _may_open(world, p) and p.open_kind is None), None
        )
        if chosen is not None:
            chosen.open_kind = ReviewStatus.SCHEDULED
            chosen.keep_unvoted.add(SeatRole.CTO)

    planned = {p.open_kind for p in plans} | {r.status for p in plans for r in p.reviews}
    for status, allowed in (
        (ReviewStatus.REQUESTED, _may_open),
        (ReviewStatus.SCHEDULED, _may_open),
        (ReviewStatus.WITHDRAWN, _may_withdraw),
    ):
        if status in world.statuses or status in planned:
            continue
        chosen = next((p for p in order if p.open_kind is None and allowed(world, p)), None)
        if chosen is not None:
            chosen.open_kind = status
    if ReviewStatus.FAILED not in world.statuses:
        if not any(p.failed_in_level for p in plans):
            # Somebody still in the cool-down, so that a progress page shows it.
            for plan in order:
                if plan.open_kind is not None or plan.person.username == demo_people.DEMO_DEV:
                    continue
                rng = random.Random(f"{seed}:{plan.person.username}:reviews:cooldown")
                if _fail_in_level(world, rng, plan, first=world.today - 80 * _DAY):
                    break
        if not any(_retried(p) for p in plans):
            # And somebody promoted at the second attempt.
            for plan in order:
                if _force_failed(world, plan, seed):
                    break


def _retried(plan: _Plan) -> bool:
    """Whether the person passed a defense after failing the same step."""
    return any(
        a.status == ReviewStatus.FAILED and b.status == ReviewStatus.PASSED and a.to_rank == b.to_rank
        for a, b in zip(plan.reviews, plan.reviews[1:])
    )


def _force_failed(world: _World, plan: _Plan, seed: int) -> bool:
    """Add a failed defense before one of the person's promotions, where the dates allow it."""
    rng = random.Random(f"{seed}:{plan.person.username}:reviews:failed")
    for index, passed in enumerate(plan.reviews):
        if passed.status != ReviewStatus.PASSED:
            continue
        if index and plan.reviews[index - 1].status == ReviewStatus.FAILED:
            continue
        earliest = passed.earliest
        failed = _failed_before(world, rng, plan.person, passed, earliest=earliest)
        if failed is not None:
            plan.reviews.insert(index, failed)
            return True
    return False


def _open_review(world: _World, plan: _Plan, seed: int) -> _Review:
    """The requested, scheduled or withdrawn review of the person's next level."""
    person = plan.person
    rng = random.Random(f"{seed}:{person.username}:reviews:open")
    today = world.today
    current = person.ledger[-1]
    end_of_today = _point(today + _DAY)
    kind = plan.open_kind
    if kind == ReviewStatus.WITHDRAWN:
        requested = _pick(rng, _point(plan.eligible_from), _point(today - 2 * _DAY))
    else:
        requested = _pick(rng, _point(max(plan.eligible_from, today - 50 * _DAY)), end_of_today - 2)
    asked = _day(requested)
    requested_by, recommendation = _requester(world, rng, person, asked)
    review = _Review(
        person=person, status=kind, from_rank=current.rank, to_rank=current.rank + 1, track_id=person.track_id,
        requested_by=requested_by, requested=requested, recommendation=recommendation,
    )  # fmt: skip
    if kind == ReviewStatus.REQUESTED:
        return review
    if kind == ReviewStatus.WITHDRAWN:
        limit = _point(today)  # withdrawn by the end of yesterday
        if rng.random() < 0.5:
            review.scheduled = _pick(rng, requested + 1, min(requested + 10 * _OFFICE_MINUTES, limit - 1))
            review.members = _committee(world, rng, person, asked)
            review.place = rng.choice(_PLACES)
        start = review.scheduled or requested
        review.withdrawn = _pick(rng, start + 1, min(start + 20 * _OFFICE_MINUTES, limit))
        if review.scheduled is not None:
            planned_day = _day(review.withdrawn) + rng.randint(1, 21) * _DAY
            review.defense = _point(planned_day) + 60 + 30 * rng.randint(0, 10)
        lead = world.lead_of(person)
        by = {"candidate": person.user_id, "hr": world.logins[HR_LOGIN]}
        if lead is not None and lead.hire_date <= asked:
            by["lead"] = lead.user_id
        who = rng.choice(sorted(by))
        review.withdrawn_by = by[who]
        review.withdrawn_reason = rng.choice(_WITHDRAW_REASONS[who])
        return review
    # Scheduled: HR set a date. Where members have voted, or a demo login waits to vote, the
    # defense's day has come (in the last week, the decision not recorded yet): votes are
    # taken only from that day. The others lie in the next 30 days, with no votes.
    low = max(requested + 1, _point(asked + 3 * _DAY))
    high = _point(min(asked + 21 * _DAY, today) + _DAY)
    if plan.keep_unvoted and _point(today) > low:
        high = min(high, _point(today))  # scheduled before the reference day, held on it at the latest
    review.scheduled = _pick(rng, low, high) if high > low else _pick(rng, requested + 1, end_of_today)
    minute = 60 + 30 * rng.randint(0, 10)  # 07:00-12:00 UTC
    review.defense = _point(today + rng.randint(1, 30) * _DAY) + minute
    review.place = rng.choice(_PLACES)
    review.members = _committee(world, rng, person, asked)
    may_vote = [role for role in _SEATS if role not in plan.keep_unvoted]
    voters = rng.sample(may_vote, min(len(may_vote), rng.choice((0, 1, 1, 2, 2, 3))))
    first_held = max(_day(review.scheduled) + _DAY, today - 7 * _DAY)
    if not (voters or plan.keep_unvoted) or first_held > today:
        return review
    review.defense = _point(first_held + rng.randint(0, (today - first_held).days) * _DAY) + minute
    room = end_of_today - review.defense - 1
    if voters and room >= len(voters):
        moments = sorted(rng.sample(range(review.defense + 1, end_of_today), len(voters)))
        for role, at in zip(voters, moments):
            value = rng.choices(VoteValue.values, weights=(70, 15, 15))[0]
            review.votes.append(_Vote(role, value, rng.choice(_COMMENTS[value]), at, _notes(value, at)))
    return review


def _plan_reviews(world: _World, seed: int) -> list[_Review]:
    """Every review to create, person by person, oldest first within a person."""
    pending = [p for p in world.people.values() if p.employee_id not in world.reviewed]
    pending.sort(key=lambda p: p.username)
    plans = [_plan_person(world, person, seed) for person in pending]
    _ensure(world, plans, seed)
    reviews = []
    for plan in plans:
        reviews.extend(plan.reviews)
        if plan.open_kind is not None:
            reviews.append(_open_review(world, plan, seed))
    return reviews


# --- Writing --------------------------------------------------------------------------------------


def _unmet(world: _World, review: _Review) -> int:
    """Lines of the target level's checklist not done when HR scheduled.

    Each line is judged as the progress page and the review packet judge it
    (grades.selectors.checklist_item): by data, or by the claim that was live then,
    which counts only once confirmed.
    """
    person = review.person
    at = _instant(review.scheduled)
    confirmed = world.confirmed.get(person.employee_id, {})
    common = dict(
        employee=world.employee(person), next_level=world.levels[review.to_rank],
        mentorships=world.periods(person), on=at.date(), level_ranks=world.level_ranks,
    )  # fmt: skip
    unmet = 0
    for level, requirement in world.checklist(review.track_id, review.to_rank):
        when = confirmed.get(requirement.id)
        live = world.confirmed_claim if when is not None and when <= at else None
        unmet += not grade_selectors.checklist_item(requirement, level, live=live, **common).done
    return unmet


def _review_row(world: _World, review: _Review, override: str) -> PromotionReview:
    level = world.levels
    return PromotionReview(
        candidate_id=review.person.employee_id,
        track_id=review.track_id,
        from_level_id=level[review.from_rank].id,
        to_level_id=level[review.to_rank].id,
        status=review.status,
        requested_by_id=review.requested_by,
        requested_at=_instant(review.requested),
        recommendation=review.recommendation,
        scheduled_for=_instant(review.defense) if review.defense is not None else None,
        place=review.place,
        scheduled_by_id=world.logins[HR_LOGIN] if review.scheduled is not None else None,
        override_reason=override,
        statement=_STATEMENTS[review.requested % len(_STATEMENTS)],
        decided_at=_instant(review.decided) if review.decided is not None else None,
        decided_by_id=world.logins[HR_LOGIN] if review.decided is not None else None,
        decision_note=review.decision_note,
        decision_reasons=review.reasons,
        withdrawn_reason=review.withdrawn_reason,
        grade_change_id=review.grade_change_id,
    )


def _events(world: _World, review: _Review, review_id: int, override: str, unmet: int) -> list[ReviewEvent]:
    """The trail the services write: requested, scheduled, each vote, then the outcome."""
    hr = world.logins[HR_LOGIN]
    events = [
        ReviewEvent(review_id=review_id, action=ReviewEvent.Action.REQUESTED, actor_id=review.requested_by,
                    at=_instant(review.requested), note=review.recommendation, data={})
    ]  # fmt: skip
    if review.scheduled is not None:
        data = {
            "when": _instant(review.defense).isoformat(),
            "place": review.place,
            "members": {role: world.user_name(review.members[role]) for role in _SEATS},
            "unmet_requirements": unmet,
        }
        events.append(ReviewEvent(review_id=review_id, action=ReviewEvent.Action.SCHEDULED, actor_id=hr,
                                  at=_instant(review.scheduled), note=override, data=data))  # fmt: skip
    for vote in review.votes:
        events.append(
            ReviewEvent(review_id=review_id, action=ReviewEvent.Action.VOTED, actor_id=review.members[vote.role],
                        at=_instant(vote.at), note=vote.comment,
                        data={"role": vote.role, "vote": vote.value, "notes": vote.notes})
        )  # fmt: skip
    if review.decided is not None:
        action = ReviewEvent.Action.PASSED if review.status == ReviewStatus.PASSED else ReviewEvent.Action.FAILED
        data = {"rule": world.rule, "votes": {vote.role: vote.value for vote in review.votes},
                "reasons": review.reasons, "held_on": _day(review.defense).isoformat()}
        events.append(ReviewEvent(review_id=review_id, action=action, actor_id=hr, at=_instant(review.decided),
                                  note=review.decision_note, data=data))  # fmt: skip
    if review.withdrawn is not None:
        events.append(ReviewEvent(review_id=review_id, action=ReviewEvent.Action.WITHDRAWN,
                                  actor_id=review.withdrawn_by, at=_instant(review.withdrawn),
                                  note=review.withdrawn_reason, data={}))  # fmt: skip
    return events


def _insert(model, rows: list) -> None:
    model.objects.bulk_create(rows, batch_size=demo_people.BATCH_SIZE)


def _returns_ids() -> bool:
    # As in demo.people: MySQL (not MariaDB) hands back no ids from a bulk insert.
    return connection.features.can_return_rows_from_bulk_insert


def _review_ids(rows: list[PromotionReview]) -> list[int]:
    """Ids of freshly inserted reviews, found by (candidate, requested_at): a person's reviews
    are requested one after another, so the pair is unique."""
    found = {}
    for chunk in _chunks(sorted({row.candidate_id for row in rows}), 500):
        for pk, candidate_id, requested_at in PromotionReview.objects.filter(
            candidate_id__in=chunk
        ).values_list("id", "candidate_id", "requested_at"):
            found[(candidate_id, requested_at)] = pk
    return [found[(row.candidate_id, row.requested_at)] for row in rows]


def _seat_ids(rows: list[CommitteeSeat]) -> list[int]:
    found = {}
    for chunk in _chunks(sorted({row.review_id for row in rows}), 500):
        found.update(
            ((review_id, role), pk)
            for pk, review_id, role in CommitteeSeat.objects.filter(review_id__in=chunk).values_list(
                "id", "review_id", "role"
            )
        )
    return [found[(row.review_id, row.role)] for row in rows]


def _write(world: _World, reviews: Sequence[_Review], created: dict[str, int]) -> None:
    schedule = {id(r): (_unmet(world, r) if r.scheduled is not None else 0) for r in reviews}
    overrides = {}
    for review in reviews:
        unmet = schedule[id(review)]
        overrides[id(review)] = (
            _OVERRIDES[review.requested % len(_OVERRIDES)] if unmet else ""
        )
    rows = [_review_row(world, r, overrides[id(r)]) for r in reviews]
    _insert(PromotionReview, rows)
    review_ids = [row.pk for row in rows] if _returns_ids() else _review_ids(rows)

    seats, seat_of = [], {}
    for review, review_id in zip(reviews, review_ids):
        for role in _SEATS if review.members else ():
            seat_of[(review_id, role)] = len(seats)
            seats.append(CommitteeSeat(review_id=review_id, role=role, member_id=review.members[role]))
    _insert(CommitteeSeat, seats)
    seat_ids = [seat.pk for seat in seats] if _returns_ids() else _seat_ids(seats)
    votes = [
        Vote(seat_id=seat_ids[seat_of[(review_id, vote.role)]], value=vote.value, comment=vote.comment,
             notes=vote.notes, cast_at=_instant(vote.at))
        for review, review_id in zip(reviews, review_ids)
        for vote in review.votes
    ]  # fmt: skip
    _insert(Vote, votes)
    events = [
        event
        for review, review_id in zip(reviews, review_ids)
        for event in _events(world, review, review_id, overrides[id(review)], schedule[id(review)])
    ]
    _insert(ReviewEvent, events)

    for review in reviews:
        created[f"{review.status} reviews"] += 1
    created["committee seats"] += len(seats)
    created["votes"] += len(votes)
    created["review events"] += len(events)


def seed_reviews(*, today: datetime.date, seed: int) -> dict[str, int]:
    """Create the demo people's promotion reviews; {what: how many rows were created}.

    Only people who have no review yet are given any, so a second run creates
    nothing. All-or-nothing: runs in its own transaction. Raises DemoError when the
    demo logins it seats (hr, cto, product, hrdirector, admin) do not exist.
    """
    created = {f"{status} reviews": 0 for status in ReviewStatus.values}
    created.update({"committee seats": 0, "votes": 0, "review events": 0})
    with transaction.atomic():
        world = _load(today)
        reviews = _plan_reviews(world, seed)
        for chunk in _chunks(reviews, WRITE_CHUNK):
            _write(world, chunk, created)
        _note_failures(reviews)
        created["defense sessions"] = _seed_sessions(today, hr=world.logins[HR_LOGIN])
    return created


# The defenses of the last year and of the month ahead are grouped into a session per quarter.
SESSION_YEARS_BACK = 1
SESSION_DAYS_AHEAD = 30


def _quarter(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = datetime.date(day.year, first_month, 1)
    following = datetime.date(day.year + 1, 1, 1) if first_month == 10 else datetime.date(day.year, first_month + 3, 1)
    return start, following - datetime.timedelta(days=1)


def _seed_sessions(today: datetime.date, *, hr: int) -> int:
    """Put the scheduled and decided defenses of the last year and the month ahead, in no
    session yet, into a session per calendar quarter (made when missing, by the HR login);
    returns how many sessions were made. A second run finds them in their sessions."""
    from reviews.models import DefenseSession

    first = _quarter(datetime.date(today.year - SESSION_YEARS_BACK, today.month, 1))[0]
    last = today + datetime.timedelta(days=SESSION_DAYS_AHEAD)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min))
    loose = PromotionReview.objects.filter(
        session__isnull=True, scheduled_for__gte=start, scheduled_for__lt=end,
        status__in=[ReviewStatus.SCHEDULED, ReviewStatus.PASSED, ReviewStatus.FAILED],
    ).values_list("pk", "scheduled_for")
    by_quarter: dict[tuple[datetime.date, datetime.date], list[int]] = defaultdict(list)
    for pk, when in loose:
        by_quarter[_quarter(timezone.localdate(when))].append(pk)
    if not by_quarter:
        return 0
    made = 0
    hr_user = User.objects.get(pk=hr)
    existing = {}
    for session in DefenseSession.objects.filter(starts_on__in=[q[0] for q in by_quarter]).order_by("-pk"):
        existing[(session.starts_on, session.ends_on)] = session
    for (q_start, q_end), ids in sorted(by_quarter.items()):
        number = (q_start.month - 1) // 3 + 1
        session = existing.get((q_start, q_end))
        if session is None:
            session = DefenseSession(
                name=f"Committee, Q{number} {q_start.year}",
                name_ru=f"Комитет, {number}-й квартал {q_start.year}",
                starts_on=q_start, ends_on=q_end, created_by=hr_user,
            )
            audit.save(session, by=hr_user, reason="seed_demo")
            made += 1
        for chunk in _chunks(ids, WRITE_CHUNK):
            PromotionReview.objects.filter(pk__in=list(chunk)).update(session=session)
    return made


def _note_failures(reviews: Sequence[_Review]) -> None:
    """Note on each person's row the day of their latest failed defense.

    The decision service does it failure by failure (grades.services.record_failed_defense),
    and there a later failure moves the date on while an earlier one never moves it back:
    the latest failure is what stays. Here that day is written for everyone at once, a
    statement per batch rather than per failure; the people given reviews had none
    before, so their rows noted nothing yet.
    """
    latest: dict[int, datetime.date] = {}
    for review in reviews:
        if review.status == ReviewStatus.FAILED and review.decided is not None:
            day = timezone.localdate(_instant(review.decided))
            employee_id = review.person.employee_id
            if employee_id not in latest or latest[employee_id] < day:
                latest[employee_id] = day
    Employee.objects.bulk_update(
        [Employee(pk=employee_id, last_failed_defense_on=day) for employee_id, day in latest.items()],
        ["last_failed_defense_on"],
        batch_size=demo_people.BATCH_SIZE,
    )
