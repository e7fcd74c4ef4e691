"""What the navigation shows depends on the signed-in person: each entry asks the policy of its page."""

from django.utils.functional import cached_property

from exports import policies as export_policies
from exports.reports import REPORTS
from grades import policies
from grades.roles import viewer_facts
from reviews import policies as review_policies


class Navigation:
    """Computed on first use in a template, then kept for the request.

    Each entry is the policy that guards its page, so the menu offers exactly what
    opens. The facts behind them are grades.roles.viewer_facts: one query per request
    for the person's groups and whether they are an employee and lead anyone, shared
    with the permission checks of the same request.
    """

    def __init__(self, request):
        self.request = request
        self.user = request.user

    @cached_property
    def is_employee(self) -> bool:
        return viewer_facts(self.user).is_employee

    @cached_property
    def is_hr(self) -> bool:
        return policies.is_hr(self.user)

    @cached_property
    def people(self) -> bool:
        return policies.may_see_people_list(self.user)

    @cached_property
    def sessions(self) -> bool:
        return review_policies.may_see_sessions(self.user)

    @cached_property
    def exports(self) -> bool:
        return export_policies.may_use_reports(self.user)

    def downloads(self, name: str) -> bool:
        """Whether the person may download the report called `name`."""
        report = REPORTS.get(name)
        return report is not None and export_policies.may_download(self.user, report)

    @property
    def admin(self) -> bool:
        return self.user.is_staff


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav": Navigation(request)}
