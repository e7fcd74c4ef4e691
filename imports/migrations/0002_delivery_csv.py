"""The delivery facts spreadsheet is a kind of import."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="importrun",
            name="kind",
            field=models.CharField(
                choices=[
                    ("legacy", "Old system's database"),
                    ("people_csv", "People spreadsheet"),
                    ("requirements_csv", "Requirements spreadsheet"),
                    ("delivery_csv", "Delivery facts spreadsheet"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
    ]
