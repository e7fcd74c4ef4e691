"""grades.extensions: what the apps built on the core add to its progress page, trail and track changes."""

import datetime

import pytest
from django.template import engines

from grades import extensions, services
from grades.models import Employee
from grades.tests.factories import UserFactory, hire

pytestmark = pytest.mark.django_db


def test_the_apps_register_their_panels_trails_and_track_check_once():
    from reviews import services as review_services
    from reviews import trail, views
    from sso import trail as sso_trail

    assert [panel.build for panel in extensions.PROGRESS_PANELS] == [views.progress_panel, views.feedback_panel]
    # The reviews' steps, and the roles single sign-on gave or took.
    assert extensions.TRAIL_SOURCES == [trail.review_trail, sso_trail.sign_in_trail]
    assert extensions.TRACK_CHANGE_CHECKS == [review_services.track_change_refusal]
    # Registering again (a second ready(), a test) adds nothing.
    extensions.register_trail_source(trail.review_trail)
    extensions.register_trail_source(sso_trail.sign_in_trail)
    extensions.register_track_change_check(review_services.track_change_refusal)
    assert len(extensions.TRAIL_SOURCES) == 2 and len(extensions.TRACK_CHANGE_CHECKS) == 1


def test_the_progress_page_renders_every_registered_panel_with_what_it_built(client, monkeypatch, tmp_path):
    dev = hire(level_code="middle", user=UserFactory(username="pat", roles=["Developer"]))
    seen = []

    def build(request, employee, bound):
        seen.append((request.user.pk, employee.pk, bound))
        return {"words": "<b>kept & escaped</b>"}

    (tmp_path / "extra_panel.html").write_text('<section data-testid="extra">{{ panel.words }}</section>')
    loader = engines["jinja2"].env.loader  # the site's pages are Jinja2 templates
    monkeypatch.setattr(loader, "searchpath", [*loader.searchpath, str(tmp_path)])
    monkeypatch.setattr(
        extensions, "PROGRESS_PANELS",
        [*extensions.PROGRESS_PANELS, extensions.Panel(template="extra_panel.html", build=build)],
    )

    client.force_login(dev.user)
    page = client.get("/me/").content.decode()
    assert '<section data-testid="extra">&lt;b&gt;kept &amp; escaped&lt;/b&gt;</section>' in page
    assert 'data-testid="review-box"' in page  # the reviews app's panel is still there
    assert seen == [(dev.user.pk, dev.pk, None)]


def test_a_registered_check_refuses_a_track_change_and_nothing_moves(monkeypatch):
    from grades.tests.factories import TrackFactory

    hr = UserFactory(roles=["HR"])
    dev = hire(level_code="middle")
    other = TrackFactory()
    monkeypatch.setattr(extensions, "TRACK_CHANGE_CHECKS", [lambda employee: f"{employee.pk} is mid-audit."])
    ledger = dev.grade_changes.count()
    with pytest.raises(services.GradeError, match=f"{dev.pk} is mid-audit"):
        services.employee_change_track(employee=dev, track=other, by=hr, reason="Reorg")
    assert Employee.objects.get(pk=dev.pk).track_id == dev.track_id
    assert dev.grade_changes.count() == ledger


def test_a_failed_defense_day_only_moves_forward():
    dev = hire(level_code="middle")
    services.record_failed_defense(employee=dev, on=datetime.date(2025, 3, 1))
    services.record_failed_defense(employee=dev, on=datetime.date(2024, 1, 1))
    assert Employee.objects.get(pk=dev.pk).last_failed_defense_on == datetime.date(2025, 3, 1)
    assert dev.last_failed_defense_on == datetime.date(2025, 3, 1)
    services.record_failed_defense(employee=dev, on=datetime.date(2025, 9, 1))
    assert Employee.objects.get(pk=dev.pk).last_failed_defense_on == datetime.date(2025, 9, 1)
    # A derived copy: the employee's history does not record it.
    assert not any(
        "last_failed_defense_on" in (record.diff_against(record.prev_record).changed_fields if record.prev_record else [])
        for record in Employee.history.filter(id=dev.pk)
    )
