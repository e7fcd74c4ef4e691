"""Who sees the dashboard, and how much of it.

HR sees every figure of everyone. A manager sees everyone's figures with small groups
merged or hidden (k-anonymity: no group of fewer than K_ANONYMITY people is shown on
its own). A team lead sees their own reports, as they already do on the people list.
Everyone else is refused. Pay bands follow the pay app's own rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from grades.policies import is_hr, is_manager, leads_anyone
from grades.roles import viewer_facts
from pay.policies import may_see_bands

# The smallest group a manager sees on its own.
K_ANONYMITY = 5

HR_SCOPE = "hr"
MANAGER_SCOPE = "manager"
LEAD_SCOPE = "lead"


@dataclass(frozen=True)
class Scope:
    """What one viewer's dashboard covers."""

    kind: str
    # Only the reports of this team lead (an employee id), for a team lead's own view.
    lead_id: int | None = None
    sees_pay: bool = False

    @property
    def anonymised(self) -> bool:
        return self.kind == MANAGER_SCOPE

    @property
    def may_filter_by_lead(self) -> bool:
        return self.kind != LEAD_SCOPE


def may_see_dashboard(user) -> bool:
    return is_hr(user) or is_manager(user) or leads_anyone(user)


def dashboard_scope(user) -> Scope | None:
    """The viewer's scope, None for those who may not see the dashboard.

    HR first, then manager: a manager who also leads a team sees the whole organisation
    anonymised rather than their team alone.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    if is_hr(user):
        return Scope(HR_SCOPE, sees_pay=may_see_bands(user))
    if is_manager(user):
        return Scope(MANAGER_SCOPE, sees_pay=may_see_bands(user))
    if leads_anyone(user):
        return Scope(LEAD_SCOPE, lead_id=viewer_facts(user).employee_id, sees_pay=may_see_bands(user))
    return None
