"""The review packet with "at least N of these" groups: the committee reads the group's tally, and a
group that has enough done holds nothing back from scheduling."""

import datetime
from pathlib import Path

import pytest

from grades import services as grade_services
from grades.versions import load_framework
from grades.models import Requirement
from grades.tests.factories import UserFactory, hire
from reviews import services
from reviews.models import SeatRole
from reviews.selectors import review_for_page, review_packet
from reviews.tests.factories import in_a_week

pytestmark = pytest.mark.django_db

PLATFORM = Path(__file__).resolve().parents[2] / "grades" / "tests" / "frameworks" / "platform.yaml"


@pytest.fixture
def org():
    load_framework(PLATFORM)
    lead = hire(level_code="senior", track_slug="platform", hire_date=datetime.date(2018, 1, 1),
                roles=["Developer", "Team lead"])
    dev = hire(level_code="junior", track_slug="platform", team_lead=lead, hire_date=datetime.date(2023, 1, 9))
    return {
        "lead": lead, "dev": dev,
        "hr": UserFactory(roles=["HR"], is_staff=True),
        "members": {
            SeatRole.CTO: UserFactory(roles=["Committee"]),
            SeatRole.PRODUCT: UserFactory(roles=["Committee"]),
            SeatRole.HR_DIRECTOR: UserFactory(roles=["Committee"]),
            SeatRole.TEAM_LEAD: lead.user,
        },
    }


def confirm(org, key):
    dev = org["dev"]
    requirement = Requirement.objects.get(track__slug="platform", key=key)
    evidence = grade_services.evidence_claim(employee=dev, requirement=requirement, description="Done", by=dev.user)
    grade_services.evidence_decide(evidence=evidence, confirm=True, by=org["lead"].user)


def test_a_group_with_enough_done_leaves_nothing_unmet_and_the_defense_is_scheduled(org):
    review = services.review_request(statement="Ready for the next level.", candidate=org["dev"], by=org["lead"].user, recommendation="Ready.")
    for key in ("writes-tests", "explains-work", "python"):
        confirm(org, key)
    # One language of the two the group asks for: Go and Rust are both still open.
    assert {item.requirement.key for item in services.unmet_requirements(review)} == {"go", "rust"}
    with pytest.raises(services.ReviewError):
        services.review_schedule(review=review, when=in_a_week(), place="Room 1", members=org["members"], by=org["hr"])

    confirm(org, "go")
    packet = review_packet(review_for_page(org["hr"], review.pk))
    assert (packet.total, packet.done_count, packet.unmet) == (4, 4, [])
    scheduled = services.review_schedule(
        review=review, when=in_a_week(), place="Room 1", members=org["members"], by=org["hr"]
    )
    assert scheduled.override_reason == ""


def test_the_review_page_shows_the_groups_tally_and_the_texts_shape(client, org):
    review = services.review_request(statement="Ready for the next level.", candidate=org["dev"], by=org["lead"].user, recommendation="Ready.")
    confirm(org, "python")
    client.force_login(org["hr"])
    body = client.get(f"/reviews/{review.pk}/").content.decode()
    assert '<li class="group-head">Two of the languages · 1 of 2 done, any 2 of these 3</li>' in body
    assert "<ol><li>Writes well-tested code.</li><li>Documents it.</li></ol>" in body
    assert '<span class="badge proficiency">Working</span>' in body
    assert 'data-testid="packet-progress">1 / 4<' in body
    # The entry level's expectation is not on the packet.
    assert "Plans and delivers own work tasks" not in body
