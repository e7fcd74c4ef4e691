import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jobs import services

from ._output import write_result


class Command(BaseCommand):
    help = (
        "Tell each team lead which of their reports became eligible for a defense since the "
        "last run: people whose earliest defense date (time in level and the cool-down after a "
        "failed defense, as on the progress page) falls after the last day a run covered and "
        "up to today, who are below the top level, still employed and without an open review. "
        "One mail per team lead. Days missed since the last run are caught up; a day already "
        "covered and a person already announced are never mailed again, so running it twice "
        "is safe. The first run ever starts its window one day before today (it announces "
        "today's people only). Run it daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true",
            help="print the mails that would be sent; record nothing and send nothing",
        )
        parser.add_argument(
            "--today", metavar="YYYY-MM-DD",
            help="the day to run for (default: today in TIME_ZONE); not later than today",
        )

    def handle(self, *args, dry_run, today, **options):
        self.verbosity = options["verbosity"]
        real_today = timezone.localdate()
        if today:
            try:
                day = datetime.date.fromisoformat(today)
            except ValueError:
                raise CommandError(f"--today {today!r} is not a date; write it as YYYY-MM-DD.") from None
            if day > real_today:
                raise CommandError(
                    f"--today {day:%Y-%m-%d} is in the future; a run would mark days that have not "
                    f"come yet as covered. Use {real_today:%Y-%m-%d} or an earlier day."
                )
        else:
            day = real_today
        result = services.eligible_people_notify(today=day, dry_run=dry_run)
        write_result(self, result, what={"eligible": "person(s)"})
