"""Scheduled jobs: what ran when, and which reminders went out.

A job's run and the reminders it sends are written in one transaction, and the mail
leaves only after that transaction commits. The reminder log's unique constraint is
what makes a reminder impossible to send twice: a second run (or a concurrent one)
inserts the same key, the insert is ignored, and that run has nothing left to send.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Max
from django.utils.translation import gettext_lazy as _


class JobRunQuerySet(models.QuerySet):
    def of(self, job: str):
        return self.filter(job=job)

    def covered_until(self, job: str) -> datetime.date | None:
        """The last day a job has handled, or None when it has never run."""
        return self.of(job).aggregate(last=Max("covered_until"))["last"]


class JobRun(models.Model):
    """One completed run of a scheduled job.

    Written in the same transaction as the job's reminders: a run that failed half-way
    leaves no row, so the next run starts from the last day really handled.
    """

    job = models.CharField(_("job"), max_length=40)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    covered_until = models.DateField(
        _("covered until"), help_text=_("The last day whose window this run handled.")
    )
    counts = models.JSONField(_("counts"), default=dict, blank=True)

    objects = JobRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        indexes = [models.Index(fields=["job", "covered_until"], name="jobrun_job_covered")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(finished_at__isnull=True)
                | models.Q(finished_at__gte=models.F("started_at")),
                name="jobrun_finished_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} until {self.covered_until}"


class ReminderKind(models.TextChoices):
    # object_id is an Employee; key is the earliest defense date that was announced.
    ELIGIBLE = "eligible", _("Became eligible for a defense")
    # object_id is a PromotionReview; key is the scheduled moment (UTC), so a moved defense is new.
    DEFENSE = "defense", _("Defense coming up")
    # object_id is an Evidence claim; key is the day it was sent (at most one per 7 days, see rules).
    CLAIM = "claim", _("Claim waiting for a decision")
    # object_id is a GrowthGoal; key is the day it was sent (at most one per 7 days, see rules).
    GOAL = "goal", _("Growth goal past its due date")


class Reminder(models.Model):
    """A reminder that was sent (or is being sent by the run that inserted it)."""

    kind = models.CharField(_("kind"), max_length=10, choices=ReminderKind.choices)
    object_id = models.PositiveBigIntegerField(_("object id"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recipient")
    )
    key = models.CharField(_("key"), max_length=40)
    sent_on = models.DateField(_("sent on"))
    job_run = models.ForeignKey(JobRun, on_delete=models.PROTECT, related_name="reminders")

    class Meta:
        ordering = ["-sent_on", "id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "recipient", "key"], name="reminder_sent_once"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ReminderKind.values), name="reminder_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["kind", "sent_on"], name="reminder_kind_sent_on")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.object_id} → user {self.recipient_id} ({self.key})"
