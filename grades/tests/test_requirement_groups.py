"""A checklist with "at least N of these" groups and the entry level's expectations: what the
progress page, the people list's kept figures, claims and the ladder page make of them."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml

from grades import selectors, services
from grades.versions import load_framework
from grades.models import Employee, Evidence, EvidenceEvent, Requirement, RequirementGroup
from grades.tests.factories import UserFactory, hire

pytestmark = pytest.mark.django_db

D = datetime.date
PLATFORM = Path(__file__).resolve().parent / "frameworks" / "platform.yaml"


@pytest.fixture
def platform():
    load_framework(PLATFORM)
    lead = hire(level_code="senior", roles=["Developer", "Team lead"], track_slug="platform", hire_date=D(2018, 1, 1))
    # A Junior: their next level, Junior+, has the group of languages.
    dev = hire(level_code="junior", track_slug="platform", team_lead=lead, hire_date=D(2023, 1, 9))
    return {"lead": lead, "dev": dev}


def req(key: str) -> Requirement:
    return Requirement.objects.get(track__slug="platform", key=key)


def claim(employee, key):
    return services.evidence_claim(
        employee=employee, requirement=req(key), description="Shipped it", links=[], by=employee.user
    )


def confirm(lead, evidence):
    return services.evidence_decide(evidence=evidence, confirm=True, by=lead.user)


def kept(employee) -> tuple[int, int, int]:
    return tuple(
        Employee.objects.values_list("checklist_total", "checklist_done", "waiting_claims").get(pk=employee.pk)
    )


def page_figures(employee) -> tuple[int, int]:
    progress = selectors.employee_progress(Employee.objects.get(pk=employee.pk))
    return progress.total, progress.done_count


def assert_counts_agree():
    assert list(selectors.employees_with_wrong_counts().values_list("pk", flat=True)) == []


def test_a_group_counts_as_its_n_lines_on_the_page_and_in_the_kept_figures(platform):
    dev, lead = platform["dev"], platform["lead"]
    # Junior+: writes-tests, explains-work, and two of python/go/rust = 4 lines. The
    # Junior level's expectation is not on it.
    assert page_figures(dev) == (4, 0)
    assert kept(dev) == (4, 0, 0)

    confirm(lead, claim(dev, "python"))
    assert page_figures(dev) == (4, 1)
    assert kept(dev) == (4, 1, 0)
    confirm(lead, claim(dev, "go"))
    assert kept(dev) == (4, 2, 0)
    # A third language is more than the group asks: nothing more is done.
    confirm(lead, claim(dev, "rust"))
    assert page_figures(dev) == (4, 2)
    assert kept(dev) == (4, 2, 0)
    confirm(lead, claim(dev, "writes-tests"))
    assert page_figures(dev) == (4, 3)
    assert kept(dev) == (4, 3, 0)
    assert_counts_agree()


def test_the_page_tallies_the_group_and_lists_only_what_is_left(platform):
    dev, lead = platform["dev"], platform["lead"]
    confirm(lead, claim(dev, "python"))
    progress = selectors.employee_progress(Employee.objects.get(pk=dev.pk))
    tally = next(iter(progress.tallies.values()))
    assert (tally.group.key, tally.need, tally.done, tally.satisfied) == ("languages", 2, 1, False)
    assert {item.requirement.key for item in progress.unmet} == {"writes-tests", "explains-work", "go", "rust"}

    confirm(lead, claim(dev, "go"))
    progress = selectors.employee_progress(Employee.objects.get(pk=dev.pk))
    # The group is done: its third language is no longer something to do.
    assert {item.requirement.key for item in progress.unmet} == {"writes-tests", "explains-work"}
    (level, blocks), = progress.blocks_by_level()
    assert level.code == "junior-plus"
    shapes = [(block.tally.group.key if block.tally else None, [i.requirement.key for i in block.items]) for block in blocks]
    assert shapes == [(None, ["writes-tests"]), ("languages", ["python", "go", "rust"]), (None, ["explains-work"])]


def test_a_group_never_asks_for_more_than_its_active_requirements(platform):
    dev, lead = platform["dev"], platform["lead"]
    confirm(lead, claim(dev, "python"))
    services.requirements_set_active(
        requirements=Requirement.objects.filter(key__in=["go", "rust"], track__slug="platform"), active=False
    )
    # One language left in a group of "two of these": it counts as one line, done.
    assert page_figures(dev) == (3, 1)
    assert kept(dev) == (3, 1, 0)
    progress = selectors.employee_progress(Employee.objects.get(pk=dev.pk))
    assert {item.requirement.key for item in progress.unmet} == {"writes-tests", "explains-work"}
    assert_counts_agree()


def test_reloading_with_another_n_recounts_the_people_on_the_track(platform, tmp_path):
    dev, lead = platform["dev"], platform["lead"]
    confirm(lead, claim(dev, "python"))
    data = yaml.safe_load(PLATFORM.read_text(encoding="utf-8"))
    data["levels"][1]["groups"][0]["at_least"] = 3
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    load_framework(path)
    assert kept(dev) == (5, 1, 0)
    assert page_figures(dev) == (5, 1)
    assert_counts_agree()


def test_everyone_is_counted_alike_in_one_recount(platform):
    """The kept figures of people at different levels with groups, recounted in one statement."""
    dev, lead = platform["dev"], platform["lead"]
    others = [hire(level_code=code, track_slug="platform", team_lead=lead) for code in ("junior", "junior-plus", "middle")]
    confirm(lead, claim(dev, "go"))
    confirm(lead, claim(others[0], "rust"))
    Employee.objects.update(checklist_total=0, checklist_done=0)
    services.employee_counts_refresh()
    for person in [dev, lead, *others]:
        total, done = page_figures(person)
        people_judged = [item for item in selectors.employee_progress(Employee.objects.get(pk=person.pk)).items
                         if not item.requirement.check_kind]
        assert not people_judged or kept(person)[:2] == (total, done), person
    assert kept(dev)[:2] == (4, 1) and kept(others[0])[:2] == (4, 1)
    # Junior++ adds nothing, so a Junior+ person's checklist is still Junior+'s.
    assert kept(others[1])[:2] == (4, 0)
    # Middle: Junior+'s four lines and Middle's one.
    assert kept(others[2])[:2] == (5, 0)
    assert_counts_agree()


# --- The entry level's expectations ---------------------------------------------------------


def test_expectations_are_never_claimable_and_a_claim_is_refused_with_400(client, platform):
    dev = platform["dev"]
    expectation = req("plans-own-work")
    assert expectation.track_level.level.code == "junior" and expectation.track_level.level.entry_only
    assert not services.claimable_requirements(Employee.objects.get(pk=dev.pk)).filter(pk=expectation.pk).exists()
    before = (list(Evidence.objects.values()), list(EvidenceEvent.objects.values()), kept(dev))

    client.force_login(dev.user)
    response = client.post(f"/people/{dev.pk}/claim/{expectation.pk}/", {"description": "I plan", "links": ""})

    assert response.status_code == 400
    body = response.content.decode()
    assert "an expectation of the entry level" in body
    assert '<main' in body  # the site's layout, not a bare error
    assert (list(Evidence.objects.values()), list(EvidenceEvent.objects.values()), kept(dev)) == before
    with pytest.raises(services.GradeError, match="expectation of the entry level"):
        services.evidence_claim(employee=dev, requirement=expectation, description="x", by=dev.user)


def test_expectations_are_not_on_a_checklist_even_at_the_bottom(platform):
    dev = platform["dev"]
    progress = selectors.employee_progress(Employee.objects.get(pk=dev.pk))
    assert "plans-own-work" not in {item.requirement.key for item in progress.items}
    assert [level.code for level, _items in progress.items_by_level()] == ["junior-plus"]


def test_a_retired_requirement_is_refused_with_its_own_reason(platform):
    dev = platform["dev"]
    services.requirements_set_active(requirements=Requirement.objects.filter(pk=req("python").pk), active=False)
    with pytest.raises(services.GradeError, match="retired"):
        services.evidence_claim(employee=dev, requirement=req("python"), description="x", by=dev.user)


# --- The pages --------------------------------------------------------------------------------


def test_the_progress_page_shows_the_group_proficiency_examples_and_lists(client, platform):
    dev, lead = platform["dev"], platform["lead"]
    confirm(lead, claim(dev, "python"))
    client.force_login(dev.user)
    body = client.get("/me/").content.decode()
    assert 'data-group="languages" data-group-done="1" data-group-need="2"' in body
    assert "Two of the languages · 1 of 2 done, any 2 of these 3" in body
    assert '<span class="badge proficiency">Working</span>' in body
    assert "<li>Adds a test with every fix.</li>" not in body  # examples are lines, not a list
    assert "Adds a test with every fix.<br>Keeps the README current." in body
    assert "<ol><li>Writes well-tested code.</li><li>Documents it.</li></ol>" in body
    assert "1 of 4 done (25%)" in body
    # The theme's name, in the reader's language.
    assert '<span class="muted cat">Communication</span>' in body
    client.cookies["django_language"] = "ru"
    body = client.get("/me/").content.decode()
    assert '<span class="muted cat">Коммуникация</span>' in body
    assert '<span class="muted cat">Технические навыки</span>' in body
    assert "Два языка из списка" in body


def test_the_ladder_shows_themes_groups_expectations_and_the_texts_shape(client, platform):
    client.force_login(platform["dev"].user)
    response = client.get("/tracks/platform/")
    assert response.status_code == 200
    body = response.content.decode()
    junior, junior_plus = response.context["ladder"][0], response.context["ladder"][1]
    assert junior["expectations"] and junior["cumulative"] == 0
    assert not junior_plus["expectations"] and junior_plus["cumulative"] == 5
    assert "1 expectation of whoever is hired here: shown, never claimed or counted" in body
    assert "<p>Plans and delivers own work tasks:</p><ul><li>asks for help when stuck</li>" in body
    assert '<h3 title="Listens, understands and conveys messages in a way that fits the audience.">Communication</h3>' in body
    assert '<h3 class="req-group" data-group="languages">Two of the languages <span class="muted">at least 2 of 3</span></h3>' in body
    assert [[r.key for r in requirements] for _group, requirements in junior_plus["groups"]] == [["python", "go", "rust"]]
    assert '<span class="badge proficiency">Awareness</span>' in body
    # Themes in their own order: the shipped ones first, then the file's.
    themes = [theme.key for theme, _blocks in junior_plus["by_category"]]
    assert themes == ["hard_skill", "communication"]
    client.cookies["django_language"] = "ru"
    body = client.get("/tracks/platform/").content.decode()
    assert ">Коммуникация</h3>" in body and ">Технические навыки</h3>" in body
    assert "Два языка из списка" in body


def test_texts_are_escaped_before_they_are_shaped(client, platform):
    requirement = req("explains-work")
    Requirement.objects.filter(pk=requirement.pk).update(text="<script>x</script>\n- <b>one</b>")
    client.force_login(platform["dev"].user)
    body = client.get("/tracks/platform/").content.decode()
    assert "<p>&lt;script&gt;x&lt;/script&gt;</p><ul><li>&lt;b&gt;one&lt;/b&gt;</li></ul>" in body
    assert "<script>x</script>" not in body


def test_changing_a_groups_n_in_admin_recounts_its_track(client, platform):
    """Changing a group's N in admin recounts the people of its track."""
    dev, lead = platform["dev"], platform["lead"]
    confirm(lead, claim(dev, "python"))
    hr = UserFactory(roles=["HR"], is_staff=True, is_superuser=True)
    client.force_login(hr)
    group = RequirementGroup.objects.get(key="languages")
    track_level = group.track_level
    url = f"/admin/grades/tracklevel/{track_level.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    from grades.tests.test_admin import form_data

    data = form_data(page)
    prefix = next(key.split("-")[0] for key in data if key.endswith("-at_least"))
    data[f"{prefix}-0-at_least"] = "1"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    group.refresh_from_db()
    assert group.at_least == 1
    assert group.history.latest().history_user == hr
    assert kept(dev) == (3, 1, 0)
    assert_counts_agree()
