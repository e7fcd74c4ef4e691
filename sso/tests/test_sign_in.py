"""
Sign-in through the test provider with the Django test client: linking by verified e-mail,
an unverified e-mail that links nothing, a new account, and roles following the provider's groups.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from grades.tests.factories import UserFactory
from sso.models import LinkKind, ProviderIdentity, RoleChange, RoleChangeKind

from .conftest import provider_round_trip

pytestmark = pytest.mark.django_db

User = get_user_model()


def signed_in_user(client):
    return client.get("/").wsgi_request.user


def role_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_verified_email_links_the_existing_account_and_maps_roles(client, oidc):
    existing = UserFactory(username="anna", email="Anna.Lead@example.com", roles=["Developer"])
    oidc.user("anna.idp", email="anna.lead@example.com", email_verified=True, groups=["Team lead", "Developer"])

    response = provider_round_trip(client, oidc, "anna.idp")

    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_user(client) == existing
    identity = ProviderIdentity.objects.get(user=existing)
    assert identity.kind == LinkKind.EMAIL and identity.issuer == oidc.issuer
    assert role_names(existing) == {"Developer", "Team lead"}
    assert list(RoleChange.objects.filter(user=existing).values_list("role", "change")) == [
        ("Team lead", RoleChangeKind.GRANTED)
    ]
    assert User.objects.count() == 1


def test_group_removed_at_the_provider_loses_the_role_at_next_sign_in(client, oidc):
    person = UserFactory(username="boris", email="boris@example.com", roles=["Developer"])
    other_group = Group.objects.create(name="Book club")
    person.groups.add(other_group)
    oidc.user("boris.idp", email="boris@example.com", groups=["Developer", "HR", "Committee", "CTO", "unmapped"])
    provider_round_trip(client, oidc, "boris.idp")
    assert role_names(person) == {"Developer", "HR", "Committee", "CTO", "Book club"}

    client.post("/accounts/logout/")
    oidc.user("boris.idp", email="boris@example.com", groups=["Developer", "Committee"])
    response = provider_round_trip(client, oidc, "boris.idp")

    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_user(client) == person
    # HR and CTO taken away; a group the mapping does not manage is left alone.
    assert role_names(person) == {"Developer", "Committee", "Book club"}
    revoked = RoleChange.objects.filter(user=person, change=RoleChangeKind.REVOKED)
    assert sorted(revoked.values_list("role", flat=True)) == ["CTO", "HR"]
    assert all(change.issuer == oidc.issuer for change in revoked)
    # The second sign-in granted nothing new.
    assert RoleChange.objects.filter(user=person, change=RoleChangeKind.GRANTED).count() == 3


def test_role_map_maps_provider_group_names(client, oidc, settings):
    settings.OIDC_ROLE_MAP = {"eng-leads": "Team lead", "people-ops": ["HR", "Manager"]}
    person = UserFactory(username="vera", email="vera@example.com", roles=["Developer"])
    oidc.user("vera.idp", email="vera@example.com", groups=["people-ops", "Team lead"])

    provider_round_trip(client, oidc, "vera.idp")

    # "Team lead" by its own name is not in this mapping; Developer is not managed by it.
    assert role_names(person) == {"Developer", "HR", "Manager"}


def test_unverified_email_does_not_link_to_the_existing_account(client, oidc):
    existing = UserFactory(username="carl", email="carl@example.com", roles=["HR"])
    oidc.user("carl.impostor", email="carl@example.com", email_verified=False, groups=["HR"])

    response = provider_round_trip(client, oidc, "carl.impostor")

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert not signed_in_user(client).is_authenticated
    assert not ProviderIdentity.objects.exists()
    assert not RoleChange.objects.exists()
    assert list(User.objects.all()) == [existing]
    page = client.get("/accounts/login/")
    assert "not verified" in page.content.decode()


def test_a_provider_trusted_for_its_addresses_links_without_email_verified(client, oidc, settings):
    settings.OIDC_ASSUME_EMAIL_VERIFIED = True
    existing = UserFactory(username="cleo", email="cleo@example.com")
    oidc.user("cleo.idp", email="cleo@example.com", email_verified=False)

    provider_round_trip(client, oidc, "cleo.idp")

    assert signed_in_user(client) == existing


def test_a_new_person_gets_an_account_with_the_mapped_roles(client, oidc):
    UserFactory(username="dora")  # the name is taken: the new account gets another
    oidc.user("dora", email="dora.new@example.com", groups=["Developer"], first_name="Dora", last_name="Nova")

    response = provider_round_trip(client, oidc, "dora")

    assert response.status_code == 302 and response["Location"] == "/"
    user = signed_in_user(client)
    assert user.username == "dora-2"
    assert (user.email, user.first_name, user.last_name) == ("dora.new@example.com", "Dora", "Nova")
    assert not user.has_usable_password()
    assert role_names(user) == {"Developer"}
    assert ProviderIdentity.objects.get(user=user).kind == LinkKind.CREATED


def test_no_new_accounts_when_creation_is_off(client, oidc, settings):
    settings.OIDC_CREATE_USERS = False
    oidc.user("eve", email="eve@example.com", groups=["HR"])

    response = provider_round_trip(client, oidc, "eve")

    assert response["Location"] == "/accounts/login/"
    assert not User.objects.exists()


def test_a_linked_identity_signs_in_by_subject_even_after_the_email_changed(client, oidc):
    person = UserFactory(username="fred", email="fred@example.com")
    oidc.user("fred.idp", email="fred@example.com")
    provider_round_trip(client, oidc, "fred.idp")
    client.post("/accounts/logout/")
    oidc.user("fred.idp", email="fred.renamed@example.com")

    provider_round_trip(client, oidc, "fred.idp")

    assert signed_in_user(client) == person
    assert ProviderIdentity.objects.filter(user=person).count() == 1


def test_a_disabled_account_is_not_signed_in_and_keeps_its_roles(client, oidc):
    person = UserFactory(username="gone", email="gone@example.com", roles=["HR"], is_active=False)
    oidc.user("gone.idp", email="gone@example.com", groups=["Developer"])

    response = provider_round_trip(client, oidc, "gone.idp")

    assert response["Location"] == "/accounts/login/"
    assert not signed_in_user(client).is_authenticated
    assert role_names(person) == {"HR"}
    assert not RoleChange.objects.exists()
    assert not ProviderIdentity.objects.exists()


def test_refused_provider_sign_ins_lock_out_neither_the_provider_nor_passwords(client, oidc, settings):
    # Everyone behind one office address comes back through the same callback with no
    # username: refusals there must not add up to a lockout of that address.
    UserFactory(username="mallory-target", email="target@example.com")
    oidc.user("mallory", email="target@example.com", email_verified=False)
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        response = provider_round_trip(client, oidc, "mallory")
        assert response["Location"] == "/accounts/login/"

    colleague = UserFactory(username="nina", email="nina@example.com")
    oidc.user("nina.idp", email="nina@example.com")
    response = provider_round_trip(client, oidc, "nina.idp")
    assert response["Location"] == "/" and signed_in_user(client) == colleague

    client.post("/accounts/logout/")
    UserFactory(username="olga")
    response = client.post("/accounts/login/", {"username": "olga", "password": "pw-for-tests-only"})
    assert response["Location"] == "/"


def test_a_sign_in_whose_link_collides_is_tried_once_more(oidc, monkeypatch):
    # Two first sign-ins of one provider account at once: the loser's insert of the link
    # fails on the unique (issuer, subject); it is rolled back and tried again.
    from django.db import IntegrityError

    from sso import services

    person = UserFactory(username="pia", email="pia@example.com")
    claims = {"sub": "pia-1", "email": "pia@example.com", "email_verified": True, "groups": ["HR"]}
    real_account_for = services._account_for
    calls = []

    def collide_first(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("UNIQUE constraint failed: provideridentity_unique_subject")
        return real_account_for(**kwargs)

    monkeypatch.setattr(services, "_account_for", collide_first)
    result = services.sso_sign_in(issuer=oidc.issuer, claims=claims)

    assert result.user == person and len(calls) == 2
    assert ProviderIdentity.objects.filter(subject="pia-1").count() == 1
    assert role_names(person) == {"HR"}
