from django.core.management.base import BaseCommand, CommandError

from exports.analytics import sync_views


class Command(BaseCommand):
    help = (
        "Drop and re-create the analytics SQL views (analytics_*): people by id only, no names, "
        "e-mails, comments or evidence. Also runs after every migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="database alias (default: default)")

    def handle(self, *args, database, **options):
        try:
            names = sync_views(database)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(f"Synced {len(names)} views: {', '.join(names)}")
