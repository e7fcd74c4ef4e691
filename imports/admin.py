"""
The imports in Django admin: the record of past imports, and the spreadsheet uploads.

An upload is read and checked at once and shown as a preview; nothing is written
until the person confirms. Between the two, the file's text waits in the person's
session (at most csvfile.MAX_BYTES, one pending file per kind), with a token the
confirmation must carry and the fingerprint of what the preview said would be
written.
"""

from __future__ import annotations

import secrets

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from common.admin_search import GuardedAdminMixin

from . import csvfile, policies, rules, services, spreadsheets, sync
from .forms import PeopleUploadForm, SpreadsheetUploadForm
from .models import ImportRun, PersonSource

# Rows shown in a preview table; the counts and every problem are always shown in full.
PREVIEW_ROWS = 500


def _session_key(kind: str) -> str:
    return f"imports.pending.{kind}"


@admin.register(PersonSource)
class PersonSourceAdmin(GuardedAdminMixin, SimpleHistoryAdmin):
    """Each person's key in the HR system, which syncs keep (imports.sync); read here, with history."""

    list_display = ["source_key", "employee", "hire_date"]
    fields = ["source_key", "employee", "hire_date"]
    readonly_fields = fields
    list_select_related = ["employee__user"]
    search_fields = ["source_key"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return policies.may_sync_people(request.user) or super().has_view_permission(request, obj)

    def has_module_permission(self, request):
        return self.has_view_permission(request)


@admin.register(ImportRun)
class ImportRunAdmin(GuardedAdminMixin, admin.ModelAdmin):
    list_display = ["recorded_at", "kind", "source", "recorded_by", "written", "unchanged", "skipped"]
    list_filter = ["kind"]
    fields = ["kind", "source", "recorded_by", "recorded_at", "written", "unchanged", "skipped", "report"]
    readonly_fields = fields
    list_select_related = ["recorded_by"]

    # The record is written by the imports only, and kept.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        user = request.user
        return (
            policies.may_import_people(user)
            or policies.may_import_requirements(user)
            or policies.may_import_delivery(user)
            or super().has_view_permission(request, obj)
        )

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import_people": policies.may_import_people(request.user),
            "can_import_requirements": policies.may_import_requirements(request.user),
            "can_import_delivery": policies.may_import_delivery(request.user),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        own = [
            path(
                f"{kind}/",
                self.admin_site.admin_view(self.spreadsheet_view),
                {"kind": kind},
                name=f"imports_importrun_{kind}",
            )
            for kind in spreadsheets.KINDS
        ]
        # Before the defaults: their "<path:object_id>/" catch-all would take these.
        return own + super().get_urls()

    # --- The upload, preview and confirmation of one spreadsheet ---------------------------------

    def spreadsheet_view(self, request, kind):
        spec = spreadsheets.KINDS[kind]
        if not spec.allowed(request.user):
            raise PermissionDenied
        action = request.POST.get("action") if request.method == "POST" else None
        if action == "confirm":
            return self._confirm(request, spec)
        if action == "cancel":
            request.session.pop(_session_key(kind), None)
            self.message_user(request, _("Import cancelled; nothing was written."), messages.INFO)
            return redirect(reverse(spec.done_url))

        if kind == "people":
            may_sync = policies.may_sync_people(request.user)
            if request.method == "POST" and request.POST.get("mode", PeopleUploadForm.IMPORT) != PeopleUploadForm.IMPORT:
                if not may_sync:
                    raise PermissionDenied
            form = PeopleUploadForm(request.POST or None, request.FILES or None, may_sync=may_sync)
        else:
            form = SpreadsheetUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            mode = form.cleaned_data.get("mode", PeopleUploadForm.IMPORT)
            try:
                text = csvfile.decode(upload.read())
                if mode == PeopleUploadForm.IMPORT:
                    table = spec.read(text)
                else:
                    table = csvfile.read_table(text, required=sync.SYNC_REQUIRED, optional=sync.SYNC_OPTIONAL)
            except csvfile.CsvFileError as exc:
                form.add_error("file", str(exc))
            else:
                if mode == PeopleUploadForm.IMPORT:
                    return self._preview(request, spec, table, text=text, name=upload.name)
                pending = {"name": upload.name, "text": text, "mode": mode,
                           "allow_mass_leave": form.cleaned_data["allow_mass_leave"]}
                try:
                    return self._sync_preview(request, spec, table, pending)
                except services.ImportRefused as exc:
                    form.add_error("file", str(exc))
        return self._render(request, spec, "imports/upload.html", {"form": form})

    def _preview(self, request, spec, table, *, text: str, name: str, warning: str = ""):
        plan = spec.preview(table)
        token = secrets.token_urlsafe(16)
        request.session[_session_key(spec.slug)] = {
            "token": token,
            "name": name,
            "text": text,
            "fingerprint": rules.fingerprint(plan),
        }
        context = {
            "plan": plan,
            "problems": plan.problems,
            "token": token,
            "file_name": name,
            "delimiter": {";": ";", ",": ",", "\t": "tab"}[table.delimiter],
            "warning": warning,
        }
        if spec.context is not None:
            shown = spec.context(plan)
            context.update(shown, warning=" ".join(part for part in (warning, shown.get("warning", "")) if part))
        elif spec.slug == "people":
            rows = [p for p in plan.people if p.writes]
            # The account each linked row becomes, named so HR sees whose it is.
            linked = [p.user_id for p in rows[:PREVIEW_ROWS] if p.action == rules.Action.LINK]
            usernames = dict(get_user_model().objects.filter(pk__in=linked).values_list("pk", "username"))
            for person in rows[:PREVIEW_ROWS]:
                person.account_username = usernames.get(person.user_id, "")
            context.update(
                to_write=len(rows),
                rows=rows[:PREVIEW_ROWS],
                counts=[
                    (_("new people"), plan.count(rules.Action.CREATE)),
                    (_("links to an existing account"), plan.count(rules.Action.LINK)),
                    (_("people given their ledger"), plan.count(rules.Action.ADD_LEDGER)),
                    (_("already here, left as they are"), plan.count(rules.Action.UNCHANGED)),
                    (_("rows skipped"), plan.count(rules.Action.SKIP)),
                ],
            )
        else:
            rows = [r for r in plan.rows if r.writes]
            context.update(
                to_write=len(rows),
                rows=rows[:PREVIEW_ROWS],
                counts=[
                    (_("new requirements"), plan.count("create")),
                    (_("requirements updated"), plan.count("update")),
                    (_("unchanged"), plan.count("unchanged")),
                    (_("rows skipped"), plan.count("skip")),
                ],
            )
        context["more_rows"] = max(0, context["to_write"] - PREVIEW_ROWS)
        return self._render(request, spec, f"imports/preview_{spec.slug}.html", context)

    # --- A sync with the HR system's export (the people page's other modes) ---------------------

    def _sync_preview(self, request, spec, table, pending: dict, *, warning: str = ""):
        """The plan of a sync (imports.sync), as its report reads, with the confirm button
        unless it would be refused. Raises services.ImportRefused for a file refused whole."""
        full = pending["mode"] == PeopleUploadForm.FULL_SYNC
        plan = sync.plan(table.rows, full=full, may_move_tracks=sync.may_move_tracks(request.user))
        token = secrets.token_urlsafe(16)
        request.session[_session_key(spec.slug)] = {**pending, "token": token, "fingerprint": rules.fingerprint(plan)}
        blocked = plan.mass_leave and not pending["allow_mass_leave"]
        if blocked:
            warning = " ".join(part for part in (warning, _(
                "This full sync would mark %(leaving)s of the %(active)s people here as leaving; is the file "
                "complete? If so many people really left, upload it again with “Many people really left” ticked."
            ) % {"leaving": len(plan.leavers), "active": plan.active}) if part)
        context = {
            "plan": plan,
            "report": sync.report_lines(plan, dry_run=True, source=pending["name"], mass_leave_note=False),
            "token": token,
            "file_name": pending["name"],
            "delimiter": {";": ";", ",": ",", "\t": "tab"}[table.delimiter],
            "warning": warning,
            "full": full,
            "to_write": 0 if blocked else plan.changed,
            "counts": [
                (_("new people"), plan.count(sync.Action.CREATE)),
                (_("people updated"), plan.count(sync.Action.UPDATE)),
                (_("people back after leaving"), plan.count(sync.Action.REHIRE)),
                (_("people marked as leaving"), len(plan.leavers)),
                (_("unchanged"), plan.count(sync.Action.UNCHANGED)),
                (_("rows refused"), plan.count(sync.Action.REFUSE)),
            ],
        }
        return self._render(request, spec, "imports/preview_sync.html", context)

    def _sync_confirm(self, request, spec, pending: dict):
        table = csvfile.read_table(pending["text"], required=sync.SYNC_REQUIRED, optional=sync.SYNC_OPTIONAL)
        try:
            outcome = sync.sync_people(
                table.rows,
                full=pending["mode"] == PeopleUploadForm.FULL_SYNC,
                allow_mass_leave=pending["allow_mass_leave"],
                by=request.user,
                source=pending["name"],
                expected_fingerprint=pending["fingerprint"],
            )
        except services.PreviewOutdated:
            warning = _(
                "The data changed since the preview; nothing was written. "
                "Check the new preview below and confirm again."
            )
            return self._sync_preview(request, spec, table, pending, warning=warning)
        except services.ImportRefused as exc:
            request.session.pop(_session_key(spec.slug), None)
            self.message_user(request, str(exc), messages.ERROR)
            return redirect(reverse("admin:imports_importrun_people"))
        request.session.pop(_session_key(spec.slug), None)
        plan = outcome.plan
        if plan.changed:
            self.message_user(
                request,
                _("Synced %(file)s: %(changed)s change(s), %(unchanged)s unchanged, %(refused)s refused.")
                % {"file": pending["name"], "changed": plan.changed,
                   "unchanged": plan.count(sync.Action.UNCHANGED), "refused": plan.count(sync.Action.REFUSE)},
                messages.SUCCESS,
            )
            return redirect(reverse("admin:imports_importrun_change", args=[outcome.run.pk]))
        self.message_user(request, _("Nothing changed: the people here already match the file."), messages.INFO)
        return redirect(reverse(spec.done_url))

    def _confirm(self, request, spec):
        pending = request.session.get(_session_key(spec.slug))
        if not pending or not secrets.compare_digest(pending["token"], request.POST.get("token", "")):
            self.message_user(
                request,
                _("That preview is no longer current (another file was uploaded or it was confirmed already). "
                  "Nothing was written; upload the file again."),
                messages.ERROR,
            )
            return redirect(reverse(f"admin:imports_importrun_{spec.slug}"))
        if pending.get("mode", PeopleUploadForm.IMPORT) != PeopleUploadForm.IMPORT:
            if not policies.may_sync_people(request.user):
                raise PermissionDenied
            return self._sync_confirm(request, spec, pending)
        table = spec.read(pending["text"])
        try:
            done = spec.confirm(table, by=request.user, expected=pending["fingerprint"], source=pending["name"])
        except services.PreviewOutdated:
            warning = _(
                "The data changed since the preview; nothing was written. "
                "Check the new preview below and confirm again."
            )
            return self._preview(request, spec, table, text=pending["text"], name=pending["name"], warning=warning)
        except services.ImportRefused as exc:
            return self._preview(request, spec, table, text=pending["text"], name=pending["name"], warning=str(exc))
        request.session.pop(_session_key(spec.slug), None)
        if done.written:
            self.message_user(
                request,
                _("Imported %(file)s: %(written)s written, %(unchanged)s unchanged, %(skipped)s skipped.")
                % {"file": pending["name"], "written": done.written, "unchanged": done.unchanged, "skipped": done.skipped},
                messages.SUCCESS,
            )
        else:
            self.message_user(request, _("Nothing to write: the file adds nothing new."), messages.INFO)
        return redirect(reverse(spec.done_url))

    def _render(self, request, spec, template, context):
        context = {
            **self.admin_site.each_context(request),
            "title": spec.title,
            "subtitle": None,
            "opts": self.opts,
            "kind": spec,
            "max_rows": csvfile.MAX_ROWS,
            "max_mb": csvfile.MAX_BYTES // (1024 * 1024),
            **context,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, template, context)
