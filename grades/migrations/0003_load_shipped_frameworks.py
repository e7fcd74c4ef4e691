"""Load the shipped frameworks (grades/frameworks/*.yaml) so a fresh database has both tracks.

The files are read as they are when the migration runs; later edits to them are
applied with `manage.py load_framework`, not by this migration. Their themes are the
eight that shipped as fixed choices then (rows of a table only from migration 0018).
"""

from django.db import migrations

TRACK_MODELS = ("Level", "Track", "TrackLevel", "Requirement", "Book")


def load(apps, schema_editor):
    from grades.framework_loader import CATEGORIES, apply_framework, parse_framework, shipped_framework_paths

    models = {name: apps.get_model("grades", name) for name in TRACK_MODELS}
    db = schema_editor.connection.alias
    codes = list(models["Level"].objects.using(db).order_by("rank").values_list("code", flat=True))
    for path in shipped_framework_paths():
        spec = parse_framework(path, level_codes=codes, category_keys=CATEGORIES)
        apply_framework(spec, using=db, models=models)


def unload(apps, schema_editor):
    from grades.framework_loader import CATEGORIES, parse_framework, shipped_framework_paths

    db = schema_editor.connection.alias
    Level = apps.get_model("grades", "Level")
    codes = list(Level.objects.using(db).order_by("rank").values_list("code", flat=True))
    slugs = [
        parse_framework(path, level_codes=codes, category_keys=CATEGORIES).slug for path in shipped_framework_paths()
    ]
    Track = apps.get_model("grades", "Track")
    TrackLevel = apps.get_model("grades", "TrackLevel")
    Requirement = apps.get_model("grades", "Requirement")
    Book = apps.get_model("grades", "Book")
    Book.objects.using(db).filter(track_level__track__slug__in=slugs).delete()
    Requirement.objects.using(db).filter(track__slug__in=slugs).delete()
    TrackLevel.objects.using(db).filter(track__slug__in=slugs).delete()
    Track.objects.using(db).filter(slug__in=slugs).delete()


class Migration(migrations.Migration):
    dependencies = [("grades", "0002_seed_levels")]
    operations = [migrations.RunPython(load, unload)]
