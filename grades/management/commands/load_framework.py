from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common import audit
from grades.framework_loader import FrameworkError, load_framework


class Command(BaseCommand):
    help = (
        "Load or update a track's framework (levels' comments, requirements, books) from a "
        "YAML or JSON file. The file is validated first; a bad file writes nothing. "
        "Loading the same file twice changes nothing. Every change is kept in the history of the "
        "rows it touches, with --user as who made it. See grades/frameworks/README.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the framework file, e.g. grades/frameworks/backend.yaml")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report what would change; write nothing"
        )
        audit.add_user_argument(parser)

    def handle(self, *args, path, dry_run, **options):
        by = audit.command_actor(options["user"])
        try:
            report = load_framework(
                path, dry_run=dry_run, by=by, reason=audit.command_reason(f"load_framework {Path(path).name}", by)
            )
        except FrameworkError as exc:
            raise CommandError(str(exc)) from exc
        prefix = "Dry run, nothing written: " if dry_run else ""
        if options["verbosity"] >= 1:
            self.stdout.write(prefix + report.summary())
            if not report.changed:
                self.stdout.write("Nothing to change: the database already matches the file.")
