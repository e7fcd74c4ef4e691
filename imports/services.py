"""
Writing a checked import plan.

Each writer takes a plan made by `rules.plan_people` or
`requirements.plan_requirements` and must be called inside the transaction the
plan was made in (imports.people and imports.spreadsheets do both in one
`transaction.atomic`), so what was checked is what is written. New people are
written in bulk under the same rules the grade services apply one by one (see
`_create_people`); a person already here without a ledger goes through
`grade_change_record`. A refusal or a constraint violation while writing means the
data changed under the import: the whole import rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower

from common import audit
from grades import selectors as grade_selectors
from grades import services as grade_services
from grades import versions as grade_versions
from grades.models import Employee, GradeChange, Requirement, Track, TrackLevel
from grades.roles import DEVELOPER

from . import requirements as requirement_plans
from . import rules, selectors
from .models import ImportRun
from .requirements import RequirementsPlan

User = get_user_model()


class ImportRefused(Exception):
    """An import that is not written at all; the message says why, for the user."""


class PreviewOutdated(ImportRefused):
    """What a confirmation would write is no longer what its preview showed: the data
    changed in between (an account or employee made, a lead removed). Nothing is written;
    the person gets a new preview to check."""


@dataclass
class PeopleWritten:
    people_created: int = 0
    accounts_linked: int = 0  # employees made on accounts that were here already
    ledgers_added: int = 0
    entries_written: int = 0

    @property
    def total(self) -> int:
        return self.people_created + self.accounts_linked + self.ledgers_added


def _username_for(email: str, taken) -> str:
    """The e-mail itself when it can be a username and is free; else its local part and a number."""
    user_field = User._meta.get_field(User.USERNAME_FIELD)

    def candidates():
        yield email
        base = "".join(ch for ch in email.split("@")[0] if ch.isalnum() or ch in "._+-") or "person"
        for n in range(2, 1000):
            yield f"{base}-{n}"

    for candidate in candidates():
        if len(candidate) > user_field.max_length:
            continue
        try:
            for validator in user_field.validators:
                validator(candidate)
        except ValidationError:
            continue
        if not taken(candidate):
            return candidate
    raise ImportRefused(f"No free username could be made for {email}.")


def people_write(*, plan: rules.PeoplePlan, by=None) -> PeopleWritten:
    """Write every person of `plan` whose action is create, link or add_ledger.

    Call inside the transaction `plan` was made in. New employees, on new accounts
    or on accounts that were here already, are written in bulk (see
    `_create_people`); a person the system has without a ledger goes through the
    grade services one by one, as that case is rare.
    """
    written = PeopleWritten()
    # The plan names levels by code, on each person's track's ladder.
    levels = selectors.track_levels({p.track for p in plan.people if p.writes})
    creating = [p for p in plan.people if p.action in (rules.Action.CREATE, rules.Action.LINK)]
    if creating:
        written.entries_written += _create_people(creating, levels, by)
        written.people_created = sum(1 for p in creating if p.action == rules.Action.CREATE)
        written.accounts_linked = len(creating) - written.people_created
        # The bulk writes go around the grade services: count the new people's checklists here.
        for chunk in _chunks([p.user_id for p in creating]):
            grade_services.employee_counts_refresh(employees=Employee.objects.filter(user_id__in=chunk))
    person = None
    try:
        for person in plan.people:
            if person.action != rules.Action.ADD_LEDGER:
                continue
            hire, *later = person.entries
            employee = _start_ledger(person, hire, levels, by)
            for entry in later:
                grade_services.grade_change_record(
                    employee=employee,
                    kind=entry.kind,
                    level=levels[person.track][entry.level],
                    effective_date=entry.date,
                    reason=entry.reason,
                    by=by,
                )
            written.ledgers_added += 1
            written.entries_written += len(person.entries)
    except grade_services.GradeError as exc:
        raise ImportRefused(
            f"key {person.key} ({person.email}): {exc} The data changed while the import ran; "
            "nothing was written. Run the import again."
        ) from exc
    return written


BATCH = 500


def _create_people(people: list[rules.PersonPlan], levels: dict, by) -> int:
    """New accounts, employees and ledgers for `people`, in a fixed number of queries per batch.

    The bulk path keeps what `employee_hire` and `grade_change_record` keep: the plan
    has already checked each ledger with the same rules (one hire first, dates never
    going back, a promotion only to the next rank and never into an entry level, a
    reason on every correction) and the employee's dates; the database constraints
    hold them too (one hire per person, dates in order). The denormalised level is
    the ledger's latest entry and, as `grades.selectors.level_since` has it, began
    on that entry's date (an imported ledger has no lateral track moves). Employee
    history rows are written for every new employee, as save() would. New accounts get an unusable password (the person sets one
    through a reset, or signs in another way) and the Developer role. Returns the
    number of ledger entries written.
    """
    tracks = {track.slug: track.pk for track in Track.objects.all()}
    # A linked person (rules.Action.LINK) keeps their account as it is: only new ones are made.
    new_users = [p for p in people if not p.user_id]
    usernames = _usernames([p.email for p in new_users])
    users = []
    for person in new_users:
        user = User(
            username=usernames[person.email],
            email=person.email,
            first_name=person.first_name,
            last_name=person.last_name,
        )
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users, batch_size=BATCH)
    # Ids read back by username: MySQL does not return them from a bulk insert.
    user_ids = {}
    for chunk in _chunks(list(usernames.values())):
        user_ids.update(User.objects.filter(username__in=chunk).values_list("username", "pk"))
    for person in new_users:
        person.user_id = user_ids[usernames[person.email]]
    developers = Group.objects.filter(name=DEVELOPER).first()
    if developers is not None:
        Membership = User.groups.through
        Membership.objects.bulk_create(
            [Membership(user_id=p.user_id, group_id=developers.pk) for p in new_users], batch_size=BATCH
        )

    existing_leads = _existing_employees({p.team_lead_email for p in people if p.team_lead_email})
    by_user: dict[int, Employee] = {}
    by_email: dict[str, int] = dict(existing_leads)
    waiting = list(people)
    # In waves, leads before the people they lead, so each employee is written once
    # with their lead. Leads who lead each other (a cycle) get theirs in an update.
    while waiting:
        wave = [p for p in waiting if not p.team_lead_email or p.team_lead_email in by_email]
        cycle = not wave
        if cycle:
            wave = waiting
        Employee.objects.bulk_create(
            [
                Employee(
                    user_id=person.user_id,
                    track_id=tracks[person.track],
                    team_lead_id=None if cycle else by_email.get(person.team_lead_email),
                    hire_date=person.hire_date,
                    probation_end=person.probation_end,
                    career_start=person.career_start or person.hire_date,
                    current_level_id=levels[person.track][person.entries[-1].level].pk,
                    current_level_since=person.entries[-1].date,
                )
                for person in wave
            ],
            batch_size=BATCH,
        )
        for chunk in _chunks([p.user_id for p in wave]):
            by_user.update({e.user_id: e for e in Employee.objects.filter(user_id__in=chunk)})
        by_email.update({p.email: by_user[p.user_id].pk for p in wave})
        Employee.history.bulk_history_create([by_user[p.user_id] for p in wave], batch_size=BATCH, default_user=by)
        if cycle:
            led = []
            for person in wave:
                if person.team_lead_email:
                    employee = by_user[person.user_id]
                    employee.team_lead_id = by_email[person.team_lead_email]
                    led.append(employee)
            audit.bulk_update(led, ["team_lead"], by=by, batch_size=BATCH)
        done = {id(p) for p in wave}
        waiting = [p for p in waiting if id(p) not in done]

    entries = []
    for person in people:
        ledger = [
            GradeChange(
                employee_id=by_user[person.user_id].pk,
                kind=entry.kind,
                track_id=tracks[person.track],
                level_id=levels[person.track][entry.level].pk,
                effective_date=entry.date,
                reason=entry.reason,
                recorded_by=by,
            )
            for entry in person.entries
        ]
        grade_selectors.mark_previous_starts(ledger)
        entries += ledger
    GradeChange.objects.bulk_create(entries, batch_size=BATCH)
    return len(entries)


def _chunks(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_employees(emails: set[str]) -> dict[str, int]:
    """Employee ids by lower-case e-mail, for those of `emails` who are employees already."""
    found = {}
    for chunk in _chunks(sorted(emails)):
        found.update(
            Employee.objects.annotate(email_lower=Lower("user__email"))
            .filter(email_lower__in=chunk)
            .values_list("email_lower", "pk")
        )
    return found


def _usernames(emails: list[str]) -> dict[str, str]:
    """A free username for each e-mail: the e-mail itself where it can be one."""
    taken = set()
    for chunk in _chunks(emails):
        taken.update(User.objects.filter(username__in=chunk).values_list("username", flat=True))
    checked = set(emails)  # the e-mails themselves were all looked up above

    def is_taken(candidate):
        return candidate in taken or (
            candidate not in checked and User.objects.filter(username=candidate).exists()
        )

    chosen = {}
    for email in emails:
        name = _username_for(email, is_taken)
        taken.add(name)
        chosen[email] = name
    return chosen


def _start_ledger(person, hire, levels, by) -> Employee:
    """The hire entry of a person the system has without any ledger.

    `employee_hire` creates the person too, so the entry is written here under the
    same lock and checks `grade_change_record` uses.
    """
    employee = Employee.objects.select_for_update().get(pk=person.employee_id)
    if employee.grade_changes.exists():
        raise grade_services.GradeError(f"{employee} has a ledger now.")
    entry = GradeChange(
        employee=employee,
        kind=rules.HIRE,
        track=employee.track,
        level=levels[person.track][hire.level],
        effective_date=employee.hire_date,
        recorded_by=by,
    )
    entry.full_clean(exclude=["employee", "recorded_by"])
    entry.save()
    grade_services._refresh_current_level(employee)
    return employee


# --- Requirements -----------------------------------------------------------------------------


@dataclass
class RequirementsWritten:
    created: int = 0
    updated: int = 0
    # The versions of the tracks' frameworks the import appended (grades.versions.LoadOutcome).
    versions: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated


REQUIREMENTS_REASON = "requirements spreadsheet import"


def requirements_write(*, plan: RequirementsPlan, by=None, source: str = "") -> RequirementsWritten:
    """Create and update the requirements of `plan`; call inside the transaction it was made in.

    What the import changes in each track's framework is a new version of it, with `source`
    (the spreadsheet's name) as its file; `versions` lists them.
    """
    written = RequirementsWritten()
    tracks = {track.slug: track for track in Track.objects.all()}
    changing = {tracks[row.track].pk for row in plan.rows if row.writes}
    with grade_versions.recorded_as_versions(changing, by=by, reason=REQUIREMENTS_REASON, source=source) as versions:
        _requirements_write(plan, tracks, written, by)
    written.versions = versions
    # New, moved and reactivated requirements change the checklists of everyone on their tracks.
    grade_services.checklists_changed(track_ids=changing)
    return written


def _requirements_write(plan: RequirementsPlan, tracks: dict, written: RequirementsWritten, by) -> None:
    # The plan names levels by code, on each row's track's ladder.
    levels = selectors.track_levels({row.track for row in plan.rows if row.writes})
    for row in plan.rows:
        if not row.writes:
            continue
        track_level, _created = audit.get_or_create(
            TrackLevel, by=by, reason=REQUIREMENTS_REASON, track=tracks[row.track], level=levels[row.track][row.level]
        )
        if row.action == "create":
            requirement = Requirement(track_level=track_level, key=row.key)
            written.created += 1
        else:
            requirement = Requirement.objects.select_for_update().get(track=tracks[row.track], key=row.key)
            written.updated += 1
        if requirement.track_level_id != track_level.pk or requirement.pk is None:
            # New, or moved to another level: it goes to the end of that level's list.
            last = (
                Requirement.objects.filter(track_level=track_level)
                .order_by("-position")
                .values_list("position", flat=True)
                .first()
            )
            requirement.position = 0 if last is None else last + 1
            requirement.track_level = track_level
        for name, value in row.values.items():
            setattr(requirement, requirement_plans.attname(name), value)
        requirement.is_active = True
        requirement.track = track_level.track
        try:
            requirement.full_clean(exclude=["track"])
        except ValidationError as exc:
            raise ImportRefused(f"row {row.row.number}: {' '.join(exc.messages)} Nothing was written.") from exc
        audit.save(requirement, by=by, reason=REQUIREMENTS_REASON)


# --- Delivery facts ---------------------------------------------------------------------------

DELIVERY_REASON = "delivery spreadsheet import"


def delivery_write(*, plan, by=None) -> int:
    """Add the facts of `plan` (imports.delivery) whose action is create; call inside the
    transaction it was made in, with the people's rows locked (selectors.delivery_facts).

    Each fact is checked as the model's own validation has it and written with its
    history row naming `by`. Returns the number written.
    """
    from grades.models import DeliveryFact

    facts = []
    for row in plan.rows:
        if not row.writes:
            continue
        fact = DeliveryFact(employee_id=row.employee_id, recorded_by=by, **row.values.as_fields())
        try:
            fact.full_clean(exclude=["employee", "recorded_by"])
        except ValidationError as exc:
            raise ImportRefused(f"row {row.row.number}: {' '.join(exc.messages)} Nothing was written.") from exc
        facts.append(fact)
    audit.bulk_create(facts, by=by, reason=DELIVERY_REASON, batch_size=BATCH)
    return len(facts)


def import_run_record(*, kind: str, source: str, by, written: int, unchanged: int, skipped: int, report: str) -> ImportRun:
    return ImportRun.objects.create(
        kind=kind,
        source=source[:255],
        recorded_by=by if by is not None and by.is_authenticated else None,
        written=written,
        unchanged=unchanged,
        skipped=skipped,
        report=report,
    )


# --- Syncing with the HR system ---------------------------------------------------------------


def sync_write(*, plan, by=None, reason: str) -> None:
    """Write a sync plan (imports.sync); call inside the transaction it was made in.

    New people go through `people_write`, as the people import writes them, and get their
    HR key; their team leads are set once everyone is written, as a lead may be new too.
    A known person's changes are written together, each person in a savepoint of their
    own: the grade services may still refuse a track change (a check another app adds),
    and then that row alone is refused, with the reason, and the rest goes on. Accounts'
    names and e-mails have no history of their own: the run's report (ImportRun) names
    every change. Leavers get their leaving date with a history row each.
    """
    from .models import PersonSource
    from .sync import Action

    reason = audit.command_reason(reason, by)
    creating = [row for row in plan.rows if row.action == Action.CREATE]
    if creating:
        people_write(plan=rules.PeoplePlan(people=[row.new for row in creating], people_source="row"), by=by)
        ids = {}
        for chunk in _chunks([row.new.user_id for row in creating]):
            ids.update(Employee.objects.filter(user_id__in=chunk).values_list("user_id", "pk"))
        for row in creating:
            row.employee_id = ids[row.new.user_id]
        audit.bulk_create(
            [PersonSource(source_key=row.key, employee_id=row.employee_id, hire_date=row.source_hire_date) for row in creating],
            by=by, reason=reason, batch_size=BATCH,
        )

    # The first sync of people already here only gives each their key: in bulk.
    linking = [
        row for row in plan.rows
        if row.action == Action.UPDATE and row.link and not row.values and not row.rehire
        and row.source_hire_date == row.stored.hire_date
    ]
    for row in linking:
        row.employee_id = row.stored.employee_id
    audit.bulk_create(
        [PersonSource(source_key=row.key, employee_id=row.employee_id, hire_date=row.source_hire_date) for row in linking],
        by=by, reason=reason, batch_size=BATCH,
    )
    linked = {id(row) for row in linking}

    tracks = {track.slug: track for track in Track.objects.all()}
    for row in plan.rows:
        if row.action not in (Action.UPDATE, Action.REHIRE) or id(row) in linked:
            continue
        row.employee_id = row.stored.employee_id
        try:
            with transaction.atomic():
                _sync_person(row, tracks, by=by, reason=reason)
        except (grade_services.GradeError, ValidationError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            row.refuse(" ".join(messages))

    led = {row.employee_id: row for row in creating if row.lead_row is not None or row.lead_id}
    if led:
        employees = []
        for chunk in _chunks(sorted(led)):
            employees.extend(Employee.objects.filter(pk__in=chunk))
        for employee in employees:
            row = led[employee.pk]
            employee.team_lead_id = row.lead_row.employee_id if row.lead_row is not None else row.lead_id
        audit.bulk_update(employees, ["team_lead"], by=by, reason=reason, batch_size=BATCH)

    if plan.leavers:
        leaving = {leaver.person.employee_id: leaver.left_on for leaver in plan.leavers}
        employees = []
        for chunk in _chunks(sorted(leaving)):
            employees.extend(Employee.objects.select_for_update().filter(pk__in=chunk, left_on__isnull=True).order_by("pk"))
        if len(employees) != len(leaving):
            raise ImportRefused("Someone marked people as leaving while the sync ran; nothing was written. Run it again.")
        for employee in employees:
            employee.left_on = leaving[employee.pk]
        audit.bulk_update(employees, ["left_on"], by=by, reason=reason, batch_size=BATCH)


def _sync_person(row, tracks: dict, *, by, reason: str) -> None:
    """Write one known person's changes (imports.sync.RowPlan)."""
    from .models import PersonSource

    employee = Employee.objects.select_for_update().select_related("user").get(pk=row.employee_id)
    user = employee.user
    user_fields = [name for name in ("first_name", "last_name", "email") if name in row.values]
    for name in user_fields:
        setattr(user, name, row.values[name])
    if user_fields:
        user.save(update_fields=user_fields)
    fields = []
    if row.rehire:
        employee.left_on = None
        fields.append("left_on")
    for name in ("probation_end", "career_start"):
        if name in row.values:
            setattr(employee, name, row.values[name])
            fields.append(name)
    if "team_lead" in row.values:
        employee.team_lead_id = row.lead_row.employee_id if row.lead_row is not None else row.lead_id
        fields.append("team_lead")
    if fields:
        employee.full_clean(exclude=["user"])
        audit.save(employee, by=by, reason=reason)
    if row.link:
        audit.create(
            PersonSource, by=by, reason=reason, source_key=row.key, employee_id=employee.pk, hire_date=row.source_hire_date
        )
    elif row.source_hire_date != (row.stored.source_hire_date or row.stored.hire_date):
        link = PersonSource.objects.select_for_update().get(employee_id=employee.pk)
        link.hire_date = row.source_hire_date
        audit.save(link, by=by, reason=reason)
    if "track" in row.values:
        grade_services.employee_change_track(employee=employee, track=tracks[row.values["track"]], by=by, reason=reason)
