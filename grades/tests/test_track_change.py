"""Moving a person to another track, and demotions: the ledger, the claims, the clock, the admin."""

import csv
import datetime
import io
import re
from types import SimpleNamespace

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from grades import models, selectors, services
from grades.models import Evidence, EvidenceEvent, EvidenceStatus, GradeChange, Requirement, Track
from grades.tests.factories import (
    RequirementFactory,
    TrackFactory,
    TrackLevelFactory,
    UserFactory,
    hire,
    level,
)

pytestmark = pytest.mark.django_db

D = datetime.date
HIRED = D(2021, 3, 1)
PROBATION_END = D(2021, 6, 1)
# Middle+ needs six months in Middle, counted from the end of probation.
EARLIEST_BEFORE_THE_MOVE = D(2021, 12, 1)


def backend(key):
    return Requirement.objects.get(track__slug="backend", key=key)


def fullstack(key):
    return Requirement.objects.get(track__slug="fullstack", key=key)


@pytest.fixture
def hr():
    return UserFactory(username="hr", roles=["HR"], is_staff=True)


@pytest.fixture
def lead():
    return hire(level_code="senior", roles=["Developer", "Team lead"], hire_date=D(2018, 1, 1))


@pytest.fixture
def dev(lead):
    return hire(level_code="middle", team_lead=lead, hire_date=HIRED, probation_end=PROBATION_END)


def claim(dev, key, *, decide=None, lead=None, comment=""):
    """A claim on the backend requirement `key` through the real services, optionally decided."""
    evidence = services.evidence_claim(
        employee=dev, requirement=backend(key), description=f"Work for {key}",
        links=[f"https://git.example.com/{key}"], by=dev.user,
    )
    if decide is not None:
        evidence = services.evidence_decide(
            evidence=evidence, confirm=decide, comment=comment, by=lead.user
        )
    return evidence


@pytest.fixture
def claims(dev, lead):
    """A claim in every state, on keys the fullstack track shares and on backend-only keys."""
    made = {
        "code-security": claim(dev, "code-security", decide=True, lead=lead, comment="Seen in the audit"),
        "oop": claim(dev, "oop"),
        "yagni": claim(dev, "yagni", decide=True, lead=lead),
        "git-gitflow": claim(dev, "git-gitflow", decide=True, lead=lead),
        "docker-compose": claim(dev, "docker-compose"),
        "ssh": claim(dev, "ssh", decide=False, lead=lead, comment="No key rotation yet"),
        "agile-scrum": claim(dev, "agile-scrum"),
    }
    made["agile-scrum"] = services.evidence_withdraw(evidence=made["agile-scrum"], by=dev.user)
    return made


def db_state():
    """Every row a track change could write: compare before and after a refused move."""
    return (
        list(GradeChange.objects.order_by("id").values()),
        list(models.Employee.objects.order_by("id").values()),
        list(Evidence.objects.order_by("id").values()),
        list(EvidenceEvent.objects.order_by("id").values()),
        models.Employee.history.count(),
        models.Evidence.history.count(),
    )


def move(dev, hr, **kwargs):
    kwargs.setdefault("track", Track.objects.get(slug="fullstack"))
    kwargs.setdefault("reason", "Moves to the storefront team")
    return services.employee_change_track(employee=dev, by=hr, **kwargs)


# --- The ledger and the employee row -------------------------------------------------------------


def test_a_lateral_move_appends_a_transfer_and_keeps_the_level(dev, hr):
    moved = move(dev, hr, effective_date=D(2024, 1, 10))

    entry = moved.entry
    assert entry.kind == models.GradeChangeKind.TRANSFER == "transfer"
    assert entry.get_kind_display() == "Track change"
    assert (entry.track.slug, entry.level.code) == ("fullstack", "middle")
    assert entry.effective_date == D(2024, 1, 10)
    assert entry.reason == "Moves to the storefront team"
    assert entry.recorded_by == hr
    dev.refresh_from_db()
    assert dev.track.slug == "fullstack"
    assert dev.current_level.code == "middle"
    # The level did not change, so neither did the day it began.
    assert dev.current_level_since == HIRED
    assert list(dev.grade_changes.chronological().values_list("kind", "track__slug")) == [
        ("hire", "backend"), ("transfer", "fullstack"),
    ]
    # The track edit is in the employee's change history, attributed to HR.
    record = models.Employee.history.filter(id=dev.pk).latest("history_date")
    assert record.track_id == dev.track_id and record.history_user == hr


def test_the_move_is_dated_today_unless_hr_says_otherwise(dev, hr):
    moved = move(dev, hr)
    assert moved.entry.effective_date == timezone.localdate()


def test_hr_may_set_another_level_and_the_clock_then_starts_again(dev, hr):
    moved = move(dev, hr, level=level("middle-plus"), effective_date=D(2024, 1, 10))

    assert moved.entry.level.code == "middle-plus"
    dev.refresh_from_db()
    assert dev.current_level.code == "middle-plus"
    assert dev.current_level_since == D(2024, 1, 10)
    progress = selectors.employee_progress(dev, on=D(2024, 3, 1))
    assert progress.next_level.code == "middle-plus-plus"
    assert progress.earliest_defense == D(2024, 7, 10)


def test_the_callers_object_follows_the_move(dev, hr):
    move(dev, hr)
    assert dev.track.slug == "fullstack"
    assert dev.current_level_since == HIRED


# --- Claims -----------------------------------------------------------------------------------------


def test_live_claims_on_shared_keys_are_carried_over_and_the_rest_stays(dev, hr, lead, claims):
    untouched = {
        key: Evidence.objects.filter(pk=claims[key].pk).values().get()
        for key in ("code-security", "yagni", "git-gitflow", "ssh", "agile-scrum")
    }

    moved = move(dev, hr, effective_date=D(2024, 1, 10))

    new = {e.requirement.key: e for e in Evidence.objects.filter(requirement__track__slug="fullstack")}
    # Live claims (claimed or confirmed) whose key the new track has; not the rejected ssh,
    # not the withdrawn agile-scrum, not the backend-only git-gitflow and docker-compose.
    assert set(new) == {"code-security", "oop", "yagni"}
    assert {e.pk for e in moved.carried} == {e.pk for e in new.values()}
    security = new["code-security"]
    old = claims["code-security"]
    assert security.requirement == fullstack("code-security")
    assert security.employee == dev
    assert security.status == EvidenceStatus.CONFIRMED
    assert (security.description, security.links) == (old.description, old.links)
    assert (security.claimed_by, security.claimed_at) == (dev.user, old.claimed_at)
    assert (security.decided_by, security.decided_at) == (lead.user, old.decided_at)
    assert security.decision_comment == (
        f"Carried over from the Back-end developer track (claim #{old.pk}). Seen in the audit"
    )
    waiting = new["oop"]
    assert waiting.status == EvidenceStatus.CLAIMED
    assert (waiting.decided_by, waiting.decided_at, waiting.decision_comment) == (None, None, "")
    assert waiting.claimed_at == claims["oop"].claimed_at
    for copy in new.values():
        (event,) = copy.events.all()
        assert (event.action, event.actor) == ("carried", hr)
        assert event.get_action_display() == "Carried over"
        assert event.comment.startswith("Carried over from the Back-end developer track")
        assert (event.description, event.links) == (copy.description, copy.links)

    # Decided and withdrawn claims on the old track are history and stay exactly as they were.
    for key, values in untouched.items():
        assert Evidence.objects.filter(pk=claims[key].pk).values().get() == values, key
    # Claims still waiting on the old track are closed: nobody decides them any more.
    assert {e.pk for e in moved.closed} == {claims["oop"].pk, claims["docker-compose"].pk}
    for key in ("oop", "docker-compose"):
        closed = Evidence.objects.get(pk=claims[key].pk)
        assert closed.status == EvidenceStatus.WITHDRAWN
        assert closed.requirement.track.slug == "backend"
        last = closed.events.order_by("at", "id").last()
        assert (last.action, last.actor) == ("withdrawn", hr)
    assert "where it waits as claim #%d" % new["oop"].pk in claims["oop"].events.last().comment
    assert "does not have this requirement" in claims["docker-compose"].events.last().comment
    # Nothing is left waiting twice, for the team lead or for the reminders.
    assert list(Evidence.objects.filter(status=EvidenceStatus.CLAIMED).values_list("pk", flat=True)) == [
        new["oop"].pk
    ]


def test_the_team_lead_decides_a_carried_claim_as_any_other(dev, hr, lead, claims):
    move(dev, hr)
    carried = Evidence.objects.get(requirement=fullstack("oop"))

    decided = services.evidence_decide(evidence=carried, confirm=True, by=lead.user)

    assert decided.status == EvidenceStatus.CONFIRMED
    assert [e.action for e in decided.events.order_by("at", "id")] == ["carried", "confirmed"]


def test_only_active_people_judged_requirements_of_the_new_track_take_claims(dev, hr, lead, claims):
    qa = TrackFactory(slug="qa", name="QA")
    junior_plus = TrackLevelFactory(track=qa, level=level("junior-plus"))
    # Same keys as backend, but judged from data, or retired.
    RequirementFactory(
        track_level=junior_plus, key="code-security", check_kind="experience_years",
        check_params={"years": 1},
    )
    RequirementFactory(track_level=junior_plus, key="oop", is_active=False)
    RequirementFactory(track_level=junior_plus, key="ssh")
    RequirementFactory(track_level=TrackLevelFactory(track=qa, level=level("middle-plus")), key="yagni")

    moved = move(dev, hr, track=qa)

    assert [e.requirement.key for e in moved.carried] == ["yagni"]
    assert Evidence.objects.filter(requirement__track=qa).count() == 1


def test_moving_back_keeps_the_claims_already_on_that_track(dev, hr, lead, claims):
    move(dev, hr, effective_date=D(2024, 1, 10))
    services.evidence_decide(
        evidence=Evidence.objects.get(requirement=fullstack("oop")), confirm=True, by=lead.user
    )

    back = move(dev, hr, track=Track.objects.get(slug="backend"), reason="Back to the API team",
                effective_date=D(2024, 6, 1))

    # code-security and yagni are still confirmed on backend from before: they stand, and
    # only oop (withdrawn there by the first move) comes back from fullstack.
    assert [e.requirement.key for e in back.carried] == ["oop"]
    live = Evidence.objects.filter(
        employee=dev, requirement__track__slug="backend", status__in=models.OPEN_EVIDENCE_STATUSES
    )
    assert sorted(live.values_list("requirement__key", flat=True)) == [
        "code-security", "git-gitflow", "oop", "yagni",
    ]
    progress = selectors.employee_progress(dev)
    states = {item.requirement.key: item.state for item in progress.items}
    assert states["oop"] == states["code-security"] == states["git-gitflow"] == "confirmed"


# --- The progress page and eligibility ------------------------------------------------------------


def test_the_progress_page_shows_the_new_tracks_checklist(client, dev, hr, claims):
    client.force_login(dev.user)
    before = client.get("/me/").context["progress"]

    move(dev, hr, effective_date=D(2024, 1, 10))

    for viewer, url in ((dev.user, "/me/"), (hr, f"/people/{dev.pk}/")):
        client.force_login(viewer)
        response = client.get(url)
        assert response.status_code == 200
        progress = response.context["progress"]
        expected = list(
            Requirement.objects.for_track_up_to(Track.objects.get(slug="fullstack"), 5)
            .values_list("pk", flat=True)
        )
        assert [item.requirement.pk for item in progress.items] == expected
        states = {item.requirement.key: item.state for item in progress.items}
        assert states["code-security"] == states["yagni"] == "confirmed"
        assert states["oop"] == "claimed"
        assert states["ssh"] == states["agile-scrum"] == "missing"
        assert "git-gitflow" not in states and "frontend-basics-expertise" in states
        assert progress.level.code == "middle"
        # A lateral move does not restart the time in level.
        assert progress.since == HIRED
        assert progress.earliest_defense == before.earliest_defense == EARLIEST_BEFORE_THE_MOVE
        assert "Track change" in response.content.decode()
    assert progress.done_count == before.done_count - 1  # git-gitflow stays behind


def test_the_people_list_follows_the_move(client, dev, hr, claims):
    move(dev, hr)
    client.force_login(hr)

    response = client.get("/people/", {"track": "fullstack"})

    (row,) = [r for r in response.context["rows"] if r.employee.pk == dev.pk]
    assert row.earliest_defense == EARLIEST_BEFORE_THE_MOVE
    assert row.checklist_done == 2  # code-security and yagni, carried over
    assert row.waiting_claims == 1  # oop, once
    assert row.checklist_total == Requirement.objects.for_track_up_to(
        Track.objects.get(slug="fullstack"), 5
    ).filter(check_kind="").count()


def test_a_defense_after_the_move_is_for_the_new_track(dev, hr, lead):
    from reviews import services as reviews

    move(dev, hr)
    review = reviews.review_request(statement="Ready for the next level.", candidate=dev, by=lead.user, recommendation="Ready.")

    assert review.track.slug == "fullstack"
    assert (review.from_level.code, review.to_level.code) == ("middle", "middle-plus")


@pytest.mark.parametrize(
    "kinds, expected",
    [
        # (kind, level) per entry, one entry per year from 2020-01-01.
        ([("hire", 1)], D(2020, 1, 1)),
        ([("hire", 1), ("transfer", 1)], D(2020, 1, 1)),
        ([("hire", 1), ("transfer", 1), ("transfer", 1)], D(2020, 1, 1)),
        ([("hire", 1), ("transfer", 2)], D(2021, 1, 1)),
        ([("hire", 1), ("promotion", 2), ("transfer", 2)], D(2021, 1, 1)),
        ([("hire", 2), ("transfer", 2), ("correction", 1)], D(2022, 1, 1)),
        ([("hire", 2), ("correction", 1), ("transfer", 1)], D(2021, 1, 1)),
        # A correction that keeps the level is a deliberate new start, as before.
        ([("hire", 1), ("correction", 1)], D(2021, 1, 1)),
        ([], None),
    ],
)
def test_level_since_skips_only_moves_that_keep_the_level(kinds, expected):
    entries = [
        SimpleNamespace(kind=kind, level_id=level_id, effective_date=D(2020 + i, 1, 1))
        for i, (kind, level_id) in enumerate(kinds)
    ]
    assert selectors.level_since(entries) == expected


@pytest.mark.parametrize(
    "kinds",
    [
        [("hire", 1), ("transfer", 1), ("promotion", 2)],
        [("hire", 1), ("transfer", 2), ("transfer", 2), ("promotion", 3)],
        [("hire", 2), ("correction", 1), ("transfer", 1), ("correction", 1)],
    ],
)
def test_each_bulk_written_entry_keeps_where_level_since_put_the_level_before(kinds):
    entries = [
        SimpleNamespace(kind=kind, level_id=level_id, effective_date=D(2020 + i, 1, 1))
        for i, (kind, level_id) in enumerate(kinds)
    ]
    selectors.mark_previous_starts(entries)
    assert [e.previous_level_since for e in entries] == [
        selectors.level_since(entries[:i]) for i in range(len(entries))
    ]


def test_the_services_write_the_start_of_the_level_before_on_each_entry(dev, hr):
    moved = move(dev, hr, effective_date=D(2024, 1, 10))
    promoted = services.grade_change_record(
        employee=dev, kind="promotion", level=level("middle-plus"), effective_date=D(2024, 2, 1), by=hr
    )
    corrected = services.grade_change_record(
        employee=dev, kind="correction", level=level("middle"), effective_date=D(2024, 3, 1),
        reason="Promoted by mistake", by=hr,
    )

    ledger = list(dev.grade_changes.chronological())
    assert [(e.kind, e.previous_level_since) for e in ledger] == [
        ("hire", None),
        # The move kept the level, so the promotion's wait runs from the hire.
        ("transfer", HIRED),
        ("promotion", HIRED),
        ("correction", D(2024, 2, 1)),
    ]
    assert [e.pk for e in ledger[1:]] == [moved.entry.pk, promoted.pk, corrected.pk]


# --- Demotions and corrections ---------------------------------------------------------------------


def test_a_demotion_with_a_reason_restarts_the_clock_and_a_later_move_keeps_it(dev, hr):
    services.grade_change_record(
        employee=dev, kind="correction", level=level("junior-plus-plus"), effective_date=D(2024, 2, 1),
        reason="Did not keep up with the on-call duties", by=hr,
    )

    dev.refresh_from_db()
    assert (dev.current_level.code, dev.current_level_since) == ("junior-plus-plus", D(2024, 2, 1))
    progress = selectors.employee_progress(dev, on=D(2024, 3, 1))
    assert progress.next_level.code == "middle"
    # Middle needs six months in Junior++, counted from the demotion.
    assert progress.earliest_defense == D(2024, 8, 1)
    assert "last grade change on 2024-02-01" in progress.earliest_reasons[0]

    move(dev, hr, effective_date=D(2024, 3, 1))

    assert selectors.employee_progress(dev, on=D(2024, 3, 1)).earliest_defense == D(2024, 8, 1)
    dev.refresh_from_db()
    assert dev.current_level_since == D(2024, 2, 1)


def test_a_correction_needs_a_reason(dev, hr):
    before = db_state()
    with pytest.raises(services.GradeError, match="A correction needs a reason."):
        services.grade_change_record(
            employee=dev, kind="correction", level=level("junior-plus"), effective_date=D(2024, 2, 1),
            reason="  ", by=hr,
        )
    assert db_state() == before


def test_a_promotion_after_a_move_is_recorded_on_the_new_track(dev, hr):
    move(dev, hr, effective_date=D(2024, 1, 10))
    entry = services.grade_change_record(
        employee=dev, kind="promotion", level=level("middle-plus"), effective_date=D(2024, 2, 1), by=hr
    )
    assert entry.track.slug == "fullstack"


# --- Refusals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("roles", [["Developer"], ["Developer", "Team lead"], ["Manager"], ["Committee"]])
def test_only_hr_moves_people(dev, lead, claims, roles):
    before = db_state()
    with pytest.raises(PermissionError):
        move(dev, UserFactory(roles=roles))
    with pytest.raises(PermissionError):
        move(dev, dev.user)
    with pytest.raises(PermissionError):
        move(dev, lead.user)
    assert db_state() == before


def test_a_superuser_counts_as_hr(dev):
    moved = move(dev, UserFactory(is_superuser=True, is_staff=True))
    assert moved.entry.kind == "transfer"


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(track="backend"), "is already on the Back-end developer track"),
        (dict(track="inactive"), "The Retired track is not active"),
        (dict(effective_date=D(2021, 2, 28)), "is before the latest entry (2021-03-01)"),
        (dict(effective_date="tomorrow"), "cannot be dated in the future"),
        (dict(reason="   "), "A track change needs a reason."),
    ],
)
def test_refused_moves_change_nothing(dev, hr, claims, change, message):
    TrackFactory(slug="inactive", name="Retired", is_active=False)
    if "track" in change:
        change["track"] = Track.objects.get(slug=change["track"])
    if change.get("effective_date") == "tomorrow":
        change["effective_date"] = timezone.localdate() + datetime.timedelta(days=1)
    before = db_state()

    with pytest.raises(services.GradeError, match=re.escape(message)):
        move(dev, hr, **change)

    assert db_state() == before


def test_a_move_dated_on_the_latest_entry_is_allowed(dev, hr):
    assert move(dev, hr, effective_date=HIRED).entry.effective_date == HIRED


def test_a_person_who_left_is_not_moved(dev, hr, claims):
    models.Employee.objects.filter(pk=dev.pk).update(left_on=D(2024, 1, 31))
    dev.refresh_from_db()
    before = db_state()

    with pytest.raises(services.GradeError, match="left on 2024-01-31; a person who has left"):
        move(dev, hr, effective_date=D(2024, 1, 10))

    assert db_state() == before


def test_a_person_without_a_hire_entry_is_not_moved(hr):
    from grades.tests.factories import EmployeeFactory

    person = EmployeeFactory()
    before = db_state()
    with pytest.raises(services.GradeError, match="has no hire entry yet"):
        move(person, hr)
    assert db_state() == before


def test_an_open_review_blocks_the_move_until_it_is_closed(dev, hr, lead, claims):
    from reviews import services as reviews

    review = reviews.review_request(statement="Ready for the next level.", candidate=dev, by=lead.user, recommendation="Ready.")
    before = db_state()

    with pytest.raises(services.GradeError, match="has an open promotion review for the Back-end developer track"):
        move(dev, hr)
    assert db_state() == before

    reviews.review_withdraw(review=review, by=hr, reason="Moving to fullstack first")
    assert move(dev, hr).entry.kind == "transfer"


# --- Admin ----------------------------------------------------------------------------------------------


def track_change_url(employee):
    return reverse("admin:grades_employee_track_change", args=[employee.pk])


def change_url(employee):
    return reverse("admin:grades_employee_change", args=[employee.pk])


def test_hr_sees_the_change_track_button_and_form(client, dev, hr):
    client.force_login(hr)
    page = client.get(change_url(dev)).content.decode()
    assert 'class="change-track"' in page and 'class="record-grade-change"' in page

    response = client.get(track_change_url(dev))

    assert response.status_code == 200
    form = response.context["form"]
    # Only tracks the person can move onto.
    assert [t.slug for t in form.fields["track"].queryset] == ["fullstack"]
    assert form.fields["level"].empty_label == "Keep Middle"
    assert form.fields["effective_date"].initial == datetime.date.today()


def test_hr_moves_a_person_in_the_admin(client, dev, hr, claims):
    client.force_login(hr)

    response = client.post(track_change_url(dev), {
        "track": Track.objects.get(slug="fullstack").pk, "level": "",
        "effective_date": "2024-01-10", "reason": "Moves to the storefront team",
    })

    assert response.status_code == 302 and response["Location"] == change_url(dev)
    dev.refresh_from_db()
    assert dev.track.slug == "fullstack" and dev.current_level.code == "middle"
    entry = dev.grade_changes.chronological().last()
    assert (entry.kind, entry.recorded_by, entry.effective_date) == ("transfer", hr, D(2024, 1, 10))
    assert LogEntry.objects.filter(object_id=str(dev.pk), action_flag=CHANGE).exists()
    shown = client.get(response["Location"]).content.decode()
    assert "Claims carried over: 3; waiting claims withdrawn from the old track: 2." in shown


def test_the_admin_form_sets_another_level(client, dev, hr):
    client.force_login(hr)
    client.post(track_change_url(dev), {
        "track": Track.objects.get(slug="fullstack").pk, "level": level("middle-plus").pk,
        "effective_date": "2024-01-10", "reason": "Moves up and over",
    })
    dev.refresh_from_db()
    assert (dev.current_level.code, dev.current_level_since) == ("middle-plus", D(2024, 1, 10))


@pytest.mark.parametrize(
    "data, message",
    [
        ({"effective_date": "2020-01-01"}, "is before the latest entry (2021-03-01)"),
        ({"reason": ""}, "This field is required."),
        ({"effective_date": "not a date"}, "Enter a valid date."),
        ({"track": "backend"}, "Select a valid choice."),
        ({"level": "999999"}, "Select a valid choice."),
    ],
)
def test_a_refused_move_in_the_admin_shows_why_and_changes_nothing(client, dev, hr, claims, data, message):
    client.force_login(hr)
    body = {
        "track": Track.objects.get(slug="fullstack").pk, "level": "",
        "effective_date": "2024-01-10", "reason": "Moves to the storefront team",
    }
    if data.get("track") == "backend":
        data = {"track": Track.objects.get(slug="backend").pk}
    body.update(data)
    before = db_state()

    response = client.post(track_change_url(dev), body)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert db_state() == before


def test_an_open_review_is_shown_on_the_admin_form(client, dev, hr, lead):
    from reviews import services as reviews

    reviews.review_request(statement="Ready for the next level.", candidate=dev, by=lead.user, recommendation="Ready.")
    client.force_login(hr)
    before = db_state()

    response = client.post(track_change_url(dev), {
        "track": Track.objects.get(slug="fullstack").pk, "effective_date": "2024-01-10",
        "reason": "Moves to the storefront team",
    })

    assert response.status_code == 200
    assert "The track change was not recorded." in response.content.decode()
    assert "has an open promotion review" in response.content.decode()
    assert db_state() == before


def test_staff_outside_hr_cannot_move_people_in_the_admin(client, dev, lead):
    from django.contrib.auth.models import Permission

    # Same model permissions as HR, but not in the HR role.
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="grades", codename__in=["view_employee", "change_employee", "add_gradechange"]
    ))
    lead.user.is_staff = True
    lead.user.save()
    before = db_state()
    for user in (clerk, lead.user):
        client.force_login(user)
        assert 'class="change-track"' not in client.get(change_url(dev)).content.decode()
        response = client.post(track_change_url(dev), {
            "track": Track.objects.get(slug="fullstack").pk, "effective_date": "2024-01-10",
            "reason": "Sneaky",
        })
        assert response.status_code == 403
    assert db_state() == before


def test_the_track_is_read_only_on_the_employee_form(client, dev, hr):
    client.force_login(hr)
    response = client.get(change_url(dev))
    assert "track" not in response.context["adminform"].form.fields
    assert "team_lead" in response.context["adminform"].form.fields


def test_hr_records_a_demotion_in_the_admin(client, dev, hr):
    client.force_login(hr)

    response = client.post(reverse("admin:grades_employee_grade_change", args=[dev.pk]), {
        "kind": "correction", "level": level("junior-plus-plus").pk, "effective_date": "2024-02-01",
        "reason": "Did not keep up with the on-call duties",
    })

    assert response.status_code == 302
    dev.refresh_from_db()
    assert (dev.current_level.code, dev.current_level_since) == ("junior-plus-plus", D(2024, 2, 1))
    assert selectors.employee_progress(dev, on=D(2024, 3, 1)).earliest_defense == D(2024, 8, 1)


def test_the_grade_change_list_shows_and_filters_track_changes(client, dev, hr):
    move(dev, hr, effective_date=D(2024, 1, 10))
    other = hire(level_code="junior")
    services.grade_change_record(
        employee=other, kind="promotion", level=level("junior-plus"), effective_date=D(2023, 1, 1)
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:grades_gradechange_changelist")

    response = client.get(url)
    assert "Track change" in response.content.decode()
    choices = [c["display"] for spec in response.context["cl"].filter_specs
               if spec.title == "kind" for c in spec.choices(response.context["cl"])]
    assert "Track change" in choices

    filtered = client.get(url, {"kind__exact": "transfer"})
    assert [g.pk for g in filtered.context["cl"].result_list] == [
        dev.grade_changes.get(kind="transfer").pk
    ]


def test_the_evidence_event_list_filters_carried_claims(client, dev, hr, claims):
    move(dev, hr)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get(reverse("admin:grades_evidenceevent_changelist"), {"action__exact": "carried"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 3


# --- Everything else that lists ledger kinds -----------------------------------------------------------


def test_the_database_accepts_the_new_kind_and_action_and_still_refuses_unknown_ones(dev, hr):
    from django.db import IntegrityError, transaction

    entry = move(dev, hr).entry
    assert GradeChange.objects.filter(pk=entry.pk, kind="transfer").exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        GradeChange.objects.create(
            employee=dev, kind="sideways", track=dev.track, level=dev.current_level,
            effective_date=D(2030, 1, 1), reason="x",
        )
    # A transfer must say why, in the database too.
    with pytest.raises(IntegrityError), transaction.atomic():
        GradeChange.objects.create(
            employee=dev, kind="transfer", track=dev.track, level=dev.current_level,
            effective_date=D(2030, 1, 1), reason="",
        )


def test_analytics_grade_changes_lists_the_transfer(dev, hr):
    move(dev, hr, effective_date=D(2024, 1, 10))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, track, level FROM analytics_grade_changes WHERE employee_id = %s "
            "ORDER BY effective_date, change_id",
            [dev.pk],
        )
        assert [tuple(row) for row in cursor.fetchall()] == [
            ("hire", "backend", "middle"), ("transfer", "fullstack", "middle"),
        ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_grade_history_report_lists_the_transfer():
    # Committed data: on MariaDB the export reads through a connection of its own.
    from exports.services import csv_chunks, get_report

    hr = UserFactory(username="hr-mover", roles=["HR"])
    person = hire(level_code="middle", hire_date=HIRED)
    move(person, hr, effective_date=D(2024, 1, 10))

    body = b"".join(csv_chunks(get_report("grade-history"), {})).decode()
    rows = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    mine = [(r["track"], r["kind"], r["effective_date"], r["reason"]) for r in rows
            if r["employee_id"] == str(person.pk)]
    assert mine == [
        ("backend", "hire", "2021-03-01", ""),
        ("fullstack", "transfer", "2024-01-10", "Moves to the storefront team"),
    ]


# --- Across a fork, and between ladders ---------------------------------------------------------

FRAMEWORKS_DATA = __import__("pathlib").Path(__file__).resolve().parent / "data"


@pytest.fixture
def fork():
    from grades.versions import load_framework

    load_framework(FRAMEWORKS_DATA / "fork-parent.yaml")
    load_framework(FRAMEWORKS_DATA / "fork-manager.yaml")
    return Track.objects.get(slug="eng"), Track.objects.get(slug="eng-manager")


def eng_claim(person, lead, key, *, confirm=None):
    evidence = services.evidence_claim(
        employee=person, requirement=Requirement.objects.get(track__slug="eng", key=key),
        description=f"Work for {key}", by=person.user,
    )
    if confirm is not None:
        evidence = services.evidence_decide(evidence=evidence, confirm=confirm, comment="Seen", by=lead.user)
    return evidence


def test_below_the_fork_the_level_and_the_shared_claims_stay_the_same_rows(fork, hr, lead):
    eng, manager = fork
    person = hire(track_slug="eng", level_code="engineer", team_lead=lead, hire_date=D(2021, 1, 10))
    confirmed = eng_claim(person, lead, "plans-own-work", confirm=True)
    waiting = eng_claim(person, lead, "leads-a-project")
    level_row = person.current_level
    claims_before = list(Evidence.objects.filter(employee=person).order_by("id").values())

    result = move(person, hr, track=manager)

    assert result.entry.level == level_row
    assert (result.carried, result.closed) == ([], [])
    assert list(Evidence.objects.filter(employee=person).order_by("id").values()) == claims_before
    person.refresh_from_db()
    assert person.track == manager and person.current_level == level_row
    progress = selectors.employee_progress(person)
    states = {item.requirement.pk: item.state for item in progress.items}
    assert states[confirmed.requirement_id] == "confirmed" and states[waiting.requirement_id] == "claimed"
    assert not selectors.employees_with_wrong_counts().exists()

    # And back: the same rows again.
    move(person, hr, track=eng, reason="Back to the individual path")
    assert list(Evidence.objects.filter(employee=person).order_by("id").values()) == claims_before


def test_above_the_fork_the_level_maps_by_rank_both_ways(fork, hr, lead):
    eng, manager = fork
    person = hire(track_slug="eng", level_code="senior-2", team_lead=lead, hire_date=D(2021, 1, 10))
    shared = eng_claim(person, lead, "leads-a-project", confirm=True)
    branch = eng_claim(person, lead, "sets-direction")

    result = move(person, hr, track=manager)

    assert result.entry.level.code == "senior-2-pm" and result.entry.level.ladder.slug == "eng-manager"
    # The parent's branch above the fork is not on the new checklist: its waiting claim is withdrawn.
    assert [claim.pk for claim in result.closed] == [branch.pk] and result.carried == []
    branch.refresh_from_db()
    shared.refresh_from_db()
    assert branch.status == EvidenceStatus.WITHDRAWN and shared.status == EvidenceStatus.CONFIRMED
    person.refresh_from_db()
    assert selectors.employee_progress(person).next_level.code == "principal-pm"

    back = move(person, hr, track=eng, reason="Back to the individual path")
    assert back.entry.level.code == "senior-2" and back.entry.level.ladder.slug == "eng"
    assert not selectors.employees_with_wrong_counts().exists()


def test_a_level_without_a_counterpart_across_the_fork_is_refused(fork, hr, lead):
    eng, _manager = fork
    person = hire(track_slug="eng-manager", level_code="director", team_lead=lead)
    before = db_state()
    with pytest.raises(services.GradeError, match="Technology Director is not a level of the Engineering \\(individual contributor\\) track's ladder, and no level there takes its place"):
        move(person, hr, track=eng)
    assert db_state() == before


def test_between_unrelated_ladders_hr_names_the_level(fork, dev, hr, claims):
    eng, _manager = fork
    before = db_state()
    with pytest.raises(services.GradeError, match="Middle is not a level of the Engineering \\(individual contributor\\) track's ladder"):
        move(dev, hr, track=eng)
    assert db_state() == before
    # Nor a level of a third ladder.
    with pytest.raises(services.GradeError, match="Senior\\+ is not a level of the Engineering"):
        move(dev, hr, track=eng, level=level("senior-plus"))
    assert db_state() == before

    result = move(dev, hr, track=eng, level=models.Level.objects.get(ladder__slug="eng", code="engineer"))
    dev.refresh_from_db()
    assert dev.current_level == result.entry.level and dev.current_level.code == "engineer"
    progress = selectors.employee_progress(dev)
    assert progress.next_level.code == "senior-1"
    # The history before the move keeps its levels of the other ladder.
    assert [entry.level.code for entry in progress.history] == ["middle", "engineer"]
    assert not selectors.employees_with_wrong_counts().exists()
