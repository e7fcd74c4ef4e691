"""The scheduled jobs' events (grades.events), announced with the reminders a run records.

Each planned item that a run inserted its reminder for (so never twice, and never on a
dry run) becomes an event: a person became eligible, a defense coming up needs its
committee's votes, a claim waits for its team lead. Growth goals are not announced.
"""

from __future__ import annotations

import datetime

from grades import events

from . import rules


def _level(level) -> str:
    """A level as events name it: its stored (English) name, whatever the mail shows."""
    return level.name


def _eligible(item: dict) -> events.Event:
    earliest = item["earliest"].isoformat()
    return events.Event(
        type=events.ELIGIBLE,
        key=f"{events.ELIGIBLE}:{item['employee_id']}:{earliest}",
        data={"employee_id": item["employee_id"], "next_level": _level(item["next_level"]), "earliest": earliest},
        path=item["url"],
    )


def _vote_needed(item: dict, roles: list[str]) -> events.Event:
    when: datetime.datetime = item["when"]
    return events.Event(
        type=events.VOTE_NEEDED,
        key=f"{events.VOTE_NEEDED}:{item['review_id']}:{rules.defense_key(when)}",
        data={
            "review_id": item["review_id"],
            "from_level": _level(item["from_level"]),
            "to_level": _level(item["to_level"]),
            "scheduled_for": events.moment(when),
            "seats": roles,
        },
        path=item["url"],
    )


def _claim_waiting(item: dict, reminder_key: str) -> events.Event:
    # The reminder's key is the day it is sent: a claim is announced again a week later.
    return events.Event(
        type=events.CLAIM_WAITING,
        key=f"{events.CLAIM_WAITING}:{item['claim_id']}:{reminder_key}",
        data={
            "claim_id": item["claim_id"],
            "employee_id": item["employee_id"],
            "claimed_on": item["claimed_on"].isoformat(),
            "days_waiting": item["days_waiting"],
        },
        path=item["url"],
    )


def planned_announce(mails) -> None:
    """Announce what the run's kept mails tell of; call in the run's transaction.

    A defense reminded to several members is one event, listing the seats (roles, not
    people) reminded of it in this run.
    """
    found: list[events.Event] = []
    seats: dict[int, tuple[dict, list[str]]] = {}
    for mail in mails:
        for reminder, item in mail.entries:
            if mail.template == "eligible":
                found.append(_eligible(item))
            elif mail.template == "claims":
                found.append(_claim_waiting(item, reminder.key))
            elif mail.template == "defenses":
                seats.setdefault(item["review_id"], (item, []))[1].append(item["seat"])
    found += [_vote_needed(item, sorted(roles)) for item, roles in seats.values()]
    # One announcement for the run: a listener costs the same few queries however many there are.
    events.announce(*found)
