"""Version 1 of every track's framework, taken from the database as it stands.

From now on each load of a framework file that changes a track appends a version
(grades.versions). Here every track gets its first one, with a snapshot of its
levels, requirements and books; every requirement's wording is that version's; and
every decision already made on a claim is recorded as made against it, since the
database kept no earlier wording to tell otherwise.

Claims still waiting on a requirement that had already been retired would wait for
ever (no checklist shows them, yet they counted as waiting and were reminded of):
they are withdrawn, each with an event giving the reason, and their people's
waiting-claims figure is counted again.
"""

import json

from django.db import migrations
from django.utils import timezone

REASON = "The requirement had been retired before framework versions were kept; the waiting claim was withdrawn."


# The snapshot as grades.versions.snapshot wrote it when this migration was made; spelled
# out here so that later fields of the models do not change what this migration reads.
REQUIREMENT_FIELDS = ("position", "category", "text", "text_en", "origin", "check_kind", "check_params")
TRACK_FIELDS = ("slug", "name", "name_ru", "description", "description_en")


def snapshot(track, using, TrackLevel, Requirement, Book):
    track_levels = list(
        TrackLevel.objects.using(using).filter(track_id=track.pk)
        .order_by("level__rank").values("pk", "level__code", "comment", "comment_en")
    )
    books = {}
    for track_level_id, title, author in (
        Book.objects.using(using).filter(track_level__track_id=track.pk)
        .order_by("position", "id").values_list("track_level_id", "title", "author")
    ):
        books.setdefault(track_level_id, []).append([title, author])
    requirements = [
        {"key": row["key"], "level": row["track_level__level__code"], **{name: row[name] for name in REQUIREMENT_FIELDS}}
        for row in Requirement.objects.using(using).filter(track_id=track.pk, is_active=True)
        .order_by("track_level__level__rank", "position", "id")
        .values("key", "track_level__level__code", *REQUIREMENT_FIELDS)
    ]
    framework = {
        "track": {name: getattr(track, name) for name in TRACK_FIELDS},
        "levels": [
            {"level": row["level__code"], "comment": row["comment"], "comment_en": row["comment_en"],
             "books": books.get(row["pk"], [])}
            for row in track_levels
        ],
        "requirements": requirements,
    }
    return json.loads(json.dumps(framework, ensure_ascii=False))


def first_versions(apps, schema_editor):
    using = schema_editor.connection.alias
    get = lambda name: apps.get_model("grades", name)  # noqa: E731
    Track, FrameworkVersion, Requirement, Evidence = get("Track"), get("FrameworkVersion"), get("Requirement"), get("Evidence")
    EvidenceEvent, Employee = get("EvidenceEvent"), get("Employee")
    today = timezone.localdate()
    for track in Track.objects.using(using).order_by("pk"):
        if FrameworkVersion.objects.using(using).filter(track=track).exists():
            continue
        framework = snapshot(track, using, get("TrackLevel"), Requirement, get("Book"))
        counts = {"added": len(framework["requirements"]), "removed": 0, "reworded": 0, "moved": 0}
        version = FrameworkVersion.objects.using(using).create(
            track=track, number=1, effective_date=today, loaded_by=None, file_name="",
            snapshot=framework, changes={**counts, "reconfirm": [], "other": [], "claims": {}},
        )
        Requirement.objects.using(using).filter(track=track).update(wording_version=version)
        Evidence.objects.using(using).filter(
            requirement__track=track, status__in=["confirmed", "rejected"]
        ).update(decided_version=version)

    stranded = list(
        Evidence.objects.using(using).filter(status="claimed", requirement__is_active=False).order_by("pk")
    )
    now = timezone.now()
    for claim in stranded:
        Evidence.objects.using(using).filter(pk=claim.pk).update(status="withdrawn")
        EvidenceEvent.objects.using(using).create(
            evidence=claim, action="withdrawn", actor=None, at=max(now, claim.claimed_at),
            description=claim.description, links=claim.links, comment=REASON,
        )
    for employee_id in sorted({claim.employee_id for claim in stranded}):
        waiting = Evidence.objects.using(using).filter(employee_id=employee_id, status="claimed").count()
        Employee.objects.using(using).filter(pk=employee_id).update(waiting_claims=waiting)


def drop_versions(apps, schema_editor):
    """Back to before versions: the references go, then the versions (withdrawn claims stay withdrawn)."""
    using = schema_editor.connection.alias
    get = lambda name: apps.get_model("grades", name)  # noqa: E731
    get("Evidence").objects.using(using).exclude(decided_version=None).update(decided_version=None)
    get("Requirement").objects.using(using).exclude(wording_version=None).update(wording_version=None)
    get("FrameworkVersion").objects.using(using).all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("grades", "0022_framework_versions"),
    ]

    operations = [
        migrations.RunPython(first_versions, drop_versions),
    ]
