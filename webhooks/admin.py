"""Endpoints are set up here; deliveries and their attempts are a read-only history."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.admin_search import GuardedAdminMixin
from grades import events

from .models import Delivery, DeliveryAttempt, Endpoint


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"), max_length=500, assume_scheme="https",
        help_text=_("The address the events are posted to, e.g. a Slack incoming webhook."),
    )
    events = forms.MultipleChoiceField(
        label=_("events"), choices=list(events.TYPES.items()), required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Endpoint
        fields = ["name", "url", "format", "events", "is_active", "secret"]


@admin.register(Endpoint)
class EndpointAdmin(GuardedAdminMixin, admin.ModelAdmin):
    form = EndpointForm
    list_display = ["name", "format", "is_active", "event_list"]
    list_filter = ["is_active", "format"]

    @admin.display(description=_("events"))
    def event_list(self, obj):
        return ", ".join(obj.events or [])


class ReadOnlyAdmin(GuardedAdminMixin, admin.ModelAdmin):
    """History: looked at, never written by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["number", "started_at", "duration_ms", "status_code", "error", "succeeded"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event_type", "endpoint", "status", "attempts", "next_attempt_at",
                    "last_status_code"]
    list_filter = ["status", "event_type", "endpoint"]
    list_select_related = ["endpoint"]
    date_hierarchy = "created_at"
    fields = ["delivery_id", "endpoint", "event_type", "event_id", "event_key", "status", "attempts",
              "next_attempt_at", "created_at", "delivered_at", "last_status_code", "last_error", "payload"]
    readonly_fields = fields
    inlines = [AttemptInline]

    @admin.display(description=_("delivery id"))
    def delivery_id(self, obj):
        return obj.uuid


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "delivery", "number", "status_code", "error", "succeeded", "duration_ms"]
    list_filter = ["succeeded"]
    list_select_related = ["delivery"]
