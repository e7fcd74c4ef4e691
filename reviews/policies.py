"""
Who may see what of a promotion review: the secret ballot.

One rule decides how much of a committee's voting a person sees, and every place
that shows votes applies it: the review page (reviews.views), and the `reviews`
and `votes` reports (exports.reports), which build their statements per viewer
from `VoteViewer` and mirror `report_vote_visibility` in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from grades.roles import HR, user_has_role

# What a viewer learns about the committee's votes.
VOTES_ALL = "all"  # every seat's vote and comment
VOTES_PROGRESS = "progress"  # who has voted, not how
VOTES_TALLY = "tally"  # the counts, once decided
VOTES_NONE = "none"  # nothing about the voting


def vote_visibility(*, is_hr: bool, seat, decided: bool) -> str:
    """How much of the voting a viewer sees on the review page.

    `seat` is the viewer's CommitteeSeat on the review (None when they hold none); it
    counts as voted when it carries a `vote`.

    Votes are secret from a member until they have cast their own: a member who could
    read the others first would be nudged towards the majority (or towards the most
    senior voice on the committee), and the committee exists to collect four
    independent judgements. Once a member has voted they see the others, and they may
    still change their vote until the decision — by then their first judgement is on
    record in the audit trail. HR runs the process and records the decision, so HR sees
    everything all along. The candidate and a team lead who does not sit on the
    committee learn the outcome and the decision note, and the counts only after the
    decision: a running tally before it would put pressure on the members who have not
    voted yet, and who voted how is the committee's business, not the candidate's.
    """
    if is_hr:
        return VOTES_ALL
    if seat is not None:
        return VOTES_ALL if decided or hasattr(seat, "vote") else VOTES_PROGRESS
    return VOTES_TALLY if decided else VOTES_NONE


def report_vote_visibility(*, is_hr: bool, seat, decided: bool) -> str:
    """How much of one review's voting a report shows its reader.

    The reports are for HR and managers, who read a decided review's votes and
    comments in full. Before the decision the review page's rule applies unchanged:
    a manager who also sits on the committee sees the others only once they have
    voted themselves, and anyone else sees neither votes, comments, the running
    tally nor who has voted yet.
    """
    if decided:
        return VOTES_ALL
    return vote_visibility(is_hr=is_hr, seat=seat, decided=False)


@dataclass(frozen=True)
class VoteViewer:
    """The reader of a report that carries votes.

    `user_id` None stands for nobody in particular (the `export_report` command run
    without --as-user): such a reader is no member of any committee and not HR, so
    undecided reviews show them no votes.
    """

    user_id: int | None = None
    is_hr: bool = False


NOBODY = VoteViewer()


def vote_viewer(user) -> VoteViewer:
    """The report reader that `user` is (anonymous or None: nobody in particular)."""
    if user is None or not user.is_authenticated:
        return NOBODY
    return VoteViewer(user_id=user.pk, is_hr=user_has_role(user, HR))
