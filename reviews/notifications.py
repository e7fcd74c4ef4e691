"""E-mail about reviews. Called from transaction.on_commit, so mail never announces a rolled-back change."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mass_mail
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def _send(review, template: str, recipients: list[str], extra: dict | None = None) -> None:
    recipients = sorted({address for address in recipients if address})
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {"review": review, **(extra or {})}
        subject = " ".join(render_to_string(f"reviews/mail/{template}_subject.txt", context).split())
        body = render_to_string(f"reviews/mail/{template}.txt", context)
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in recipients]
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:
        # The change itself is committed; a mail server outage must not turn it into an error page.
        # Only the review id is logged, no names or addresses.
        logger.exception("Could not send '%s' mail for review %s", template, review.pk)


def _review(review_id: int):
    from .models import PromotionReview

    return (
        PromotionReview.objects.with_people()
        .prefetch_related("seats__member")
        .get(pk=review_id)
    )


def defense_scheduled(review_id: int, *, moved: bool = False) -> None:
    review = _review(review_id)
    _send(review, "scheduled", [seat.member.email for seat in review.seats.all()], {"moved": moved})


def defense_cancelled(review_id: int) -> None:
    review = _review(review_id)
    _send(review, "cancelled", [seat.member.email for seat in review.seats.all()])


def review_decided(review_id: int) -> None:
    review = _review(review_id)
    recipients = [review.candidate.user.email]
    if review.candidate.team_lead_id:
        recipients.append(review.candidate.team_lead.user.email)
    from . import rules

    # The reasons per criterion, labelled in the mail's language (the labels are lazy).
    reasons = [(label, review.decision_reasons[key]) for key, label in rules.CRITERIA
               if (review.decision_reasons or {}).get(key)]
    _send(review, "decided", recipients, {"reasons": reasons})


def feedback_requested(request_id: int) -> None:
    """The colleague HR asked for feedback on a candidate's team relations."""
    from .models import FeedbackRequest

    feedback_request = FeedbackRequest.objects.select_related("colleague__user").get(pk=request_id)
    review = _review(feedback_request.review_id)
    _send(review, "feedback_requested", [feedback_request.colleague.user.email], {"feedback_request": feedback_request})
