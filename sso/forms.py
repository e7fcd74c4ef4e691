from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gradesys.forms import LoginForm
from gradesys.password_reset import ResetForm

from . import policies


class PasswordPolicyMixin:
    """Refuses a password sign-in, before the password is checked, when local passwords are
    off and the account is not a break-glass one."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username and "username" not in self.errors and not policies.may_use_password(username):
            raise ValidationError(
                _("Sign-in with a password is switched off. Sign in with your organisation's account."),
                code="sso_only",
            )
        return super().clean()


class SignInForm(PasswordPolicyMixin, LoginForm):
    pass


class AdminSignInForm(PasswordPolicyMixin, AdminAuthenticationForm):
    pass


class PolicyResetForm(ResetForm):
    def get_users(self, email):
        """Only accounts that may still use a password get a reset mail (the page says the same either way)."""
        return iter(policies.password_reset_users(list(super().get_users(email))))
