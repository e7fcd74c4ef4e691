"""import_legacy against a real second database filled from the example schema, broken rows included."""

from __future__ import annotations

import datetime
import io

import pytest
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from grades.models import Employee, GradeChange, Track
from grades.tests.factories import EmployeeFactory, UserFactory, hire
from imports import legacy_source
from imports.models import ImportKind, ImportRun
from imports.router import LegacyReadOnlyRouter

from .conftest import snapshot

pytestmark = pytest.mark.django_db

D = datetime.date
User = get_user_model()

VALID = {
    "olga.smirnova@old.example",
    "ivan.petrov@old.example",
    "maria.kuznetsova@old.example",
    "dmitry.volkov@old.example",
    "petr.sokolov@old.example",
    "sergey.orlov@old.example",
    "elena.fedorova@old.example",
}


def run(*args, source=None):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_legacy", *args, "--database-url", source.url, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def ledger(email):
    employee = Employee.objects.get(user__email__iexact=email)
    return [
        (entry.kind, entry.level.code, entry.effective_date, entry.reason)
        for entry in employee.grade_changes.chronological().select_related("level")
    ]


def write_mapping(tmp_path, content, name="mapping.yaml"):
    """A mapping file from YAML text or from a dict."""
    path = tmp_path / name
    text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


# The default mapping's people statement with one change, for the mapping tests.
PEOPLE_SQL = legacy_source.load_mapping().people


def test_dry_run_reports_counts_and_each_problem_with_its_key_and_writes_nothing(legacy_db):
    before = snapshot()

    out, err = run("--dry-run", source=legacy_db)

    assert "People: 18 row(s): 7 to create, 0 to give their ledger, 0 already in the system" in out
    assert "11 skipped" in out
    assert "Ledger entries to write: 17." in out
    expected = [
        "people row 8, key 9: unknown level name 'Architect'",
        "people row 9, key 10: unknown track 'QA'",
        "people row 10, key 11: dates out of order: probation_end 2021-01-01 is before hire_date 2021-03-01",
        "key 12: dates out of order: history key 1202 (promotion, 2021-12-01) is before the hire on 2022-03-01",
        "key 13: team lead boss@gone.example is missing",
        "key 14: duplicate e-mail anna@old.example (also key 15)",
        "key 15: duplicate e-mail anna@old.example (also key 14)",
        "key 16: no e-mail",
        "key 17: team lead arch@old.example is skipped (key 9)",
        "key 18: history key 1802: a promotion from Junior to Middle is not a step to the next level",
        "key 19: history row(s) with problems: key 1902",
        "history row 22, key 1902: unknown kind 'transfer'",
    ]
    for line in expected:
        assert line in out
    assert "Problems (12):" in out
    assert "Dry run: nothing was written." in out
    assert "12 problem(s)" in err
    assert snapshot() == before


def test_real_run_imports_the_valid_people_with_their_ledgers_and_skips_the_broken(legacy_db):
    out, err = run(source=legacy_db)

    assert "7 created" in out and "11 skipped" in out and "Ledger entries written: 17." in out
    assert set(User.objects.values_list("email", flat=True)) == VALID
    assert ledger("olga.smirnova@old.example") == [
        ("hire", "middle", D(2016, 2, 1), ""),
        ("promotion", "middle-plus", D(2016, 9, 1), "Review of February"),
        ("promotion", "middle-plus-plus", D(2017, 6, 1), ""),
        ("promotion", "senior", D(2018, 6, 1), ""),
        ("promotion", "senior-plus", D(2020, 3, 2), "Leads the billing team"),
    ]
    assert ledger("petr.sokolov@old.example") == [
        ("hire", "middle-plus", D(2019, 4, 1), ""),
        ("correction", "middle", D(2019, 10, 1), "Level set too high at hire"),
    ]
    # No history rows: hired at the current level on the hire date.
    assert ledger("elena.fedorova@old.example") == [("hire", "junior", D(2024, 9, 2), "")]

    ivan = Employee.objects.select_related("user", "track", "current_level", "team_lead__user").get(
        user__email="ivan.petrov@old.example"
    )
    assert (ivan.user.first_name, ivan.user.last_name) == ("Иван", "Петров")
    assert ivan.track.slug == "backend"
    # "M2" in the old system, through the mapping's synonyms; the level kept on the row agrees.
    assert (ivan.current_level.code, ivan.current_level_since) == ("middle-plus", D(2022, 2, 1))
    assert (ivan.hire_date, ivan.probation_end, ivan.career_start) == (D(2020, 3, 2), D(2020, 6, 1), D(2018, 1, 15))
    assert ivan.team_lead.user.email == "olga.smirnova@old.example"
    assert not ivan.user.has_usable_password()
    assert ivan.user.groups.filter(name="Developer").exists()
    # The lead's e-mail had capitals in the old system; it is matched without regard to case.
    elena = Employee.objects.get(user__email="elena.fedorova@old.example")
    assert elena.team_lead.user.email == "dmitry.volkov@old.example"
    assert Employee.objects.get(user__email="maria.kuznetsova@old.example").career_start == D(2023, 1, 9)

    run_record = ImportRun.objects.get()
    assert (run_record.kind, run_record.written, run_record.unchanged, run_record.skipped) == (
        ImportKind.LEGACY, 7, 0, 11,
    )
    assert "key 9: unknown level name 'Architect'" in run_record.report
    assert run_record.recorded_by is None


def test_running_again_changes_nothing_at_all(legacy_db):
    run(source=legacy_db)
    after_first = snapshot()

    out, _err = run(source=legacy_db)

    assert "0 created, 0 given their ledger, 7 already in the system (left as they are), 11 skipped" in out
    assert snapshot() == after_first


def test_a_person_who_is_already_here_with_history_is_left_exactly_as_they_are(legacy_db):
    ivan = hire(
        user=UserFactory(username="ivan", email="Ivan.Petrov@old.example", first_name="Ivan"),
        level_code="junior",
        hire_date=D(2020, 3, 2),
    )
    entries = list(GradeChange.objects.filter(employee=ivan).values())

    out, _err = run(source=legacy_db)

    assert "6 created" in out and "1 already in the system" in out
    assert list(GradeChange.objects.filter(employee=ivan).values()) == entries
    assert User.objects.filter(email__iexact="ivan.petrov@old.example").count() == 1
    ivan.refresh_from_db()
    assert (ivan.current_level.code, ivan.user.first_name, ivan.team_lead) == ("junior", "Ivan", None)


def test_a_person_here_without_any_ledger_gets_the_imported_history(legacy_db):
    maria = EmployeeFactory(
        user=UserFactory(username="maria", email="maria.kuznetsova@old.example"),
        track=Track.objects.get(slug="fullstack"),
        hire_date=D(2023, 1, 9),
    )
    assert not maria.grade_changes.exists()

    out, _err = run(source=legacy_db)

    assert "6 created, 1 given their ledger" in out
    assert ledger("maria.kuznetsova@old.example") == [
        ("hire", "junior", D(2023, 1, 9), ""),
        ("promotion", "junior-plus", D(2023, 8, 1), ""),
    ]
    maria.refresh_from_db()
    assert maria.current_level.code == "junior-plus"
    assert Employee.objects.filter(user__email="maria.kuznetsova@old.example").count() == 1


def test_strict_refuses_the_whole_import_when_any_row_has_a_problem(legacy_db):
    before = snapshot()

    with pytest.raises(CommandError, match=r"12 problem\(s\) found; nothing was imported \(strict mode\)"):
        run("--strict", source=legacy_db)

    assert snapshot() == before


def test_sql_in_a_value_is_only_data(legacy_db, tmp_path):
    name = "Robert'); DROP TABLE staff; --"
    legacy_db.execute(
        "INSERT INTO staff (id, mail, first_name, last_name, department_id, grade, hired_on, lead_mail)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (50, "bobby@old.example", name, "Tables", 1, "Junior", "2024-02-01", "x' OR '1'='1"),
    )
    # A parameter that would select everyone if it were pasted into the SQL.
    mapping = write_mapping(
        tmp_path,
        {
            "params": {"only": "bobby@old.example' OR '1'='1"},
            "people": PEOPLE_SQL.replace("AND s.hired_on >= %(hired_since)s", "AND s.mail = %(only)s"),
        },
    )

    out, _err = run("--mapping", mapping, source=legacy_db)
    assert "People: 0 row(s)" in out

    out, _err = run(source=legacy_db)
    # Bobby's lead is the text of an injection, so he is skipped as a missing lead, by key.
    assert "key 50: team lead x' or '1'='1 is missing" in out
    legacy_db.execute("UPDATE staff SET lead_mail = NULL WHERE id = %s", (50,))
    run(source=legacy_db)
    assert User.objects.get(email="bobby@old.example").first_name == name
    assert legacy_db.query("SELECT COUNT(*) FROM staff")[0][0] == 20


@pytest.mark.parametrize(
    "statement, message",
    [
        ("DELETE FROM staff", "only SELECT statements are allowed; this one starts with DELETE"),
        ("  -- looks harmless\n  UPDATE staff SET grade = 'S3'", "this one starts with UPDATE"),
        ("SELECT 1; DROP TABLE staff", "only one statement is allowed"),
        ("SELECT * FROM staff INTO OUTFILE '/tmp/staff.txt'", "SELECT ... INTO writes"),
        ("SELECT * FROM staff FOR UPDATE", "locking reads"),
    ],
)
def test_a_mapping_with_anything_but_one_select_is_refused(legacy_db, tmp_path, statement, message):
    mapping = write_mapping(tmp_path, {"people": statement})
    before = snapshot()

    with pytest.raises(CommandError, match="the people statement is refused") as caught:
        run("--mapping", mapping, source=legacy_db)

    assert message in str(caught.value)
    assert snapshot() == before
    assert legacy_db.query("SELECT COUNT(*) FROM staff")[0][0] == 19


def test_a_statement_missing_a_column_is_refused_with_the_columns_it_must_return(legacy_db, tmp_path):
    sql = PEOPLE_SQL.replace("s.hired_on AS hire_date,", "s.hired_on AS hired,")
    mapping = write_mapping(tmp_path, {"params": {"hired_since": D(2000, 1, 1)}, "people": sql})
    before = snapshot()

    with pytest.raises(CommandError) as caught:
        run("--mapping", mapping, source=legacy_db)

    message = str(caught.value)
    assert "The people statement has no column(s) hire_date; unexpected column(s) hired." in message
    assert "Expected the columns email, first_name, last_name, track, level, hire_date, source_key" in message
    assert snapshot() == before


def test_a_parameter_the_mapping_does_not_define_is_refused(legacy_db, tmp_path):
    mapping = write_mapping(tmp_path, {"people": PEOPLE_SQL})

    with pytest.raises(CommandError, match="uses the parameter\\(s\\) hired_since, which 'params' does not define"):
        run("--mapping", mapping, source=legacy_db)


def test_duplicate_source_keys_are_reported_on_every_row_that_has_them(legacy_db, tmp_path):
    sql = PEOPLE_SQL.replace("SELECT s.id AS source_key", "SELECT (s.id - s.id % 2) AS source_key").replace(
        "%(hired_since)s", "'2000-01-01'"
    )
    mapping = write_mapping(tmp_path, {"people": sql})

    out, _err = run("--dry-run", "--mapping", mapping, source=legacy_db)

    # Staff 2 and 3 both become key 2.
    assert "people row 2, key 2: duplicate key '2' (also row 3)" in out
    assert "people row 3, key 2: duplicate key '2' (also row 2)" in out


def test_the_source_connection_refuses_writes_whatever_sql_reaches_it(legacy_db):
    with legacy_source.open_source(url=legacy_db.url) as connection:
        with pytest.raises(DatabaseError):
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM staff")
    assert legacy_db.query("SELECT COUNT(*) FROM staff")[0][0] == 19


def test_the_importer_takes_a_connection_object(legacy_connection):
    outcome = legacy_source.legacy_import(source=legacy_connection, dry_run=True)

    assert outcome.plan.count("create") == 7
    assert outcome.problem_count == 12


def test_without_a_legacy_database_the_command_says_how_to_configure_one():
    if "legacy" in settings.DATABASES:
        pytest.skip("LEGACY_DATABASE_URL is set in this environment")
    with pytest.raises(CommandError, match="No legacy database is configured: set LEGACY_DATABASE_URL"):
        call_command("import_legacy", "--dry-run", stdout=io.StringIO())


def test_an_unreadable_mapping_names_the_file_and_the_problem(tmp_path):
    mapping = write_mapping(tmp_path, "people: [unclosed\n")
    with pytest.raises(CommandError, match=r"mapping.yaml: invalid YAML"):
        call_command("import_legacy", "--mapping", mapping, "--database-url", "sqlite:///unused", stdout=io.StringIO())

    mapping = write_mapping(tmp_path, "people: SELECT 1\nlevels:\n  middle-plusplus: [M2]\n")
    with pytest.raises(CommandError, match="levels: middle-plusplus is not a level code"):
        call_command("import_legacy", "--mapping", mapping, "--database-url", "sqlite:///unused", stdout=io.StringIO())


def test_the_router_keeps_models_and_migrations_away_from_the_legacy_database():
    router = LegacyReadOnlyRouter()
    assert router.db_for_read(Employee) is None
    assert router.db_for_write(Employee) is None
    assert router.allow_migrate("legacy", "grades") is False
    assert router.allow_migrate("default", "grades") is None
    assert "imports.router.LegacyReadOnlyRouter" in settings.DATABASE_ROUTERS
