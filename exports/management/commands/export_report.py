import os
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exports import policies, services
from exports.reports import REPORTS, VIEWER, ReportFilterForm
from reviews.policies import vote_viewer


class Command(BaseCommand):
    help = (
        "Write a report as CSV, byte for byte the same as the web download, to a file or to "
        "standard output. For cron: a file is written under a temporary name and renamed "
        "when complete, so a reader never sees half a report. The votes of reviews not yet "
        "decided (in reviews and votes) are left empty unless --as-user names someone who may "
        "see them, as on the review page: an HR person or an admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help=f"one of: {', '.join(REPORTS)}")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument("--delimiter", default=";", help="; (default), , or tab")
        parser.add_argument("--bom", action="store_true", help="start with a UTF-8 BOM (for Excel)")
        parser.add_argument("--track", help="only this track (slug)")
        parser.add_argument("--level", help="only this level (code, e.g. middle-plus)")
        parser.add_argument("--lead", help="only the people this team lead leads now (the lead's employee id or login)")
        parser.add_argument("--status", help="reviews and votes: only this review status")
        parser.add_argument("--date-from", help="YYYY-MM-DD, inclusive")
        parser.add_argument("--date-to", help="YYYY-MM-DD, inclusive")
        parser.add_argument(
            "--dates", help="reviews and votes: the dates filter by the request (requested, default) or the decision (decided)"
        )
        parser.add_argument(
            "--as-user",
            help="the username the report is for, checked like the web download: required for "
            "reports narrower than HR and managers (salary-bands: an HR person or an admin); for "
            "reviews and votes, the votes of undecided reviews show as that person would see them "
            "(without it: left empty)",
        )

    def handle(self, *args, name, output, delimiter, bom, as_user=None, **options):
        try:
            report = services.get_report(name)
        except services.UnknownReport:
            raise CommandError(f"No report called {name!r}; choose one of {', '.join(REPORTS)}.") from None
        reader = self._check_access(report, as_user)
        given = {
            key: options[key.replace("-", "_")]
            for key in ("track", "level", "lead", "status", "date_from", "date_to", "dates")
            if options.get(key) not in (None, "")
        }
        unsupported = sorted(set(given) - set(report.filters))
        if unsupported:
            raise CommandError(f"The {name} report has no filter {', '.join(unsupported)}.")
        form = ReportFilterForm({**given, "delimiter": delimiter}, report=report)
        if not form.is_valid():
            raise CommandError(f"Invalid parameters. {form.error_sentence()}")
        # A report written by cron may be mailed or shared on: without a named reader it is
        # nobody's in particular, and the secret ballot holds (reviews.policies).
        filters = {**form.cleaned_data, VIEWER: vote_viewer(reader)}
        chunks = services.csv_chunks(report, filters, delimiter=delimiter, bom=bom)
        if not output:
            stream = getattr(self.stdout, "_out", sys.stdout)
            buffer = getattr(stream, "buffer", None)
            for chunk in chunks:
                if buffer is not None:
                    buffer.write(chunk)
                else:
                    stream.write(chunk.decode("utf-8"))
            stream.flush()
            return
        target = Path(output)
        if not target.parent.exists():
            raise CommandError(f"The folder {target.parent} does not exist.")
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        if options["verbosity"] >= 2:
            self.stderr.write(f"Wrote {target} ({target.stat().st_size} bytes).")

    def _check_access(self, report, username: str | None):
        """The named reader (None when nobody is named), refusing a report they could not
        download on the web; a restricted report needs someone named."""
        if not username:
            if report.restricted:
                raise CommandError(
                    f"The {report.name} report is for {' and '.join(report.roles)} only: pass "
                    "--as-user with the username of such a person or of an admin."
                )
            return None
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        if not policies.may_download(user, report):
            raise CommandError(
                f"{username} may not download the {report.name} report; it is for "
                f"{' and '.join(report.roles)} only."
            )
        return user
