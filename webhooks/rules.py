"""Pure rules of webhook delivery: signatures, back-off, which answers are worth retrying."""

from __future__ import annotations

import datetime
import hashlib
import hmac

SIGNATURE_HEADER = "X-Gradesys-Signature"
# The receiver's idempotency key: the same for every attempt of one delivery.
DELIVERY_HEADER = "X-Gradesys-Delivery"
EVENT_HEADER = "X-Gradesys-Event"

# The longest wait between two attempts, however many failed before.
MAX_BACKOFF = datetime.timedelta(hours=6)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def signature_valid(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver checks: a well-formed header, a recent timestamp and the same HMAC."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


def next_attempt_delay(attempts: int, *, base_seconds: int) -> datetime.timedelta:
    """The wait after the `attempts`-th failed attempt: base, 2×base, 4×base, …, at most MAX_BACKOFF."""
    if attempts < 1:
        raise ValueError("attempts counts from 1")
    seconds = base_seconds * 2 ** min(attempts - 1, 30)
    return min(datetime.timedelta(seconds=seconds), MAX_BACKOFF)


def retryable(status_code: int | None) -> bool:
    """A network failure (None), a timeout, throttling or a server error may pass later; any other
    refusal (a wrong address, a removed hook, a malformed request) will not."""
    if status_code is None:
        return True
    return status_code in (408, 425, 429) or status_code >= 500
