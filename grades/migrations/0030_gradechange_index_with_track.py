from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grades', '0029_dashboard_figures_kept_ready'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='gradechange',
            name='gradechange_kind_date_since',
        ),
        migrations.AddIndex(
            model_name='gradechange',
            index=models.Index(fields=['kind', 'effective_date', 'track', 'employee', 'level', 'previous_level_since'], name='gradechange_kind_date_track'),
        ),
    ]
