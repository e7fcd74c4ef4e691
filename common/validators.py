"""Validators shared by the apps' forms and models."""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2999, 12, 31)


def validate_calendar_date(value: datetime.date) -> None:
    """Dates the product counts with: a few months added to them must still be a date.

    Without a bound, a date near 9999-12-31 turns into an overflow (a server error)
    wherever the rules add months or a day to it.
    """
    if value is None:
        return
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(
            _("Enter a date between %(first)s and %(last)s."),
            code="date_out_of_range",
            params={"first": EARLIEST_DATE.isoformat(), "last": LATEST_DATE.isoformat()},
        )


# --- Links ------------------------------------------------------------------------------------

# Invisible characters that reorder the text around them: the embeddings and
# overrides (U+202A–U+202E), the isolates (U+2066–U+2069) and the marks (U+200E,
# U+200F, U+061C). In a link they make the address read differently from where it
# leads ("https://example.com/‮gpj.exe" shows as ".../exe.jpg"); a real address
# never needs them.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e" "\u2066\u2067\u2068\u2069" "\u200e\u200f\u061c"
)
_BIDI_ESCAPES = {ord(ch): f"\\u{ord(ch):04x}" for ch in BIDI_CONTROLS}

MAX_LINK_LENGTH = 500


def has_bidi_controls(value: str) -> bool:
    return any(ch in BIDI_CONTROLS for ch in value or "")


def show_bidi_controls(value: str) -> str:
    """`value` with each direction-control character written out as its escape (\\u202e).

    For showing text stored before such characters were refused: the reader sees
    that they are there, and they no longer reorder what surrounds them.
    """
    return (value or "").translate(_BIDI_ESCAPES)


def validate_link(value: str) -> None:
    """An http(s) address a person may store as a link (evidence, packets).

    At most MAX_LINK_LENGTH characters, http or https only, and no direction-control
    characters (see BIDI_CONTROLS).
    """
    from django.core.validators import URLValidator

    link = value or ""
    shown = show_bidi_controls(link[:80])
    if has_bidi_controls(link):
        raise ValidationError(
            _("“%(link)s” contains invisible characters that change the direction of text; "
              "remove them and paste the address again."),
            code="bidi_controls",
            params={"link": shown},
        )
    if len(link) > MAX_LINK_LENGTH:
        # The limit is written out in the message so it shares the service's translation.
        raise ValidationError(_("A link is longer than 500 characters."), code="too_long")
    try:
        URLValidator(schemes=["http", "https"])(link)
    except ValidationError:
        raise ValidationError(
            _("“%(link)s” is not an http(s) link."), code="invalid", params={"link": shown}
        ) from None
