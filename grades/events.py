"""
Events: things that happened which something outside the product may want to hear of.

The services that make them happen (a defense scheduled or decided) and the scheduled
jobs that notice them (a person became eligible, a claim waits, a defense needs its
votes) announce each one here, inside the transaction of the write that records it,
beside the mail they queue for after the commit. Whoever listens (the `webhooks` app
puts a delivery in its outbox) writes in that same transaction: a rolled-back write
leaves nothing behind, and a listener that fails rolls the write back with it.

The core only carries the events; it imports none of the apps that announce or hear
them. An event carries ids, levels, dates and a link, never names or addresses: what it
says must be safe to post where more people read than those who may open the link.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFENSE_SCHEDULED = "defense.scheduled"
VOTE_NEEDED = "defense.vote_needed"
DECISION = "defense.decided"
ELIGIBLE = "person.eligible"
CLAIM_WAITING = "claim.waiting"

# Every event type, with what a person choosing among them reads.
TYPES = {
    DEFENSE_SCHEDULED: _("Defense scheduled or moved"),
    VOTE_NEEDED: _("Defense coming up: the committee's votes are needed"),
    DECISION: _("Defense decided"),
    ELIGIBLE: _("Person became eligible for a defense"),
    CLAIM_WAITING: _("Claim waiting for the team lead's decision"),
}

# A fixed namespace: the same event key gives the same event id in every process.
_NAMESPACE = uuid.UUID("6f1c2a52-2f0e-4c39-9a55-3b8f4f0d7e21")


@dataclass(frozen=True)
class Event:
    """One event. `key` names it uniquely ("defense.decided:12"): announcing the same key
    twice is announcing the same event, and a listener keeps it once. `data` holds plain
    JSON values only; `path` is the page it is about ("/reviews/12/")."""

    type: str
    key: str
    data: dict
    path: str
    occurred_at: datetime.datetime = field(default_factory=timezone.now)

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"unknown event type {self.type!r}")
        if not self.key.startswith(self.type + ":"):
            raise ValueError(f"an event key starts with its type: {self.key!r}")

    @property
    def id(self) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, self.key)


# Sent with `events`, a list of Event; receivers run inside the announcing transaction.
announced = Signal()


def announce(*events: Event) -> None:
    """Tell the listeners of `events` (one call for a batch, so a listener reads what it needs
    once). Call inside the transaction of the write they report; an exception of a listener
    propagates and rolls that write back. Announcing nothing tells nobody."""
    if events:
        announced.send(sender=Event, events=list(events))


def moment(value: datetime.datetime) -> str:
    """A moment as events carry it: ISO 8601 in UTC, to the second."""
    return value.astimezone(datetime.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
