"""Let HR see and lift sign-in lockouts: view and delete on django-axes' access attempts.

Added to the HR group only (as pay 0002 does for salary bands), so nothing else
about the roles changes; grades.roles.ROLE_PERMISSIONS lists the same two, so a
later sync of the roles keeps them.
"""

from django.db import migrations

HR_PERMISSIONS = ("view_accessattempt", "delete_accessattempt")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from grades.roles import HR

    using = schema_editor.connection.alias
    # Permissions are normally created after all migrations (post_migrate); make
    # axes' now. create_permissions skips app configs without a models module,
    # which historical app configs never have.
    app_config = apps.get_app_config("axes")
    original = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.using(using).get_or_create(name=HR)
    group.permissions.add(
        *Permission.objects.using(using).filter(content_type__app_label="axes", codename__in=HR_PERMISSIONS)
    )


def revoke(apps, schema_editor):
    from grades.roles import HR

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    using = schema_editor.connection.alias
    for group in Group.objects.using(using).filter(name=HR):
        group.permissions.remove(
            *Permission.objects.using(using).filter(content_type__app_label="axes", codename__in=HR_PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("grades", "0008_content_version"),
        ("axes", "0010_accessattemptexpiration"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
