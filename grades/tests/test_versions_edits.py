"""Edits of a framework without a file (the admin's forms and actions) are versions too, and
deal with claims as a load does: a rewording carries confirmations over, a retired line's
waiting claims are withdrawn and the people told."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grades.models import EvidenceStatus, FrameworkVersion, Requirement, TrackLevel
from grades.tests.test_admin import form_data
from grades.tests.test_versions import (  # noqa: F401  fixtures
    SLUG,
    assert_counts_match,
    claim,
    confirm,
    dev,
    figures,
    hr,
    lead,
    req,
    v1,
)

pytestmark = pytest.mark.django_db


def versions() -> list[FrameworkVersion]:
    return list(FrameworkVersion.objects.filter(track__slug=SLUG).order_by("number"))


def test_rewording_in_the_requirement_form_is_a_version_and_confirmations_carry_over(client, dev, lead, hr):
    confirm(dev, "plan", lead)
    assert figures(dev)[1] == 1
    client.force_login(hr)
    url = reverse("admin:grades_requirement_change", args=[req("plan").pk])
    data = form_data(client.get(url))
    data["text_en"] = "Plans own work and says when it slips"

    response = client.post(url, data)

    assert response.status_code == 302
    latest = versions()[-1]
    assert latest.number == 2 and latest.loaded_by == hr and latest.file_name == ""
    assert {k: latest.changes[k] for k in ("added", "removed", "reworded", "moved")} == {
        "added": 0, "removed": 0, "reworded": 1, "moved": 0,
    }
    assert latest.changes["claims"]["carried_over"] == 1 and latest.changes["reconfirm"] == []
    assert "people" not in latest.changes  # not measured for an edit
    assert req("plan").wording_version == latest
    assert figures(dev)[1] == 1  # the confirmation still counts
    page = client.get(reverse("grades:track_versions", args=[SLUG])).content.decode()
    assert "edited in the admin" in page and "Plans own work and says when it slips" in page


def test_saving_the_form_unchanged_makes_no_version(client, hr, v1):
    client.force_login(hr)
    url = reverse("admin:grades_requirement_change", args=[req("plan").pk])
    assert client.post(url, form_data(client.get(url))).status_code == 302
    assert [v.number for v in versions()] == [1]


def test_unticking_active_inline_withdraws_the_waiting_claims_and_is_a_version(
    client, dev, lead, hr, django_capture_on_commit_callbacks, mailoutbox
):
    waiting = claim(dev, "tests")
    confirm(dev, "plan", lead)
    client.force_login(hr)
    track_level = TrackLevel.objects.get(track__slug=SLUG, level__code="junior-plus")
    url = reverse("admin:grades_tracklevel_change", args=[track_level.pk])
    data = form_data(client.get(url))
    prefix = next(k for k, v in data.items() if k.endswith("-key") and v == "tests").removesuffix("-key")
    del data[f"{prefix}-is_active"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)

    assert response.status_code == 302
    assert req("tests").is_active is False
    waiting.refresh_from_db()
    assert waiting.status == EvidenceStatus.WITHDRAWN
    assert "removed from the framework" in waiting.events.latest("id").comment
    assert len(mailoutbox) == 2  # the developer and their lead
    latest = versions()[-1]
    assert (latest.number, latest.changes["removed"], latest.changes["claims"]["waiting_withdrawn"]) == (2, 1, 1)
    assert figures(dev)[2] == 0
    assert_counts_match()


def test_the_retire_action_is_a_version_that_counts_the_claims_it_withdrew(client, dev, hr):
    claim(dev, "tests")
    client.force_login(hr)
    selected = [req("tests").pk, req("kept").pk]

    client.post(reverse("admin:grades_requirement_changelist"), {"action": "retire", "_selected_action": selected})

    latest = versions()[-1]
    assert latest.number == 2 and latest.changes["removed"] == 2
    assert latest.changes["claims"]["waiting_withdrawn"] == 1
    client.post(reverse("admin:grades_requirement_changelist"), {"action": "reactivate", "_selected_action": selected})
    back = versions()[-1]
    assert back.number == 3 and back.changes["added"] == 2
    assert back.snapshot == versions()[0].snapshot  # the framework of version 1 again
    assert Requirement.objects.filter(pk__in=selected, is_active=True).count() == 2


def test_a_key_changed_in_the_form_keeps_the_row_and_its_claims(client, dev, hr):
    waiting = claim(dev, "tests")
    client.force_login(hr)
    url = reverse("admin:grades_requirement_change", args=[req("tests").pk])
    data = form_data(client.get(url))
    data["key"] = "writes-tests"

    assert client.post(url, data).status_code == 302

    latest = versions()[-1]
    # The versions compare by key: the old key left, the new one came.
    assert (latest.changes["added"], latest.changes["removed"]) == (1, 1)
    # The row is the same requirement: its waiting claim stays.
    waiting.refresh_from_db()
    assert waiting.status == EvidenceStatus.CLAIMED and latest.changes["claims"]["waiting_withdrawn"] == 0
