"""HR's audit trail of a person: changes from the product and from admin, read-only."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grades import services
from grades.models import Employee, Level, Requirement
from grades.tests.factories import UserFactory, hire

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    lead = hire(level_code="senior", roles=["Developer", "Team lead"], hire_date=datetime.date(2018, 1, 1))
    dev = hire(level_code="middle", team_lead=lead, hire_date=datetime.date(2021, 3, 1))
    hr = UserFactory(roles=["HR"], is_staff=True, first_name="Helga", last_name="HR")
    return lead, dev, hr


def test_trail_shows_changes_from_admin_the_ledger_and_claims(client, people):
    lead, dev, hr = people
    client.force_login(hr)
    # An admin edit of the employee record (through the real admin form).
    admin_url = f"/admin/grades/employee/{dev.pk}/change/"
    page = client.get(admin_url)
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data.update({"track": dev.track_id, "team_lead": lead.pk, "probation_end": "2021-06-01",
                 "career_start": "2019-01-01"})
    data.update({f"grade_changes-{k}": v for k, v in {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0}.items()})
    client.post(admin_url, data)
    # A promotion recorded by HR, a claim and its decision.
    services.grade_change_record(employee=dev, kind="promotion", level=Level.objects.get(code="middle-plus"),
                                 effective_date=datetime.date(2024, 1, 1), by=hr)
    requirement = Requirement.objects.filter(
        track=dev.track, check_kind="", track_level__level__code="middle-plus-plus"
    ).first()
    evidence = services.evidence_claim(employee=dev, requirement=requirement, description="Did it", by=dev.user)
    services.evidence_decide(evidence=evidence, confirm=False, comment="Show the code", by=lead.user)

    response = client.get(f"/people/{dev.pk}/trail/")
    assert response.status_code == 200
    entries = response.context["entries"]
    subjects = [e.subject for e in entries]
    assert any(s == "Grade history" for s in subjects)
    assert any(s.startswith("Claim:") for s in subjects)
    actions = {(e.subject, e.action, e.actor) for e in entries}
    assert ("Grade history", "Promotion", "Helga HR") in actions
    assert any(a[1] == "Rejected" and a[2] == str(lead) for a in actions)
    changed = [e for e in entries if e.subject == "Employee record" and e.action == "changed"]
    assert changed and "probation_end" in changed[0].detail and changed[0].actor == "Helga HR"
    # Newest first.
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    body = response.content.decode()
    assert "Show the code" in body


def test_only_hr_reads_a_trail(client, people):
    lead, dev, hr = people
    client.force_login(lead.user)
    assert client.get(f"/people/{dev.pk}/trail/").status_code == 403
    client.force_login(dev.user)
    assert client.get(f"/people/{dev.pk}/trail/").status_code == 403
    assert client.get(f"/people/{lead.pk}/trail/").status_code == 404
    client.force_login(UserFactory(roles=["Manager"]))
    assert client.get(f"/people/{dev.pk}/trail/").status_code == 404
    client.force_login(hr)
    assert client.get("/people/999999/trail/").status_code == 404


def test_the_trail_cannot_be_changed_through_the_product(client, people):
    lead, dev, hr = people
    client.force_login(hr)
    assert client.post(f"/people/{dev.pk}/trail/").status_code == 405
    assert Employee.history.filter(id=dev.pk).count() >= 1


def test_trail_queries_do_not_grow_with_entries(client, people):
    lead, dev, hr = people
    requirements = list(Requirement.objects.filter(track=dev.track, check_kind="", track_level__level__rank__lte=5))
    # One claim first: a lookup by an empty list of ids is skipped without a query.
    services.evidence_claim(employee=dev, requirement=requirements[0], description="x", by=dev.user)
    client.force_login(hr)
    client.get(f"/people/{dev.pk}/trail/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/people/{dev.pk}/trail/")
    for requirement in requirements[1:9]:
        evidence = services.evidence_claim(employee=dev, requirement=requirement, description="x", by=dev.user)
        services.evidence_decide(evidence=evidence, confirm=True, by=lead.user)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/people/{dev.pk}/trail/")
    assert len(few) == len(many)
