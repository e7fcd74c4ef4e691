"""
Password reset by e-mail: Django's own views, with a limit on how often it can be asked for.

The answer is the same whether or not the address belongs to an account (Django's
"done" page either way). Two limits, counted in the cache (shared by every worker
with CACHE_URL=redis://…): requests from one client address (the same address the
sign-in limit keys on), and mails to one e-mail address. Past the first the client
gets a 429 page that says nothing about any account; past the second the answer
is the usual "done" page and no mail goes out, so the limit tells nothing either.
Cache keys are keyed hashes: neither addresses nor e-mails are stored in the cache.

Accounts without a usable password get the mail too: people brought in by an
import have none until they set one here. Inactive accounts never do.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.shortcuts import render
from django.utils.crypto import salted_hmac

from common.http import client_address

# Per client address, per WINDOW_SECONDS: generous enough for an office behind one address.
MAX_REQUESTS_PER_ADDRESS = 20
# Per e-mail address, per WINDOW_SECONDS: a lost mail can be asked for again, a flood cannot.
MAX_MAILS_PER_EMAIL = 3
WINDOW_SECONDS = 60 * 60


def _within_limit(kind: str, value: str, limit: int) -> bool:
    """Count one more request for `value` in this window; False once `limit` is passed."""
    key = "password-reset:{}:{}".format(kind, salted_hmac("gradesys.password_reset", value).hexdigest())
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)
        count = 1
    return count <= limit


class ResetForm(PasswordResetForm):
    def get_users(self, email):
        """Active accounts with this e-mail (case-insensitive), with or without a password yet."""
        User = get_user_model()
        email_field = User.get_email_field_name()
        wanted = email.casefold()
        candidates = User._default_manager.filter(**{f"{email_field}__iexact": email, "is_active": True})
        return (user for user in candidates if (getattr(user, email_field) or "").casefold() == wanted)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    @property
    def extra_email_context(self):
        # The link and the site's name come from SITE_URL, as in every mail, not from the
        # request's Host header.
        if not settings.SITE_URL:
            return {}
        return {"site_url": settings.SITE_URL, "site_name": urlsplit(settings.SITE_URL).hostname}

    def form_valid(self, form):
        address = client_address(self.request) or "unknown"
        if not _within_limit("address", address, MAX_REQUESTS_PER_ADDRESS):
            return render(self.request, "registration/password_reset_throttled.html", status=429)
        email = form.cleaned_data["email"].strip().casefold()
        if not _within_limit("email", email, MAX_MAILS_PER_EMAIL):
            # The same answer as when a mail goes out.
            return super(auth_views.PasswordResetView, self).form_valid(form)
        return super().form_valid(form)
