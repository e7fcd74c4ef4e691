"""Factories for the grades models. Levels and the shipped tracks come from migrations."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from grades import models, services


def level(code: str, ladder: str = models.Ladder.DEFAULT_SLUG) -> models.Level:
    """A level by its key on a ladder (the shipped `standard` one by default): keys are unique per ladder."""
    return models.Level.objects.get(code=code, ladder__slug=ladder)


def add_level(
    *, rank: int, code: str, name: str, ladder: str = models.Ladder.DEFAULT_SLUG, **fields
) -> models.Level:
    """A level added to a ladder (the shipped one by default), and the ladders of the tracks
    that climb it laid out again, as a framework load would."""
    new = models.Level.objects.create(ladder=models.Ladder.objects.get(slug=ladder), rank=rank, code=code, name=name, **fields)
    services.track_ladders_refresh()
    return new


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests-only")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """UserFactory(roles=["HR"]) puts the user in those groups."""
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))


class TrackFactory(factory.django.DjangoModelFactory):
    """A track on the shipped ladder (or `ladder`), with its full ladder laid out."""

    class Meta:
        model = models.Track
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"track-{n}")
    name = factory.Sequence(lambda n: f"Track {n}")
    ladder = factory.LazyFunction(lambda: models.Ladder.objects.get(slug=models.Ladder.DEFAULT_SLUG))

    @factory.post_generation
    def lay_out_ladder(self, create, extracted, **kwargs):
        if create:
            services.track_ladders_refresh(tracks=[self.pk])


class TrackLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.TrackLevel
        django_get_or_create = ("track", "level")

    track = factory.SubFactory(TrackFactory)
    level = factory.LazyFunction(lambda: level("junior-plus"))
    comment = "A level comment"


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Requirement

    track_level = factory.SubFactory(TrackLevelFactory)
    key = factory.Sequence(lambda n: f"req-{n}")
    category_id = models.RequirementCategory.HARD_SKILL.value
    text = factory.Sequence(lambda n: f"Требование {n}")
    text_en = factory.Sequence(lambda n: f"Requirement {n}")


class BookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Book

    track_level = factory.SubFactory(TrackLevelFactory)
    title = factory.Sequence(lambda n: f"Book {n}")
    author = "An Author"


class EmployeeFactory(factory.django.DjangoModelFactory):
    """An employee WITHOUT ledger entries; use `hire()` for a person with a level."""

    class Meta:
        model = models.Employee

    user = factory.SubFactory(UserFactory)
    track = factory.LazyFunction(lambda: models.Track.objects.get(slug="backend"))
    hire_date = datetime.date(2022, 1, 10)
    career_start = factory.LazyAttribute(lambda e: e.hire_date)


def hire(
    *,
    level_code: str = "junior",
    track_slug: str = "backend",
    hire_date: datetime.date = datetime.date(2022, 1, 10),
    probation_end: datetime.date | None = None,
    career_start: datetime.date | None = None,
    team_lead: models.Employee | None = None,
    user=None,
    roles=(),
) -> models.Employee:
    """A hired employee with the hire entry in the ledger, through the real service.

    `level_code` is a key of the track's full ladder.
    """
    track = models.Track.objects.get(slug=track_slug)
    return services.employee_hire(
        user=user or UserFactory(roles=list(roles) or ["Developer"]),
        track=track,
        level=models.Level.objects.of_track(track.pk).get(code=level_code),
        hire_date=hire_date,
        career_start=career_start,
        probation_end=probation_end,
        team_lead=team_lead,
    )


class MentorshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Mentorship

    mentor = factory.SubFactory(EmployeeFactory)
    mentee = factory.SubFactory(EmployeeFactory)
    started_on = datetime.date(2023, 1, 1)


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Evidence

    employee = factory.SubFactory(EmployeeFactory)
    requirement = factory.LazyAttribute(
        lambda e: models.Requirement.objects.filter(track=e.employee.track).order_by("id").first()
    )
    description = "Built the payment retry worker"
    links = factory.LazyFunction(lambda: ["https://git.example.com/pr/1"])
    claimed_by = factory.LazyAttribute(lambda e: e.employee.user)
    claimed_at = factory.LazyFunction(lambda: datetime.datetime(2024, 3, 1, 12, 0, tzinfo=datetime.timezone.utc))

    class Params:
        confirmed = factory.Trait(
            status=models.EvidenceStatus.CONFIRMED,
            decided_by=factory.SubFactory(UserFactory),
            decided_at=factory.LazyFunction(
                lambda: datetime.datetime(2024, 3, 5, 12, 0, tzinfo=datetime.timezone.utc)
            ),
        )
        rejected = factory.Trait(
            status=models.EvidenceStatus.REJECTED,
            decided_by=factory.SubFactory(UserFactory),
            decided_at=factory.LazyFunction(
                lambda: datetime.datetime(2024, 3, 5, 12, 0, tzinfo=datetime.timezone.utc)
            ),
            decision_comment="Not enough",
        )


class EvidenceEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.EvidenceEvent

    evidence = factory.SubFactory(EvidenceFactory)
    action = models.EvidenceEvent.Action.CLAIMED
    actor = factory.LazyAttribute(lambda e: e.evidence.claimed_by)
    at = factory.LazyAttribute(lambda e: e.evidence.claimed_at)
