"""
A record of every import that wrote something: who, when, from what, and the report.

The imported rows themselves live in the grades tables (and their own history);
this is the answer to "where did these people come from?".
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    LEGACY = "legacy", _("Old system's database")
    PEOPLE_CSV = "people_csv", _("People spreadsheet")
    REQUIREMENTS_CSV = "requirements_csv", _("Requirements spreadsheet")
    DELIVERY_CSV = "delivery_csv", _("Delivery facts spreadsheet")


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
