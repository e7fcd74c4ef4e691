"""Who may download which report: the reports page is for HR and managers; a report may narrow that.

Each report names the roles that may read it (exports.reports.Report.roles: most are HR's
and managers', the pay report HR's alone). The secret ballot in the reports that carry
votes is reviews.policies' rule.
"""

from __future__ import annotations

from grades.roles import HR, MANAGER, user_has_role


def may_use_reports(user) -> bool:
    """The reports page and its menu entry."""
    return user_has_role(user, HR) or user_has_role(user, MANAGER)


def may_download(user, report) -> bool:
    """`report` (a Report) for `user`: one of its roles (superusers hold every role)."""
    return any(user_has_role(user, role) for role in report.roles)
