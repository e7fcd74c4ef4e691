"""Books read: a person marks a book of their ladder's reading list as read, with a note and a date;
their team lead acknowledges it once. One row per person and book, with its history."""

import common.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grades', '0024_delivery_facts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalBookReading',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('author', models.CharField(blank=True, max_length=200, verbose_name='author')),
                ('note', models.CharField(max_length=500, verbose_name='note')),
                ('read_on', models.DateField(validators=[common.validators.validate_calendar_date], verbose_name='read on')),
                ('marked_at', models.DateTimeField(verbose_name='marked at')),
                ('acknowledged_at', models.DateTimeField(blank=True, null=True, verbose_name='acknowledged at')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('acknowledged_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='acknowledged by')),
                ('book', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grades.book', verbose_name='book')),
                ('employee', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grades.employee')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical book read',
                'verbose_name_plural': 'historical books read',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='BookReading',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('author', models.CharField(blank=True, max_length=200, verbose_name='author')),
                ('note', models.CharField(max_length=500, verbose_name='note')),
                ('read_on', models.DateField(validators=[common.validators.validate_calendar_date], verbose_name='read on')),
                ('marked_at', models.DateTimeField(verbose_name='marked at')),
                ('acknowledged_at', models.DateTimeField(blank=True, null=True, verbose_name='acknowledged at')),
                ('acknowledged_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='acknowledged by')),
                ('book', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='readings', to='grades.book', verbose_name='book')),
                ('employee', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='readings', to='grades.employee')),
            ],
            options={
                'verbose_name': 'book read',
                'verbose_name_plural': 'books read',
                'ordering': ['employee', 'marked_at', 'id'],
                'constraints': [models.UniqueConstraint(fields=('employee', 'book'), name='bookreading_once_per_book'), models.CheckConstraint(condition=models.Q(('note', ''), _negated=True), name='bookreading_note_required'), models.CheckConstraint(condition=models.Q(models.Q(('acknowledged_at__isnull', True), ('acknowledged_by__isnull', True)), models.Q(('acknowledged_at__isnull', False), ('acknowledged_by__isnull', False)), _connector='OR'), name='bookreading_acknowledgement_complete'), models.CheckConstraint(condition=models.Q(('acknowledged_at__isnull', True), ('acknowledged_at__gte', models.F('marked_at')), _connector='OR'), name='bookreading_acknowledged_after_marking')],
            },
        ),
    ]
