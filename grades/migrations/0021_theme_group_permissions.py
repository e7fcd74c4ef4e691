"""Themes and "at least N" groups in the roles: every role sees them, HR adds and changes them.

Added to the groups only (as 0009 does for lockouts), so nothing else about the roles
changes; grades.roles.ROLE_PERMISSIONS lists the same, so a later sync keeps them.
"""

from django.db import migrations

VIEW = ("view_category", "view_requirementgroup")
HR_ONLY = ("add_category", "change_category", "add_requirementgroup", "change_requirementgroup")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from grades.roles import HR, ROLES

    using = schema_editor.connection.alias
    # Permissions are normally created after all migrations (post_migrate); make the
    # new models' now. create_permissions skips app configs without a models module,
    # which historical app configs never have.
    app_config = apps.get_app_config("grades")
    original = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in ROLES:
        group, _created = Group.objects.using(using).get_or_create(name=role)
        names = VIEW + HR_ONLY if role == HR else VIEW
        group.permissions.add(
            *Permission.objects.using(using).filter(content_type__app_label="grades", codename__in=names)
        )


def revoke(apps, schema_editor):
    from grades.roles import ROLES

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    using = schema_editor.connection.alias
    permissions = Permission.objects.using(using).filter(content_type__app_label="grades", codename__in=VIEW + HR_ONLY)
    for group in Group.objects.using(using).filter(name__in=ROLES):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("grades", "0020_themes_proficiency_groups")]
    operations = [migrations.RunPython(grant, revoke)]
