"""User accounts in admin: HR manages them, but only a superuser grants or touches superuser power."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from common.admin_search import GuardedAdminMixin

User = get_user_model()

admin.site.unregister(User)


@admin.register(User)
class GuardedUserAdmin(GuardedAdminMixin, UserAdmin):
    """HR (staff with change_user) edits ordinary accounts and their groups; only a
    superuser sets superuser status or single permissions, or changes a superuser's
    account (its password form included)."""

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return fields + ("is_superuser", "user_permissions")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)
