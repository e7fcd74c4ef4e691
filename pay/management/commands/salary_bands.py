import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from common import audit
from grades.models import Track
from pay import rules, services


class Command(BaseCommand):
    help = (
        "Fill the salary bands of a ladder's levels (the track's with --track, else the shipped nine "
        "levels) from the lowest level's minimum and the highest level's maximum, check them against the other bands in force, print them, and store them in one "
        "transaction. Each band reaches up to the next level's minimum. Running the same "
        "command again writes nothing; bands of other dates are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--min", dest="minimum", required=True, help="the Junior band's minimum, e.g. 1500")
        parser.add_argument("--max", dest="maximum", required=True, help="the Senior++ band's maximum, e.g. 8500")
        parser.add_argument(
            "--mode",
            required=True,
            help="even (the same step between every two levels) or weighted (larger steps into "
            "Middle and Senior, and inside higher grades; the weights are the pay policy's, in the admin)",
        )
        parser.add_argument(
            "--track", help="only this track (slug), on its own ladder; default: the bands of all tracks, on the shipped ladder"
        )
        parser.add_argument(
            "--currency", default=None, help="ISO 4217 code (default: PAY_DEFAULT_CURRENCY, EUR unless set)"
        )
        parser.add_argument("--valid-from", help="YYYY-MM-DD the bands apply from (default: today)")
        parser.add_argument("--dry-run", action="store_true", help="print the bands, write nothing")
        audit.add_user_argument(parser)

    def handle(self, *args, minimum, maximum, mode, track, currency, valid_from, dry_run, verbosity, **options):
        track_obj = self._track(track)
        day = self._date(valid_from)
        by = audit.command_actor(options["user"])
        try:
            plan = services.salary_bands_fill(
                minimum=minimum,
                maximum=maximum,
                mode=mode,
                track=track_obj,
                currency=currency or settings.PAY_DEFAULT_CURRENCY,
                valid_from=day,
                dry_run=dry_run,
                by=by,
                reason=audit.command_reason("salary_bands", by),
            )
        except services.PayError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity < 1:
            return
        self._print(plan)
        scope = plan.track.name if plan.track else "all tracks"
        where = f"{scope} in {plan.currency} from {plan.valid_from:%Y-%m-%d}"
        counts = (
            f"{plan.count(services.NEW)} new, {plan.count(services.CHANGED)} changed, "
            f"{plan.count(services.UNCHANGED)} already stored"
        )
        if dry_run:
            self.stdout.write(f"Dry run, nothing written. The bands for {where} would be: {counts}.")
        elif plan.written:
            self.stdout.write(f"Saved the bands for {where}: {counts}.")
        else:
            self.stdout.write(f"Nothing to write: the nine bands for {where} are already stored.")

    def _track(self, slug: str | None) -> Track | None:
        if not slug:
            return None
        found = Track.objects.filter(slug=slug).first()
        if found is None:
            known = ", ".join(Track.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(f"No track {slug!r}; known tracks: {known}.")
        return found

    def _date(self, value: str | None) -> datetime.date:
        if not value:
            return timezone.localdate()
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"--valid-from must be a date like 2025-01-01; got {value!r}.") from None

    def _print(self, plan: services.BandPlan) -> None:
        header = ("Level", "Minimum", "Maximum", "Step up", "")
        rows = []
        for index, band in enumerate(plan.bands):
            following = plan.bands[index + 1] if index + 1 < len(plan.bands) else None
            note = {services.NEW: "new", services.UNCHANGED: "stored"}.get(band.action, "")
            if band.action == services.CHANGED:
                note = f"was {rules.format_amount(band.previous[0])}–{rules.format_amount(band.previous[1])}"
            rows.append((
                band.level.name,
                rules.format_amount(band.minimum),
                rules.format_amount(band.maximum),
                rules.format_amount(following.minimum - band.minimum) if following else "",
                note,
            ))
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        scope = plan.track.name if plan.track else "All tracks"
        self.stdout.write(f"{scope} · {plan.currency} · from {plan.valid_from:%Y-%m-%d} · {plan.mode}")
        for row in [header, *rows]:
            cells = [str(row[0]).ljust(widths[0])] + [str(c).rjust(w) for c, w in zip(row[1:4], widths[1:4])]
            self.stdout.write("  ".join(cells + [row[4]]).rstrip())
