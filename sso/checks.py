from django.conf import settings
from django.core.checks import Error, register

from grades.roles import DESIGNATIONS, ROLES

from . import rules


@register()
def oidc_role_map_check(app_configs, **kwargs):
    """sso.E001: OIDC_ROLE_MAP grants a role the product does not have (a typo would grant nothing)."""
    mapping = rules.role_map(settings.OIDC_ROLE_MAP, ROLES + DESIGNATIONS)
    unknown = rules.unknown_roles(mapping, ROLES + DESIGNATIONS)
    if not unknown:
        return []
    return [
        Error(
            f"OIDC_ROLE_MAP names roles that do not exist: {', '.join(sorted(unknown))}.",
            hint=f"The roles are: {', '.join(ROLES + DESIGNATIONS)}.",
            id="sso.E001",
        )
    ]
