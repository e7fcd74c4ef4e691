"""Acting on a claim brings the person back to that claim's line, and a refusal is said there."""

import re

import pytest

from grades.models import Evidence, EvidenceStatus
from grades.tests.test_views import claim, evidence_state, next_level_requirement, team  # noqa: F401

pytestmark = pytest.mark.django_db


def line_html(page: str, requirement_id: int) -> str:
    """The checklist line of one requirement (up to the next line)."""
    start = page.index(f'id="req-{requirement_id}"')
    end = page.find('<li class="item', start)
    return page[start : end if end != -1 else len(page)]


def claimed(client, dev):
    client.force_login(dev.user)
    requirement = next_level_requirement(dev)
    assert claim(client, dev, requirement).status_code == 302
    return Evidence.objects.get(employee=dev, requirement=requirement)


def test_a_claim_returns_to_its_line(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    requirement = next_level_requirement(dev)
    response = claim(client, dev, requirement)
    assert response.status_code == 302 and response["Location"] == f"/me/#req-{requirement.pk}"


def test_confirming_and_rejecting_return_to_the_line_on_the_persons_page(client, team):
    dev, lead = team["dev"], team["lead"]
    evidence = claimed(client, dev)
    client.force_login(lead.user)
    response = client.post(f"/evidence/{evidence.pk}/decide/", {"decision": "reject", "comment": "Show the tests"})
    assert response.status_code == 302
    assert response["Location"] == f"/people/{dev.pk}/#req-{evidence.requirement_id}"
    # The line the address points at is on the page the lead lands on.
    page = client.get(f"/people/{dev.pk}/").content.decode()
    assert f'id="req-{evidence.requirement_id}"' in page


def test_edit_and_withdraw_return_to_the_line(client, team):
    dev = team["dev"]
    evidence = claimed(client, dev)
    anchor = f"/me/#req-{evidence.requirement_id}"
    assert client.post(f"/evidence/{evidence.pk}/edit/", {"description": "Better", "links": ""})["Location"] == anchor
    assert client.post(f"/evidence/{evidence.pk}/withdraw/")["Location"] == anchor


def test_the_line_forms_land_on_their_line(client, team):
    """After a refused form the page is the answer to the form's address: its fragment puts the
    reader at the line again."""
    dev, lead = team["dev"], team["lead"]
    evidence = claimed(client, dev)
    client.force_login(lead.user)
    line = line_html(client.get(f"/people/{dev.pk}/").content.decode(), evidence.requirement_id)
    assert f'action="/evidence/{evidence.pk}/decide/#req-{evidence.requirement_id}"' in line


def test_a_rejection_without_a_comment_is_refused_next_to_the_claim(client, team):
    dev, lead = team["dev"], team["lead"]
    evidence = claimed(client, dev)
    client.force_login(lead.user)
    before = evidence_state()
    response = client.post(f"/evidence/{evidence.pk}/decide/", {"decision": "reject", "comment": "  "})
    assert response.status_code == 400
    assert evidence_state() == before
    page = response.content.decode()
    line = line_html(page, evidence.requirement_id)
    refusal_id = f"req-{evidence.requirement_id}-refusal"
    assert re.search(rf'id="{refusal_id}" role="alert"[^>]*>.*Say why the claim is rejected', line, re.S)
    # The comment box points at the reason; the reason is said once, on the line, not at the top.
    assert f'aria-describedby="{refusal_id}"' in line
    assert page.count("Say why the claim is rejected") == 1


def test_a_refused_decision_keeps_the_typed_comment(client, team):
    dev, lead = team["dev"], team["lead"]
    evidence = claimed(client, dev)
    client.force_login(lead.user)
    response = client.post(f"/evidence/{evidence.pk}/decide/", {"decision": "maybe", "comment": "Looks <fine>"})
    assert response.status_code == 400
    line = line_html(response.content.decode(), evidence.requirement_id)
    assert "Looks &lt;fine&gt;</textarea>" in line and 'role="alert"' in line
    assert Evidence.objects.get(pk=evidence.pk).status == EvidenceStatus.CLAIMED


def test_a_second_claim_is_refused_on_its_line(client, team):
    dev = team["dev"]
    evidence = claimed(client, dev)
    before = evidence_state()
    response = claim(client, dev, evidence.requirement)
    assert response.status_code == 400 and evidence_state() == before
    line = line_html(response.content.decode(), evidence.requirement_id)
    assert "already have a claim" in line and 'data-testid="line-refusal"' in line


def test_a_refusal_about_a_line_not_on_the_page_is_said_at_the_top(client, team):
    dev = team["dev"]
    client.force_login(dev.user)
    from grades.models import Requirement

    other_track = Requirement.objects.filter(track__slug="fullstack", check_kind="").first()
    response = claim(client, dev, other_track)
    assert response.status_code == 400
    page = response.content.decode()
    messages = page[page.index('class="messages"') : page.index("</ul>", page.index('class="messages"'))]
    assert "belongs to another track" in messages
    assert 'data-testid="line-refusal"' not in page
