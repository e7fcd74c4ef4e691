"""
The webhook outbox: events queued in the transaction that caused them, sent after it.

Queueing (`on_events`, connected to grades.events.announced) inserts one Delivery per
active endpoint subscribed to the event's type, in the announcing transaction; the
unique (endpoint, event id) makes a second announcement of the same event a no-op.

Sending (`deliveries_send`, the `send_webhooks` command) is left to the scheduled job,
not tried from the request after commit: a page never waits on a slow chat server, and
there is one way out for every delivery, first attempt and retry alike. Each delivery is
claimed with one conditional UPDATE (pending and due, or claimed by a sender whose lease
ran out) that only one sender can win, then posted outside any transaction with a short
timeout, and its outcome written back by the sender holding the claim. A failure that may
pass (network, timeout, 408/425/429, 5xx) is retried with exponential back-off up to
WEBHOOKS_MAX_ATTEMPTS; any other answer fails the delivery at once. Every attempt is kept
(DeliveryAttempt).

Delivery is at least once: a sender that dies after the receiver answered and before it
recorded the answer leaves the row to be sent again when its lease runs out. Each
delivery carries its own id in the X-Gradesys-Delivery header, the same on every
attempt, so the receiver can drop a repeat.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from common.links import absolute_url
from grades import events

from . import messages, rules
from .models import Delivery, DeliveryAttempt, DeliveryStatus, Endpoint, EndpointFormat

logger = logging.getLogger(__name__)

USER_AGENT = "gradesys-webhooks/1"
# An answer's body is read only this far: nothing in it is used.
_READ_LIMIT = 4096


# --- Queue ----------------------------------------------------------------------------------------


def on_events(sender, **kwargs) -> None:
    deliveries_queue(batch=kwargs["events"])


def event_payload(event: events.Event) -> dict:
    """The event as the signed format posts it (and the chat format reads it)."""
    return {
        "id": str(event.id),
        "type": event.type,
        "time": events.moment(event.occurred_at),
        "data": event.data,
        "url": absolute_url(event.path),
    }


def deliveries_queue(*, batch: list[events.Event]) -> int:
    """Put each event in the outbox of each active endpoint that receives its type; how many
    rows were offered (those there already are ignored).

    Call inside the transaction of the write that caused the events: the rows commit or roll
    back with it. Queries: the endpoints, and one INSERT when any receives one of them.
    """
    endpoints = list(Endpoint.objects.active())
    now = timezone.now()
    rows = [
        Delivery(
            endpoint=endpoint, event_id=event.id, event_type=event.type, event_key=event.key[:200],
            payload=event_payload(event), next_attempt_at=now, created_at=now,
        )
        for event in batch
        for endpoint in endpoints
        if endpoint.receives(event.type)
    ]
    if not rows:
        return 0
    # Sorted, so that two transactions queueing the same events take the unique index's locks
    # in the same order. An event announced twice finds its rows there: ignored, never queued again.
    rows.sort(key=lambda row: (row.endpoint.pk, str(row.event_id)))
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# --- Send -----------------------------------------------------------------------------------------


@dataclass
class SendResult:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    taken_by_another: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: the POST is not repeated elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _timeout() -> float:
    return float(getattr(settings, "WEBHOOKS_TIMEOUT", 5.0))


def _max_attempts() -> int:
    return int(getattr(settings, "WEBHOOKS_MAX_ATTEMPTS", 12))


def _lease() -> datetime.timedelta:
    """How long a claim holds: well past the longest a POST can take."""
    return datetime.timedelta(seconds=60 + 4 * _timeout())


def request_for(delivery: Delivery, *, now: datetime.datetime) -> urllib.request.Request:
    """The POST of a delivery in its endpoint's format, with its id, type and (signed) signature."""
    endpoint = delivery.endpoint
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        rules.DELIVERY_HEADER: str(delivery.uuid),
        rules.EVENT_HEADER: delivery.event_type,
    }
    if endpoint.format == EndpointFormat.SLACK:
        body = json.dumps({"text": messages.chat_text(delivery.payload)}, ensure_ascii=False).encode("utf-8")
    else:
        body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers[rules.SIGNATURE_HEADER] = rules.signature(endpoint.secret, int(now.timestamp()), body)
    return urllib.request.Request(endpoint.url, data=body, headers=headers, method="POST")


def _post(request: urllib.request.Request) -> Outcome:
    """POST once; the answer's status, or what went wrong (never the URL, which may hold a token)."""
    started = time.monotonic()
    status, error = None, ""
    try:
        with _opener.open(request, timeout=_timeout()) as response:
            response.read(_READ_LIMIT)
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
        exc.close()
    except urllib.error.URLError as exc:
        error = f"{type(exc.reason).__name__}: {exc.reason}" if not isinstance(exc.reason, str) else exc.reason
    except (TimeoutError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    return Outcome(status, error[:300], int((time.monotonic() - started) * 1000))


def _due(now: datetime.datetime, limit: int) -> list[int]:
    """Ids of deliveries to try now, oldest due first: pending and due, or claimed by a
    sender whose lease ran out. Index webhook_delivery_due."""
    return list(
        Delivery.objects.filter(
            Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, lease_until__lt=now),
            endpoint__is_active=True,
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def delivery_claim(pk: int, *, now: datetime.datetime) -> uuid.UUID | None:
    """Take delivery `pk` for this sender, or None when another sender has it (or it is done).

    One UPDATE whose WHERE repeats the due condition: of two senders only one changes the
    row (on MariaDB the second waits for the first's row lock, then finds the row no longer
    matches; SQLite runs writes one at a time). The attempt is counted here, so a sender
    that dies mid-way still uses one up.
    """
    claim = uuid.uuid4()
    taken = Delivery.objects.filter(
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, lease_until__lt=now),
        pk=pk,
    ).update(status=DeliveryStatus.SENDING, claim=claim, lease_until=now + _lease(), attempts=F("attempts") + 1)
    return claim if taken else None


def _record(delivery: Delivery, claim: uuid.UUID, outcome: Outcome, *, started_at, now) -> str:
    """Write the attempt and the delivery's new state, if this sender still holds the claim."""
    if outcome.ok:
        status, next_at, done_at = DeliveryStatus.DELIVERED, delivery.next_attempt_at, now
    elif rules.retryable(outcome.status_code) and delivery.attempts < _max_attempts():
        delay = rules.next_attempt_delay(delivery.attempts, base_seconds=int(getattr(settings, "WEBHOOKS_RETRY_SECONDS", 60)))
        status, next_at, done_at = DeliveryStatus.PENDING, now + delay, None
    else:
        status, next_at, done_at = DeliveryStatus.FAILED, delivery.next_attempt_at, None
    with transaction.atomic():
        kept = Delivery.objects.filter(pk=delivery.pk, claim=claim).update(
            status=status, next_attempt_at=next_at, delivered_at=done_at, lease_until=None, claim=None,
            last_status_code=outcome.status_code, last_error=outcome.error,
        )
        if kept:
            # Numbered over the delivery's whole life: `attempts` starts again when a failed
            # delivery is sent again (deliveries_retry_failed), the log does not.
            number = DeliveryAttempt.objects.filter(delivery=delivery).count() + 1
            DeliveryAttempt.objects.create(
                delivery=delivery, number=number, started_at=started_at,
                duration_ms=outcome.duration_ms, status_code=outcome.status_code, error=outcome.error,
                succeeded=outcome.ok,
            )
    if not kept:
        return "lost"
    if not outcome.ok:
        # Ids and the answer only: the URL may carry a token, the body a person's id.
        logger.warning("Webhook delivery %s to endpoint %s, attempt %s: %s (%s)",
                       delivery.uuid, delivery.endpoint_id, delivery.attempts,
                       outcome.status_code or outcome.error, status)
    return status


def deliveries_retry_failed(*, now: datetime.datetime | None = None) -> int:
    """Give the failed deliveries of active endpoints a new round of attempts, due now; how many.

    For after a receiver's long outage or a fixed URL: the next send posts them again, under
    the same delivery ids, so a receiver that did get one can tell.
    """
    return Delivery.objects.filter(status=DeliveryStatus.FAILED, endpoint__is_active=True).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now or timezone.now(),
    )


def deliveries_send(*, now: datetime.datetime | None = None, limit: int = 100) -> SendResult:
    """Send up to `limit` due deliveries, each by one sender only, and record each attempt.

    Call outside a transaction (as the command does): the POSTs are made with no lock held.
    `now` is the moment the run takes as the present (a test runs the clock forward).
    """
    clock = (lambda: now) if now is not None else timezone.now
    result = SendResult()
    for pk in _due(clock(), limit):
        moment = clock()
        claim = delivery_claim(pk, now=moment)
        if claim is None:
            result.taken_by_another += 1
            continue
        delivery = Delivery.objects.select_related("endpoint").get(pk=pk)
        if delivery.attempts > _max_attempts():
            # Claimed again after a sender died holding its last attempt: no more tries.
            outcome = Outcome(None, "no attempts left", 0)
        else:
            outcome = _post(request_for(delivery, now=moment))
        status = _record(delivery, claim, outcome, started_at=moment, now=clock())
        if status == DeliveryStatus.DELIVERED:
            result.delivered += 1
        elif status == DeliveryStatus.PENDING:
            result.retrying += 1
        elif status == DeliveryStatus.FAILED:
            result.failed += 1
        else:
            result.taken_by_another += 1
    return result
