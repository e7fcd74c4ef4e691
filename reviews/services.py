"""
The lifecycle of a promotion review. Every function runs in one transaction, locks
the review (or the candidate) row it changes, and refuses with `ReviewError`
(a sentence for the user) or `PermissionError` without writing anything.
Mail goes out only after the transaction commits.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from functools import partial

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from common import audit
from grades import reasons as grade_reasons
from grades import selectors as grade_selectors
from grades.models import Employee, GradeChangeKind
from grades.services import GradeError, grade_change_record, record_failed_defense

from . import events, notifications, policies, rules, selectors
from .models import (
    OPEN_STATUSES,
    CommitteeSeat,
    DecisionPolicy,
    DefenseSession,
    PacketSnapshot,
    PromotionReview,
    ReviewEvent,
    ReviewStatus,
    SeatRole,
    Vote,
    VoteValue,
)
from .models import FeedbackAnswer, FeedbackRequest, RelationsAssessment

User = get_user_model()

MAX_TEXT = 5000


class ReviewError(Exception):
    """A refused review action; the message is meant for the user."""


def _text(value: str, what: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ReviewError(_("%(what)s is required.") % {"what": what})
    if len(value) > MAX_TEXT:
        raise ReviewError(_("%(what)s is longer than %(n)s characters.") % {"what": what, "n": MAX_TEXT})
    return value


def _event(review, action, actor, *, note="", data=None, at=None):
    ReviewEvent.objects.create(
        review=review, action=action, actor=actor, at=at or timezone.now(), note=note, data=data or {}
    )


def _lock(review: PromotionReview) -> PromotionReview:
    return (
        PromotionReview.objects.select_for_update()
        .select_related("candidate__user", "candidate__team_lead", "to_level", "from_level", "session")
        .get(pk=review.pk)
    )


# --- Request ------------------------------------------------------------------------------------


@transaction.atomic
def review_request(
    *, candidate: Employee, by: User, statement: str = "", recommendation: str = "",
    on: datetime.date | None = None,
) -> PromotionReview:
    """The candidate or their team lead asks for a defense of the next level.

    `statement` says why the candidate is ready, pointing at their evidence: required,
    at most MAX_TEXT characters. `on` is the day the eligibility rules are judged for;
    it exists for tests and back-office scripts, and views never pass a user's value for it.
    HR is mailed the request once it is committed.
    """
    candidate = (
        Employee.objects.select_for_update().select_related("user", "team_lead", "current_level")
        .get(pk=candidate.pk)
    )
    if not policies.may_request(by, candidate):
        raise PermissionError(_("Only the candidate or their team lead can request a defense."))
    on = on or timezone.localdate()
    if candidate.left_on is not None:
        raise ReviewError(_("%(name)s has left the company.") % {"name": candidate})
    progress = grade_selectors.employee_progress(candidate, on=on)
    # The top of the person's own ladder (their track's full ladder).
    top_rank = progress.ladder[-1].rank if progress.ladder else 0
    target = progress.next_level
    refusal = rules.request_refusal(
        current_rank=progress.level.rank if progress.level else None,
        target_rank=target.rank if target else (progress.level.rank if progress.level else 0) + 1,
        top_rank=top_rank,
        target_entry_only=bool(target and target.entry_only),
        earliest=progress.earliest_defense,
        today=on,
        probation_end=candidate.probation_end,
        has_open_review=PromotionReview.objects.open().filter(candidate=candidate).exists(),
    )
    if refusal:
        raise ReviewError(refusal)
    statement = _statement(statement)
    review = PromotionReview(
        candidate=candidate,
        track_id=candidate.track_id,
        from_level=progress.level,
        to_level=target,
        requested_by=by,
        requested_at=timezone.now(),
        recommendation=_text(recommendation, _("The recommendation")),
        statement=statement,
    )
    try:
        with transaction.atomic():
            audit.save(review, by=by)
    except IntegrityError as exc:  # a concurrent request won the race
        raise ReviewError(_("There is already an open review for this person.")) from exc
    _event(review, ReviewEvent.Action.REQUESTED, by, note=review.recommendation, data={"statement": statement})
    transaction.on_commit(partial(notifications.defense_requested, review.pk))
    return review


def _statement(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ReviewError(_("Write the statement: why the candidate is ready for the next level, pointing at the evidence."))
    return _text(value, _("The statement"))


@transaction.atomic
def review_statement_edit(*, review: PromotionReview, by: User, statement: str) -> PromotionReview:
    """The candidate or their team lead rewrites the statement while the review waits for HR.

    Once the defense is scheduled the committee prepares on the statement as it stands, so
    it no longer changes. Each edit is an event in the review's trail, with the text before
    and after; the review's history row keeps them too.
    """
    review = _lock(review)
    if not policies.may_edit_statement(by, review):
        raise PermissionError(_("Only the candidate or their team lead can change the statement."))
    if review.status != ReviewStatus.REQUESTED:
        raise ReviewError(_("The review is %(status)s; the statement can no longer be changed.") % {
            "status": review.get_status_display().lower()})
    statement = _statement(statement)
    if statement == review.statement:
        raise ReviewError(_("The statement is the same as before; nothing was changed."))
    previous = review.statement
    review.statement = statement
    audit.save(review, by=by, reason="statement edited", update_fields=["statement"])
    _event(review, ReviewEvent.Action.STATEMENT, by, data={"statement": statement, "previous": previous})
    return review


# --- Schedule -----------------------------------------------------------------------------------


def _check_seats(review: PromotionReview, members: dict[str, User], *, holders: dict[str, int]) -> None:
    """Refuse a member who may not hold their seat (policies.may_hold_seat); groups read in one query."""
    groups: dict[int, set[str]] = defaultdict(set)
    memberships = get_user_model().groups.through.objects.filter(user_id__in=[u.pk for u in members.values()])
    for user_id, name in memberships.values_list("user_id", "group__name"):
        groups[user_id].add(name)
    lead_user_id = review.candidate.team_lead.user_id if review.candidate.team_lead_id else None
    refused = [
        role for role, user in members.items()
        if not policies.may_hold_seat(
            role, groups=groups[user.pk], is_superuser=user.is_superuser,
            holds_it_now=holders.get(role) == user.pk, leads_candidate=user.pk == lead_user_id,
        )
    ]
    if refused:
        raise ReviewError(
            _("%(roles)s: the directors' seats go to members of the Committee group, the team lead's seat to a team lead.")
            % {"roles": ", ".join(str(SeatRole(role).label) for role in refused)}
        )


def track_change_refusal(employee: Employee) -> str:
    """Why HR cannot move `employee` to another track now ("" when it can).

    An open review is a defense of the next level on the current track's checklist:
    it is withdrawn or decided before the person moves. Registered with the core's
    track change (grades.extensions.TRACK_CHANGE_CHECKS), which calls it with the
    person's row locked.
    """
    if PromotionReview.objects.open().filter(candidate=employee).exists():
        return _(
            "%(person)s has an open promotion review for the %(track)s track; withdraw or decide it before moving them."
        ) % {"person": employee, "track": employee.track}
    return ""


def unmet_requirements(review: PromotionReview, *, on: datetime.date | None = None) -> list:
    """The target level's checklist lines that are neither confirmed nor met by data, less those
    of an "at least N of these" group that has N done (grades.selectors.ChecklistFigures.unmet)."""
    return grade_selectors.employee_progress(review.candidate, on=on).unmet


@transaction.atomic
def review_schedule(
    *,
    review: PromotionReview,
    when: datetime.datetime,
    place: str,
    members: dict[str, User],
    by: User,
    override_reason: str = "",
) -> PromotionReview:
    """HR sets (or moves) the date and seats the committee.

    `members` maps each SeatRole value to a user. Scheduling is refused while any
    requirement of the target level is unmet, unless HR gives an override reason,
    which is stored and shown on the review. Once committed, the committee and the
    candidate are mailed the defense with its calendar invitation.
    """
    if not policies.may_schedule(by):
        raise PermissionError(_("Only HR schedules defenses."))
    review = _lock(review)
    if review.status not in OPEN_STATUSES:
        raise ReviewError(_("The review is %(status)s and can no longer be scheduled.") % {"status": review.get_status_display().lower()})
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when <= timezone.now():
        raise ReviewError(_("The defense must be scheduled in the future."))
    place = _text(place, _("The place"))
    if len(place) > 200:
        raise ReviewError(_("The place is longer than 200 characters."))
    missing = [role for role in SeatRole.values if members.get(role) is None]
    if missing:
        raise ReviewError(_("Every seat needs a member: %(roles)s missing.") % {
            "roles": ", ".join(str(SeatRole(r).label) for r in missing)})
    people = [members[role] for role in SeatRole.values]
    if len({u.pk for u in people}) != len(people):
        raise ReviewError(_("A person can hold only one seat on a committee."))
    if any(u.pk == review.candidate.user_id for u in people):
        raise ReviewError(_("The candidate cannot sit on their own committee."))
    if any(not u.is_active for u in people):
        raise ReviewError(_("Every committee member must be an active user."))
    moving = review.status == ReviewStatus.SCHEDULED
    _check_seats(review, members, holders=(
        dict(review.seats.values_list("role", "member_id")) if moving else {}
    ))
    # A defense HR already scheduled over unmet requirements keeps its stated reason when moved.
    override_reason = _text(override_reason, _("The override reason")) or (
        review.override_reason if moving else ""
    )
    unmet = unmet_requirements(review)
    if unmet and not override_reason:
        raise ReviewError(
            _("%(n)s requirement(s) of %(level)s are not confirmed yet; confirm them first or give a reason to schedule anyway.")
            % {"n": len(unmet), "level": review.to_level.display_name}
        )

    if moving:
        # Members who have voted keep their vote only if they keep their seat.
        existing = {seat.role: seat for seat in review.seats.select_related("vote", "member")}
        changed = [seat for role, seat in existing.items() if seat.member_id != members[role].pk]
        for seat in changed:
            if hasattr(seat, "vote"):
                raise ReviewError(
                    _("%(role)s has already voted; a seat with a vote cannot be given to someone else.")
                    % {"role": seat.get_role_display()}
                )
        if changed:
            # Seats without a vote are re-made at once, so that two members may swap seats
            # without tripping the one-seat-per-member constraint half-way.
            for seat in changed:
                audit.delete(seat, by=by, reason="seat given to another member")
            audit.bulk_create(
                (CommitteeSeat(review=review, role=seat.role, member=members[seat.role]) for seat in changed),
                by=by, reason="seat given to another member",
            )
    else:
        try:
            with transaction.atomic():
                audit.bulk_create(
                    (CommitteeSeat(review=review, role=role, member=members[role]) for role in SeatRole.values),
                    by=by, reason="committee seated",
                )
        except IntegrityError as exc:
            raise ReviewError(_("The committee could not be seated: a seat is taken twice.")) from exc

    review.status = ReviewStatus.SCHEDULED
    review.scheduled_for = when
    review.place = place
    review.scheduled_by = by
    if override_reason:
        review.override_reason = override_reason
    fields = ["status", "scheduled_for", "place", "scheduled_by", "override_reason"]
    if review.session_id is not None and not review.session.holds(timezone.localdate(when)):
        # Moved out of its session's days: it leaves the session (the history says so).
        review.session = None
        fields.append("session")
    audit.save(review, by=by, update_fields=fields)
    _event(
        review,
        ReviewEvent.Action.MOVED if moving else ReviewEvent.Action.SCHEDULED,
        by,
        note=override_reason,
        data={
            "when": when.isoformat(),
            "place": place,
            "members": {role: members[role].get_username() for role in SeatRole.values},
            "unmet_requirements": len(unmet),
        },
    )
    transaction.on_commit(partial(notifications.defense_scheduled, review.pk, moved=moving))
    events.defense_scheduled(review, moved=moving)
    return review


# --- Vote ---------------------------------------------------------------------------------------


def defense_day(review: PromotionReview) -> datetime.date | None:
    """The local date of the defense (None while it is not scheduled)."""
    return timezone.localdate(review.scheduled_for) if review.scheduled_for else None


def _refuse_before_defense(review: PromotionReview, message: str) -> None:
    day = defense_day(review)
    if rules.before_defense_day(day, timezone.localdate()):
        raise ReviewError(message % {"date": day.isoformat() if day else "—"})


def _per_criterion(texts: dict | None, what: str) -> dict[str, str]:
    """{criterion: text} cleaned: known criteria only (rules.CRITERIA), blank ones dropped."""
    texts = texts or {}
    unknown = sorted(set(texts) - set(rules.CRITERION_KEYS))
    if unknown:
        raise ReviewError(_("Unknown criterion: %(keys)s.") % {"keys": ", ".join(unknown)})
    cleaned = {}
    for key in rules.CRITERION_KEYS:
        text = _text(texts.get(key, ""), f"{what} ({rules.criterion_label(key)})")
        if text:
            cleaned[key] = text
    return cleaned


@transaction.atomic
def review_vote(
    *, review: PromotionReview, by: User, value: str, comment: str = "", notes: dict[str, str] | None = None
) -> Vote:
    """A seated member votes, or changes their vote, from the defense's day until the decision.

    `notes` maps criteria (rules.CRITERIA) to the member's note on each; criteria left
    out or blank carry none. Changing a vote replaces its notes. The last seat's first
    vote tells HR, once committed, that the review waits for the decision.
    """
    review = _lock(review)
    seat = review.seats.filter(member=by).first()
    if not policies.may_vote(by, seat):
        raise PermissionError(_("Only members of this committee can vote."))
    if review.status != ReviewStatus.SCHEDULED:
        raise ReviewError(_("Votes are taken only while the defense is scheduled; it is %(status)s.") % {
            "status": review.get_status_display().lower()})
    _refuse_before_defense(review, _("Votes are taken from the day of the defense, %(date)s."))
    if value not in VoteValue.values:
        raise ReviewError(_("Choose approve, reject or abstain."))
    comment = _text(comment, _("The comment"))
    notes = _per_criterion(notes, _("The note"))
    now = timezone.now()
    vote = Vote.objects.filter(seat=seat).first()
    if vote is None:
        try:
            with transaction.atomic():
                vote = audit.create(Vote, by=by, seat=seat, value=value, comment=comment, notes=notes, cast_at=now)
        except IntegrityError as exc:  # one vote per seat
            raise ReviewError(_("You have already voted; change your vote instead.")) from exc
        action = ReviewEvent.Action.VOTED
    else:
        if now < vote.cast_at:  # the server clock went back, or the vote was imported with a later time
            raise ReviewError(_("Your vote is recorded at %(at)s, later than the server's clock; it cannot "
                                "be changed before then.") % {"at": date_format(timezone.localtime(vote.cast_at), "DATETIME_FORMAT")})
        vote.value, vote.comment, vote.notes, vote.changed_at = value, comment, notes, now
        audit.save(vote, by=by, update_fields=["value", "comment", "notes", "changed_at"])
        action = ReviewEvent.Action.VOTE_CHANGED
    _event(review, action, by, note=comment, data={"role": seat.role, "vote": value, "notes": notes}, at=now)
    if action == ReviewEvent.Action.VOTED and not review.seats.filter(vote__isnull=True).exists():
        # This was the last seat to vote: HR may now record the decision.
        transaction.on_commit(partial(notifications.votes_complete, review.pk))
    return vote


# --- Decide -------------------------------------------------------------------------------------


@transaction.atomic
def review_decide(
    *, review: PromotionReview, by: User, note: str = "", reasons: dict[str, str] | None = None
) -> PromotionReview:
    """Record the committee's decision once every seat has voted, from the defense's day on.

    `note` is the overall reason, `reasons` the reasons per criterion (rules.CRITERIA);
    the candidate reads both, and a failed defense needs at least one of them
    (rules.decision_reasons_refusal). The candidate's packet as the committee saw it
    is kept (models.PacketSnapshot). Passing appends the promotion to the grade ledger
    in the same transaction, dated at the defense; failing starts the cool-down before
    the next defense from the defense's date.
    """
    if not policies.may_decide(by):
        raise PermissionError(_("Only HR records the committee's decision."))
    review = _lock(review)
    if review.status != ReviewStatus.SCHEDULED:
        raise ReviewError(_("The review is %(status)s; only a scheduled defense can be decided.") % {
            "status": review.get_status_display().lower()})
    _refuse_before_defense(review, _("The decision is recorded from the day of the defense, %(date)s."))
    held_on = defense_day(review)
    seats = list(review.seats.select_related("vote"))
    missing = [seat for seat in seats if not hasattr(seat, "vote")]
    if not seats or missing:
        raise ReviewError(_("Not everyone has voted yet: %(roles)s.") % {
            "roles": ", ".join(seat.get_role_display() for seat in missing)})
    # Read in this transaction: the rule applied is the one written to the trail below.
    rule = DecisionPolicy.current().rule
    passed = rules.outcome([seat.vote.value for seat in seats], rule)
    note = _text(note, _("The decision note"))
    reasons = _per_criterion(reasons, _("The reason"))
    refusal = rules.decision_reasons_refusal(passed=passed, note=note, reasons=reasons)
    if refusal:
        raise ReviewError(refusal)
    now = timezone.now()
    # The packet as the committee saw it, read before the promotion moves the candidate on.
    packet_review = selectors.review_for_page(None, review.pk)
    snapshot = selectors.packet_freeze(packet_review, selectors.review_packet(packet_review, on=held_on))
    review.status = ReviewStatus.PASSED if passed else ReviewStatus.FAILED
    review.decided_at = now
    review.decided_by = by
    review.decision_note = note
    review.decision_reasons = reasons
    if passed:
        try:
            review.grade_change = grade_change_record(
                employee=review.candidate,
                kind=GradeChangeKind.PROMOTION,
                level=review.to_level,
                # The new level starts at the defense, whenever HR records the decision.
                effective_date=held_on,
                # Stored in English and shown in the reader's language (grades.reasons).
                reason=grade_reasons.stored(grade_reasons.PASSED_DEFENSE, level=review.to_level.name, id=review.pk),
                by=by,
            )
        except GradeError as exc:
            # For instance the person was corrected to another level meanwhile.
            raise ReviewError(_("The promotion cannot be recorded: %(why)s") % {"why": exc}) from exc
    else:
        record_failed_defense(employee=review.candidate, on=held_on)
    audit.save(review, by=by, update_fields=[
        "status", "decided_at", "decided_by", "decision_note", "decision_reasons", "grade_change",
    ])
    PacketSnapshot.objects.create(review=review, taken_at=now, data=snapshot)
    _event(
        review,
        ReviewEvent.Action.PASSED if passed else ReviewEvent.Action.FAILED,
        by,
        note=review.decision_note,
        data={
            "rule": rule, "votes": {seat.role: seat.vote.value for seat in seats}, "reasons": reasons,
            "held_on": held_on.isoformat(), "packet_schema": snapshot["schema"],
        },
        at=now,
    )
    transaction.on_commit(partial(notifications.review_decided, review.pk))
    events.review_decided(review)
    return review


# --- Withdraw -----------------------------------------------------------------------------------


@transaction.atomic
def review_withdraw(*, review: PromotionReview, by: User, reason: str = "") -> PromotionReview:
    """The candidate, their team lead or HR withdraws an open review."""
    review = _lock(review)
    if not policies.may_withdraw(by, review):
        raise PermissionError(_("Only the candidate, their team lead or HR can withdraw the review."))
    if review.status not in OPEN_STATUSES:
        raise ReviewError(_("The review is %(status)s and can no longer be withdrawn.") % {
            "status": review.get_status_display().lower()})
    was_scheduled = review.status == ReviewStatus.SCHEDULED
    review.status = ReviewStatus.WITHDRAWN
    review.withdrawn_reason = _text(reason, _("The reason"))
    audit.save(review, by=by, update_fields=["status", "withdrawn_reason"])
    _event(review, ReviewEvent.Action.WITHDRAWN, by, note=review.withdrawn_reason)
    if was_scheduled:
        transaction.on_commit(partial(notifications.defense_cancelled, review.pk))
    return review




# --- Defense sessions ------------------------------------------------------------------------------

SESSION_NAME_MAX = 120


def _session_fields(name: str, name_ru: str, starts_on, ends_on) -> tuple[str, str]:
    name, name_ru = (name or "").strip(), (name_ru or "").strip()
    if not name:
        raise ReviewError(_("A session needs a name."))
    if len(name) > SESSION_NAME_MAX or len(name_ru) > SESSION_NAME_MAX:
        raise ReviewError(_("A session's name is longer than %(n)s characters.") % {"n": SESSION_NAME_MAX})
    if starts_on is None or ends_on is None:
        raise ReviewError(_("A session needs its first and last day."))
    if ends_on < starts_on:
        raise ReviewError(_("The session's last day is before its first day."))
    if (ends_on - starts_on).days > 366:
        raise ReviewError(_("A session spans at most a year."))
    return name, name_ru


@transaction.atomic
def session_create(*, name: str, name_ru: str = "", starts_on: datetime.date, ends_on: datetime.date,
                   by: User) -> DefenseSession:
    """HR makes a defense session for a range of days (its history names who)."""
    if not policies.may_manage_sessions(by):
        raise PermissionError(_("Only HR makes defense sessions."))
    name, name_ru = _session_fields(name, name_ru, starts_on, ends_on)
    session = DefenseSession(name=name, name_ru=name_ru, starts_on=starts_on, ends_on=ends_on, created_by=by)
    audit.save(session, by=by, reason="defense session made")
    return session


@transaction.atomic
def session_add(*, session: DefenseSession, reviews, by: User) -> int:
    """Put scheduled defenses in `session`; each must be on one of its days and in no other
    session. All or nothing: one that may not join refuses the lot. Returns how many joined
    (a defense already in the session is left as it is)."""
    if not policies.may_manage_sessions(by):
        raise PermissionError(_("Only HR puts defenses in a session."))
    ids = sorted({getattr(review, "pk", review) for review in reviews})
    if not ids:
        raise ReviewError(_("Choose the defenses to put in the session."))
    session = DefenseSession.objects.select_for_update().get(pk=session.pk)
    locked = list(
        PromotionReview.objects.select_for_update().filter(pk__in=ids).select_related("candidate__user").order_by("pk")
    )
    if len(locked) != len(ids):
        raise ReviewError(_("A chosen defense does not exist."))
    joining = []
    for review in locked:
        if review.session_id == session.pk:
            continue
        if review.status != ReviewStatus.SCHEDULED:
            raise ReviewError(_("%(who)s: only a scheduled defense can join a session.") % {"who": review.candidate})
        if review.session_id is not None:
            raise ReviewError(_("%(who)s: the defense is in another session already.") % {"who": review.candidate})
        if not session.holds(timezone.localdate(review.scheduled_for)):
            raise ReviewError(
                _("%(who)s: the defense is on %(day)s, outside the session's days.")
                % {"who": review.candidate, "day": timezone.localdate(review.scheduled_for).isoformat()}
            )
        review.session = session
        joining.append(review)
    for review in joining:
        audit.save(review, by=by, reason=f"put in defense session {session.pk}", update_fields=["session"])
    return len(joining)


@transaction.atomic
def session_remove(*, session: DefenseSession, review: PromotionReview, by: User) -> None:
    """Take an undecided defense out of its session."""
    if not policies.may_manage_sessions(by):
        raise PermissionError(_("Only HR takes defenses out of a session."))
    review = _lock(review)
    if review.session_id != session.pk:
        raise ReviewError(_("That defense is not in this session."))
    if review.is_decided:
        raise ReviewError(_("A decided defense stays in its session."))
    review.session = None
    audit.save(review, by=by, reason=f"taken out of defense session {session.pk}", update_fields=["session"])


# --- Team relations (criterion 3) ------------------------------------------------------------------
#
# HR's and the team lead's assessments, and colleague feedback, while the review is open. Each
# write locks the review row first (and then the request row), so a write and the decision, or
# an answer and a withdrawal, never interleave.


def _rating(value, *, required: bool) -> int | None:
    """A rating of the 1–5 scale (None allowed when not required); ReviewError otherwise."""
    if value in (None, "") and not required:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    rating = value if isinstance(value, int) and not isinstance(value, bool) else 0
    if not 1 <= rating <= 5:
        raise ReviewError(_("Choose a rating from 1 to 5."))
    return rating


def _open_for_relations(review: PromotionReview) -> None:
    if review.status not in OPEN_STATUSES:
        raise ReviewError(_("The review is %(status)s; team relations are recorded only while it is open.") % {
            "status": review.get_status_display().lower()})


@transaction.atomic
def relations_assess(*, review: PromotionReview, by: User, role: str, rating, note: str):
    """HR (role `hr`) or the candidate's team lead (`team_lead`) records or revises their assessment.

    A revision is a new row with the next number; the latest row counts.
    """
    review = _lock(review)
    if not policies.may_assess_relations(by, review, role):
        raise PermissionError(_("Only HR and the candidate's team lead assess team relations."))
    _open_for_relations(review)
    rating = _rating(rating, required=True)
    note = _text(note, _("The note"), required=True)
    latest = RelationsAssessment.objects.filter(review=review, role=role).order_by("-revision").first()
    if latest is not None and (latest.rating, latest.note) == (rating, note):
        raise ReviewError(_("The assessment is unchanged."))
    try:
        with transaction.atomic():
            return audit.create(
                RelationsAssessment, by=by, review=review, role=role,
                revision=latest.revision + 1 if latest else 1,
                rating=rating, note=note, author=by, at=timezone.now(),
            )
    except IntegrityError as exc:  # a revision written at the same time took the number
        raise ReviewError(_("The assessment was revised meanwhile; reload the page and try again.")) from exc


@transaction.atomic
def feedback_ask(*, review: PromotionReview, by: User, colleague: Employee):
    """HR asks an active colleague of the candidate for feedback on team relations."""
    review = _lock(review)
    if not policies.may_ask_for_feedback(by, review):
        raise PermissionError(_("Only HR asks colleagues for feedback."))
    _open_for_relations(review)
    colleague = Employee.objects.select_related("user").get(pk=colleague.pk)
    if colleague.pk == review.candidate_id:
        raise ReviewError(_("The candidate cannot give feedback on themself."))
    if colleague.left_on is not None or not colleague.user.is_active:
        raise ReviewError(_("%(name)s is not an active employee.") % {"name": colleague})
    live = FeedbackRequest.objects.filter(review=review, colleague=colleague, withdrawn_at__isnull=True)
    if live.exists():
        raise ReviewError(_("%(name)s has already been asked.") % {"name": colleague})
    try:
        with transaction.atomic():
            feedback_request = audit.create(
                FeedbackRequest, by=by, review=review, colleague=colleague, asked_by=by, asked_at=timezone.now()
            )
    except IntegrityError as exc:  # the same person asked at the same time
        raise ReviewError(_("%(name)s has already been asked.") % {"name": colleague}) from exc
    transaction.on_commit(partial(notifications.feedback_requested, feedback_request.pk))
    return feedback_request


def _lock_request(feedback_request):
    """The review, then the request, locked (the same order for every write on a request)."""
    review = _lock(feedback_request.review)
    locked = FeedbackRequest.objects.select_for_update().select_related("colleague").get(pk=feedback_request.pk)
    FeedbackRequest.review.field.set_cached_value(locked, review)
    return review, locked


@transaction.atomic
def feedback_withdraw(*, feedback_request, by: User):
    """HR withdraws a request nobody has answered."""
    review, feedback_request = _lock_request(feedback_request)
    if not policies.may_withdraw_feedback_request(by, review):
        raise PermissionError(_("Only HR withdraws a feedback request."))
    if feedback_request.is_withdrawn:
        raise ReviewError(_("The request is already withdrawn."))
    if FeedbackAnswer.objects.filter(request=feedback_request).exists():
        raise ReviewError(_("The colleague has answered; an answered request stays."))
    _open_for_relations(review)
    feedback_request.withdrawn_at = timezone.now()
    feedback_request.withdrawn_by = by
    audit.save(feedback_request, by=by, update_fields=["withdrawn_at", "withdrawn_by"])
    return feedback_request


@transaction.atomic
def feedback_answer(*, feedback_request, by: User, text: str, rating=None):
    """The colleague asked answers, once: a text, and a rating if they like."""
    review, feedback_request = _lock_request(feedback_request)
    if not policies.may_answer_feedback(by, feedback_request):
        raise PermissionError(_("Only the colleague who was asked answers this request."))
    if feedback_request.is_withdrawn:
        raise ReviewError(_("HR has withdrawn this request."))
    if FeedbackAnswer.objects.filter(request=feedback_request).exists():
        raise ReviewError(_("You have already answered; an answer is not changed."))
    _open_for_relations(review)
    text = _text(text, _("The answer"), required=True)
    rating = _rating(rating, required=False)
    try:
        with transaction.atomic():
            return audit.create(
                FeedbackAnswer, by=by, request=feedback_request, author=by, text=text, rating=rating,
                answered_at=timezone.now(),
            )
    except IntegrityError as exc:  # a second answer sent at the same time
        raise ReviewError(_("You have already answered; an answer is not changed.")) from exc
