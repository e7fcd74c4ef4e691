"""
Versions of a track's framework: what each load changed, and what that did to people's evidence.

Every load of a framework file that changes a track's framework appends a
`FrameworkVersion` with a snapshot of the framework as it then stood (`snapshot`),
so two versions can be compared by requirement key long after the rows changed
again (`diff`). A requirement's key is its identity: a key kept from one version to
the next is the same requirement, whatever its wording or level, and every claim on
it stays attached.

What a load does to evidence (`framework_load`):
  * a requirement reworded (text or text_en changed) with `reconfirm: true` in the
    file: its confirmed claims were confirmed against the earlier wording; they are
    marked to be confirmed again and stop counting until the team lead does
    (services.evidence_reconfirm);
  * reworded without it: the confirmed claims carry over, and the progress page says
    they were confirmed against an earlier wording;
  * a requirement removed: its waiting claims are withdrawn with the reason recorded,
    and the developer and their team lead are told; its confirmed claims stay in the
    history and leave the checklist with it;
  * a requirement moved to another level: its claims stay as they are; the checklists
    that hold it change.

The new content is in force as soon as it is loaded. The effective date is the date the
company gives the version: it is recorded, versions are kept in its order, and a load
(and its dry run) measures on it who gains or loses eligibility; the version keeps the figures. A date in the future does not delay
the change; to have it apply on that day, load the file on that day.
"""

from __future__ import annotations

import datetime
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from common import audit

from . import selectors, services
from .framework_loader import FrameworkError, FrameworkSpec, LoadReport, apply_framework, parse_framework
from .models import (
    Employee,
    Evidence,
    EvidenceEvent,
    EvidenceStatus,
    FrameworkVersion,
    Requirement,
    Track,
    TrackLevel,
)

# The requirement fields a snapshot keeps, beside its key and level.
REQUIREMENT_FIELDS = ("position", "category", "text", "text_en", "origin", "check_kind", "check_params")
# The fields whose change is a rewording.
WORDING_FIELDS = ("text", "text_en")
TRACK_FIELDS = ("slug", "name", "name_ru", "description", "description_en")

EMPTY_SNAPSHOT: dict = {"track": {}, "levels": [], "requirements": []}


# --- Snapshots ---------------------------------------------------------------------------------


def _json(value):
    """`value` as the JSON column gives it back (tuples become lists), so that comparisons hold."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def snapshot(track, *, using: str = "default", models: dict | None = None) -> dict:
    """The framework of `track` as it stands: the track's texts, its levels (comments and
    reading lists) and its active requirements, in ladder order.

    Three queries. `models` lets a data migration pass its historical models
    (TrackLevel, Requirement, Book).
    """
    m = models or {}
    TrackLevelModel = m.get("TrackLevel", TrackLevel)
    RequirementModel = m.get("Requirement", Requirement)
    BookModel = m.get("Book")
    track_levels = list(
        TrackLevelModel.objects.using(using).filter(track_id=track.pk)
        .order_by("level__rank").values("pk", "level__code", "comment", "comment_en")
    )
    if BookModel is None:
        from .models import Book as BookModel
    books: dict[int, list[list[str]]] = {}
    for track_level_id, title, author in (
        BookModel.objects.using(using).filter(track_level__track_id=track.pk)
        .order_by("position", "id").values_list("track_level_id", "title", "author")
    ):
        books.setdefault(track_level_id, []).append([title, author])
    requirements = [
        {"key": row["key"], "level": row["track_level__level__code"], **{name: row[name] for name in REQUIREMENT_FIELDS}}
        for row in RequirementModel.objects.using(using).filter(track_id=track.pk, is_active=True)
        .order_by("track_level__level__rank", "position", "id")
        .values("key", "track_level__level__code", *REQUIREMENT_FIELDS)
    ]
    return _json(
        {
            "track": {name: getattr(track, name) for name in TRACK_FIELDS},
            "levels": [
                {
                    "level": row["level__code"],
                    "comment": row["comment"],
                    "comment_en": row["comment_en"],
                    "books": books.get(row["pk"], []),
                }
                for row in track_levels
            ],
            "requirements": requirements,
        }
    )


# --- Differences -------------------------------------------------------------------------------


ADDED, REMOVED, REWORDED, MOVED = "+", "-", "~", ">"
# The change counts a version keeps (FrameworkVersion.changes) and the versions page lists.
COUNT_NAMES = {ADDED: "added", REMOVED: "removed", REWORDED: "reworded", MOVED: "moved"}


def _short(text: str, limit: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Change:
    """What happened to one requirement key between two versions.

    `sign` is + (added), - (removed), ~ (reworded: text or text_en changed, whether or
    not it also moved) or > (moved to another level, same wording).
    """

    key: str
    sign: str
    level: str
    text: str = ""
    text_en: str = ""
    old_level: str = ""
    old_text: str = ""
    old_text_en: str = ""
    moved: bool = False
    reconfirm: bool = False

    @property
    def reworded(self) -> bool:
        return self.sign == REWORDED

    def line(self) -> str:
        """The one line the dry run prints for this requirement (English, as the command speaks)."""
        if self.sign == MOVED:
            return f"> {self.key}: {self.old_level} → {self.level}"
        where = f"{self.old_level} → {self.level}" if self.moved else self.level
        line = f"{self.sign} {self.key} ({where}): {_short(self.text or self.text_en)}"
        if self.reconfirm:
            line += " [to be confirmed again]"
        return line


def diff(before: dict, after: dict, *, reconfirm=frozenset()) -> list[Change]:
    """The requirements added, removed, reworded and moved from snapshot `before` to `after`.

    Matched by key. One Change per key that differs; requirements whose only change is
    something else (category, position, check) are not listed. The keys present after
    come in the order of `after`, then the removed ones in the order of `before`.
    `reconfirm` are the keys whose rewording asked for confirming claims again.
    """
    old = {row["key"]: row for row in before.get("requirements", [])}
    new = {row["key"]: row for row in after.get("requirements", [])}
    changes = []
    for key, row in new.items():
        was = old.get(key)
        if was is None:
            changes.append(Change(key, ADDED, row["level"], row["text"], row["text_en"]))
            continue
        reworded = any(was[name] != row[name] for name in WORDING_FIELDS)
        moved = was["level"] != row["level"]
        if reworded or moved:
            changes.append(
                Change(
                    key, REWORDED if reworded else MOVED, row["level"], row["text"], row["text_en"],
                    old_level=was["level"], old_text=was["text"], old_text_en=was["text_en"], moved=moved,
                    reconfirm=reworded and key in reconfirm,
                )
            )
    for key, row in old.items():
        if key not in new:
            changes.append(Change(key, REMOVED, row["level"], row["text"], row["text_en"]))
    return changes


def change_counts(changes: list[Change]) -> dict[str, int]:
    """{"added", "removed", "reworded", "moved"}: a requirement reworded and moved counts in both."""
    counts = {name: 0 for name in COUNT_NAMES.values()}
    for change in changes:
        counts[COUNT_NAMES[change.sign]] += 1
        if change.sign == REWORDED and change.moved:
            counts["moved"] += 1
    return counts


def other_changes(before: dict, after: dict) -> list[list[str]]:
    """What else differs between two snapshots: [what, level code] pairs, `what` being
    "track" (its name or description; no level), "comment" (a level's) or "books" (a
    level's reading list)."""
    found = []
    old_track, new_track = before.get("track") or {}, after.get("track") or {}
    if old_track and any(old_track.get(name) != new_track.get(name) for name in TRACK_FIELDS):
        found.append(["track", ""])
    old_levels = {row["level"]: row for row in before.get("levels", [])}
    for row in after.get("levels", []):
        was = old_levels.get(row["level"])
        if was is None:
            continue
        if (was["comment"], was["comment_en"]) != (row["comment"], row["comment_en"]):
            found.append(["comment", row["level"]])
        if was["books"] != row["books"]:
            found.append(["books", row["level"]])
    return found


def describe_other(other, *, translated: bool = False) -> list[str]:
    """other_changes() as phrases: in English for the command, or in the interface language."""
    if translated:
        words = {"track": _("the track's name or description"), "comment": _("the comment of %(level)s"),
                 "books": _("the reading list of %(level)s")}
    else:
        words = {"track": "track name or description", "comment": "comment of %(level)s",
                 "books": "reading list of %(level)s"}
    return [words[what] % {"level": level} if level else words[what] for what, level in other]


# --- Loading a version -------------------------------------------------------------------------


@dataclass
class Impact:
    """What a load does to people, on the version's effective date.

    `gaining` and `losing` (people who become, or stop being, ready for a defense of
    their next level) are measured by a file's load and its dry run; None after an edit
    without a file (recorded_as_versions).
    """

    on: datetime.date
    gaining: int | None = None
    losing: int | None = None
    waiting_withdrawn: int = 0
    to_confirm_again: int = 0
    carried_over: int = 0
    confirmed_retired: int = 0
    moved: int = 0

    def claims(self) -> dict[str, int]:
        return {
            "waiting_withdrawn": self.waiting_withdrawn,
            "to_confirm_again": self.to_confirm_again,
            "carried_over": self.carried_over,
            "confirmed_retired": self.confirmed_retired,
            "moved": self.moved,
        }

    def lines(self) -> list[str]:
        """The impact as the dry run prints it."""
        out = [f"Impact on {self.on.isoformat()}:"]
        if self.gaining is not None:
            out.append(f"  people who become ready for a defense: {self.gaining}")
            out.append(f"  people who are no longer ready for a defense: {self.losing}")
        out += [
            f"  waiting claims withdrawn (requirement removed): {self.waiting_withdrawn}",
            f"  confirmed claims to be confirmed again (reworded, reconfirm): {self.to_confirm_again}",
            f"  confirmed claims carried over (reworded): {self.carried_over}",
            f"  confirmed claims leaving the checklist (requirement removed): {self.confirmed_retired}",
            f"  waiting or confirmed claims whose requirement moved: {self.moved}",
        ]
        return out


@dataclass
class LoadOutcome:
    """What a load did (or, on a dry run, would do) as a version of the track's framework."""

    track: str
    effective: datetime.date
    dry_run: bool
    # The number of the new version (None when the load changed nothing), and of the one before.
    number: int | None
    previous: int | None
    changes: list[Change] = field(default_factory=list)
    other: list[list[str]] = field(default_factory=list)
    impact: Impact | None = None
    version: FrameworkVersion | None = None

    def lines(self) -> list[str]:
        if self.number is None:
            return []
        against = f"version {self.previous}" if self.previous else "no earlier version"
        head = (
            f"Version {self.number} of {self.track}, effective {self.effective.isoformat()} "
            f"(against {against}): {len(self.changes)} requirement change(s)"
        )
        out = [head, *(change.line() for change in self.changes)]
        if self.other:
            out.append("Also changed: " + ", ".join(describe_other(self.other)))
        if self.impact is not None:
            out += self.impact.lines()
        return out


def load_framework(
    path: str | Path,
    *,
    dry_run: bool = False,
    using: str = "default",
    by=None,
    reason: str = "",
    effective=None,
) -> LoadReport:
    """Validate and apply one framework file as a new version of its track's framework.

    The history names `by` and `reason` (by default "load_framework <file name>").
    `effective` (a date, default today) is the version's effective date; what the load
    did to the framework and to people's claims is the report's `outcome`
    (framework_load, below).
    """
    return framework_load(
        parse_framework(path), dry_run=dry_run, using=using, by=by, effective=effective,
        file_name=Path(path).name, reason=reason or f"load_framework {Path(path).name}",
    )



class _DryRun(Exception):
    pass


def latest_version(track, *, using: str = "default") -> FrameworkVersion | None:
    if track is None or track.pk is None:
        return None
    return FrameworkVersion.objects.using(using).filter(track=track).order_by("-number").first()


def framework_load(
    spec: FrameworkSpec,
    *,
    dry_run: bool = False,
    using: str = "default",
    by=None,
    effective: datetime.date | None = None,
    file_name: str = "",
    reason: str = "",
) -> LoadReport:
    """Apply `spec` and record it as a new version of its track's framework, in one transaction.

    Refuses (FrameworkError) an effective date earlier than the latest version's. A
    version is appended when the framework after the load differs from the latest
    version's snapshot (or the track has none yet); then the claims on reworded and
    removed requirements are dealt with as the module says, and the people's checklist
    figures recounted. With dry_run everything runs and is rolled back, and the report
    also says who would gain or lose eligibility on the effective date. The report's
    `outcome` is a LoadOutcome.
    """
    effective = effective or timezone.localdate()
    result: dict[str, Any] = {}
    try:
        with transaction.atomic(using=using):
            result["report"] = _load(spec, dry_run=dry_run, using=using, by=by, effective=effective,
                                     file_name=file_name, reason=reason)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return result["report"]


def _load(spec, *, dry_run, using, by, effective, file_name, reason) -> LoadReport:
    track = Track.objects.using(using).select_for_update().filter(slug=spec.slug).first()
    before = _capture(track, effective=effective, measure_people=True, using=using)
    report = apply_framework(spec, using=using, by=by, reason=reason, recount=False)
    track = Track.objects.using(using).get(slug=spec.slug)
    wanted = {req.key: req for level in spec.levels for req in level.requirements}
    report.outcome = _record(
        before, track, reconfirm_wanted={key for key, req in wanted.items() if req.reconfirm},
        tracks_touched=report.tracks_touched, recount=report.changed,
        by=by, file_name=file_name, reason=reason, dry_run=dry_run, using=using,
    )
    return report


@dataclass
class _Before:
    """A track's framework and claims as they stood before a change, to record it as a version."""

    latest: FrameworkVersion | None
    effective: datetime.date
    snapshot: dict
    # The requirement rows by key, retired ones included: a key coming back is the same requirement.
    rows: dict[str, dict]
    # The people ready for a defense on the effective date (None when not measured).
    ready: set[int] | None
    # Waiting claims by requirement id.
    waiting: dict[int, int] = field(default_factory=dict)


def _capture(track, *, effective, measure_people: bool, using: str = "default") -> _Before:
    """What `_record` compares the track with after the change; the track row is locked first."""
    latest = latest_version(track, using=using)
    if latest is not None and effective < latest.effective_date:
        raise FrameworkError(
            f"--effective {effective.isoformat()} is earlier than version {latest.number} of {track.slug}, "
            f"effective {latest.effective_date.isoformat()}; versions follow one another in time."
        )
    if track is None:
        return _Before(latest=None, effective=effective, snapshot=EMPTY_SNAPSHOT, rows={},
                       ready=set() if measure_people else None)
    return _Before(
        latest=latest,
        effective=effective,
        snapshot=snapshot(track, using=using),
        rows=_requirement_rows(track, using=using),
        ready=_ready_people(track, effective, using=using) if measure_people else None,
        waiting=dict(
            Evidence.objects.using(using).filter(requirement__track=track, status=EvidenceStatus.CLAIMED)
            .order_by().values("requirement_id").annotate(n=Count("pk")).values_list("requirement_id", "n")
        ),
    )


def _requirement_rows(track, *, using: str = "default") -> dict[str, dict]:
    return {
        row["key"]: row
        for row in Requirement.objects.using(using).filter(track=track).values("pk", "key", "is_active", *WORDING_FIELDS)
    }


def _record(before: _Before, track, *, reconfirm_wanted, tracks_touched, recount: bool, by, file_name, reason,
            dry_run, using) -> LoadOutcome:
    """Append a version when `track`'s framework now differs from its latest version, and deal
    with the claims on its reworded and removed requirements (the module says how).

    `reconfirm_wanted`: the keys whose rewording, if any, is substantive. With `recount`,
    the checklist figures of the people on `track` and on `tracks_touched` are recounted
    (always those of the people whose claims this changed).
    """
    latest, effective = before.latest, before.effective
    after = snapshot(track, using=using)
    rows_after = _requirement_rows(track, using=using)
    # Rows are matched by id: a key changed in the admin is still the same row (and its claims).
    was = {row["pk"]: row for row in before.rows.values()}
    reworded = {
        key for key, row in rows_after.items()
        if row["pk"] in was and any(was[row["pk"]][name] != row[name] for name in WORDING_FIELDS)
    }
    reconfirm = reworded & set(reconfirm_wanted)
    # Against the latest version, as the versions page compares them (the rows could have
    # changed since in ways no version recorded, e.g. in an admin form saved in two steps).
    base = latest.snapshot if latest is not None else before.snapshot
    changes = diff(base, after, reconfirm=reconfirm)
    other = other_changes(base, after)
    active_after = {row["pk"] for row in rows_after.values() if row["is_active"]}
    removed_ids = [pk for pk, row in was.items() if row["is_active"] and pk not in active_after]
    moved_ids = [rows_after[change.key]["pk"] for change in changes if change.moved or change.sign == MOVED]

    creates = latest is None or _json(after) != _json(latest.snapshot)
    number = (latest.number + 1 if latest else 1) if creates else latest.number
    actor = by if by is not None and by.is_authenticated else None
    now = timezone.now()
    impact = Impact(on=effective)

    confirmed = Evidence.objects.using(using).filter(status=EvidenceStatus.CONFIRMED)
    reworded_ids = [rows_after[key]["pk"] for key in sorted(reworded)]
    reconfirm_ids = [rows_after[key]["pk"] for key in sorted(reconfirm)]
    impact.carried_over = confirmed.filter(
        requirement_id__in=[pk for pk in reworded_ids if pk not in reconfirm_ids], reconfirm_needed=False
    ).count()
    impact.confirmed_retired = confirmed.filter(requirement_id__in=removed_ids).count()
    impact.moved = Evidence.objects.using(using).filter(
        requirement_id__in=moved_ids, status__in=[EvidenceStatus.CLAIMED, EvidenceStatus.CONFIRMED]
    ).count()
    touched: set[int] = set()
    if reconfirm_ids:
        flagged = _mark_to_confirm_again(reconfirm_ids, by=by, at=now, number=number, reason=reason, using=using)
        impact.to_confirm_again = len(flagged)
        touched |= {claim.employee_id for claim in flagged}
    if removed_ids:
        withdrawn = services.claims_withdraw_removed(
            requirement_ids=removed_ids, by=by, at=now,
            comment=_("The requirement was removed from the framework of %(track)s (version %(number)s).")
            % {"track": track.name, "number": number},
            reason=reason, using=using,
        )
        touched |= {claim.employee_id for claim in withdrawn}
    # Those the caller withdrew itself (services.requirements_set_active) count too.
    impact.waiting_withdrawn = sum(before.waiting.get(pk, 0) for pk in removed_ids)

    if recount or touched:
        # The people of the tracks the change touched, those of forks sharing their levels
        # below the fork, and anyone whose claims it changed.
        on_tracks = services.people_meeting_requirements_of(set(tracks_touched) | {track.pk}, using=using)
        services.employee_counts_refresh(
            employees=Employee.objects.using(using).filter(
                Q(pk__in=on_tracks.values("pk")) | Q(pk__in=sorted(touched))
            )
        )
    if before.ready is not None:
        ready_after = _ready_people(track, effective, using=using)
        impact.gaining = len(ready_after - before.ready)
        impact.losing = len(before.ready - ready_after)

    version = None
    if creates:
        people = {} if impact.gaining is None else {"people": {"gaining": impact.gaining, "losing": impact.losing}}
        version = FrameworkVersion(
            track=track, number=number, effective_date=effective, loaded_by=actor,
            file_name=file_name[:255], snapshot=after,
            changes={**change_counts(changes), "reconfirm": sorted(reconfirm), "other": other,
                     "claims": impact.claims(), **people},
        )
        version.full_clean(exclude=["track", "loaded_by"])
        version.save(using=using)
    current = version or latest
    # The wording each requirement has now came with this version (or with the latest,
    # when the change only restored what that version says). A derived column
    # (common.audit.DERIVED_FIELDS): the version row is the record of who and when.
    Requirement.objects.using(using).filter(track=track).filter(
        Q(wording_version__isnull=True) | Q(key__in=sorted(reworded))
    ).update(wording_version=current)
    return LoadOutcome(
        track=track.slug, effective=effective, dry_run=dry_run,
        number=number if creates else None,
        previous=latest.number if latest is not None else None,
        changes=changes, other=other, impact=impact, version=None if dry_run else version,
    )


@contextmanager
def recorded_as_versions(tracks, *, by=None, reason: str = "", source: str = "", using: str = "default"):
    """Record what the block changes in the frameworks of `tracks` (ids or rows) as versions,
    effective today, in one transaction with it.

    For the writes that change a framework without a file: the admin's edits of
    requirements and the requirements spreadsheet. A rewording there is never
    substantive (nothing asks for `reconfirm`): confirmed claims carry over and the
    progress page says they were confirmed against an earlier wording. Who gains or loses
    eligibility is not measured (that costs a pass over everyone on the track; the dry run
    of a file does it).

    Yields a list that holds, after the block, the outcome of each version appended.
    """
    ids = sorted({getattr(track, "pk", track) for track in tracks} - {None})
    today = timezone.localdate()
    outcomes: list[LoadOutcome] = []
    with transaction.atomic(using=using):
        befores = []
        for track in Track.objects.using(using).select_for_update().filter(pk__in=ids).order_by("pk"):
            latest = latest_version(track, using=using)
            # Today, or the latest version's date when the company dated that one ahead.
            effective = max(today, latest.effective_date) if latest is not None else today
            befores.append((track, _capture(track, effective=effective, measure_people=False, using=using)))
        yield outcomes
        for track, before in befores:
            # The checklists are the caller's to recount (services.checklists_changed).
            outcome = _record(before, track, reconfirm_wanted=set(), tracks_touched=set(), recount=False, by=by,
                              file_name=source, reason=reason, dry_run=False, using=using)
            if outcome.number is not None:
                outcomes.append(outcome)


def _mark_to_confirm_again(requirement_ids, *, by, at, number, reason, using) -> list[Evidence]:
    """Mark the confirmed claims on these (reworded) requirements to be confirmed again.

    The people's rows are locked first, in id order, as every writer of their claims
    does, then the claims; each gets a history row and a "reworded" event.
    """
    claims = Evidence.objects.using(using).filter(
        requirement_id__in=requirement_ids, status=EvidenceStatus.CONFIRMED, reconfirm_needed=False
    )
    people = sorted(set(claims.values_list("employee_id", flat=True)))
    if not people:
        return []
    list(Employee.objects.using(using).select_for_update().filter(pk__in=people).order_by("pk").values_list("pk", flat=True))
    locked = list(claims.select_for_update().order_by("pk"))
    for claim in locked:
        claim.reconfirm_needed = True
    comment = _(
        "The requirement was reworded in version %(number)s; the confirmation was given against the "
        "earlier wording and counts again once the team lead confirms it against the new one."
    ) % {"number": number}
    audit.bulk_update(locked, ["reconfirm_needed"], by=by, reason=f"{reason}: reworded in version {number}")
    EvidenceEvent.objects.using(using).bulk_create(
        [
            EvidenceEvent(
                evidence=claim, action=EvidenceEvent.Action.REWORDED, actor=by if by is not None and by.is_authenticated else None,
                at=at, description=claim.description, links=claim.links, comment=comment,
            )
            for claim in locked
        ]
    )
    return locked


def _ready_people(track, on: datetime.date, *, using: str = "default") -> set[int]:
    """The people meeting `track`'s requirements (on the track, or on a fork that shares its
    levels below the fork) who are ready on `on` for a defense of their next level: the
    progress page's own checklist and time rules (selectors.Progress.ready_on), one person at a time.

    People who have left by then, or have no level, are left out.
    """
    meeting = services.people_meeting_requirements_of([track.pk], using=using).values("pk")
    people = (
        Employee.objects.using(using).filter(pk__in=meeting, current_level__isnull=False)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=on))
        .select_related("user", "track", "team_lead__user")
        .order_by("pk")
    )
    ready = set()
    for employee in people:
        if selectors.employee_progress(employee, on=on).ready_on(on):
            ready.add(employee.pk)
    return ready


# --- Reading versions --------------------------------------------------------------------------


def track_versions(track) -> list[FrameworkVersion]:
    """The versions of `track`'s framework, newest first, with who loaded each. One query."""
    return list(
        FrameworkVersion.objects.filter(track=track)
        .select_related("loaded_by")
        .defer("snapshot")
        .order_by("-number")
    )


@dataclass
class Comparison:
    older: FrameworkVersion
    newer: FrameworkVersion
    changes: list[Change]
    other: list[list[str]]

    def other_labels(self) -> list[str]:
        return describe_other(self.other, translated=True)


def compare(track, number_from: int, number_to: int) -> Comparison | None:
    """The differences between two versions of `track` by number (None when either is unknown).

    The keys marked to be confirmed again are those a version after `number_from`, up to
    and including `number_to`, asked for. One query.
    """
    low, high = sorted((number_from, number_to))
    versions = {
        version.number: version
        for version in FrameworkVersion.objects.filter(track=track, number__gte=low, number__lte=high)
    }
    if number_from not in versions or number_to not in versions:
        return None
    older, newer = versions[number_from], versions[number_to]
    reconfirm = set()
    if number_from < number_to:
        for number, version in versions.items():
            if number_from < number <= number_to:
                reconfirm |= set((version.changes or {}).get("reconfirm") or [])
    return Comparison(
        older=older, newer=newer,
        changes=diff(older.snapshot, newer.snapshot, reconfirm=reconfirm),
        other=other_changes(older.snapshot, newer.snapshot),
    )
