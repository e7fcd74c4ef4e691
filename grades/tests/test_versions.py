"""Framework versions: every changing load is a version, the dry run's difference and impact, and
what a new version does to evidence (reworded with and without reconfirm, removed, moved)."""

from __future__ import annotations

import csv
import datetime
import importlib
import io
from io import StringIO
from types import SimpleNamespace

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from exports.services import csv_chunks, get_report
from grades import selectors, services, versions
from grades.framework_loader import FrameworkError
from grades.versions import load_framework
from grades.models import (
    Employee,
    Evidence,
    EvidenceEvent,
    EvidenceStatus,
    FrameworkVersion,
    Requirement,
    Track,
)
from grades.tests.factories import RequirementFactory, TrackFactory, UserFactory, hire, level
from jobs import selectors as job_selectors

pytestmark = pytest.mark.django_db

D = datetime.date
SLUG = "qa-v"
LADDER = [
    "junior", "junior-plus", "junior-plus-plus",
    "middle", "middle-plus", "middle-plus-plus",
    "senior", "senior-plus", "senior-plus-plus",
]  # fmt: skip


def framework() -> dict:
    """Version 1: three lines for Junior+, one for Junior++, one for Middle."""
    data = {
        "schema": 1,
        "track": {"slug": SLUG, "name": "QA versions"},
        "levels": [{"level": code, "requirements": []} for code in LADDER],
    }
    data["levels"][1]["requirements"] = [
        {"key": "plan", "category": "practice", "text": "Планирует свою работу", "text_en": "Plans own work"},
        {"key": "tests", "category": "hard_skill", "text": "Пишет тесты", "text_en": "Writes tests"},
        {"key": "kept", "category": "practice", "text": "Ведёт задачи в трекере", "text_en": "Keeps tasks in the tracker"},
    ]
    data["levels"][2]["requirements"] = [
        {"key": "docs", "category": "practice", "text": "Пишет документацию", "text_en": "Writes documentation"},
    ]
    data["levels"][3]["requirements"] = [
        {"key": "review", "category": "practice", "text": "Ревьюит код", "text_en": "Reviews code"},
    ]
    return data


def requirements_of(data, index) -> list[dict]:
    return data["levels"][index]["requirements"]


def line(data, key) -> dict:
    return next(r for lvl in data["levels"] for r in lvl["requirements"] if r["key"] == key)


def write(tmp_path, data, name="qa-v.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def req(key) -> Requirement:
    return Requirement.objects.get(track__slug=SLUG, key=key)


def figures(employee) -> tuple[int, int, int]:
    return tuple(
        Employee.objects.values_list("checklist_total", "checklist_done", "waiting_claims").get(pk=employee.pk)
    )


def assert_counts_match():
    assert list(selectors.employees_with_wrong_counts().values_list("pk", flat=True)) == []


def claim(employee, key):
    return services.evidence_claim(
        employee=employee, requirement=req(key), description="Did it", links=[], by=employee.user
    )


def confirm(employee, key, lead):
    return services.evidence_decide(evidence=claim(employee, key), confirm=True, by=lead.user)


def item(employee, key):
    progress = selectors.employee_progress(Employee.objects.get(pk=employee.pk))
    return next(i for i in progress.items if i.requirement.key == key)


def everything():
    """Every table a load may write, to compare before and after a dry run or a refusal."""
    return (
        list(FrameworkVersion.objects.order_by("id").values()),
        list(Requirement.objects.order_by("id").values()),
        list(Evidence.objects.order_by("id").values()),
        list(EvidenceEvent.objects.order_by("id").values()),
        list(Employee.objects.order_by("id").values()),
        Requirement.history.count(),
        Evidence.history.count(),
    )


@pytest.fixture
def hr():
    return UserFactory(username="hr-versions", roles=["HR"], is_staff=True)


@pytest.fixture
def v1(tmp_path, hr):
    path = write(tmp_path, framework(), name="qa-v1.yaml")
    load_framework(path, by=hr, effective=timezone.localdate())
    return Track.objects.get(slug=SLUG)


@pytest.fixture
def lead(v1):
    return hire(level_code="senior", track_slug=SLUG, roles=["Developer", "Team lead"], hire_date=D(2018, 1, 1))


@pytest.fixture
def dev(lead):
    return hire(level_code="junior", track_slug=SLUG, team_lead=lead, hire_date=D(2022, 1, 10))


# --- Versions are made by changing loads only --------------------------------------------------


def test_every_shipped_track_has_version_one_from_the_migration():
    for slug in ("backend", "fullstack"):
        version = FrameworkVersion.objects.get(track__slug=slug)
        assert version.number == 1 and version.loaded_by is None
        assert len(version.snapshot["requirements"]) == Requirement.objects.filter(track__slug=slug, is_active=True).count()
        assert not Requirement.objects.filter(track__slug=slug).exclude(wording_version=version).exists()


def test_reloading_a_shipped_file_creates_no_version():
    from grades.tests.test_framework_loader import FRAMEWORKS

    report = load_framework(FRAMEWORKS / "backend.yaml")
    assert not report.changed and report.outcome.number is None
    assert FrameworkVersion.objects.filter(track__slug="backend").count() == 1


def test_the_first_load_is_version_one_and_the_same_file_again_makes_none(tmp_path, hr, v1):
    version = FrameworkVersion.objects.get(track=v1)
    assert (version.number, version.loaded_by, version.file_name) == (1, hr, "qa-v1.yaml")
    assert version.effective_date == timezone.localdate()
    assert version.changes["added"] == 5
    assert [r["key"] for r in version.snapshot["requirements"]] == ["plan", "tests", "kept", "docs", "review"]
    assert not Requirement.objects.filter(track=v1).exclude(wording_version=version).exists()

    report = load_framework(write(tmp_path, framework()), by=hr)
    assert not report.changed and report.outcome.number is None
    assert FrameworkVersion.objects.filter(track=v1).count() == 1


def test_a_change_of_a_level_comment_alone_is_a_version_without_requirement_lines(tmp_path, v1):
    data = framework()
    data["levels"][2]["comment"] = "Новый комментарий"
    report = load_framework(write(tmp_path, data))
    version = FrameworkVersion.objects.get(track=v1, number=2)
    assert version.loaded_by is None  # the system: no --user
    assert report.outcome.changes == []
    assert version.changes["other"] == [["comment", "junior-plus-plus"]]
    assert "Also changed: comment of junior-plus-plus" in report.outcome.lines()


def test_versions_are_append_only(v1):
    version = FrameworkVersion.objects.get(track=v1)
    with pytest.raises(Exception):
        FrameworkVersion.objects.filter(pk=version.pk).update(number=5)
    with pytest.raises(Exception):
        version.delete()


# --- The difference --------------------------------------------------------------------------


def test_diff_by_key_with_exact_lines():
    before = {"requirements": [
        {"key": "a", "level": "junior-plus", "text": "Альфа", "text_en": "Alpha"},
        {"key": "b", "level": "junior-plus", "text": "Бета", "text_en": ""},
        {"key": "c", "level": "middle", "text": "Гамма", "text_en": ""},
        {"key": "d", "level": "middle", "text": "Дельта", "text_en": ""},
    ]}  # fmt: skip
    after = {"requirements": [
        {"key": "a", "level": "junior-plus", "text": "Альфа", "text_en": "Alpha, reworded"},
        {"key": "c", "level": "senior", "text": "Гамма", "text_en": ""},
        {"key": "d", "level": "senior", "text": "Дельта\nв две строки", "text_en": ""},
        {"key": "e", "level": "senior", "text": "Эпсилон " + "x" * 100, "text_en": ""},
    ]}  # fmt: skip
    changes = versions.diff(before, after, reconfirm={"a"})
    assert [c.line() for c in changes] == [
        "~ a (junior-plus): Альфа [to be confirmed again]",
        "> c: middle → senior",
        "~ d (middle → senior): Дельта в две строки",
        "+ e (senior): Эпсилон " + "x" * 71 + "…",
        "- b (junior-plus): Бета",
    ]
    assert versions.change_counts(changes) == {"added": 1, "removed": 1, "reworded": 2, "moved": 2}
    assert versions.diff(after, after) == []


# --- The dry run: exact lines, exact impact, nothing written ------------------------------------


@pytest.fixture
def people(dev, lead):
    """A: at Junior+, every line up to Junior++ confirmed (ready). B: at Junior, two Junior+ lines
    confirmed and one waiting (not ready). C: at Junior++, a waiting claim on the Middle line."""
    a = hire(level_code="junior-plus", track_slug=SLUG, team_lead=lead, hire_date=D(2022, 1, 10))
    b = dev
    c = hire(level_code="junior-plus-plus", track_slug=SLUG, team_lead=lead, hire_date=D(2022, 1, 10))
    for key in ("plan", "tests", "kept", "docs"):
        confirm(a, key, lead)
    confirm(b, "plan", lead)
    confirm(b, "kept", lead)
    claim(b, "tests")
    claim(c, "review")
    return SimpleNamespace(a=a, b=b, c=c, lead=lead)


def version_two() -> dict:
    """plan reworded in English only, docs reworded substantively, metrics added at Middle,
    review moved to Senior, tests removed."""
    data = framework()
    line(data, "plan")["text_en"] = "Plans their own work for the week"
    line(data, "docs")["text"] = "Пишет документацию и поддерживает её"
    line(data, "docs")["reconfirm"] = True
    requirements_of(data, 1).pop(1)
    review = requirements_of(data, 3).pop()
    requirements_of(data, 3).append({"key": "metrics", "category": "practice", "text": "Следит за метриками"})
    requirements_of(data, 6).append(review)
    return data


def test_the_dry_run_prints_the_difference_and_the_impact_and_writes_nothing(
    tmp_path, people, django_capture_on_commit_callbacks, mailoutbox
):
    assert selectors.employee_progress(people.a).ready_on(D(2030, 1, 1))
    assert not selectors.employee_progress(people.b).ready_on(D(2030, 1, 1))
    before = everything()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_framework", str(write(tmp_path, version_two())), "--dry-run", "--effective", "2030-01-01",
                     stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Dry run, nothing written: track qa-v: ")
    assert lines[1:] == [
        "Version 2 of qa-v, effective 2030-01-01 (against version 1): 5 requirement change(s)",
        "~ plan (junior-plus): Планирует свою работу",
        "~ docs (junior-plus-plus): Пишет документацию и поддерживает её [to be confirmed again]",
        "+ metrics (middle): Следит за метриками",
        "> review: middle → senior",
        "- tests (junior-plus): Пишет тесты",
        "Impact on 2030-01-01:",
        "  people who become ready for a defense: 1",  # B: the line still waiting is removed
        "  people who are no longer ready for a defense: 1",  # A: docs is to be confirmed again
        "  waiting claims withdrawn (requirement removed): 1",  # B's tests
        "  confirmed claims to be confirmed again (reworded, reconfirm): 1",  # A's docs
        "  confirmed claims carried over (reworded): 2",  # A's and B's plan
        "  confirmed claims leaving the checklist (requirement removed): 1",  # A's tests
        "  waiting or confirmed claims whose requirement moved: 1",  # C's review
    ]
    assert everything() == before
    assert mailoutbox == []


def test_the_load_does_what_the_dry_run_said(
    tmp_path, people, hr, client, django_capture_on_commit_callbacks, mailoutbox
):
    path = write(tmp_path, version_two())
    dry = load_framework(path, dry_run=True, effective=D(2030, 1, 1)).outcome
    with django_capture_on_commit_callbacks(execute=True):
        done = load_framework(path, by=hr, effective=D(2030, 1, 1)).outcome

    assert [c.line() for c in done.changes] == [c.line() for c in dry.changes]
    assert done.impact.claims() == dry.impact.claims()
    assert (done.impact.gaining, done.impact.losing) == (dry.impact.gaining, dry.impact.losing) == (1, 1)
    version = FrameworkVersion.objects.get(track__slug=SLUG, number=2)
    assert version == done.version and version.loaded_by == hr and version.effective_date == D(2030, 1, 1)
    # The version keeps the figures the load measured, for the versions page.
    assert version.changes["people"] == {"gaining": 1, "losing": 1}
    assert version.changes["claims"] == done.impact.claims()
    client.force_login(hr)
    page = client.get(reverse("grades:track_versions", args=[SLUG])).content.decode()
    assert "On 2030-01-01: became ready for a defense 1, no longer ready 1." in page
    assert "Claims: 1 waiting withdrawn, 1 to be confirmed again, 2 carried over" in page
    assert {k: version.changes[k] for k in ("added", "removed", "reworded", "moved", "reconfirm")} == {
        "added": 1, "removed": 1, "reworded": 2, "moved": 1, "reconfirm": ["docs"],
    }
    assert version.changes["claims"] == dry.impact.claims()
    # What the impact said is now so.
    assert not selectors.employee_progress(Employee.objects.get(pk=people.a.pk)).ready_on(D(2030, 1, 1))
    assert selectors.employee_progress(Employee.objects.get(pk=people.b.pk)).ready_on(D(2030, 1, 1))
    assert_counts_match()
    # Every requirement keeps its row; the reworded ones take this version's wording.
    assert req("plan").wording_version == version and req("docs").wording_version == version
    assert req("review").wording_version.number == 1
    assert len(mailoutbox) == 2  # B and their lead, about B's withdrawn claim


def test_an_unchanged_track_prints_nothing_to_change(tmp_path, v1):
    out = StringIO()
    call_command("load_framework", str(write(tmp_path, framework())), "--dry-run", stdout=out)
    assert out.getvalue().splitlines()[-1] == "Nothing to change: the database already matches the file."


# --- Reworded ---------------------------------------------------------------------------------


def test_reworded_with_reconfirm_stops_counting_until_the_lead_confirms_again(tmp_path, dev, lead, hr, client):
    for key in ("plan", "tests", "kept"):
        confirm(dev, key, lead)
    plan_claim = Evidence.objects.get(employee=dev, requirement=req("plan"))
    assert plan_claim.decided_version.number == 1
    assert figures(dev) == (3, 3, 0)
    data = framework()
    line(data, "plan")["text"] = "Планирует работу команды"
    line(data, "plan")["reconfirm"] = True
    load_framework(write(tmp_path, data), by=hr)

    plan_claim.refresh_from_db()
    assert plan_claim.status == EvidenceStatus.CONFIRMED and plan_claim.reconfirm_needed
    assert plan_claim.requirement_id == req("plan").pk  # still attached
    event = plan_claim.events.latest("id")
    assert (event.action, event.actor) == ("reworded", hr)
    record = plan_claim.history.first()
    assert (record.reconfirm_needed, record.history_user) == (True, hr)
    # It stops counting everywhere the progress page's figures go.
    assert figures(dev) == (3, 2, 0)
    assert_counts_match()
    line_item = item(dev, "plan")
    assert line_item.state == "reconfirm" and not line_item.done
    assert not selectors.employee_progress(Employee.objects.get(pk=dev.pk)).ready_on(D(2030, 1, 1))
    client.force_login(dev.user)
    page = client.get(reverse("grades:me")).content.decode()
    assert "confirmed against an earlier wording" in page
    url = reverse("grades:evidence_reconfirm", args=[plan_claim.pk])
    assert url not in page  # the developer cannot confirm their own claim

    # The developer cannot; a rejection needs a reason; nothing changes meanwhile.
    before = everything()
    assert client.post(url, {"decision": "confirm"}).status_code == 403
    client.force_login(lead.user)
    assert url in client.get(reverse("grades:person", args=[dev.pk])).content.decode()
    assert client.post(url, {"decision": "reject", "comment": ""}).status_code == 400
    assert everything() == before

    response = client.post(url, {"decision": "confirm", "comment": "Still true"})
    assert response.status_code == 302
    plan_claim.refresh_from_db()
    assert not plan_claim.reconfirm_needed and plan_claim.decided_by == lead.user
    assert plan_claim.decided_version.number == 2
    assert plan_claim.events.latest("id").action == "reconfirmed"
    assert plan_claim.history.first().history_user == lead.user
    assert figures(dev) == (3, 3, 0)
    assert item(dev, "plan").state == "confirmed" and not item(dev, "plan").carried_over
    # Once is enough.
    response = client.post(url, {"decision": "confirm"})
    assert response.status_code == 400
    assert "does not need to be confirmed again" in response.content.decode()


def test_a_claim_to_confirm_again_may_be_rejected_and_claimed_anew(tmp_path, dev, lead):
    confirm(dev, "plan", lead)
    data = framework()
    line(data, "plan")["text_en"] = "Plans the team's work"
    line(data, "plan")["reconfirm"] = True
    load_framework(write(tmp_path, data))
    stale = Evidence.objects.get(employee=dev, requirement=req("plan"))
    assert stale.events.latest("id").actor is None  # the system: no --user
    services.evidence_reconfirm(evidence=stale, confirm=False, comment="Not for the team", by=lead.user)
    stale.refresh_from_db()
    assert (stale.status, stale.reconfirm_needed, stale.decision_comment) == ("rejected", False, "Not for the team")
    assert item(dev, "plan").claimable
    claim(dev, "plan")  # the developer may claim again
    assert figures(dev) == (3, 0, 1)


def test_reworded_without_reconfirm_carries_the_confirmation_over_and_says_so(tmp_path, dev, lead, client):
    confirm(dev, "plan", lead)
    assert not item(dev, "plan").carried_over
    data = framework()
    line(data, "plan")["text"] = "Планирует свою работу на неделю"
    report = load_framework(write(tmp_path, data))
    assert report.outcome.impact.carried_over == 1 and report.outcome.impact.to_confirm_again == 0

    plan_claim = Evidence.objects.get(employee=dev, requirement=req("plan"))
    assert not plan_claim.reconfirm_needed and plan_claim.decided_version.number == 1
    assert item(dev, "plan").state == "confirmed" and item(dev, "plan").carried_over
    assert figures(dev) == (3, 1, 0)
    client.force_login(dev.user)
    assert "confirmed against an earlier wording; carried over" in client.get(reverse("grades:me")).content.decode()


# The report reads through a connection of its own on MariaDB: the rows must be committed.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_claim_to_confirm_again_is_what_the_skill_matrix_reports(tmp_path, dev, lead):
    confirm(dev, "plan", lead)
    confirm(dev, "kept", lead)
    data = framework()
    line(data, "plan")["text"] = "Планирует работу команды"
    line(data, "plan")["reconfirm"] = True
    load_framework(write(tmp_path, data))
    body = b"".join(csv_chunks(get_report("skill-matrix"), {"track": SLUG})).decode("utf-8")
    header, *rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    state, key = header.index("state"), header.index("requirement")
    by_key = {row[key]: row[state] for row in rows if row[0] == str(dev.pk)}
    assert by_key == {"plan": "reconfirm", "tests": "missing", "kept": "confirmed"}


# --- Removed and moved --------------------------------------------------------------------------


def test_removed_waiting_claims_are_withdrawn_with_a_reason_and_people_told(
    tmp_path, dev, lead, hr, django_capture_on_commit_callbacks, mailoutbox
):
    confirm(dev, "plan", lead)
    waiting = claim(dev, "tests")
    assert figures(dev) == (3, 1, 1)
    data = framework()
    requirements_of(data, 1)[:] = [line(data, "kept")]  # plan and tests removed
    with django_capture_on_commit_callbacks(execute=True):
        load_framework(write(tmp_path, data), by=hr)

    waiting.refresh_from_db()
    assert waiting.status == EvidenceStatus.WITHDRAWN
    event = waiting.events.latest("id")
    assert (event.action, event.actor) == ("withdrawn", hr)
    assert "removed from the framework of QA versions (version 2)" in event.comment
    assert waiting.history.first().history_user == hr
    confirmed = Evidence.objects.get(employee=dev, requirement=req("plan"))
    assert confirmed.status == EvidenceStatus.CONFIRMED  # history, off the checklist
    assert [i.requirement.key for i in selectors.employee_progress(Employee.objects.get(pk=dev.pk)).items] == ["kept"]
    assert figures(dev) == (1, 0, 0)
    assert_counts_match()
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted([dev.user.email, lead.user.email])
    assert all("Пишет тесты" in mail.body or "Writes tests" in mail.body for mail in mailoutbox)
    # Nobody is reminded of it any more.
    now = timezone.now() + datetime.timedelta(days=60)
    assert waiting.pk not in [c.pk for c in job_selectors.overdue_claims(now=now, older_than_days=1)]


def test_a_requirement_back_under_its_key_finds_its_claims(tmp_path, dev, lead):
    confirm(dev, "plan", lead)
    data = framework()
    requirements_of(data, 1).pop(0)
    load_framework(write(tmp_path, data))
    assert figures(dev) == (2, 0, 0)
    load_framework(write(tmp_path, framework()))  # version 3 brings plan back
    assert FrameworkVersion.objects.filter(track__slug=SLUG).count() == 3
    assert figures(dev) == (3, 1, 0) and item(dev, "plan").state == "confirmed"


def test_a_moved_requirement_keeps_its_claims_on_the_checklists_that_hold_it(tmp_path, dev, lead):
    confirm(dev, "plan", lead)
    plan_id = req("plan").pk
    data = framework()
    plan = requirements_of(data, 1).pop(0)
    requirements_of(data, 3).append(plan)  # Junior+ → Middle
    report = load_framework(write(tmp_path, data))
    assert [c.line() for c in report.outcome.changes] == ["> plan: junior-plus → middle"]
    assert report.outcome.impact.moved == 1
    assert req("plan").pk == plan_id
    assert Evidence.objects.get(employee=dev, requirement_id=plan_id).status == EvidenceStatus.CONFIRMED
    assert figures(dev) == (2, 0, 0)  # no longer on the Junior+ checklist
    # Back at Junior+ it counts again.
    load_framework(write(tmp_path, framework()))
    assert figures(dev) == (3, 1, 0)
    assert_counts_match()


def test_retiring_in_admin_withdraws_the_waiting_claims_too(dev, hr, django_capture_on_commit_callbacks, mailoutbox):
    waiting = claim(dev, "tests")
    with django_capture_on_commit_callbacks(execute=True):
        services.requirements_set_active(requirements=Requirement.objects.filter(pk=req("tests").pk), active=False, by=hr)
    waiting.refresh_from_db()
    assert waiting.status == EvidenceStatus.WITHDRAWN
    assert waiting.events.latest("id").comment == "The requirement was retired."
    assert figures(dev)[2] == 0
    assert len(mailoutbox) == 2


def test_a_track_change_carries_the_decision_against_the_new_tracks_version(hr):
    lead = hire(level_code="senior", roles=["Developer", "Team lead"], hire_date=D(2018, 1, 1))
    dev = hire(level_code="middle", team_lead=lead, hire_date=D(2021, 3, 1))
    shared = Requirement.objects.get(track__slug="backend", key="code-security")
    services.evidence_decide(
        evidence=services.evidence_claim(employee=dev, requirement=shared, description="x", by=dev.user),
        confirm=True, by=lead.user,
    )
    moved = services.employee_change_track(
        employee=dev, track=Track.objects.get(slug="fullstack"), by=hr, reason="Web team"
    )
    copy_ = next(c for c in moved.carried if c.status == EvidenceStatus.CONFIRMED)
    assert copy_.decided_version == FrameworkVersion.objects.get(track__slug="fullstack", number=1)
    assert not copy_.reconfirm_needed


# --- The effective date --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, message",
    [
        ("2026-02-30", "not a date"),
        ("31.01.2026", "not a date"),
        ("20260131", "not a date"),
        ("0001-01-01", "Enter a date between"),
    ],
)
def test_a_bad_effective_date_is_refused_with_a_message(tmp_path, v1, value, message):
    data = framework()
    line(data, "plan")["text"] = "Другой текст"
    before = everything()
    with pytest.raises(CommandError, match=message):
        call_command("load_framework", str(write(tmp_path, data)), "--effective", value, stdout=StringIO())
    assert everything() == before


def test_an_effective_date_before_the_latest_versions_is_refused(tmp_path, v1):
    data = framework()
    line(data, "plan")["text"] = "Другой текст"
    load_framework(write(tmp_path, data), effective=D(2031, 6, 1))  # a future date is recorded as given
    assert FrameworkVersion.objects.get(track=v1, number=2).effective_date == D(2031, 6, 1)
    assert req("plan").text == "Другой текст"  # in force at once, whatever the date
    line(data, "plan")["text"] = "Третий текст"
    before = everything()
    with pytest.raises(FrameworkError, match="earlier than version 2 of qa-v, effective 2031-06-01"):
        load_framework(write(tmp_path, data), effective=D(2031, 5, 31))
    assert everything() == before
    load_framework(write(tmp_path, data), effective=D(2031, 6, 1))  # the same day is fine
    assert FrameworkVersion.objects.filter(track=v1).count() == 3


def test_reconfirm_must_be_true_or_false(tmp_path, v1):
    data = framework()
    line(data, "plan")["reconfirm"] = "yes"
    with pytest.raises(FrameworkError, match=r"requirements\[0\]\.reconfirm: expected true or false"):
        load_framework(write(tmp_path, data))


# --- The versions page ------------------------------------------------------------------------


@pytest.fixture
def two_versions(tmp_path, v1, hr):
    data = framework()
    line(data, "plan")["text_en"] = "Plans own work and flags risks"
    line(data, "plan")["reconfirm"] = True
    requirements_of(data, 1).pop(1)  # tests removed
    load_framework(write(tmp_path, data), by=hr, effective=D(2031, 1, 1))
    return v1


def test_the_versions_page_lists_versions_and_shows_the_latest_difference(client, dev, hr, two_versions):
    client.force_login(dev.user)
    ladder = client.get(reverse("grades:track_detail", args=[SLUG])).content.decode()
    url = reverse("grades:track_versions", args=[SLUG])
    assert f'href="{url}"' in ladder
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-version="2"' in page and 'data-version="1"' in page
    assert "2031-01-01" in page and hr.get_full_name() in page and "qa-v.yaml" in page
    assert 'data-sign="~" data-key="plan"' in page and 'data-sign="-" data-key="tests"' in page
    assert "Plans own work and flags risks" in page and "confirmed claims to be confirmed again" in page
    assert [c.key for c in response.context["comparison"].changes] == ["plan", "tests"]


def test_the_versions_page_compares_any_two_in_either_language(client, dev, two_versions):
    client.force_login(dev.user)
    url = reverse("grades:track_versions", args=[SLUG])
    same = client.get(url, {"from": 2, "to": 2})
    assert same.status_code == 200 and "No requirement differs between these versions." in same.content.decode()
    back = client.get(url, {"from": 2, "to": 1})
    assert [(c.sign, c.key) for c in back.context["comparison"].changes] == [("~", "plan"), ("+", "tests")]
    client.cookies["django_language"] = "ru"
    ru = client.get(url, {"from": 1, "to": 2}).content.decode()
    assert "Версии фреймворка" in ru and "Планирует свою работу" in ru


@pytest.mark.parametrize(
    "query, status, message",
    [
        ({"from": "abc", "to": "2"}, 400, "Choose two versions by their numbers"),
        ({"from": "1"}, 400, "Choose two versions by their numbers"),
        ({"from": "-1", "to": "2"}, 400, "Choose two versions by their numbers"),
        ({"from": "1", "to": "9"}, 404, "The QA versions track has no version 9; its versions are 1 to 2."),
        ({"from": "99999999999", "to": "1"}, 400, "Choose two versions by their numbers"),
    ],
)
def test_bad_version_choices_are_refused_in_the_layout(client, dev, two_versions, query, status, message):
    client.force_login(dev.user)
    response = client.get(reverse("grades:track_versions", args=[SLUG]), query)
    assert response.status_code == status
    page = response.content.decode()
    assert message in page and 'class="topbar"' in page


def test_the_versions_page_needs_a_login_and_a_known_track(client, dev, two_versions):
    url = reverse("grades:track_versions", args=[SLUG])
    assert client.get(url).status_code == 302
    client.force_login(dev.user)
    assert client.get(reverse("grades:track_versions", args=["no-such-track"])).status_code == 404


# --- The migration that gave every track its first version -------------------------------------


def test_the_migration_versions_an_unversioned_track_and_frees_stranded_claims():
    migration = importlib.import_module("grades.migrations.0023_framework_versions_first")
    from django.apps import apps

    track = TrackFactory(slug="legacy", name="Legacy")
    kept = RequirementFactory(track_level__track=track, track_level__level=level("junior-plus"), key="kept")
    gone = RequirementFactory(track_level__track=track, track_level__level=level("junior-plus"), key="gone")
    lead = hire(level_code="senior", roles=["Developer", "Team lead"], hire_date=D(2018, 1, 1))
    person = hire(level_code="junior", team_lead=lead, hire_date=D(2022, 1, 10))
    Employee.objects.filter(pk=person.pk).update(track=track)
    person.refresh_from_db()
    confirmed = services.evidence_decide(
        evidence=services.evidence_claim(employee=person, requirement=kept, description="x", by=person.user),
        confirm=True, by=lead.user,
    )
    stranded = services.evidence_claim(employee=person, requirement=gone, description="y", by=person.user)
    Requirement.objects.filter(pk=gone.pk).update(is_active=False)  # as retiring did before versions
    assert confirmed.decided_version is None and figures(person)[2] == 1

    migration.first_versions(apps, SimpleNamespace(connection=connection))

    version = FrameworkVersion.objects.get(track=track)
    assert version.number == 1 and [r["key"] for r in version.snapshot["requirements"]] == ["kept"]
    assert version.snapshot == versions.snapshot(track)  # what a load compares with
    assert set(Requirement.objects.filter(track=track).values_list("wording_version", flat=True)) == {version.pk}
    confirmed.refresh_from_db()
    stranded.refresh_from_db()
    assert confirmed.decided_version == version
    assert stranded.status == EvidenceStatus.WITHDRAWN
    event = stranded.events.latest("id")
    assert event.actor is None and "retired before framework versions were kept" in event.comment
    assert figures(person)[2] == 0
    # Run again (a track versioned already), it changes nothing.
    before = everything()
    migration.first_versions(apps, SimpleNamespace(connection=connection))
    assert everything() == before


def test_the_versions_page_costs_the_same_for_two_versions_and_six(client, dev, tmp_path, two_versions):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    client.force_login(dev.user)
    url = reverse("grades:track_versions", args=[SLUG])
    client.get(url)
    with CaptureQueriesContext(db) as two:
        client.get(url)
    data = framework()
    for n in range(4):
        line(data, "kept")["text"] = f"Ведёт задачи в трекере, версия {n + 3}"
        load_framework(write(tmp_path, data), effective=D(2031, 1, 1))
    with CaptureQueriesContext(db) as six:
        response = client.get(url)
    assert response.context["comparison"].newer.number == 6
    # The session, the user and their roles, the track, the versions, the two compared.
    assert len(six.captured_queries) == len(two.captured_queries)
