"""Copy each person's latest failed defense onto their employee row (grades 0015's column).

From here on the decision service keeps it (grades.services.record_failed_defense).
The day is the decision's day in the site's time zone, as the service records it.
"""

from django.db import migrations
from django.db.models import Max
from django.utils import timezone


def fill(apps, schema_editor):
    PromotionReview = apps.get_model("reviews", "PromotionReview")
    Employee = apps.get_model("grades", "Employee")
    latest = (
        PromotionReview.objects.filter(status="failed", decided_at__isnull=False)
        .values("candidate_id")
        .annotate(last=Max("decided_at"))
        .order_by()
    )
    for row in latest.iterator():
        Employee.objects.filter(pk=row["candidate_id"]).update(last_failed_defense_on=timezone.localdate(row["last"]))


class Migration(migrations.Migration):
    dependencies = [
        ("grades", "0015_employee_last_failed_defense"),
        ("reviews", "0005_review_list_filter_indexes"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
