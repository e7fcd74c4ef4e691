"""The shapes of the API's answers and of what it takes, as the OpenAPI document states them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema


class Error(Schema):
    """Every refusal: `detail` says why (a sentence, or the list of invalid fields)."""

    detail: str | list[dict]


class Me(Schema):
    id: int
    username: str
    name: str
    employee_id: int | None
    scope: Literal["read", "write"]


class LevelRef(Schema):
    id: int
    code: str
    rank: int
    name: str
    name_ru: str


class TrackSummary(Schema):
    id: int
    slug: str
    name: str
    name_ru: str
    ladder: str
    fork_of: str | None


class Requirement(Schema):
    id: int
    key: str
    category: str
    text: str
    text_en: str
    judged_from_data: bool
    counted: bool


class Book(Schema):
    id: int
    title: str
    author: str


class SalaryBand(Schema):
    currency: str
    minimum: Decimal
    maximum: Decimal
    valid_from: datetime.date


class LadderLevel(LevelRef):
    entry_only: bool
    min_months_in_previous: int
    requirements: list[Requirement]
    books: list[Book]
    # Null for those who may not see salary bands (pay.policies.may_see_bands).
    salary_bands: list[SalaryBand] | None = None


class TrackDetail(TrackSummary):
    description: str
    levels: list[LadderLevel]


class PersonSummary(Schema):
    id: int
    username: str
    name: str
    email: str
    track: str
    level: LevelRef | None
    level_since: datetime.date | None
    team_lead_id: int | None
    hire_date: datetime.date
    left_on: datetime.date | None


class GradeChange(Schema):
    id: int
    kind: Literal["hire", "promotion", "correction", "transfer"]
    track: str
    level: LevelRef
    effective_date: datetime.date
    reason: str


class PersonDetail(PersonSummary):
    probation_end: datetime.date | None
    career_start: datetime.date
    checklist_total: int
    checklist_done: int
    waiting_claims: int
    grade_history: list[GradeChange]


class Claim(Schema):
    id: int
    person_id: int
    requirement_id: int
    status: Literal["claimed", "confirmed", "rejected", "withdrawn"]
    description: str
    links: list[str]
    claimed_at: datetime.datetime
    decided_at: datetime.datetime | None
    decision_comment: str


class Seat(Schema):
    role: Literal["cto", "product", "hr_director", "team_lead"]
    member_id: int
    member_name: str
    # Whether the member has voted, and how: each shown only to whom the secret ballot allows.
    has_voted: bool | None
    vote: Literal["approve", "reject", "abstain"] | None
    comment: str | None


class Outcome(Schema):
    decided_at: datetime.datetime | None
    note: str
    reasons: dict[str, str]
    approvals: int | None
    rejections: int | None
    abstentions: int | None


class ReviewSummary(Schema):
    id: int
    candidate_id: int
    track: str
    from_level: LevelRef
    to_level: LevelRef
    status: Literal["requested", "scheduled", "passed", "failed", "withdrawn"]
    requested_at: datetime.datetime
    scheduled_for: datetime.datetime | None


class ReviewDetail(ReviewSummary):
    place: str
    seats: list[Seat]
    outcome: Outcome | None


class TrackPage(Schema):
    items: list[TrackSummary]
    next_cursor: str | None


class PersonPage(Schema):
    items: list[PersonSummary]
    next_cursor: str | None


class ClaimPage(Schema):
    items: list[Claim]
    next_cursor: str | None


class ReviewPage(Schema):
    items: list[ReviewSummary]
    next_cursor: str | None


# --- What the writes take -------------------------------------------------------------------------


class ClaimIn(Schema):
    requirement_id: int = Field(..., ge=1, le=2**62)
    description: str = Field(..., min_length=1, max_length=5000)
    links: list[str] = Field(default_factory=list, max_length=10)


class DecisionIn(Schema):
    confirm: bool
    comment: str = Field("", max_length=2000)


class PersonIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    email: str = Field(..., min_length=3, max_length=254)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    track: str = Field(..., min_length=1, max_length=50, description="the track's slug")
    level: str = Field(..., min_length=1, max_length=50, description="the code of a level of the track's ladder")
    hire_date: datetime.date
    probation_end: datetime.date | None = None
    career_start: datetime.date | None = None
    team_lead_id: int | None = Field(None, ge=1, le=2**62)


class PersonChangeIn(Schema):
    """Only the fields given are changed; `team_lead_id` and `probation_end` may be null."""

    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    email: str | None = Field(None, min_length=3, max_length=254)
    team_lead_id: int | None = Field(None, ge=1, le=2**62)
    probation_end: datetime.date | None = None
    career_start: datetime.date | None = None


class LeaveIn(Schema):
    on: datetime.date
