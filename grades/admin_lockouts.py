"""
Sign-in lockouts in admin: HR sees who is locked out and lifts it, and each lift is recorded.

django-axes locks a username + address out after repeated failed sign-ins, and the
lockout page tells people to ask HR. Its own admin page shows the raw attempts
(form data included) and deletes them without saying whose they were; this one
replaces it: the attempts without their form data, an "Unlock" action, and an
admin log entry per lifted lockout naming who lifted whose (username and address)
and when. HR holds the view and delete permissions on attempts (grades.roles).
"""

from __future__ import annotations

from collections.abc import Iterable

import axes.admin  # noqa: F401  registers axes' pages first, so this one can replace its attempts page
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.admin_search import GuardedAdminMixin


def lockout_label(attempt: AccessAttempt) -> str:
    """Whose lockout this is, as the record names it: the username and the address."""
    return f"{attempt.username or '(no username)'} from {attempt.ip_address or '(unknown address)'}"


def lockouts_record_lift(*, attempts: Iterable[AccessAttempt], by) -> list[LogEntry]:
    """One admin log entry per attempt row about to be deleted: who lifted whose lockout.

    The entry holds the username, the address and the failure count; never the form
    data the attempt kept (axes masks the password there, but nothing of it is needed).
    Call inside the transaction that deletes the rows.
    """
    content_type = ContentType.objects.get_for_model(AccessAttempt)
    entries = [
        LogEntry(
            user_id=by.pk,
            content_type_id=content_type.pk,
            object_id=str(attempt.pk),
            object_repr=lockout_label(attempt)[:200],
            action_flag=DELETION,
            change_message=(
                f"Lifted the sign-in lockout of {lockout_label(attempt)} "
                f"after {attempt.failures_since_start} failed sign-in(s)."
            ),
        )
        for attempt in attempts
    ]
    return LogEntry.objects.bulk_create(entries)


def lockouts_lift(*, attempts, by) -> int:
    """Lift the lockouts of `attempts` (a QuerySet of AccessAttempt) and record each; returns how many.

    The rows are locked, recorded and deleted in one transaction, so a lift is
    recorded exactly when it happens. With django-axes' database handler the
    attempt rows are the lockout: once they are gone the person can sign in again.
    """
    with transaction.atomic():
        rows = list(attempts.select_for_update().order_by("pk"))
        lockouts_record_lift(attempts=rows, by=by)
        AccessAttempt.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return len(rows)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(GuardedAdminMixin, admin.ModelAdmin):
    list_display = ["username", "ip_address", "failures_since_start", "attempt_time", "status"]
    list_filter = [axes.admin.IsLockedOutFilter, "attempt_time"]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    fields = ["username", "ip_address", "failures_since_start", "attempt_time", "path_info", "user_agent"]
    readonly_fields = fields
    actions = ["unlock"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # attempts are django-axes' record; they are only ever lifted

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Unlocking is the one way to remove attempts in bulk, so every lift says what it was.
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("Status"))
    def status(self, obj: AccessAttempt) -> str:
        limit = settings.AXES_FAILURE_LIMIT
        if isinstance(limit, int) and obj.failures_since_start >= limit:
            return _("Locked out")
        return _("Not locked out")

    @admin.action(permissions=["delete"], description=_("Unlock the selected sign-ins"))
    def unlock(self, request, queryset):
        count = lockouts_lift(attempts=queryset, by=request.user)
        self.message_user(
            request,
            ngettext(
                "Unlocked %(count)d sign-in; the person can sign in again.",
                "Unlocked %(count)d sign-ins; the people can sign in again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def log_deletions(self, request, queryset):
        # The delete page of one attempt: recorded like an unlock, before Django deletes it.
        return lockouts_record_lift(attempts=queryset, by=request.user)



# axes' sign-in logs keep their own pages, with the list parameters checked as on every
# page of the product's admin (a year past the accepted range goes back to the list with
# a message instead of failing).
class GuardedAccessLogAdmin(GuardedAdminMixin, axes.admin.AccessLogAdmin):
    pass


class GuardedAccessFailureLogAdmin(GuardedAdminMixin, axes.admin.AccessFailureLogAdmin):
    pass


for _model, _model_admin in ((AccessLog, GuardedAccessLogAdmin), (AccessFailureLog, GuardedAccessFailureLogAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, _model_admin)
