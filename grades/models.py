"""
The career framework (levels, tracks, requirements) and each person's place on it.

Invariants are database constraints wherever the database can hold them, and
they are written so that MariaDB/MySQL enforces them as well as SQLite: MySQL has
no partial indexes, so "at most one X per person" is a unique index over a
nullable generated column that is 1 while the row counts and NULL otherwise
(a unique index admits any number of NULLs).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, F, Q, Subquery, Value, When
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from simple_history.models import HistoricalRecords

from common.validators import validate_calendar_date, validate_link

from . import reasons, rules


class AppendOnlyQuerySet(models.QuerySet):
    """A QuerySet whose rows are history: no bulk update, no delete."""

    def update(self, **kwargs):
        raise ValidationError(_("History is append-only: rows cannot be updated."))

    def delete(self):
        raise ValidationError(_("History is append-only: rows cannot be deleted."))


class AppendOnlyModel(models.Model):
    """History rows: written once, never changed, never deleted."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("History is append-only: this row cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("History is append-only: this row cannot be deleted."))


class SingleRowModel(models.Model):
    """Settings kept as data: a table of one row (id 1), so that every change has a history.

    The data migration that creates such a table stores the row with its defaults and
    the admin offers only to change it. Subclasses hold it to one row with a
    CheckConstraint on `id = 1`; the key is a plain column, not an auto-increment one,
    which MariaDB allows in no CHECK constraint.
    """

    ROW_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ROW_ID, editable=False)

    class Meta:
        abstract = True

    @classmethod
    def current(cls):
        """The stored row, or an unsaved one with the defaults (those the migration stores).

        The row is never deleted by the product; were it missing anyway, deciding by
        the documented defaults is what the product did before the row existed.
        """
        return cls._default_manager.filter(pk=cls.ROW_ID).first() or cls(pk=cls.ROW_ID)


# --- The framework ---------------------------------------------------------------


class Ladder(models.Model):
    """An ordered list of levels that one or more tracks climb.

    The shipped default is `standard`, the nine levels from Junior to Senior++ that
    backend and fullstack share; a framework file may bring a ladder of its own.
    """

    DEFAULT_SLUG = "standard"

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_ru = models.CharField(_("Russian name"), max_length=100, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["slug"]
        verbose_name = _("ladder")
        verbose_name_plural = _("ladders")

    def __str__(self) -> str:
        # In the reader's language: messages and choices that name one read the same as its pages.
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the interface language (the Russian one when there is one)."""
        return _in_language(self.name, self.name_ru)


class LevelQuerySet(models.QuerySet):
    def of_track(self, track_id: int):
        """The levels of a track's full ladder (a fork's shared levels included), in rank order."""
        return self.filter(rungs__track_id=track_id).order_by("rank")


class Level(models.Model):
    """One rung of a ladder. Its key (`code`), rank and name are unique within its ladder only."""

    ladder = models.ForeignKey(Ladder, on_delete=models.PROTECT, related_name="levels", verbose_name=_("ladder"))
    # The position in the ladder. A fork's own ladder starts at the rank of the level it
    # forks at, so a rank is also the position in the full ladder of every track that climbs it.
    rank = models.PositiveSmallIntegerField(_("rank"))
    code = models.SlugField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    name_ru = models.CharField(_("Russian name"), max_length=100, blank=True)
    entry_only = models.BooleanField(
        _("entry only"),
        default=False,
        help_text=_("People are hired into this level; nobody is promoted into it."),
    )
    min_months_in_previous = models.PositiveSmallIntegerField(
        _("minimum months in the level below"),
        default=6,
        help_text=_("Time to spend in the level below before defending this one."),
    )
    # The main grade (Junior, Middle, Senior on the standard ladder) a level belongs to:
    # a level of the same ladder at or below it, itself when it starts one. The weighted
    # salary bands read it (rules.build_ladder).
    main_grade = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("main grade"),
        help_text=_("The main grade this level belongs to; a level that starts a main grade names itself."),
    )

    history = HistoricalRecords()
    objects = LevelQuerySet.as_manager()

    class Meta:
        ordering = ["ladder_id", "rank"]
        verbose_name = _("level")
        verbose_name_plural = _("levels")
        constraints = [
            models.CheckConstraint(
                condition=Q(rank__gte=1, rank__lte=99), name="level_rank_range"
            ),
            models.CheckConstraint(
                condition=Q(min_months_in_previous__lte=120), name="level_min_months_sane"
            ),
            models.UniqueConstraint(fields=["ladder", "rank"], name="level_unique_rank_per_ladder"),
            models.UniqueConstraint(fields=["ladder", "code"], name="level_unique_code_per_ladder"),
            models.UniqueConstraint(fields=["ladder", "name"], name="level_unique_name_per_ladder"),
        ]

    def __str__(self) -> str:
        # In the reader's language: messages and choices that name one read the same as its pages.
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the interface language (the Russian one when there is one)."""
        return _in_language(self.name, self.name_ru)

    @property
    def is_main_grade(self) -> bool:
        return self.main_grade_id is not None and self.main_grade_id == self.pk


FIRST_RANK = 1


def counted_levels(prefix: str = "") -> Q:
    """The levels whose requirements go on checklists, as a filter (`prefix` leads to a Level).

    The entry-only levels and the ladder's first level are left out: nobody is promoted
    into them, so their requirements are expectations of whoever is hired there, shown
    on the ladder and never claimed or counted (rules.holds_expectations says the same
    of a level in hand).
    """
    # Every full ladder starts at rank 1 (rules.full_ladder; a fork's own levels continue its
    # parent's ranks), so the first level of anyone's ladder is the one of rank 1.
    return Q(**{f"{prefix}entry_only": False}) & Q(**{f"{prefix}rank__gt": FIRST_RANK})


class TrackQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Track(models.Model):
    """A specialisation with its own ladder content: backend, fullstack, ...

    A track climbs a ladder, its own or one it shares with other tracks. A fork branches
    from another track at a level (individual contributor vs people manager): the
    parent's levels below `fork_at`, and the parent's requirements on them, are the
    fork's too, shared rather than copied; the fork's own ladder starts at fork_at's rank.
    """

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_ru = models.CharField(_("Russian name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    ladder = models.ForeignKey(Ladder, on_delete=models.PROTECT, related_name="tracks", verbose_name=_("ladder"))
    fork_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="forks", verbose_name=_("fork of")
    )
    fork_at = models.ForeignKey(
        Level, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("fork at"),
        help_text=_("The parent's level at which this track branches off; the levels below it are shared."),
    )

    history = HistoricalRecords()
    objects = TrackQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("track")
        verbose_name_plural = _("tracks")
        constraints = [
            # A fork names both its parent and the level it branches at, or neither.
            models.CheckConstraint(
                condition=Q(fork_of__isnull=True, fork_at__isnull=True)
                | Q(fork_of__isnull=False, fork_at__isnull=False),
                name="track_fork_complete",
            ),
        ]

    def __str__(self) -> str:
        # In the reader's language: messages and choices that name one read the same as its pages.
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the interface language (the Russian one when there is one)."""
        return _in_language(self.name, self.name_ru)


class TrackRung(models.Model):
    """One level of a track's full ladder, and the track whose requirements on it apply.

    Laid out by services.track_ladders_refresh (from rules.full_ladder, the one place that
    computes a full ladder) whenever a ladder or a fork changes, so that any query, the
    exports' raw SQL included, finds a person's next level and checklist with a join: for
    a fork, the parent's levels below the fork are rungs owned by the parent, whose
    requirements on them apply; the levels from the fork on are owned by the fork.
    """

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="rungs")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="rungs")
    # level.rank, copied: the position in this track's full ladder.
    rank = models.PositiveSmallIntegerField(_("rank"))
    # The track whose requirements on this level (its TrackLevel of the level) apply.
    owner = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")

    history = HistoricalRecords()

    class Meta:
        ordering = ["track_id", "rank"]
        verbose_name = _("rung of a track's ladder")
        verbose_name_plural = _("rungs of tracks' ladders")
        constraints = [
            models.UniqueConstraint(fields=["track", "rank"], name="trackrung_unique_rank"),
            models.UniqueConstraint(fields=["track", "level"], name="trackrung_unique_level"),
        ]
        indexes = [models.Index(fields=["level", "owner"], name="trackrung_level_owner")]

    def __str__(self) -> str:
        return f"{self.track_id} · {self.rank}"


class TrackLevel(models.Model):
    """A level as one track describes it: its comment, requirements and books."""

    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="track_levels")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="track_levels")
    comment = models.TextField(_("comment"), blank=True)
    comment_en = models.TextField(_("comment (English)"), blank=True)

    history = HistoricalRecords()
    class Meta:
        ordering = ["track__name", "level__rank"]
        verbose_name = _("track level")
        verbose_name_plural = _("track levels")
        constraints = [
            models.UniqueConstraint(fields=["track", "level"], name="tracklevel_unique_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.track} · {self.level}"

    def clean(self):
        super().clean()
        # A track describes the levels of its own ladder; a fork's shared levels are its parent's.
        if self.track_id is not None and self.level_id is not None:
            if self.level.ladder_id != self.track.ladder_id:
                raise ValidationError({"level": _("%(level)s is not a level of the %(track)s track's own ladder.")
                                       % {"level": self.level, "track": self.track}})


def _in_language(name: str, name_ru: str) -> str:
    """The Russian name when the interface speaks Russian and there is one, else the English."""
    if name_ru and (get_language() or "en").startswith("ru"):
        return name_ru
    return name


CATEGORY_KEY_RE = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"


class Category(models.Model):
    """A theme that a track's requirements are sorted by (hard skills, security, communication...).

    Themes are the company's: the eight of RequirementCategory ship as rows (migration
    0018), and a framework file's `categories:` adds or renames others. Requirements
    refer to a theme by its key, which therefore never changes once saved.
    """

    key = models.CharField(
        _("key"),
        max_length=50,
        unique=True,
        validators=[
            RegexValidator(
                CATEGORY_KEY_RE,
                _("Lower-case letters and digits, words joined by hyphens or underscores."),
            )
        ],
    )
    name = models.CharField(_("name"), max_length=100)
    name_ru = models.CharField(_("Russian name"), max_length=100, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the reader's language."""
        return _in_language(self.name, self.name_ru)


class RequirementGroup(models.Model):
    """Requirements of one level of which a person needs at least N rather than all.

    A checklist counts the group as `at_least` lines (never more than the group's
    active requirements), done as far as that many of its requirements are confirmed.
    """

    track_level = models.ForeignKey(TrackLevel, on_delete=models.PROTECT, related_name="groups")
    key = models.SlugField(_("key"), max_length=80)
    at_least = models.PositiveSmallIntegerField(_("at least"), validators=[MinValueValidator(1)])
    name = models.CharField(_("name"), max_length=200, blank=True)
    name_ru = models.CharField(_("Russian name"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["track_level", "key"]
        verbose_name = _("requirement group")
        verbose_name_plural = _("requirement groups")
        constraints = [
            models.UniqueConstraint(fields=["track_level", "key"], name="requirementgroup_unique_key"),
            models.CheckConstraint(condition=Q(at_least__gte=1), name="requirementgroup_at_least_positive"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The group's name in the reader's language, or "At least N of these"."""
        from django.utils.translation import gettext

        return _in_language(self.name, self.name_ru) or gettext("At least %(n)s of these") % {"n": self.at_least}


class RequirementCategory(models.TextChoices):
    """The eight themes the product ships, as rows of Category (a company may define more)."""

    HARD_SKILL = "hard_skill", _("Hard skill")
    PRACTICE = "practice", _("Engineering practice")
    PRODUCT = "product", _("Product knowledge")
    LEADERSHIP = "leadership", _("Leadership and mentoring")
    SECURITY = "security", _("Security")
    CONTRIBUTION = "contribution", _("Contribution")
    READING = "reading", _("Reading")
    EXPERIENCE = "experience", _("Experience")


class CheckKind(models.TextChoices):
    """Requirements the product judges from its own data rather than a person's word."""

    NONE = "", _("Confirmed by the team lead")
    EXPERIENCE_YEARS = "experience_years", _("Years of experience")
    MENTEE_PROMOTED = "mentee_promoted", _("A mentee was promoted")
    MENTEE_COUNT = "mentee_count", _("Number of current mentees")


class RequirementQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def counted(self):
        """Requirements that go on checklists: not the expectations of an entry level."""
        return self.filter(counted_levels("track_level__level__"))

    def on_ladder_of(self, track):
        """The requirements a person on `track` (a Track or its id) meets: the track's own and,
        for a fork, the parent's on the levels below the fork (the track's rungs say whose)."""
        track_id = getattr(track, "pk", track)
        # One filter() call: both conditions apply to the same joined rung.
        return self.filter(track_level__level__rungs__track_id=track_id, track_level__level__rungs__owner_id=F("track_id"))

    def for_track_up_to(self, track, rank: int):
        """The cumulative checklist: every active requirement of the track's full ladder up to `rank`,
        with its level, category and group (the expectations of the entry level are not on it)."""
        return (
            self.active()
            .counted()
            .on_ladder_of(track)
            .filter(track_level__level__rank__lte=rank)
            .select_related("track_level__level", "category", "group")
            .order_by("track_level__level__rank", "position", "id")
        )


class Requirement(models.Model):
    """One line of a track's level. A level's checklist is every line of levels up to it."""

    track_level = models.ForeignKey(
        TrackLevel, on_delete=models.PROTECT, related_name="requirements"
    )
    # The track again, so that a key is unique within the track across its levels.
    # Always equal to track_level.track (set in save()).
    track = models.ForeignKey(
        Track, on_delete=models.PROTECT, related_name="requirements", editable=False
    )
    key = models.SlugField(_("key"), max_length=80)
    # By key, in the column that held the key before themes were data: raw SQL and
    # spreadsheets read the same value, and the database refuses an unknown theme.
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        to_field="key",
        db_column="category",
        related_name="requirements",
        verbose_name=_("category"),
    )
    text = models.TextField(_("text"))
    text_en = models.TextField(_("text (English)"), blank=True)
    proficiency = models.CharField(
        _("proficiency"), max_length=100, blank=True,
        help_text=_("How well, in a word or two (Awareness, Working, Practitioner...)."),
    )
    examples = models.TextField(_("examples"), blank=True)
    group = models.ForeignKey(
        RequirementGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requirements",
        verbose_name=_("group"),
        help_text=_("Counts towards the group's \"at least N\" instead of being required on its own."),
    )
    origin = models.CharField(
        _("origin"),
        max_length=10,
        choices=[("track", _("Track article")), ("common", _("Common concepts"))],
        default="track",
    )
    check_kind = models.CharField(
        _("judged by"), max_length=20, choices=CheckKind.choices, default="", blank=True
    )
    check_params = models.JSONField(_("check parameters"), default=dict, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Retired requirements stay for the history of evidence but leave checklists."),
    )
    # The version of the track's framework that brought the current wording (text or
    # text_en); a decision made against an earlier version was made against other words
    # (grades.versions). NULL for a requirement no framework load has written. Derived
    # from the versions, written by the load that appends one.
    wording_version = models.ForeignKey(
        "FrameworkVersion", on_delete=models.PROTECT, related_name="+", null=True, blank=True,
        editable=False, verbose_name=_("wording of version"),
    )

    # wording_version is derived from the framework versions and refreshed with them
    # (common.audit.DERIVED_FIELDS): the version row records who loaded it, and when.
    history = HistoricalRecords(excluded_fields=["wording_version"])
    objects = RequirementQuerySet.as_manager()

    class Meta:
        ordering = ["track_level__level__rank", "position", "id"]
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        constraints = [
            models.UniqueConstraint(fields=["track", "key"], name="requirement_unique_key"),
            models.CheckConstraint(
                condition=Q(check_kind__in=CheckKind.values), name="requirement_check_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["track", "is_active"], name="requirement_track_active")]

    def __str__(self) -> str:
        return self.text_en or self.text

    def save(self, *args, **kwargs):
        self.track_id = self.track_level.track_id
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        # Only a mentee_promoted check names levels; the others need no ladder read.
        level_ranks = (
            dict(Level.objects.of_track(self.track_level.track_id).values_list("code", "rank"))
            if self.check_kind == CheckKind.MENTEE_PROMOTED and self.track_level_id is not None
            else None
        )
        try:
            rules.validate_check(self.check_kind, self.check_params, level_ranks)
        except ValueError as exc:
            raise ValidationError({"check_params": str(exc)}) from exc
        if self.group_id is not None:
            group_level = RequirementGroup.objects.filter(pk=self.group_id).values_list("track_level_id", flat=True).first()
            if group_level != self.track_level_id:
                raise ValidationError({"group": _("The group belongs to another level; choose one of this level's groups.")})
            if self.check_kind:
                raise ValidationError(
                    {"group": _("A requirement judged from data is met or not on its own; it cannot be in a group.")}
                )

    @property
    def is_data_checked(self) -> bool:
        return bool(self.check_kind)


class BookQuerySet(models.QuerySet):
    def on_ladder_of(self, track):
        """The books a person on `track` (a Track or its id) reads: the reading lists of the
        track's own levels and, for a fork, the parent's on the levels below the fork
        (Requirement.objects.on_ladder_of's rule, through the track's rungs)."""
        track_id = getattr(track, "pk", track)
        # One filter() call: both conditions apply to the same joined rung.
        return self.filter(
            track_level__level__rungs__track_id=track_id,
            track_level__level__rungs__owner_id=F("track_level__track_id"),
        )


class Book(models.Model):
    """A book on a level's reading list."""

    track_level = models.ForeignKey(TrackLevel, on_delete=models.CASCADE, related_name="books")
    title = models.CharField(_("title"), max_length=200)
    author = models.CharField(_("author"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()
    objects = BookQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("book")
        verbose_name_plural = _("books")
        constraints = [
            models.UniqueConstraint(fields=["track_level", "title"], name="book_unique_per_level"),
        ]

    def __str__(self) -> str:
        return f"{self.title} — {self.author}" if self.author else self.title


# --- People --------------------------------------------------------------------------


class EmployeeQuerySet(models.QuerySet):
    def with_current_level(self):
        return self.select_related("user", "track", "current_level")

    def in_track(self, slug: str):
        return self.filter(track__slug=slug)

    def active(self):
        return self.filter(left_on__isnull=True)


class Employee(models.Model):
    """A person on a track. Their level is the latest entry of their grade ledger."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="employee"
    )
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="employees")
    team_lead = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("team lead"),
    )
    hire_date = models.DateField(_("hire date"), validators=[validate_calendar_date])
    probation_end = models.DateField(
        _("probation end"), null=True, blank=True, validators=[validate_calendar_date]
    )
    career_start = models.DateField(
        _("career start"),
        help_text=_("Start of programming work, earlier jobs included."),
        validators=[validate_calendar_date],
    )
    left_on = models.DateField(_("left on"), null=True, blank=True, validators=[validate_calendar_date])
    # Denormalised from the ledger for fast lists; written only by the ledger service.
    current_level = models.ForeignKey(
        Level, on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )
    # The day the current level began: a track change that keeps the level leaves it alone.
    current_level_since = models.DateField(null=True, editable=False)
    # The day of the person's latest failed defense, from which the cool-down before the
    # next one counts (rules.earliest_defense_date). The app that runs defenses records it
    # through services.record_failed_defense in the transaction of its decision.
    last_failed_defense_on = models.DateField(_("last failed defense"), null=True, blank=True, editable=False)
    # What the people list shows and sorts by, kept by the grade services in the same
    # transaction as the write that changes them (services.employee_counts_refresh);
    # `manage.py check_employee_counts` compares them with a recount.
    # People-judged lines of the cumulative checklist of the next level (rank + 1).
    checklist_total = models.PositiveIntegerField(_("checklist lines"), default=0, editable=False)
    # Confirmed claims on those lines.
    checklist_done = models.PositiveIntegerField(_("checklist lines confirmed"), default=0, editable=False)
    # Claims waiting for the team lead's decision.
    waiting_claims = models.PositiveIntegerField(_("waiting claims"), default=0, editable=False)

    # The level is copied from the grade ledger, the counts are counted from evidence and
    # the failed defense is copied from the committee's decision; each is refreshed in the transaction of the audited write that changed its source
    # (common.audit.DERIVED_FIELDS), so the employee's history leaves them out.
    history = HistoricalRecords(
        excluded_fields=[
            "current_level", "current_level_since", "checklist_total", "checklist_done", "waiting_claims",
            "last_failed_defense_on",
        ]
    )
    objects = EmployeeQuerySet.as_manager()

    class Meta:
        ordering = ["user__last_name", "user__first_name", "id"]
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        constraints = [
            models.CheckConstraint(
                condition=Q(probation_end__isnull=True) | Q(probation_end__gte=F("hire_date")),
                name="employee_probation_after_hire",
                violation_error_message=_("The probation cannot end before the hire date."),
            ),
            models.CheckConstraint(
                condition=Q(career_start__lte=F("hire_date")),
                name="employee_career_start_before_hire",
                violation_error_message=_("The career cannot start after the hire date."),
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("hire_date")),
                name="employee_left_after_hire",
                violation_error_message=_("Leaving cannot be dated before the hire date."),
            ),
        ]
        indexes = [
            models.Index(fields=["track", "current_level"], name="employee_track_level"),
            # The people list sorted by time in level stops at its page instead of sorting everyone.
            models.Index(fields=["current_level_since", "id"], name="employee_level_since"),
            # The head count of the people employed now by track, team lead and level (the
            # dashboard) read from the index in its own order, without the rows. The leaving
            # date comes last: first, it led MariaDB to drive the waiting claims' join from
            # everyone employed (twice that statement's time).
            models.Index(fields=["track", "team_lead", "current_level", "left_on"], name="employee_groups"),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def name(self) -> str:
        return str(self)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("grades:person", args=[self.pk])

    def clean(self):
        super().clean()
        # Not a CHECK constraint: MySQL/MariaDB refuse an auto-increment column in CHECK.
        if self.pk is not None and self.team_lead_id == self.pk:
            raise ValidationError({"team_lead": _("A person cannot be their own team lead.")})


class GradeChangeKind(models.TextChoices):
    HIRE = "hire", _("Hire")
    PROMOTION = "promotion", _("Promotion")
    CORRECTION = "correction", _("Correction")
    # A lateral move to another track; the level is kept unless HR sets another.
    TRANSFER = "transfer", _("Track change")


class GradeChangeQuerySet(AppendOnlyQuerySet):
    def chronological(self):
        return self.order_by("effective_date", "id")


class GradeChange(AppendOnlyModel):
    """One entry of a person's grade ledger. The latest entry is their level."""

    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="grade_changes")
    kind = models.CharField(_("kind"), max_length=12, choices=GradeChangeKind.choices)
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="+")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    effective_date = models.DateField(_("effective date"), validators=[validate_calendar_date])
    reason = models.TextField(_("reason"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # The day the level the person held before this entry began (grades.selectors.level_since
    # of the earlier entries; NULL on the hire). Fixed when the entry is written, since no
    # entry is ever dated before the latest: a promotion's time in the level before is the
    # difference of two columns of its own row.
    previous_level_since = models.DateField(_("previous level since"), null=True, blank=True, editable=False)
    # 1 on the hire entry, NULL otherwise: with the unique constraint below, one hire per person.
    hire_marker = models.GeneratedField(
        expression=Case(When(kind="hire", then=Value(1)), default=None),
        output_field=models.PositiveSmallIntegerField(null=True),
        db_persist=True,
    )

    objects = GradeChangeQuerySet.as_manager()

    class Meta:
        ordering = ["employee", "effective_date", "id"]
        verbose_name = _("grade change")
        verbose_name_plural = _("grade changes")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "hire_marker"], name="gradechange_one_hire_per_employee"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=GradeChangeKind.values), name="gradechange_kind_valid"
            ),
            # A correction must say why.
            models.CheckConstraint(
                condition=~Q(kind="correction") | ~Q(reason=""),
                name="gradechange_correction_has_reason",
            ),
            # So must a move to another track.
            models.CheckConstraint(
                condition=~Q(kind="transfer") | ~Q(reason=""),
                name="gradechange_transfer_has_reason",
            ),
        ]
        indexes = [
            # A person's ledger by date (the ledger service's latest entry, the foreign key's
            # index on MariaDB). The kind once served a per-promotion lookup of the level
            # before, which previous_level_since now keeps; it costs little and stays.
            models.Index(fields=["employee", "effective_date", "kind"], name="gradechange_emp_date_kind"),
            models.Index(fields=["effective_date"], name="gradechange_date"),
            # The promotions of a period with who, to what and after how long, read from the
            # index alone; narrowed to a track from it too (the track in the row alone cost a
            # read of the row per promotion, three times the statement's time on MariaDB).
            models.Index(
                fields=["kind", "effective_date", "track", "employee", "level", "previous_level_since"],
                name="gradechange_kind_date_track",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee}: {self.get_kind_display()} → {self.level} ({self.effective_date})"

    @property
    def kind_label(self) -> str:
        """get_kind_display() without rebuilding the choices on every call (pages list many)."""
        return GradeChangeKind(self.kind).label

    @property
    def reason_display(self) -> str:
        """The reason in the reader's language when the product wrote it (grades.reasons), else as written."""
        return reasons.in_reader_language(self.reason, level=_LevelOf(self))


class _LevelOf:
    """A grade change's level, read only when its name is asked for (a reason HR wrote needs none)."""

    def __init__(self, change: GradeChange):
        self._change = change

    @property
    def name(self) -> str:
        return self._change.level.name

    @property
    def name_ru(self) -> str:
        return self._change.level.name_ru


class MentorshipQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None):
        on = on or datetime.date.today()
        return self.filter(started_on__lte=on).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=on))


class Mentorship(models.Model):
    """A mentor looking after a mentee for a period."""

    mentor = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="mentorships")
    mentee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="mentored_by")
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    history = HistoricalRecords()
    objects = MentorshipQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on", "id"]
        verbose_name = _("mentorship")
        verbose_name_plural = _("mentorships")
        constraints = [
            models.CheckConstraint(
                condition=~Q(mentor=F("mentee")),
                name="mentorship_not_self",
                violation_error_message=_("A person cannot be their own mentor."),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="mentorship_dates_in_order",
                violation_error_message=_("A mentorship cannot end before it starts."),
            ),
            models.UniqueConstraint(
                fields=["mentor", "mentee", "started_on"], name="mentorship_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} → {self.mentee}"


# --- Books read ------------------------------------------------------------------------------


# The longest note a person writes about a book they read.
READING_NOTE_LENGTH = 500


class BookReadingQuerySet(models.QuerySet):
    def acknowledged(self):
        return self.filter(acknowledged_at__isnull=False)


class BookReading(models.Model):
    """A person's word that they read a book of their ladder's reading list, and their team
    lead's acknowledgement of it (the fourth criterion of a promotion: books read).

    One row per person and book (a unique constraint, so two requests racing to mark the
    same book cannot both win). The person may take it back until their team lead
    acknowledges it; an acknowledgement is given once and is final. Every change, the
    taking back included, is a history row naming who and when.

    The book's title and author are copied when it is marked: a framework load that takes
    the book off its list leaves the reading in place, its `book` empty, still saying
    what was read.
    """

    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="readings")
    book = models.ForeignKey(
        Book, on_delete=models.SET_NULL, null=True, blank=True, related_name="readings", verbose_name=_("book")
    )
    title = models.CharField(_("title"), max_length=200)
    author = models.CharField(_("author"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=READING_NOTE_LENGTH)
    read_on = models.DateField(_("read on"), validators=[validate_calendar_date])
    marked_at = models.DateTimeField(_("marked at"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    history = HistoricalRecords()
    objects = BookReadingQuerySet.as_manager()

    class Meta:
        ordering = ["employee", "marked_at", "id"]
        verbose_name = _("book read")
        verbose_name_plural = _("books read")
        constraints = [
            models.UniqueConstraint(fields=["employee", "book"], name="bookreading_once_per_book"),
            models.CheckConstraint(condition=~Q(note=""), name="bookreading_note_required"),
            # Acknowledged exactly when both who and when are recorded.
            models.CheckConstraint(
                condition=Q(acknowledged_by__isnull=True, acknowledged_at__isnull=True)
                | Q(acknowledged_by__isnull=False, acknowledged_at__isnull=False),
                name="bookreading_acknowledgement_complete",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gte=F("marked_at")),
                name="bookreading_acknowledged_after_marking",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id}: {self.title}"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None


# --- Evidence ----------------------------------------------------------------------


class EvidenceStatus(models.TextChoices):
    CLAIMED = "claimed", _("Claimed")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_EVIDENCE_STATUSES = (EvidenceStatus.CLAIMED, EvidenceStatus.CONFIRMED)
DECIDED_EVIDENCE_STATUSES = (EvidenceStatus.CONFIRMED, EvidenceStatus.REJECTED)


class Evidence(models.Model):
    """A developer's claim that they meet a requirement, and the team lead's decision.

    A decided claim (confirmed or rejected) is final; a rejected requirement may be
    claimed again with a new row. Every change is also an EvidenceEvent.
    """

    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="evidence")
    requirement = models.ForeignKey(
        Requirement, on_delete=models.PROTECT, related_name="evidence"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=EvidenceStatus.choices, default=EvidenceStatus.CLAIMED
    )
    description = models.TextField(_("description"))
    links = models.JSONField(_("links"), default=list, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(_("claimed at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)
    # The version of the requirement's track framework in force when the claim was
    # decided: the wording the decision was made against. NULL for a claim not decided
    # yet, or decided while its track had no version.
    decided_version = models.ForeignKey(
        "FrameworkVersion", on_delete=models.PROTECT, related_name="+", null=True, blank=True,
        editable=False, verbose_name=_("decided against version"),
    )
    # Set when a load rewords the requirement and says the change is substantive
    # (`reconfirm: true`): the confirmation was given against the earlier wording and
    # stops counting until the team lead confirms again (services.evidence_reconfirm).
    reconfirm_needed = models.BooleanField(_("to confirm again"), default=False, editable=False)
    # 1 while the claim is claimed or confirmed, NULL otherwise: one live claim per requirement.
    open_marker = models.GeneratedField(
        expression=Case(
            When(status__in=OPEN_EVIDENCE_STATUSES, then=Value(1)), default=None
        ),
        output_field=models.PositiveSmallIntegerField(null=True),
        db_persist=True,
    )

    history = HistoricalRecords(excluded_fields=["open_marker"])
    class Meta:
        ordering = ["-claimed_at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "requirement", "open_marker"],
                name="evidence_one_open_claim",
            ),
            models.CheckConstraint(
                condition=Q(status__in=EvidenceStatus.values), name="evidence_status_valid"
            ),
            # Decided exactly when confirmed or rejected.
            models.CheckConstraint(
                condition=(
                    Q(
                        status__in=DECIDED_EVIDENCE_STATUSES,
                        decided_by__isnull=False,
                        decided_at__isnull=False,
                    )
                    | Q(
                        ~Q(status__in=DECIDED_EVIDENCE_STATUSES),
                        decided_by__isnull=True,
                        decided_at__isnull=True,
                    )
                ),
                name="evidence_decision_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True) | Q(decided_at__gte=F("claimed_at")),
                name="evidence_decided_after_claim",
            ),
            # Only a confirmed claim can be waiting to be confirmed again.
            models.CheckConstraint(
                condition=Q(reconfirm_needed=False) | Q(status=EvidenceStatus.CONFIRMED),
                name="evidence_reconfirm_only_confirmed",
            ),
        ]
        indexes = [
            models.Index(fields=["employee", "status"], name="evidence_emp_status"),
            # Everyone's claims waiting longest (HR's inbox): by status, then date. The person
            # rides along so the dashboard counts waiting claims per team lead from the index
            # alone, without reading the claims' rows (their evidence text makes them wide).
            models.Index(fields=["status", "claimed_at", "employee"], name="evidence_status_claimed_emp"),
        ]

    def __str__(self) -> str:
        return f"{self.employee}: {self.requirement} ({self.get_status_display()})"


class EvidenceEvent(AppendOnlyModel):
    """The history of a claim: who did what to it and when."""

    class Action(models.TextChoices):
        CLAIMED = "claimed", _("Claimed")
        EDITED = "edited", _("Edited")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")
        # Copied from a claim on the person's previous track when HR moved them.
        CARRIED = "carried", _("Carried over")
        # A framework load reworded the requirement substantively: to be confirmed again.
        REWORDED = "reworded", _("Requirement reworded")
        # The team lead confirmed the claim again against the requirement's new wording.
        RECONFIRMED = "reconfirmed", _("Confirmed again")

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    # NULL when the system acted: a framework load run without --user.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField(_("at"))
    # What the claim said at this point (description, links) or the decision comment.
    description = models.TextField(_("description"), blank=True)
    links = models.JSONField(_("links"), default=list, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("evidence event")
        verbose_name_plural = _("evidence events")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    action__in=[
                        "claimed", "edited", "withdrawn", "confirmed", "rejected", "carried", "reworded",
                        "reconfirmed",
                    ]
                ),
                name="evidenceevent_action_valid",
            ),
        ]

    def __str__(self) -> str:
        who = self.actor if self.actor_id is not None else "the system"
        return f"{self.get_action_display()} by {who} at {self.at:%Y-%m-%d %H:%M}"



# --- Framework versions -----------------------------------------------------------------------


class FrameworkVersionQuerySet(AppendOnlyQuerySet):
    def of_track(self, track):
        return self.filter(track=track).order_by("number")


class FrameworkVersion(AppendOnlyModel):
    """One version of a track's framework: what a load made it, from when, by whom.

    Every load that changes a track's framework appends one (grades.versions); the
    first load of a track is version 1. `snapshot` is the framework as it stood after
    the load (levels, requirements by key, books; grades.versions.snapshot), so any two
    versions can be compared long after the rows themselves changed again. The content
    is in force from the moment it is loaded; `effective_date` is the date the company
    gives the version, on which the dry run measured its impact.
    """

    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("number"))
    effective_date = models.DateField(_("effective date"), validators=[validate_calendar_date])
    # NULL when the system loaded it (a migration, or a command run without --user).
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("loaded by"),
    )
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    snapshot = models.JSONField(_("framework"), default=dict)
    # What the load changed, against the version before: {"added": n, "removed": n,
    # "reworded": n, "moved": n}, what it did to claims, and the keys it asked to
    # confirm again ("reconfirm": [...]); written once, with the version.
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    objects = FrameworkVersionQuerySet.as_manager()

    class Meta:
        ordering = ["track", "number"]
        verbose_name = _("framework version")
        verbose_name_plural = _("framework versions")
        constraints = [
            models.UniqueConstraint(fields=["track", "number"], name="frameworkversion_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="frameworkversion_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.track} v{self.number}"

    def count(self, what: str) -> int:
        return int((self.changes or {}).get(what) or 0)


# --- Delivery (productivity) ------------------------------------------------------------------

# The measure a fact of the default kind carries: sprint completion, committed vs done.
# Any other measure is named by the company (velocity, lead time, releases...) and
# carries one value, with a unit if it has one.
SPRINT_COMPLETION = ""


class DeliveryFactQuerySet(models.QuerySet):
    def of_measure(self, measure: str):
        """Facts of one measure ("" is sprint completion), the name compared without regard to case."""
        return self.filter(measure__iexact=measure) if measure else self.filter(measure="")

    def overlapping(self, start: datetime.date, end: datetime.date):
        """Facts whose period shares at least one day with start..end (both included)."""
        return self.filter(period_start__lte=end, period_end__gte=start)


class DeliveryFact(models.Model):
    """How much a person delivered in a period: their usefulness to the company, as measured.

    By default sprint completion, what was committed to a sprint against what was done
    (done may exceed committed: work pulled into a running sprint counts); or a measure
    the company names, with its value and unit. Periods of one person and measure never
    overlap (services.delivery_fact_record refuses it). The person's team lead or HR
    records a fact; a correction is an edit with a reason, and every write leaves a
    history row naming who made it (services, through common.audit).
    """

    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="delivery_facts", verbose_name=_("employee")
    )
    period_start = models.DateField(_("period start"), validators=[validate_calendar_date])
    period_end = models.DateField(_("period end"), validators=[validate_calendar_date])
    # Empty: sprint completion (committed, done). Otherwise the company's name of the measure (value).
    measure = models.CharField(_("measure"), max_length=100, blank=True, default=SPRINT_COMPLETION)
    committed = models.DecimalField(_("committed"), max_digits=10, decimal_places=2, null=True, blank=True)
    done = models.DecimalField(_("done"), max_digits=10, decimal_places=2, null=True, blank=True)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    link = models.CharField(_("source"), max_length=500, blank=True, validators=[validate_link])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    history = HistoricalRecords()
    objects = DeliveryFactQuerySet.as_manager()

    class Meta:
        ordering = ["employee", "period_start", "id"]
        verbose_name = _("delivery fact")
        verbose_name_plural = _("delivery facts")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="deliveryfact_period_in_order",
                violation_error_message=_("A period cannot end before it starts."),
            ),
            # Sprint completion carries committed and done; a named measure carries a value.
            models.CheckConstraint(
                condition=Q(measure="", committed__isnull=False, done__isnull=False, value__isnull=True)
                | (~Q(measure="") & Q(committed__isnull=True, done__isnull=True, value__isnull=False)),
                name="deliveryfact_shape_of_measure",
            ),
            models.CheckConstraint(
                condition=(Q(committed__isnull=True) | Q(committed__gt=0))
                & (Q(done__isnull=True) | Q(done__gte=0))
                & (Q(value__isnull=True) | Q(value__gte=0)),
                name="deliveryfact_numbers_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["employee", "period_start"], name="deliveryfact_emp_start")]

    def __str__(self) -> str:
        return f"{self.employee_id} · {self.measure_label} · {self.period_start}–{self.period_end}"

    @property
    def is_sprint_completion(self) -> bool:
        return self.measure == SPRINT_COMPLETION

    @property
    def measure_label(self) -> str:
        from django.utils.translation import gettext

        return gettext("Sprint completion") if self.is_sprint_completion else self.measure

    @property
    def figure(self):
        """The number a trend is drawn from: percent done of committed, or the measure's value."""
        if self.is_sprint_completion:
            if self.committed is None or self.done is None or not self.committed:
                return None
            return self.done * 100 / self.committed
        return self.value


class GrowthGoal(models.Model):
    """One goal of a person's growth plan: what the developer and their team lead agree is
    to be done about one unmet line of the next level's checklist, by when.

    Both of them add, edit and mark goals done (grades.services, policies.may_plan); who
    may see the person reads them. One goal per person and requirement; goals stay
    when the line is met or the person moves on, as the record of what was agreed.
    """

    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="growth_goals")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="growth_goals")
    text = models.TextField(_("goal"))
    link = models.CharField(_("link"), max_length=500, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True, validators=[validate_calendar_date])
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("done by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("agreed by")
    )
    created_at = models.DateTimeField(_("agreed at"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["employee", "id"]
        verbose_name = _("growth goal")
        verbose_name_plural = _("growth goals")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "requirement"],
                name="growthgoal_one_per_line",
                violation_error_message=_("There is already a goal for that requirement; edit it instead."),
            ),
            models.CheckConstraint(condition=~Q(text=""), name="growthgoal_text_required"),
            # Done exactly when it says who marked it done and when.
            models.CheckConstraint(
                condition=Q(done_at__isnull=True, done_by__isnull=True)
                | Q(done_at__isnull=False, done_by__isnull=False),
                name="growthgoal_done_has_who_and_when",
            ),
        ]
        indexes = [
            # The reminder of goals past due: open goals by due date.
            models.Index(fields=["done_at", "due_on"], name="growthgoal_open_due"),
        ]

    def __str__(self) -> str:
        return f"{self.employee}: {self.text[:60]}"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
