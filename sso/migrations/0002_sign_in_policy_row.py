from django.db import migrations


def create_policy(apps, schema_editor):
    """The one sign-in policy row, with local passwords on: the product as it was before."""
    SignInPolicy = apps.get_model("sso", "SignInPolicy")
    SignInPolicy.objects.using(schema_editor.connection.alias).get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("sso", "0001_initial")]

    operations = [migrations.RunPython(create_policy, migrations.RunPython.noop)]
