"""Give HR the salary band permissions, now that the table exists.

Added to the HR group rather than synced from grades.roles.ROLE_PERMISSIONS, so that
this migration changes nothing else about the roles. It runs after the migrations
that sync the roles (reviews 0002), which would otherwise take the permissions away
again as long as ROLE_PERMISSIONS does not name them.
"""

from django.db import migrations

HR_PERMISSIONS = ("view_salaryband", "add_salaryband", "change_salaryband")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from grades.roles import HR

    using = schema_editor.connection.alias
    # Permissions are normally created after all migrations (post_migrate); make
    # this app's now. create_permissions skips app configs without a models
    # module, which historical app configs never have.
    app_config = apps.get_app_config("pay")
    original = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.using(using).get(name=HR)
    group.permissions.add(
        *Permission.objects.using(using).filter(
            content_type__app_label="pay", codename__in=HR_PERMISSIONS
        )
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    using = schema_editor.connection.alias
    for group in Group.objects.using(using).filter(name="HR"):
        group.permissions.remove(
            *Permission.objects.using(using).filter(content_type__app_label="pay")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("pay", "0001_initial"),
        ("grades", "0004_create_roles"),
        ("reviews", "0002_role_permissions"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
