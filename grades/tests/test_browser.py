"""
End-to-end tests of the progress pages in a real browser: Playwright drives Debian's Chromium
against pytest-django's live server.

Chromium is not optional here: when /usr/bin/chromium is missing the tests fail and say how to
install it (scripts/browser-deps.sh), so a CI run can never pass without having run them.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from grades.models import Evidence, EvidenceStatus, Requirement
from grades.tests.factories import hire

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "pw-for-tests-only"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"

# serialized_rollback: the levels, tracks and role groups come from data migrations, and the
# flush after every transactional test would otherwise leave the next test without them.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


class OnBrowserThread:
    """A Playwright object whose every attribute read and call runs on the browser thread.

    Playwright's sync API leaves its event loop marked as running in the thread that uses it.
    Django takes that thread for async code: it refuses ORM calls there, and it gives the
    thread a second set of database connections, so the test would no longer share the
    connection that pytest-django set up (no rollback data, a second SQLite connection beside
    the live server's). Keeping Playwright on a thread of its own leaves the test thread an
    ordinary synchronous one.
    """

    __slots__ = ("_executor", "_target")

    def __init__(self, executor: ThreadPoolExecutor, target) -> None:
        object.__setattr__(self, "_executor", executor)
        object.__setattr__(self, "_target", target)

    def _run(self, function, *args, **kwargs):
        return _wrap(self._executor, self._executor.submit(function, *args, **kwargs).result())

    def __getattr__(self, name):
        return self._run(getattr, self._target, name)

    def __call__(self, *args, **kwargs):
        return self._run(self._target, *args, **kwargs)

    def __enter__(self):
        return self._run(self._target.__enter__)

    def __exit__(self, *exc_info):
        return self._run(self._target.__exit__, *exc_info)


def _wrap(executor: ThreadPoolExecutor, value):
    if value is None or isinstance(value, (str, bytes, int, float, bool, dict)):
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_wrap(executor, item) for item in value)
    return OnBrowserThread(executor, value)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module, driven from a thread of its own."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
            "Run scripts/browser-deps.sh (as root it installs the package; otherwise it prints "
            "the apt-get command).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # One worker: Playwright's sync objects must stay on the thread that created them.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")
    try:
        playwright = executor.submit(lambda: sync_playwright().start()).result()
        try:
            chromium = executor.submit(
                playwright.chromium.launch, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            ).result()
            try:
                yield OnBrowserThread(executor, chromium)
            finally:
                executor.submit(chromium.close).result()
        finally:
            executor.submit(playwright.stop).result()
    finally:
        executor.shutdown(wait=True)


@pytest.fixture(scope="module")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, started only once the test database exists.

    On in-memory SQLite the server thread must share the test's connection; pytest-django
    decides that when the server starts, from the database name, which is the test database's
    only after django_db_setup. Without this the order of fixtures, and so whether this file
    runs alone or after other database tests, would decide it.
    """
    return live_server


@pytest.fixture
def new_page(browser, live_server):
    """new_page() -> a page in a fresh browser context (own cookies), English unless asked."""
    contexts = []

    def make(locale: str = "en-US"):
        context = browser.new_context(base_url=live_server.url, locale=locale)
        context.set_default_timeout(15_000)
        # Chromium asks for /favicon.ico after each page load; answering it here keeps the
        # live server (and, on SQLite, the connection it shares with the test) idle while the
        # test reads the database after a page has loaded.
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        # Every Content-Security-Policy violation on any page is collected, and the test
        # fails at the end if there was one: the pages must satisfy the policy for real.
        context.add_init_script(CSP_RECORDER)
        contexts.append(context)
        return context.new_page()

    yield make
    violations = []
    for context in contexts:
        for page in context.pages:
            violations += page.evaluate("() => window.__cspViolations || []")
        context.close()
    assert violations == [], f"Content-Security-Policy violations: {violations}"


CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(event.violatedDirective + ' ' + (event.blockedURI || 'inline'));
});
"""


@pytest.fixture
def team():
    """A team lead at Senior and a developer at Middle who reports to them."""
    lead = hire(level_code="senior", roles=["Team lead", "Developer"])
    dev = hire(level_code="middle", team_lead=lead)
    return lead, dev


def sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/login/" not in page.url, f"sign-in of {user.username} failed"


def next_level_requirement(employee) -> Requirement:
    """A people-judged requirement that the next level (Middle+) adds to the checklist."""
    requirement = (
        Requirement.objects.active()
        .filter(track=employee.track, track_level__level__code="middle-plus", check_kind="")
        .order_by("position", "id")
        .first()
    )
    assert requirement is not None, "the shipped backend track has people-judged Middle+ lines"
    return requirement


def done_count(page) -> tuple[int, int, str]:
    """(meter value, meter max, label text) of the progress bar."""
    meter = page.locator("[data-testid=progress] meter")
    label = page.get_by_test_id("progress-label").inner_text()
    return int(float(meter.get_attribute("value"))), int(float(meter.get_attribute("max"))), label


def test_claim_confirm_moves_the_progress_bar(new_page, team):
    lead, dev = team
    requirement = next_level_requirement(dev)
    item = f"#req-{requirement.pk}"

    # (a) The developer signs in, opens My progress and claims a missing Middle+ line.
    page = new_page()
    sign_in(page, dev.user)
    with page.expect_navigation():
        page.click("header nav a[data-nav=me]")
    assert page.url.endswith("/me/")
    assert page.get_by_test_id("current-level").inner_text() == "Middle"
    assert page.get_by_test_id("next-level").inner_text() == "Middle+"
    done_before, total, label_before = done_count(page)
    assert re.fullmatch(rf"{done_before} of {total} done \(\d+%\)", label_before), label_before
    assert done_before < total
    assert page.get_attribute(item, "data-state") == "missing"

    page.click(f"{item} details.claim-action summary")
    page.fill(f"{item} .claim-form textarea[name=description]", "Built the payment retry worker")
    page.fill(f"{item} .claim-form textarea[name=links]", "https://git.example.com/pr/42")
    with page.expect_navigation() as claimed:
        page.click(f"{item} .claim-form button[type=submit]")
    assert claimed.value.status == 200
    assert page.url.endswith(f"/me/{item}")  # back at the line just claimed
    assert page.get_attribute(item, "data-state") == "claimed"
    # text_content: the stylesheet upper-cases the state badge, inner_text would follow it.
    assert page.locator(f"{item} .state").text_content() == "waiting"
    assert page.locator(f"{item} .evidence a").inner_text() == "https://git.example.com/pr/42"
    # A claim is not progress until the team lead confirms it.
    assert done_count(page)[0] == done_before

    evidence = Evidence.objects.get(employee=dev, requirement=requirement)
    assert evidence.status == EvidenceStatus.CLAIMED
    assert evidence.links == ["https://git.example.com/pr/42"]

    # (b) The team lead opens the developer's page from the people list and confirms.
    lead_page = new_page()
    sign_in(lead_page, lead.user)
    lead_page.goto("/people/")
    with lead_page.expect_navigation():
        lead_page.click(f"table.people a[href='/people/{dev.pk}/']")
    assert lead_page.url.endswith(f"/people/{dev.pk}/")
    assert lead_page.get_attribute(item, "data-state") == "claimed"
    lead_page.fill(f"{item} .decide-form textarea[name=comment]", "Seen it in production, well done")
    with lead_page.expect_navigation() as decided:
        lead_page.click(f"{item} .decide-form button[value=confirm]")
    assert decided.value.status == 200
    assert lead_page.url.endswith(f"/people/{dev.pk}/{item}")
    assert lead_page.get_attribute(item, "data-state") == "confirmed"
    assert "Seen it in production, well done" in lead_page.locator(f"{item} .evidence").inner_text()

    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.CONFIRMED
    assert evidence.decided_by_id == lead.user_id
    assert evidence.decision_comment == "Seen it in production, well done"

    # (c) The developer reloads: the bar moved by exactly the confirmed line.
    page.reload()
    done_after, total_after, label_after = done_count(page)
    assert total_after == total
    assert done_after == done_before + 1
    assert label_after != label_before
    assert label_after.startswith(f"{done_before + 1} of {total} done")
    assert page.get_attribute(item, "data-state") == "confirmed"

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "progress.png"), full_page=True)
    assert (ARTIFACTS / "progress.png").stat().st_size > 0


def test_invalid_link_reshows_the_form_and_claims_nothing(new_page, team):
    _, dev = team
    requirement = next_level_requirement(dev)
    item = f"#req-{requirement.pk}"
    page = new_page()
    sign_in(page, dev.user)
    page.goto("/me/")

    page.click(f"{item} details.claim-action summary")
    page.fill(f"{item} .claim-form textarea[name=description]", "Pasted a script")
    page.fill(f"{item} .claim-form textarea[name=links]", "javascript:alert(1)")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    with page.expect_navigation() as response:
        page.click(f"{item} .claim-form button[type=submit]")

    assert response.value.status == 400
    assert page.locator(f"{item} details.claim-action").get_attribute("open") is not None
    error = page.locator(f"{item} .claim-form .error").inner_text()
    assert "javascript:alert(1)" in error and "http(s)" in error
    # The form keeps what was typed, so the developer only fixes the link.
    assert page.input_value(f"{item} .claim-form textarea[name=description]") == "Pasted a script"
    assert page.get_attribute(item, "data-state") == "missing"
    assert page.locator("a[href^='javascript:']").count() == 0
    assert dialogs == []
    assert not Evidence.objects.filter(employee=dev).exists()


def test_a_claims_history_opens_in_place_when_asked_for(new_page, team):
    from grades import services

    lead, dev = team
    requirement = next_level_requirement(dev)
    evidence = services.evidence_claim(
        employee=dev, requirement=requirement, description="Built it", links=[], by=dev.user
    )
    services.evidence_decide(evidence=evidence, confirm=False, comment="Show the tests", by=lead.user)
    item = f"#req-{requirement.pk}"
    page = new_page()
    sign_in(page, dev.user)
    page.goto("/me/")
    # Not on the page until opened: only a link to it.
    assert page.locator(f"{item} details.history li").count() == 0

    page.click(f"{item} details.history summary")
    page.wait_for_selector(f"{item} details.history [data-testid=claim-history] li")

    events = page.locator(f"{item} details.history li").all_inner_texts()
    assert len(events) == 2, events
    assert "Claimed" in events[0] and "Rejected" in events[1] and "Show the tests" in events[1]
    assert page.url.endswith("/me/")  # shown in place, the page stays
    assert page.locator(f"{item} details.history a[data-fragment-link]").count() == 0


def test_a_lines_goal_form_opens_in_place_and_agrees_a_goal(new_page, team):
    from grades.models import GrowthGoal

    lead, dev = team
    requirement = next_level_requirement(dev)
    item = f"#req-{requirement.pk}"
    page = new_page()
    sign_in(page, lead.user)
    page.goto(f"/people/{dev.pk}/")
    # The page holds a link, not the form: the form is read when the box opens.
    assert page.locator(f"{item} .goal-form").count() == 0

    page.click(f"{item} details.goal-action summary")
    field = f"{item} .goal-form textarea[name=text]"
    page.wait_for_selector(field)
    # The first field takes the focus, so the lead can type straight away.
    assert page.evaluate("document.activeElement.name") == "text"
    assert page.url.endswith(f"/people/{dev.pk}/")  # shown in place, the page stays
    page.keyboard.type("Pair on the retry worker")
    with page.expect_navigation():
        page.click(f"{item} .goal-form button[type=submit]")

    goal = GrowthGoal.objects.get(employee=dev, requirement=requirement)
    assert (goal.text, goal.created_by) == ("Pair on the retry worker", lead.user)
    assert "Pair on the retry worker" in page.locator(f"{item} [data-testid=goal]").inner_text()


def test_a_developer_cannot_open_someone_elses_page(new_page, team):
    lead, dev = team
    peer = hire(level_code="junior-plus", team_lead=lead)
    page = new_page()
    sign_in(page, dev.user)

    for other in (peer, lead):
        response = page.goto(f"/people/{other.pk}/")
        assert response.status == 404, other
        assert str(other) not in page.content()

    # Their own page by id is the same progress page as /me/.
    assert page.goto(f"/people/{dev.pk}/").status == 200
    assert page.get_by_test_id("current-level").inner_text() == "Middle"


def test_the_russian_interface_renders(new_page, team):
    _, dev = team
    page = new_page()
    sign_in(page, dev.user)
    page.goto("/me/")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("header nav a[data-nav=me]").inner_text() == "My progress"

    with page.expect_navigation():
        page.click("header form.lang button[value=ru]")
    assert page.url.endswith("/me/")
    assert page.get_attribute("html", "lang") == "ru"
    assert page.locator("header form.lang button.current").inner_text() == "RU"
    # Level names come from the ladder's own Russian names, translations of the interface from
    # the locale files.
    assert page.get_by_test_id("current-level").inner_text() == "Мидл"
    assert page.locator("header nav a[data-nav=me]").inner_text() == "Мой прогресс"

    # The choice sticks for the next page, and EN switches back.
    page.goto("/tracks/")
    assert page.get_attribute("html", "lang") == "ru"
    with page.expect_navigation():
        page.click("header form.lang button[value=en]")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("header nav a[data-nav=me]").inner_text() == "My progress"


def test_a_csp_violation_would_be_seen(browser, live_server, team):
    """The recorder above works: an inline script is blocked by the policy and recorded."""
    context = browser.new_context(base_url=live_server.url)
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.head.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.ran === undefined")
    violations = page.evaluate("() => window.__cspViolations")
    context.close()
    assert violations and violations[0].startswith("script-src")


def test_a_forks_ladder_page_shows_its_own_levels_and_its_parent(new_page, team):
    """A company's own ladder with a fork, loaded from its files: the fork's page names its own
    levels (and the shared ones below the fork) in either language, links to its parent, and
    says what each level adds to the one below; the parent's page links to the branch."""
    from grades.versions import load_framework

    data = Path(__file__).resolve().parent / "data"
    load_framework(data / "fork-parent.yaml")
    load_framework(data / "fork-manager.yaml")
    _, dev = team
    page = new_page()
    sign_in(page, dev.user)

    assert page.goto("/tracks/eng-manager/").status == 200
    names = page.locator("ol.ladder li.level h2").all_inner_texts()
    assert [re.sub(r"^\d+\s*", "", name) for name in names] == [
        "Junior Engineer", "Engineer", "Senior Engineer 1",
        "Senior Engineer 2 (People Manager)", "Principal Engineer (People Manager)", "Technology Director",
    ]
    # The shared levels are marked as the parent's, the fork's own are not.
    assert page.locator("ol.ladder li.level.shared").count() == 3
    manager_level = page.locator("#level-senior-2-pm")
    assert manager_level.locator("h3.what-changes").inner_text() == "What changes from Senior Engineer 1"
    assert "Adds 2 requirements" in manager_level.locator("p.adds").inner_text()
    assert manager_level.get_by_text("Runs one-to-ones with their reports.").is_visible()

    with page.expect_navigation():
        page.click("#fork-of a")
    assert page.url.endswith("/tracks/eng/")
    assert page.locator("#level-senior-2 .branches a").inner_text() == "Engineering (people manager)"
    with page.expect_navigation():
        page.click("#forks a")
    assert page.url.endswith("/tracks/eng-manager/")

    with page.expect_navigation():
        page.click("header form.lang button[value=ru]")
    names = page.locator("ol.ladder li.level h2").all_inner_texts()
    assert re.sub(r"^\d+\s*", "", names[3]) == "Старший инженер 2 (руководитель)"
    assert page.locator("h1").inner_text() == "Инженерия (руководитель)"


def test_a_refused_rejection_lands_on_its_line_with_the_reason(new_page, team):
    """The form's address carries the line's fragment: the 400 page opens at the claim, the
    reason beside it and the comment box pointing at the reason."""
    from grades import services

    lead, dev = team
    requirement = next_level_requirement(dev)
    services.evidence_claim(employee=dev, requirement=requirement, description="Did it", by=dev.user)
    item = f"#req-{requirement.pk}"
    page = new_page()
    sign_in(page, lead.user)
    page.goto(f"/people/{dev.pk}/")
    with page.expect_navigation() as refused:
        page.click(f"{item} .decide-form button[value=reject]")  # no comment: refused
    assert refused.value.status == 400
    assert page.url.endswith(item)
    refusal = page.locator(f"{item} [data-testid=line-refusal]")
    assert "Say why the claim is rejected" in refusal.inner_text()
    assert page.get_attribute(f"{item} .decide-form textarea", "aria-describedby") == refusal.get_attribute("id")
    assert page.evaluate(f"() => document.querySelector('{item}').getBoundingClientRect().top") < 800
    assert Evidence.objects.get(employee=dev, requirement=requirement).status == EvidenceStatus.CLAIMED
