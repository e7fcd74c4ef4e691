from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exports"
    verbose_name = _("Exports")

    def ready(self):
        from .analytics import drop_views_before_migrate, sync_views_after_migrate

        pre_migrate.connect(
            drop_views_before_migrate, sender=self, dispatch_uid="exports.drop_views_before_migrate"
        )
        post_migrate.connect(
            sync_views_after_migrate, sender=self, dispatch_uid="exports.sync_views_after_migrate"
        )
