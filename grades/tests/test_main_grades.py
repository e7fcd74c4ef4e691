"""Main grades are marked on the levels (Level.is_main_grade): set by the migration, shown in the
admin and not changed there, and read by the Requirement checks and the ladder rules."""

import pytest
from django.core.exceptions import ValidationError

from grades import rules
from grades.models import Level, Requirement
from grades.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def ladder_from_the_table():
    return rules.build_ladder(Level.objects.values_list("rank", "code", "is_main_grade"))


def test_the_migration_marks_junior_middle_and_senior():
    assert list(Level.objects.filter(is_main_grade=True).order_by("rank").values_list("code", flat=True)) == [
        "junior", "middle", "senior"
    ]
    grades = {level.code: level.main_grade for level in ladder_from_the_table()}
    assert grades == {
        "junior": "junior", "junior-plus": "junior", "junior-plus-plus": "junior",
        "middle": "middle", "middle-plus": "middle", "middle-plus-plus": "middle",
        "senior": "senior", "senior-plus": "senior", "senior-plus-plus": "senior",
    }  # fmt: skip


def test_re_marking_a_level_regroups_the_ladder():
    Level.objects.filter(code="middle-plus").update(is_main_grade=True)
    grades = {level.code: level.main_grade for level in ladder_from_the_table()}
    assert grades["middle"] == "middle"
    assert grades["middle-plus"] == grades["middle-plus-plus"] == "middle-plus"


def test_the_admin_shows_the_flag_and_does_not_change_it(client):
    client.force_login(UserFactory(username="hr", roles=["HR"], is_staff=True))
    middle_plus = Level.objects.get(code="middle-plus")
    url = f"/admin/grades/level/{middle_plus.pk}/change/"
    body = client.get(url).content.decode()
    assert "main grade" in body and 'name="is_main_grade"' not in body
    data = {"name": "Middle+", "name_ru": "Мидл+", "entry_only": "", "min_months_in_previous": "7",
            "is_main_grade": "on"}
    assert client.post(url, data).status_code == 302
    middle_plus.refresh_from_db()
    assert (middle_plus.min_months_in_previous, middle_plus.is_main_grade) == (7, False)


def test_a_requirement_check_names_levels_of_the_table():
    requirement = Requirement.objects.filter(check_kind="mentee_promoted").first()
    requirement.check_params = {"from": ["middle"], "to": "principal"}
    with pytest.raises(ValidationError, match="mentee_promoted needs 'to', a level code"):
        requirement.full_clean()
    Level.objects.create(rank=10, code="principal", name="Principal", name_ru="Принципал")
    requirement.full_clean()
