"""
Who may see what of a promotion review: the secret ballot, and (at the end) the team
relations of the candidate's packet.

One rule decides how much of a committee's voting a person sees, and every place
that shows votes applies it: the review page (reviews.views), and the `reviews`
and `votes` reports (exports.reports), which build their statements per viewer
from `VoteViewer` and mirror `report_vote_visibility` in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from grades.models import Employee
from grades.policies import is_hr, is_lead_of, leads_anyone
from grades.roles import COMMITTEE, CTO, HR, HR_DIRECTOR, MANAGER, PRODUCT_DIRECTOR, TEAM_LEAD, user_has_role

from .models import CommitteeSeat, PromotionReview, SeatRole
from .models import AssessorRole

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
    record in the audit trail. A seat comes first: an HR person who sits on the committee
    (the HR director is often in the HR group too) is a member like the others and sees
    their votes only once they have voted.

    HR who does not sit on the committee sees everything all along: HR schedules the
    defense, chases the members who have not voted and records the decision with its
    reasons per criterion, written from the members' notes; casting no vote, HR cannot
    be nudged by the others' votes, and what HR reads is what the decision states.

    The candidate and a team lead who does not sit on the committee learn the outcome
    and the decision's reasons (overall and per criterion), and the counts only after
    the decision: a running tally before it would put pressure on the members who have
    not voted yet, and who voted how (values, comments, notes per criterion) is the
    committee's business, not the candidate's.
    """
    if seat is not None:
        return VOTES_ALL if decided or hasattr(seat, "vote") else VOTES_PROGRESS
    if is_hr:
        return VOTES_ALL
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
    return VoteViewer(user_id=user.pk, is_hr=is_hr(user))


# --- Who may hold a committee seat ----------------------------------------------------------------

# The group whose members may hold each seat: the three directors' seats are the Committee
# group's (the CTO, the product and the HR director), the fourth seat a team lead's.
SEAT_GROUPS = {
    SeatRole.CTO: COMMITTEE,
    SeatRole.PRODUCT: COMMITTEE,
    SeatRole.HR_DIRECTOR: COMMITTEE,
    SeatRole.TEAM_LEAD: TEAM_LEAD,
}

# Who holds each director's role: the members of its designation group (grades.roles). The
# schedule form offers them first in that seat and chooses the one holder for a first
# schedule. A designation decides whom to offer, not who may sit: a holder who left the
# Committee group is not offered (may_hold_seat), and the others of the group still may sit.
SEAT_DESIGNATIONS = {
    SeatRole.CTO: CTO,
    SeatRole.PRODUCT: PRODUCT_DIRECTOR,
    SeatRole.HR_DIRECTOR: HR_DIRECTOR,
}


def may_hold_seat(role: str, *, groups, is_superuser: bool, holds_it_now: bool, leads_candidate: bool) -> bool:
    """Whether a person may be seated in `role` on a committee.

    `groups` are the names of the person's groups. A seat goes to a member of its group
    (SEAT_GROUPS; superusers belong to every group). The candidate's own team lead may
    take the team lead's seat even outside the group, and whoever holds a seat now keeps
    it when the defense is moved, even after leaving the group: the committee HR seated
    is not unseated by a change in the directory. The candidate never sits on their own
    committee; the service refuses that on its own.
    """
    if is_superuser or holds_it_now:
        return True
    if role == SeatRole.TEAM_LEAD and leads_candidate:
        return True
    return SEAT_GROUPS[role] in groups


# --- Who sees a review, and who acts on it ------------------------------------------------------


def candidates_seen_by(user) -> tuple[QuerySet, QuerySet]:
    """The employee ids of `user` themself and of the people they lead, as two subqueries.

    Two rather than one OR: each is answered from one index (the unique user_id; team_lead_id).
    """
    mine = Employee.objects.filter(user=user).values("pk")
    reports = Employee.objects.filter(team_lead__in=Employee.objects.filter(user=user).values("pk")).values("pk")
    return mine, reports


def visible_reviews(user) -> QuerySet[PromotionReview]:
    """HR sees every review; others their own, their reports' and those they sit on.

    Tests of the row itself (no join, so no duplicates to fold with DISTINCT): cheap for one
    review or a page read in list order. For a whole list of a person who sees few reviews,
    review_list_queryset reads their ids first.
    """
    qs = PromotionReview.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if is_hr(user):
        return qs
    mine, reports = candidates_seen_by(user)
    seated = CommitteeSeat.objects.filter(review=OuterRef("pk"), member=user)
    return qs.filter(Q(candidate__in=mine) | Q(candidate__in=reports) | Exists(seated))


def may_see_review(user, review, seats) -> bool:
    """visible_reviews(user) for one review read with its candidate's lead and its `seats`."""
    if not user.is_authenticated:
        return False
    if is_hr(user):
        return True
    candidate = review.candidate
    return candidate.user_id == user.pk or is_lead_of(user, candidate) or any(seat.member_id == user.pk for seat in seats)


def sees_most_reviews(user) -> bool:
    """HR sees every review and a Committee member sits on most: their lists are long."""
    return is_hr(user) or user_has_role(user, COMMITTEE)


def is_committee_member(user) -> bool:
    """The directors' seats are the Committee group's: their inbox always has a voting part."""
    return user_has_role(user, COMMITTEE)


def may_be_seated(user) -> bool:
    """Whether `user` may hold some committee seat (may_hold_seat's groups: the Committee
    group, team leads, or anyone leading a candidate); others need not look for their votes."""
    return is_committee_member(user) or user_has_role(user, TEAM_LEAD) or leads_anyone(user)


def may_request(user, candidate) -> bool:
    """The candidate themself or their team lead asks for a defense (`candidate` with `team_lead` selected)."""
    return user.is_authenticated and (candidate.user_id == user.pk or is_lead_of(user, candidate))


def may_edit_statement(user, review) -> bool:
    """The candidate or their team lead changes the statement (the review's state is the service's check)."""
    return may_request(user, review.candidate)


def may_schedule(user) -> bool:
    """HR schedules and moves defenses and seats the committee."""
    return is_hr(user)


def may_decide(user) -> bool:
    """HR records the committee's decision."""
    return is_hr(user)


def may_vote(user, seat) -> bool:
    """Only the member holding `seat` (the viewer's seat on the review, or None) votes with it."""
    return seat is not None and user.is_authenticated and seat.member_id == user.pk


def may_withdraw(user, review) -> bool:
    """The candidate, their team lead or HR withdraws an open review (candidate's lead selected)."""
    return is_hr(user) or may_request(user, review.candidate)


def may_see_calendar(user) -> bool:
    """HR's calendar of the defenses ahead."""
    return is_hr(user)


# --- Defense sessions ----------------------------------------------------------------------------


def may_manage_sessions(user) -> bool:
    """HR makes defense sessions and puts defenses in them, as it schedules the defenses."""
    return is_hr(user)


def may_see_sessions(user) -> bool:
    """Who reads the sessions: HR, the committee, team leads and managers. A session page
    shows each of them only the defenses they may see (visible_reviews)."""
    return any(user_has_role(user, role) for role in (HR, COMMITTEE, TEAM_LEAD, MANAGER))


# --- Team relations (criterion 3) ------------------------------------------------------------------
#
# HR and the candidate's team lead each assess how the candidate gets on with the team; HR may
# also ask colleagues. The candidate reads neither assessment before the decision (their
# judges write freely and the committee reads them unswayed by a reply); after it, the two
# assessments are theirs to read, as the decision note is. Colleague feedback is for HR and
# the committee of the review only, and never reaches the candidate, not even without names:
# on a small team a text gives its author away, and colleagues answer candidly only if the
# candidate never reads it. Everyone else who may see the review (a team lead not seated on
# the committee) reads the assessments, not the feedback.


def _is_candidate(user, review) -> bool:
    return user.is_authenticated and review.candidate.user_id == user.pk


def _seated(user, seats) -> bool:
    return user.is_authenticated and any(seat.member_id == user.pk for seat in seats)


def may_assess_relations(user, review, role: str) -> bool:
    """HR writes the `hr` assessment, the candidate's own team lead the `team_lead` one; the
    candidate never assesses themself (`review` read with the candidate's team lead)."""
    if not user.is_authenticated or _is_candidate(user, review):
        return False
    if role == AssessorRole.HR:
        return is_hr(user)
    if role == AssessorRole.TEAM_LEAD:
        return is_lead_of(user, review.candidate)
    return False


def relations_roles_of(user, review) -> list[str]:
    """The assessor roles `user` may write on `review` (none, one, or both for an HR lead)."""
    return [role for role in AssessorRole.values if may_assess_relations(user, review, role)]


def may_see_relations_assessments(user, review, seats) -> bool:
    """Whoever may see the review, except the candidate until the review is decided."""
    if not may_see_review(user, review, seats):
        return False
    return review.is_decided if _is_candidate(user, review) else True


def may_see_colleague_feedback(user, review, seats) -> bool:
    """HR and the members of the review's committee: who was asked, who answered, and what.

    Never the candidate (even one who is HR or, somehow, seated).
    """
    if not user.is_authenticated or _is_candidate(user, review):
        return False
    return is_hr(user) or _seated(user, seats)


def may_ask_for_feedback(user, review) -> bool:
    """HR asks colleagues, and withdraws a request nobody answered yet."""
    return user.is_authenticated and is_hr(user) and not _is_candidate(user, review)


def may_withdraw_feedback_request(user, review) -> bool:
    return may_ask_for_feedback(user, review)


def may_see_feedback_request(user, feedback_request, seats) -> bool:
    """The colleague asked, and those who see the review's colleague feedback (`seats` of its review)."""
    if not user.is_authenticated:
        return False
    if feedback_request.colleague.user_id == user.pk:
        return True
    return may_see_colleague_feedback(user, feedback_request.review, seats)


def may_answer_feedback(user, feedback_request) -> bool:
    """Only the colleague asked answers; nobody answers in someone else's name."""
    return user.is_authenticated and feedback_request.colleague.user_id == user.pk
