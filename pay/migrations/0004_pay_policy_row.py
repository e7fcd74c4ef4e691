"""Store the pay policy's one row with the default weights and rounding, and let HR change it.

The weights and the rounding used to be environment variables (PAY_WEIGHTS_MAIN_STEP,
PAY_WEIGHTS_INNER_JUNIOR/_MIDDLE/_SENIOR, PAY_ROUND_TO); their defaults are stored
here. A deployment that had set other values changes the row in the admin
(Pay › Pay policy); `manage.py check` warns while the variables are still set. The
row's history starts here, with no user: the migration wrote it.
"""

from decimal import Decimal

from django.db import migrations
from django.utils import timezone

HR_PERMISSIONS = ("view_paypolicy", "change_paypolicy")
DEFAULTS = {
    "main_step": Decimal("2"),
    "inner_junior": Decimal("1"),
    "inner_middle": Decimal("1.25"),
    "inner_senior": Decimal("1.5"),
    "round_to": 10,
}


def create(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from grades.roles import HR

    using = schema_editor.connection.alias
    PayPolicy = apps.get_model("pay", "PayPolicy")
    HistoricalPayPolicy = apps.get_model("pay", "HistoricalPayPolicy")
    if not PayPolicy.objects.using(using).filter(pk=1).exists():
        PayPolicy.objects.using(using).create(pk=1, **DEFAULTS)
        HistoricalPayPolicy.objects.using(using).create(
            id=1, **DEFAULTS, history_date=timezone.now(), history_type="+",
            history_change_reason="Default policy",
        )
    # Permissions are normally created after all migrations (post_migrate); make this
    # app's now. create_permissions skips app configs without a models module, which
    # historical app configs never have.
    app_config = apps.get_app_config("pay")
    original = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.using(using).get_or_create(name=HR)
    group.permissions.add(
        *Permission.objects.using(using).filter(content_type__app_label="pay", codename__in=HR_PERMISSIONS)
    )


def remove(apps, schema_editor):
    using = schema_editor.connection.alias
    apps.get_model("pay", "HistoricalPayPolicy").objects.using(using).all().delete()
    apps.get_model("pay", "PayPolicy").objects.using(using).all().delete()
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.using(using).filter(name="HR"):
        group.permissions.remove(
            *Permission.objects.using(using).filter(content_type__app_label="pay", codename__in=HR_PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("pay", "0003_pay_policy"),
        ("grades", "0004_create_roles"),
    ]
    operations = [migrations.RunPython(create, remove)]
