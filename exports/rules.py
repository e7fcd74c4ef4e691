"""Pure decisions of the exports app: no database, tested without one."""

from __future__ import annotations

import enum

# What a report does when its replica is too far behind (REPORTS_LAG_FALLBACK).
FALLBACK_REFUSE = "refuse"
FALLBACK_PRIMARY = "primary"
FALLBACKS = (FALLBACK_REFUSE, FALLBACK_PRIMARY)


class Source(enum.Enum):
    REPLICA = "replica"
    PRIMARY = "primary"
    REFUSE = "refuse"


def report_source(*, is_replica: bool, lag_seconds: int | None, max_lag_seconds: int, fallback: str) -> Source:
    """Where a report reads, given what the reports database says of its replication.

    `is_replica` False: the reports database follows no primary (no replica configured, or a
    copy that is not replicating): it is read as it is. `lag_seconds` is the replica's
    Seconds_Behind_Master; None means replication is stopped (or broken), so the replica is
    behind by an unknown amount and counts as too far behind. Too far behind: the primary
    when `fallback` says so, else the report is refused.
    """
    if not is_replica:
        return Source.REPLICA
    if lag_seconds is not None and lag_seconds <= max_lag_seconds:
        return Source.REPLICA
    return Source.PRIMARY if fallback == FALLBACK_PRIMARY else Source.REFUSE
