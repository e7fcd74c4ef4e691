"""Reads the imports plan against: the tracks' ladders, the tracks and who already exists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower

from grades.models import Category, Employee, GradeChange, Ladder, Level, Requirement, Track, TrackRung

from . import rules

User = get_user_model()

# Rows per IN (...) list: far below SQLite's and MySQL's limits on parameters.
CHUNK = 500


# How a level is read for a ladder: (ladder slug, code, rank, name, Russian name, entry only, pk).
_LEVEL_FIELDS = ("ladder__slug", "code", "rank", "name", "name_ru", "entry_only", "pk")


def _track_ladder(rows, synonyms, *, owners=None) -> rules.TrackLadder:
    """A TrackLadder from level rows (_LEVEL_FIELDS) in rank order."""
    owners = owners or {}
    levels = {
        code: rules.LevelInfo(code, rank, name, entry_only, pk, owners.get(pk, ""))
        for _ladder, code, rank, name, _name_ru, entry_only, pk in rows
    }
    names = rules.ladder_names([(ladder, code, name, name_ru) for ladder, code, _r, name, name_ru, _e, _pk in rows], synonyms)
    return rules.TrackLadder(
        levels=levels, names=names, shipped=bool(rows) and all(row[0] == Ladder.DEFAULT_SLUG for row in rows)
    )


def shipped_ladder(synonyms: Mapping[str, Sequence[str]] | None = None) -> rules.TrackLadder:
    """The shipped ladder (Ladder.DEFAULT_SLUG), what a row whose track is unknown is read against. One query."""
    rows = Level.objects.filter(ladder__slug=Ladder.DEFAULT_SLUG).order_by("rank").values_list(*_LEVEL_FIELDS)
    return _track_ladder(list(rows), synonyms)


def track_ladders(
    track_slugs: Iterable[str], synonyms: Mapping[str, Sequence[str]] | None = None
) -> dict[str, rules.TrackLadder]:
    """{track slug: its full ladder (a fork's shared levels included)} for these tracks, in one query.

    A level name is looked up among the levels of the row's own track: codes are unique
    within a ladder only, so two tracks may name different levels "senior".
    """
    wanted = sorted({slug for slug in track_slugs if slug})
    rows: dict[str, list] = {slug: [] for slug in wanted}
    owners: dict[str, dict[int, str]] = {slug: {} for slug in wanted}
    rungs = (
        TrackRung.objects.filter(track__slug__in=wanted)
        .order_by("track_id", "rank")
        .values_list("track__slug", "owner__slug", *(f"level__{name}" for name in _LEVEL_FIELDS))
    )
    for track, owner, *level in rungs:
        rows[track].append(tuple(level))
        owners[track][level[-1]] = owner
    return {slug: _track_ladder(rows[slug], synonyms, owners=owners[slug]) for slug in wanted}


def track_levels(track_slugs: Iterable[str]) -> dict[str, dict[str, Level]]:
    """{track slug: {level code: Level}} over each track's full ladder, in one query: the rows
    an import writes for the level codes its plan names."""
    found: dict[str, dict[str, Level]] = {}
    rungs = TrackRung.objects.filter(track__slug__in=sorted(set(track_slugs))).select_related("track", "level")
    for rung in rungs:
        found.setdefault(rung.track.slug, {})[rung.level.code] = rung.level
    return found


def track_names(synonyms: Mapping[str, Sequence[str]] | None = None) -> dict[str, str]:
    """Every name an active track is known by, normalised, to its slug."""
    names: dict[str, str] = {}
    for slug, name, name_ru in Track.objects.active().values_list("slug", "name", "name_ru"):
        for alias in (slug, name, name_ru):
            if alias:
                names[rules.normalise_name(alias)] = slug
    active = set(names.values())
    for slug, aliases in (synonyms or {}).items():
        if slug in active:
            for alias in aliases:
                names[rules.normalise_name(alias)] = slug
    return names


def kind_names(synonyms: Mapping[str, Sequence[str]] | None = None) -> dict[str, str]:
    names = {kind: kind for kind in rules.HISTORY_KINDS}
    for kind, aliases in (synonyms or {}).items():
        for alias in aliases:
            names[rules.normalise_name(alias)] = kind
    return names


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def known_people(emails: Iterable[str]) -> dict[str, rules.KnownPerson]:
    """What the system holds for each of `emails` (lower case), matched case-insensitively.

    A fixed number of queries per 500 addresses: the accounts, then their employees
    with whether each has any ledger entry.
    """
    wanted = sorted({e for e in emails if e})
    users: dict[str, list[int]] = defaultdict(list)
    for chunk in _chunks(wanted):
        rows = (
            User.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=list(chunk))
            .order_by("pk")
            .values_list("email_lower", "pk")
        )
        for email, pk in rows:
            users[email].append(pk)
    by_user = {}
    user_ids = [pk for pks in users.values() for pk in pks]
    for chunk in _chunks(user_ids):
        rows = (
            Employee.objects.filter(user_id__in=list(chunk))
            .annotate(has_ledger=Exists(GradeChange.objects.filter(employee=OuterRef("pk"))))
            .values_list("user_id", "pk", "has_ledger", "hire_date", "track__slug")
        )
        for user_id, pk, has_ledger, hire_date, track in rows:
            by_user[user_id] = (pk, has_ledger, hire_date, track)
    known = {}
    for email, pks in users.items():
        employee = by_user.get(pks[0]) if len(pks) == 1 else None
        if employee is None:
            known[email] = rules.KnownPerson(user_ids=tuple(pks))
        else:
            pk, has_ledger, hire_date, track = employee
            known[email] = rules.KnownPerson(
                user_ids=tuple(pks), employee_id=pk, has_ledger=bool(has_ledger),
                hire_date=hire_date, track=track,
            )
    return known


def people_facts(
    people: Sequence[rules.SourceRow],
    *,
    levels: Mapping[str, Sequence[str]] | None = None,
    tracks: Mapping[str, Sequence[str]] | None = None,
    kinds: Mapping[str, Sequence[str]] | None = None,
) -> rules.PeopleFacts:
    """The facts `rules.plan_people` needs for these rows (their tracks' ladders, their
    e-mails and team leads), in a fixed number of queries however many rows there are."""
    emails = set()
    for row in people:
        emails.add(rules.normalise_email(row.values.get("email")))
        emails.add(rules.normalise_email(row.values.get("team_lead_email")))
    names = track_names(tracks)
    shipped = shipped_ladder(levels)
    return rules.PeopleFacts(
        levels=shipped.levels,
        level_names=shipped.names,
        track_names=names,
        kind_names=kind_names(kinds),
        known=known_people(emails),
        ladders=track_ladders((names.get(rules.normalise_name(row.values.get("track"))) for row in people), levels),
    )


# --- Requirements ---------------------------------------------------------------------------


def requirement_facts(track_slugs: Iterable[str]):
    """The tracks, their ladders and the existing requirements a requirements file may touch."""
    from .requirements import RequirementFacts

    tracks = {t.slug: t for t in Track.objects.all()}
    slugs = {slug for slug in track_slugs if slug in tracks}
    wanted = [tracks[slug].pk for slug in slugs]
    existing = {}
    for req in Requirement.objects.filter(track_id__in=wanted).select_related("track", "track_level__level"):
        existing[(req.track.slug, req.key)] = req
    shipped = shipped_ladder()
    return RequirementFacts(
        track_names=track_names_all(),
        levels=shipped.levels,
        level_names=shipped.names,
        existing=existing,
        categories=frozenset(Category.objects.values_list("key", flat=True)),
        ladders=track_ladders(slugs),
    )


def track_names_all() -> dict[str, str]:
    """Like track_names, but retired tracks too: a framework can be edited before it opens."""
    names: dict[str, str] = {}
    for slug, name, name_ru in Track.objects.values_list("slug", "name", "name_ru"):
        for alias in (slug, name, name_ru):
            if alias:
                names[rules.normalise_name(alias)] = slug
    return names


def delivery_facts(emails: Iterable[str], *, lock: bool = False):
    """What a delivery spreadsheet is planned against: the employees of `emails` and their stored facts.

    With `lock` (inside the confirming transaction) those employees' rows are locked
    first, in id order, as the delivery services lock a person before writing their facts.
    """
    from django.utils import timezone

    from grades.models import DeliveryFact

    from .delivery import FIELDS, DeliveryFacts, StoredFact

    people: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(sorted({rules.normalise_email(email) for email in emails if email})):
        for employee in (
            Employee.objects.annotate(email_lower=Lower("user__email"))
            .filter(email_lower__in=chunk)
            .select_related("user")
            .order_by("pk")
        ):
            people.setdefault(employee.email_lower, (employee.pk, str(employee)))
    ids = sorted({pk for pk, _name in people.values()})
    if lock:
        for chunk in _chunks(ids):
            list(Employee.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk", flat=True))
    stored: dict[int, list] = defaultdict(list)
    for chunk in _chunks(ids):
        for fact in DeliveryFact.objects.filter(employee_id__in=chunk).order_by("employee_id", "period_start", "id"):
            stored[fact.employee_id].append(
                StoredFact(fact.pk, fact.measure, tuple(getattr(fact, name) for name in FIELDS))
            )
    return DeliveryFacts(people=people, stored=dict(stored), today=timezone.localdate())


# --- Syncing with the HR system -------------------------------------------------------------


def sync_facts(rows: Sequence[rules.SourceRow]):
    """What a sync with the HR system's export is planned against: every employee (a full
    sync marks those missing from the file as leaving), their HR keys, and the accounts
    that use the file's e-mail addresses. A fixed number of queries however many rows."""
    from django.utils import timezone

    from .models import PersonSource
    from .sync import StoredPerson, SyncFacts

    links = {
        employee_id: (key, hire_date)
        for employee_id, key, hire_date in PersonSource.objects.values_list("employee_id", "source_key", "hire_date")
    }
    people: dict[int, StoredPerson] = {}
    fields = (
        "pk", "user_id", "user__email", "user__first_name", "user__last_name", "track__slug", "team_lead_id",
        "hire_date", "probation_end", "career_start", "left_on",
    )
    for pk, user_id, email, first, last, track, lead, hired, probation, career, left in (
        Employee.objects.order_by("pk").values_list(*fields)
    ):
        key, source_hire = links.get(pk, ("", None))
        people[pk] = StoredPerson(
            employee_id=pk, user_id=user_id, email=rules.normalise_email(email), first_name=first, last_name=last,
            track=track, team_lead_id=lead, hire_date=hired, probation_end=probation, career_start=career,
            left_on=left, source_key=key, source_hire_date=source_hire,
        )
    emails = {rules.normalise_email(row.values.get("email")) for row in rows}
    emails |= {rules.normalise_email(row.values.get("team_lead_email")) for row in rows}
    accounts = {email: known.user_ids for email, known in known_people(emails).items()}
    return SyncFacts(
        people=people,
        accounts=accounts,
        track_names=track_names_all(),
        active_tracks=frozenset(Track.objects.active().values_list("slug", flat=True)),
        today=timezone.localdate(),
    )
