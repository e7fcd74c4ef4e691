import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0006_fill_last_failed_defense'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DecisionPolicy',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ('rule', models.CharField(choices=[('majority', 'majority'), ('unanimous', 'unanimous')], default='majority', help_text='Majority: approvals outnumber rejections; abstentions are not counted and a tie fails. Unanimous: nobody rejects and at least one member approves.', max_length=12, verbose_name='decision rule')),
            ],
            options={
                'verbose_name': 'decision policy',
                'verbose_name_plural': 'decision policy',
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='decisionpolicy_single_row', violation_error_message='There is only one decision policy.'), models.CheckConstraint(condition=models.Q(('rule__in', ['majority', 'unanimous'])), name='decisionpolicy_rule_valid')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalDecisionPolicy',
            fields=[
                ('id', models.PositiveSmallIntegerField(db_index=True, default=1, editable=False)),
                ('rule', models.CharField(choices=[('majority', 'majority'), ('unanimous', 'unanimous')], default='majority', help_text='Majority: approvals outnumber rejections; abstentions are not counted and a tie fails. Unanimous: nobody rejects and at least one member approves.', max_length=12, verbose_name='decision rule')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical decision policy',
                'verbose_name_plural': 'historical decision policy',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
    ]
