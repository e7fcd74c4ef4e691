"""The groups that name who holds each director's role: CTO, Product director, HR director.

Designations within the Committee group (grades.roles.DESIGNATIONS): they carry no
permission, and admins give them to people in the admin as they give any group. The
names are written here as they were when the groups were made.
"""

from django.db import migrations

DESIGNATIONS = ("CTO", "Product director", "HR director")


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in DESIGNATIONS:
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=name)


def remove(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=DESIGNATIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0012_defense_sessions"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(create, remove)]
