"""Endpoints are set up in admin by whoever holds the permission; deliveries are history only."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission

from grades import events
from grades.tests.factories import UserFactory
from webhooks import services
from webhooks.models import Delivery, Endpoint, EndpointFormat
from webhooks.tests.factories import endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_an_administrator_adds_an_endpoint_with_its_events(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/admin/webhooks/endpoint/add/", {
        "name": "Team chat", "url": "https://hooks.example.com/services/T/B/x", "format": EndpointFormat.SLACK,
        "events": [events.DECISION, events.ELIGIBLE], "is_active": "on", "secret": "s" * 64,
    })
    assert response.status_code == 302, response.content
    hook = Endpoint.objects.get()
    assert (hook.name, hook.events, hook.is_active) == ("Team chat", [events.DECISION, events.ELIGIBLE], True)
    # Admin's log names the change, never the secret's value.
    entry = LogEntry.objects.get()
    assert "s" * 64 not in entry.change_message + entry.object_repr


@pytest.mark.parametrize("fields, error", [
    ({"url": "ftp://example.com/hook"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"events": ["defense.unknown"]}, "events"),
    ({"secret": "short"}, "secret"),
])
def test_an_invalid_endpoint_is_refused_and_nothing_is_saved(client, admin_user, fields, error):
    client.force_login(admin_user)
    data = {"name": "x", "url": "https://example.com/hook", "format": EndpointFormat.SIGNED,
            "events": [events.DECISION], "is_active": "on", "secret": "s" * 32, **fields}
    response = client.post("/admin/webhooks/endpoint/add/", data)
    assert response.status_code == 200
    assert error in response.context["adminform"].form.errors
    assert Endpoint.objects.count() == 0


def test_a_staff_member_without_the_permission_gets_403_and_changes_nothing(client):
    hr = UserFactory(username="hr", roles=["HR"], is_staff=True)
    client.force_login(hr)
    assert client.get("/admin/webhooks/endpoint/").status_code == 403
    response = client.post("/admin/webhooks/endpoint/add/", {
        "name": "x", "url": "https://example.com/hook", "format": EndpointFormat.SIGNED,
        "events": [events.DECISION], "is_active": "on", "secret": "s" * 32,
    })
    assert response.status_code == 403
    assert Endpoint.objects.count() == 0


def test_deliveries_and_attempts_are_read_only_history(client, admin_user, receiver):
    hook = endpoint(receiver.url())
    events.announce(events.Event(type=events.ELIGIBLE, key="person.eligible:1:2026-03-10",
                                 data={"employee_id": 1, "next_level": "Middle+", "earliest": "2026-03-10"},
                                 path="/people/1/"))
    services.deliveries_send()
    delivery = Delivery.objects.get()
    client.force_login(admin_user)

    assert client.get("/admin/webhooks/delivery/").status_code == 200
    page = client.get(f"/admin/webhooks/delivery/{delivery.pk}/change/")
    assert page.status_code == 200
    assert str(delivery.uuid) in page.content.decode()
    assert hook.secret not in page.content.decode()
    assert client.get("/admin/webhooks/delivery/add/").status_code == 403
    assert client.post(f"/admin/webhooks/delivery/{delivery.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/webhooks/deliveryattempt/add/").status_code == 403
    assert Delivery.objects.filter(pk=delivery.pk).exists()


def test_a_user_given_the_view_permission_reads_deliveries_only(client):
    reader = UserFactory(username="ops", is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    client.force_login(reader)
    assert client.get("/admin/webhooks/delivery/").status_code == 200
    assert client.get("/admin/webhooks/endpoint/").status_code == 403
