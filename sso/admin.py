"""Single sign-on in the admin: the sign-in policy and break-glass accounts (superusers only,
as nobody's role carries their permissions), and the read-only record of links and role changes."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.admin_search import GuardedAdminMixin

from .forms import AdminSignInForm
from .models import BreakGlassAccount, ProviderIdentity, RoleChange, SignInPolicy

# The admin's own sign-in form follows the sign-in policy too.
admin.site.login_form = AdminSignInForm


class SignInPolicyForm(forms.ModelForm):
    class Meta:
        model = SignInPolicy
        fields = ["local_passwords_enabled"]

    def clean_local_passwords_enabled(self):
        enabled = self.cleaned_data["local_passwords_enabled"]
        if not enabled and not BreakGlassAccount.objects.filter(user__is_active=True).exists():
            raise forms.ValidationError(
                _("Add an active break-glass account first: with none, nobody could sign in while the identity provider is down.")
            )
        return enabled


@admin.register(SignInPolicy)
class SignInPolicyAdmin(GuardedAdminMixin, SimpleHistoryAdmin):
    form = SignInPolicyForm
    list_display = ["__str__", "local_passwords_enabled"]
    fields = ["local_passwords_enabled"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BreakGlassAccount)
class BreakGlassAccountAdmin(GuardedAdminMixin, SimpleHistoryAdmin):
    list_display = ["user", "reason"]
    autocomplete_fields = ["user"]
    search_fields = ["user__username"]


@admin.register(ProviderIdentity)
class ProviderIdentityAdmin(GuardedAdminMixin, SimpleHistoryAdmin):
    """Links made by sign-ins are shown; an administrator may link an account by hand (a
    provider without verified e-mail) or remove a link."""

    list_display = ["user", "issuer", "subject", "kind", "linked_at"]
    list_filter = ["kind"]
    search_fields = ["user__username", "subject"]
    autocomplete_fields = ["user"]
    readonly_fields = ["kind", "linked_at"]


@admin.register(RoleChange)
class RoleChangeAdmin(GuardedAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user", "role", "change", "issuer"]
    list_filter = ["change", "role"]
    search_fields = ["user__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
