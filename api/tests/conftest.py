"""A small organisation (reviews.tests.factories.organisation) and a token per person."""

from __future__ import annotations

import pytest

from api import services
from api.models import TokenScope
from reviews.tests.factories import organisation


def make_token(user, scope: str = TokenScope.WRITE) -> str:
    return services.token_create(user=user, name=f"{scope} token", scope=scope, by=user).plaintext


@pytest.fixture
def org(db):
    return organisation()


def user_of(person):
    return getattr(person, "user", person)


@pytest.fixture
def call(client):
    """call(method, path, token=..., json=...) -> the test client's response."""

    def _call(method: str, path: str, *, token: str | None = None, json=None, **extra):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        kwargs = {"content_type": "application/json", "data": json} if json is not None else {}
        return getattr(client, method.lower())(path, **kwargs, **headers, **extra)

    return _call
