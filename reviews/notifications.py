"""E-mail about reviews. Called from transaction.on_commit, so mail never announces a rolled-back change.

Each mail is in the site's language, one per recipient; a defense's invitation carries
its calendar event (reviews.ics). Nothing is recorded of a mail: the review's own
trail already holds the change each one announces.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from common.links import absolute_url
from grades.roles import HR

from . import ics

logger = logging.getLogger(__name__)


def _render(template: str, context: dict) -> tuple[str, str]:
    subject = " ".join(render_to_string(f"reviews/mail/{template}_subject.txt", context).split())
    body = render_to_string(f"reviews/mail/{template}.txt", context)
    return subject, body


def _deliver(review, template: str, messages: list[EmailMessage]) -> None:
    if not messages:
        return
    try:
        get_connection(fail_silently=False).send_messages(messages)
    except Exception:
        # The change itself is committed; a mail server outage must not turn it into an error page.
        # Only the review id is logged, no names or addresses.
        logger.exception("Could not send '%s' mail for review %s", template, review.pk)


def _addresses(recipients) -> list[str]:
    return sorted({address for address in recipients if address})


def _send(review, template: str, recipients: list[str], extra: dict | None = None) -> None:
    recipients = _addresses(recipients)
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _render(template, {"review": review, **(extra or {})})
    _deliver(review, template, [
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in recipients
    ])


def _review(review_id: int):
    from .models import PromotionReview

    return (
        PromotionReview.objects.with_people()
        .prefetch_related("seats__member")
        .get(pk=review_id)
    )


def hr_addresses() -> list[str]:
    """The addresses of the active people in the HR group."""
    return list(
        get_user_model().objects.filter(is_active=True, groups__name=HR).exclude(email="")
        .values_list("email", flat=True).distinct()
    )


def defense_requested(review_id: int) -> None:
    """HR is told that a defense is asked for and waits to be scheduled."""
    review = _review(review_id)
    _send(review, "requested", hr_addresses())


def votes_complete(review_id: int) -> None:
    """HR is told that the last seat has voted: the review waits for the decision."""
    review = _review(review_id)
    _send(review, "ready", hr_addresses())


def _sequence(review) -> int:
    """How often the defense was moved: the calendar event's revision number."""
    from .models import ReviewEvent

    return review.events.filter(action=ReviewEvent.Action.MOVED).count()


def defense_scheduled(review_id: int, *, moved: bool = False) -> None:
    """The committee and the candidate are invited (or told of the new date), each mail with
    the defense as a calendar event."""
    review = _review(review_id)
    sequence = _sequence(review)
    committee = _addresses(seat.member.email for seat in review.seats.all())
    candidate = review.candidate.user.email
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        # Level names in the mail's language, as in its text.
        description = "{} → {}\n{}".format(review.from_level, review.to_level, absolute_url(review.get_absolute_url()))
        for addresses, as_candidate in ((committee, False), (_addresses([candidate]), True)):
            context = {"review": review, "moved": moved, "as_candidate": as_candidate}
            subject, body = _render("scheduled", context)
            summary = " ".join(render_to_string("reviews/mail/scheduled_event.txt", context).split())
            for address in addresses:
                if as_candidate and address in committee:
                    continue
                message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
                message.attach(
                    ics.FILENAME,
                    ics.invitation(review, summary=summary, description=description, attendee=address,
                                        sequence=sequence),
                    ics.CONTENT_TYPE,
                )
                messages.append(message)
    _deliver(review, "scheduled", messages)


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
