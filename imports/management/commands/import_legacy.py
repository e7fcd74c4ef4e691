"""python manage.py import_legacy [--mapping FILE] [--dry-run] [--strict] [--database-url URL] [--user USERNAME]"""

from django.core.management.base import BaseCommand, CommandError

from common import audit
from imports import legacy_source, services


class Command(BaseCommand):
    help = (
        "Import people and their grade history from an old system's database (LEGACY_DATABASE_URL, "
        "or --database-url), read with the SELECT statements of a mapping file. Every row is checked "
        "first; rows with problems are skipped and listed with their source key. People already here "
        "(matched by e-mail) are never duplicated and their history is never changed, so running it "
        "again changes nothing. The source is only read: each statement must be one SELECT, and it "
        "runs in a read-only transaction; a warning says when the source account could write."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--mapping",
            help=f"The mapping file (YAML) with the SELECT statements. Default: {legacy_source.DEFAULT_MAPPING}",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")
        parser.add_argument(
            "--strict", action="store_true", help="Import nothing at all when any row has a problem."
        )
        parser.add_argument(
            "--database-url",
            help="The legacy database for this run, instead of LEGACY_DATABASE_URL "
            "(e.g. sqlite:////tmp/old.sqlite3, mysql://user:password@host/olddb).",
        )
        audit.add_user_argument(parser)

    def handle(self, *args, **options):
        by = audit.command_actor(options["user"])
        try:
            mapping = legacy_source.load_mapping(options["mapping"])
            outcome = legacy_source.legacy_import(
                mapping=mapping,
                url=options["database_url"],
                dry_run=options["dry_run"],
                strict=options["strict"],
                warn=self.warn_about_source,
                by=by,
            )
        except (legacy_source.LegacyError, services.ImportRefused) as exc:
            raise CommandError(str(exc)) from exc

        lines = outcome.report().splitlines()
        if options["verbosity"] >= 2:
            lines += [
                f"  {person.action:>10}  key {person.key}  {person.email or '-'}  "
                f"{person.level or person.row.values.get('level')}"
                for person in outcome.plan.people
            ]
        for line in lines:
            self.stdout.write(line)
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
        problems = outcome.problem_count
        if problems:
            self.stderr.write(
                self.style.WARNING(f"{problems} problem(s): the rows named above were skipped; fix them at the source and run again.")
            )
        elif not options["dry_run"]:
            self.stdout.write(self.style.SUCCESS("Done."))

    def warn_about_source(self, message: str) -> None:
        """A sentence about the source account, shown before the report."""
        self.stderr.write(self.style.WARNING(f"Warning: {message}"))
