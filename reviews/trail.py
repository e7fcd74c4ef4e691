"""What the person's audit trail (grades.trail) shows of their promotion reviews.

Registered in ReviewsConfig.ready(): the events of every review of the person, and the
history of the votes cast on them. The trail is HR's page; who voted how is part of
the record there.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from grades.trail import TrailEntry, actor_name, history_entries

from .models import CommitteeSeat, PromotionReview, ReviewEvent, Vote


def review_trail(employee) -> list[TrailEntry]:
    """The person's review events and the votes on their reviews, in three queries."""
    review_ids = list(PromotionReview.objects.filter(candidate=employee).values_list("pk", flat=True))
    entries = [
        TrailEntry(
            at=event.at,
            actor=actor_name(event.actor),
            subject=_("Review #%(id)s → %(level)s") % {"id": event.review_id, "level": event.review.to_level},
            action=event.get_action_display(),
            detail=event.note,
        )
        for event in ReviewEvent.objects.filter(review_id__in=review_ids).select_related("actor", "review__to_level")
    ]
    seats = dict(CommitteeSeat.objects.filter(review_id__in=review_ids).values_list("pk", "review_id"))
    entries += history_entries(
        Vote.history.filter(seat_id__in=list(seats)).select_related("history_user").order_by("history_date"),
        lambda r: _("Vote on review #%(id)s: %(vote)s") % {"id": seats.get(r.seat_id), "vote": r.value},
    )
    return entries
