"""The reviews admin: it shows reviews, seats, votes and the trail, and changes nothing."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from grades.tests.factories import UserFactory
from reviews.models import CommitteeSeat, PromotionReview, ReviewEvent, Vote
from reviews.tests.factories import db_state, decided, defense_day_came, organisation, requested, scheduled

pytestmark = pytest.mark.django_db


def url(model, view, *args):
    return reverse(f"admin:reviews_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def org():
    return organisation()


@pytest.fixture
def reviews(org):
    """A passed review of dev, and an open (requested) one of the fullstack developer."""
    from reviews import services

    passed = decided(org)
    # A name of its own, so that searching for the dev's name cannot find this one too.
    user = org["other_dev"].user
    user.first_name, user.last_name = "Olga", "Otherova"
    user.save(update_fields=["first_name", "last_name"])
    open_review = services.review_request(statement="Ready for the next level.", candidate=org["other_dev"], by=org["other_dev"].user,
                                          recommendation="Ships every week")
    return {"passed": passed, "open": open_review}


@pytest.fixture(params=["superuser", "hr"])
def staff(request, org):
    if request.param == "superuser":
        return UserFactory(username="root", is_staff=True, is_superuser=True)
    return org["hr"]


def test_changelist_filters_and_search(client, staff, reviews):
    client.force_login(staff)
    response = client.get(url(PromotionReview, "changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Read-only. Reviews are requested, scheduled, voted on, decided and withdrawn on the review pages" in html
    assert "Middle → Middle+" in html
    assert 'value="delete_selected"' not in html
    assert "Add promotion review" not in html

    def shown(query):
        return {r.pk for r in client.get(url(PromotionReview, "changelist") + query).context["cl"].result_list}

    assert shown("?status__exact=passed") == {reviews["passed"].pk}
    assert shown("?status__exact=requested") == {reviews["open"].pk}
    assert shown(f"?track__id__exact={reviews['open'].track_id}") == {reviews["open"].pk}
    assert shown(f"?to_level__id__exact={reviews['passed'].to_level_id}") == {
        reviews["passed"].pk, reviews["open"].pk}
    assert shown("?q=Dana") == {reviews["passed"].pk}


@pytest.mark.parametrize("which", ["passed", "open"])
def test_review_page_is_view_only_with_seats_votes_and_trail(client, staff, reviews, which):
    review = reviews[which]
    client.force_login(staff)
    response = client.get(url(PromotionReview, "change", review.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert "Read-only." in html
    assert not response.context["has_change_permission"] and not response.context["has_delete_permission"]
    if which == "passed":
        assert "cto says approve" in html  # the vote comments, for HR
        assert "The committee has spoken." in html
        trail = [f for f in response.context["inline_admin_formsets"] if f.formset.model is ReviewEvent]
        assert len(trail) == 1 and len(trail[0].formset.forms) == ReviewEvent.objects.filter(review=review).count()


def test_posting_the_change_form_changes_nothing(client, staff, reviews):
    client.force_login(staff)
    for review in reviews.values():
        before = db_state()
        response = client.post(url(PromotionReview, "change", review.pk), {
            "status": "passed", "place": "Hijacked", "decision_note": "edited in admin",
        })
        assert response.status_code == 403
        assert db_state() == before


@pytest.mark.parametrize("model", [PromotionReview, Vote, ReviewEvent])
def test_nothing_is_added_or_deleted(client, staff, reviews, model):
    client.force_login(staff)
    obj = model.objects.order_by("id").first()
    before = db_state()
    assert client.get(url(model, "add")).status_code == 403
    assert client.post(url(model, "add"), {}).status_code == 403
    assert client.get(url(model, "delete", obj.pk)).status_code == 403
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    changelist = client.post(url(model, "changelist"), {
        "action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert changelist.status_code in (200, 302)
    assert db_state() == before


def test_no_admin_grants_add_change_or_delete(org, reviews):
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    passed, open_review = reviews["passed"], reviews["open"]
    seat = CommitteeSeat.objects.filter(review=passed).first()
    review_admin = admin.site._registry[PromotionReview]
    checks = [(review_admin, passed), (review_admin, open_review), (review_admin, None)]
    for model, obj in [(Vote, seat.vote), (ReviewEvent, passed.events.first())]:
        checks.append((admin.site._registry[model], obj))
    for inline in review_admin.get_inline_instances(request, passed):
        checks.append((inline, passed))
    assert len(checks) == 7
    for model_admin, obj in checks:
        assert not model_admin.has_add_permission(request, obj) if hasattr(model_admin, "parent_model") \
            else not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, obj), model_admin
        assert not model_admin.has_delete_permission(request, obj), model_admin
        assert model_admin.has_view_permission(request, obj), model_admin


def test_votes_and_trail_admin_pages_load_for_hr(client, org, reviews):
    client.force_login(org["hr"])
    for model in (Vote, ReviewEvent):
        response = client.get(url(model, "changelist"))
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == model.objects.count()
        obj = model.objects.order_by("id").first()
        assert client.get(url(model, "change", obj.pk)).status_code == 200


def test_a_staff_committee_member_sees_only_their_reviews_and_no_votes(client, org):
    """Committee members may view reviews in the admin, but the admin keeps the votes secret
    (as the review page does before they vote) and shows only reviews they sit on."""
    review = defense_day_came(scheduled(org))
    from reviews import services

    services.review_vote(review=review, by=org["product"], value="reject", comment="Secret opinion")
    unseen = services.review_request(statement="Ready for the next level.", candidate=org["other_dev"], by=org["other_dev"].user)
    cto = org["cto"]
    cto.is_staff = True
    cto.save()
    client.force_login(cto)
    response = client.get(url(PromotionReview, "changelist"))
    assert response.status_code == 200
    assert {r.pk for r in response.context["cl"].result_list} == {review.pk}
    assert client.get(url(PromotionReview, "change", unseen.pk)).status_code == 302  # "does not exist" redirect
    page = client.get(url(PromotionReview, "change", review.pk))
    assert page.status_code == 200
    assert "Secret opinion" not in page.content.decode() and "Reject" not in page.content.decode()
    for model in (Vote, ReviewEvent):
        assert client.get(url(model, "changelist")).status_code == 403


def test_admin_index_lists_reviews_for_hr(client, org):
    requested(org)
    client.force_login(org["hr"])
    html = client.get(reverse("admin:index")).content.decode()
    assert url(PromotionReview, "changelist") in html
    assert url(Vote, "changelist") in html and url(ReviewEvent, "changelist") in html
