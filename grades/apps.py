from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GradesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "grades"
    verbose_name = _("Grades")

    def ready(self):
        from . import checks  # noqa: F401  registers the database checks
