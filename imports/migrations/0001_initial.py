import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("legacy", "Old system's database"),
                            ("people_csv", "People spreadsheet"),
                            ("requirements_csv", "Requirements spreadsheet"),
                        ],
                        max_length=20,
                        verbose_name="kind",
                    ),
                ),
                (
                    "source",
                    models.CharField(help_text="The file or mapping imported.", max_length=255, verbose_name="source"),
                ),
                ("recorded_at", models.DateTimeField(auto_now_add=True, verbose_name="recorded at")),
                (
                    "written",
                    models.PositiveIntegerField(
                        help_text="People or requirements created or changed.", verbose_name="written"
                    ),
                ),
                ("unchanged", models.PositiveIntegerField(verbose_name="unchanged")),
                (
                    "skipped",
                    models.PositiveIntegerField(help_text="Rows with problems, not written.", verbose_name="skipped"),
                ),
                ("report", models.TextField(blank=True, verbose_name="report")),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty for an import run from the command line.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
            ],
            options={
                "verbose_name": "import",
                "verbose_name_plural": "imports",
                "ordering": ["-recorded_at", "-id"],
            },
        ),
    ]
