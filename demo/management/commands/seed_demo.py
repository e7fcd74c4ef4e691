import datetime
import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo import criteria as criteria_demo
from demo import pay as pay_demo
from demo import people as demo
from demo import reviews as review_demo
from pay.services import PayError


class Command(BaseCommand):
    help = (
        "Create a deterministic demo organisation on both tracks: team leads and developers at "
        "every level with several years of grade history, mentorships and evidence, plus the demo "
        "logins admin, hr, lead, dev, manager, cto, product and hrdirector, and promotion reviews "
        "in every state consistent with the grade history. People are matched by username and "
        "reviews are only given to people who have none, so running it again creates only what is "
        "missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--employees",
            type=int,
            default=200,
            help=f"demo people besides the lead and dev logins, 1 to {demo.MAX_EMPLOYEES} (default 200)",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="the same seed gives the same organisation (default 1)"
        )
        parser.add_argument(
            "--password",
            help=f"password of every new demo user (default: $DEMO_PASSWORD, else {demo.DEFAULT_PASSWORD!r})",
        )
        parser.add_argument(
            "--today",
            help=(
                "reference date YYYY-MM-DD that the history ends on (default: the latest day whose "
                "office hours, to 15:00 UTC, are over)"
            ),
        )

    def handle(self, *args, employees, seed, password, today, verbosity, **options):
        reference = self._reference_date(today)
        if password is None:
            password = os.environ.get("DEMO_PASSWORD") or demo.DEFAULT_PASSWORD
        started = time.perf_counter()
        try:
            result = demo.demo_seed(employees=employees, seed=seed, today=reference, password=password)
            # A transaction of its own: the organisation stays if this fails, and a rerun
            # adds the reviews, since they go to the people who have none.
            reviews = review_demo.seed_reviews(today=reference, seed=seed)
            # The other criteria of the defenses (productivity, books, plans, relations,
            # kept packets), likewise in a transaction of its own.
            criteria = criteria_demo.seed_criteria(today=reference, seed=seed)
            bands = pay_demo.seed_bands(reference)
        except (demo.DemoError, PayError) as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        if verbosity < 1:
            return

        created = result.created
        reviews_created = sum(count for name, count in reviews.items() if name.endswith(" reviews"))
        if result.created_anything:
            self.stdout.write(
                f"Created {created['employees']:,} employees, {created['users']:,} users, "
                f"{created['grade changes']:,} grade changes, {created['mentorships']:,} mentorships, "
                f"{created['evidence']:,} evidence claims with {created['evidence events']:,} events "
                f"in {elapsed:.1f} s (history up to {reference:%Y-%m-%d})."
            )
            if result.employees_existing:
                self.stdout.write(
                    f"{result.employees_existing:,} of the {result.employees_planned:,} demo employees "
                    "already existed and were left as they are."
                )
        elif not reviews_created and not bands["salary bands"] and not any(criteria.values()):
            self.stdout.write(
                f"Nothing new was created: all {result.employees_planned:,} demo employees and the "
                f"demo logins already exist."
            )
        if reviews_created:
            by_status = ", ".join(
                f"{count:,} {name.removesuffix(' reviews')}" for name, count in reviews.items()
                if name.endswith(" reviews") and count
            )
            self.stdout.write(
                f"Created {reviews_created:,} promotion reviews ({by_status}) with "
                f"{reviews['committee seats']:,} committee seats, {reviews['votes']:,} votes and "
                f"{reviews['review events']:,} review events."
            )
        if any(criteria.values()):
            self.stdout.write(
                "Created "
                + ", ".join(f"{count:,} {name}" for name, count in criteria.items() if count)
                + " for the defenses."
            )
        if bands["salary bands"]:
            self.stdout.write(
                f"Created {bands['salary bands']:,} salary bands (weighted, {pay_demo.DEMO_CURRENCY}) "
                "for both tracks."
            )
        if verbosity >= 2:
            for table, count in {**created, **reviews, **criteria, **bands}.items():
                self.stdout.write(f"  {table}: {count:,}")

        self.stdout.write(f"Demo logins: {', '.join(demo.DEMO_LOGINS)}; password: {password}")
        if result.logins_existing:
            self.stdout.write(
                f"These logins already existed; their passwords were not changed: "
                f"{', '.join(result.logins_existing)}."
            )
        self.stdout.write(f"Open {demo.DEMO_URL} and sign in.")

    def _reference_date(self, value: str | None) -> datetime.date:
        # The demo's events fall in the office hours of their day, so the history may end only
        # on a day whose office hours are over: before that, today's claims and votes would be
        # dated later than the moment they were written.
        latest = demo.last_full_office_day(timezone.now())
        if value is None:
            return latest
        try:
            reference = datetime.date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"--today must be a date like 2025-06-30; got {value!r}.") from None
        if reference > latest:
            raise CommandError(
                f"--today {reference:%Y-%m-%d} is in the future or its office hours (to 15:00 UTC) are "
                f"not over; history cannot end there. The latest possible date now is {latest:%Y-%m-%d}."
            )
        if reference.year < 2000:
            raise CommandError("--today must be in the year 2000 or later.")
        return reference
