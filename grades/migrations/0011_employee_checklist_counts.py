"""The people list's figures as columns of the employee row, counted once here for everyone.

From now on the grade services keep them (grades.services.employee_counts_refresh).
The count is written out with this migration's own models, as the code stood.
"""

from django.db import migrations, models
from django.db.models import ExpressionWrapper, F, Func, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

BATCH = 500


def _count(queryset):
    counted = queryset.order_by().annotate(_n=Func(F("pk"), function="COUNT")).values("_n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def count_everyone(apps, schema_editor):
    using = schema_editor.connection.alias
    Employee = apps.get_model("grades", "Employee")
    Level = apps.get_model("grades", "Level")
    Requirement = apps.get_model("grades", "Requirement")
    Evidence = apps.get_model("grades", "Evidence")

    def next_rank():
        current = Subquery(Level.objects.filter(pk=OuterRef(OuterRef("current_level_id"))).values("rank")[:1])
        return ExpressionWrapper(current + 1, output_field=IntegerField())

    counts = {
        "checklist_total": _count(
            Requirement.objects.using(using).filter(
                track_id=OuterRef("track_id"), is_active=True, check_kind="",
                track_level__level__rank__lte=next_rank(),
            )
        ),
        "checklist_done": _count(
            Evidence.objects.using(using).filter(
                employee_id=OuterRef("pk"), status="confirmed", requirement__is_active=True,
                requirement__check_kind="", requirement__track_id=OuterRef("track_id"),
                requirement__track_level__level__rank__lte=next_rank(),
            )
        ),
        "waiting_claims": _count(Evidence.objects.using(using).filter(employee_id=OuterRef("pk"), status="claimed")),
    }  # fmt: skip
    ids = list(Employee.objects.using(using).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        Employee.objects.using(using).filter(pk__in=ids[start : start + BATCH]).update(**counts)


COUNTS = {
    "checklist_total": "checklist lines",
    "checklist_done": "checklist lines confirmed",
    "waiting_claims": "waiting claims",
}


def _count_field(name: str):
    field = models.PositiveIntegerField(default=0, editable=False, verbose_name=COUNTS[name])
    field.set_attributes_from_name(name)
    return field


def add_columns(apps, schema_editor):
    """The three columns, added in place.

    SQLite: Django would rebuild the employee table for a NOT NULL column, and SQLite
    refuses to rename a table while the analytics views (exports.analytics) read it;
    its ALTER TABLE ADD COLUMN takes a NOT NULL column with a constant default instead.
    """
    Employee = apps.get_model("grades", "Employee")
    qn = schema_editor.quote_name
    for name in COUNTS:
        field = _count_field(name)
        if schema_editor.connection.vendor == "sqlite":
            definition, _params = schema_editor.column_sql(Employee, field, include_default=False)
            check = field.db_parameters(connection=schema_editor.connection)["check"]
            if check:
                definition += f" CHECK ({check})"
            schema_editor.execute(
                f"ALTER TABLE {qn(Employee._meta.db_table)} ADD COLUMN {qn(field.column)} {definition} DEFAULT 0"
            )
        else:
            schema_editor.add_field(Employee, field)


def drop_columns(apps, schema_editor):
    Employee = apps.get_model("grades", "Employee")
    for name in COUNTS:
        schema_editor.remove_field(Employee, _count_field(name))


class Migration(migrations.Migration):

    dependencies = [
        ("grades", "0010_drop_content_version"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(model_name="employee", name=name, field=_count_field(name))
                for name in COUNTS
            ],
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
        ),
        migrations.RunPython(count_everyone, migrations.RunPython.noop),
    ]
