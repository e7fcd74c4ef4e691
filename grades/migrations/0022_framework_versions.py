"""Framework versions: the versions themselves, the wording each requirement has and each
decision was made against, claims to be confirmed again, and claim events by the system."""

import common.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grades', '0021_theme_group_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='FrameworkVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(verbose_name='number')),
                ('effective_date', models.DateField(validators=[common.validators.validate_calendar_date], verbose_name='effective date')),
                ('loaded_at', models.DateTimeField(auto_now_add=True, verbose_name='loaded at')),
                ('file_name', models.CharField(blank=True, max_length=255, verbose_name='file')),
                ('snapshot', models.JSONField(default=dict, verbose_name='framework')),
                ('changes', models.JSONField(blank=True, default=dict, verbose_name='changes')),
            ],
            options={
                'verbose_name': 'framework version',
                'verbose_name_plural': 'framework versions',
                'ordering': ['track', 'number'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='evidenceevent',
            name='evidenceevent_action_valid',
        ),
        migrations.AddField(
            model_name='evidence',
            name='reconfirm_needed',
            field=models.BooleanField(default=False, editable=False, verbose_name='to confirm again'),
        ),
        migrations.AddField(
            model_name='historicalevidence',
            name='reconfirm_needed',
            field=models.BooleanField(default=False, editable=False, verbose_name='to confirm again'),
        ),
        migrations.AlterField(
            model_name='evidenceevent',
            name='action',
            field=models.CharField(choices=[('claimed', 'Claimed'), ('edited', 'Edited'), ('withdrawn', 'Withdrawn'), ('confirmed', 'Confirmed'), ('rejected', 'Rejected'), ('carried', 'Carried over'), ('reworded', 'Requirement reworded'), ('reconfirmed', 'Confirmed again')], max_length=12, verbose_name='action'),
        ),
        migrations.AlterField(
            model_name='evidenceevent',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='evidenceevent',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['claimed', 'edited', 'withdrawn', 'confirmed', 'rejected', 'carried', 'reworded', 'reconfirmed'])), name='evidenceevent_action_valid'),
        ),
        migrations.AddField(
            model_name='frameworkversion',
            name='loaded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='loaded by'),
        ),
        migrations.AddField(
            model_name='frameworkversion',
            name='track',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='versions', to='grades.track'),
        ),
        migrations.AddField(
            model_name='evidence',
            name='decided_version',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='grades.frameworkversion', verbose_name='decided against version'),
        ),
        migrations.AddField(
            model_name='historicalevidence',
            name='decided_version',
            field=models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grades.frameworkversion', verbose_name='decided against version'),
        ),
        migrations.AddField(
            model_name='requirement',
            name='wording_version',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='grades.frameworkversion', verbose_name='wording of version'),
        ),
        migrations.AddConstraint(
            model_name='evidence',
            constraint=models.CheckConstraint(condition=models.Q(('reconfirm_needed', False), ('status', 'confirmed'), _connector='OR'), name='evidence_reconfirm_only_confirmed'),
        ),
        migrations.AddConstraint(
            model_name='frameworkversion',
            constraint=models.UniqueConstraint(fields=('track', 'number'), name='frameworkversion_unique_number'),
        ),
        migrations.AddConstraint(
            model_name='frameworkversion',
            constraint=models.CheckConstraint(condition=models.Q(('number__gte', 1)), name='frameworkversion_number_positive'),
        ),
    ]
