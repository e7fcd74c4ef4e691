"""
Django admin for promotion reviews: for looking, not for changing.

A review moves only through the review pages (/reviews/), which call the services in
`reviews/services.py`: they check who may act, lock the row, refuse transitions the
lifecycle does not allow, append to the audit trail and the grade ledger, and send
the mail after commit. A form saving the row directly would skip every one of those,
so nothing here adds, changes or deletes a review, a seat, a vote or an event — for
decided reviews (history, kept forever) and for open ones alike.

Votes are secret from committee members until they have voted (see
`reviews.policies.vote_visibility`); the admin shows votes and the event trail to HR
only, and lists only the reviews the signed-in person may see on the review pages.

The one thing changed here is the decision policy (how the votes decide), a single
row that can be changed but not added or deleted; its history says who changed it.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from common.admin_search import GuardedAdminMixin

from simple_history.admin import SimpleHistoryAdmin

from grades.policies import is_hr

from .models import CommitteeSeat, DecisionPolicy, DefenseSession, PromotionReview, ReviewEvent, Vote
from .policies import visible_reviews

READ_ONLY_NOTE = _(
    "Read-only. Reviews are requested, scheduled, voted on, decided and withdrawn on the "
    "review pages (/reviews/), which check the rules and keep the audit trail."
)


class ReadOnlyMixin:
    """No add, change or delete: the services are the only writers."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HROnlyMixin:
    """Votes and the trail (which carries the votes) are for HR's eyes in the admin."""

    def has_view_permission(self, request, obj=None):
        return is_hr(request.user) and super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        return is_hr(request.user) and super().has_module_permission(request)


class SeatInline(ReadOnlyMixin, admin.TabularInline):
    model = CommitteeSeat
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = _("committee")
    vote_fields = ["vote_value", "vote_comment", "vote_cast_at", "vote_changed_at"]

    def get_fields(self, request, obj=None):
        fields = ["role", "member"]
        if is_hr(request.user):
            fields += self.vote_fields
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member", "vote")

    @admin.display(description=_("vote"))
    def vote_value(self, seat):
        vote = getattr(seat, "vote", None)
        return vote.get_value_display() if vote else "—"

    @admin.display(description=_("comment"))
    def vote_comment(self, seat):
        vote = getattr(seat, "vote", None)
        return vote.comment if vote else ""

    @admin.display(description=_("cast at"))
    def vote_cast_at(self, seat):
        vote = getattr(seat, "vote", None)
        return vote.cast_at if vote else None

    @admin.display(description=_("changed at"))
    def vote_changed_at(self, seat):
        vote = getattr(seat, "vote", None)
        return vote.changed_at if vote else None


class EventInline(ReadOnlyMixin, HROnlyMixin, admin.TabularInline):
    model = ReviewEvent
    fields = ["at", "action", "actor", "note", "data"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = _("audit trail")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(PromotionReview)
class PromotionReviewAdmin(GuardedAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    """Read-only: the review pages do every transition (see the module docstring)."""

    list_display = ["candidate", "levels", "status", "scheduled_for", "decided_at"]
    list_filter = ["status", "track", "to_level"]
    search_fields = ["candidate__user__first_name", "candidate__user__last_name", "candidate__user__username"]
    list_select_related = ["candidate__user", "from_level", "to_level"]
    ordering = ["-requested_at", "-id"]
    inlines = [SeatInline, EventInline]
    fieldsets = [
        (None, {"fields": ["candidate", "track", "from_level", "to_level", "status"]}),
        (_("Request"), {"fields": ["requested_by", "requested_at", "statement", "recommendation"]}),
        (_("Defense"), {"fields": ["scheduled_for", "place", "scheduled_by", "override_reason", "session"]}),
        (_("Decision"), {"fields": ["decided_at", "decided_by", "decision_note", "decision_reasons", "grade_change",
                                   "withdrawn_reason"]}),
    ]

    def get_queryset(self, request):
        return visible_reviews(request.user).select_related(
            "candidate__user", "track", "from_level", "to_level",
            "requested_by", "scheduled_by", "decided_by", "grade_change__level",
        )

    @admin.display(description=_("from → to"), ordering="to_level__rank")
    def levels(self, review):
        return f"{review.from_level} → {review.to_level}"

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"subtitle": READ_ONLY_NOTE, **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(request, object_id, form_url, {"subtitle": READ_ONLY_NOTE, **(extra_context or {})})


@admin.register(DefenseSession)
class DefenseSessionAdmin(GuardedAdminMixin, ReadOnlyMixin, HROnlyMixin, admin.ModelAdmin):
    """Read-only: HR makes sessions and puts defenses in them on the site (/reviews/sessions/)."""

    list_display = ["name", "name_ru", "starts_on", "ends_on", "created_by"]
    list_select_related = ["created_by"]
    search_fields = ["name", "name_ru"]
    date_hierarchy = "starts_on"
    fields = ["name", "name_ru", "starts_on", "ends_on", "created_by", "created_at"]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"subtitle": READ_ONLY_NOTE, **(extra_context or {})})


@admin.register(Vote)
class VoteAdmin(GuardedAdminMixin, ReadOnlyMixin, HROnlyMixin, admin.ModelAdmin):
    list_display = ["review", "role", "member", "value", "cast_at", "changed_at"]
    list_filter = ["value"]
    list_select_related = ["seat__member", "seat__review__candidate__user", "seat__review__from_level",
                           "seat__review__to_level"]
    search_fields = ["seat__review__candidate__user__last_name", "seat__member__last_name"]
    ordering = ["-cast_at", "-id"]

    @admin.display(description=_("review"))
    def review(self, vote):
        return vote.seat.review

    @admin.display(description=_("role"))
    def role(self, vote):
        return vote.seat.get_role_display()

    @admin.display(description=_("member"))
    def member(self, vote):
        return vote.seat.member


@admin.register(ReviewEvent)
class ReviewEventAdmin(GuardedAdminMixin, ReadOnlyMixin, HROnlyMixin, admin.ModelAdmin):
    list_display = ["at", "action", "review", "actor", "short_note"]
    list_filter = ["action"]
    list_select_related = ["review__candidate__user", "review__from_level", "review__to_level", "actor"]
    search_fields = ["review__candidate__user__last_name", "actor__username", "note"]
    ordering = ["-at", "-id"]

    @admin.display(description=_("note"))
    def short_note(self, event):
        return Truncator(event.note).chars(80)


@admin.register(DecisionPolicy)
class DecisionPolicyAdmin(GuardedAdminMixin, SimpleHistoryAdmin):
    """The one decision policy row. A change applies to the decisions recorded after it;
    each decided review's trail names the rule it was decided by."""

    list_display = ["__str__", "rule"]
    fields = ["rule"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
