from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sso"
    verbose_name = _("Single sign-on")

    def ready(self):
        """Add role changes at sign-in to the person's audit trail; register the role map check."""
        from grades import extensions

        from . import checks  # noqa: F401  registers sso.E001
        from . import trail

        extensions.register_trail_source(trail.sign_in_trail)
