"""Fixtures of the hostile-input tests (test_fuzz_*.py).

The harness asserts on the tests' behalf, so pytest rewrites its asserts as it does a test
module's: a failing example shows the values compared."""

import pytest
from django.test import Client

from reviews.tests.factories import organisation

pytest.register_assert_rewrite("gradesys.tests.fuzz_harness")


@pytest.fixture
def org():
    return organisation()


@pytest.fixture
def browsers(org) -> dict:
    """A signed-in client per person, made before the first example: signing in writes
    rows (last_login, the sign-in log) that must not count as an example's writes. HR is
    staff and holds the admin permissions of roles.HR."""
    clients = {}
    for name in ("hr", "dev", "lead", "cto"):
        clients[name] = Client()
        clients[name].force_login(getattr(org[name], "user", org[name]))
    return clients
