"""The candidate's statement on a promotion review, and its edits in the review's trail.

Reviews requested before the statement existed get an empty one: the review page says
that no statement was written.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0009_relations'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='reviewevent',
            name='reviewevent_action_valid',
        ),
        migrations.AddField(
            model_name='historicalpromotionreview',
            name='statement',
            field=models.TextField(blank=True, help_text='Why the candidate is ready for the next level, pointing at the evidence.', verbose_name="candidate's statement"),
        ),
        migrations.AddField(
            model_name='promotionreview',
            name='statement',
            field=models.TextField(blank=True, help_text='Why the candidate is ready for the next level, pointing at the evidence.', verbose_name="candidate's statement"),
        ),
        migrations.AlterField(
            model_name='reviewevent',
            name='action',
            field=models.CharField(choices=[('requested', 'Requested'), ('scheduled', 'Scheduled'), ('moved', 'Moved'), ('voted', 'Voted'), ('vote_changed', 'Changed vote'), ('passed', 'Passed'), ('failed', 'Failed'), ('withdrawn', 'Withdrawn'), ('statement', 'Statement edited')], max_length=12, verbose_name='action'),
        ),
        migrations.AddConstraint(
            model_name='reviewevent',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['requested', 'scheduled', 'moved', 'voted', 'vote_changed', 'passed', 'failed', 'withdrawn', 'statement'])), name='reviewevent_action_valid'),
        ),
    ]
