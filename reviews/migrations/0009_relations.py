"""Team relations (criterion 3): HR's and the team lead's assessments, colleague feedback requests and answers."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grades', '0023_framework_versions_first'),
        ('reviews', '0008_decision_policy_row'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='FeedbackRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('asked_at', models.DateTimeField(verbose_name='asked at')),
                ('withdrawn_at', models.DateTimeField(blank=True, null=True, verbose_name='withdrawn at')),
                ('live_marker', models.GeneratedField(db_persist=True, expression=models.Case(models.When(then=models.Value(1), withdrawn_at__isnull=True), default=None), output_field=models.PositiveSmallIntegerField(null=True))),
                ('asked_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('colleague', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='feedback_requests', to='grades.employee')),
                ('review', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='feedback_requests', to='reviews.promotionreview')),
                ('withdrawn_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'colleague feedback request',
                'verbose_name_plural': 'colleague feedback requests',
                'ordering': ['review', 'asked_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='FeedbackAnswer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField(verbose_name='answer')),
                ('rating', models.PositiveSmallIntegerField(blank=True, choices=[(1, '1 — conflictual: does more harm than good'), (2, '2 — strained: friction that needs attention'), (3, '3 — neutral: gets along, little influence either way'), (4, '4 — good: a positive influence on the team'), (5, "5 — excellent: makes the team's atmosphere better")], null=True, verbose_name='rating')),
                ('answered_at', models.DateTimeField(verbose_name='answered at')),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('request', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='answer', to='reviews.feedbackrequest')),
            ],
            options={
                'verbose_name': 'colleague feedback',
                'verbose_name_plural': 'colleague feedback',
            },
        ),
        migrations.CreateModel(
            name='HistoricalFeedbackRequest',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('asked_at', models.DateTimeField(verbose_name='asked at')),
                ('withdrawn_at', models.DateTimeField(blank=True, null=True, verbose_name='withdrawn at')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('asked_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('colleague', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grades.employee')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('review', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='reviews.promotionreview')),
                ('withdrawn_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical colleague feedback request',
                'verbose_name_plural': 'historical colleague feedback requests',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='RelationsAssessment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('hr', 'HR'), ('team_lead', 'Team lead')], max_length=10, verbose_name='role')),
                ('revision', models.PositiveSmallIntegerField(verbose_name='revision')),
                ('rating', models.PositiveSmallIntegerField(choices=[(1, '1 — conflictual: does more harm than good'), (2, '2 — strained: friction that needs attention'), (3, '3 — neutral: gets along, little influence either way'), (4, '4 — good: a positive influence on the team'), (5, "5 — excellent: makes the team's atmosphere better")], verbose_name='rating')),
                ('note', models.TextField(verbose_name='note')),
                ('at', models.DateTimeField(verbose_name='at')),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('review', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='relations_assessments', to='reviews.promotionreview')),
            ],
            options={
                'verbose_name': 'team relations assessment',
                'verbose_name_plural': 'team relations assessments',
                'ordering': ['review', 'role', 'revision'],
            },
        ),
        migrations.AddConstraint(
            model_name='feedbackrequest',
            constraint=models.UniqueConstraint(fields=('review', 'colleague', 'live_marker'), name='feedback_one_live_request', violation_error_message='This colleague has already been asked.'),
        ),
        migrations.AddConstraint(
            model_name='feedbackrequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('withdrawn_at__isnull', True), ('withdrawn_by__isnull', True)), models.Q(('withdrawn_at__isnull', False), ('withdrawn_by__isnull', False)), _connector='OR'), name='feedback_withdrawal_has_author'),
        ),
        migrations.AddConstraint(
            model_name='feedbackanswer',
            constraint=models.CheckConstraint(condition=models.Q(('rating__isnull', True), models.Q(('rating__gte', 1), ('rating__lte', 5)), _connector='OR'), name='feedback_rating_1_to_5'),
        ),
        migrations.AddConstraint(
            model_name='feedbackanswer',
            constraint=models.CheckConstraint(condition=models.Q(('text', ''), _negated=True), name='feedback_text_required'),
        ),
        migrations.AddConstraint(
            model_name='relationsassessment',
            constraint=models.UniqueConstraint(fields=('review', 'role', 'revision'), name='relations_one_row_per_revision', violation_error_message='The assessment was revised meanwhile.'),
        ),
        migrations.AddConstraint(
            model_name='relationsassessment',
            constraint=models.CheckConstraint(condition=models.Q(('role__in', ['hr', 'team_lead'])), name='relations_role_valid'),
        ),
        migrations.AddConstraint(
            model_name='relationsassessment',
            constraint=models.CheckConstraint(condition=models.Q(('rating__gte', 1), ('rating__lte', 5)), name='relations_rating_1_to_5'),
        ),
        migrations.AddConstraint(
            model_name='relationsassessment',
            constraint=models.CheckConstraint(condition=models.Q(('revision__gte', 1)), name='relations_revision_from_1'),
        ),
        migrations.AddConstraint(
            model_name='relationsassessment',
            constraint=models.CheckConstraint(condition=models.Q(('note', ''), _negated=True), name='relations_note_required'),
        ),
    ]
