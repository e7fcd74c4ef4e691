"""The people page in admin as HR syncs with the HR system's export there: upload, preview, confirm."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from grades.models import Employee
from grades.tests.factories import UserFactory, hire
from imports.models import ImportKind, ImportRun

from .test_sync import csv_text, everything, person

pytestmark = pytest.mark.django_db

URL = reverse("admin:imports_importrun_people")


@pytest.fixture
def hr(client):
    user = UserFactory(username="hr", roles=["HR"], is_staff=True)
    client.force_login(user)
    return user


def upload(client, rows, mode, *, allow=False):
    data = {"file": SimpleUploadedFile("hr.csv", csv_text(rows).encode(), content_type="text/csv"), "mode": mode}
    if allow:
        data["allow_mass_leave"] = "on"
    return client.post(URL, data)


def confirm(client, response):
    return client.post(URL, {"action": "confirm", "token": response.context["token"]})


def here(n):
    return [hire(user=UserFactory(email=f"p{i}@example.com", first_name="P", last_name=f"L{i}")) for i in range(n)]


def rows_for(people):
    return [person(str(i), p.user.email, first="P", last=f"L{i}") for i, p in enumerate(people)]


def test_hr_previews_a_full_sync_then_confirms_it(client, hr):
    people = here(5)
    rows = rows_for(people[:4]) + [person("9", "new@example.com", lead="p0@example.com")]
    before = everything()

    page = upload(client, rows, "full")

    assert page.status_code == 200
    assert everything() == before
    text = page.content.decode()
    assert "to mark as leaving (p4@example.com)" in text
    assert "created row 6 (key 9)" not in text and "to create row 6 (key 9): new@example.com" in text
    assert dict(page.context["counts"])["new people"] == 1
    assert 'value="confirm"' in text

    done = confirm(client, page)

    run = ImportRun.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("admin:imports_importrun_change", args=[run.pk])
    assert run.kind == ImportKind.HR_SYNC and run.recorded_by == hr
    assert Employee.objects.get(pk=people[4].pk).left_on == timezone.localdate()
    new = Employee.objects.get(user__email="new@example.com")
    assert new.team_lead == people[0]
    assert new.history.first().history_user == hr


def test_a_full_sync_marking_too_many_as_leaving_cannot_be_confirmed_unless_ticked(client, hr):
    people = here(5)
    before = everything()

    page = upload(client, rows_for(people[:1]), "full")

    assert page.context["to_write"] == 0
    assert 'value="confirm"' not in page.content.decode()
    assert "would mark 4 of the 5 people here as leaving" in page.context["warning"]
    forced = confirm(client, page)  # a confirmation posted anyway is refused by the service
    assert forced.status_code == 302
    assert everything() == before

    page = upload(client, rows_for(people[:1]), "full", allow=True)
    confirm(client, page)

    assert Employee.objects.filter(left_on__isnull=False).count() == 4


def test_a_partial_sync_leaves_people_missing_from_the_file_alone(client, hr):
    people = here(2)

    confirm(client, upload(client, rows_for(people[:1]) + [person("9", "new@example.com")], "sync"))

    assert Employee.objects.filter(left_on__isnull=False).count() == 0
    assert Employee.objects.filter(user__email="new@example.com").exists()


def test_a_preview_outdated_by_a_change_in_between_writes_nothing_and_shows_the_new_plan(client, hr):
    people = here(4)
    page = upload(client, rows_for(people[:4]), "full")
    assert page.context["plan"].changed == 4  # each gets their HR key
    hire(user=UserFactory(email="late@example.com"))  # someone hired in between would be marked as leaving
    before = everything()

    again = confirm(client, page)

    assert again.status_code == 200
    assert "The data changed since the preview" in again.context["warning"]
    assert "to mark as leaving (late@example.com)" in again.content.decode()
    assert everything() == before


def test_a_file_refused_whole_is_shown_on_the_form(client, hr):
    here(1)
    before = everything()

    page = upload(client, [person("1", "a@example.com"), person("1", "b@example.com")], "sync")

    assert page.status_code == 200
    assert "the source_key 1 is on rows 2, 3" in str(page.context["form"].errors["file"])
    assert everything() == before


def test_someone_who_may_import_people_but_not_change_them_is_not_offered_a_sync(client):
    user = UserFactory(username="importer", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        codename__in=["add_employee", "add_gradechange", "add_user"]
    ))
    client.force_login(user)
    here(1)
    before = everything()

    page = client.get(URL)
    assert page.status_code == 200
    assert [value for value, _label in page.context["form"].fields["mode"].choices] == ["import"]

    refused = upload(client, [person("1", "p0@example.com")], "full")

    assert refused.status_code == 403
    assert everything() == before


def test_the_sync_choices_read_in_russian(client, hr):
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="ru")

    text = page.content.decode()
    assert "Что это за файл" in text and "Полная выгрузка из HR-системы" in text
    assert "ключ человека в HR-системе" in text


def test_hr_reads_the_hr_keys_and_their_history_and_a_developer_may_not(client, hr):
    dev = hire(user=UserFactory(email="p0@example.com", first_name="P", last_name="L0"))
    confirm(client, upload(client, [person("K-1", "p0@example.com", first="P", last="L0")], "sync"))
    link = dev.person_source

    listing = client.get(reverse("admin:imports_personsource_changelist"))
    history = client.get(reverse("admin:imports_personsource_history", args=[link.pk]))

    assert listing.status_code == 200 and "K-1" in listing.content.decode()
    assert history.status_code == 200
    assert link.history.get().history_user == hr

    client.force_login(UserFactory(username="someone", roles=["Developer"], is_staff=True))
    assert client.get(reverse("admin:imports_personsource_changelist")).status_code == 403
