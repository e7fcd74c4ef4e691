
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grades', '0028_dashboard_covering_indexes'),
        ('reviews', '0013_director_designations'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='promotionreview',
            index=models.Index(fields=['status', 'decided_at', 'to_level', 'candidate'], name='review_status_decided'),
        ),
    ]
