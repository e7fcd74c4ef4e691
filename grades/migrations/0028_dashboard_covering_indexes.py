from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Wider indexes that answer the dashboard's counts without reading the rows.

    The new indexes are created before the ones they replace are dropped: on MariaDB the
    ledger's foreign key to the person needs an index that starts with it at every moment.
    """

    dependencies = [
        ('grades', '0027_evidence_status_claimed_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='evidence',
            index=models.Index(fields=['status', 'claimed_at', 'employee'], name='evidence_status_claimed_emp'),
        ),
        migrations.AddIndex(
            model_name='gradechange',
            index=models.Index(fields=['employee', 'effective_date', 'kind'], name='gradechange_emp_date_kind'),
        ),
        migrations.AddIndex(
            model_name='gradechange',
            index=models.Index(fields=['kind', 'effective_date', 'employee', 'level'], name='gradechange_kind_date'),
        ),
        migrations.RemoveIndex(
            model_name='evidence',
            name='evidence_status_claimed',
        ),
        migrations.RemoveIndex(
            model_name='gradechange',
            name='gradechange_emp_date',
        ),
    ]
