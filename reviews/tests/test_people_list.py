"""The core's people list hears from the reviews app: who has a review open (grades.extensions)."""

from __future__ import annotations

import pytest
from django.db.models import F

from grades.models import Employee
from reviews.tests.factories import confirm_checklist, decided, organisation, requested, scheduled

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return organisation()


def row_of(response, employee):
    return next(row for row in response.context["rows"] if row.employee.pk == employee.pk)


def test_the_list_shows_who_has_an_open_review(client, org):
    requested(org)
    client.force_login(org["hr"])
    response = client.get("/people/")
    assert row_of(response, org["dev"]).has_open_review is True
    assert row_of(response, org["colleague"]).has_open_review is False
    body = response.content.decode()
    assert body.count('<span class="badge open-review">') == 1


def test_a_scheduled_review_is_open_a_decided_one_is_not(client, org):
    scheduled(org)
    client.force_login(org["lead"].user)
    assert row_of(client.get("/people/"), org["dev"]).has_open_review is True


def test_a_decided_review_is_not_open(client, org):
    decided(org, values=("reject", "reject", "reject", "reject"))
    client.force_login(org["hr"])
    assert row_of(client.get("/people/"), org["dev"]).has_open_review is False


def test_eligible_now_leaves_out_who_already_has_a_review_open(client, org):
    confirm_checklist(org["dev"])
    Employee.objects.filter(pk=org["dev"].pk).update(checklist_done=F("checklist_total"))
    client.force_login(org["hr"])
    eligible = [row.employee.pk for row in client.get("/people/?eligible=1").context["rows"]]
    assert org["dev"].pk in eligible
    requested(org)
    eligible = [row.employee.pk for row in client.get("/people/?eligible=1").context["rows"]]
    assert org["dev"].pk not in eligible
    assert row_of(client.get("/people/?order=eligible"), org["dev"]).eligible is False
