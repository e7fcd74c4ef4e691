"""
Django admin for salary bands, shaped for HR.

- Bands are kept when a new set starts (a new `valid_from`), so there is no delete
  here; a wrong amount is corrected in place and django-simple-history keeps what
  it was ("History" on the band's page).
- A band typed in by hand is checked against the other bands in force exactly like
  a computed set (`SalaryBandAdminForm.clean`).
- The calculator ("Calculate bands" on the list) previews the nine bands and, when
  confirmed, writes them through `services.salary_bands_fill`, the same service as
  the `salary_bands` command. The preview writes nothing; the confirmation
  recomputes from the submitted input rather than trusting amounts sent back.
- The pay policy (the calculator's weights and rounding) is one row: it can be
  changed, never added or deleted, and its history says who changed what.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.admin_search import GuardedAdminMixin

from simple_history.admin import SimpleHistoryAdmin

from . import rules, services
from .forms import CalculatorForm, SalaryBandAdminForm
from .models import PayPolicy, SalaryBand


@admin.register(SalaryBand)
class SalaryBandAdmin(GuardedAdminMixin, SimpleHistoryAdmin):
    form = SalaryBandAdminForm
    list_display = ["level", "scope", "currency", "minimum_shown", "maximum_shown", "valid_from"]
    list_filter = ["track", "level", "currency", "valid_from"]
    list_select_related = ["level", "track"]
    ordering = ["level__rank", "track__name", "currency", "-valid_from"]
    change_list_template = "admin/pay/salaryband/change_list.html"

    @admin.display(description=gettext_lazy("track"), ordering="track__name")
    def scope(self, band: SalaryBand) -> str:
        return band.track.name if band.track_id else _("All tracks")

    @admin.display(description=gettext_lazy("minimum"), ordering="minimum")
    def minimum_shown(self, band: SalaryBand) -> str:
        return rules.format_amount(band.minimum)

    @admin.display(description=gettext_lazy("maximum"), ordering="maximum")
    def maximum_shown(self, band: SalaryBand) -> str:
        return rules.format_amount(band.maximum)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        own = [
            path(
                "calculator/",
                self.admin_site.admin_view(self.calculator_view),
                name="pay_salaryband_calculator",
            ),
        ]
        # Before the defaults: their "<path:object_id>/" catch-all would take it.
        return own + super().get_urls()

    def can_calculate(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_calculate": self.can_calculate(request)}
        return super().changelist_view(request, extra_context)

    def calculator_view(self, request):
        """Preview the nine computed bands; write them when the preview is confirmed."""
        if not self.can_calculate(request):
            raise PermissionDenied
        form = CalculatorForm(request.POST or None)
        plan = None
        if request.method == "POST" and form.is_valid():
            confirmed = "_confirm" in request.POST
            if confirmed and request.POST.get("_previewed") != form.fingerprint():
                # Saving what was not shown would be a surprise: show it first.
                confirmed = False
                self.message_user(
                    request,
                    _("The input changed after the preview; check this preview and save again."),
                    messages.WARNING,
                )
            try:
                plan = form.fill(dry_run=not confirmed, by=request.user)
            except services.PayError as exc:
                form.add_error(None, str(exc))
                plan = None
            else:
                if confirmed:
                    return self._confirmed(request, plan)
        policy = PayPolicy.current()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Calculate salary bands"),
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "plan": plan,
            "rows": _preview_rows(plan) if plan else [],
            "weights": {name: _weight(getattr(policy, name)) for name in WEIGHT_FIELDS},
            "round_to": rules.format_amount(Decimal(policy.round_to)),
            "policy_url": (
                reverse("admin:pay_paypolicy_change", args=[policy.pk])
                if request.user.has_perm("pay.change_paypolicy")
                else ""
            ),
        }
        return TemplateResponse(request, "admin/pay/salaryband/calculator.html", context)

    def _confirmed(self, request, plan: services.BandPlan):
        if plan.changes_anything:
            self.message_user(
                request,
                _("Saved the bands: %(new)d new, %(changed)d changed, %(unchanged)d already stored.")
                % {
                    "new": plan.count(services.NEW),
                    "changed": plan.count(services.CHANGED),
                    "unchanged": plan.count(services.UNCHANGED),
                },
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request, _("Nothing to save: these nine bands are already stored."), messages.INFO
            )
        url = reverse("admin:pay_salaryband_changelist")
        query = f"?currency={plan.currency}&valid_from={plan.valid_from:%Y-%m-%d}"
        if plan.track is not None:
            query += f"&track__id__exact={plan.track.pk}"
        else:
            query += "&track__isnull=True"
        return redirect(url + query)


WEIGHT_FIELDS = ("main_step", "inner_junior", "inner_middle", "inner_senior")


def _weight(value: Decimal) -> str:
    """2.000 -> '2', 1.250 -> '1.25': a weight as it was meant."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@admin.register(PayPolicy)
class PayPolicyAdmin(GuardedAdminMixin, SimpleHistoryAdmin):
    """The one pay policy row: changed here, never added or deleted; "History" shows who changed what.

    The form refuses weights out of order with the model's own checks (PayPolicy.clean
    and its constraints). A change applies to bands computed afterwards; bands already
    stored keep their amounts.
    """

    list_display = ["__str__", "main_step", "inner_junior", "inner_middle", "inner_senior", "round_to"]
    fieldsets = [
        (gettext_lazy("Weighted calculator"), {
            "fields": ["main_step", "inner_junior", "inner_middle", "inner_senior"],
            "description": gettext_lazy(
                "Only the ratios matter. They must keep: step into a new main grade > inner Senior "
                "step > inner Middle step > inner Junior step > 0."
            ),
        }),
        (gettext_lazy("Rounding"), {"fields": ["round_to"]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _preview_rows(plan: services.BandPlan) -> list[dict]:
    rows = []
    for index, band in enumerate(plan.bands):
        following = plan.bands[index + 1] if index + 1 < len(plan.bands) else None
        rows.append(
            {
                "level": band.level,
                "minimum": rules.format_amount(band.minimum),
                "maximum": rules.format_amount(band.maximum),
                "step": rules.format_amount(following.minimum - band.minimum) if following else "",
                "action": band.action,
                "previous": (
                    f"{rules.format_amount(band.previous[0])} – {rules.format_amount(band.previous[1])}"
                    if band.previous
                    else ""
                ),
            }
        )
    return rows
