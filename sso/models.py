"""
Single sign-on: who signs in through the provider, whether local passwords still work, and
the record of every role the provider's groups granted or took away.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from grades.models import AppendOnlyModel, SingleRowModel


class SignInPolicy(SingleRowModel):
    """Whether people may sign in with a local password: one row, changed in the admin, with history.

    Off, only break-glass accounts sign in (and reset) with a password; everyone else
    signs in with the identity provider.
    """

    local_passwords_enabled = models.BooleanField(
        _("local passwords enabled"),
        default=True,
        help_text=_(
            "Off: only break-glass accounts may sign in or reset a password with the sign-in "
            "form; everyone else signs in with the identity provider."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sign-in policy")
        verbose_name_plural = _("sign-in policy")
        constraints = [
            models.CheckConstraint(
                condition=Q(id=SingleRowModel.ROW_ID),
                name="signinpolicy_single_row",
                violation_error_message=_("There is only one sign-in policy."),
            ),
        ]

    def __str__(self) -> str:
        return str(_("Sign-in policy"))


class BreakGlassAccount(models.Model):
    """An account that keeps its local password when local passwords are off (for when the
    identity provider is down). Only superusers manage these."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="break_glass", verbose_name=_("user")
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("break-glass account")
        verbose_name_plural = _("break-glass accounts")

    def __str__(self) -> str:
        return self.user.get_username()


class LinkKind(models.TextChoices):
    EMAIL = "email", _("linked by verified e-mail")
    CREATED = "created", _("account created")
    ADMIN = "admin", _("linked by an administrator")


class ProviderIdentity(models.Model):
    """The provider's account (issuer + subject) that signs in as this user.

    Made at the first sign-in; later sign-ins find the user by it, whatever the e-mail says then.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_identities", verbose_name=_("user")
    )
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    kind = models.CharField(_("how linked"), max_length=8, choices=LinkKind.choices, default=LinkKind.ADMIN)
    linked_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("provider identity")
        verbose_name_plural = _("provider identities")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="provideridentity_unique_subject"),
            models.CheckConstraint(condition=Q(kind__in=LinkKind.values), name="provideridentity_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ← {self.subject}"


class RoleChangeKind(models.TextChoices):
    GRANTED = "granted", _("granted")
    REVOKED = "revoked", _("taken away")


class RoleChange(AppendOnlyModel):
    """A role granted or taken away at a sign-in because of the person's groups at the provider."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_role_changes", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=150)
    change = models.CharField(_("change"), max_length=8, choices=RoleChangeKind.choices)
    issuer = models.CharField(_("issuer"), max_length=255)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role change by sign-in")
        verbose_name_plural = _("role changes by sign-in")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(change__in=RoleChangeKind.values), name="rolechange_change_valid"),
        ]
        indexes = [models.Index(fields=["user", "at"], name="rolechange_user_at")]

    def __str__(self) -> str:
        return f"{self.user.get_username()}: {self.role} {self.get_change_display()}"
