"""
Importing people, from the old system's database or from a spreadsheet: plan, report, write.

Both sources give rows with the same columns (see rules.PEOPLE_REQUIRED) and end
here, so they are checked and written the same way. What a person who imports
expects: every row that can be written is written, every row that cannot is named
with its key and the reason, and running the same import again changes nothing.
`strict` refuses the whole import when any row has a problem, for those who want
all or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from . import rules, selectors, services
from .models import ImportRun


@dataclass
class PeopleOutcome:
    plan: rules.PeoplePlan
    dry_run: bool
    written: services.PeopleWritten | None = None
    run: ImportRun | None = None

    @property
    def problem_count(self) -> int:
        return len(self.plan.problems)

    def report(self) -> str:
        return "\n".join(report_lines(self.plan, written=self.written))


def plan(
    people: Sequence[rules.SourceRow],
    history: Sequence[rules.SourceRow] = (),
    *,
    synonyms: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    people_source: str = "people",
    require_key: bool = True,
) -> rules.PeoplePlan:
    """What importing these rows would do, checked against the database as it is now."""
    synonyms = synonyms or {}
    facts = selectors.people_facts(
        people,
        levels=synonyms.get("levels"),
        tracks=synonyms.get("tracks"),
        kinds=synonyms.get("kinds"),
    )
    return rules.plan_people(people, history, facts, people_source=people_source, require_key=require_key)


def import_people(
    people: Sequence[rules.SourceRow],
    history: Sequence[rules.SourceRow] = (),
    *,
    kind: str,
    source: str,
    by=None,
    dry_run: bool = False,
    strict: bool = False,
    synonyms: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    people_source: str = "people",
    require_key: bool = True,
    expected_fingerprint: str | None = None,
) -> PeopleOutcome:
    """Plan, and unless `dry_run` write, in one transaction.

    Raises services.ImportRefused (nothing written) when `strict` and any row has a
    problem, or when `expected_fingerprint` (what a person confirmed in a preview)
    no longer matches the plan because the data changed in between.
    """
    options = dict(synonyms=synonyms, people_source=people_source, require_key=require_key)
    if dry_run:
        return PeopleOutcome(plan=plan(people, history, **options), dry_run=True)
    try:
        return _write(people, history, options, kind=kind, source=source, by=by, strict=strict,
                      expected_fingerprint=expected_fingerprint)
    except IntegrityError as exc:
        raise services.ImportRefused(
            f"Someone changed the same people while the import ran ({exc}); nothing was written. "
            "Run the import again."
        ) from exc


def _write(people, history, options, *, kind, source, by, strict, expected_fingerprint) -> PeopleOutcome:
    with transaction.atomic():
        the_plan = plan(people, history, **options)
        problems = the_plan.problems
        if strict and problems:
            raise services.ImportRefused(
                f"{len(problems)} problem(s) found; nothing was imported (strict mode).\n"
                + "\n".join(report_lines(the_plan))
            )
        if expected_fingerprint is not None and rules.fingerprint(the_plan) != expected_fingerprint:
            raise services.PreviewOutdated(
                "The people or the data they refer to changed since the preview; nothing was written. "
                "Check the new preview and confirm again."
            )
        written = services.people_write(plan=the_plan, by=by)
        outcome = PeopleOutcome(plan=the_plan, dry_run=False, written=written)
        if written.total:
            outcome.run = services.import_run_record(
                kind=kind,
                source=source,
                by=by,
                written=written.total,
                unchanged=the_plan.count(rules.Action.UNCHANGED),
                skipped=the_plan.count(rules.Action.SKIP),
                report=outcome.report(),
            )
    return outcome


def report_lines(the_plan: rules.PeoplePlan, *, written: services.PeopleWritten | None = None) -> list[str]:
    """The report a person reads: counts first, then every problem with its row's key."""
    create = the_plan.count(rules.Action.CREATE)
    link = the_plan.count(rules.Action.LINK)
    add = the_plan.count(rules.Action.ADD_LEDGER)
    unchanged = the_plan.count(rules.Action.UNCHANGED)
    skipped = the_plan.count(rules.Action.SKIP)
    entries = the_plan.entries_to_write
    if written is None:
        head = (
            f"People: {len(the_plan.people)} row(s): {create} to create, "
            + (f"{link} to link to an existing account, " if link else "")
            + f"{add} to give their ledger, "
            f"{unchanged} already in the system (left as they are), {skipped} skipped."
        )
        entries_line = f"Ledger entries to write: {entries}."
    else:
        head = (
            f"People: {len(the_plan.people)} row(s): {written.people_created} created, "
            + (f"{written.accounts_linked} linked to an existing account, " if written.accounts_linked else "")
            + f"{written.ledgers_added} given their ledger, {unchanged} already in the system (left as they are), "
            f"{skipped} skipped."
        )
        entries_line = f"Ledger entries written: {written.entries_written}."
    lines = [head, entries_line]
    history_bad = {(p.number, p.key) for p in the_plan.history_problems}
    if history_bad:
        lines.append(f"History rows with problems: {len(history_bad)}.")
    problems = the_plan.problems
    if problems:
        lines.append(f"Problems ({len(problems)}):")
        lines.extend(f"  {problem}" for problem in problems)
    else:
        lines.append("No problems.")
    return lines
