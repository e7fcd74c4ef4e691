"""Give the roles their permissions on reviews, now that the review tables exist."""

from django.db import migrations


def sync(apps, schema_editor):
    from grades.roles import sync_role_permissions

    sync_role_permissions(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("grades", "0004_create_roles"),
    ]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
