from django.db import migrations


class Migration(migrations.Migration):
    """The whole-page cache is gone, and with it the counter its kept pages were keyed on."""

    dependencies = [
        ("grades", "0009_hr_lockout_permissions"),
    ]

    operations = [
        migrations.DeleteModel(name="ContentVersion"),
    ]
