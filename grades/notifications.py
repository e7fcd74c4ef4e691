"""E-mail about people's claims. Called from transaction.on_commit, so mail never announces a rolled-back change."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mass_mail
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def claims_withdrawn(evidence_ids: list[int], *, reason: str) -> None:
    """Tell each developer, and each of their team leads, which waiting claims were withdrawn and why.

    One mail per recipient, listing their claims (a team lead: their reports'). People
    without an address, or whose account is inactive, are left out. A mail server
    outage is logged with the claim ids only and does not undo the change, which is
    committed already.
    """
    from .models import Evidence

    claims = list(
        Evidence.objects.filter(pk__in=evidence_ids)
        .select_related("employee__user", "employee__team_lead__user", "requirement")
        .order_by("employee__user__last_name", "employee_id", "pk")
    )
    by_recipient: dict[int, tuple] = {}
    for claim in claims:
        employee = claim.employee
        recipients = [(employee.user, False)]
        if employee.team_lead_id is not None:
            recipients.append((employee.team_lead.user, True))
        for user, as_lead in recipients:
            if not user.is_active or not user.email:
                continue
            entry = by_recipient.setdefault((user.pk, as_lead), (user, as_lead, []))
            entry[2].append(claim)
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for user, as_lead, items in by_recipient.values():
            context = {"recipient": user, "as_lead": as_lead, "claims": items, "reason": reason}
            subject = " ".join(render_to_string("grades/mail/claims_withdrawn_subject.txt", context).split())
            body = render_to_string("grades/mail/claims_withdrawn.txt", context)
            messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]))
    if not messages:
        return
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:
        logger.exception("Could not send the mail about withdrawn claims %s", evidence_ids)
