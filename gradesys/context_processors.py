"""What the navigation shows depends on the signed-in person's roles."""

from django.utils.functional import cached_property

from grades.roles import HR, MANAGER, user_has_role


class Navigation:
    """Computed on first use in a template, then kept for the request (two queries at most)."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def _flags(self) -> dict:
        from django.contrib.auth import get_user_model
        from django.db.models import Exists, OuterRef

        from grades.models import Employee

        return (
            get_user_model()
            .objects.filter(pk=self.user.pk)
            .annotate(
                is_employee=Exists(Employee.objects.filter(user=OuterRef("pk"))),
                is_lead=Exists(Employee.objects.filter(team_lead__user=OuterRef("pk"))),
            )
            .values("is_employee", "is_lead")
            .first()
            or {"is_employee": False, "is_lead": False}
        )

    @property
    def is_employee(self) -> bool:
        return self._flags["is_employee"]

    @property
    def is_hr(self) -> bool:
        return user_has_role(self.user, HR)

    @property
    def people(self) -> bool:
        return self._flags["is_lead"] or self.is_hr

    @property
    def exports(self) -> bool:
        return self.is_hr or user_has_role(self.user, MANAGER)

    @property
    def admin(self) -> bool:
        return self.user.is_staff


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav": Navigation(user)}
