"""The API's docs page and the tokens page in Chromium, under the site's Content-Security-Policy.

The docs page is Swagger UI from the site's own static files: it must draw every operation
of the OpenAPI document with no request to another origin and no CSP violation (the
new_page fixture fails the test on any). The tokens page makes a token that works at once.
"""

from __future__ import annotations

import pytest

from api.models import ApiToken
from grades.tests.factories import hire
from grades.tests.test_browser import browser, live_server, new_page, sign_in  # noqa: F401  (fixtures used by name)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_docs_page_draws_the_api_from_this_site_only(new_page, live_server):
    page = new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    response = page.goto("/api/v1/docs")
    assert response.status == 200
    page.wait_for_selector(".opblock", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/people" in path for path in paths), paths
    assert any("/api/v1/claims/{claim_id}/decision" in path.replace("\u200b", "") for path in paths), paths
    outside = [url for url in requested if not url.startswith(live_server.url) and not url.startswith("data:")]
    assert outside == []
    assert errors == []


def test_a_token_made_on_the_page_is_shown_once_and_opens_the_api(new_page, live_server):
    dev = hire(level_code="middle")
    page = new_page()
    sign_in(page, dev.user)
    with page.expect_navigation():
        page.click("header a[data-nav=tokens]")
    page.fill("#id_name", "laptop script")
    page.select_option("#id_scope", "read")
    with page.expect_navigation():
        page.click("[data-testid=token-form] button[type=submit]")
    token = page.get_by_test_id("token-value").inner_text()
    assert token.startswith("gs_")
    answer = page.request.get(f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200
    assert answer.json()["username"] == dev.user.username
    # Shown once, in the answer to the form (kept nowhere, not even in the session): the
    # next visit lists its prefix only.
    page.goto("/accounts/tokens/")
    assert page.get_by_test_id("new-token").count() == 0
    assert token not in page.content()
    assert ApiToken.objects.get(user=dev.user).last_used_at is not None
