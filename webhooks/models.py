"""Webhook endpoints and the outbox of deliveries to them.

An event (grades.events) becomes one Delivery per active endpoint subscribed to its type,
inserted in the transaction of the write that caused it; `send_webhooks` sends them after
the commit and records every attempt. The unique (endpoint, event id) keeps an event from
being queued twice for one endpoint, whoever announces it again.
"""

from __future__ import annotations

import secrets
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from grades import events


def new_secret() -> str:
    return secrets.token_hex(32)


class EndpointFormat(models.TextChoices):
    SLACK = "slack", _("Chat message (Slack-compatible {\"text\": …})")
    SIGNED = "signed", _("Signed JSON (event type, id, time and data; HMAC-SHA256 header)")


class EndpointQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Endpoint(models.Model):
    """Where events are posted. Changed in Django admin only, whose log records each change."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("The address the events are posted to, e.g. a Slack incoming webhook."),
    )
    format = models.CharField(_("format"), max_length=10, choices=EndpointFormat.choices,
                              default=EndpointFormat.SLACK)
    secret = models.CharField(
        _("signing secret"), max_length=128, default=new_secret,
        help_text=_("Signs the signed JSON format (HMAC-SHA256); give the receiver the same value. "
                    "Never shown in logs."),
    )
    events = models.JSONField(_("events"), default=list, blank=True,
                              help_text=_("The event types this endpoint receives."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        constraints = [
            models.CheckConstraint(condition=models.Q(format__in=EndpointFormat.values),
                                   name="webhook_endpoint_format_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if not isinstance(self.events, list) or any(kind not in events.TYPES for kind in self.events):
            raise ValidationError({"events": _("Choose among the listed event types.")})
        if len(self.secret or "") < 16:
            raise ValidationError({"secret": _("The signing secret needs at least 16 characters.")})

    def receives(self, event_type: str) -> bool:
        return self.is_active and event_type in (self.events or [])


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed for good")


class Delivery(models.Model):
    """One event for one endpoint: the outbox row, and what became of it.

    `payload` is the event as the signed format posts it, fixed when queued; a chat message
    is written from it when sent. A sender claims the row with one conditional UPDATE
    (status and lease): two senders never post the same delivery, and a sender that died
    mid-way lets another take the row once its lease has run out.
    """

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 verbose_name=_("endpoint"))
    event_id = models.UUIDField(_("event id"))
    event_type = models.CharField(_("event type"), max_length=40)
    event_key = models.CharField(_("event key"), max_length=200)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claim = models.UUIDField(_("claim"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("queued at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once"),
            models.CheckConstraint(condition=models.Q(status__in=DeliveryStatus.values),
                                   name="webhook_delivery_status_valid"),
        ]
        # The sender's query: due rows by status and time.
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"

    @property
    def uuid(self) -> uuid.UUID:
        """The delivery's id, sent on every attempt for the receiver to drop repeats: made from
        the event's id and the endpoint's, so it needs no column (and no second unique index for
        concurrent inserts to lock)."""
        return uuid.uuid5(self.event_id, str(self.endpoint_id))


class DeliveryAttempt(models.Model):
    """One POST of a delivery: when, how long, the answer's status or the error."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log",
                                 verbose_name=_("delivery"))
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    succeeded = models.BooleanField(_("succeeded"))

    class Meta:
        ordering = ["delivery_id", "number"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_once"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error}"
