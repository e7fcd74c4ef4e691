"""load_framework, schema 2: themes defined by the file, proficiency and examples, "at least N"
groups, expectations of the entry level; bad files refused with file, line and key, nothing written."""

from pathlib import Path

import pytest
import yaml
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from grades.framework_loader import FrameworkError
from grades.versions import load_framework
from grades.models import Book, Category, Requirement, RequirementGroup, Track, TrackLevel
from grades.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).resolve().parent / "frameworks"
PLATFORM = FILES / "platform.yaml"


def platform() -> dict:
    return yaml.safe_load(PLATFORM.read_text(encoding="utf-8"))


def write(tmp_path, data, name="platform.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def snapshot():
    """Every table a framework load may write, to compare before and after."""
    return [
        list(model.objects.order_by("id").values())
        for model in (Track, TrackLevel, Requirement, Book, Category, RequirementGroup)
    ]


def level_of(requirement: Requirement) -> str:
    return requirement.track_level.level.code


# --- A good file ------------------------------------------------------------------------------


def test_a_schema_2_file_loads_its_themes_groups_proficiency_examples_and_expectations():
    hr = UserFactory(username="hr-loader")
    report = load_framework(PLATFORM, by=hr)

    assert report.created_track and report.requirements_created == 7
    assert (report.categories_created, report.categories_updated, report.groups_changed) == (2, 0, 1)
    communication = Category.objects.get(key="communication")
    assert (communication.name, communication.name_ru) == ("Communication", "Коммуникация")
    assert communication.summary.startswith("Listens")
    # New themes go after the eight shipped ones.
    assert communication.position > Category.objects.get(key="experience").position
    assert communication.history.get().history_user == hr

    reqs = {r.key: r for r in Requirement.objects.filter(track__slug="platform").select_related("track_level__level", "group")}
    tests = reqs["writes-tests"]
    assert (tests.category_id, tests.proficiency) == ("hard_skill", "Working")
    assert tests.examples == "Adds a test with every fix.\nKeeps the README current."
    assert tests.text == "1. Writes well-tested code.\n2. Documents it."
    assert tests.group is None
    group = RequirementGroup.objects.get(track_level__track__slug="platform")
    assert (group.key, group.at_least, group.name, group.name_ru, group.track_level.level.code) == (
        "languages", 2, "Two of the languages", "Два языка из списка", "junior-plus",
    )
    assert {key for key, r in reqs.items() if r.group_id == group.pk} == {"python", "go", "rust"}
    # The entry level's expectations are loaded like any requirement.
    assert level_of(reqs["plans-own-work"]) == "junior"
    assert reqs["plans-own-work"].category_id == "communication"
    assert reqs["owns-delivery"].category.name == "Delivery"


def test_loading_the_same_file_again_changes_nothing():
    load_framework(PLATFORM)
    before = snapshot()
    report = load_framework(PLATFORM)
    assert not report.changed
    assert snapshot() == before


def test_a_second_file_renames_a_theme_by_key_and_keeps_its_requirements(tmp_path):
    load_framework(PLATFORM)
    data = platform()
    data["categories"][0]["name"] = "Communication and influence"
    data["categories"][0]["name_ru"] = "Коммуникация и влияние"
    report = load_framework(write(tmp_path, data))
    assert (report.categories_created, report.categories_updated) == (0, 1)
    assert report.requirements_updated == 0
    theme = Category.objects.get(key="communication")
    assert theme.name == "Communication and influence"
    assert Requirement.objects.filter(category="communication").count() == 2
    assert [row.history_type for row in theme.history.order_by("history_id")] == ["+", "~"]


def test_a_dry_run_writes_no_theme_and_no_group():
    before = snapshot()
    report = load_framework(PLATFORM, dry_run=True)
    assert report.categories_created == 2 and report.groups_changed == 1
    assert snapshot() == before


def test_changing_a_groups_n_and_members_updates_it_in_place(tmp_path):
    load_framework(PLATFORM)
    group_id = RequirementGroup.objects.get(key="languages").pk
    data = platform()
    data["levels"][1]["groups"][0]["at_least"] = 1
    data["levels"][1]["requirements"][3].pop("group")  # rust counts on its own now
    report = load_framework(write(tmp_path, data))
    assert report.groups_changed == 1 and report.requirements_updated == 1
    group = RequirementGroup.objects.get(pk=group_id)
    assert group.at_least == 1
    assert Requirement.objects.get(track__slug="platform", key="rust").group_id is None
    assert set(group.requirements.values_list("key", flat=True)) == {"python", "go"}


def test_a_group_the_file_drops_is_removed_unless_a_retired_requirement_is_in_it(tmp_path):
    load_framework(PLATFORM)
    data = platform()
    level = data["levels"][1]
    level.pop("groups")
    for requirement in level["requirements"]:
        requirement.pop("group", None)
    load_framework(write(tmp_path, data))
    assert not RequirementGroup.objects.exists()

    load_framework(PLATFORM)  # the group again, with its three
    data = platform()
    level = data["levels"][1]
    level.pop("groups")
    # Python and Go leave the group; Rust leaves the file (retired, still in the group).
    level["requirements"] = [
        {k: v for k, v in r.items() if k != "group"} for r in level["requirements"] if r["key"] != "rust"
    ]
    load_framework(write(tmp_path, data))
    rust = Requirement.objects.get(track__slug="platform", key="rust")
    assert rust.is_active is False and rust.group.key == "languages"
    assert RequirementGroup.objects.count() == 1


def test_a_schema_1_file_still_loads_on_the_shipped_themes(tmp_path):
    data = {
        "schema": 1,
        "track": {"slug": "qa-one", "name": "QA one"},
        "levels": [{"level": code} for code in _ladder()],
    }
    data["levels"][1]["requirements"] = [{"key": "pytest", "category": "hard_skill", "text": "pytest"}]
    report = load_framework(write(tmp_path, data, "qa.yaml"))
    assert report.requirements_created == 1
    assert Requirement.objects.get(track__slug="qa-one").category.key == "hard_skill"


def _ladder():
    from grades.models import Level

    return list(Level.objects.order_by("rank").values_list("code", flat=True))


# --- Bad files ------------------------------------------------------------------------------


def broken(mutate):
    data = platform()
    mutate(data)
    return data


def _schema_1_with(key, value):
    def mutate(d):
        d["schema"] = 1
        d.pop("categories")
        for level in d["levels"]:
            level.pop("groups", None)
            for r in level.get("requirements") or []:
                for extra in ("proficiency", "examples", "group"):
                    r.pop(extra, None)
                r["category"] = "hard_skill"
        d["levels"][3]["requirements"][0][key] = value

    return mutate


BAD = [
    ("at_least larger than the group",
     broken(lambda d: d["levels"][1]["groups"][0].update(at_least=4)),
     "levels[1] (junior-plus).groups[0] (languages).at_least: asks for 4 but the group has 3 requirement(s)"),
    ("unknown group",
     broken(lambda d: d["levels"][1]["requirements"][1].update(group="frameworks")),
     "levels[1] (junior-plus).requirements[1].group: 'frameworks' is not a group of this level (its groups: languages)"),
    ("a group of another level",
     broken(lambda d: d["levels"][3]["requirements"][0].update(group="languages")),
     "levels[3] (middle).requirements[0].group: 'languages' is not a group of this level (its groups: none)"),
    ("empty group",
     broken(lambda d: d["levels"][1]["groups"].append({"key": "frameworks", "at_least": 1})),
     "levels[1] (junior-plus).groups[1] (frameworks): the group is empty"),
    ("at_least zero",
     broken(lambda d: d["levels"][1]["groups"][0].update(at_least=0)),
     "levels[1] (junior-plus).groups[0].at_least: expected a whole number from 1, found 0"),
    ("at_least not a number",
     broken(lambda d: d["levels"][1]["groups"][0].update(at_least=True)),
     "levels[1] (junior-plus).groups[0].at_least: expected a whole number from 1, found True"),
    ("a group key twice",
     broken(lambda d: d["levels"][1]["groups"].append({"key": "languages", "at_least": 1})),
     "levels[1] (junior-plus).groups[1].key: 'languages' is used twice in this level"),
    ("groups on the entry level",
     broken(lambda d: d["levels"][0].update(groups=[{"key": "basics", "at_least": 1}])),
     "levels[0] (junior).groups: the entry level's requirements are expectations"),
    ("a data-judged requirement in a group",
     broken(lambda d: d["levels"][1]["requirements"][1].update(check={"kind": "experience_years", "years": 1})),
     "levels[1] (junior-plus).requirements[1].group: a requirement judged from data"),
    ("a theme neither shipped nor defined",
     broken(lambda d: d["levels"][3]["requirements"][0].update(category="influence")),
     "levels[3] (middle).requirements[0].category: 'influence' is not one of"),
    ("a theme key that is not a key",
     broken(lambda d: d["categories"].append({"key": "Team Work", "name": "Team work"})),
     "categories[2].key: 'Team Work' is not a key"),
    ("a theme defined twice",
     broken(lambda d: d["categories"].append({"key": "delivery", "name": "Delivery again"})),
     "categories[2].key: 'delivery' is defined twice (also at categories[1])"),
    ("a theme without a name",
     broken(lambda d: d["categories"][1].pop("name")),
     "categories[1]: missing key(s): name"),
    ("proficiency too long",
     broken(lambda d: d["levels"][1]["requirements"][0].update(proficiency="x" * 101)),
     "levels[1] (junior-plus).requirements[0].proficiency: is longer than 100 characters"),
    ("categories in a schema 1 file",
     broken(lambda d: d.update(schema=1)),
     "categories: themes are defined in schema 2 files"),
    ("proficiency in a schema 1 file", broken(_schema_1_with("proficiency", "Working")), "unknown key(s): proficiency"),
    ("a group in a schema 1 file", broken(_schema_1_with("group", "languages")), "unknown key(s): group"),
    ("schema 3", broken(lambda d: d.update(schema=3)), "unsupported schema 3; this version reads 1 and 2"),
]


@pytest.mark.parametrize("label, data, message", BAD, ids=[b[0] for b in BAD])
def test_a_bad_file_is_refused_naming_file_line_and_key_and_nothing_changes(tmp_path, label, data, message):
    load_framework(PLATFORM)  # an existing track, its themes and group must stay as they are
    before = snapshot()
    path = write(tmp_path, data, "bad.yaml")
    with pytest.raises(FrameworkError) as excinfo:
        load_framework(path)
    text = str(excinfo.value)
    assert message in text
    assert text.startswith(f"{path}, line ")
    assert snapshot() == before


def test_the_line_named_is_the_groups_own(tmp_path):
    text = yaml.safe_dump(broken(lambda d: d["levels"][1]["groups"][0].update(at_least=5)), allow_unicode=True, sort_keys=False)
    path = tmp_path / "line.yaml"
    path.write_text(text, encoding="utf-8")
    expected = text.splitlines().index("  - key: languages") + 1
    with pytest.raises(FrameworkError, match=rf"line {expected}, levels\[1\] \(junior-plus\)\.groups\[0\]"):
        load_framework(path)


def test_a_refused_file_leaves_a_theme_it_would_have_renamed_as_it_was(tmp_path):
    load_framework(PLATFORM)
    data = platform()
    data["categories"][0]["name"] = "Renamed"
    data["levels"][1]["groups"][0]["at_least"] = 9
    with pytest.raises(FrameworkError):
        load_framework(write(tmp_path, data))
    assert Category.objects.get(key="communication").name == "Communication"


# --- Themes in the database -----------------------------------------------------------------


SHIPPED = [
    ("hard_skill", "Hard skill", "Технические навыки"),
    ("practice", "Engineering practice", "Инженерные практики"),
    ("product", "Product knowledge", "Знание продукта"),
    ("leadership", "Leadership and mentoring", "Лидерство и менторство"),
    ("security", "Security", "Безопасность"),
    ("contribution", "Contribution", "Вклад"),
    ("reading", "Reading", "Литература"),
    ("experience", "Experience", "Опыт"),
]


def test_the_migration_made_the_eight_shipped_themes_with_their_names():
    assert list(Category.objects.values_list("key", "name", "name_ru")) == SHIPPED
    # Every shipped requirement kept its theme, now a row.
    assert not Requirement.objects.exclude(category__in=Category.objects.all()).exists()
    assert set(Requirement.objects.filter(track__slug="backend").values_list("category", flat=True)) >= {
        "hard_skill", "practice", "leadership", "security",
    }


def test_the_migration_gives_an_unknown_theme_on_a_requirement_a_row_of_its_own():
    """Its data step, run again with the current models over a theme row that went missing."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    migration = importlib.import_module("grades.migrations.0020_themes_proficiency_groups")
    made = Requirement.objects.filter(track__slug="backend").first()
    # SQLite checks its foreign keys at the end of the transaction; MariaDB is told not to here.
    with connection.constraint_checks_disabled():
        Requirement.objects.filter(pk=made.pk).update(category="gossip")
    migration.create_categories(apps, SimpleNamespace(connection=connection))
    theme = Category.objects.get(key="gossip")
    assert theme.name == "gossip" and theme.position == len(SHIPPED)
    assert Category.objects.count() == len(SHIPPED) + 1


def test_the_database_refuses_a_requirement_with_an_unknown_theme():
    track_level = TrackLevel.objects.get(track__slug="backend", level__code="middle")
    with pytest.raises(IntegrityError), transaction.atomic():
        Requirement.objects.create(track_level=track_level, key="bad-theme", category_id="gossip", text="x")
        connection.check_constraints()  # SQLite checks its foreign keys at commit
    assert not Requirement.objects.filter(key="bad-theme").exists()


def test_a_theme_in_use_cannot_be_deleted():
    with pytest.raises(ProtectedError):
        Category.objects.get(key="security").delete()
    assert Category.objects.filter(key="security").exists()


def test_group_rules_of_the_model():
    from django.core.exceptions import ValidationError

    load_framework(PLATFORM)
    group = RequirementGroup.objects.get(key="languages")
    middle = TrackLevel.objects.get(track__slug="platform", level__code="middle")
    elsewhere = Requirement(track_level=middle, key="elsewhere", category_id="delivery", text="x", group=group)
    with pytest.raises(ValidationError) as excinfo:
        elsewhere.full_clean()
    assert "group" in excinfo.value.message_dict
    data_judged = Requirement(
        track_level=group.track_level, key="judged", category_id="experience", text="x", group=group,
        check_kind="experience_years", check_params={"years": 1},
    )
    with pytest.raises(ValidationError) as excinfo:
        data_judged.full_clean()
    assert "judged from data" in excinfo.value.message_dict["group"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        RequirementGroup.objects.filter(pk=group.pk).update(at_least=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        RequirementGroup.objects.create(track_level=group.track_level, key="languages", at_least=1)
    group.refresh_from_db()
    assert group.at_least == 2
