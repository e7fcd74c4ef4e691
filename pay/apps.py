from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pay"
    verbose_name = _("Pay")

    def ready(self):
        """Register the check for retired settings, and the bands box on the ladder page."""
        from grades import extensions

        from . import checks  # noqa: F401  registers the check for retired settings
        from . import panels

        extensions.register_ladder_panel(extensions.Panel(template="pay/_ladder_bands.html", build=panels.ladder_panel))
