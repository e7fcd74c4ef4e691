from django.core.management.base import BaseCommand, CommandError

from webhooks import services


class Command(BaseCommand):
    help = (
        "Send the webhook deliveries that are due: events queued since the last run and "
        "failed attempts whose back-off has passed. Each delivery is sent by one run only, "
        "even when two runs overlap; every attempt is recorded (admin: Webhooks › Webhook "
        "deliveries). A failure that may pass (no connection, timeout, 429, 5xx) is tried "
        "again later, waiting twice as long each time, up to WEBHOOKS_MAX_ATTEMPTS. Run it "
        "every minute from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=100, metavar="N",
            help="send at most N deliveries in this run (default 100); the rest wait for the next",
        )
        parser.add_argument(
            "--retry-failed", action="store_true",
            help="first give every failed delivery of an active endpoint a new round of attempts "
                 "(after a receiver's long outage or a corrected URL)",
        )

    def handle(self, *args, limit, retry_failed, **options):
        if not 1 <= limit <= 10000:
            raise CommandError(f"--limit must be a number from 1 to 10000, not {limit}.")
        if retry_failed:
            again = services.deliveries_retry_failed()
            if options["verbosity"] >= 1:
                self.stdout.write(f"Failed deliveries queued again: {again}.")
        result = services.deliveries_send(limit=limit)
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"Delivered {result.delivered}, to retry {result.retrying}, failed {result.failed}, "
                f"taken by another run {result.taken_by_another}."
            )
