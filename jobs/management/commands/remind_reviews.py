from django.core.management.base import BaseCommand, CommandError

from jobs import services

from ._output import write_result


class Command(BaseCommand):
    help = (
        "Remind committee members of the defenses they sit on in the next --days days (once per "
        "defense and member; a defense moved to another date or time is reminded again), and "
        "team leads of their reports' claims waiting for a decision for more than "
        "--claims-older-than days (at most once a week per claim), and people and their team leads "
        "of growth goals past their due date and not done (at most once a week per goal). One "
        "mail per person. Safe to "
        "run twice: what was reminded is recorded and not sent again; a missed day is caught up "
        "by the next run. Run it daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true",
            help="print the mails that would be sent; record nothing and send nothing",
        )
        parser.add_argument(
            "--days", type=int, default=3, metavar="N",
            help="remind of defenses scheduled within the next N days (default 3)",
        )
        parser.add_argument(
            "--claims-older-than", type=int, default=7, metavar="N",
            help="remind of claims waiting for more than N days (default 7)",
        )

    def handle(self, *args, dry_run, days, claims_older_than, **options):
        self.verbosity = options["verbosity"]
        if not 1 <= days <= 366:
            raise CommandError(f"--days must be a number of days from 1 to 366, not {days}.")
        if not 0 <= claims_older_than <= 3660:
            raise CommandError(
                f"--claims-older-than must be a number of days from 0 to 3660, not {claims_older_than}."
            )
        result = services.reviews_remind(days=days, claims_older_than=claims_older_than, dry_run=dry_run)
        write_result(self, result, what={"defenses": "defense(s)", "claims": "claim(s)", "goals": "goal(s)"})
