from django.db import migrations, models


class Migration(migrations.Migration):
    """A person's claims by status, with what the skill matrix reads of each claim in the index.

    The wider index is created before the one it replaces is dropped, so that a person's
    claims are found by index at every moment.
    """

    dependencies = [
        ('grades', '0029_dashboard_figures_kept_ready'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='evidence',
            index=models.Index(
                fields=['employee', 'status', 'requirement', 'open_marker', 'reconfirm_needed', 'decided_by',
                        'decided_at'],
                name='evidence_emp_status_claim',
            ),
        ),
        migrations.RemoveIndex(
            model_name='evidence',
            name='evidence_emp_status',
        ),
    ]
