"""The spreadsheet imports in admin, as HR uses them: upload, preview, confirm."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grades.models import Employee, FrameworkVersion, Requirement, TrackLevel
from grades.tests.factories import RequirementFactory, UserFactory, hire
from imports import csvfile
from imports.models import ImportKind, ImportRun

from .conftest import snapshot

pytestmark = pytest.mark.django_db

D = datetime.date
User = get_user_model()
PEOPLE_URL = reverse("admin:imports_importrun_people")
REQUIREMENTS_URL = reverse("admin:imports_importrun_requirements")

PEOPLE_ROWS = [
    ["email", "first_name", "last_name", "track", "level", "hire_date", "probation_end", "career_start", "team_lead_email"],
    ["nina.lead@example.com", "Нина", "Лидова", "backend", "Senior", "2019-02-04", "", "2012-09-01", ""],
    ["oleg@example.com", "Олег", "Новиков", "Backend", "Мидл+", "15.03.2021", "15.06.2021", "", "Nina.Lead@example.com"],
    ["bad.level@example.com", "Bad", "Level", "backend", "Principal", "2021-01-01", "", "", ""],
    ["", "No", "Mail", "backend", "junior", "2021-01-01", "", "", ""],
    ["dates@example.com", "Out", "Oforder", "fullstack", "junior", "2021-05-01", "2021-04-01", "", ""],
    ["lost@example.com", "Lost", "Lead", "fullstack", "junior", "2022-01-10", "", "", "nobody@example.com"],
    ["oleg@example.com", "Oleg", "Twice", "fullstack", "junior", "2022-02-01", "", "", ""],
    ["kate@example.com", "Kate", "Front", "Full-stack developer", "Junior+", "2023-09-01", "2023-12-01", "", ""],
]


def csv_bytes(rows, *, delimiter=";", bom=True) -> bytes:
    lines = [delimiter.join(f'"{cell}"' if delimiter in cell else cell for cell in row) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode("utf-8")


def upload(client, url, data: bytes, name="people.csv"):
    return client.post(url, {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def confirm(client, url, response):
    return client.post(url, {"action": "confirm", "token": response.context["token"]})


@pytest.fixture
def hr(client):
    user = UserFactory(username="hr", roles=["HR"], is_staff=True)
    client.force_login(user)
    return user


# --- People -------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter, bom", [(";", True), (",", False), (";", False), (",", True)])
def test_people_preview_lists_problems_by_row_number_and_writes_nothing(client, hr, delimiter, bom):
    before = snapshot()

    response = upload(client, PEOPLE_URL, csv_bytes(PEOPLE_ROWS, delimiter=delimiter, bom=bom))

    assert response.status_code == 200
    plan = response.context["plan"]
    assert [p.row.number for p in plan.people if p.writes] == [2, 9]
    assert [str(p) for p in response.context["problems"]] == [
        "row 3: duplicate e-mail oleg@example.com (also row 8)",
        "row 4: unknown level name 'Principal'",
        "row 5: no e-mail",
        "row 6: dates out of order: probation_end 2021-04-01 is before hire_date 2021-05-01",
        "row 7: team lead nobody@example.com is missing: not among the people rows and not in the system",
        "row 8: duplicate e-mail oleg@example.com (also row 3)",
    ]
    body = response.content.decode()
    assert "row 4" in body and "unknown level name &#x27;Principal&#x27;" in body
    assert "Confirm and import" in body
    assert snapshot() == before


def test_people_confirm_writes_exactly_the_valid_rows(client, hr):
    response = upload(client, PEOPLE_URL, csv_bytes(PEOPLE_ROWS))
    skipped_rows = {p.row.number for p in response.context["plan"].people if not p.writes}
    assert skipped_rows == {3, 4, 5, 6, 7, 8}  # row 3 shares its e-mail with row 8

    done = confirm(client, PEOPLE_URL, response)

    assert done.status_code == 302 and done.url == reverse("admin:grades_employee_changelist")
    assert set(Employee.objects.values_list("user__email", flat=True)) == {"nina.lead@example.com", "kate@example.com"}
    kate = Employee.objects.select_related("current_level", "track", "user").get(user__email="kate@example.com")
    assert (kate.track.slug, kate.current_level.code, kate.hire_date, kate.probation_end) == (
        "fullstack", "junior-plus", D(2023, 9, 1), D(2023, 12, 1),
    )
    assert not kate.user.has_usable_password()
    entry = kate.grade_changes.get()
    assert (entry.kind, entry.recorded_by) == ("hire", hr)
    run = ImportRun.objects.get()
    assert (run.kind, run.source, run.recorded_by, run.written, run.skipped) == (
        ImportKind.PEOPLE_CSV, "people.csv", hr, 2, 6,
    )


def test_uploading_the_same_file_again_changes_nothing(client, hr):
    data = csv_bytes(PEOPLE_ROWS[:3], delimiter=",", bom=False)
    confirm(client, PEOPLE_URL, upload(client, PEOPLE_URL, data))
    assert Employee.objects.count() == 2
    oleg = Employee.objects.get(user__email="oleg@example.com")
    assert oleg.team_lead.user.email == "nina.lead@example.com"
    assert oleg.current_level.code == "middle-plus" and oleg.hire_date == D(2021, 3, 15)
    before = snapshot()

    again = upload(client, PEOPLE_URL, data)

    assert again.context["to_write"] == 0
    assert "Nothing to write" in again.content.decode()
    assert "Confirm and import" not in again.content.decode()
    confirm(client, PEOPLE_URL, again)
    assert snapshot() == before


def test_a_person_who_is_here_already_keeps_their_ledger(client, hr):
    nina = hire(user=UserFactory(email="NINA.LEAD@example.com"), level_code="middle", hire_date=D(2020, 1, 1))
    before = list(nina.grade_changes.values())

    response = upload(client, PEOPLE_URL, csv_bytes(PEOPLE_ROWS[:3]))
    assert [p.action for p in response.context["plan"].people] == ["unchanged", "create"]
    confirm(client, PEOPLE_URL, response)

    assert list(nina.grade_changes.values()) == before
    assert Employee.objects.get(user__email="oleg@example.com").team_lead == nina


def test_a_change_between_preview_and_confirm_shows_a_new_preview_and_writes_nothing(client, hr):
    response = upload(client, PEOPLE_URL, csv_bytes(PEOPLE_ROWS[:3]))
    # Meanwhile someone hires Oleg by hand.
    hire(user=UserFactory(email="oleg@example.com"), level_code="junior")
    before = snapshot()

    again = confirm(client, PEOPLE_URL, response)

    assert again.status_code == 200
    assert "changed since the preview; nothing was written" in again.content.decode()
    assert [p.action for p in again.context["plan"].people] == ["create", "unchanged"]
    assert snapshot() == before
    # The new preview can be confirmed.
    confirm(client, PEOPLE_URL, again)
    assert Employee.objects.filter(user__email="nina.lead@example.com").exists()


def test_a_stale_or_forged_token_writes_nothing(client, hr):
    response = upload(client, PEOPLE_URL, csv_bytes(PEOPLE_ROWS[:3]))
    upload(client, PEOPLE_URL, csv_bytes(PEOPLE_ROWS[:2]))  # a second upload replaces the first
    before = snapshot()

    stale = confirm(client, PEOPLE_URL, response)

    assert stale.status_code == 302
    assert snapshot() == before
    followed = client.get(stale.url)
    assert "That preview is no longer current" in followed.content.decode()


def test_cancel_forgets_the_upload(client, hr):
    response = upload(client, PEOPLE_URL, csv_bytes(PEOPLE_ROWS[:3]))
    client.post(PEOPLE_URL, {"action": "cancel", "token": response.context["token"]})
    before = snapshot()

    confirm(client, PEOPLE_URL, response)

    assert snapshot() == before


@pytest.mark.parametrize(
    "data, message",
    [
        ("Имя;Фамилия\r\nИван;Петров\r\n".encode("cp1251"), "The file is not UTF-8 text"),
        (b"\xef\xbb\xbf", "The file is empty."),
        (b"\r\n\r\n", "The file is empty."),
        (b"PK\x03\x04\x14\x00\x06\x00", "not a CSV text file"),
        (
            "ivan@example.com;Ivan;Petrov;backend;junior;2021-01-01\r\n".encode(),
            "The first row must name the columns",
        ),
        (
            "email;first_name;last_name;track;level;hired\r\na@example.com;A;B;backend;junior;2021-01-01\r\n".encode(),
            "The file has no column(s) hire_date; unexpected column(s) hired.",
        ),
        (
            "email;first_name;last_name;track;level;hire_date\r\n".encode(),
            "The file has a header row but no data rows.",
        ),
    ],
)
def test_a_bad_file_changes_nothing_and_says_what_is_wrong(client, hr, data, message):
    before = snapshot()

    response = upload(client, PEOPLE_URL, data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert "The file was not read; nothing was written." in response.content.decode()
    assert "imports.pending.people" not in client.session
    assert snapshot() == before


def test_an_empty_upload_and_an_oversized_one_are_refused(client, hr, monkeypatch):
    response = upload(client, PEOPLE_URL, b"")
    assert "The submitted file is empty." in " ".join(response.context["form"].errors["file"])

    monkeypatch.setattr(csvfile, "MAX_BYTES", 100)
    response = upload(client, PEOPLE_URL, csv_bytes(PEOPLE_ROWS))
    assert "larger than" in " ".join(response.context["form"].errors["file"])

    monkeypatch.setattr(csvfile, "MAX_BYTES", 5 * 1024 * 1024)
    monkeypatch.setattr(csvfile, "MAX_ROWS", 3)
    response = upload(client, PEOPLE_URL, csv_bytes(PEOPLE_ROWS))
    assert "more than 3 rows" in " ".join(response.context["form"].errors["file"])
    assert Employee.objects.count() == 0


def test_the_size_limit_holds_at_five_megabytes(client, hr):
    big = csv_bytes(PEOPLE_ROWS) + b"x" * (5 * 1024 * 1024)

    response = upload(client, PEOPLE_URL, big)

    assert "The file is larger than 5 MB" in " ".join(response.context["form"].errors["file"])


# --- Who may ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PEOPLE_URL, REQUIREMENTS_URL])
@pytest.mark.parametrize("roles", [["Team lead"], ["Developer"], ["Manager"], ["Committee"]])
def test_other_roles_get_403_and_write_nothing(client, url, roles):
    client.force_login(UserFactory(roles=roles, is_staff=True))
    before = snapshot()

    assert client.get(url).status_code == 403
    assert upload(client, url, csv_bytes(PEOPLE_ROWS)).status_code == 403
    assert client.post(url, {"action": "confirm", "token": "x"}).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("url", [PEOPLE_URL, REQUIREMENTS_URL])
def test_anonymous_people_are_sent_to_the_admin_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and reverse("admin:login") in response.url


def test_hr_sees_the_import_buttons_and_others_do_not(client, hr):
    employees = client.get(reverse("admin:grades_employee_changelist")).content.decode()
    requirements = client.get(reverse("admin:grades_requirement_changelist")).content.decode()
    runs = client.get(reverse("admin:imports_importrun_changelist")).content.decode()
    assert PEOPLE_URL in employees and REQUIREMENTS_URL in requirements
    assert PEOPLE_URL in runs and REQUIREMENTS_URL in runs

    client.force_login(UserFactory(roles=["Team lead"], is_staff=True))
    assert PEOPLE_URL not in client.get(reverse("admin:grades_employee_changelist")).content.decode()
    assert client.get(reverse("admin:imports_importrun_changelist")).status_code == 403


# --- Requirements ------------------------------------------------------------------------------------

REQ_HEADER = ["track", "level", "key", "category", "text", "text_en", "check_kind", "check_params"]


@pytest.fixture
def existing_requirement():
    track_level = TrackLevel.objects.get(track__slug="backend", level__code="middle")
    return RequirementFactory(track_level=track_level, key="csv-existing", text="Старый текст", text_en="Old text")


def test_requirements_preview_confirm_and_reupload(client, hr, existing_requirement):
    rows = [
        REQ_HEADER,
        ["backend", "Middle", "csv-new", "hard_skill", "Знает Redis", "Knows Redis", "", ""],
        ["backend", "middle", "csv-existing", "hard_skill", "Новый текст", "New text", "", ""],
        ["backend", "junior", "csv-entry", "hard_skill", "Текст", "", "", ""],
        ["backend", "middle", "Bad Key", "hard_skill", "Текст", "", "", ""],
        ["qa", "middle", "csv-qa", "hard_skill", "Текст", "", "", ""],
        ["backend", "senior", "csv-years", "experience", "5 лет", "", "experience_years", '{"years": 5}'],
        ["backend", "senior", "csv-badcheck", "experience", "лет", "", "experience_years", '{"years": "five"}'],
        ["backend", "senior", "csv-badjson", "experience", "лет", "", "experience_years", "years=5"],
        ["backend", "middle", "csv-cat", "wizardry", "Текст", "", "", ""],
        ["fullstack", "middle", "csv-new", "hard_skill", "Другой трек", "", "", ""],
    ]
    before = snapshot()
    versions_before = {slug: latest_version_number(slug) for slug in ("backend", "fullstack")}

    response = upload(client, REQUIREMENTS_URL, csv_bytes(rows, delimiter=","), name="reqs.csv")

    plan = response.context["plan"]
    assert {r.row.number: r.action for r in plan.rows} == {
        2: "create", 3: "update", 4: "skip", 5: "skip", 6: "skip", 7: "create",
        8: "skip", 9: "skip", 10: "skip", 11: "create",
    }
    problems = [str(p) for p in response.context["problems"]]
    assert "row 4: level: the entry level has no requirements: nobody is promoted into it" in problems
    assert "row 5: key: 'Bad Key' is not a slug (lower-case letters, digits, hyphens)" in problems
    assert "row 6: track: unknown track 'qa'" in problems
    assert "row 8: check: experience_years needs 'years', a number from 1 to 60." in problems
    assert any(p.startswith("row 9: check_params: 'years=5' is not JSON") for p in problems)
    assert any(p.startswith("row 10: category: 'wizardry' is not one of") for p in problems)
    assert plan.rows[1].changes == ["text", "text_en"]
    assert snapshot() == before

    done = confirm(client, REQUIREMENTS_URL, response)

    assert done.url == reverse("admin:grades_requirement_changelist")
    existing_requirement.refresh_from_db()
    assert (existing_requirement.text, existing_requirement.text_en) == ("Новый текст", "New text")
    years = Requirement.objects.get(track__slug="backend", key="csv-years")
    assert (years.track_level.level.code, years.check_kind, years.check_params) == ("senior", "experience_years", {"years": 5})
    assert Requirement.objects.filter(key="csv-new").count() == 2
    new = Requirement.objects.get(track__slug="backend", key="csv-new")
    # A new line goes to the end of its level.
    assert new.position > max(
        Requirement.objects.filter(track_level=new.track_level).exclude(pk=new.pk).values_list("position", flat=True)
    )
    assert not Requirement.objects.filter(key__in=["csv-entry", "csv-qa", "csv-badcheck", "csv-badjson", "csv-cat"]).exists()
    assert ImportRun.objects.get().written == 4
    # What it changed in each track's framework is a version of it, named after the spreadsheet.
    backend = FrameworkVersion.objects.filter(track__slug="backend").latest("number")
    assert backend.number == versions_before["backend"] + 1
    assert (backend.file_name, backend.loaded_by) == ("reqs.csv", hr)
    # csv-existing came in without a version (a factory), so against version 1 it is new too.
    assert {k: backend.changes[k] for k in ("added", "reworded")} == {"added": 3, "reworded": 0}
    assert Requirement.objects.get(pk=existing_requirement.pk).wording_version == backend
    fullstack = FrameworkVersion.objects.filter(track__slug="fullstack").latest("number")
    assert fullstack.number == versions_before["fullstack"] + 1 and fullstack.changes["added"] == 1
    assert f"Version {backend.number} of backend's framework" in ImportRun.objects.get().report
    after = snapshot()

    again = upload(client, REQUIREMENTS_URL, csv_bytes(rows, delimiter=","), name="reqs.csv")
    assert again.context["to_write"] == 0
    confirm(client, REQUIREMENTS_URL, again)
    assert snapshot() == after
    assert latest_version_number("backend") == backend.number  # nothing changed: no version


def latest_version_number(slug) -> int:
    return FrameworkVersion.objects.filter(track__slug=slug).latest("number").number


def test_a_retired_requirement_named_in_the_file_is_reactivated(client, hr, existing_requirement):
    Requirement.objects.filter(pk=existing_requirement.pk).update(is_active=False)
    rows = [REQ_HEADER, ["backend", "middle", "csv-existing", "hard_skill", "Старый текст", "Old text", "", ""]]

    response = upload(client, REQUIREMENTS_URL, csv_bytes(rows))
    assert response.context["plan"].rows[0].changes == ["is_active"]
    confirm(client, REQUIREMENTS_URL, response)

    existing_requirement.refresh_from_db()
    assert existing_requirement.is_active


def test_requirement_files_need_their_own_columns(client, hr):
    response = upload(client, REQUIREMENTS_URL, csv_bytes(PEOPLE_ROWS))
    errors = " ".join(response.context["form"].errors["file"])
    assert "no column(s) key, category, text" in errors


def test_a_theme_the_company_defined_is_accepted_and_kept_by_key(client, hr, existing_requirement):
    from grades.models import Category

    Category.objects.create(key="communication", name="Communication", position=20)
    rows = [
        REQ_HEADER,
        ["backend", "middle", "csv-talks", "communication", "Выступает", "Gives talks", "", ""],
        ["backend", "middle", "csv-existing", "hard_skill", "Старый текст", "Old text", "", ""],
        ["backend", "middle", "csv-nope", "influence", "Текст", "", "", ""],
    ]
    response = upload(client, REQUIREMENTS_URL, csv_bytes(rows))
    plan = response.context["plan"]
    # The existing line is unchanged: its theme is compared by key.
    assert [row.action for row in plan.rows] == ["create", "unchanged", "skip"]
    problems = [str(p) for p in response.context["problems"]]
    assert any(p.startswith("row 4: category: 'influence' is not one of") and "communication" in p for p in problems)
    confirm(client, REQUIREMENTS_URL, response)
    assert Requirement.objects.get(key="csv-talks").category.name == "Communication"
