"""The OpenAPI document against the running app (schemathesis), with a token of each role.

Every operation of /api/v1/openapi.json is called with generated requests, valid and
invalid, as a developer, a team lead, HR, a committee member and a manager of a small
organisation with claims and a decided review: no answer may be a server error, and every
answer (its status, content type, headers and body) must be one the document declares.
Bounded and deterministic so that all roles together take about a minute: a fixed number of
examples per operation, no shrinking, no deadline, the same examples on every run.
"""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.middleware import DETAILS
from api.tests.conftest import make_token, user_of
from gradesys.wsgi import application
from grades import services as grade_services
from reviews.models import PromotionReview
from reviews.tests.factories import decided, organisation

ROLES = ("dev", "lead", "hr", "cto", "manager")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def kept_connection():
    """Keep the test's connection open across the WSGI requests, as Django's own test client does.

    schemathesis calls the WSGI app directly, so Django's request signals run and close a
    connection whose autocommit differs from the settings' (it does, inside the test's
    transaction): on MariaDB that is the test's own connection, gone mid-test. (SQLite keeps an
    in-memory test database open whatever close() is asked.)
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker, kept_connection):
    """The organisation and a write token per role, made once for the module's tests and
    rolled back after them (each test runs in a savepoint inside this transaction)."""
    with django_db_blocker.unblock(), transaction.atomic():
        org = organisation()
        # Something to read: a decided review of `dev`, a waiting claim of `colleague`.
        decided(org)
        colleague = org["colleague"]
        requirement = grade_services.claimable_requirements(colleague).order_by("pk").first()
        waiting = grade_services.evidence_claim(
            employee=colleague, requirement=requirement, description="Wrote the retry worker", by=colleague.user
        )
        review = PromotionReview.objects.get(candidate=org["dev"])
        KNOWN.update({
            "person_id": org["dev"].pk, "claim_id": waiting.pk, "review_id": review.pk, "slug": "backend",
            "requirement_id": grade_services.claimable_requirements(org["dev"]).order_by("pk").first().pk,
        })
        yield {role: make_token(user_of(org[role])) for role in ROLES}
        transaction.set_rollback(True)


@pytest.fixture(params=ROLES)
def role_token(request, tokens, db, settings):
    # The generated calls come to hundreds a role: no rate limit in the way here (it has tests of its own).
    settings.API_RATE_LIMIT = "100000/min"
    # schemathesis calls the WSGI app as http://localhost.
    settings.ALLOWED_HOSTS = ["localhost"]
    return tokens[request.param]


def _schema():
    """The document the app serves at /api/v1/openapi.json, read from the app and called on it (WSGI)."""
    # Read while the tests are collected, before the test environment allows its own host names.
    with override_settings(ALLOWED_HOSTS=["localhost"]):
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    schema.config.generation.update(max_examples=8, deterministic=True, no_shrink=True)
    return schema


schema = _schema()

# Ids of the organisation's rows, filled in once it is made: half of the generated calls ask
# for them instead of ids that exist nowhere, so the answers that read and write real rows
# are checked as well as the refusals.
KNOWN: dict[str, object] = {}


def _with_known(values):
    if not isinstance(values, dict):
        return st.just(values)
    known = {name: value for name, value in KNOWN.items() if name in values}
    return st.sampled_from([values, {**values, **known}]) if known else st.just(values)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    return _with_known(path_parameters)


@schema.hook
def flatmap_body(context, body):
    return _with_known(body)


@schema.parametrize()
@settings(max_examples=8, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_answer_is_declared_and_none_is_a_server_error(case, role_token):
    response = case.call_and_validate(headers={"Authorization": f"Bearer {role_token}"}, checks=CHECKS)
    # Reached the API: not refused before it (a host name Django does not allow, a malformed
    # request), which would answer every case alike and prove nothing.
    assert response.status_code != 400 or response.json()["detail"] != DETAILS[400]
