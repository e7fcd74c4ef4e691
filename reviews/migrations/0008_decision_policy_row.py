"""Store the decision policy's one row with the default rule (majority), and let HR change it.

The rule used to be the REVIEWS_DECISION_RULE environment variable, whose default
was majority. A deployment that had set it to unanimous changes the row in the admin
(Reviews › Decision policy); `manage.py check` warns while the variable is still set.
The row's history starts here, with no user: the migration wrote it.
"""

from django.db import migrations
from django.utils import timezone

HR_PERMISSIONS = ("view_decisionpolicy", "change_decisionpolicy")


def create(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from grades.roles import HR

    using = schema_editor.connection.alias
    DecisionPolicy = apps.get_model("reviews", "DecisionPolicy")
    HistoricalDecisionPolicy = apps.get_model("reviews", "HistoricalDecisionPolicy")
    if not DecisionPolicy.objects.using(using).filter(pk=1).exists():
        policy = DecisionPolicy.objects.using(using).create(pk=1, rule="majority")
        HistoricalDecisionPolicy.objects.using(using).create(
            id=policy.pk, rule=policy.rule, history_date=timezone.now(), history_type="+",
            history_change_reason="Default policy",
        )
    # Permissions are normally created after all migrations (post_migrate); make this
    # app's now. create_permissions skips app configs without a models module, which
    # historical app configs never have.
    app_config = apps.get_app_config("reviews")
    original = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.using(using).get_or_create(name=HR)
    group.permissions.add(
        *Permission.objects.using(using).filter(content_type__app_label="reviews", codename__in=HR_PERMISSIONS)
    )


def remove(apps, schema_editor):
    using = schema_editor.connection.alias
    apps.get_model("reviews", "HistoricalDecisionPolicy").objects.using(using).all().delete()
    apps.get_model("reviews", "DecisionPolicy").objects.using(using).all().delete()
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.using(using).filter(name="HR"):
        group.permissions.remove(
            *Permission.objects.using(using).filter(content_type__app_label="reviews", codename__in=HR_PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0007_decision_policy"),
        ("grades", "0004_create_roles"),
    ]
    operations = [migrations.RunPython(create, remove)]
