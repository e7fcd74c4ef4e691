"""The calendar invitation of a defense: an iCalendar (RFC 5545) file attached to its mail.

A handful of lines, written here rather than with a library: one VEVENT, times in UTC
(the trailing Z), so no VTIMEZONE block is needed and every calendar shows the defense
in its reader's own zone. The UID is the review's, so a moved defense replaces the
event in the reader's calendar (a higher SEQUENCE) instead of adding a second one.
"""

from __future__ import annotations

import datetime
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings

from common.links import absolute_url

# Django adds the charset (utf-8) when it attaches the text.
CONTENT_TYPE = "text/calendar; method=REQUEST"
FILENAME = "invite.ics"
# How long a defense is booked for in the calendar (the product keeps no end time).
DEFENSE_LENGTH = datetime.timedelta(hours=1)


def escape_text(value: str) -> str:
    """A TEXT value escaped per RFC 5545 3.3.11: backslash, semicolon, comma, newline."""
    value = str(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line folded at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        while end < len(encoded) and (encoded[end] & 0xC0) == 0x80:  # a continuation byte
            end -= 1
        parts.append(encoded[start:end].decode("utf-8"))
        start, limit = end, 74  # continuation lines begin with a space
    return "\r\n ".join(parts)


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def uid(review) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "gradesys"
    return f"review-{review.pk}@{host}"


def invitation(review, *, summary: str, description: str, attendee: str = "", sequence: int = 0,
               stamp: datetime.datetime | None = None) -> str:
    """The VCALENDAR text (CRLF line ends) inviting `attendee` (an address) to the scheduled
    defense of `review`; the site's sender address is the organizer."""
    start = review.scheduled_for
    stamp = stamp or datetime.datetime.now(datetime.timezone.utc)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//gradesys//defense//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{uid(review)}",
        f"SEQUENCE:{int(sequence)}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(start)}",
        f"DTEND:{_utc(start + DEFENSE_LENGTH)}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"URL:{absolute_url(review.get_absolute_url())}",
    ]
    organizer = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    if organizer:
        lines.append(f"ORGANIZER:mailto:{organizer}")
    if attendee:
        lines.append(f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:{attendee}")
    if review.place:
        lines.append(f"LOCATION:{escape_text(review.place)}")
    lines += ["STATUS:CONFIRMED", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)
