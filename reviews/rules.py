"""Pure decisions about promotion reviews: who may request, and how the committee's votes decide."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable

MAJORITY = "majority"
UNANIMOUS = "unanimous"
DECISION_RULES = (MAJORITY, UNANIMOUS)


def outcome(votes: Iterable[str], rule: str = MAJORITY) -> bool:
    """True when the votes pass the candidate.

    majority: approvals outnumber rejections; abstentions are not counted; a tie fails.
    unanimous: nobody rejects and at least one member approves.
    """
    counts = Counter(votes)
    approve, reject = counts.get("approve", 0), counts.get("reject", 0)
    if rule == MAJORITY:
        return approve > reject
    if rule == UNANIMOUS:
        return reject == 0 and approve > 0
    raise ValueError(f"Unknown decision rule {rule!r}; expected one of {', '.join(DECISION_RULES)}.")


def request_refusal(
    *,
    current_rank: int | None,
    target_rank: int,
    top_rank: int,
    target_entry_only: bool,
    earliest: datetime.date | None,
    today: datetime.date,
    probation_end: datetime.date | None,
    has_open_review: bool,
) -> str | None:
    """Why a defense of `target_rank` cannot be requested today, or None when it can."""
    from django.utils.translation import gettext as _

    if current_rank is None:
        return _("The person has no grade yet.")
    if current_rank >= top_rank:
        return _("The person is at the top of the ladder.")
    if target_rank != current_rank + 1:
        return _("Grades are passed in order: only the next level can be defended.")
    if target_entry_only:
        return _("Nobody is promoted into an entry level.")
    if has_open_review:
        return _("There is already an open review for this person.")
    if probation_end and today < probation_end:
        return _("The probation period runs until %(date)s; a defense can be requested after it, from %(earliest)s.") % {
            "date": probation_end.isoformat(),
            "earliest": earliest.isoformat() if earliest else probation_end.isoformat(),
        }
    if earliest and today < earliest:
        return _("Too early: the next defense may be held from %(date)s.") % {"date": earliest.isoformat()}
    return None
