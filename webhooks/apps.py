from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        """Put every announced event in the outbox, in the transaction that announces it."""
        from grades import events

        from . import services

        events.announced.connect(services.on_events, sender=events.Event, dispatch_uid="webhooks.outbox")
