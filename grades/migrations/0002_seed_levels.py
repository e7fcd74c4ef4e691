"""The nine-level ladder every track shares. Junior is entry-only."""

from django.db import migrations

# (rank, code, name, Russian name, months in the level below before defending it)
LADDER = [
    (1, "junior", "Junior", "Джуниор", 0),
    (2, "junior-plus", "Junior+", "Джуниор+", 6),
    (3, "junior-plus-plus", "Junior++", "Джуниор++", 6),
    (4, "middle", "Middle", "Мидл", 6),
    (5, "middle-plus", "Middle+", "Мидл+", 6),
    (6, "middle-plus-plus", "Middle++", "Мидл++", 6),
    (7, "senior", "Senior", "Сеньор", 12),
    (8, "senior-plus", "Senior+", "Сеньор+", 12),
    (9, "senior-plus-plus", "Senior++", "Сеньор++", 12),
]


def create_levels(apps, schema_editor):
    Level = apps.get_model("grades", "Level")
    db = schema_editor.connection.alias
    for rank, code, name, name_ru, months in LADDER:
        Level.objects.using(db).update_or_create(
            code=code,
            defaults={
                "rank": rank,
                "name": name,
                "name_ru": name_ru,
                "entry_only": rank == 1,
                "min_months_in_previous": months,
            },
        )


def delete_levels(apps, schema_editor):
    Level = apps.get_model("grades", "Level")
    Level.objects.using(schema_editor.connection.alias).filter(
        code__in=[code for _, code, *_ in LADDER]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("grades", "0001_initial")]
    operations = [migrations.RunPython(create_levels, delete_levels)]
