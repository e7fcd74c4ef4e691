"""Delivery facts (sprint completion or a measure the company names) and who may handle them.

HR adds facts in bulk with the admin's spreadsheet import (imports.policies.may_import_delivery
asks for the add permission); who records and corrects one person's facts on their page is
grades.policies.may_record_delivery. Added to the groups only (as 0021 does for themes), so
nothing else about the roles changes; grades.roles.ROLE_PERMISSIONS lists the same.
"""

import common.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

HR_NAMES = ("view_deliveryfact", "add_deliveryfact", "change_deliveryfact")
LEAD_NAMES = ("view_deliveryfact",)


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from grades.roles import HR, TEAM_LEAD

    using = schema_editor.connection.alias
    app_config = apps.get_app_config("grades")
    original = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ((HR, HR_NAMES), (TEAM_LEAD, LEAD_NAMES)):
        group, _created = Group.objects.using(using).get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.using(using).filter(content_type__app_label="grades", codename__in=names)
        )


def revoke(apps, schema_editor):
    from grades.roles import HR, TEAM_LEAD

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    using = schema_editor.connection.alias
    permissions = Permission.objects.using(using).filter(content_type__app_label="grades", codename__in=HR_NAMES)
    for group in Group.objects.using(using).filter(name__in=[HR, TEAM_LEAD]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):

    dependencies = [
        ('grades', '0023_framework_versions_first'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalDeliveryFact',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('period_start', models.DateField(validators=[common.validators.validate_calendar_date], verbose_name='period start')),
                ('period_end', models.DateField(validators=[common.validators.validate_calendar_date], verbose_name='period end')),
                ('measure', models.CharField(blank=True, default='', max_length=100, verbose_name='measure')),
                ('committed', models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True, verbose_name='committed')),
                ('done', models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True, verbose_name='done')),
                ('value', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True, verbose_name='value')),
                ('unit', models.CharField(blank=True, max_length=30, verbose_name='unit')),
                ('link', models.CharField(blank=True, max_length=500, validators=[common.validators.validate_link], verbose_name='source')),
                ('recorded_at', models.DateTimeField(blank=True, editable=False, verbose_name='recorded at')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('employee', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grades.employee', verbose_name='employee')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('recorded_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by')),
            ],
            options={
                'verbose_name': 'historical delivery fact',
                'verbose_name_plural': 'historical delivery facts',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='DeliveryFact',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period_start', models.DateField(validators=[common.validators.validate_calendar_date], verbose_name='period start')),
                ('period_end', models.DateField(validators=[common.validators.validate_calendar_date], verbose_name='period end')),
                ('measure', models.CharField(blank=True, default='', max_length=100, verbose_name='measure')),
                ('committed', models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True, verbose_name='committed')),
                ('done', models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True, verbose_name='done')),
                ('value', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True, verbose_name='value')),
                ('unit', models.CharField(blank=True, max_length=30, verbose_name='unit')),
                ('link', models.CharField(blank=True, max_length=500, validators=[common.validators.validate_link], verbose_name='source')),
                ('recorded_at', models.DateTimeField(auto_now_add=True, verbose_name='recorded at')),
                ('employee', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='delivery_facts', to='grades.employee', verbose_name='employee')),
                ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by')),
            ],
            options={
                'verbose_name': 'delivery fact',
                'verbose_name_plural': 'delivery facts',
                'ordering': ['employee', 'period_start', 'id'],
                'indexes': [models.Index(fields=['employee', 'period_start'], name='deliveryfact_emp_start')],
                'constraints': [models.CheckConstraint(condition=models.Q(('period_end__gte', models.F('period_start'))), name='deliveryfact_period_in_order', violation_error_message='A period cannot end before it starts.'), models.CheckConstraint(condition=models.Q(models.Q(('committed__isnull', False), ('done__isnull', False), ('measure', ''), ('value__isnull', True)), models.Q(models.Q(('measure', ''), _negated=True), ('committed__isnull', True), ('done__isnull', True), ('value__isnull', False)), _connector='OR'), name='deliveryfact_shape_of_measure'), models.CheckConstraint(condition=models.Q(models.Q(('committed__isnull', True), ('committed__gt', 0), _connector='OR'), models.Q(('done__isnull', True), ('done__gte', 0), _connector='OR'), models.Q(('value__isnull', True), ('value__gte', 0), _connector='OR')), name='deliveryfact_numbers_not_negative')],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
