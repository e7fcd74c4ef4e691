"""What the person's audit trail (grades.trail) shows of their promotion reviews.

Registered in ReviewsConfig.ready(): the events of every review of the person, the
history of the votes cast on them, and the team relations recorded on them (assessments,
colleague feedback asked, withdrawn and given). The trail is HR's page; who voted how is part of
the record there.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from grades.trail import TrailEntry, actor_name, history_entries

from .models import CommitteeSeat, PromotionReview, ReviewEvent, Vote
from .models import FeedbackRequest, RelationsAssessment


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
    entries += relations_entries(review_ids)
    return entries


def relations_entries(review_ids: list[int]) -> list[TrailEntry]:
    """Team relations on the person's reviews: each assessment revision, each feedback request
    asked or withdrawn, each answer (two queries; none without reviews)."""
    entries = []
    for row in RelationsAssessment.objects.filter(review_id__in=review_ids).select_related("author"):
        entries.append(TrailEntry(
            at=row.at,
            actor=actor_name(row.author),
            subject=_("Review #%(id)s: team relations") % {"id": row.review_id},
            action=(_("Assessed team relations as %(role)s") if row.revision == 1
                    else _("Revised the team relations assessment as %(role)s")) % {"role": row.get_role_display()},
            detail=f"{row.get_rating_display()}: {row.note}",
        ))
    requests = FeedbackRequest.objects.filter(review_id__in=review_ids).select_related(
        "colleague__user", "asked_by", "withdrawn_by", "answer__author"
    )
    for request in requests:
        subject = _("Review #%(id)s: team relations") % {"id": request.review_id}
        colleague = str(request.colleague)
        entries.append(TrailEntry(request.asked_at, actor_name(request.asked_by), subject,
                                  _("Asked a colleague for feedback"), colleague))
        if request.withdrawn_at is not None:
            entries.append(TrailEntry(request.withdrawn_at, actor_name(request.withdrawn_by), subject,
                                      _("Withdrew a feedback request"), colleague))
        answer = getattr(request, "answer", None)
        if answer is not None:
            rating = f"{answer.get_rating_display()}: " if answer.rating else ""
            entries.append(TrailEntry(answer.answered_at, actor_name(answer.author), subject,
                                      _("Answered a feedback request"), f"{rating}{answer.text}"))
    return entries
