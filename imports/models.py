"""
A record of every import that wrote something: who, when, from what, and the report.

The imported rows themselves live in the grades tables (and their own history);
this is the answer to "where did these people come from?".
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ImportKind(models.TextChoices):
    LEGACY = "legacy", _("Old system's database")
    PEOPLE_CSV = "people_csv", _("People spreadsheet")
    REQUIREMENTS_CSV = "requirements_csv", _("Requirements spreadsheet")
    DELIVERY_CSV = "delivery_csv", _("Delivery facts spreadsheet")
    HR_SYNC = "hr_sync", _("Sync with the HR system")


class ImportRun(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    source = models.CharField(_("source"), max_length=255, help_text=_("The file or mapping imported."))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
        help_text=_("Empty for an import run from the command line."),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    written = models.PositiveIntegerField(_("written"), help_text=_("People or requirements created or changed."))
    unchanged = models.PositiveIntegerField(_("unchanged"))
    skipped = models.PositiveIntegerField(_("skipped"), help_text=_("Rows with problems, not written."))
    report = models.TextField(_("report"), blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.source} ({self.recorded_at:%Y-%m-%d %H:%M})"


class PersonSource(models.Model):
    """Which person of the HR system an employee is: the key a sync from its export matches by.

    The e-mail and name may change in HR; the key does not. `hire_date` is the hire date
    HR gives (it differs from the employee's, the first entry of their grade ledger, once
    a person who left is hired again).
    """

    source_key = models.CharField(_("HR key"), max_length=100, unique=True)
    employee = models.OneToOneField(
        "grades.Employee", on_delete=models.PROTECT, related_name="person_source", verbose_name=_("employee")
    )
    hire_date = models.DateField(_("hire date in HR"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("HR person")
        verbose_name_plural = _("HR people")

    def __str__(self) -> str:
        return self.source_key
