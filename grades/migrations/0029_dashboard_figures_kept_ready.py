from django.conf import settings
from django.db import migrations, models

BATCH = 1000


def fill_previous_starts(apps, schema_editor):
    """Give every ledger entry the start of the level held before it.

    The rule as grades.selectors.level_starts has it when this migration was written (kept
    here, as a migration must not change with the code): every entry starts the clock
    except a track change that keeps the level.
    """
    GradeChange = apps.get_model("grades", "GradeChange")
    rows = (
        GradeChange.objects.using(schema_editor.connection.alias)
        .order_by("employee_id", "effective_date", "id")
        .values_list("id", "employee_id", "kind", "level_id", "effective_date")
    )
    pending = []
    person = since = level_id = None
    # Read whole before writing: SQLite gives one connection's reads no isolation from its writes.
    for pk, employee_id, kind, level, day in list(rows):
        if employee_id != person:
            person, since, level_id = employee_id, None, None
        if since is not None:
            pending.append(GradeChange(pk=pk, previous_level_since=since))
        if not (kind == "transfer" and level == level_id):
            since = day
        level_id = level
        if len(pending) >= BATCH:
            GradeChange.objects.using(schema_editor.connection.alias).bulk_update(pending, ["previous_level_since"])
            pending = []
    if pending:
        GradeChange.objects.using(schema_editor.connection.alias).bulk_update(pending, ["previous_level_since"])


class Migration(migrations.Migration):
    """Figures the dashboard reads kept ready: the start of the level before on each ledger entry
    (filled here for the existing ledgers), an index that answers the time to promotion
    alone, and one that answers the head count of the people employed now."""

    dependencies = [
        ('grades', '0028_dashboard_covering_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='gradechange',
            name='previous_level_since',
            field=models.DateField(blank=True, editable=False, null=True, verbose_name='previous level since'),
        ),
        migrations.RunPython(fill_previous_starts, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='gradechange',
            index=models.Index(fields=['kind', 'effective_date', 'employee', 'level', 'previous_level_since'], name='gradechange_kind_date_since'),
        ),
        migrations.RemoveIndex(
            model_name='gradechange',
            name='gradechange_kind_date',
        ),
        migrations.AddIndex(
            model_name='employee',
            index=models.Index(fields=['track', 'team_lead', 'current_level', 'left_on'], name='employee_groups'),
        ),
    ]
