"""The reviews' events (grades.events), announced by the services in the write's transaction.

What each carries is listed in the README ("Webhooks"): the review's id, its track and
levels, the dates and the outcome; never the candidate's or the members' names.
"""

from __future__ import annotations

from grades import events


def _review_data(review) -> dict:
    return {
        "review_id": review.pk,
        "track": review.track.slug,
        "from_level": review.from_level.name,
        "to_level": review.to_level.name,
    }


def defense_scheduled(review, *, moved: bool) -> None:
    """A defense was scheduled (or moved): one event per review and moment."""
    when = events.moment(review.scheduled_for)
    events.announce(events.Event(
        type=events.DEFENSE_SCHEDULED,
        key=f"{events.DEFENSE_SCHEDULED}:{review.pk}:{when}",
        data={**_review_data(review), "scheduled_for": when, "moved": moved},
        path=review.get_absolute_url(),
    ))


def review_decided(review) -> None:
    """The committee's decision was recorded: once per review."""
    events.announce(events.Event(
        type=events.DECISION,
        key=f"{events.DECISION}:{review.pk}",
        data={
            **_review_data(review),
            "outcome": review.status,
            "decided_at": events.moment(review.decided_at),
        },
        path=review.get_absolute_url(),
        occurred_at=review.decided_at,
    ))
