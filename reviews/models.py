"""
Promotion reviews: the defense of the next level before a committee.

A review moves requested → scheduled → passed | failed, or → withdrawn while it is
open. The committee has four seats (CTO, product director, HR director, the
candidate's team lead); each seat casts one vote. Reviews, seats, votes and the
event trail are never deleted (PROTECT); decided reviews are not changed again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from simple_history.models import HistoricalRecords

from grades.models import AppendOnlyModel, AppendOnlyQuerySet, Employee, GradeChange, Level, SingleRowModel, Track

from . import rules


class ReviewStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SCHEDULED = "scheduled", _("Scheduled")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (ReviewStatus.REQUESTED, ReviewStatus.SCHEDULED)
DECIDED_STATUSES = (ReviewStatus.PASSED, ReviewStatus.FAILED)


class SeatRole(models.TextChoices):
    CTO = "cto", _("CTO")
    PRODUCT = "product", _("Product director")
    HR_DIRECTOR = "hr_director", _("HR director")
    TEAM_LEAD = "team_lead", _("Team lead")


class VoteValue(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    ABSTAIN = "abstain", _("Abstain")


class PromotionReviewQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def decided(self):
        return self.filter(status__in=DECIDED_STATUSES)

    def with_people(self):
        return self.select_related(
            "candidate__user", "candidate__team_lead__user", "track", "from_level", "to_level"
        )


class PromotionReview(models.Model):
    candidate = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="reviews")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="+")
    from_level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    to_level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.REQUESTED
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    recommendation = models.TextField(
        _("team lead's recommendation"),
        blank=True,
        help_text=_("Example projects or features that show the skills of the next level."),
    )
    scheduled_for = models.DateTimeField(_("defense at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    override_reason = models.TextField(
        _("reason for scheduling with unmet requirements"), blank=True
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    # {criterion key (rules.CRITERIA): the reason the decision gives for it}; the candidate reads them.
    decision_reasons = models.JSONField(_("reasons per criterion"), default=dict, blank=True)
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True)
    # Why the candidate is ready, pointing at their evidence: written with the request,
    # changed by the candidate or their team lead until the defense is scheduled.
    # Reviews requested before it existed have none.
    statement = models.TextField(
        _("candidate's statement"),
        blank=True,
        help_text=_("Why the candidate is ready for the next level, pointing at the evidence."),
    )
    grade_change = models.OneToOneField(
        GradeChange, on_delete=models.PROTECT, null=True, blank=True, related_name="review"
    )
    # The defense session (committee days) HR put the defense in, if any; see DefenseSession.
    session = models.ForeignKey(
        "DefenseSession", on_delete=models.PROTECT, null=True, blank=True, related_name="reviews",
        verbose_name=_("defense session"),
    )
    # 1 while the review is open, NULL otherwise: with the unique constraint below,
    # at most one open review per person, on MySQL/MariaDB as well as SQLite.
    open_marker = models.GeneratedField(
        expression=Case(When(status__in=OPEN_STATUSES, then=Value(1)), default=None),
        output_field=models.PositiveSmallIntegerField(null=True),
        db_persist=True,
    )

    history = HistoricalRecords(excluded_fields=["open_marker"])
    objects = PromotionReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("promotion review")
        verbose_name_plural = _("promotion reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "open_marker"],
                name="review_one_open_per_candidate",
                violation_error_message=_("This person already has an open review."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReviewStatus.values), name="review_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(to_level=F("from_level")), name="review_levels_differ"
            ),
            # Scheduled and decided reviews have a date; decided ones a decision time and author.
            models.CheckConstraint(
                condition=Q(status__in=[ReviewStatus.REQUESTED, ReviewStatus.WITHDRAWN])
                | Q(scheduled_for__isnull=False),
                name="review_scheduled_has_date",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status__in=DECIDED_STATUSES, decided_at__isnull=False, decided_by__isnull=False)
                    | (~Q(status__in=DECIDED_STATUSES) & Q(decided_at__isnull=True))
                ),
                name="review_decision_matches_status",
            ),
            # Only a passed review produces a grade change.
            models.CheckConstraint(
                condition=Q(grade_change__isnull=True) | Q(status=ReviewStatus.PASSED),
                name="review_grade_change_only_when_passed",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_for"], name="review_status_date"),
            models.Index(fields=["candidate", "status"], name="review_candidate_status"),
            # The review list, newest first, whole or filtered by status, track or level
            # defended: each filter reads its rows already in list order and stops after a page.
            models.Index(fields=["requested_at", "id"], name="review_requested"),
            models.Index(fields=["status", "requested_at", "id"], name="review_status_requested"),
            # The outcomes decided in a period (dashboard), counted per level from the index alone.
            models.Index(fields=["status", "decided_at", "to_level", "candidate"], name="review_status_decided"),
            models.Index(fields=["track", "requested_at", "id"], name="review_track_requested"),
            models.Index(fields=["to_level", "requested_at", "id"], name="review_level_requested"),
        ]

    def __str__(self) -> str:
        return f"{self.candidate}: {self.from_level} → {self.to_level} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("reviews:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_decided(self) -> bool:
        return self.status in DECIDED_STATUSES


class DefenseSession(models.Model):
    """A group of defenses the committee hears together (e.g. a quarter's committee days), so
    that it can compare its candidates side by side before deciding.

    HR makes a session for a range of dates and puts scheduled defenses in it whose date
    falls in the range (reviews.services.session_add); a defense moved out of the range
    leaves its session. A decided defense stays in its session for good.
    """

    name = models.CharField(_("name"), max_length=120)
    name_ru = models.CharField(_("name (Russian)"), max_length=120, blank=True)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("defense session")
        verbose_name_plural = _("defense sessions")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="session_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on:%Y-%m-%d} – {self.ends_on:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("reviews:session", args=[self.pk])

    def holds(self, day) -> bool:
        return self.starts_on <= day <= self.ends_on

    @property
    def display_name(self) -> str:
        """The name in the reader's language (the Russian one when given)."""
        if (get_language() or "en").startswith("ru") and self.name_ru:
            return self.name_ru
        return self.name


class CommitteeSeat(models.Model):
    """One member's place on a review's committee."""

    review = models.ForeignKey(PromotionReview, on_delete=models.PROTECT, related_name="seats")
    role = models.CharField(_("role"), max_length=12, choices=SeatRole.choices)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="committee_seats")

    history = HistoricalRecords()
    class Meta:
        ordering = ["review", "id"]
        verbose_name = _("committee seat")
        verbose_name_plural = _("committee seats")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "role"],
                name="seat_one_per_role",
                violation_error_message=_("That seat is already taken on this committee."),
            ),
            models.UniqueConstraint(
                fields=["review", "member"],
                name="seat_one_per_member",
                violation_error_message=_("A person holds one seat on a committee."),
            ),
            models.CheckConstraint(condition=Q(role__in=SeatRole.values), name="seat_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.member}"


class Vote(models.Model):
    """A seat's vote. One per seat; it may change until the review is decided, then it is frozen."""

    seat = models.OneToOneField(CommitteeSeat, on_delete=models.PROTECT, related_name="vote")
    value = models.CharField(_("vote"), max_length=8, choices=VoteValue.choices)
    comment = models.TextField(_("comment"), blank=True)
    # {criterion key (rules.CRITERIA): the member's note on it}; only criteria noted are kept.
    notes = models.JSONField(_("notes per criterion"), default=dict, blank=True)
    cast_at = models.DateTimeField(_("cast at"))
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    history = HistoricalRecords()
    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.CheckConstraint(condition=Q(value__in=VoteValue.values), name="vote_value_valid"),
            models.CheckConstraint(
                condition=Q(changed_at__isnull=True) | Q(changed_at__gte=F("cast_at")),
                name="vote_changed_after_cast",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seat}: {self.get_value_display()}"


class DecisionRule(models.TextChoices):
    # Lower case: the review page says "(majority rule)".
    MAJORITY = rules.MAJORITY, _("majority")
    UNANIMOUS = rules.UNANIMOUS, _("unanimous")


class DecisionPolicy(SingleRowModel):
    """How the committee's votes decide a defense: one row, changed in the admin, with history.

    The decide service reads it inside the transaction that records the decision and
    writes the rule it applied into the review's trail. Every seat must have voted
    before a decision (there is no quorum to set): the rule only says how the votes
    count (reviews.rules.outcome).
    """

    rule = models.CharField(
        _("decision rule"),
        max_length=12,
        choices=DecisionRule.choices,
        default=DecisionRule.MAJORITY,
        help_text=_(
            "Majority: approvals outnumber rejections; abstentions are not counted and a tie "
            "fails. Unanimous: nobody rejects and at least one member approves."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("decision policy")
        verbose_name_plural = _("decision policy")
        constraints = [
            models.CheckConstraint(
                condition=Q(id=SingleRowModel.ROW_ID),
                name="decisionpolicy_single_row",
                violation_error_message=_("There is only one decision policy."),
            ),
            models.CheckConstraint(
                condition=Q(rule__in=DecisionRule.values), name="decisionpolicy_rule_valid"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Decision policy"))


class PacketSnapshot(AppendOnlyModel):
    """The candidate's packet as the committee saw it, kept when the decision is recorded.

    Written once, in the decision's transaction, and never changed: a decided review's
    page shows this, every part of the packet, rather than today's data. `data` is the dict of
    reviews.selectors.packet_freeze, versioned by its "schema" key; read it back with
    reviews.selectors.packet_from_snapshot. Reviews decided before packets were kept have
    no snapshot.
    """

    review = models.OneToOneField(PromotionReview, on_delete=models.PROTECT, related_name="frozen_packet")
    taken_at = models.DateTimeField(_("taken at"))
    data = models.JSONField(_("packet"))

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("packet as decided")
        verbose_name_plural = _("packets as decided")

    def __str__(self) -> str:
        return f"{self.review_id}: {self.taken_at:%Y-%m-%d %H:%M}"


class ReviewEvent(AppendOnlyModel):
    """The audit trail of a review: every state change and vote, with who and when."""

    class Action(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SCHEDULED = "scheduled", _("Scheduled")
        MOVED = "moved", _("Moved")
        VOTED = "voted", _("Voted")
        VOTE_CHANGED = "vote_changed", _("Changed vote")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        STATEMENT = "statement", _("Statement edited")

    review = models.ForeignKey(PromotionReview, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    # Structured detail: the vote cast, the new date and place, the override reason...
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("review event")
        verbose_name_plural = _("review events")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    action__in=[
                        "requested", "scheduled", "moved", "voted", "vote_changed",
                        "passed", "failed", "withdrawn", "statement",
                    ]
                ),
                name="reviewevent_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"


# --- Team relations (criterion 3 of a promotion) --------------------------------------------------


class RelationsRating(models.IntegerChoices):
    """How the candidate gets on with the team: a positive influence, not more harm than good."""

    CONFLICTUAL = 1, _("1 — conflictual: does more harm than good")
    STRAINED = 2, _("2 — strained: friction that needs attention")
    NEUTRAL = 3, _("3 — neutral: gets along, little influence either way")
    GOOD = 4, _("4 — good: a positive influence on the team")
    EXCELLENT = 5, _("5 — excellent: makes the team's atmosphere better")


class AssessorRole(models.TextChoices):
    HR = "hr", _("HR")
    TEAM_LEAD = "team_lead", _("Team lead")


class RelationsAssessment(AppendOnlyModel):
    """HR's or the candidate's team lead's assessment of the candidate's relations in the team.

    Each role has one assessment per review, revised until the decision: every revision
    is a new row with the next `revision` number, and the latest row of a role is the one
    that counts. The rows are their own history (who and when), never changed or deleted.
    """

    review = models.ForeignKey(PromotionReview, on_delete=models.PROTECT, related_name="relations_assessments")
    role = models.CharField(_("role"), max_length=10, choices=AssessorRole.choices)
    revision = models.PositiveSmallIntegerField(_("revision"))
    rating = models.PositiveSmallIntegerField(_("rating"), choices=RelationsRating.choices)
    note = models.TextField(_("note"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["review", "role", "revision"]
        verbose_name = _("team relations assessment")
        verbose_name_plural = _("team relations assessments")
        constraints = [
            # Two revisions written at once cannot both take the same number.
            models.UniqueConstraint(
                fields=["review", "role", "revision"],
                name="relations_one_row_per_revision",
                violation_error_message=_("The assessment was revised meanwhile."),
            ),
            models.CheckConstraint(condition=Q(role__in=AssessorRole.values), name="relations_role_valid"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="relations_rating_1_to_5"),
            models.CheckConstraint(condition=Q(revision__gte=1), name="relations_revision_from_1"),
            models.CheckConstraint(condition=~Q(note=""), name="relations_note_required"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} #{self.revision}: {self.rating}"


class FeedbackRequest(models.Model):
    """HR asks a colleague of the candidate how the candidate gets on with the team.

    A colleague has at most one live (not withdrawn) request per review; HR may withdraw
    a request that is not answered yet, and ask the same person again later.
    """

    review = models.ForeignKey(PromotionReview, on_delete=models.PROTECT, related_name="feedback_requests")
    colleague = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="feedback_requests")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(_("asked at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # 1 while the request is live, NULL once withdrawn: with the unique constraint below, one
    # live request per colleague and review, on MySQL/MariaDB as well as SQLite.
    live_marker = models.GeneratedField(
        expression=Case(When(withdrawn_at__isnull=True, then=Value(1)), default=None),
        output_field=models.PositiveSmallIntegerField(null=True),
        db_persist=True,
    )

    history = HistoricalRecords(excluded_fields=["live_marker"])

    class Meta:
        ordering = ["review", "asked_at", "id"]
        verbose_name = _("colleague feedback request")
        verbose_name_plural = _("colleague feedback requests")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "colleague", "live_marker"],
                name="feedback_one_live_request",
                violation_error_message=_("This colleague has already been asked."),
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="feedback_withdrawal_has_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.colleague} on review #{self.review_id}"

    def get_absolute_url(self) -> str:
        return reverse("reviews:feedback", args=[self.pk])

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class FeedbackAnswer(AppendOnlyModel):
    """The colleague's one answer to a request (the one-to-one key: never a second one)."""

    request = models.OneToOneField(FeedbackRequest, on_delete=models.PROTECT, related_name="answer")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("answer"))
    rating = models.PositiveSmallIntegerField(_("rating"), choices=RelationsRating.choices, null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"))

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("colleague feedback")
        verbose_name_plural = _("colleague feedback")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_to_5"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="feedback_text_required"),
        ]

    def __str__(self) -> str:
        return f"Answer to {self.request}"
