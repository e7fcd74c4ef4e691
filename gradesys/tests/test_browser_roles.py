"""
Each role in Chromium: signing in lands on the person's inbox, and one thing waiting there is
followed to done, at a desktop size in English and at a phone size in Russian (switched with
the site's language control). A screenshot of each inbox and each result goes to
test-artifacts/roles-<role>-<size>-<language>-{inbox,done}.png.

The last test runs a whole defense through the interface, from each person's inbox, and counts
what they do: every click and every form sent, beside the sign-ins and the fields typed.

The machinery (live server, Chromium by path, the CSP check of every page) is that of
grades/tests/test_browser.py.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.utils import timezone, translation

from dashboard.policies import K_ANONYMITY
from dashboard.tests.factories import organisation as dashboard_organisation
from grades.models import Employee, Evidence, EvidenceStatus, GradeChange, GradeChangeKind, Track
from grades import services as grade_services
from grades.tests.test_browser import (  # noqa: F401  (fixtures used by name)
    ARTIFACTS,
    PASSWORD,
    browser,
    live_server,
    new_page,
)
from grades.tests.test_employee_counts import claim, next_line
from reviews import services
from reviews.models import PromotionReview, ReviewStatus, SeatRole, Vote
from reviews.tests.factories import confirm_checklist, defense_day_came, in_a_week, organisation, requested, voted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
# Each role once at a desktop in English and once on a phone in Russian: the sizes and the
# languages are both covered without running every role four times.
VARIANTS = [pytest.param("desktop", "en", id="desktop-en"), pytest.param("phone", "ru", id="phone-ru")]


def in_language(language: str, text) -> str:
    """`text` as the page shows it in `language`: a lazy string, or a function that reads a
    model's display name (read inside, where the language is active)."""
    with translation.override(language):
        return str(text() if callable(text) else text)


def sign_in(new_page, user, size: str = "desktop", language: str = "en", lands_on: str = "/"):
    """A fresh browser at `size`, the language chosen with the site's control on the sign-in
    page, signed in as `user`: it lands on the inbox (or `lands_on`), in that language."""
    page = new_page()
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/accounts/login/")
    if language != "en":
        with page.expect_navigation():
            page.click(f"header form.lang button[value={language}]")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert urlsplit(page.url).path == lands_on, page.url
    assert page.get_attribute("html", "lang") == language
    if lands_on == "/":
        assert page.locator("h1").first.inner_text() == in_language(language, translation.gettext_lazy("Inbox"))
    return page


def shot(page, role: str, size: str, language: str, moment: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"roles-{role}-{size}-{language}-{moment}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def fits(page, size: str) -> None:
    """Nothing makes the page wider than the screen (no sideways scrolling on a phone)."""
    width = SIZES[size][0]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width, size


def seated_before(org: dict) -> PromotionReview:
    """A defense of the other team, held and decided: each director sat in their own seat,
    so the schedule form offers them there again."""
    earlier = requested(org, candidate=org["other_dev"], by=org["other_lead"])
    earlier = services.review_schedule(
        review=earlier, when=in_a_week(), place="Room 2", by=org["hr"],
        members={SeatRole.CTO: org["cto"], SeatRole.PRODUCT: org["product"],
                 SeatRole.HR_DIRECTOR: org["hrdirector"], SeatRole.TEAM_LEAD: org["other_lead"].user},
        override_reason="Held as planned.",
    )
    defense_day_came(earlier, days_ago=20)
    for member in (org["cto"], org["product"], org["hrdirector"], org["other_lead"].user):
        services.review_vote(review=earlier, by=member, value="approve", comment="")
    return services.review_decide(review=earlier, by=org["hr"], note="Passed.")


def checklist_done(employee) -> None:
    """Every people-judged line of the next level confirmed, and the person's kept figures
    recounted (the factory writes the evidence without the services that keep them)."""
    confirm_checklist(employee)
    grade_services.employee_counts_refresh(employees=Employee.objects.filter(pk=employee.pk))


def future_slot() -> str:
    """A week ahead at 10:00 in the site's zone, as a datetime-local field takes it."""
    return in_a_week().strftime("%Y-%m-%dT%H:%M")


# --- Each role, from the inbox to done ---------------------------------------------------------------


@pytest.mark.parametrize(("size", "language"), VARIANTS)
def test_a_developer_follows_the_next_action_and_claims_a_line(new_page, size, language):
    org = organisation()
    dev = org["dev"]
    requirement = next_line(dev)
    item = f"#req-{requirement.pk}"

    page = sign_in(new_page, dev.user, size, language)
    action = page.get_by_test_id("next-action")
    assert action.get_attribute("data-action") == "claim"
    assert in_language(language, translation.gettext_lazy("Open my checklist")) in action.inner_text()
    assert page.locator("[data-part]").evaluate_all("parts => parts.map(p => p.dataset.part)") == ["developer"]
    fits(page, size)
    shot(page, "developer", size, language, "inbox")

    with page.expect_navigation():
        action.locator("a").click()
    assert page.url.endswith("/me/#checklist")
    assert page.get_attribute(item, "data-state") == "missing"
    page.click(f"{item} details.claim-action summary")
    page.fill(f"{item} .claim-form textarea[name=description]", "Built the payment retry worker")
    page.fill(f"{item} .claim-form textarea[name=links]", "https://git.example.com/pr/42")
    with page.expect_navigation() as sent:
        page.click(f"{item} .claim-form button[type=submit]")
    assert sent.value.status == 200
    assert page.url.endswith(f"/me/{item}")
    assert page.get_attribute(item, "data-state") == "claimed"
    # text_content: the stylesheet upper-cases the badge; inner_text would follow it.
    assert page.locator(f"{item} .state").text_content() == in_language(language, translation.gettext_lazy("waiting"))
    fits(page, size)
    shot(page, "developer", size, language, "done")

    evidence = Evidence.objects.get(employee=dev, requirement=requirement)
    assert evidence.status == EvidenceStatus.CLAIMED and evidence.links == ["https://git.example.com/pr/42"]

    # Back in the inbox, the share done has not moved: a claim counts once it is confirmed.
    with page.expect_navigation():
        page.click("header nav a[data-nav=inbox]")
    assert page.get_by_test_id("next-action").get_attribute("data-action") == "claim"


# The desktop, English case is gradesys/tests/test_browser_inbox.py: here the phone, in Russian.
def test_a_lead_confirms_a_waiting_claim_on_a_phone_in_russian(new_page):
    size, language = "phone", "ru"
    org = organisation()
    dev, lead = org["dev"], org["lead"]
    evidence = claim(dev, next_line(dev))
    stranger = claim(org["other_dev"], next_line(org["other_dev"]))
    item = f"#req-{evidence.requirement_id}"

    page = sign_in(new_page, lead.user, size, language)
    claims = page.get_by_test_id("lead-claims")
    assert claims.locator("li").count() == 1
    assert page.locator(f"[data-claim='{stranger.pk}']").count() == 0
    fits(page, size)
    shot(page, "lead", size, language, "inbox")

    with page.expect_navigation():
        claims.locator(f"[data-claim='{evidence.pk}'] a").click()
    assert page.url.endswith(f"/people/{dev.pk}/{item}")
    assert page.get_attribute(item, "data-state") == "claimed"
    page.fill(f"{item} .decide-form textarea[name=comment]", "Видел в продакшене")
    with page.expect_navigation() as decided:
        page.click(f"{item} .decide-form button[value=confirm]")
    assert decided.value.status == 200
    assert page.get_attribute(item, "data-state") == "confirmed"
    assert "Видел в продакшене" in page.locator(f"{item} .evidence").inner_text()
    fits(page, size)
    shot(page, "lead", size, language, "done")
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.CONFIRMED and evidence.decided_by_id == lead.user_id

    with page.expect_navigation():
        page.click("header nav a[data-nav=inbox]")
    assert page.get_attribute("html", "lang") == "ru"
    assert page.get_by_test_id("claims-total").inner_text() == "0"
    assert Evidence.objects.get(pk=stranger.pk).status == EvidenceStatus.CLAIMED


@pytest.mark.parametrize(("size", "language"), VARIANTS)
def test_the_cto_votes_on_the_defense_waiting_in_the_inbox(new_page, size, language):
    org = organisation()
    review = defense_day_came(services.review_schedule(
        review=requested(org), when=in_a_week(), place="Room 4", by=org["hr"],
        members={SeatRole.CTO: org["cto"], SeatRole.PRODUCT: org["product"],
                 SeatRole.HR_DIRECTOR: org["hrdirector"], SeatRole.TEAM_LEAD: org["lead"].user},
        override_reason="Strong performer.",
    ))
    cto = org["cto"]
    # A defense of the other team where another director sits in the CTO's seat: not theirs.
    elsewhere = defense_day_came(services.review_schedule(
        review=requested(org, candidate=org["other_dev"], by=org["other_lead"]), when=in_a_week(), place="Room 2",
        by=org["hr"], members={SeatRole.CTO: org["spare"], SeatRole.PRODUCT: org["product"],
                               SeatRole.HR_DIRECTOR: org["hrdirector"], SeatRole.TEAM_LEAD: org["other_lead"].user},
        override_reason="Held as planned.",
    ))

    page = sign_in(new_page, cto, size, language)
    assert page.locator(f"[data-review='{elsewhere.pk}']").count() == 0
    assert page.get_by_test_id("votes-total").inner_text() == "1"
    waiting = page.locator(f"[data-testid=committee-votes] li[data-review='{review.pk}']")
    assert waiting.count() == 1
    assert "Dana Dev" in waiting.inner_text()
    fits(page, size)
    shot(page, "cto", size, language, "inbox")

    with page.expect_navigation():
        waiting.locator("a").click()
    assert page.url.endswith(f"/reviews/{review.pk}/")
    vote = page.locator("#vote")
    vote.locator("input[name=value][value=approve]").check()
    vote.locator("textarea[name=comment]").fill("Ready.")
    with page.expect_navigation() as sent:
        vote.locator("button[type=submit]").click()
    assert sent.value.status == 200
    assert page.locator("#vote button[type=submit]").inner_text() == in_language(
        language, translation.gettext_lazy("Change vote"))
    shot(page, "cto", size, language, "done")
    (cast,) = Vote.objects.filter(seat__review=review)
    assert (cast.seat.role, cast.seat.member_id, cast.value) == (SeatRole.CTO, cto.pk, "approve")

    with page.expect_navigation():
        page.click("header nav a[data-nav=inbox]")
    assert page.get_by_test_id("votes-total").inner_text() == "0"
    assert page.locator(f"[data-review='{review.pk}']").count() == 0


@pytest.mark.parametrize(("size", "language"), VARIANTS)
def test_hr_schedules_a_request_and_later_records_the_decision(new_page, size, language):
    org = organisation()
    dev = org["dev"]
    checklist_done(dev)
    seated_before(org)
    review = requested(org)
    hr = org["hr"]

    # The request waits in the inbox; one click opens the review with its schedule form.
    page = sign_in(new_page, hr, size, language)
    assert page.get_by_test_id("requests-total").inner_text() == "1"
    fits(page, size)
    shot(page, "hr", size, language, "inbox")
    with page.expect_navigation():
        page.locator(f"[data-testid=hr-requests] li[data-review='{review.pk}'] a").click()
    assert page.url.endswith(f"/reviews/{review.pk}/")

    # The seats come filled: the candidate's team lead, and each director where they sat last.
    form = page.locator("#schedule form")
    seats = {role: form.locator(f"select[name={role}]").input_value() for role in SeatRole.values}
    assert seats == {
        SeatRole.CTO: str(org["cto"].pk), SeatRole.PRODUCT: str(org["product"].pk),
        SeatRole.HR_DIRECTOR: str(org["hrdirector"].pk), SeatRole.TEAM_LEAD: str(org["lead"].user_id),
    }
    # A date in the past is refused in the page, with the reason; nothing is scheduled, and
    # the seats chosen stay chosen.
    form.locator("input[name=when]").fill("2020-01-15T10:00")
    form.locator("input[name=place]").fill("Room 4")
    with page.expect_navigation() as sent:
        form.locator("button[type=submit]").click()
    assert sent.value.status == 400
    assert page.locator("#schedule .error").inner_text().strip() == in_language(
        language, translation.gettext_lazy("The defense must be scheduled in the future."))
    assert PromotionReview.objects.get(pk=review.pk).status == ReviewStatus.REQUESTED
    assert {role: form.locator(f"select[name={role}]").input_value() for role in SeatRole.values} == seats
    form.locator("input[name=when]").fill(future_slot())
    with page.expect_navigation() as sent:
        form.locator("button[type=submit]").click()
    assert sent.value.status == 200
    review.refresh_from_db()
    assert review.status == ReviewStatus.SCHEDULED and review.place == "Room 4"
    assert timezone.localtime(review.scheduled_for).strftime("%Y-%m-%dT%H:%M") == future_slot()
    assert dict(review.seats.values_list("role", "member_id")) == {role: int(pk) for role, pk in seats.items()}
    assert page.get_by_test_id("review-status").text_content().strip() == in_language(
        language, ReviewStatus.SCHEDULED.label)
    shot(page, "hr", size, language, "scheduled")

    # The day comes and the committee votes (through the services); the inbox says so.
    voted(org, review)
    with page.expect_navigation():
        page.click("header nav a[data-nav=inbox]")
    assert page.get_by_test_id("requests-total").inner_text() == "0"
    assert page.get_by_test_id("decisions-total").inner_text() == "1"
    shot(page, "hr", size, language, "inbox-decision")
    with page.expect_navigation():
        page.locator(f"[data-testid=hr-decisions] li[data-review='{review.pk}'] a").click()
    decide = page.locator("#decide")
    decide.locator("textarea[name=note]").fill("Promoted: the examples cover the level.")
    with page.expect_navigation() as sent:
        decide.locator("button[type=submit]").click()
    assert sent.value.status == 200
    review.refresh_from_db()
    assert review.status == ReviewStatus.PASSED and review.decided_by_id == hr.pk
    assert page.get_by_test_id("review-status").text_content().strip() == in_language(
        language, ReviewStatus.PASSED.label)

    # The candidate's page: the grade history starts with the new level.
    page.goto(f"/people/{dev.pk}/")
    new_level = in_language(language, lambda: review.to_level.display_name)
    assert page.get_by_test_id("current-level").inner_text() == new_level
    latest = page.locator("[data-testid=grade-history] li").first
    assert latest.locator("strong").inner_text() == new_level
    fits(page, size)
    shot(page, "hr", size, language, "done")
    change = GradeChange.objects.filter(employee=dev).order_by("-id").first()
    assert (change.kind, change.level_id) == (GradeChangeKind.PROMOTION, review.to_level_id)
    assert page.get_by_test_id("decisions-total").count() == 0  # not the inbox any more


@pytest.mark.parametrize(("size", "language"), VARIANTS)
def test_a_manager_opens_the_dashboard_and_its_counts_are_the_databases(new_page, size, language):
    org = dashboard_organisation()
    # A manager with no other role has no inbox part: the sign-in lands on the dashboard.
    page = sign_in(new_page, org["manager"], size, language, lands_on="/dashboard/")
    assert page.get_by_test_id("nothing").count() == 0
    rows = page.locator("table[data-figure=by-track] tbody tr")
    shown = {}
    for index in range(rows.count()):
        cells = rows.nth(index).locator("th, td").all_inner_texts()
        shown[cells[0].strip()] = cells[-1].strip()
    # Counted here: the people working now, per track. A manager reads groups of at least
    # K_ANONYMITY people by name; the smaller ones are folded into one row without a number.
    working = Employee.objects.filter(left_on__isnull=True)
    counts = {track: working.filter(track=track).count() for track in Track.objects.filter(
        pk__in=working.values("track_id"))}
    named = {in_language(language, lambda track=track: track.display_name): str(n)
             for track, n in counts.items() if n >= K_ANONYMITY}
    assert named, "the organisation has a track large enough to be shown"
    small = [track for track, n in counts.items() if n < K_ANONYMITY]
    expected = {**named, **({in_language(language, translation.gettext_lazy("Other tracks")): "—"} if small else {})}
    assert shown == expected
    fits(page, size)
    shot(page, "manager", size, language, "done")


# --- A whole defense, counted ------------------------------------------------------------------------


@dataclass
class Tally:
    """What each person does in the interface: clicks (links, buttons, choices), forms sent,
    fields typed, and sign-ins (kept apart: they are the same whatever the pages are)."""

    counts: dict = field(default_factory=dict)

    def _add(self, who: str, what: str) -> None:
        self.counts.setdefault(who, Counter())[what] += 1

    def sign_in(self, new_page, who: str, user):
        self._add(who, "sign-ins")
        return sign_in(new_page, user)

    def click(self, page, who: str, selector: str, *, navigates: bool = True):
        self._add(who, "clicks")
        if navigates:
            with page.expect_navigation() as response:
                page.click(selector)
            assert response.value.status == 200, (who, selector, response.value.status)
        else:
            page.click(selector)

    def submit(self, page, who: str, selector: str):
        """Sends a form with its button: counted as a form sent (and so as a click)."""
        self._add(who, "forms sent")
        with page.expect_navigation() as response:
            page.click(selector)
        assert response.value.status == 200, (who, selector, response.value.status)

    def type(self, page, who: str, selector: str, text: str):
        self._add(who, "fields typed")
        page.fill(selector, text)

    def actions(self, who: str | None = None) -> int:
        """Clicks and forms sent, of one person or of everyone."""
        rows = [self.counts[who]] if who else self.counts.values()
        return sum(row["clicks"] + row["forms sent"] for row in rows)

    def total(self, what: str) -> int:
        return sum(row[what] for row in self.counts.values())

    def report(self) -> str:
        lines = [f"{who:>12}: {self.actions(who)} clicks ({row['clicks']} on links and choices, "
                 f"{row['forms sent']} sending forms), {row['fields typed']} fields typed, {row['sign-ins']} sign-ins"
                 for who, row in self.counts.items()]
        lines.append(f"{'total':>12}: {self.actions()} clicks, {self.total('fields typed')} fields typed, "
                     f"{self.total('sign-ins')} sign-ins")
        return "\n".join(lines)


# Measured: 2 (developer) + 2 (HR schedules) + 3 × 4 (the committee) + 2 (HR decides).
MOST_CLICKS = 18
MOST_SIGN_INS = 7


def test_a_whole_defense_from_the_inboxes_in_few_clicks(new_page):
    org = organisation()
    dev = org["dev"]
    checklist_done(dev)
    seated_before(org)
    tally = Tally()

    # The developer: the inbox says the defense may be requested; the link goes to the form.
    page = tally.sign_in(new_page, "developer", dev.user)
    assert page.get_by_test_id("next-action").get_attribute("data-action") == "ask"
    tally.click(page, "developer", "[data-testid=next-action] a")
    assert page.url.endswith("/me/#defense")
    tally.type(page, "developer", "#defense textarea[name=statement]",
               "Ready: the search rewrite and the on-call runbook show the Middle+ skills.")
    tally.submit(page, "developer", "#defense [data-testid=request-button]")
    review = PromotionReview.objects.open().get(candidate=dev)
    assert review.status == ReviewStatus.REQUESTED and page.url.endswith(f"/reviews/{review.pk}/")

    # HR: the request waits in the inbox; the seats come filled, the date and place are typed.
    page = tally.sign_in(new_page, "HR", org["hr"])
    tally.click(page, "HR", f"[data-testid=hr-requests] li[data-review='{review.pk}'] a")
    tally.type(page, "HR", "#schedule input[name=when]", future_slot())
    tally.type(page, "HR", "#schedule input[name=place]", "Room 4")
    tally.submit(page, "HR", "#schedule button[type=submit]")
    review.refresh_from_db()
    assert review.status == ReviewStatus.SCHEDULED and review.seats.count() == 4

    # The day of the defense comes.
    defense_day_came(review)

    # The four members: the defense waits in each inbox; a choice and the button.
    committee = {"CTO": org["cto"], "product": org["product"], "HR director": org["hrdirector"],
                 "team lead": org["lead"].user}
    for who, user in committee.items():
        page = tally.sign_in(new_page, who, user)
        tally.click(page, who, f"[data-testid=committee-votes] li[data-review='{review.pk}'] a")
        tally.click(page, who, "#vote input[name=value][value=approve]", navigates=False)
        tally.submit(page, who, "#vote button[type=submit]")
    assert Vote.objects.filter(seat__review=review, value="approve").count() == 4

    # HR, another day: the defense waits for the decision; the button records it.
    page = tally.sign_in(new_page, "HR", org["hr"])
    tally.click(page, "HR", f"[data-testid=hr-decisions] li[data-review='{review.pk}'] a")
    tally.submit(page, "HR", "#decide button[type=submit]")
    review.refresh_from_db()
    assert review.status == ReviewStatus.PASSED
    assert Employee.objects.get(pk=dev.pk).current_level_id == review.to_level_id

    print("\nA whole defense, from the inboxes:\n" + tally.report())
    assert tally.actions() <= MOST_CLICKS, tally.report()
    assert tally.total("sign-ins") <= MOST_SIGN_INS, tally.report()
