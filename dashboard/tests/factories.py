"""An organisation for the dashboard's tests: two teams (six and three people), promotions,
decided defenses, old and fresh claims, and a salary band, dated relative to today."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from grades import services
from grades.models import GradeChangeKind, Level, Requirement
from grades.rules import add_months
from grades.tests.factories import EvidenceFactory, UserFactory, hire
from pay.models import SalaryBand
from reviews.models import PromotionReview, ReviewStatus


def months_ago(n: int) -> datetime.date:
    return add_months(timezone.localdate(), -n)


def promote(employee, *, to: str, months: int):
    return services.grade_change_record(
        employee=employee, kind=GradeChangeKind.PROMOTION,
        level=Level.objects.of_track(employee.track_id).get(code=to), effective_date=months_ago(months),
    )


def claim(employee, *, index: int, days: int):
    requirement = Requirement.objects.filter(track=employee.track).order_by("id")[index]
    return EvidenceFactory(employee=employee, requirement=requirement,
                           claimed_at=timezone.now() - datetime.timedelta(days=days))


def decided_review(candidate, *, to: str, passed: bool, by, days_ago: int = 10):
    level = Level.objects.of_track(candidate.track_id)
    target = level.get(code=to)
    when = timezone.now() - datetime.timedelta(days=days_ago)
    return PromotionReview.objects.create(
        candidate=candidate, track=candidate.track, from_level=level.get(rank=target.rank - 1), to_level=target,
        status=ReviewStatus.PASSED if passed else ReviewStatus.FAILED, requested_by=by,
        requested_at=when - datetime.timedelta(days=30), scheduled_for=when, decided_at=when, decided_by=by,
    )


def organisation() -> dict:
    hr = UserFactory(username="hr", roles=["HR"])
    manager = UserFactory(username="manager", roles=["Manager"])
    developer = UserFactory(username="developer", roles=["Developer"])
    big = hire(level_code="senior", hire_date=months_ago(60), roles=["Developer", "Team lead"],
               user=UserFactory(username="big", first_name="Bella", last_name="Biglead", roles=["Developer", "Team lead"]))
    small = hire(level_code="senior", track_slug="fullstack", hire_date=months_ago(60),
                 user=UserFactory(username="small", first_name="Sam", last_name="Smalllead", roles=["Developer", "Team lead"]))
    b1 = hire(level_code="middle", team_lead=big, hire_date=months_ago(30))
    b2 = hire(level_code="middle", team_lead=big, hire_date=months_ago(4))
    b3 = hire(level_code="junior-plus", team_lead=big, hire_date=months_ago(14))
    b4 = hire(level_code="junior-plus", track_slug="fullstack", team_lead=big, hire_date=months_ago(9))
    b5 = hire(level_code="middle", track_slug="fullstack", team_lead=big, hire_date=months_ago(20))
    b6 = hire(level_code="senior", team_lead=big, hire_date=months_ago(13), probation_end=months_ago(11))
    s1 = hire(level_code="middle", team_lead=small, hire_date=months_ago(8))
    s2 = hire(level_code="middle", track_slug="fullstack", team_lead=small, hire_date=months_ago(25))
    s3 = hire(level_code="junior", team_lead=small, hire_date=months_ago(1))
    promote(b3, to="junior-plus-plus", months=1)
    promote(b5, to="middle-plus", months=2)
    services.record_failed_defense(employee=b1, on=months_ago(1))
    # Five decided defenses of Middle+ (three passed) and one of Senior+.
    for candidate, passed in ((b1, False), (b2, True), (s1, True), (s2, True), (b5, False)):
        decided_review(candidate, to="middle-plus", passed=passed, by=hr)
    decided_review(b6, to="senior-plus", passed=True, by=hr)
    # Claims: three old ones in the big team, one old one in the small team, one fresh.
    claim(b1, index=0, days=20)
    claim(b1, index=1, days=20)
    claim(b2, index=0, days=30)
    claim(s1, index=0, days=40)
    claim(b2, index=1, days=2)
    band = SalaryBand.objects.create(level=Level.objects.get(ladder__slug="standard", code="middle"), track=None,
                                     currency="EUR", minimum=Decimal("3000"), maximum=Decimal("4500"),
                                     valid_from=months_ago(12))
    return {
        "hr": hr, "manager": manager, "developer": developer, "big": big, "small": small,
        "big_team": [b1, b2, b3, b4, b5, b6], "small_team": [s1, s2, s3], "band": band,
    }
