"""Growth plans: goals the developer and their team lead agree on for unmet lines of the
next level's checklist, each with its history."""

import common.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grades', '0025_book_readings'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalGrowthGoal',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('text', models.TextField(verbose_name='goal')),
                ('link', models.CharField(blank=True, max_length=500, verbose_name='link')),
                ('due_on', models.DateField(blank=True, null=True, validators=[common.validators.validate_calendar_date], verbose_name='due on')),
                ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='done at')),
                ('created_at', models.DateTimeField(verbose_name='agreed at')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='agreed by')),
                ('done_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='done by')),
                ('employee', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grades.employee')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('requirement', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grades.requirement')),
            ],
            options={
                'verbose_name': 'historical growth goal',
                'verbose_name_plural': 'historical growth goals',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='GrowthGoal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField(verbose_name='goal')),
                ('link', models.CharField(blank=True, max_length=500, verbose_name='link')),
                ('due_on', models.DateField(blank=True, null=True, validators=[common.validators.validate_calendar_date], verbose_name='due on')),
                ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='done at')),
                ('created_at', models.DateTimeField(verbose_name='agreed at')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='agreed by')),
                ('done_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='done by')),
                ('employee', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='growth_goals', to='grades.employee')),
                ('requirement', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='growth_goals', to='grades.requirement')),
            ],
            options={
                'verbose_name': 'growth goal',
                'verbose_name_plural': 'growth goals',
                'ordering': ['employee', 'id'],
                'indexes': [models.Index(fields=['done_at', 'due_on'], name='growthgoal_open_due')],
                'constraints': [models.UniqueConstraint(fields=('employee', 'requirement'), name='growthgoal_one_per_line', violation_error_message='There is already a goal for that requirement; edit it instead.'), models.CheckConstraint(condition=models.Q(('text', ''), _negated=True), name='growthgoal_text_required'), models.CheckConstraint(condition=models.Q(models.Q(('done_at__isnull', True), ('done_by__isnull', True)), models.Q(('done_at__isnull', False), ('done_by__isnull', False)), _connector='OR'), name='growthgoal_done_has_who_and_when')],
            },
        ),
    ]
