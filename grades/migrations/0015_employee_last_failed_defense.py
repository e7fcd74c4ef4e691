from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("grades", "0014_history_employee_derived_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name="employee",
            name="last_failed_defense_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="last failed defense"),
        ),
    ]
