"""Pure decisions about promotion reviews: who may request, and how the committee's votes decide."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Mapping

from django.utils.translation import gettext_lazy

MAJORITY = "majority"
UNANIMOUS = "unanimous"
DECISION_RULES = (MAJORITY, UNANIMOUS)


# The four criteria of a new level (the grade system's general provisions): the skills of
# the level's checklist, rising productivity, healthy relations in the team, books read.
# A vote may note something per criterion, and the decision gives its reasons per criterion.
# Defined here once; forms, pages and the stored notes use these keys.
CRITERIA = (
    ("skills", gettext_lazy("Skills (the checklist)")),
    ("productivity", gettext_lazy("Productivity")),
    ("relations", gettext_lazy("Relations in the team")),
    ("reading", gettext_lazy("Books read")),
)
CRITERION_KEYS = tuple(key for key, _label in CRITERIA)


def criterion_label(key: str) -> str:
    """The criterion's name in the reader's language (the key itself for an unknown one)."""
    return str(dict(CRITERIA).get(key, key))


def before_defense_day(defense_day: datetime.date | None, today: datetime.date) -> bool:
    """True while the defense's (local) date has not come: no vote and no decision yet.

    The committee judges the defense it attends; a vote cast before it would judge the
    packet alone. From the defense's day on, votes and the decision are taken (a late
    decision is fine: the promotion is still dated at the defense).
    """
    return defense_day is None or today < defense_day


def decision_reasons_refusal(*, passed: bool, note: str, reasons: Mapping[str, str]) -> str | None:
    """Why a decision cannot be recorded with these reasons, or None when it can.

    A failed defense says why: the candidate reads the reasons on their review and works
    on them before the next try, so at least the overall note or one criterion's reason
    is required. A passed defense may give reasons but needs none.
    """
    from django.utils.translation import gettext as _

    if passed or note.strip() or any(text.strip() for text in reasons.values()):
        return None
    return _("A defense that does not pass needs a reason: write the decision note or the reason for at least one criterion.")


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
