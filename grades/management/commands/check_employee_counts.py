from django.core.management.base import BaseCommand, CommandError

from grades.selectors import employees_with_wrong_counts
from grades.services import employee_counts_refresh


class Command(BaseCommand):
    help = (
        "Compare the figures the people list shows (checklist lines, confirmed lines, waiting "
        "claims), which the grade services keep on each employee row, with a recount from the "
        "evidence. Exits with an error when any differ; --fix recounts everyone. Needed only "
        "after data was changed outside the product (plain SQL, a restored backup)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="recount every employee's figures")

    def handle(self, *args, fix, verbosity, **options):
        wrong = list(employees_with_wrong_counts().order_by("pk").values_list("pk", flat=True))
        if fix:
            counted = employee_counts_refresh()
            if verbosity >= 1:
                self.stdout.write(f"Recounted {counted:,} employees; {len(wrong):,} had figures that differed.")
            return
        if wrong:
            shown = ", ".join(str(pk) for pk in wrong[:20]) + (" …" if len(wrong) > 20 else "")
            raise CommandError(
                f"{len(wrong):,} employee(s) have figures that differ from a recount (ids {shown}). "
                "Run `manage.py check_employee_counts --fix` to recount them."
            )
        if verbosity >= 1:
            self.stdout.write("Every employee's figures match a recount.")
