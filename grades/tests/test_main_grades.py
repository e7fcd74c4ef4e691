"""Main grades are data of the levels (Level.main_grade): set by the migration on the shipped ladder,
shown in the admin and not changed there, and read by the ladder rules."""

import pytest
from django.core.exceptions import ValidationError

from grades import rules
from grades.models import Ladder, Level, Requirement
from grades.tests.factories import UserFactory, add_level

pytestmark = pytest.mark.django_db


def ladder_from_the_table(slug="standard"):
    return rules.build_ladder(Level.objects.filter(ladder__slug=slug).values_list("rank", "code", "main_grade__code"))


def test_the_migration_gives_each_level_its_main_grade():
    starts = [level.code for level in Level.objects.filter(ladder__slug="standard").order_by("rank") if level.is_main_grade]
    assert starts == ["junior", "middle", "senior"]
    grades = {level.code: level.main_grade for level in ladder_from_the_table()}
    assert grades == {
        "junior": "junior", "junior-plus": "junior", "junior-plus-plus": "junior",
        "middle": "middle", "middle-plus": "middle", "middle-plus-plus": "middle",
        "senior": "senior", "senior-plus": "senior", "senior-plus-plus": "senior",
    }  # fmt: skip
    assert [level.grade_index for level in ladder_from_the_table()] == [0, 0, 0, 1, 1, 1, 2, 2, 2]


def test_regrouping_the_levels_regroups_the_ladder():
    middle_plus = Level.objects.get(ladder__slug="standard", code="middle-plus")
    Level.objects.filter(ladder__slug="standard", code__in=["middle-plus", "middle-plus-plus"]).update(main_grade=middle_plus)
    grades = {level.code: level.main_grade for level in ladder_from_the_table()}
    assert grades["middle"] == "middle"
    assert grades["middle-plus"] == grades["middle-plus-plus"] == "middle-plus"


def test_a_main_grade_above_its_level_is_refused_by_the_rules():
    with pytest.raises(ValueError, match="main grade of junior \\(middle\\) must be a level of the same ladder at or below it"):
        rules.build_ladder([(1, "junior", "middle"), (2, "middle", "middle")])


def test_the_admin_shows_the_main_grade_and_does_not_change_it(client):
    client.force_login(UserFactory(username="hr", roles=["HR"], is_staff=True))
    middle_plus = Level.objects.get(ladder__slug="standard", code="middle-plus")
    url = f"/admin/grades/level/{middle_plus.pk}/change/"
    body = client.get(url).content.decode()
    assert "main grade" in body and 'name="main_grade"' not in body
    data = {"name": "Middle+", "name_ru": "Мидл+", "entry_only": "", "min_months_in_previous": "7",
            "main_grade": str(middle_plus.pk)}
    assert client.post(url, data).status_code == 302
    middle_plus.refresh_from_db()
    assert (middle_plus.min_months_in_previous, middle_plus.main_grade.code) == (7, "middle")


def test_a_requirement_check_names_levels_of_the_tracks_ladder():
    requirement = Requirement.objects.filter(check_kind="mentee_promoted").first()
    requirement.check_params = {"from": ["middle"], "to": "principal"}
    with pytest.raises(ValidationError, match="mentee_promoted needs 'to', a level code"):
        requirement.full_clean()
    add_level(rank=10, code="principal", name="Principal", name_ru="Принципал")
    requirement.full_clean()
    # A level of another ladder is not one of the track's.
    Level.objects.create(ladder=Ladder.objects.create(slug="other", name="Other"), rank=1, code="lead", name="Lead")
    requirement.check_params = {"from": ["middle"], "to": "lead"}
    with pytest.raises(ValidationError, match="mentee_promoted needs 'to', a level code"):
        requirement.full_clean()
