"""What the navigation shows depends on the signed-in person's roles."""

from django.utils.functional import cached_property

from grades.roles import HR, MANAGER, viewer_facts


class Navigation:
    """Computed on first use in a template, then kept for the request.

    The facts are grades.roles.viewer_facts: one query per request for the
    person's groups and whether they are an employee and lead anyone, shared with
    the permission checks of the same request.
    """

    def __init__(self, request):
        self.request = request
        self.user = request.user

    @cached_property
    def _facts(self):
        return viewer_facts(self.user)

    def _has_role(self, role: str) -> bool:
        return self.user.is_superuser or role in self._facts.roles

    @property
    def is_employee(self) -> bool:
        return self._facts.is_employee

    @property
    def is_hr(self) -> bool:
        return self._has_role(HR)

    @property
    def people(self) -> bool:
        return self._facts.is_lead or self.is_hr

    @property
    def exports(self) -> bool:
        return self._has_role(HR) or self._has_role(MANAGER)

    @property
    def admin(self) -> bool:
        return self.user.is_staff


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav": Navigation(request)}
