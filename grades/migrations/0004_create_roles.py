"""The role groups and their permissions (see grades/roles.py)."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from grades.roles import sync_role_permissions

    sync_role_permissions(apps, using=schema_editor.connection.alias)


def delete_roles(apps, schema_editor):
    from grades.roles import ROLES

    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("grades", "0003_load_shipped_frameworks"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, delete_roles)]
