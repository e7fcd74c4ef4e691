"""python manage.py sync_people FILE.csv [--full] [--dry-run] [--allow-mass-leave] [--max-leave-share 0.2] [--user USERNAME]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common import audit
from imports import csvfile, services, sync


def share(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number <= 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Sync people with the HR system's CSV export, the source of truth: people new to the system are "
        "created, people it knows (by source_key, the first time by e-mail) get the file's name, e-mail, "
        "team lead, track, probation end and career start. With --full, everyone here who is missing from "
        "the file is marked as leaving today. Rows that cannot be applied are refused and listed with their "
        "key and reason. One transaction; running the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The HR system's export (CSV, UTF-8).")
        parser.add_argument(
            "--full", action="store_true",
            help="The file lists everyone who works here: mark those missing from it as leaving.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; write nothing.")
        parser.add_argument(
            "--allow-mass-leave", action="store_true",
            help="Let a full sync mark more than --max-leave-share of the people as leaving.",
        )
        parser.add_argument(
            "--max-leave-share", type=share, default=sync.DEFAULT_MAX_LEAVE_SHARE, metavar="SHARE",
            help=f"The largest share (0 to 1) of the people here a full sync may mark as leaving "
            f"without --allow-mass-leave. Default: {sync.DEFAULT_MAX_LEAVE_SHARE}",
        )
        audit.add_user_argument(parser)

    def handle(self, *args, **options):
        by = audit.command_actor(options["user"])
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from exc
        try:
            table = csvfile.read_table(
                csvfile.decode(data), required=sync.SYNC_REQUIRED, optional=sync.SYNC_OPTIONAL
            )
            outcome = sync.sync_people(
                table.rows,
                full=options["full"],
                dry_run=options["dry_run"],
                allow_mass_leave=options["allow_mass_leave"],
                max_leave_share=options["max_leave_share"],
                by=by,
                source=path.name,
            )
        except csvfile.CsvFileError as exc:
            raise CommandError(f"{path.name}: {exc} Nothing was changed.") from exc
        except services.ImportRefused as exc:
            raise CommandError(str(exc)) from exc
        for line in outcome.report().splitlines():
            self.stdout.write(line)
        refused = outcome.plan.count(sync.Action.REFUSE)
        if refused:
            self.stderr.write(
                self.style.WARNING(f"{refused} row(s) refused, listed above: correct them in the HR system and run again.")
            )
