"""What the job commands print: the same plan for a dry run and a real one."""

from __future__ import annotations

from django.utils import timezone


def describe_item(template: str, item: dict) -> str:
    if template == "eligible":
        return f"{item['name']} (#{item['employee_id']}): {item['next_level']} from {item['earliest']:%Y-%m-%d}, {item['url']}"
    if template == "defenses":
        when = timezone.localtime(item["when"])
        return (
            f"review #{item['review_id']} at {when:%Y-%m-%d %H:%M}: {item['candidate']} "
            f"{item['from_level']} → {item['to_level']}, {item['url']}"
        )
    if template == "goals":
        return (
            f"goal #{item['goal_id']} of {item['name']}, due {item['due_on']:%Y-%m-%d}, "
            f"{item['days_overdue']} days past: {item['requirement']}, {item['url']}"
        )
    return (
        f"claim #{item['claim_id']} by {item['name']}, {item['days_waiting']} days waiting: "
        f"{item['requirement']}, {item['url']}"
    )


def write_result(command, result, *, what: dict[str, str]) -> None:
    """A dry run lists every mail it would send; a real run prints the totals (names at -v 2).

    `what` names each template's items for the summary line, e.g. {"eligible": "person(s)"}.
    """
    out = command.stdout
    verbosity = max(command.verbosity, 1) if result.dry_run else command.verbosity
    if result.dry_run:
        out.write("Dry run: nothing is recorded and no mail is sent.")
    if result.window is not None and verbosity >= 1:
        if result.window.is_empty:
            out.write(f"Nothing to cover: every day up to {result.window.after:%Y-%m-%d} is covered already.")
        else:
            out.write(
                f"Window: earliest defense dates after {result.window.after:%Y-%m-%d} "
                f"up to {result.window.until:%Y-%m-%d} ({result.window.days} day(s))."
            )
    if result.dry_run or verbosity >= 2:
        for mail in result.mails:
            out.write(f"{'Would mail' if result.dry_run else 'Mailed'} {mail.recipient.get_username()} "
                      f"({len(mail.items)} {what[mail.template]}):")
            for item in mail.items:
                out.write(f"  - {describe_item(mail.template, item)}")
    if verbosity >= 1:
        totals = ", ".join(
            f"{sum(len(m.items) for m in result.mails if m.template == t)} {label}" for t, label in what.items()
        )
        verb = "Would send" if result.dry_run else "Sent"
        out.write(f"{verb} {len(result.mails)} mail(s): {totals}. Covered until {result.covered_until:%Y-%m-%d}.")
        if verbosity >= 2:
            out.write("Counts: " + ", ".join(f"{k}={v}" for k, v in sorted(result.counts.items())))
