"""The schedule form's seats and time zone, and the progress page's request button."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from grades import roles
from grades.tests.factories import RequirementFactory, TrackLevelFactory, UserFactory, hire, level
from reviews import policies, services
from reviews.models import PromotionReview, ReviewStatus, SeatRole
from reviews.tests.factories import (
    confirm_checklist,
    db_state,
    members,
    organisation,
    requested,
    scheduled,
)
from reviews.tests.test_views import body, login, messages_of, schedule_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return organisation()


def schedule_initial(client, org, review):
    page = login(client, org["hr"]).get(f"/reviews/{review.pk}/")
    assert page.status_code == 200
    return page, page.context["forms"]["schedule"].initial


# --- The schedule form's seats ---------------------------------------------------------------------


def test_each_seat_offers_who_holds_its_role(client, org):
    review = requested(org)
    page, _initial = schedule_initial(client, org, review)
    form = page.context["forms"]["schedule"]
    selects = dict((field.name, html) for field, html in page.context["member_selects"])
    for role in (SeatRole.CTO, SeatRole.PRODUCT, SeatRole.HR_DIRECTOR):
        for who in ("cto", "product", "hrdirector", "spare"):
            assert f'value="{org[who].pk}"' in selects[role], (role, who)
        assert f'value="{org["lead"].user.pk}"' not in selects[role]
    assert f'value="{org["lead"].user.pk}"' in selects[SeatRole.TEAM_LEAD]
    assert f'value="{org["cto"].pk}"' not in selects[SeatRole.TEAM_LEAD]
    # The candidate is never offered.
    assert all(f'value="{org["dev"].user.pk}"' not in html for html in selects.values())
    assert form.fields["when"].label == f"Date and time ({timezone.get_current_timezone_name()})"


def test_a_first_schedule_seats_the_candidates_lead_and_the_usual_directors(client, org):
    # A committee HR seated before: each director sat in their own seat.
    scheduled(org)
    services.review_withdraw(review=PromotionReview.objects.get(), by=org["hr"], reason="Moved to next quarter")
    other = services.review_request(statement="Ready.", candidate=org["other_dev"], by=org["other_dev"].user)
    _page, initial = schedule_initial(client, org, other)
    assert initial[SeatRole.TEAM_LEAD] == org["other_lead"].user.pk
    assert initial[SeatRole.CTO] == org["cto"].pk
    assert initial[SeatRole.PRODUCT] == org["product"].pk
    assert initial[SeatRole.HR_DIRECTOR] == org["hrdirector"].pk
    # The page shows them chosen.
    page = _page.content.decode()
    assert f'<option value="{org["cto"].pk}" selected>' in page


def test_with_no_committee_yet_only_a_single_holder_is_chosen(client, settings):
    lead = hire(level_code="senior", roles=["Developer", "Team lead"])
    dev = hire(level_code="middle", team_lead=lead, hire_date=datetime.date(2021, 3, 1))
    hr = UserFactory(roles=["HR"])
    cto = UserFactory(roles=["Committee"])
    review = services.review_request(statement="Ready.", candidate=dev, by=dev.user)
    client.force_login(hr)
    initial = client.get(f"/reviews/{review.pk}/").context["forms"]["schedule"].initial
    # One person may sit in the directors' seats: only the first of them gets them (one seat each).
    assert initial[SeatRole.CTO] == cto.pk
    assert SeatRole.PRODUCT not in initial and SeatRole.HR_DIRECTOR not in initial
    assert initial[SeatRole.TEAM_LEAD] == lead.user.pk


def test_several_directors_and_no_history_choose_nobody(client, org):
    review = requested(org)
    _page, initial = schedule_initial(client, org, review)
    assert not {SeatRole.CTO, SeatRole.PRODUCT, SeatRole.HR_DIRECTOR} & set(initial)
    assert initial[SeatRole.TEAM_LEAD] == org["lead"].user.pk


def test_a_moved_defense_keeps_its_seats(client, org):
    review = scheduled(org)
    _page, initial = schedule_initial(client, org, review)
    assert {role: initial[role] for role in SeatRole.values} == {role: user.pk for role, user in members(org).items()}


# Who sees the review is refused with 403; a committee member not yet seated and a manager do not see it.
@pytest.mark.parametrize("who, status", [("dev", 403), ("lead", 403), ("cto", 404), ("manager", 404)])
def test_only_hr_schedules_from_the_page(client, org, who, status, mailoutbox, django_capture_on_commit_callbacks):
    review = requested(org)
    before = db_state()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = login(client, org[who]).post(f"/reviews/{review.pk}/schedule/", schedule_data(org))
    assert response.status_code == status
    assert db_state() == before and callbacks == [] and mailoutbox == []


# --- Who holds each director's role ----------------------------------------------------------------


DIRECTOR_SEATS = (SeatRole.CTO, SeatRole.PRODUCT, SeatRole.HR_DIRECTOR)


def designate(user, *names):
    """Give `user` the designation groups `names` (as an admin does on the user's page)."""
    user.groups.add(*Group.objects.filter(name__in=names))


def designate_directors(org):
    designate(org["cto"], roles.CTO)
    designate(org["product"], roles.PRODUCT_DIRECTOR)
    designate(org["hrdirector"], roles.HR_DIRECTOR)


def select_of(page, role) -> str:
    return dict((field.name, html) for field, html in page.context["member_selects"])[role]


def options(page, role) -> list[int]:
    """The user ids a seat's select offers, in order (without the empty choice)."""
    return [int(pk) for pk in re.findall(r'<option value="(\d+)"', select_of(page, role))]


def chosen(page, role) -> list[str]:
    """The values a seat's select shows chosen ("" for the empty choice)."""
    return re.findall(r'<option value="(\d*)" selected>', select_of(page, role))


def by_name(org, *names) -> list[int]:
    """The user ids of `names` in the order the form lists people: by last name, first name, username.

    The database sorts them, as it does for the form: its collation (MariaDB's ignores case, Python's
    sort does not) decides where "McKee" and "Mcpherson" fall."""
    ids = [org[name].pk for name in names]
    return list(
        User.objects.filter(pk__in=ids).order_by("last_name", "first_name", "username").values_list("pk", flat=True)
    )


COMMITTEE = ("cto", "product", "hrdirector", "spare")


def test_the_designations_are_groups_with_no_permission():
    groups = Group.objects.filter(name__in=roles.DESIGNATIONS)
    assert sorted(groups.values_list("name", flat=True)) == sorted(["CTO", "Product director", "HR director"])
    assert not Permission.objects.filter(group__in=groups).exists()
    assert set(policies.SEAT_DESIGNATIONS) == set(DIRECTOR_SEATS)


def test_each_directors_seat_is_chosen_for_the_holder_of_its_role(client, org):
    designate_directors(org)
    review = requested(org)
    page, initial = schedule_initial(client, org, review)
    for role, who in zip(DIRECTOR_SEATS, ("cto", "product", "hrdirector")):
        assert initial[role] == org[who].pk, role
        # The holder first, then the other committee members in name order.
        others = by_name(org, *(name for name in COMMITTEE if name != who))
        assert options(page, role) == [org[who].pk, *others], role
        assert chosen(page, role) == [str(org[who].pk)], role
    assert initial[SeatRole.TEAM_LEAD] == org["lead"].user.pk
    assert 'data-testid="seat-hint"' in body(page)
    # Scheduled as offered: each director in their own seat.
    confirm_checklist(org["dev"])
    response = client.post(f"/reviews/{review.pk}/schedule/", schedule_data(org))
    assert response.status_code == 302
    assert dict(review.seats.values_list("role", "member_id")) == {
        role: user.pk for role, user in members(org).items()
    }


def test_the_holder_of_a_role_wins_over_who_sat_in_its_seat_last(client, org):
    # Last time each director sat in their own seat; now spare holds the CTO's role and the
    # CTO the HR director's, and nobody holds the product director's.
    scheduled(org)
    services.review_withdraw(review=PromotionReview.objects.get(), by=org["hr"], reason="Moved to next quarter")
    designate(org["spare"], roles.CTO)
    designate(org["cto"], roles.HR_DIRECTOR)
    other = services.review_request(statement="Ready.", candidate=org["other_dev"], by=org["other_dev"].user)
    page, initial = schedule_initial(client, org, other)
    assert initial[SeatRole.CTO] == org["spare"].pk
    assert initial[SeatRole.HR_DIRECTOR] == org["cto"].pk
    # A seat whose role nobody holds still goes to who sat in it last.
    assert initial[SeatRole.PRODUCT] == org["product"].pk
    assert options(page, SeatRole.HR_DIRECTOR)[0] == org["cto"].pk
    assert options(page, SeatRole.PRODUCT) == by_name(org, *COMMITTEE)


def test_two_holders_of_a_role_are_offered_first_and_neither_is_chosen(client, org):
    designate_directors(org)
    designate(org["spare"], roles.CTO)
    page, initial = schedule_initial(client, org, requested(org))
    assert SeatRole.CTO not in initial
    # Both holders first, then the others, each part in name order; the empty choice is shown.
    assert options(page, SeatRole.CTO) == by_name(org, "cto", "spare") + by_name(org, "hrdirector", "product")
    assert chosen(page, SeatRole.CTO) == [""]
    # The other seats still go to their one holder.
    assert initial[SeatRole.PRODUCT] == org["product"].pk
    assert initial[SeatRole.HR_DIRECTOR] == org["hrdirector"].pk


def test_a_holder_who_left_the_committee_is_not_offered(client, org):
    designate_directors(org)
    org["cto"].groups.remove(Group.objects.get(name=roles.COMMITTEE))
    review = requested(org)
    page, initial = schedule_initial(client, org, review)
    assert SeatRole.CTO not in initial
    for role in DIRECTOR_SEATS:
        assert org["cto"].pk not in options(page, role), role
    assert initial[SeatRole.PRODUCT] == org["product"].pk
    # Seating them anyway is refused, and nothing is written.
    confirm_checklist(org["dev"])
    before = db_state()
    response = client.post(f"/reviews/{review.pk}/schedule/", schedule_data(org))
    assert response.status_code == 400
    assert response.context["forms"]["schedule"].errors.keys() == {SeatRole.CTO}
    assert db_state() == before


@pytest.mark.parametrize("who", ["cto", "hrdirector"])
def test_a_holder_of_a_directors_role_does_not_schedule(client, org, who, mailoutbox,
                                                       django_capture_on_commit_callbacks):
    """Holding a role is no right to schedule: a seated director who moves the defense gets 403."""
    designate_directors(org)
    review = scheduled(org)
    before = db_state()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = login(client, org[who]).post(
            f"/reviews/{review.pk}/schedule/", schedule_data(org, place="Room 9", cto=org["spare"])
        )
    assert response.status_code == 403
    assert db_state() == before and callbacks == [] and mailoutbox == []


def test_the_seat_hint_in_russian(client, org):
    client.cookies["django_language"] = "ru"
    page = login(client, org["hr"]).get(f"/reviews/{requested(org).pk}/")
    hint = body(page).split('data-testid="seat-hint">')[1].split("</p>")[0]
    assert "Для места директора сначала предлагаются" in hint and "группе Committee" in hint


# --- Times with their zone ---------------------------------------------------------------------------


@pytest.fixture
def moscow(settings):
    settings.TIME_ZONE = "Europe/Moscow"
    timezone.activate("Europe/Moscow")
    yield
    timezone.deactivate()


def test_a_typed_time_is_read_in_the_named_zone_and_shown_with_it(client, org, moscow):
    review = requested(org)
    confirm_checklist(org["dev"])
    when = (timezone.localtime() + datetime.timedelta(days=7)).replace(hour=10, minute=30, second=0, microsecond=0)
    page, _initial = schedule_initial(client, org, review)
    assert "Date and time (Europe/Moscow)" in body(page)
    response = client.post(f"/reviews/{review.pk}/schedule/", schedule_data(org, when=when))
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.scheduled_for == when
    assert review.scheduled_for.astimezone(datetime.timezone.utc).hour == 7  # UTC+3
    detail = body(client.get(f"/reviews/{review.pk}/"))
    assert f'{when:%Y-%m-%d} 10:30 <span class="muted" data-testid="time-zone">Europe/Moscow</span>' in detail
    listing = body(client.get("/reviews/"))
    assert "(Europe/Moscow)" in listing and f"{when:%Y-%m-%d} 10:30" in listing
    assert "Europe/Moscow" in body(client.get("/reviews/upcoming/"))
    progress = body(login(client, org["dev"]).get("/me/"))
    assert f"scheduled for {when:%Y-%m-%d} 10:30 Europe/Moscow" in progress


# --- The request button --------------------------------------------------------------------------------


def test_before_the_earliest_date_the_button_is_disabled_with_the_date(client):
    lead = hire(level_code="senior", roles=["Developer", "Team lead"])
    hired = timezone.localdate() - datetime.timedelta(days=30)
    dev = hire(level_code="middle", team_lead=lead, hire_date=hired)
    page = body(login(client, dev).get("/me/"))
    earliest = client.get("/me/").context["progress"].earliest_defense
    assert earliest > timezone.localdate()
    assert f"You can request a defense from {earliest:%Y-%m-%d}." in page
    assert 'data-testid="request-button" disabled' in page
    assert 'name="statement"' not in page


def test_a_request_before_the_date_is_refused_with_a_message(client, mailoutbox, django_capture_on_commit_callbacks):
    lead = hire(level_code="senior", roles=["Developer", "Team lead"])
    dev = hire(level_code="middle", team_lead=lead, hire_date=timezone.localdate() - datetime.timedelta(days=30))
    UserFactory(roles=["HR"])
    before = db_state()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(client, dev).post(f"/reviews/request/{dev.pk}/", {"statement": "Ready now", "recommendation": ""})
    assert response.status_code == 400
    assert any(message.startswith("Too early: the next defense may be held from") for message in messages_of(response))
    page = body(response)
    assert "Ready now" in page  # what was typed is shown again
    assert 'data-testid="request-button" disabled' in page
    assert db_state() == before and mailoutbox == []


def test_unconfirmed_requirements_are_counted_next_to_the_button(client, org):
    target = TrackLevelFactory(track=org["dev"].track, level=level("middle-plus"))
    RequirementFactory.create_batch(2, track_level=target)
    page = login(client, org["dev"]).get("/me/")
    unmet = len(page.context["progress"].unmet)
    assert unmet >= 2
    text = body(page)
    assert f"{unmet} requirements of Middle+ are not confirmed yet." in text
    assert 'data-testid="request-button" aria-describedby="request-unmet"' in text
    # The request still goes through: HR decides whether to hold the defense anyway.
    response = client.post(f"/reviews/request/{org['dev'].pk}/", {"statement": "Ready.", "recommendation": ""})
    assert response.status_code == 302
    assert PromotionReview.objects.get(candidate=org["dev"]).status == ReviewStatus.REQUESTED


def test_with_every_requirement_confirmed_there_is_no_warning(client, org):
    confirm_checklist(org["dev"])
    page = login(client, org["dev"]).get("/me/")
    assert page.context["progress"].unmet == []
    text = body(page)
    assert 'data-testid="request-unmet"' not in text
    assert 'data-testid="request-button">' in text


def test_the_warning_in_russian(client, org):
    target = TrackLevelFactory(track=org["dev"].track, level=level("middle-plus"))
    RequirementFactory.create_batch(2, track_level=target)
    login(client, org["dev"])
    page = client.get("/me/", HTTP_ACCEPT_LANGUAGE="ru")
    assert "ещё не подтвержден" in body(page)
