"""
Who may sign in with a local password.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from .models import BreakGlassAccount, SignInPolicy


def local_passwords_enabled() -> bool:
    return SignInPolicy.current().local_passwords_enabled


def is_break_glass(user) -> bool:
    return user is not None and user.pk is not None and BreakGlassAccount.objects.filter(user_id=user.pk).exists()


def may_use_password(username: str) -> bool:
    """May the account named `username` sign in with its password now?

    Decided before any password is checked, so an account that may not learns nothing about
    its password from the answer. An unknown name is treated as an ordinary account.
    """
    if local_passwords_enabled():
        return True
    User = get_user_model()
    return BreakGlassAccount.objects.filter(**{f"user__{User.USERNAME_FIELD}": username}).exists()


def password_reset_users(users):
    """Of the accounts a reset mail would go to, those that may still use a password."""
    if local_passwords_enabled():
        return users
    return [user for user in users if is_break_glass(user)]
