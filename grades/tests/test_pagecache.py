"""The progress page cache: hits, staleness after every kind of change, viewers kept apart, CSRF.

These tests commit for real (transaction=True): the content version moves on after a
commit, which the usual test transaction never does.
"""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext

from grades import pagecache
from grades.framework_loader import load_framework, shipped_framework_paths
from grades.models import ContentVersion, Evidence, EvidenceStatus, Requirement
from grades.tests.factories import UserFactory, hire

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def cache_on(settings):
    settings.PROGRESS_PAGE_CACHE_SECONDS = 600


@pytest.fixture
def team():
    lead = hire(level_code="senior", roles=["Developer", "Team lead"], hire_date=datetime.date(2018, 1, 1))
    dev = hire(level_code="middle", team_lead=lead, hire_date=datetime.date(2021, 3, 1))
    hr = UserFactory(roles=["HR"])
    return dict(lead=lead, dev=dev, hr=hr)


def requirement_for(employee):
    return (
        Requirement.objects.filter(
            track=employee.track, check_kind="", track_level__level__rank=employee.current_level.rank + 1
        )
        .order_by("id")
        .first()
    )


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def body(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_a_repeated_view_is_served_from_the_cache_with_few_queries(team):
    client = signed_in(team["dev"].user)
    first = body(client.get("/me/"))
    with CaptureQueriesContext(connection) as queries:
        again = body(client.get("/me/"))
    # session, user, content version: the person, the checklist and the menu come from the cache.
    assert len(queries) == 3, [q["sql"] for q in queries.captured_queries]
    # The same page; only the CSRF token's per-response mask differs.
    assert CSRF_INPUT.sub(b"", again.encode()) == CSRF_INPUT.sub(b"", first.encode())


def test_a_kept_page_of_someone_else_reads_the_version_with_the_visibility_check(team):
    client = signed_in(team["lead"].user)
    url = f"/people/{team['dev'].pk}/"
    first = body(client.get(url))
    with CaptureQueriesContext(connection) as queries:
        again = body(client.get(url))
    # session, user, and one statement for who may see the person and the content version.
    assert len(queries) == 3, [q["sql"] for q in queries.captured_queries]
    assert CSRF_INPUT.sub(b"", again.encode()) == CSRF_INPUT.sub(b"", first.encode())
    # That statement's version is the current one: a change shows on the very next view.
    user = team["dev"].user
    user.first_name = "Renamed"
    user.save()
    assert "Renamed" not in first
    assert "Renamed" in body(client.get(url))


def test_a_claim_and_its_confirmation_show_at_once(team):
    dev, lead = team["dev"], team["lead"]
    requirement = requirement_for(dev)
    dev_client, lead_client = signed_in(dev.user), signed_in(lead.user)
    assert "Built the retry worker" not in body(dev_client.get("/me/"))
    body(lead_client.get(f"/people/{dev.pk}/"))

    response = dev_client.post(
        f"/people/{dev.pk}/claim/{requirement.pk}/", {"description": "Built the retry worker", "links": ""}
    )
    assert response.status_code == 302
    assert "Built the retry worker" in body(dev_client.get("/me/"))
    lead_page = body(lead_client.get(f"/people/{dev.pk}/"))
    assert "Built the retry worker" in lead_page

    evidence = Evidence.objects.get(employee=dev, requirement=requirement)
    response = lead_client.post(f"/evidence/{evidence.pk}/decide/", {"decision": "confirm", "comment": "Seen it"})
    assert response.status_code == 302
    assert Evidence.objects.get(pk=evidence.pk).status == EvidenceStatus.CONFIRMED
    assert "Seen it" in body(dev_client.get("/me/"))


def test_each_viewer_gets_their_own_rendering(team):
    dev, lead, hr = team["dev"], team["lead"], team["hr"]
    requirement = requirement_for(dev)
    signed_in(dev.user).post(
        f"/people/{dev.pk}/claim/{requirement.pk}/", {"description": "Paged on-call", "links": ""}
    )
    as_dev = body(signed_in(dev.user).get(f"/people/{dev.pk}/"))
    as_lead = body(signed_in(lead.user).get(f"/people/{dev.pk}/"))
    as_hr = body(signed_in(hr).get(f"/people/{dev.pk}/"))
    # Only the team lead and HR get the decision form; only HR the audit trail link.
    assert "decide-form" not in as_dev and "decide-form" in as_lead
    assert f"/people/{dev.pk}/trail/" in as_hr and f"/people/{dev.pk}/trail/" not in as_lead
    # Served again from the cache, each still gets their own.
    assert "decide-form" not in body(signed_in(dev.user).get(f"/people/{dev.pk}/"))
    assert "decide-form" in body(signed_in(lead.user).get(f"/people/{dev.pk}/"))


def test_forms_in_a_cached_page_carry_the_viewers_own_csrf_token(team):
    dev = team["dev"]
    requirement = requirement_for(dev)
    browsers = [signed_in(dev.user, enforce_csrf_checks=True) for _ in range(2)]
    pages = [browser.get("/me/") for browser in browsers]  # the second is a cache hit
    tokens = [set(CSRF_INPUT.findall(page.content)) for page in pages]
    assert all(tokens) and tokens[0] != tokens[1]
    assert pagecache.csrf_slot().encode() not in pages[1].content
    # The token from the cached page is accepted by that browser's own session.
    token = next(iter(tokens[1])).decode()
    response = browsers[1].post(
        f"/people/{dev.pk}/claim/{requirement.pk}/",
        {"description": "Wrote the runbook", "links": "", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert Evidence.objects.filter(employee=dev, requirement=requirement).exists()


def test_a_change_made_in_admin_shows(team, admin_client):
    dev = team["dev"]
    client = signed_in(dev.user)
    requirement = requirement_for(dev)
    assert "Cuts releases on Fridays" not in body(client.get("/me/"))
    data = {
        "track_level": requirement.track_level_id,
        "key": requirement.key,
        "category": requirement.category,
        "text": "Cuts releases on Fridays",
        "text_en": "Cuts releases on Fridays",
        "origin": requirement.origin,
        "check_kind": "",
        "check_params": "{}",
        "position": requirement.position,
        "is_active": "on",
    }
    response = admin_client.post(f"/admin/grades/requirement/{requirement.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "Cuts releases on Fridays" in body(client.get("/me/"))


def test_bulk_writes_without_signals_still_make_pages_stale(team):
    dev = team["dev"]
    client = signed_in(dev.user)
    requirement = requirement_for(dev)
    assert requirement.text_en in body(client.get("/me/"))
    # An update() sends no signal; the services that use one bump the version themselves.
    with transaction.atomic():
        Requirement.objects.filter(pk=requirement.pk).update(is_active=False)
        pagecache.bump()
    assert requirement.text_en not in body(client.get("/me/"))
    # The framework loader brings it back, and says so.
    for path in shipped_framework_paths():
        load_framework(path)
    assert requirement.text_en in body(client.get("/me/"))


def test_a_new_role_shows_in_the_menu(team):
    dev = team["dev"]
    client = signed_in(dev.user)
    assert 'href="/exports/"' not in body(client.get("/me/"))
    dev.user.groups.add(Group.objects.get(name="Manager"))
    assert 'href="/exports/"' in body(client.get("/me/"))


def test_a_rolled_back_change_leaves_the_version_and_a_bump_happens_once_per_transaction(team):
    before = pagecache.current_version()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            Requirement.objects.filter(pk=requirement_for(team["dev"]).pk).update(position=99)
            pagecache.bump()
            raise RuntimeError("abandoned")
    assert pagecache.current_version() == before
    with transaction.atomic():
        for _ in range(3):
            pagecache.bump()
    assert pagecache.current_version() == before + 1


def test_signing_in_does_not_make_pages_stale(team):
    client = Client()
    dev = team["dev"]
    dev.user.set_password("a-long-password-for-tests")
    dev.user.save()
    before = pagecache.current_version()
    response = client.post(
        "/accounts/login/", {"username": dev.user.username, "password": "a-long-password-for-tests"}
    )
    assert response.status_code == 302
    assert client.get("/me/").status_code == 200  # signed in
    assert pagecache.current_version() == before


def test_a_new_day_builds_the_page_again(team, monkeypatch):
    dev = team["dev"]
    client = signed_in(dev.user)
    body(client.get("/me/"))
    monkeypatch.setattr("grades.selectors.today", lambda: datetime.date(2031, 1, 1))
    page = body(client.get("/me/"))
    # In level since the hire on 2021-03-01: the count runs up to the new day.
    assert "118 months" in page


def test_the_version_row_is_recreated_when_missing(team):
    ContentVersion.objects.all().delete()
    assert pagecache.current_version() == 0
    with transaction.atomic():
        pagecache.bump()
    assert pagecache.current_version() == 1


def test_a_page_with_a_message_is_neither_kept_nor_served_from_the_cache(team):
    dev = team["dev"]
    client = signed_in(dev.user)
    requirement = requirement_for(dev)
    body(client.get("/me/"))  # kept
    # A claim leaves a message ("claimed") for the next page.
    response = client.post(f"/people/{dev.pk}/claim/{requirement.pk}/", {"description": "Did it", "links": ""})
    assert response.status_code == 302
    with_message = body(client.get("/me/"))
    assert 'class="messages"' in with_message
    # The next view is without it, as a message is shown once.
    assert 'class="messages"' not in body(client.get("/me/"))


def test_a_lead_who_loses_a_report_no_longer_sees_the_kept_page(team):
    dev, lead = team["dev"], team["lead"]
    client = signed_in(lead.user)
    assert body(client.get(f"/people/{dev.pk}/"))
    other = hire(level_code="senior", roles=["Team lead"])
    dev.team_lead = other
    dev.save()
    assert client.get(f"/people/{dev.pk}/").status_code == 404


def test_the_quick_visibility_check_agrees_with_the_querysets(team):
    from grades.selectors import can_view_employee, visible_employees

    stranger = hire(level_code="middle")
    admin = UserFactory(is_superuser=True, is_staff=True)
    nobody = UserFactory()
    viewers = [team["dev"].user, team["lead"].user, team["hr"], stranger.user, admin, nobody]
    people = [team["dev"], team["lead"], stranger]
    for viewer in viewers:
        for person in people:
            expected = visible_employees(viewer).filter(pk=person.pk).exists()
            assert can_view_employee(viewer, person.pk) is expected, (viewer, person)
            # Given the request, the same answer, and the request learns the content version.
            request = HttpRequest()
            assert can_view_employee(viewer, person.pk, request=request) is expected, (viewer, person)
            assert request._content_version == pagecache.current_version()
            assert pagecache.request_version(request) == pagecache.current_version()
    assert not can_view_employee(team["hr"], 10**9)
    assert not can_view_employee(team["hr"], 10**9, request=HttpRequest())
    # A version already read for the request is kept, not read again.
    request = HttpRequest()
    request._content_version = 12345
    assert can_view_employee(team["lead"].user, team["dev"].pk, request=request)
    assert request._content_version == 12345
    # Without the version row, the version is 0, as current_version() says.
    ContentVersion.objects.all().delete()
    request = HttpRequest()
    assert can_view_employee(team["hr"], team["dev"].pk, request=request)
    assert request._content_version == 0 == pagecache.current_version()


def test_someone_who_may_not_see_a_person_gets_404_even_when_a_page_is_kept(team):
    dev, lead = team["dev"], team["lead"]
    body(signed_in(lead.user).get(f"/people/{dev.pk}/"))  # kept for the lead
    colleague = hire(level_code="middle")
    assert signed_in(colleague.user).get(f"/people/{dev.pk}/").status_code == 404
    assert signed_in(dev.user).get(f"/people/{lead.pk}/").status_code == 404


def test_clear_page_cache_forgets_pages_changed_behind_the_products_back(team):
    from django.core.management import call_command

    dev = team["dev"]
    client = signed_in(dev.user)
    requirement = requirement_for(dev)
    assert requirement.text_en in body(client.get("/me/"))
    # A change with plain SQL (as a restored backup would be): no signal, no bump.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE grades_requirement SET text_en = %s WHERE id = %s", ["Renamed behind its back", requirement.pk]
        )
    assert "Renamed behind its back" not in body(client.get("/me/"))  # the kept page
    before = pagecache.current_version()
    call_command("clear_page_cache", verbosity=0)
    assert pagecache.current_version() == before + 1
    assert "Renamed behind its back" in body(client.get("/me/"))


def test_migrate_records_and_historical_models_do_not_count_and_nothing_bumps_mid_migration(team, monkeypatch):
    from django.db.migrations.recorder import MigrationRecorder

    assert not pagecache._is_watched(MigrationRecorder.Migration)
    assert pagecache._is_watched(Requirement)
    before = pagecache.current_version()
    monkeypatch.setattr(pagecache, "_migrating", True)
    with transaction.atomic():
        pagecache.bump()
        assert not connection.run_on_commit
    assert pagecache.current_version() == before
    # When migrate is done, one bump.
    pagecache._migration_finished(using="default")
    assert pagecache.current_version() == before + 1
    assert pagecache._migrating is False


# --- The people list --------------------------------------------------------------------------------


def test_the_people_list_is_kept_per_query_and_shows_a_change_at_once(team):
    lead, dev = team["lead"], team["dev"]
    client = signed_in(lead.user)
    first = body(client.get("/people/"))
    assert dev.user.last_name in first
    with CaptureQueriesContext(connection) as queries:
        again = body(client.get("/people/"))
    # session, user, the role check (groups, then whether they lead anyone), the version.
    assert len(queries) == 5, [q["sql"] for q in queries.captured_queries]
    assert CSRF_INPUT.sub(b"", again.encode()) == CSRF_INPUT.sub(b"", first.encode())
    # Another query is another page: a filter that matches nobody.
    assert dev.user.last_name not in body(client.get("/people/", {"level": "senior"}))
    assert dev.user.last_name in body(client.get("/people/"))

    newcomer = hire(level_code="junior", team_lead=lead, user=UserFactory(last_name="Newcomer-Zyx"))
    assert newcomer.user.last_name in body(client.get("/people/"))
    assert newcomer.user.last_name not in body(client.get("/people/", {"level": "senior"}))


def test_the_people_list_of_one_viewer_is_never_served_to_another(team):
    other_lead = hire(level_code="senior", roles=["Developer", "Team lead"])
    theirs = hire(level_code="middle", team_lead=other_lead, user=UserFactory(last_name="Elsewhere-Qpw"))
    mine = body(signed_in(team["lead"].user).get("/people/"))
    assert theirs.user.last_name not in mine
    assert theirs.user.last_name in body(signed_in(other_lead.user).get("/people/"))
    assert theirs.user.last_name in body(signed_in(team["hr"]).get("/people/"))
    # A developer who leads nobody is refused, whatever is kept for others.
    assert signed_in(team["dev"].user).get("/people/").status_code == 403


def test_a_rejected_people_filter_is_not_kept(team):
    client = signed_in(team["hr"])
    # Were the first answer kept, the second would come from the cache as a 200.
    assert client.get("/people/", {"track": "no-such track!"}).status_code == 400
    assert client.get("/people/", {"track": "no-such track!"}).status_code == 400


def test_a_lead_who_loses_their_last_report_is_refused_the_kept_list(team):
    lead, dev = team["lead"], team["dev"]
    client = signed_in(lead.user)
    body(client.get("/people/"))
    dev.team_lead = None
    dev.save()
    assert client.get("/people/").status_code == 403


# --- The review list ----------------------------------------------------------------------------------


def test_the_review_list_is_kept_per_viewer_and_shows_a_vote_at_once():
    from reviews.models import PromotionReview
    from reviews.services import review_vote
    from reviews.tests.factories import organisation, scheduled

    org = organisation()
    review = scheduled(org)
    cto, product = signed_in(org["cto"]), signed_in(org["product"])
    assert 'data-testid="awaiting-my-vote"' in body(cto.get("/reviews/"))
    with CaptureQueriesContext(connection) as queries:
        assert 'data-testid="awaiting-my-vote"' in body(cto.get("/reviews/"))
    # session, user, content version: the list comes from the cache.
    assert len(queries) == 3, [q["sql"] for q in queries.captured_queries]
    assert 'data-testid="awaiting-my-vote"' in body(product.get("/reviews/"))

    review_vote(review=review, by=org["cto"], value="approve", comment="Ready.")
    # The voter's badge goes at once; the others' stays, theirs being their own list.
    assert 'data-testid="awaiting-my-vote"' not in body(cto.get("/reviews/"))
    assert 'data-testid="awaiting-my-vote"' in body(product.get("/reviews/"))
    # A developer sees only their own reviews, never a list kept for someone else.
    assert str(review.candidate) in body(signed_in(org["dev"].user).get("/reviews/"))
    assert str(review.candidate) not in body(signed_in(org["other_dev"].user).get("/reviews/"))
    # A rejected filter is answered 400 each time, never kept.
    for _ in range(2):
        assert cto.get("/reviews/", {"status": "no-such-status"}).status_code == 400
    assert PromotionReview.objects.count() == 1
