"""The chat format's text: one readable sentence per event, in the site's language, and its link.

Written from the delivery's payload when it is sent, so it says no more than the event
carries (ids, levels, dates, an outcome); names stay behind the link, which asks the
reader to sign in.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from grades import events


def _when(value: str) -> str:
    """The day in the language's format, the time on the 24-hour clock and the zone (TIME_ZONE)."""
    moment = parse_datetime(value)
    if moment is None:
        return value
    local = timezone.localtime(moment)
    return f"{date_format(local, 'DATE_FORMAT')}, {date_format(local, 'H:i T')}"


def _day(value: str) -> str:
    try:
        return date_format(datetime.date.fromisoformat(value), "DATE_FORMAT")
    except ValueError:
        return value


def _escape(text: str) -> str:
    """Slack reads &, < and > as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sentence(event_type: str, data: dict) -> str:
    """The event as a sentence; call with the site's language active."""
    if event_type == events.DEFENSE_SCHEDULED:
        text = _("Defense #%(id)s (%(track)s, %(from)s → %(to)s) was moved to %(when)s.") if data.get("moved") else \
            _("Defense #%(id)s (%(track)s, %(from)s → %(to)s) is scheduled for %(when)s.")
        return text % {"id": data["review_id"], "track": data["track"], "from": data["from_level"],
                       "to": data["to_level"], "when": _when(data["scheduled_for"])}
    if event_type == events.VOTE_NEEDED:
        return _("Defense #%(id)s (%(from)s → %(to)s) takes place on %(when)s: %(seats)s committee "
                 "seat(s) will vote.") % {
            "id": data["review_id"], "from": data["from_level"], "to": data["to_level"],
            "when": _when(data["scheduled_for"]), "seats": len(data.get("seats", [])),
        }
    if event_type == events.DECISION:
        text = _("Defense #%(id)s (%(track)s, %(from)s → %(to)s) passed.") if data["outcome"] == "passed" else \
            _("Defense #%(id)s (%(track)s, %(from)s → %(to)s) failed.")
        return text % {"id": data["review_id"], "track": data["track"], "from": data["from_level"],
                       "to": data["to_level"]}
    if event_type == events.ELIGIBLE:
        return _("Person #%(id)s may defend %(level)s from %(day)s.") % {
            "id": data["employee_id"], "level": data["next_level"], "day": _day(data["earliest"])}
    if event_type == events.CLAIM_WAITING:
        return _("Claim #%(id)s of person #%(person)s has waited %(days)s day(s) for the team lead's "
                 "decision.") % {"id": data["claim_id"], "person": data["employee_id"], "days": data["days_waiting"]}
    return event_type


def chat_text(payload: dict) -> str:
    """The `text` of the chat format: the sentence and, after it, the link (Slack's <url|label>)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = _escape(sentence(payload["type"], payload["data"]))
        url = payload.get("url") or ""
        if url:
            text += f" <{_escape(url)}|{_escape(_('Open'))}>"
    return text
