"""Accessibility of the pages: references between elements resolve, the vote is a named group,
a skip link and a favicon in the layout, and the colours of a waiting claim readable (WCAG AA)."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from grades.models import Evidence
from grades.selectors import employee_progress
from grades.tests.factories import UserFactory, hire
from reviews.tests.factories import defense_day_came, organisation, scheduled

CSS = Path(settings.BASE_DIR) / "static" / "css" / "gradesys.css"
REFERENCES = ("aria-describedby", "aria-labelledby", "aria-controls", "aria-errormessage")


class Elements(HTMLParser):
    """Every id on a page, every id another element refers to, and the tags in order."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.references: list[tuple[str, str, str]] = []  # (tag, attribute, id referred to)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids[attributes["id"]] += 1
        for name in REFERENCES:
            for target in (attributes.get(name) or "").split():
                self.references.append((tag, name, target))


def parsed(response) -> Elements:
    elements = Elements()
    elements.feed(response.content.decode())
    return elements


def dangling(response) -> list[str]:
    """The references to ids that are not on the page, and ids that are there twice."""
    elements = parsed(response)
    problems = [f"<{tag} {name}> → #{target}" for tag, name, target in elements.references if not elements.ids[target]]
    return problems + [f"#{id_} {count} times" for id_, count in elements.ids.items() if count > 1]


@pytest.mark.django_db
def test_every_element_an_aria_attribute_names_is_on_the_page():
    """A walk through the pages where forms come back with their errors: each aria-describedby
    (Django's own, on a field with help or errors, and the pages') names an element there."""
    org = organisation()
    dev, lead = org["dev"], org["lead"]
    review = defense_day_came(scheduled(org))
    pages = {}

    as_dev = Client()
    as_dev.force_login(dev.user)
    requirement_id = next(item for item in employee_progress(dev).items if item.claimable).requirement.pk
    as_dev.post(f"/people/{dev.pk}/claim/{requirement_id}/", {"description": "Did it", "links": ""})
    evidence = Evidence.objects.get(employee=dev)
    pages["own progress"] = as_dev.get("/me/")
    pages["refused claim"] = as_dev.post(f"/people/{dev.pk}/claim/{requirement_id}/", {"description": "", "links": "x"})

    as_lead = Client()
    as_lead.force_login(lead.user)
    pages["someone's progress"] = as_lead.get(f"/people/{dev.pk}/")
    pages["refused decision"] = as_lead.post(f"/evidence/{evidence.pk}/decide/", {"decision": "reject"})
    pages["people"] = as_lead.get("/people/")

    as_cto = Client()
    as_cto.force_login(org["cto"])
    pages["review"] = as_cto.get(f"/reviews/{review.pk}/")
    pages["refused vote"] = as_cto.post(f"/reviews/{review.pk}/vote/", {"value": "maybe", "comment": "x" * 5001})
    pages["reviews"] = as_cto.get("/reviews/")

    as_manager = Client(HTTP_ACCEPT="text/html")
    as_manager.force_login(UserFactory(roles=["Manager"]))
    pages["refused report"] = as_manager.get("/exports/grade-history.csv?date_from=2024-13-01&date_to=x")

    reset = Client()
    url = f"/accounts/reset/{urlsafe_base64_encode(force_bytes(dev.user.pk))}/{default_token_generator.make_token(dev.user)}/"
    form_url = reset.get(url)["Location"]
    pages["refused new password"] = reset.post(form_url, {"new_password1": "a", "new_password2": "b"})

    statuses = {name: response.status_code for name, response in pages.items()}
    assert statuses["refused claim"] == statuses["refused decision"] == statuses["refused vote"] == 400, statuses
    assert statuses["refused report"] == 400 and statuses["refused new password"] == 200, statuses
    # The refusals do carry references (so the walk checks something).
    assert 'aria-describedby="id_comment_error"' in pages["refused vote"].content.decode()
    assert "aria-describedby" in pages["refused new password"].content.decode()
    assert "aria-describedby" in pages["refused report"].content.decode()
    problems = {name: dangling(response) for name, response in pages.items()}
    assert {name: found for name, found in problems.items() if found} == {}




@pytest.mark.django_db
def test_the_vote_choice_is_a_named_group_and_its_error_is_inside(client):
    org = organisation()
    review = defense_day_came(scheduled(org))
    client.force_login(org["cto"])
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    vote = page[page.index('id="vote"') :]
    fieldset = re.search(r'<fieldset class="choice"><legend>Your vote</legend>(.*?)</fieldset>', vote, re.S)
    assert fieldset and fieldset.group(1).count('type="radio"') == 3
    assert '<label for="id_value">' not in vote  # no label pointing at the radios' container
    refused = client.post(f"/reviews/{review.pk}/vote/", {"comment": "hm"}).content.decode()
    fieldset = re.search(r'<fieldset class="choice"><legend>Your vote</legend>(.*?)</fieldset>', refused, re.S)
    assert fieldset and 'id="id_value_error" role="alert"' in fieldset.group(1)
    assert "This field is required." in fieldset.group(1)


@pytest.mark.django_db
def test_the_layout_starts_with_a_skip_link_to_the_main_content(client):
    developer = hire(level_code="middle")
    client.force_login(developer.user)
    for url in ("/me/", "/accounts/login/", "/no/such/page/"):
        client.logout() if url == "/accounts/login/" else client.force_login(developer.user)
        elements = parsed(client.get(url))
        body = [attributes for tag, attributes in elements.tags if tag in ("a", "button", "input", "select")]
        assert body[0] == {"class": "skip-link", "href": "#main"}, url
        assert elements.ids["main"] == 1, url
    assert "Skip to content" in client.get("/me/").content.decode()
    russian = Client(HTTP_ACCEPT_LANGUAGE="ru").get("/accounts/login/").content.decode()
    assert "Перейти к содержимому" in russian


@pytest.mark.django_db
def test_the_favicon_is_linked_and_served(settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/ without collectstatic, as in DEBUG
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()
    page = client.get("/accounts/login/").content.decode()
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert link and link.group(1) == "/static/favicon.svg"
    response = client.get(link.group(1))
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    svg = b"".join(response.streaming_content).decode()
    assert svg.startswith("<svg") and "<script" not in svg


# --- Colours --------------------------------------------------------------------------------------


def css_rules() -> dict[str, dict[str, str]]:
    """The stylesheet's rules outside media queries: selector -> {property: value}."""
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)
    text = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", text)
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        declarations = dict(
            (name.strip(), value.strip()) for name, _, value in (d.partition(":") for d in body.split(";")) if value
        )
        for selector in selectors.split(","):
            rules.setdefault(" ".join(selector.split()), {}).update(declarations)
    return rules


def colour(rules, selector: str, prop: str) -> str:
    value = rules[selector][prop]
    variable = re.fullmatch(r"var\((--[\w-]+)\)", value)
    return rules[":root"][variable.group(1)] if variable else value


def luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of #rgb or #rrggbb."""
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_formula_against_known_pairs():
    assert contrast("#000", "#fff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert contrast("#a86b00", "#ffffff") < 4.5  # the amber the WAITING label used to have


def test_a_waiting_claim_reads_at_least_4_5_to_1():
    rules = css_rules()
    # The WAITING label on a checklist line, on its card.
    label = colour(rules, ".state-claimed .state", "color")
    card = colour(rules, ".card", "background")
    assert contrast(label, card) >= 4.5, (label, card, contrast(label, card))
    # The waiting badge (people list, reviews list): its text on its own background.
    badge, badge_bg = colour(rules, ".badge.waiting", "color"), colour(rules, ".badge.waiting", "background")
    assert contrast(badge, badge_bg) >= 4.5, (badge, badge_bg)


def test_focus_is_visible():
    rules = css_rules()
    assert rules[":focus-visible"]["outline"].startswith("3px solid")
    assert rules[".skip-link:focus"]["top"] == ".5rem"
