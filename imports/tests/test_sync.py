"""Syncing people with the HR system's export: `manage.py sync_people` and imports.sync."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from grades.models import Employee, GradeChange
from grades.tests.factories import UserFactory, hire
from imports import csvfile, services, sync
from imports.models import ImportKind, ImportRun, PersonSource

from .conftest import snapshot

pytestmark = pytest.mark.django_db

D = datetime.date
HEADER = ["source_key", "email", "first_name", "last_name", "track", "level", "hire_date", "team_lead_email"]


def person(key, email, *, first="F", last=None, track="backend", level="junior", hired="2022-01-10", lead=""):
    return [key, email, first, last or f"L{key}", track, level, hired, lead]


def csv_text(rows, header=HEADER) -> str:
    return "\n".join(",".join(row) for row in [header, *rows]) + "\n"


def run(rows, **options):
    table = csvfile.read_table(csv_text(rows), required=sync.SYNC_REQUIRED, optional=sync.SYNC_OPTIONAL)
    return sync.sync_people(table.rows, source="hr.csv", **options)


def command(tmp_path, data, *args):
    path = tmp_path / "hr.csv"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    out, err = _Buffer(), _Buffer()
    call_command("sync_people", str(path), *args, stdout=out, stderr=err)
    return out.text, err.text


class _Buffer:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def everything() -> dict:
    rows = snapshot()
    for model in (PersonSource, PersonSource.history.model):
        rows[model._meta.db_table] = list(model.objects.order_by("pk").values())
    return rows


def employee(email) -> Employee:
    return Employee.objects.select_related("user", "team_lead__user", "track").get(user__email=email)


def staff(n=5):
    """n people here already, hired through the grade services, without HR keys."""
    return [hire(user=UserFactory(email=f"p{i}@example.com")) for i in range(n)]


# --- Creating, updating, idempotence -----------------------------------------------------------


def test_new_people_are_created_with_their_key_lead_and_an_import_run():
    outcome = run([
        person("100", "lead@example.com", level="senior", hired="2019-02-04"),
        person("101", "dev@example.com", first="Олег", lead="Lead@Example.com"),
    ])

    dev = employee("dev@example.com")
    assert dev.team_lead.user.email == "lead@example.com"
    assert dev.user.first_name == "Олег"
    assert dev.current_level.code == "junior"
    assert dict(PersonSource.objects.values_list("source_key", "employee__user__email")) == {
        "100": "lead@example.com", "101": "dev@example.com",
    }
    assert PersonSource.objects.get(source_key="101").history.count() == 1
    run_row = ImportRun.objects.get()
    assert run_row.kind == ImportKind.HR_SYNC and run_row.written == 2
    report = outcome.report()
    assert "2 created, 0 updated" in report
    assert "created row 3 (key 101): dev@example.com, Олег L101, track backend, level junior" in report
    assert run_row.report == report


def test_a_second_run_of_the_same_file_changes_nothing_and_says_so():
    rows = [person("1", "a@example.com"), person("2", "b@example.com", lead="a@example.com")]
    run(rows, full=True)
    before = everything()

    outcome = run(rows, full=True)

    assert everything() == before
    assert outcome.plan.count(sync.Action.UNCHANGED) == 2 and outcome.plan.changed == 0
    assert "Nothing changed: the system already matches the file." in outcome.report()


def test_people_here_are_linked_by_e_mail_then_updated_by_key_with_old_and_new_values():
    lead, dev = hire(user=UserFactory(email="lead@example.com")), hire(user=UserFactory(email="dev@example.com", first_name="Ann", last_name="Old"))
    other_lead = hire(user=UserFactory(email="other@example.com"))
    first = run([
        person("1", "lead@example.com", first=lead.user.first_name, last=lead.user.last_name),
        person("2", "DEV@example.com", first="Ann", last="Old"),
        person("3", "other@example.com", first=other_lead.user.first_name, last=other_lead.user.last_name),
    ])
    assert first.plan.count(sync.Action.UPDATE) == 3
    assert "updated row 3 (key 2), dev@example.com: HR key - → 2" in first.report()
    link = PersonSource.objects.get(source_key="2").history.get()
    assert link.history_change_reason.startswith("HR sync (command line") and link.hire_date == D(2022, 1, 10)

    outcome = run([
        person("1", "lead@example.com", first=lead.user.first_name, last=lead.user.last_name),
        person("2", "ann.new@example.com", first="Ann", last="New", lead="other@example.com"),
        person("3", "other@example.com", first=other_lead.user.first_name, last=other_lead.user.last_name),
    ])

    dev = employee("ann.new@example.com")
    assert dev.user.last_name == "New" and dev.team_lead == other_lead
    assert outcome.plan.count(sync.Action.UPDATE) == 1 and outcome.plan.count(sync.Action.UNCHANGED) == 2
    line = next(line for line in outcome.report().splitlines() if "key 2" in line)
    assert "last_name Old → New" in line and "email dev@example.com → ann.new@example.com" in line
    assert "team lead - → other@example.com" in line
    latest = dev.history.first()
    assert latest.team_lead_id == other_lead.pk and latest.history_change_reason.startswith("HR sync")
    assert ImportRun.objects.count() == 2


def test_a_track_change_goes_through_the_ledger_and_is_hr_s_only():
    hr = UserFactory(username="hr", roles=["HR"])
    dev = hire(user=UserFactory(email="dev@example.com", first_name="A", last_name="B"))
    rows = [person("1", "dev@example.com", first="A", last="B", track="fullstack")]
    before = everything()

    refused = run(rows)

    assert everything() == before
    assert "moving a person to another track is HR's" in refused.report()

    outcome = run(rows, by=hr)

    dev.refresh_from_db()
    assert dev.track.slug == "fullstack"
    entry = GradeChange.objects.filter(employee=dev).latest("id")
    assert entry.kind == "transfer" and entry.recorded_by == hr
    assert "track backend → fullstack" in outcome.report()


def test_a_dry_run_writes_nothing_and_reports_the_plan():
    staff(1)
    before = everything()

    outcome = run([person("9", "new@example.com")], full=True, dry_run=True)

    assert everything() == before
    report = outcome.report()
    assert "1 to create" in report and "1 to mark as leaving" in report
    assert "to mark as leaving (p0@example.com)" in report
    assert report.endswith("Dry run: nothing was written.")


# --- Leaving and coming back ---------------------------------------------------------------


def test_a_full_sync_marks_people_missing_from_the_file_as_leaving_and_a_partial_one_does_not():
    people = staff(5)
    rows = [person(str(i), p.user.email, first=p.user.first_name, last=p.user.last_name) for i, p in enumerate(people[:4])]

    run(rows)
    assert Employee.objects.filter(left_on__isnull=False).count() == 0

    outcome = run(rows, full=True)

    gone = Employee.objects.get(pk=people[4].pk)
    assert gone.left_on == timezone.localdate()
    assert gone.history.first().history_change_reason.startswith("HR sync")
    assert Employee.objects.filter(left_on__isnull=True).count() == 4
    assert f"marked as leaving (p4@example.com): left on {timezone.localdate()}" in outcome.report()


def test_a_full_sync_that_would_mark_too_many_as_leaving_is_refused_unless_allowed(tmp_path):
    people = staff(5)
    data = csv_text([person("0", people[0].user.email, first=people[0].user.first_name, last=people[0].user.last_name)])
    before = everything()

    with pytest.raises(CommandError, match="would mark 4 of the 5 people here as leaving"):
        command(tmp_path, data, "--full")
    with pytest.raises(CommandError, match="--allow-mass-leave"):
        command(tmp_path, data, "--full", "--max-leave-share", "0.5")
    assert everything() == before

    out, _err = command(tmp_path, data, "--full", "--allow-mass-leave")

    assert Employee.objects.filter(left_on__isnull=False).count() == 4
    assert "4 marked as leaving" in out
    # A larger share, when it is configured, lets the same kind of sync through.
    hire(user=UserFactory(email="late@example.com"))
    out, _err = command(tmp_path, data, "--full", "--max-leave-share", "1")
    assert "1 marked as leaving" in out


def test_a_refused_row_keeps_its_person_from_being_marked_as_leaving():
    dev = hire(user=UserFactory(email="dev@example.com"))
    others = staff(4)
    rows = [person(str(i), p.user.email, first=p.user.first_name, last=p.user.last_name) for i, p in enumerate(others)]
    rows.append(person("9", "dev@example.com", track="no-such-track"))

    outcome = run(rows, full=True)

    dev.refresh_from_db()
    assert dev.left_on is None
    assert outcome.plan.leavers == []
    assert "refused row 6 (key 9): unknown track 'no-such-track'" in outcome.report()


def test_a_leaver_in_a_later_file_with_a_later_hire_date_is_taken_back():
    dev = hire(user=UserFactory(email="dev@example.com", first_name="A", last_name="B"))
    run([person("1", "dev@example.com", first="A", last="B")])
    Employee.objects.filter(pk=dev.pk).update(left_on=D(2023, 6, 30))
    rows = [person("1", "dev@example.com", first="A", last="B", hired="2024-03-01")]

    outcome = run(rows, full=True)

    dev.refresh_from_db()
    assert dev.left_on is None
    assert dev.hire_date == D(2022, 1, 10)  # the ledger's hire stays
    assert dev.grade_changes.count() == 1
    assert PersonSource.objects.get(employee=dev).hire_date == D(2024, 3, 1)
    line = next(line for line in outcome.report().splitlines() if "key 1" in line)
    assert line.startswith("  taken back row 2 (key 1)")
    assert "left_on 2023-06-30 → -" in line and "hire date in HR 2022-01-10 → 2024-03-01" in line

    before = everything()
    again = run(rows, full=True)
    assert everything() == before and again.plan.changed == 0


def test_a_leaver_whose_hire_date_is_neither_the_recorded_one_nor_after_leaving_is_refused():
    dev = hire(user=UserFactory(email="dev@example.com", first_name="A", last_name="B"))
    Employee.objects.filter(pk=dev.pk).update(left_on=D(2023, 6, 30))
    before = everything()

    outcome = run([person("1", "dev@example.com", first="A", last="B", hired="2023-01-01")])

    assert everything() == before
    assert "the person left on 2023-06-30; the hire_date 2023-01-01 is neither the recorded 2022-01-10" in outcome.report()


def test_someone_leaving_later_is_not_taken_back_by_being_in_the_file():
    dev = hire(user=UserFactory(email="dev@example.com", first_name="A", last_name="B"))
    later = timezone.localdate() + datetime.timedelta(days=30)
    Employee.objects.filter(pk=dev.pk).update(left_on=later)
    run([person("1", "dev@example.com", first="A", last="B")])

    dev.refresh_from_db()
    assert dev.left_on == later


# --- Refused rows -------------------------------------------------------------------------------


def test_rows_that_cannot_be_applied_are_refused_with_their_key_and_reason_and_the_rest_is_applied():
    hire(user=UserFactory(email="here@example.com", first_name="H", last_name="Here"))
    hire(user=UserFactory(email="taken@example.com"))
    outcome = run([
        person("1", "here@example.com", first="H", last="Here", hired="2020-01-01"),
        person("2", "ok@example.com"),
        person("3", "bad-level@example.com", level="Principal"),
        person("4", "lost@example.com", lead="nobody@example.com"),
        person("5", "self@example.com", lead="self@example.com"),
        person("6", "follows@example.com", lead="bad-level@example.com"),
        person("", "nokey@example.com"),
    ])

    report = outcome.report()
    assert "refused row 2 (key 1): the hire_date 2020-01-01 differs from the recorded 2022-01-10" in report
    assert "refused row 4 (key 3): unknown level name 'Principal'" in report
    assert "refused row 5 (key 4): team lead nobody@example.com is unknown" in report
    assert "refused row 6 (key 5): the person is their own team lead" in report
    assert "refused row 7 (key 6): team lead bad-level@example.com is not created: their row 4 (key 3) is refused" in report
    assert "refused row 8: no source_key" in report
    assert outcome.plan.count(sync.Action.CREATE) == 1
    assert set(Employee.objects.values_list("user__email", flat=True)) == {"here@example.com", "taken@example.com", "ok@example.com"}


def test_an_e_mail_that_is_another_account_s_is_refused():
    hire(user=UserFactory(email="a@example.com", first_name="A", last_name="A"))
    UserFactory(email="b@example.com")
    run([person("1", "a@example.com", first="A", last="A")])
    before = everything()

    outcome = run([person("1", "b@example.com", first="A", last="A")])

    assert everything() == before
    assert "the e-mail b@example.com is another account's" in outcome.report()


def test_team_leads_that_would_go_round_in_a_cycle_are_refused():
    a = hire(user=UserFactory(email="a@example.com", first_name="A", last_name="A"))
    hire(user=UserFactory(email="b@example.com", first_name="B", last_name="B"), team_lead=a)
    before = everything()

    outcome = run([
        person("1", "a@example.com", first="A", last="A", lead="b@example.com"),
        person("2", "b@example.com", first="B", last="B", lead="a@example.com"),
        person("3", "x@example.com", lead="y@example.com"),
        person("4", "y@example.com", lead="x@example.com"),
    ])

    report = outcome.report()
    assert "refused row 2 (key 1): the team leads go round in a cycle: a@example.com → b@example.com → a@example.com" in report
    assert "refused row 4 (key 3): the team leads go round in a cycle" in report
    assert "refused row 5 (key 4): the team leads go round in a cycle" in report
    # b keeps a as lead (row 3 changes nothing itself), but with row 2 it would close the cycle.
    assert outcome.plan.count(sync.Action.REFUSE) == 4
    assert everything() == before


def test_a_full_sync_refuses_a_lead_who_is_not_in_the_file():
    lead = hire(user=UserFactory(email="lead@example.com"))
    staff(4)
    rows = [person(str(i), f"p{i}@example.com") for i in range(4)]
    rows[0][-1] = "lead@example.com"
    outcome = run(rows)
    assert outcome.plan.count(sync.Action.REFUSE) == 0  # a partial sync keeps the lead here

    outcome = run(rows, full=True)

    assert "team lead lead@example.com is not in the file, so this full sync marks them as leaving" in outcome.report()
    lead.refresh_from_db()
    assert lead.left_on == timezone.localdate()


# --- Files refused whole -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, message",
    [
        (csv_text([person("1", "a@example.com")], header=HEADER[:5] + ["lvl", "hire_date", "team_lead_email"]),
         "no column(s) level"),
        ("source_key,email\n1,a@example.com\n", "no column(s) first_name, last_name, track, level, hire_date"),
        (csv_text([person("1", "Ann@example.com", first="Анна")]).encode("cp1251"), "not UTF-8 text"),
        (csv_text([person("1", "a@example.com"), person("1", "b@example.com")]), "the source_key 1 is on rows 2, 3"),
        (csv_text([person("1", "a@example.com"), person("2", "A@example.com")]), "the email a@example.com is on rows 2, 3"),
        (csv_text([]), "no data rows"),
        (b"", "The file is empty"),
    ],
)
def test_a_bad_file_is_refused_with_a_message_and_nothing_changes(tmp_path, data, message):
    staff(2)
    before = everything()

    with pytest.raises(CommandError, match=re.escape(message)) as refused:
        command(tmp_path, data, "--full", "--allow-mass-leave")

    assert "Nothing was changed" in str(refused.value) or "nothing was changed" in str(refused.value)
    assert everything() == before


def test_the_command_reports_changes_refused_rows_and_dry_runs(tmp_path):
    data = csv_text([person("1", "a@example.com"), person("2", "b@example.com", track="nope")])

    out, err = command(tmp_path, data, "--dry-run")
    assert "1 to create" in out and "Dry run: nothing was written." in out
    assert Employee.objects.count() == 0

    out, err = command(tmp_path, data)
    assert "1 created" in out and "refused row 3 (key 2): unknown track 'nope'" in out
    assert "1 row(s) refused" in err
    out, err = command(tmp_path, data)
    assert "Nothing changed" in out


def test_the_service_refuses_a_duplicate_key_without_the_command():
    with pytest.raises(services.ImportRefused, match="source_key 7"):
        run([person("7", "a@example.com"), person("7", "b@example.com")])
    assert Employee.objects.count() == 0


def test_a_track_change_the_grade_services_refuse_refuses_that_row_alone_when_written():
    from reviews.tests.factories import organisation, requested

    org = organisation()
    dev = org["dev"]
    requested(org)  # an open promotion review: the person cannot move until it is closed
    rows = [
        person("1", dev.user.email, first="Renamed", last=dev.user.last_name,
               level="middle", hired="2021-03-01", track="fullstack", lead=org["lead"].user.email),
        person("2", "new@example.com"),
    ]

    outcome = run(rows, by=org["hr"])

    dev.refresh_from_db()
    dev.user.refresh_from_db()
    assert dev.track.slug == "backend" and dev.user.first_name == "Dana"
    assert not PersonSource.objects.filter(employee=dev).exists()
    assert Employee.objects.filter(user__email="new@example.com").exists()
    report = outcome.report()
    assert "refused row 2 (key 1): " in report and "has an open promotion review" in report
    assert "1 created, 0 updated" in report
    assert ImportRun.objects.get().report == report


def test_a_person_on_a_retired_track_stays_there_and_nobody_is_moved_onto_one():
    from grades.models import Track

    hr = UserFactory(username="hr", roles=["HR"])
    on_it = hire(user=UserFactory(email="a@example.com", first_name="A", last_name="A"), track_slug="fullstack")
    hire(user=UserFactory(email="b@example.com", first_name="B", last_name="B"))
    Track.objects.filter(slug="fullstack").update(is_active=False)
    run([person("1", "a@example.com", first="A", last="A", track="fullstack")], by=hr)
    before = everything()

    outcome = run([
        person("1", "a@example.com", first="A", last="A", track="fullstack"),
        person("2", "b@example.com", first="B", last="B", track="fullstack"),
    ], by=hr)

    assert outcome.plan.rows[0].action == sync.Action.UNCHANGED
    assert "refused row 3 (key 2): the fullstack track is retired; nobody can be moved onto it" in outcome.report()
    assert everything() == before
    on_it.refresh_from_db()
    assert on_it.track.slug == "fullstack"


def test_a_dry_run_says_when_the_full_sync_would_be_refused(tmp_path):
    people = staff(5)
    data = csv_text([person("0", people[0].user.email, first=people[0].user.first_name, last=people[0].user.last_name)])

    out, _err = command(tmp_path, data, "--full", "--dry-run")

    assert "4 to mark as leaving" in out
    assert "This full sync would mark 4 of the 5 people here as leaving (more than 20%)" in out
    assert Employee.objects.filter(left_on__isnull=False).count() == 0


def test_keys_differing_only_in_case_are_the_same_key():
    with pytest.raises(services.ImportRefused, match="the source_key ab-1 is on rows 2, 3"):
        run([person("AB-1", "a@example.com"), person("ab-1", "b@example.com")])
    run([person("AB-1", "a@example.com", first="A", last="A")])

    outcome = run([person("ab-1", "a.new@example.com", first="A", last="A")])

    assert outcome.plan.count(sync.Action.UPDATE) == 1
    assert PersonSource.objects.get().employee.user.email == "a.new@example.com"
