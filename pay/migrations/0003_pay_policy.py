import django.core.validators
import django.db.models.deletion
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('pay', '0002_hr_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalPayPolicy',
            fields=[
                ('id', models.PositiveSmallIntegerField(db_index=True, default=1, editable=False)),
                ('main_step', models.DecimalField(decimal_places=3, default=Decimal('2'), help_text='Junior++ to Middle and Middle++ to Senior.', max_digits=6, verbose_name='step into a new main grade')),
                ('inner_junior', models.DecimalField(decimal_places=3, default=Decimal('1'), help_text='Junior to Junior+ to Junior++.', max_digits=6, verbose_name='inner step inside Junior')),
                ('inner_middle', models.DecimalField(decimal_places=3, default=Decimal('1.25'), help_text='Middle to Middle+ to Middle++.', max_digits=6, verbose_name='inner step inside Middle')),
                ('inner_senior', models.DecimalField(decimal_places=3, default=Decimal('1.5'), help_text='Senior to Senior+ to Senior++; the Senior++ band is as wide.', max_digits=6, verbose_name='inner step inside Senior')),
                ('round_to', models.PositiveIntegerField(default=10, help_text='Band edges between the Junior minimum and the Senior++ maximum are rounded to a multiple of this many currency units (1, 10, 100, ...).', validators=[django.core.validators.MinValueValidator(1)], verbose_name='round steps to')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical pay policy',
                'verbose_name_plural': 'historical pay policy',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='PayPolicy',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, editable=False, primary_key=True, serialize=False)),
                ('main_step', models.DecimalField(decimal_places=3, default=Decimal('2'), help_text='Junior++ to Middle and Middle++ to Senior.', max_digits=6, verbose_name='step into a new main grade')),
                ('inner_junior', models.DecimalField(decimal_places=3, default=Decimal('1'), help_text='Junior to Junior+ to Junior++.', max_digits=6, verbose_name='inner step inside Junior')),
                ('inner_middle', models.DecimalField(decimal_places=3, default=Decimal('1.25'), help_text='Middle to Middle+ to Middle++.', max_digits=6, verbose_name='inner step inside Middle')),
                ('inner_senior', models.DecimalField(decimal_places=3, default=Decimal('1.5'), help_text='Senior to Senior+ to Senior++; the Senior++ band is as wide.', max_digits=6, verbose_name='inner step inside Senior')),
                ('round_to', models.PositiveIntegerField(default=10, help_text='Band edges between the Junior minimum and the Senior++ maximum are rounded to a multiple of this many currency units (1, 10, 100, ...).', validators=[django.core.validators.MinValueValidator(1)], verbose_name='round steps to')),
            ],
            options={
                'verbose_name': 'pay policy',
                'verbose_name_plural': 'pay policy',
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='paypolicy_single_row', violation_error_message='There is only one pay policy.'), models.CheckConstraint(condition=models.Q(('main_step__gt', models.F('inner_senior'))), name='paypolicy_main_step_above_inner_senior', violation_error_message='The step into a new main grade must weigh more than an inner Senior step.'), models.CheckConstraint(condition=models.Q(('inner_senior__gt', models.F('inner_middle'))), name='paypolicy_inner_senior_above_inner_middle', violation_error_message='An inner Senior step must weigh more than an inner Middle step.'), models.CheckConstraint(condition=models.Q(('inner_middle__gt', models.F('inner_junior'))), name='paypolicy_inner_middle_above_inner_junior', violation_error_message='An inner Middle step must weigh more than an inner Junior step.'), models.CheckConstraint(condition=models.Q(('inner_junior__gt', 0)), name='paypolicy_inner_junior_positive', violation_error_message='An inner Junior step must weigh more than zero.'), models.CheckConstraint(condition=models.Q(('round_to__gte', 1)), name='paypolicy_round_to_positive', violation_error_message='Steps are rounded to a multiple of 1 or more.')],
            },
        ),
    ]
