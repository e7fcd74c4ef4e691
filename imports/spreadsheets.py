"""
The two spreadsheet imports HR runs in the admin: people, and a framework's requirements.

Each kind says who may run it, which columns it reads, how it previews (plans
without writing) and how it confirms (plans again inside the transaction and
writes, but only if the plan is still the one the person saw: the fingerprint of
the preview's writes must match). People go through the same planner as the
legacy import (imports.people); requirements through imports.requirements, which
checks rows with the framework loader's validator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from . import csvfile, people, policies, rules, selectors, services
from .delivery import DELIVERY_OPTIONAL, DELIVERY_REQUIRED, DeliveryPlan, plan_delivery
from .models import ImportKind
from .requirements import RequirementsPlan, plan_requirements

@dataclass
class Confirmed:
    written: int
    unchanged: int
    skipped: int
    report: str


# --- People ----------------------------------------------------------------------------------


def people_preview(table: csvfile.CsvTable) -> rules.PeoplePlan:
    return people.plan(table.rows, (), people_source="row", require_key=False)


def people_confirm(table: csvfile.CsvTable, *, by, expected: str, source: str) -> Confirmed:
    outcome = people.import_people(
        table.rows,
        (),
        kind=ImportKind.PEOPLE_CSV,
        source=source,
        by=by,
        people_source="row",
        require_key=False,
        expected_fingerprint=expected,
    )
    plan = outcome.plan
    return Confirmed(
        written=outcome.written.total,
        unchanged=plan.count(rules.Action.UNCHANGED),
        skipped=plan.count(rules.Action.SKIP),
        report=outcome.report(),
    )


# --- Requirements ----------------------------------------------------------------------------


def requirements_preview(table: csvfile.CsvTable) -> RequirementsPlan:
    names = selectors.track_names_all()
    slugs = {names.get(rules.normalise_name(row.values.get("track"))) for row in table.rows}
    return plan_requirements(table.rows, selectors.requirement_facts(s for s in slugs if s))


def requirements_report(plan: RequirementsPlan, *, done: bool) -> str:
    verb = ("created", "updated") if done else ("to create", "to update")
    lines = [
        f"Requirements: {len(plan.rows)} row(s): {plan.count('create')} {verb[0]}, "
        f"{plan.count('update')} {verb[1]}, {plan.count('unchanged')} unchanged, {plan.count('skip')} skipped."
    ]
    problems = plan.problems
    lines += [f"Problems ({len(problems)}):"] + [f"  {p}" for p in problems] if problems else ["No problems."]
    return "\n".join(lines)


def requirements_confirm(table: csvfile.CsvTable, *, by, expected: str, source: str) -> Confirmed:
    with transaction.atomic():
        plan = requirements_preview(table)
        if rules.fingerprint(plan) != expected:
            raise services.PreviewOutdated(
                "The requirements changed since the preview; nothing was written. "
                "Check the new preview and confirm again."
            )
        written = services.requirements_write(plan=plan, by=by, source=source)
        report = requirements_report(plan, done=True)
        for outcome in written.versions:
            report += (
                f"\nVersion {outcome.number} of {outcome.track}'s framework: "
                f"{len(outcome.changes)} requirement change(s)."
            )
        if written.total:
            services.import_run_record(
                kind=ImportKind.REQUIREMENTS_CSV,
                source=source,
                by=by,
                written=written.total,
                unchanged=plan.count("unchanged"),
                skipped=plan.count("skip"),
                report=report,
            )
    return Confirmed(written.total, plan.count("unchanged"), plan.count("skip"), report)


# --- Delivery facts ----------------------------------------------------------------------------


def delivery_preview(table: csvfile.CsvTable, *, lock: bool = False) -> DeliveryPlan:
    emails = [row.values.get("email") for row in table.rows]
    return plan_delivery(table.rows, selectors.delivery_facts(emails, lock=lock))


def delivery_report(plan: DeliveryPlan, *, done: bool) -> str:
    verb = "added" if done else "to add"
    lines = [
        f"Delivery facts: {len(plan.rows)} row(s): {plan.count('create')} {verb}, "
        f"{plan.count('unchanged')} already here, {plan.count('skip')} with problems."
    ]
    problems = plan.problems
    lines += [f"Problems ({len(problems)}):"] + [f"  {p}" for p in problems] if problems else ["No problems."]
    return "\n".join(lines)


def delivery_context(plan: DeliveryPlan) -> dict:
    """What the preview page shows of a delivery plan. A file with problems writes nothing."""
    from django.utils.translation import gettext

    rows = [row for row in plan.rows if row.writes]
    context = {
        "to_write": 0 if plan.problems else len(rows),
        "rows": rows[: ADMIN_PREVIEW_ROWS],
        "counts": [
            (gettext("new facts"), plan.count("create")),
            (gettext("already here, left as they are"), plan.count("unchanged")),
            (gettext("rows with problems"), plan.count("skip")),
        ],
    }
    if plan.problems:
        context["warning"] = gettext(
            "Nothing will be written while a row has a problem: correct the file and upload it again."
        )
    return context


def delivery_confirm(table: csvfile.CsvTable, *, by, expected: str, source: str) -> Confirmed:
    with transaction.atomic():
        plan = delivery_preview(table, lock=True)
        if plan.problems:
            raise services.ImportRefused(
                "The file has rows with problems; nothing was written. Correct them and upload the file again."
            )
        if rules.fingerprint(plan) != expected:
            raise services.PreviewOutdated(
                "The delivery facts changed since the preview; nothing was written. "
                "Check the new preview and confirm again."
            )
        written = services.delivery_write(plan=plan, by=by)
        report = delivery_report(plan, done=True)
        if written:
            services.import_run_record(
                kind=ImportKind.DELIVERY_CSV,
                source=source,
                by=by,
                written=written,
                unchanged=plan.count("unchanged"),
                skipped=0,
                report=report,
            )
    return Confirmed(written, plan.count("unchanged"), 0, report)


# Rows shown in a preview table (as imports.admin.PREVIEW_ROWS).
ADMIN_PREVIEW_ROWS = 500


# --- The kinds, as the admin views use them ----------------------------------------------------


@dataclass(frozen=True)
class SpreadsheetKind:
    slug: str
    title: Any
    required: tuple[str, ...]
    optional: tuple[str, ...]
    allowed: Callable
    preview: Callable
    confirm: Callable
    done_url: str  # an admin URL name
    # plan -> the preview page's rows, counts and warning; None for the kinds the admin lays out itself.
    context: Callable | None = None

    def read(self, text: str) -> csvfile.CsvTable:
        return csvfile.read_table(text, required=self.required, optional=self.optional)


KINDS = {
    "people": SpreadsheetKind(
        slug="people",
        title=_("Import people from a spreadsheet"),
        required=rules.PEOPLE_REQUIRED,
        optional=rules.PEOPLE_OPTIONAL,
        allowed=policies.may_import_people,
        preview=people_preview,
        confirm=people_confirm,
        done_url="admin:grades_employee_changelist",
    ),
    "requirements": SpreadsheetKind(
        slug="requirements",
        title=_("Import requirements from a spreadsheet"),
        required=rules.REQUIREMENT_REQUIRED,
        optional=rules.REQUIREMENT_OPTIONAL,
        allowed=policies.may_import_requirements,
        preview=requirements_preview,
        confirm=requirements_confirm,
        done_url="admin:grades_requirement_changelist",
    ),
}
KINDS["delivery"] = SpreadsheetKind(
    slug="delivery",
    title=_("Import delivery facts from a spreadsheet"),
    required=DELIVERY_REQUIRED,
    optional=DELIVERY_OPTIONAL,
    allowed=policies.may_import_delivery,
    preview=delivery_preview,
    confirm=delivery_confirm,
    done_url="admin:imports_importrun_changelist",
    context=delivery_context,
)
