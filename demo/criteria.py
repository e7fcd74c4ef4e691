"""
The other criteria of a defense for the demo organisation: `seed_criteria()`, which
`manage.py seed_demo` runs once the demo reviews exist.

Bounded so that 10,000 demo people stay fast: the rows go to the people a defense is
about now, not to everyone. The "focus" people are `dev`, everyone with an open review
(requested or scheduled) and everyone whose defense was decided in the last
RECENT_DAYS. For them:

* delivery facts: sprint completion (committed and done story points) of the last
  SPRINTS two-week sprints, on a company-wide sprint calendar, recorded by the team
  lead (HR where there is none), only sprints that began after the hire date;
* books read: two to four books of the person's ladder at or below their level, marked
  read before the reference date, about two in three acknowledged by the team lead;
* growth goals (dev and the people with an open review): up to three unmet
  people-judged lines of the next level, agreed with the team lead; one done, one due
  ahead, and one past due for dev and about a third of the others.

Scheduled reviews get team relations: HR's and the team lead's assessment, and two
colleagues of the same team asked for feedback by HR, one of whom answered.

The packet kept at the decision (reviews.PacketSnapshot) is taken with the product's
own reading (reviews.selectors.packet_freeze of review_packet) for the failed defenses
decided in the last RECENT_DAYS whose candidate still holds the level defended from, at
most KEPT_PACKETS of them, the latest first: their packet reads today as it read then.
Passed and older reviews are left without one, and their page says the packet was not
kept, as for reviews decided before packets were kept: the packet is read from the
candidate's ledger as it is now, and a later promotion would show the wrong checklist.

Bulk inserts, a statement per batch; rows go only where none of their kind exist yet
(per person or per review), so running it again adds only what is missing. Like the
rest of the demo, these rows carry no history records: they stand for history before
the demo's reference date, and the product's services write the trail from there on.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from demo import people as demo_people
from grades.models import (
    Book,
    BookReading,
    DeliveryFact,
    Employee,
    Evidence,
    EvidenceStatus,
    GrowthGoal,
    Level,
    Requirement,
)
from reviews import selectors as review_selectors
from reviews.models import (
    AssessorRole,
    FeedbackAnswer,
    FeedbackRequest,
    PacketSnapshot,
    PromotionReview,
    RelationsAssessment,
    ReviewStatus,
)

User = get_user_model()

RECENT_DAYS = 120
SPRINTS = 8
SPRINT_DAYS = 14
# The company's sprints start on Mondays, every two weeks from this one.
SPRINT_ORIGIN = datetime.date(2020, 1, 6)
KEPT_PACKETS = 12
BATCH_SIZE = demo_people.BATCH_SIZE
UTC = datetime.timezone.utc

_READING_NOTES = (
    "Applied the chapter on testing to our service.",
    "Discussed it with the team at the reading club.",
    "Useful for the design review of the new module.",
    "Took notes on the parts about refactoring.",
)
_GOAL_TEXTS = (
    "Take the next feature of this kind end to end and link the pull requests.",
    "Pair with the team lead on it for a sprint, then do it alone.",
    "Prepare a short write-up on the team wiki and present it.",
)
_HR_NOTES = {
    3: "Gets along with everyone; little influence on the team either way.",
    4: "A positive influence: helps newcomers and keeps discussions calm.",
    5: "Makes the team's atmosphere better; colleagues ask for them in projects.",
}
_LEAD_NOTES = {
    3: "Works well alone; could share more with the team.",
    4: "Reliable in code review and open to feedback.",
    5: "The person the team turns to when things get tense.",
}
_ANSWERS = (
    "Helpful in code review and always explains the why.",
    "Easy to work with; took over my tasks when I was ill.",
    "Good to pair with; sometimes too quiet in planning.",
)


def _at(day: datetime.date, minute: int) -> datetime.datetime:
    """An office-hours moment (from 06:00 UTC) of `day`."""
    return datetime.datetime.combine(day, datetime.time(6), tzinfo=UTC) + datetime.timedelta(minutes=minute)


def _recent_since(today: datetime.date) -> datetime.datetime:
    """The first moment of the RECENT_DAYS up to `today`."""
    day = today - datetime.timedelta(days=RECENT_DAYS)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _insert(model, rows: list) -> None:
    model.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def _sprints(today: datetime.date, count: int) -> list[tuple[datetime.date, datetime.date]]:
    """The last `count` whole sprints ending by `today`, oldest first."""
    ended = (today - SPRINT_ORIGIN).days // SPRINT_DAYS  # sprints whose last day is before `today`
    starts = [SPRINT_ORIGIN + datetime.timedelta(days=SPRINT_DAYS * n) for n in range(max(0, ended - count), ended)]
    return [(start, start + datetime.timedelta(days=SPRINT_DAYS - 1)) for start in starts]


def seed_criteria(*, today: datetime.date, seed: int) -> dict[str, int]:
    """Create the demo's delivery facts, books read, growth goals, team relations and kept
    packets; {what: how many rows were created}. Its own transaction."""
    created = dict.fromkeys(
        ("delivery facts", "books read", "growth goals", "relations assessments", "feedback requests",
         "feedback answers", "kept packets"), 0,
    )  # fmt: skip
    with transaction.atomic():
        hr = User.objects.filter(username=demo_people.LEDGER_RECORDER).values_list("id", flat=True).first()
        if hr is None:
            return created
        people = {
            row[0]: row
            for row in Employee.objects.filter(user__is_active=True).values_list(
                "id", "user_id", "user__username", "track_id", "team_lead__user_id", "current_level__rank",
                "hire_date", "left_on", "team_lead_id",
            )
            if row[2] in (demo_people.DEMO_LEAD, demo_people.DEMO_DEV) or row[2].startswith(
                demo_people.USERNAME_PATTERN.split("{")[0]
            )
        }
        since = _recent_since(today)
        open_ids, recent_ids = set(), set()
        for candidate_id, status, decided_at in PromotionReview.objects.filter(candidate_id__in=list(people)).filter(
            status__in=[ReviewStatus.REQUESTED, ReviewStatus.SCHEDULED, ReviewStatus.PASSED, ReviewStatus.FAILED]
        ).exclude(decided_at__lt=since).values_list("candidate_id", "status", "decided_at"):
            (recent_ids if decided_at else open_ids).add(candidate_id)
        dev = {pk for pk, row in people.items() if row[2] == demo_people.DEMO_DEV}
        focus = sorted((open_ids | recent_ids | dev) & {pk for pk, row in people.items() if row[7] is None})
        _delivery(people, focus, today, seed, hr, created)
        _reading(people, focus, today, seed, created)
        _goals(people, sorted(open_ids | dev), today, seed, created)
        _relations(people, today, seed, hr, created)
        _packets(today, created)
    return created


def _delivery(people, focus, today, seed, hr, created) -> None:
    have = set(DeliveryFact.objects.filter(employee_id__in=focus).values_list("employee_id", flat=True).distinct())
    sprints = _sprints(today, SPRINTS)
    rows = []
    for pk in focus:
        if pk in have:
            continue
        _, _, username, _, lead_user, _, hired, _, _ = people[pk]
        rng = random.Random(f"{seed}:{username}:delivery")
        committed = rng.randint(20, 40)
        share = rng.uniform(0.65, 0.9)
        for start, end in sprints:
            if start < hired:
                continue
            share = min(1.1, max(0.5, share + rng.uniform(-0.06, 0.09)))  # rising on the whole
            rows.append(DeliveryFact(
                employee_id=pk, period_start=start, period_end=end, committed=Decimal(committed),
                done=Decimal(round(committed * share)), recorded_by_id=lead_user or hr,
                link="https://tracker.example.com/sprints/" + start.strftime("%Y-%m-%d"),
            ))  # fmt: skip
            committed = max(10, committed + rng.randint(-3, 4))
    _insert(DeliveryFact, rows)
    created["delivery facts"] = len(rows)


def _reading(people, focus, today, seed, created) -> None:
    have = set(BookReading.objects.filter(employee_id__in=focus).values_list("employee_id", flat=True).distinct())
    books = defaultdict(list)  # track: [(rank, id, title, author)]
    for track_id in {people[pk][3] for pk in focus}:
        for row in Book.objects.on_ladder_of(track_id).values_list("track_level__level__rank", "id", "title", "author"):
            books[track_id].append(row)
    rows = []
    for pk in focus:
        if pk in have:
            continue
        _, _, username, track_id, lead_user, rank, hired, _, _ = people[pk]
        shelf = sorted({book for book in books[track_id] if book[0] <= (rank or 1)})
        if not shelf:
            continue
        rng = random.Random(f"{seed}:{username}:reading")
        first = max(hired, today - datetime.timedelta(days=720))
        span = max(1, (today - first).days - 2)
        for number, (_rank, book_id, title, author) in enumerate(rng.sample(shelf, min(len(shelf), rng.randint(2, 4)))):
            read_on = first + datetime.timedelta(days=rng.randrange(span))
            marked = _at(read_on, rng.randrange(0, 480))
            acknowledged = lead_user is not None and number % 3 != 2
            rows.append(BookReading(
                employee_id=pk, book_id=book_id, title=title, author=author,
                note=_READING_NOTES[number % len(_READING_NOTES)], read_on=read_on, marked_at=marked,
                acknowledged_by_id=lead_user if acknowledged else None,
                acknowledged_at=_at(min(today, read_on + datetime.timedelta(days=rng.randint(1, 10))), 500)
                if acknowledged else None,
            ))  # fmt: skip
    _insert(BookReading, rows)
    created["books read"] = len(rows)


def _goals(people, planned, today, seed, created) -> None:
    have = set(GrowthGoal.objects.filter(employee_id__in=planned).values_list("employee_id", flat=True).distinct())
    planned = [pk for pk in planned if pk not in have]
    confirmed = set(
        Evidence.objects.filter(employee_id__in=planned, status=EvidenceStatus.CONFIRMED).values_list(
            "employee_id", "requirement_id"
        )
    )
    lines = defaultdict(list)  # (track, rank): people-judged requirement ids in checklist order
    for track_id in {people[pk][3] for pk in planned}:
        for requirement_id, rank in (
            Requirement.objects.active().on_ladder_of(track_id).filter(check_kind="")
            .order_by("track_level__level__rank", "position", "id")
            .values_list("id", "track_level__level__rank")
        ):  # fmt: skip
            lines[(track_id, rank)].append(requirement_id)
    top = Level.objects.filter(ladder__slug="standard").order_by("-rank").values_list("rank", flat=True).first()
    rows = []
    for pk in planned:
        _, user_id, username, track_id, lead_user, rank, _, _, _ = people[pk]
        if rank is None or rank == top:
            continue
        unmet = [r for r in lines[(track_id, rank + 1)] if (pk, r) not in confirmed][:3]
        rng = random.Random(f"{seed}:{username}:goals")
        agreed = _at(today - datetime.timedelta(days=rng.randint(40, 90)), 120)
        past_due = username == demo_people.DEMO_DEV or rng.random() < 0.34
        for number, requirement_id in enumerate(unmet):
            done = number == 0
            due = today + datetime.timedelta(days=rng.randint(20, 90))
            if number == 2 and past_due:
                due = today - datetime.timedelta(days=rng.randint(3, 20))
            rows.append(GrowthGoal(
                employee_id=pk, requirement_id=requirement_id, text=_GOAL_TEXTS[number % len(_GOAL_TEXTS)],
                due_on=due if not done else today - datetime.timedelta(days=10),
                done_at=_at(today - datetime.timedelta(days=rng.randint(5, 20)), 300) if done else None,
                done_by_id=(lead_user or user_id) if done else None,
                created_by_id=lead_user or user_id, created_at=agreed,
            ))  # fmt: skip
    _insert(GrowthGoal, rows)
    created["growth goals"] = len(rows)


def _relations(people, today, seed, hr, created) -> None:
    reviews = list(
        PromotionReview.objects.filter(status=ReviewStatus.SCHEDULED, candidate_id__in=list(people))
        .exclude(relations_assessments__isnull=False)
        .order_by("id")
        .values_list("id", "candidate_id", "requested_at")
    )
    team = defaultdict(list)  # lead employee id: active reports
    for pk, row in sorted(people.items()):
        if row[8] is not None and row[7] is None:
            team[row[8]].append(pk)
    assessments, asked = [], []
    end = _at(today, 500)
    for review_id, candidate_id, requested_at in reviews:
        _, _, username, _, lead_user, _, _, _, lead_id = people[candidate_id]
        rng = random.Random(f"{seed}:{username}:relations")
        start = requested_at + datetime.timedelta(minutes=30)
        moment = lambda: start + (end - start) * rng.random()  # noqa: E731
        rating = rng.choice((3, 4, 4, 5))
        assessments.append(RelationsAssessment(review_id=review_id, role=AssessorRole.HR, revision=1, rating=rating,
                                               note=_HR_NOTES[rating], author_id=hr, at=moment()))  # fmt: skip
        if lead_user is not None:
            rating = rng.choice((3, 4, 4, 5))
            assessments.append(RelationsAssessment(
                review_id=review_id, role=AssessorRole.TEAM_LEAD, revision=1, rating=rating,
                note=_LEAD_NOTES[rating], author_id=lead_user, at=moment(),
            ))  # fmt: skip
        colleagues = [pk for pk in team.get(lead_id, ()) if pk != candidate_id]
        for colleague in rng.sample(colleagues, min(2, len(colleagues))):
            asked.append((review_id, colleague, moment()))
    _insert(RelationsAssessment, assessments)
    requests = [FeedbackRequest(review_id=r, colleague_id=c, asked_by_id=hr, asked_at=at) for r, c, at in asked]
    _insert(FeedbackRequest, requests)
    ids = dict(
        ((review_id, colleague_id), pk)
        for pk, review_id, colleague_id in FeedbackRequest.objects.filter(
            review_id__in=[r for r, _, _ in asked]
        ).values_list("id", "review_id", "colleague_id")
    )
    answers = []
    for number, (review_id, colleague, at) in enumerate(asked):
        if number % 2:
            continue  # every other request waits for its answer
        answers.append(FeedbackAnswer(
            request_id=ids[(review_id, colleague)], author_id=people[colleague][1],
            text=_ANSWERS[number // 2 % len(_ANSWERS)], rating=4 - number // 2 % 2,
            answered_at=min(end, at + datetime.timedelta(hours=2)),
        ))  # fmt: skip
    _insert(FeedbackAnswer, answers)
    created["relations assessments"] = len(assessments)
    created["feedback requests"] = len(requests)
    created["feedback answers"] = len(answers)


def _packets(today, created) -> None:
    since = _recent_since(today)
    chosen = list(
        PromotionReview.objects.filter(status=ReviewStatus.FAILED, decided_at__gte=since)
        .filter(candidate__current_level_id=F("from_level_id"))
        .order_by("-decided_at", "-id")
        .values_list("id", "decided_at", "scheduled_for", "frozen_packet")[:KEPT_PACKETS]
    )
    rows = []
    # The same latest ones each run: a second run finds their packets kept and adds none.
    for review_id, decided_at, held, kept in chosen:
        if kept is not None:
            continue
        review = review_selectors.review_for_page(None, review_id)
        packet = review_selectors.review_packet(review, on=timezone.localdate(held))
        data = review_selectors.packet_freeze(review, packet)
        rows.append(PacketSnapshot(review_id=review_id, taken_at=decided_at, data=data))
    _insert(PacketSnapshot, rows)
    created["kept packets"] = len(rows)
