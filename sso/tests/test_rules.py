"""The pure rules of single sign-on: the role map, the groups claim, e-mail verification, usernames."""

from sso import rules

ROLES = ("HR", "Team lead", "Developer", "CTO")


def test_an_empty_map_maps_each_role_by_its_own_name():
    assert rules.role_map({}, ROLES) == {role: frozenset([role]) for role in ROLES}


def test_a_map_takes_one_role_or_a_list():
    assert rules.role_map({"ops": "HR", "leads": ["Team lead", "Developer"]}, ROLES) == {
        "ops": frozenset(["HR"]),
        "leads": frozenset(["Team lead", "Developer"]),
    }


def test_unknown_roles_are_named():
    assert rules.unknown_roles(rules.role_map({"x": ["HR", "Hero"]}, ROLES), ROLES) == {"Hero"}


def test_role_changes_touch_only_managed_roles():
    mapping = rules.role_map({"ops": "HR", "leads": "Team lead"}, ROLES)
    grant, revoke = rules.role_changes(held={"HR", "Developer", "Book club"}, groups={"leads", "other"}, mapping=mapping)
    assert grant == {"Team lead"}
    assert revoke == {"HR"}


def test_nothing_changes_when_groups_match():
    mapping = rules.role_map({}, ROLES)
    assert rules.role_changes(held={"HR"}, groups={"HR"}, mapping=mapping) == (set(), set())


def test_the_groups_claim_as_list_string_or_missing():
    assert rules.provider_groups({"groups": ["a", "b"]}, "groups") == {"a", "b"}
    assert rules.provider_groups({"groups": "a"}, "groups") == {"a"}
    assert rules.provider_groups({}, "groups") == set()
    assert rules.provider_groups({"groups": {"a": 1}}, "groups") == set()


def test_only_an_explicit_yes_verifies_an_email():
    assert rules.email_is_verified({"email_verified": True})
    assert rules.email_is_verified({"email_verified": "true"})
    assert not rules.email_is_verified({"email_verified": False})
    assert not rules.email_is_verified({"email_verified": "false"})
    assert not rules.email_is_verified({"email_verified": 1})
    assert not rules.email_is_verified({})


def test_username_base():
    assert rules.username_base({"preferred_username": "anna.k", "email": "x@example.com"}) == "anna.k"
    assert rules.username_base({"preferred_username": "Анна К!", "email": "x@example.com"}) == "АннаК"
    assert rules.username_base({"email": "bob+1@example.com"}) == "bob+1"
    assert rules.username_base({"preferred_username": "!!!"}) == "user"
