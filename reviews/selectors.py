"""Reads about reviews: who sees which, and the failed defenses that start a cool-down."""

from __future__ import annotations

import datetime

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from grades.roles import HR, user_has_role

from .models import PromotionReview, ReviewStatus


def last_failed_defense_date(employee) -> datetime.date | None:
    """The day of the person's latest failed defense (the cool-down counts from it)."""
    decided = (
        PromotionReview.objects.filter(candidate=employee, status=ReviewStatus.FAILED)
        .aggregate(last=Max("decided_at"))["last"]
    )
    return timezone.localdate(decided) if decided else None


def failed_defense_dates(employee_ids) -> dict[int, datetime.date]:
    rows = (
        PromotionReview.objects.filter(candidate_id__in=list(employee_ids), status=ReviewStatus.FAILED)
        .values("candidate_id")
        .annotate(last=Max("decided_at"))
    )
    return {row["candidate_id"]: timezone.localdate(row["last"]) for row in rows}


def visible_reviews(user) -> QuerySet[PromotionReview]:
    """HR sees every review; others their own, their reports' and those they sit on."""
    qs = PromotionReview.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user_has_role(user, HR):
        return qs
    return qs.filter(
        Q(candidate__user=user) | Q(candidate__team_lead__user=user) | Q(seats__member=user)
    ).distinct()
