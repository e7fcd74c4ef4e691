"""
Where the apps built on the core add to its pages and rules, at start-up.

`grades` is the core and imports none of the apps that build on it. Where one of its
pages or rules has to hear from them — the progress page shows the person's promotion
reviews, a track's ladder its salary bands, the person's audit trail lists what
happened in their reviews, a track change waits until no defense is open — the app registers a function here from its
AppConfig.ready(), and the core calls whatever is registered, in the order registered.
An app that is not installed registers nothing; nothing asks whether it is installed.

Each registry is a plain list filled once per process, before the first request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Panel:
    """A box another app adds to one of the core's pages.

    `template` is included with `panel` set to what `build` returns; a panel that
    builds None is left out (its viewer may not see it).
    """

    template: str
    build: Callable[..., Any]


# On the progress page, below the checklist: build(request, employee, bound), where
# `employee` is the page's person (user, track and team lead selected) and `bound` is
# None or the (kind, object id, form) of a refused form to show again, which the panel
# picks up when the kind is its own.
PROGRESS_PANELS: list[Panel] = []

# On a track's ladder page, above the levels: build(request, track).
LADDER_PANELS: list[Panel] = []

# (employee) -> [grades.trail.TrailEntry]: more of the person's recorded history.
TRAIL_SOURCES: list[Callable[..., list]] = []

# (employee) -> a sentence saying why their track cannot change now, or "" when it can.
TRACK_CHANGE_CHECKS: list[Callable[..., str]] = []

# (employee id expression) -> a QuerySet of the person's open promotion reviews, for an
# Exists() on the statement that reads people (the people list's column and its
# "eligible now" filter): the expression is usually OuterRef("pk") of an Employee query.
OPEN_REVIEW_QUERIES: list[Callable[..., Any]] = []


def register_progress_panel(panel: Panel) -> None:
    if panel not in PROGRESS_PANELS:
        PROGRESS_PANELS.append(panel)


def register_ladder_panel(panel: Panel) -> None:
    if panel not in LADDER_PANELS:
        LADDER_PANELS.append(panel)


def built(panels, *args) -> list[tuple[str, Any]]:
    """[(template, what the panel built)] of the panels that show something to this viewer."""
    shown = []
    for panel in panels:
        value = panel.build(*args)
        if value is not None:
            shown.append((panel.template, value))
    return shown


def register_trail_source(source: Callable[..., list]) -> None:
    if source not in TRAIL_SOURCES:
        TRAIL_SOURCES.append(source)


def register_track_change_check(check: Callable[..., str]) -> None:
    if check not in TRACK_CHANGE_CHECKS:
        TRACK_CHANGE_CHECKS.append(check)


def register_open_review_query(query: Callable[..., Any]) -> None:
    if query not in OPEN_REVIEW_QUERIES:
        OPEN_REVIEW_QUERIES.append(query)
