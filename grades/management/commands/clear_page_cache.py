from django.core.cache import cache
from django.core.management.base import BaseCommand
from django.db import transaction

from grades import pagecache


class Command(BaseCommand):
    help = (
        "Forget every kept page and move the content version on. Run it after restoring a "
        "backup or changing data with plain SQL: the product's own writes need no help."
    )

    def handle(self, *args, **options):
        cache.clear()
        with transaction.atomic():
            pagecache.bump()
        self.stdout.write(f"Cache cleared; content version is now {pagecache.current_version()}.")
