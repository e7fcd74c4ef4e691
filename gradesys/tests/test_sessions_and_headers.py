"""
Signed-in safety around the pages: HR lifting sign-in lockouts (audited), no caching of
pages with personal data, links that cannot disguise where they lead, and the password
reset by e-mail (same answer for every address, limited).
"""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from grades import services as grade_services
from grades.models import Evidence, EvidenceEvent, Requirement
from grades.tests.factories import UserFactory
from reviews.tests.factories import confirm_checklist, organisation, scheduled

pytestmark = pytest.mark.django_db

User = get_user_model()
LOGIN = "/accounts/login/"
PASSWORD = "a long and correct passphrase"
WRONG = "not the passphrase"
HOME = "203.0.113.10"  # documentation addresses (RFC 5737)
ELSEWHERE = "198.51.100.20"
LOCKOUTS = reverse("admin:axes_accessattempt_changelist")


def person(username: str, **extra):
    user = UserFactory(username=username, **extra)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def sign_in(username: str, password: str, *, address: str = HOME):
    client = Client()
    response = client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)
    return response, client


def lock_out(username: str, *, address: str = HOME):
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        sign_in(username, WRONG, address=address)
    response, _client = sign_in(username, PASSWORD, address=address)
    assert response.status_code == 429, "the lockout did not happen"


def lockout_state():
    return (
        list(AccessAttempt.objects.order_by("pk").values("pk", "username", "ip_address", "failures_since_start")),
        list(LogEntry.objects.order_by("pk").values()),
    )


@pytest.fixture
def hr_client(client):
    hr = UserFactory(username="hr", roles=["HR"], is_staff=True)
    client.force_login(hr)
    client.user = hr
    return client


# --- Sign-in lockouts: HR sees and lifts them ---------------------------------------------------


def test_the_hr_role_holds_the_lockout_permissions():
    names = set(Group.objects.get(name="HR").permissions.values_list("content_type__app_label", "codename"))
    assert {("axes", "view_accessattempt"), ("axes", "delete_accessattempt")} <= names
    for role in ("Team lead", "Developer", "Manager", "Committee"):
        assert not Group.objects.get(name=role).permissions.filter(content_type__app_label="axes").exists()


def test_hr_sees_the_lockouts_without_the_form_data(hr_client):
    person("dana")
    lock_out("dana")
    attempt = AccessAttempt.objects.get(username="dana")

    listing = hr_client.get(LOCKOUTS)
    detail = hr_client.get(reverse("admin:axes_accessattempt_change", args=[attempt.pk]))

    assert listing.status_code == 200
    body = listing.content.decode()
    assert "dana" in body and HOME in body and "Locked out" in body
    assert detail.status_code == 200
    # What was typed (the masked password among it) is not shown to anyone here.
    assert "post_data" not in detail.content.decode() and "POST Data" not in detail.content.decode()


def test_hr_unlocks_a_sign_in_and_the_lift_is_recorded(hr_client):
    person("dana")
    person("erik")
    lock_out("dana")
    lock_out("erik")
    dana = AccessAttempt.objects.get(username="dana")

    response = hr_client.post(
        LOCKOUTS, {"action": "unlock", "_selected_action": [dana.pk], "index": 0}, follow=True
    )

    assert response.status_code == 200
    assert "Unlocked 1 sign-in" in response.content.decode()
    assert not AccessAttempt.objects.filter(username="dana").exists()
    assert AccessAttempt.objects.filter(username="erik").exists(), "only the selected lockout is lifted"
    signed_in, _client = sign_in("dana", PASSWORD)
    assert signed_in.status_code == 302
    still_locked, _client = sign_in("erik", PASSWORD)
    assert still_locked.status_code == 429

    entry = LogEntry.objects.get()
    assert entry.user == hr_client.user
    assert entry.action_flag == DELETION
    assert entry.content_type.model_class() is AccessAttempt
    assert entry.object_repr == f"dana from {HOME}"
    assert "dana" in entry.change_message and HOME in entry.change_message
    assert PASSWORD not in entry.change_message and WRONG not in entry.change_message
    assert entry.action_time is not None


def test_the_delete_page_of_one_attempt_is_recorded_the_same_way(hr_client):
    person("dana")
    lock_out("dana")
    attempt = AccessAttempt.objects.get(username="dana")

    response = hr_client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_repr, entry.action_flag) == (hr_client.user, f"dana from {HOME}", DELETION)


@pytest.mark.parametrize("roles", [["Developer", "Team lead"], ["Developer"], ["Manager"]])
def test_other_staff_get_403_and_nothing_changes(client, roles):
    person("dana")
    lock_out("dana")
    attempt = AccessAttempt.objects.get(username="dana")
    client.force_login(UserFactory(roles=roles, is_staff=True))
    before = lockout_state()

    assert client.get(LOCKOUTS).status_code == 403
    assert client.post(LOCKOUTS, {"action": "unlock", "_selected_action": [attempt.pk], "index": 0}).status_code == 403
    assert client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}).status_code == 403
    assert lockout_state() == before


@pytest.mark.parametrize("roles", [["Developer", "Team lead"], ["Developer"]])
def test_people_without_admin_access_are_sent_to_its_sign_in_and_nothing_changes(client, roles):
    person("dana")
    lock_out("dana")
    attempt = AccessAttempt.objects.get(username="dana")
    client.force_login(UserFactory(roles=roles))
    before = lockout_state()

    listing = client.get(LOCKOUTS)
    unlock = client.post(LOCKOUTS, {"action": "unlock", "_selected_action": [attempt.pk], "index": 0})

    for response in (listing, unlock):
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    assert lockout_state() == before


# --- Cache-Control on pages with personal data --------------------------------------------------


def directives(response) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.fixture
def org():
    return organisation()


def test_pages_with_personal_data_are_private_and_not_stored(client, org):
    review = scheduled(org)
    dev, hr = org["dev"], org["hr"]
    pages = {
        dev.user: ["/", "/me/", f"/people/{dev.pk}/", "/reviews/", f"/reviews/{review.pk}/", "/tracks/"],
        hr: [
            "/people/", f"/people/{dev.pk}/", f"/people/{dev.pk}/trail/", "/exports/", "/exports/roster.csv",
            "/admin/", f"/admin/grades/employee/{dev.pk}/change/", reverse("admin:imports_importrun_people"),
        ],
    }
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 302), (url, response.status_code)
            assert {"private", "no-store"} <= directives(response), (url, response.get("Cache-Control"))


def test_a_refusal_to_a_signed_in_person_is_not_stored_either(client, org):
    client.force_login(org["dev"].user)
    response = client.get(f"/people/{org['other_dev'].pk}/")
    assert response.status_code == 404
    assert {"private", "no-store"} <= directives(response)


def middleware_response(path: str, *, user, header: str | None = None):
    from gradesys.middleware import PrivatePagesMiddleware

    request = RequestFactory().get(path)
    request.user = user

    def view(_request):
        response = HttpResponse("x")
        if header:
            response["Cache-Control"] = header
        return response

    return PrivatePagesMiddleware(view)(request)


def test_static_files_the_health_check_and_anonymous_pages_keep_their_own_headers():
    from django.contrib.auth.models import AnonymousUser

    user = UserFactory()
    static = middleware_response(f"/{django_settings.STATIC_URL.strip('/')}/css/gradesys.css", user=user)
    assert "Cache-Control" not in static
    assert "Cache-Control" not in middleware_response("/healthz", user=user)
    assert "Cache-Control" not in middleware_response("/accounts/login/", user=AnonymousUser())
    # A view's own header keeps its word, with private and no-store added; "public" is left alone.
    own = middleware_response("/exports/roster.csv", user=user, header="no-store")
    assert directives(own) == {"no-store", "private"}
    public = middleware_response("/tracks/", user=user, header="public, max-age=60")
    assert public["Cache-Control"] == "public, max-age=60"


# --- Links with direction-control characters ----------------------------------------------------

RLO = "\u202e"
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c"]


def next_level_requirement(employee):
    rank = employee.current_level.rank + 1
    return (
        Requirement.objects.filter(track=employee.track, track_level__level__rank=rank, check_kind="")
        .order_by("id").first()
    )


def evidence_state():
    return list(Evidence.objects.order_by("id").values()), list(EvidenceEvent.objects.order_by("id").values())


@pytest.mark.parametrize("char", BIDI)
def test_every_direction_control_character_is_refused_in_a_link(char):
    from common.validators import validate_link

    with pytest.raises(ValidationError) as caught:
        validate_link(f"https://git.example.com/pr/{char}gpj.exe")
    assert "change the direction of text" in " ".join(caught.value.messages)
    validate_link("https://git.example.com/pr/42")  # an ordinary link passes


def test_a_claim_with_a_disguised_link_is_refused_with_a_form_error(client, org):
    dev = org["dev"]
    client.force_login(dev.user)
    before = evidence_state()

    response = client.post(
        f"/people/{dev.pk}/claim/{next_level_requirement(dev).pk}/",
        {"description": "Built it", "links": f"https://git.example.com/mr/{RLO}fdp.exe"},
    )

    assert response.status_code == 400
    body = response.content.decode()
    # The message names the link with the character written out; only the text box
    # the person typed into gives it back as it was, to be corrected.
    assert "“https://git.example.com/mr/\\u202efdp.exe” contains invisible characters" in body
    assert body.count(RLO) == 1 and f"{RLO}fdp.exe</textarea>" in body
    assert evidence_state() == before


def test_editing_a_claim_to_a_disguised_link_is_refused(client, org):
    dev = org["dev"]
    requirement = next_level_requirement(dev)
    evidence = grade_services.evidence_claim(
        employee=dev, requirement=requirement, description="Built it", links=["https://git.example.com/mr/1"], by=dev.user
    )
    client.force_login(dev.user)
    before = evidence_state()

    response = client.post(
        f"/evidence/{evidence.pk}/edit/", {"description": "Built it", "links": f"https://git.example.com/\u2067x"}
    )

    assert response.status_code == 400
    assert "change the direction of text" in response.content.decode()
    assert evidence_state() == before


def test_the_service_refuses_them_too(org):
    dev = org["dev"]
    before = evidence_state()
    with pytest.raises(grade_services.GradeError, match="change the direction of text"):
        grade_services.evidence_claim(
            employee=dev, requirement=next_level_requirement(dev), description="Built it",
            links=[f"https://git.example.com/{RLO}x"], by=dev.user,
        )
    assert evidence_state() == before


def test_a_link_stored_before_is_shown_with_the_characters_escaped(client, org):
    dev, lead = org["dev"], org["lead"]
    confirm_checklist(dev)
    stored = f"https://git.example.com/mr/{RLO}fdp.exe"
    evidence = Evidence.objects.filter(employee=dev).order_by("id").first()
    Evidence.objects.filter(pk=evidence.pk).update(links=[stored])
    review = scheduled(org)

    for user, url in [(dev.user, "/me/"), (lead.user, f"/people/{dev.pk}/"), (org["hr"], f"/reviews/{review.pk}/")]:
        client.force_login(user)
        body = client.get(url).content.decode()
        assert "https://git.example.com/mr/\\u202efdp.exe</a>" in body, url
        assert f"{RLO}fdp.exe</a>" not in body, url


# --- Password reset by e-mail --------------------------------------------------------------------

RESET = "/accounts/password_reset/"
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def ask_reset(email: str, *, address: str = HOME, client: Client | None = None):
    client = client or Client()
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address)


def reset_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)


def test_the_reset_page_is_in_the_site_layout_and_the_login_page_links_to_it(client):
    response = client.get(RESET)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="topbar"' in body and 'id="password-reset-form"' in body
    assert RESET in client.get(LOGIN).content.decode()


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account():
    UserFactory(username="dana", email="dana@example.com")

    known = ask_reset("Dana@Example.com")
    unknown = ask_reset("nobody@example.com")

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password_reset/done/"
    done_known = Client().get(known["Location"]).content.decode()
    done_unknown = Client().get(unknown["Location"]).content.decode()
    assert _CSRF.sub("", done_known) == _CSRF.sub("", done_unknown)
    assert "if an account exists with the email you entered" in done_known
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["dana@example.com"]


def test_the_mailed_link_sets_a_password_that_signs_in():
    # An imported person: an account without a usable password yet.
    user = UserFactory(username="ivan@example.com", email="ivan@example.com")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    ask_reset("ivan@example.com")
    message = mail.outbox[0]
    assert "ivan@example.com" in message.body and message.subject

    client = Client()
    form = client.get(reset_link(message), follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD}, follow=True
    )
    assert done.status_code == 200 and "Your password has been set." in done.content.decode()

    signed_in, _client = sign_in("ivan@example.com", PASSWORD)
    assert signed_in.status_code == 302
    # The link works once.
    again = Client().get(reset_link(message), follow=True)
    assert not again.context["validlink"]


def test_an_inactive_account_gets_no_mail_and_the_same_answer():
    UserFactory(username="gone", email="gone@example.com", is_active=False)
    response = ask_reset("gone@example.com")
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


def test_the_mail_and_pages_are_in_russian_for_a_russian_reader():
    UserFactory(username="dana", email="dana@example.com")
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    page = client.get(RESET).content.decode()
    assert "Восстановление пароля" in page

    ask_reset("dana@example.com", client=client)

    assert "Сброс пароля" in mail.outbox[0].subject
    assert "новый пароль" in mail.outbox[0].body


def test_mails_to_one_address_are_limited_and_the_answer_does_not_change(monkeypatch):
    monkeypatch.setattr("gradesys.password_reset.MAX_MAILS_PER_EMAIL", 2)
    UserFactory(username="dana", email="dana@example.com")

    answers = [ask_reset("dana@example.com", address=f"198.51.100.{n}") for n in range(4)]

    assert {(a.status_code, a["Location"]) for a in answers} == {(302, "/accounts/password_reset/done/")}
    assert len(mail.outbox) == 2


def test_requests_from_one_client_are_limited(monkeypatch):
    monkeypatch.setattr("gradesys.password_reset.MAX_REQUESTS_PER_ADDRESS", 3)
    UserFactory(username="dana", email="dana@example.com")
    for n in range(3):
        assert ask_reset(f"someone{n}@example.com").status_code == 302

    refused = ask_reset("dana@example.com")

    assert refused.status_code == 429
    assert "Too many password resets were asked for from your address" in refused.content.decode()
    assert 'class="topbar"' in refused.content.decode()
    assert mail.outbox == []
    # Another client is not held up by it.
    assert ask_reset("dana@example.com", address=ELSEWHERE).status_code == 302
    assert len(mail.outbox) == 1


def test_the_limits_keep_no_address_in_the_cache(monkeypatch):
    from django.core.cache import cache

    keys = []
    real_add = cache.add

    def add(key, *args, **kwargs):
        keys.append(key)
        return real_add(key, *args, **kwargs)

    monkeypatch.setattr(cache, "add", add)
    ask_reset("dana@example.com")
    assert keys and not any("dana" in key or HOME in key for key in keys)
