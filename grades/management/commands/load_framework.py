import datetime
import re
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from common import audit
from common.validators import validate_calendar_date
from grades.framework_loader import FrameworkError
from grades.versions import load_framework


def _effective_date(value: str | None) -> datetime.date | None:
    """The --effective date, or CommandError with a sentence saying what is wrong with it."""
    if value is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError(value)
        day = datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(f"--effective {value}: not a date; write it as YYYY-MM-DD, e.g. 2026-01-31.") from None
    try:
        validate_calendar_date(day)
    except ValidationError as exc:
        raise CommandError(f"--effective {value}: {' '.join(exc.messages)}") from None
    return day


class Command(BaseCommand):
    help = (
        "Load or update a track's framework (levels' comments, requirements, books) from a "
        "YAML or JSON file. The file is validated first; a bad file writes nothing. "
        "Loading the same file twice changes nothing. A load that changes the framework becomes "
        "a new version of it, listed at /tracks/<slug>/versions/, and the command prints what "
        "changed, one line per requirement: + added, - removed, ~ reworded, > moved. "
        "The new content is in force as soon as it is loaded: --effective records the date the "
        "company gives the version (today by default, never earlier than the latest version's) and "
        "is the day on which --dry-run measures the impact; a date in the future does not delay "
        "the change (load the file on that day for that). Every change is kept in the history of "
        "the rows it touches, with --user as who made it. See grades/frameworks/README.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the framework file, e.g. grades/frameworks/backend.yaml")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="validate, print what would change and its impact on people and their claims; write nothing",
        )
        parser.add_argument(
            "--effective",
            metavar="YYYY-MM-DD",
            help="the version's effective date (default today); not earlier than the track's latest version's",
        )
        audit.add_user_argument(parser)

    def handle(self, *args, path, dry_run, effective, **options):
        day = _effective_date(effective)
        by = audit.command_actor(options["user"])
        try:
            report = load_framework(
                path, dry_run=dry_run, by=by, effective=day,
                reason=audit.command_reason(f"load_framework {Path(path).name}", by),
            )
        except FrameworkError as exc:
            raise CommandError(str(exc)) from exc
        prefix = "Dry run, nothing written: " if dry_run else ""
        if options["verbosity"] >= 1:
            self.stdout.write(prefix + report.summary())
            outcome = report.outcome
            for line in outcome.lines() if outcome is not None else []:
                self.stdout.write(line)
            if not report.changed and (outcome is None or outcome.number is None):
                self.stdout.write("Nothing to change: the database already matches the file.")
