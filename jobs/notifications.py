"""Mail from the scheduled jobs. Called from transaction.on_commit, once the reminders are recorded."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def render(mail) -> tuple[str, str]:
    """Subject and body of a planned mail, in the site's language (the recipient has no other)."""
    with translation.override(settings.LANGUAGE_CODE):
        context = {"recipient": mail.recipient, "items": mail.items}
        subject = " ".join(render_to_string(f"jobs/mail/{mail.template}_subject.txt", context).split())
        body = render_to_string(f"jobs/mail/{mail.template}.txt", context)
    return subject, body


def send_planned(job: str, mails) -> None:
    """Send each mail on one connection; one failing address does not stop the others.

    Failures are logged with the job and reminder ids only: no names, no addresses.
    """
    if not mails:
        return
    try:
        connection = get_connection(fail_silently=False)
        connection.open()
    except Exception:
        logger.exception(
            "%s: could not reach the mail server; %s mail(s) not sent (reminders %s)",
            job, len(mails), [pk for mail in mails for pk in mail.reminder_ids],
        )
        return
    try:
        for mail in mails:
            try:
                subject, body = render(mail)
                EmailMessage(
                    subject, body, settings.DEFAULT_FROM_EMAIL, [mail.recipient.email], connection=connection
                ).send()
            except Exception:
                logger.exception("%s: could not send a %s mail (reminders %s)", job, mail.template, mail.reminder_ids)
    finally:
        connection.close()
