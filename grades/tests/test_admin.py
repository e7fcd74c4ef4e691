"""The grades admin as HR uses it: ladders, hiring, the grade history, and what stays read-only."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grades import models, services
from grades.tests.factories import (
    BookFactory,
    EvidenceEventFactory,
    EvidenceFactory,
    MentorshipFactory,
    RequirementFactory,
    UserFactory,
    hire,
    level,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def admin_url(model, view, *args):
    return reverse(f"admin:grades_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def su_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def hr_user():
    return UserFactory(username="hr", roles=["HR"], is_staff=True)


@pytest.fixture
def hr_client(client, hr_user):
    client.force_login(hr_user)
    return client


def backend_level(code):
    return models.TrackLevel.objects.get(track__slug="backend", level__code=code)


def form_data(response):
    """The POST body a browser would send back unchanged from an admin change page."""
    data = {}

    def add(form):
        for bound in form:
            value = bound.value()
            if value is None:
                continue
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
                continue
            data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


# --- Every page opens -----------------------------------------------------------------

# Admins that refuse "add": the fixed ladder, claims (made by developers with their
# first event), and history (appended by services).
NO_ADD = {models.Ladder, models.Level, models.Evidence, models.GradeChange, models.EvidenceEvent}

GRADES_MODELS = [
    models.Ladder,
    models.Level,
    models.Category,
    models.Track,
    models.TrackLevel,
    models.Requirement,
    models.Book,
    models.Employee,
    models.GradeChange,
    models.Mentorship,
    models.Evidence,
    models.EvidenceEvent,
]


@pytest.fixture
def one_of_each():
    lead = hire(level_code="senior", hire_date=D(2019, 3, 1))
    dev = hire(level_code="middle", team_lead=lead)
    evidence = EvidenceFactory(employee=dev)
    return {
        models.Ladder: models.Ladder.objects.get(slug="standard"),
        models.Level: level("middle"),
        models.Category: models.Category.objects.get(key="security"),
        models.Track: models.Track.objects.get(slug="backend"),
        models.TrackLevel: backend_level("senior"),
        models.Requirement: models.Requirement.objects.filter(track__slug="backend").first(),
        models.Book: BookFactory(track_level=backend_level("middle")),
        models.Employee: dev,
        models.GradeChange: dev.grade_changes.get(),
        models.Mentorship: MentorshipFactory(mentor=lead, mentee=dev),
        models.Evidence: evidence,
        models.EvidenceEvent: EvidenceEventFactory(evidence=evidence),
    }


def test_every_grades_model_is_in_the_admin():
    registered = {m for m in admin.site._registry if m._meta.app_label == "grades"}
    assert registered == set(GRADES_MODELS)


@pytest.mark.parametrize("model", GRADES_MODELS, ids=lambda m: m._meta.model_name)
def test_superuser_opens_changelist_add_and_change(su_client, one_of_each, model):
    assert su_client.get(admin_url(model, "changelist")).status_code == 200
    assert su_client.get(admin_url(model, "changelist"), {"q": "a"}).status_code == 200
    add = su_client.get(admin_url(model, "add"))
    assert add.status_code == (403 if model in NO_ADD else 200)
    change = su_client.get(admin_url(model, "change", one_of_each[model].pk))
    assert change.status_code == 200


def test_developer_who_is_not_staff_is_sent_to_the_admin_login(client):
    developer = hire().user
    client.force_login(developer)
    for url in [reverse("admin:index"), admin_url(models.Employee, "changelist")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


# --- The framework ------------------------------------------------------------------------


def test_hr_sees_the_requirements_of_backend_senior_under_its_track_level(hr_client):
    senior = backend_level("senior")
    response = hr_client.get(admin_url(models.TrackLevel, "change", senior.pk))
    assert response.status_code == 200
    content = response.content.decode()
    keys = list(senior.requirements.values_list("key", flat=True))
    assert "five-years-experience" in keys and "large-component" in keys
    for key in keys:
        assert f'value="{key}"' in content
    # Only this level's lines: a Junior+ requirement belongs to another page.
    assert 'value="composer-laravel-basics"' not in content
    assert "Clean Architecture" in content  # the reading list is there too


def test_hr_adds_a_requirement_under_a_track_level(hr_client):
    senior = backend_level("senior")
    url = admin_url(models.TrackLevel, "change", senior.pk)
    data = form_data(hr_client.get(url))
    data.update(
        {
            "requirements-TOTAL_FORMS": str(int(data["requirements-TOTAL_FORMS"]) + 1),
            "requirements-5-key": "k8s-operations",
            "requirements-5-category": "hard_skill",
            "requirements-5-text": "Kubernetes",
            "requirements-5-origin": "track",
            "requirements-5-position": "9",
            "requirements-5-is_active": "on",
            "requirements-5-check_params": "{}",
            "requirements-5-track_level": str(senior.pk),
        }
    )
    assert int(data["requirements-INITIAL_FORMS"]) == 5

    response = hr_client.post(url, data)

    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    added = models.Requirement.objects.get(key="k8s-operations")
    assert added.track_level == senior and added.track.slug == "backend"


@pytest.mark.parametrize("category", ["HARD_SKILL", "Hard_skill", "hard_skill ", "no-such-theme"])
def test_a_category_is_chosen_by_its_exact_key_on_every_database(hr_client, category):
    """MariaDB's lookup alone ignores letter case and trailing spaces: the form does not."""
    senior = backend_level("senior")
    url = admin_url(models.TrackLevel, "change", senior.pk)
    data = form_data(hr_client.get(url))
    data.update({
        "requirements-TOTAL_FORMS": str(int(data["requirements-TOTAL_FORMS"]) + 1),
        "requirements-5-key": "k8s-operations", "requirements-5-category": category,
        "requirements-5-text": "Kubernetes", "requirements-5-origin": "track", "requirements-5-position": "9",
        "requirements-5-is_active": "on", "requirements-5-check_params": "{}",
        "requirements-5-track_level": str(senior.pk),
    })
    before = models.Requirement.objects.count()

    response = hr_client.post(url, data)

    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["inline_admin_formsets"][0].formset.errors)
    assert models.Requirement.objects.count() == before
    assert not models.Requirement.objects.filter(key="k8s-operations").exists()


@pytest.mark.parametrize(
    "key",
    [
        "git-gitflow",  # taken by Junior+ of the same track
        "large-component",  # taken on this very page
    ],
)
def test_a_key_already_used_in_the_track_is_a_form_error_not_a_crash(hr_client, key):
    senior = backend_level("senior")
    url = admin_url(models.TrackLevel, "change", senior.pk)
    data = form_data(hr_client.get(url))
    data.update(
        {
            "requirements-TOTAL_FORMS": str(int(data["requirements-TOTAL_FORMS"]) + 1),
            "requirements-5-key": key,
            "requirements-5-category": "hard_skill",
            "requirements-5-text": "Duplicate",
            "requirements-5-origin": "track",
            "requirements-5-position": "9",
            "requirements-5-check_params": "{}",
            "requirements-5-track_level": str(senior.pk),
        }
    )
    before = models.Requirement.objects.count()

    response = hr_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors[5]
    assert "key" in errors
    assert models.Requirement.objects.count() == before


def test_two_new_rows_with_one_key_are_refused_together(hr_client):
    senior = backend_level("senior")
    url = admin_url(models.TrackLevel, "change", senior.pk)
    data = form_data(hr_client.get(url))
    data["requirements-TOTAL_FORMS"] = str(int(data["requirements-TOTAL_FORMS"]) + 2)
    for index in (5, 6):
        data.update(
            {
                f"requirements-{index}-key": "brand-new",
                f"requirements-{index}-category": "hard_skill",
                f"requirements-{index}-text": f"Twin {index}",
                f"requirements-{index}-origin": "track",
                f"requirements-{index}-position": "9",
                f"requirements-{index}-check_params": "{}",
                f"requirements-{index}-track_level": str(senior.pk),
            }
        )

    response = hr_client.post(url, data)

    assert response.status_code == 200
    assert not models.Requirement.objects.filter(key="brand-new").exists()


def test_hr_edits_the_minimum_months_from_the_level_list(hr_client):
    levels = list(models.Level.objects.order_by("rank"))
    data = {
        "form-TOTAL_FORMS": str(len(levels)),
        "form-INITIAL_FORMS": str(len(levels)),
        "_save": "Save",
    }
    for index, lvl in enumerate(levels):
        data[f"form-{index}-id"] = str(lvl.pk)
        months = 9 if lvl.code == "middle" else lvl.min_months_in_previous
        data[f"form-{index}-min_months_in_previous"] = str(months)

    response = hr_client.post(admin_url(models.Level, "changelist"), data)

    assert response.status_code == 302
    assert level("middle").min_months_in_previous == 9
    assert level("senior").min_months_in_previous == 12


def test_retiring_requirements_is_an_action_and_keeps_the_rows(hr_client):
    requirement = models.Requirement.objects.get(track__slug="backend", key="dry")
    response = hr_client.post(
        admin_url(models.Requirement, "changelist"),
        {"action": "retire", "_selected_action": [requirement.pk]},
    )
    assert response.status_code == 302
    requirement.refresh_from_db()
    assert requirement.is_active is False


def test_mentorships_filter_by_current_and_ended(hr_client):
    mentor = hire(level_code="senior")
    ongoing = MentorshipFactory(mentor=mentor, mentee=hire(), started_on=D(2023, 1, 1))
    ended = MentorshipFactory(
        mentor=mentor, mentee=hire(), started_on=D(2022, 1, 1), ended_on=D(2022, 12, 31)
    )
    url = admin_url(models.Mentorship, "changelist")

    current = hr_client.get(url, {"state": "current"}).context["cl"].result_list
    past = hr_client.get(url, {"state": "past"}).context["cl"].result_list

    assert list(current) == [ongoing]
    assert list(past) == [ended]


# --- Hiring -----------------------------------------------------------------------------------


def hire_post(user, **overrides):
    data = {
        "user": user.pk,
        "track": models.Track.objects.get(slug="backend").pk,
        "level": level("middle").pk,
        "team_lead": "",
        "hire_date": "2024-02-01",
        "probation_end": "2024-05-01",
        "career_start": "",
    }
    data.update(overrides)
    return data


def test_adding_an_employee_writes_the_hire_entry_at_the_chosen_level(hr_client, hr_user):
    lead = hire(level_code="senior")
    newcomer = UserFactory()

    response = hr_client.post(
        admin_url(models.Employee, "add"), hire_post(newcomer, team_lead=lead.pk)
    )

    assert response.status_code == 302
    employee = models.Employee.objects.get(user=newcomer)
    entry = employee.grade_changes.get()
    assert entry.kind == models.GradeChangeKind.HIRE
    assert entry.level == level("middle")
    assert entry.effective_date == D(2024, 2, 1)
    assert entry.recorded_by == hr_user
    assert employee.current_level == level("middle")
    assert employee.current_level_since == D(2024, 2, 1)
    assert employee.team_lead == lead
    assert employee.career_start == D(2024, 2, 1)  # left empty: the hire date
    assert LogEntry.objects.filter(object_id=str(employee.pk), action_flag=ADDITION).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"level": ""}, "level"),
        ({"probation_end": "2024-01-01"}, None),  # probation ending before the hire
        ({"career_start": "2025-01-01"}, None),  # career starting after the hire
    ],
)
def test_an_invalid_hire_writes_nothing(hr_client, overrides, field):
    newcomer = UserFactory()

    response = hr_client.post(admin_url(models.Employee, "add"), hire_post(newcomer, **overrides))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors and (field is None or field in form.errors)
    assert not models.Employee.objects.filter(user=newcomer).exists()
    assert not models.GradeChange.objects.exists()


def test_a_user_cannot_be_hired_twice(hr_client):
    employee = hire(level_code="junior")

    response = hr_client.post(admin_url(models.Employee, "add"), hire_post(employee.user))

    assert response.status_code == 200
    assert "user" in response.context["adminform"].form.errors
    assert list(employee.grade_changes.values_list("level__code", flat=True)) == ["junior"]


def test_a_refusal_from_the_hire_service_is_a_message_and_writes_nothing(hr_client, monkeypatch):
    # The form checks what the service checks; a refusal that still gets through
    # (another tab hired the user in between) must not be a server error.
    def refuse(**kwargs):
        raise services.GradeError("Someone hired this person a moment ago.")

    monkeypatch.setattr(services, "employee_hire", refuse)
    newcomer = UserFactory()

    response = hr_client.post(admin_url(models.Employee, "add"), hire_post(newcomer), follow=True)

    assert response.status_code == 200
    assert "Someone hired this person a moment ago." in response.content.decode()
    assert not models.Employee.objects.exists()
    assert not LogEntry.objects.filter(action_flag=ADDITION).exists()


def test_the_grade_history_is_read_only_under_the_employee(hr_client):
    employee = hire(level_code="middle")
    services.grade_change_record(
        employee=employee,
        kind="promotion",
        level=level("middle-plus"),
        effective_date=D(2023, 1, 1),
    )

    response = hr_client.get(admin_url(models.Employee, "change", employee.pk))

    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert inline.opts.model is models.GradeChange
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission
    assert [form.instance.level.code for form in inline.formset.forms] == ["middle", "middle-plus"]
    assert 'class="record-grade-change"' in response.content.decode()


def test_hr_changes_the_team_lead_without_touching_the_history(hr_client):
    employee = hire(level_code="middle")
    lead = hire(level_code="senior")
    url = admin_url(models.Employee, "change", employee.pk)
    data = form_data(hr_client.get(url))
    data["team_lead"] = lead.pk

    response = hr_client.post(url, data)

    assert response.status_code == 302
    employee.refresh_from_db()
    assert employee.team_lead == lead
    assert employee.current_level == level("middle")
    assert employee.grade_changes.count() == 1


def test_the_team_lead_autocomplete_finds_people_by_name(hr_client):
    lead = hire(level_code="senior", user=UserFactory(first_name="Ada", last_name="Lovelace"))
    hire(level_code="junior", user=UserFactory(first_name="Bob", last_name="Builder"))

    response = hr_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "grades",
            "model_name": "employee",
            "field_name": "team_lead",
            "term": "Lovel",
        },
    )

    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(lead.pk), "text": "Ada Lovelace"}]


# --- Recording a grade change -----------------------------------------------------------------


@pytest.fixture
def middle():
    return hire(level_code="middle", hire_date=D(2022, 1, 10))


def grade_change_url(employee):
    return admin_url(models.Employee, "grade_change", employee.pk)


def test_the_grade_change_form_suggests_the_next_level(hr_client, middle):
    response = hr_client.get(grade_change_url(middle))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["level"].value() == level("middle-plus").pk
    assert form["kind"].value() == "promotion"


def test_recording_a_promotion_appends_it_through_the_service(hr_client, hr_user, middle):
    response = hr_client.post(
        grade_change_url(middle),
        {"kind": "promotion", "level": level("middle-plus").pk, "effective_date": "2023-02-01"},
    )

    assert response.status_code == 302
    assert response["Location"] == admin_url(models.Employee, "change", middle.pk)
    entry = middle.grade_changes.chronological().last()
    assert entry.kind == "promotion"
    assert entry.level == level("middle-plus")
    assert entry.effective_date == D(2023, 2, 1)
    assert entry.recorded_by == hr_user
    middle.refresh_from_db()
    assert middle.current_level == level("middle-plus")
    log = LogEntry.objects.get(object_id=str(middle.pk), action_flag=CHANGE)
    assert "grade change" in log.get_change_message()


def test_recording_a_correction_with_a_reason(hr_client, middle):
    response = hr_client.post(
        grade_change_url(middle),
        {
            "kind": "correction",
            "level": level("junior-plus-plus").pk,
            "effective_date": "2022-03-01",
            "reason": "Hired at the wrong level",
        },
    )
    assert response.status_code == 302
    middle.refresh_from_db()
    assert middle.current_level == level("junior-plus-plus")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"kind": "promotion", "level": "senior", "effective_date": "2023-02-01"},
            "A promotion goes to the next level only",
        ),
        (
            {"kind": "correction", "level": "middle-plus", "effective_date": "2023-02-01"},
            "A correction needs a reason.",
        ),
        (
            {"kind": "promotion", "level": "middle-plus", "effective_date": "2021-12-31"},
            "history cannot be rewritten",
        ),
    ],
    ids=["skip-middle-to-senior", "correction-without-reason", "dated-before-history"],
)
def test_a_refused_grade_change_shows_why_and_writes_nothing(hr_client, middle, data, message):
    data = {**data, "level": level(data["level"]).pk}

    response = hr_client.post(grade_change_url(middle), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(middle.grade_changes.values_list("kind", flat=True)) == ["hire"]
    middle.refresh_from_db()
    assert middle.current_level == level("middle")
    assert not LogEntry.objects.filter(object_id=str(middle.pk)).exists()


def test_a_team_lead_in_the_admin_cannot_record_grade_changes(client, middle):
    lead_user = UserFactory(roles=["Team lead"], is_staff=True)
    client.force_login(lead_user)

    page = client.get(admin_url(models.Employee, "change", middle.pk))
    assert page.status_code == 200
    assert 'class="record-grade-change"' not in page.content.decode()

    response = client.post(
        grade_change_url(middle),
        {"kind": "promotion", "level": level("middle-plus").pk, "effective_date": "2023-02-01"},
    )
    assert response.status_code == 403
    assert middle.grade_changes.count() == 1


# --- History stays history -------------------------------------------------------------------


def test_grade_changes_cannot_be_changed_added_or_deleted_even_by_a_superuser(su_client):
    employee = hire(level_code="middle")
    entry = employee.grade_changes.get()
    change_url = admin_url(models.GradeChange, "change", entry.pk)

    assert su_client.get(change_url).status_code == 200  # a view-only page
    assert (
        su_client.post(
            change_url,
            {"kind": "promotion", "level": level("senior").pk, "effective_date": "2020-01-01"},
        ).status_code
        == 403
    )
    delete_url = admin_url(models.GradeChange, "delete", entry.pk)
    assert su_client.get(delete_url).status_code == 403
    assert su_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert su_client.get(admin_url(models.GradeChange, "add")).status_code == 403

    entry.refresh_from_db()
    assert (entry.kind, entry.level.code) == ("hire", "middle")
    assert entry.effective_date == D(2022, 1, 10)
    assert models.GradeChange.objects.count() == 1


def test_evidence_events_are_view_only(su_client):
    event = EvidenceEventFactory(evidence=EvidenceFactory(employee=hire()))
    change_url = admin_url(models.EvidenceEvent, "change", event.pk)
    delete_url = admin_url(models.EvidenceEvent, "delete", event.pk)
    assert su_client.post(change_url, {"action": "edited"}).status_code == 403
    assert su_client.post(delete_url, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.action == models.EvidenceEvent.Action.CLAIMED


@pytest.mark.parametrize(
    "model",
    [
        models.Employee,
        models.Requirement,
        models.Evidence,
        models.Mentorship,
        models.GradeChange,
        models.EvidenceEvent,
    ],
    ids=lambda m: m._meta.model_name,
)
def test_no_bulk_delete_for_history_and_what_it_points_at(su_client, one_of_each, model):
    url = admin_url(model, "changelist")
    response = su_client.get(url)
    action_form = response.context["action_form"]
    choices = [value for value, _ in action_form.fields["action"].choices] if action_form else []
    assert "delete_selected" not in choices

    # Forcing the action by hand does nothing either.
    obj = one_of_each[model]
    su_client.post(url, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert model.objects.filter(pk=obj.pk).exists()


def test_decided_evidence_is_read_only(su_client):
    evidence = EvidenceFactory(employee=hire(), confirmed=True)
    url = admin_url(models.Evidence, "change", evidence.pk)

    page = su_client.get(url)
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False

    response = su_client.post(url, {"description": "Rewritten", "links": "[]"})
    assert response.status_code == 403
    evidence.refresh_from_db()
    assert evidence.description == "Built the payment retry worker"
    assert evidence.status == models.EvidenceStatus.CONFIRMED


def test_open_claims_are_read_only_in_admin_too(su_client):
    evidence = EvidenceFactory(employee=hire())
    url = admin_url(models.Evidence, "change", evidence.pk)
    assert su_client.get(url).context["has_change_permission"] is False
    response = su_client.post(url, {"description": "Rewritten by an admin", "links": "[]"})
    assert response.status_code == 403
    evidence.refresh_from_db()
    assert evidence.description == "Built the payment retry worker"
    assert not evidence.events.exists()


# --- Query counts --------------------------------------------------------------------------


def make_team(size):
    lead = hire(level_code="senior", hire_date=D(2018, 1, 1))
    recorder = UserFactory()
    for _ in range(size - 1):
        person = hire(level_code="middle", team_lead=lead)
        services.grade_change_record(
            employee=person,
            kind="promotion",
            level=level("middle-plus"),
            effective_date=D(2023, 1, 1),
            by=recorder,
        )


@pytest.mark.parametrize("rows", [5, 30])
def test_employee_changelist_queries_do_not_grow_with_rows(
    su_client, django_assert_max_num_queries, rows
):
    make_team(rows)
    # 2 session and user, 2 savepoint and release (ATOMIC_REQUESTS inside the test's
    # transaction), 2 filter choices (tracks, levels), 2 counts (filtered and total),
    # 1 page of rows with the user, track, level and team lead's user joined in.
    with django_assert_max_num_queries(9):
        response = su_client.get(admin_url(models.Employee, "changelist"))
    assert response.context["cl"].result_count == rows


@pytest.mark.parametrize("rows", [5, 30])
def test_grade_change_changelist_queries_do_not_grow_with_rows(
    su_client, django_assert_max_num_queries, rows
):
    make_team(rows)
    # 2 session and user, 2 savepoint, 2 filter choices (tracks, levels), 2 counts,
    # 1 page of rows with the employee's user, level, track and recorder joined in,
    # 2 for the date hierarchy (first/last date, then the distinct years).
    with django_assert_max_num_queries(11):
        response = su_client.get(admin_url(models.GradeChange, "changelist"))
    assert response.context["cl"].result_count == 2 * rows - 1


@pytest.mark.parametrize(
    "model",
    [models.Mentorship, models.Evidence, models.EvidenceEvent, models.Requirement, models.Book],
    ids=lambda m: m._meta.model_name,
)
def test_other_changelists_cost_the_same_for_few_and_many_rows(
    su_client, django_assert_num_queries, model
):
    url = admin_url(model, "changelist")
    senior_backend = backend_level("senior")

    def grow():
        mentor = hire(level_code="senior")
        mentee = hire(level_code="junior")
        MentorshipFactory(mentor=mentor, mentee=mentee)
        evidence = EvidenceFactory(employee=mentee, decided_by=None)
        EvidenceEventFactory(evidence=evidence)
        BookFactory(track_level=senior_backend)
        RequirementFactory(track_level=senior_backend)

    grow()
    with CaptureQueriesContext(connection) as few:
        su_client.get(url)
    for _ in range(6):
        grow()
    with django_assert_num_queries(len(few)):
        su_client.get(url)


# --- Themes and groups ------------------------------------------------------------------------


def test_hr_adds_a_theme_and_renames_it_but_its_key_stays(hr_client, hr_user):
    response = hr_client.get(admin_url(models.Category, "changelist"))
    assert response.status_code == 200
    assert "Engineering practice" in response.content.decode()

    response = hr_client.post(
        admin_url(models.Category, "add"),
        {"key": "communication", "name": "Communication", "name_ru": "Коммуникация", "summary": "", "position": "20"},
    )
    assert response.status_code == 302
    theme = models.Category.objects.get(key="communication")
    assert theme.history.get().history_user == hr_user

    url = admin_url(models.Category, "change", theme.pk)
    response = hr_client.post(
        url, {"key": "talking", "name": "Communication and influence", "name_ru": "", "summary": "", "position": "20"}
    )
    assert response.status_code == 302
    theme.refresh_from_db()
    assert (theme.key, theme.name) == ("communication", "Communication and influence")


def test_a_bad_theme_key_is_a_form_error(hr_client):
    before = models.Category.objects.count()
    response = hr_client.post(admin_url(models.Category, "add"), {"key": "Team Work", "name": "Team work", "position": "0"})
    assert response.status_code == 200
    assert "Lower-case letters and digits" in response.content.decode()
    assert models.Category.objects.count() == before


def test_a_theme_in_use_is_not_deleted_and_the_page_says_why(su_client):
    theme = models.Category.objects.get(key="security")
    response = su_client.post(admin_url(models.Category, "delete", theme.pk), {"post": "yes"})
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in response.content.decode()
    assert models.Category.objects.filter(key="security").exists()


def test_hr_gives_a_requirement_proficiency_examples_and_a_group(hr_client):
    senior = backend_level("senior")
    group = models.RequirementGroup.objects.create(track_level=senior, key="electives", at_least=1)
    requirement = senior.requirements.filter(check_kind="").order_by("id").first()
    url = admin_url(models.Requirement, "change", requirement.pk)
    data = form_data(hr_client.get(url))
    data.update({"proficiency": "Expert", "examples": "Led the migration.\n- planned\n- shipped", "group": str(group.pk)})
    response = hr_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    requirement.refresh_from_db()
    assert (requirement.proficiency, requirement.group_id) == ("Expert", group.pk)
    assert requirement.examples.endswith("- shipped")

    # A group of another level is refused on the form.
    other = models.RequirementGroup.objects.create(track_level=backend_level("middle"), key="other", at_least=1)
    data["group"] = str(other.pk)
    response = hr_client.post(url, data)
    assert response.status_code == 200
    assert "The group belongs to another level" in response.content.decode()
    requirement.refresh_from_db()
    assert requirement.group_id == group.pk
