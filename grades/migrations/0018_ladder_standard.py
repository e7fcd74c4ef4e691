"""Put the existing levels on the ladder `standard`, which every existing track climbs.

Until now there was one ladder, the Level table itself. It becomes the ladder
`standard` (the shipped nine levels, and any a company added): every level keeps
its row, id, rank, code and names, every track keeps its levels, and every grade
history entry, claim, review and salary band keeps pointing at the same rows. The
main grades flagged on the levels become each level's main grade (the highest flagged
level at or below it), and each track's full ladder is laid out as its rungs. The roles
that read the framework may read ladders too, and HR may rename them (as grades.roles
lists).
"""

from django.db import migrations

STANDARD = {"slug": "standard", "name": "Standard ladder", "name_ru": "Стандартная лестница"}


def forwards(apps, schema_editor):
    from grades.rules import main_grades_from_starts

    db = schema_editor.connection.alias
    Ladder = apps.get_model("grades", "Ladder")
    Level = apps.get_model("grades", "Level")
    Track = apps.get_model("grades", "Track")
    TrackRung = apps.get_model("grades", "TrackRung")

    ladder, _created = Ladder.objects.using(db).get_or_create(
        slug=STANDARD["slug"], defaults={"name": STANDARD["name"], "name_ru": STANDARD["name_ru"]}
    )
    levels = list(Level.objects.using(db).order_by("rank"))
    Level.objects.using(db).update(ladder=ladder)
    grades = main_grades_from_starts((level.rank, level.code, level.is_main_grade) for level in levels)
    by_code = {level.code: level for level in levels}
    for level in levels:
        grade = grades[level.code]
        Level.objects.using(db).filter(pk=level.pk).update(main_grade=by_code[grade] if grade else None)
    Track.objects.using(db).update(ladder=ladder)
    TrackRung.objects.using(db).bulk_create(
        TrackRung(track_id=track_id, level_id=level.pk, rank=level.rank, owner_id=track_id)
        for track_id in Track.objects.using(db).order_by("pk").values_list("pk", flat=True)
        for level in levels
    )


# Added to the groups here, as grades 0009 does for its own, so that nothing else about the
# roles changes; grades.roles.ROLE_PERMISSIONS lists the same, so a later sync keeps them.
LADDER_PERMISSIONS = {"view_ladder": ("HR", "Team lead", "Committee", "Manager", "Developer"), "change_ladder": ("HR",)}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    using = schema_editor.connection.alias
    # Permissions are normally created after all migrations (post_migrate); make the new
    # model's now. create_permissions skips app configs without a models module, which
    # historical app configs never have.
    app_config = apps.get_app_config("grades")
    original = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for codename, roles in LADDER_PERMISSIONS.items():
        permission = Permission.objects.using(using).get(content_type__app_label="grades", codename=codename)
        for group in Group.objects.using(using).filter(name__in=roles):
            group.permissions.add(permission)


def backwards(apps, schema_editor):
    db = schema_editor.connection.alias
    Level = apps.get_model("grades", "Level")
    TrackRung = apps.get_model("grades", "TrackRung")
    TrackRung.objects.using(db).all().delete()
    for level in Level.objects.using(db).all():
        Level.objects.using(db).filter(pk=level.pk).update(is_main_grade=level.main_grade_id == level.pk)


class Migration(migrations.Migration):
    dependencies = [("grades", "0017_ladder_tables")]
    operations = [migrations.RunPython(forwards, backwards), migrations.RunPython(grant, migrations.RunPython.noop)]
