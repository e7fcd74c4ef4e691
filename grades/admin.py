"""
Django admin for the grades app, shaped for HR.

- Ladders (their levels, order and main grades) and tracks' forks come from
  framework files (load_framework) and migrations: levels can be tuned here (names,
  minimum months) but not added, removed or reordered, and a track's ladder is shown,
  not changed.
- History is append-only. Grade changes and evidence events are view-only here;
  a person's grade history grows through `services.employee_hire` (the add form)
  and `services.grade_change_record` (the "Record grade change" page); a move to
  another track is `services.employee_change_track` (the "Change track" page, HR only),
  so the track is read-only on the employee form.
- Employees, requirements, evidence and mentorships are what history points at
  (PROTECT), so they have no bulk "delete selected"; a requirement is retired
  with `is_active` instead.
- Every changelist selects its related rows in the same query (list_select_related)
  and foreign keys to people use autocomplete, so page cost does not grow with rows.
- Date hierarchies only on date columns: on a datetime column MySQL would need its
  time zone tables (CONVERT_TZ) as soon as TIME_ZONE is not UTC.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from common.admin_search import GuardedAdminMixin

from . import policies, services
from .versions import recorded_as_versions
from .admin_forms import (
    EmployeeAddForm,
    EmployeeChangeForm,
    GradeChangeRecordForm,
    RequirementForm,
    RequirementInlineFormSet,
    TrackChangeForm,
)
from .models import (
    Book,
    Category,
    Employee,
    Evidence,
    EvidenceEvent,
    GradeChange,
    Ladder,
    Level,
    Mentorship,
    Requirement,
    RequirementGroup,
    Track,
    TrackLevel,
)


def _short(text: str, length: int = 80) -> str:
    return Truncator(text).chars(length)


class NoBulkDeleteMixin:
    """Drops "delete selected": these rows are referenced by history (PROTECT), and a
    bulk delete would only end on a page of protected objects, or, where nothing
    refers to a row yet, silently remove it."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class HistoryAdminMixin:
    """View-only rows: history is appended by services, never edited or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TrackLevelChoiceMixin:
    """A track-level's label names its track and level: load them with the choices. So
    does a requirement group's, before its own name."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "track_level":
            kwargs["queryset"] = TrackLevel.objects.select_related("track", "level")
        if db_field.name == "group":
            kwargs["queryset"] = RequirementGroup.objects.select_related("track_level__track", "track_level__level")
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "group" and formfield is not None:
            formfield.label_from_instance = lambda group: f"{group.track_level} · {group.display_name}"
        return formfield


# --- The framework ------------------------------------------------------------------


@admin.register(Ladder)
class LadderAdmin(GuardedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "name_ru", "level_count"]
    search_fields = ["name", "name_ru", "slug"]
    fields = ["slug", "name", "name_ru"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_level_count=Count("levels"))

    @admin.display(description=_("levels"), ordering="_level_count")
    def level_count(self, obj):
        return obj._level_count

    def get_readonly_fields(self, request, obj=None):
        # Framework files name a ladder by its slug.
        return ["slug"] if obj is not None else []

    # A ladder's levels come from a framework file (load_framework) or a migration.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Level)
class LevelAdmin(GuardedAdminMixin, admin.ModelAdmin):
    list_display = ["ladder", "rank", "name", "name_ru", "main_grade", "entry_only", "min_months_in_previous"]
    list_display_links = ["name"]
    list_editable = ["min_months_in_previous"]
    list_filter = ["ladder"]
    list_select_related = ["ladder", "main_grade"]
    # Grouped by ladder, each in its order.
    ordering = ["ladder__slug", "rank"]
    # The framework files, the tracks' requirements and the salary bands are written
    # against these ladders, codes, this order and these main grades: a framework file
    # (load_framework) or a migration changes them.
    readonly_fields = ["ladder", "rank", "code", "main_grade"]
    fields = ["ladder", "rank", "code", "name", "name_ru", "main_grade", "entry_only", "min_months_in_previous"]

    # A level added or removed here would not match the framework files nor the people's ledgers.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Category)
class CategoryAdmin(GuardedAdminMixin, admin.ModelAdmin):
    """The themes requirements are sorted by. A theme in use cannot be deleted (PROTECT)."""

    list_display = ["key", "name", "name_ru", "position", "requirement_count"]
    list_display_links = ["key", "name"]
    list_editable = ["position"]
    search_fields = ["key", "name", "name_ru", "summary"]
    fields = ["key", "name", "name_ru", "summary", "position"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _requirement_count=Count("requirements", filter=Q(requirements__is_active=True))
        )

    @admin.display(description=_("active requirements"), ordering="_requirement_count")
    def requirement_count(self, obj):
        return obj._requirement_count

    def get_readonly_fields(self, request, obj=None):
        # Requirements and framework files name a theme by its key.
        return ["key"] if obj is not None else []


@admin.register(Track)
class TrackAdmin(GuardedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "name_ru", "ladder", "fork", "is_active", "requirement_count"]
    list_filter = ["is_active", "ladder"]
    list_select_related = ["ladder", "fork_of", "fork_at"]
    search_fields = ["name", "name_ru", "slug", "description", "description_en"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _requirement_count=Count("requirements", filter=Q(requirements__is_active=True))
            )
        )

    @admin.display(description=_("active requirements"), ordering="_requirement_count")
    def requirement_count(self, obj):
        return obj._requirement_count

    @admin.display(description=_("fork"))
    def fork(self, obj):
        if obj.fork_of_id is None:
            return "—"
        return _("%(parent)s from %(level)s") % {"parent": obj.fork_of, "level": obj.fork_at}

    def get_fields(self, request, obj=None):
        fields = ["slug", "name", "name_ru", "description", "description_en", "is_active", "ladder"]
        # A fork is made by its framework file (track.fork_of, track.fork_at).
        return [*fields, "fork_of", "fork_at"] if obj is not None and obj.fork_of_id else fields

    def get_readonly_fields(self, request, obj=None):
        # People hold levels of the track's ladder, and requirements sit on them: the
        # ladder of a saved track changes with its framework file, which checks both.
        return ["ladder", "fork_of", "fork_at"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # In the admin's transaction: the new track's full ladder is its ladder's levels.
            services.track_ladders_refresh(tracks=[obj.pk], by=request.user, reason="track added in admin")


class RequirementInline(admin.TabularInline):
    model = Requirement
    form = RequirementForm
    formset = RequirementInlineFormSet
    fields = [
        "position",
        "key",
        "category",
        "text",
        "text_en",
        "proficiency",
        "examples",
        "group",
        "origin",
        "check_kind",
        "check_params",
        "is_active",
    ]
    extra = 0
    # Evidence points at requirements (PROTECT); retire one with "active" instead.
    can_delete = False
    show_change_link = True
    formfield_overrides = {
        models.JSONField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 20})},
    }


    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # A requirement's group is one of its own level's.
        field = formset.form.base_fields.get("group")
        if field is not None:
            field.queryset = RequirementGroup.objects.filter(track_level=obj) if obj is not None else RequirementGroup.objects.none()
            field.label_from_instance = lambda group: group.display_name
        return formset


class RequirementGroupInline(admin.TabularInline):
    """The level's "at least N of these" groups; a group that requirements are in stays."""

    model = RequirementGroup
    fields = ["key", "at_least", "name", "name_ru"]
    extra = 0
    can_delete = False


class BookInline(admin.TabularInline):
    model = Book
    fields = ["position", "title", "author"]
    extra = 0


@admin.register(TrackLevel)
class TrackLevelAdmin(GuardedAdminMixin, admin.ModelAdmin):
    list_display = ["track", "level", "requirement_count", "book_count"]
    list_display_links = ["track", "level"]
    list_filter = ["track", "level"]
    list_select_related = ["track", "level"]
    search_fields = ["track__name", "level__name", "comment", "comment_en"]
    inlines = [RequirementInline, RequirementGroupInline, BookInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                # distinct: two joined relations would otherwise multiply each other.
                _requirement_count=Count(
                    "requirements", filter=Q(requirements__is_active=True), distinct=True
                ),
                _book_count=Count("books", distinct=True),
            )
        )

    @admin.display(description=_("active requirements"), ordering="_requirement_count")
    def requirement_count(self, obj):
        return obj._requirement_count

    @admin.display(description=_("books"), ordering="_book_count")
    def book_count(self, obj):
        return obj._book_count

    def get_readonly_fields(self, request, obj=None):
        # Requirements copy the track of their track-level, and evidence points at
        # them: moving a saved track-level to another track or level would mislabel both.
        return ["track", "level"] if obj is not None else []

    def save_related(self, request, form, formsets, change):
        # The requirements, groups and books edited inline are a version of the track's framework.
        with recorded_as_versions({form.instance.track_id}, by=request.user, reason="admin edit"):
            super().save_related(request, form, formsets, change)
        # A requirement added, retired, reactivated or re-judged inline changes the
        # checklists of everyone on the track.
        for formset in formsets:
            # A new line has no initial data; a changed one counts when what it changed counts.
            if formset.model is Requirement and any(
                f.has_changed() and (not f.initial or set(f.changed_data) & services.CHECKLIST_FIELDS)
                for f in formset.forms
            ):
                services.checklists_changed(track_ids={form.instance.track_id})
                break
            # A group's N is how many lines it counts as.
            if formset.model is RequirementGroup and any(
                f.has_changed() and "at_least" in f.changed_data for f in formset.forms
            ):
                services.checklists_changed(track_ids={form.instance.track_id})
                break


@admin.register(Requirement)
class RequirementAdmin(GuardedAdminMixin, TrackLevelChoiceMixin, NoBulkDeleteMixin, admin.ModelAdmin):
    form = RequirementForm
    list_display = ["short_text", "track", "level", "category", "group", "check_kind", "is_active"]
    list_filter = [
        "track",
        ("track_level__level", admin.RelatedOnlyFieldListFilter),
        "category",
        "check_kind",
        "is_active",
        "origin",
    ]
    search_fields = ["text", "text_en", "key"]
    list_select_related = ["track", "track_level__level", "category", "group"]
    fields = [
        "track_level",
        "key",
        "position",
        "category",
        "text",
        "text_en",
        "proficiency",
        "examples",
        "group",
        "origin",
        "check_kind",
        "check_params",
        "is_active",
    ]
    actions = ["retire", "reactivate"]

    @admin.display(description=_("requirement"), ordering="text_en")
    def short_text(self, obj):
        return _short(obj.text_en or obj.text)

    @admin.display(description=_("level"), ordering="track_level__level__rank")
    def level(self, obj):
        return obj.track_level.level

    # Each edit of a track's requirements here is a version of its framework, as a load of a
    # file is (grades.versions.recorded_as_versions), with the admin as the one who loaded it.

    @admin.action(description=_("Retire selected requirements"), permissions=["change"])
    def retire(self, request, queryset):
        reason = "admin action: retire"
        with recorded_as_versions(self._tracks_of(queryset), by=request.user, reason=reason):
            count = services.requirements_set_active(requirements=queryset, active=False, by=request.user, reason=reason)
        self.message_user(request, _("%(count)d requirement(s) retired.") % {"count": count})

    @admin.action(description=_("Reactivate selected requirements"), permissions=["change"])
    def reactivate(self, request, queryset):
        reason = "admin action: reactivate"
        with recorded_as_versions(self._tracks_of(queryset), by=request.user, reason=reason):
            count = services.requirements_set_active(requirements=queryset, active=True, by=request.user, reason=reason)
        self.message_user(request, _("%(count)d requirement(s) reactivated.") % {"count": count})

    @staticmethod
    def _tracks_of(queryset) -> set[int]:
        return set(queryset.order_by().values_list("track_id", flat=True).distinct())

    def save_model(self, request, obj, form, change):
        was_on = Requirement.objects.filter(pk=obj.pk).values_list("track_id", flat=True).first() if change else None
        now_on = obj.track_level.track_id
        with recorded_as_versions({now_on, was_on}, by=request.user, reason="admin edit"):
            super().save_model(request, obj, form, change)
        if not change or set(form.changed_data) & services.CHECKLIST_FIELDS:
            services.checklists_changed(track_ids={obj.track_id, was_on} - {None})


@admin.register(Book)
class BookAdmin(GuardedAdminMixin, TrackLevelChoiceMixin, admin.ModelAdmin):
    list_display = ["title", "author", "track_level", "position"]
    list_filter = ["track_level__track", "track_level__level"]
    list_select_related = ["track_level__track", "track_level__level"]
    search_fields = ["title", "author"]


# --- People ----------------------------------------------------------------------------


class EmploymentFilter(admin.SimpleListFilter):
    title = _("employment")
    parameter_name = "employment"

    def lookups(self, request, model_admin):
        return [("current", _("Current")), ("left", _("Left"))]

    def queryset(self, request, queryset):
        if self.value() == "current":
            return queryset.filter(left_on__isnull=True)
        if self.value() == "left":
            return queryset.filter(left_on__isnull=False)
        return queryset


class GradeChangeInline(admin.TabularInline):
    """The person's grade history, oldest first, read-only."""

    model = GradeChange
    fields = ["effective_date", "kind", "level", "track", "reason", "recorded_by", "recorded_at"]
    readonly_fields = fields
    ordering = ["effective_date", "id"]
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = _("grade history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("level", "track", "recorded_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Employee)
class EmployeeAdmin(GuardedAdminMixin, NoBulkDeleteMixin, admin.ModelAdmin):
    add_form = EmployeeAddForm
    form = EmployeeChangeForm
    list_display = [
        "name",
        "email",
        "track",
        "current_level",
        "current_level_since",
        "team_lead",
        "hire_date",
    ]
    list_filter = [
        "track",
        "current_level",
        ("team_lead", admin.EmptyFieldListFilter),
        EmploymentFilter,
    ]
    search_fields = [
        "user__first_name",
        "user__last_name",
        "user__username",
        "user__email",
    ]
    list_select_related = ["user", "track", "current_level", "team_lead__user"]
    autocomplete_fields = ["user", "team_lead"]
    inlines = [GradeChangeInline]
    add_fieldsets = [
        (None, {"fields": ["user", "track", "level", "team_lead"]}),
        (_("Dates"), {"fields": ["hire_date", "probation_end", "career_start"]}),
    ]
    fieldsets = [
        (None, {"fields": ["user", "track", "team_lead"]}),
        (_("Grade"), {"fields": ["current_level", "current_level_since"]}),
        (_("Dates"), {"fields": ["hire_date", "probation_end", "career_start", "left_on"]}),
    ]

    def get_queryset(self, request):
        # Autocomplete results and the change page label people by their user's name.
        # The changelist ignores list_select_related once the queryset has any
        # select_related, so this names everything the list shows.
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description=_("name"), ordering="user__last_name")
    def name(self, obj):
        return obj.name

    @admin.display(description=_("email"), ordering="user__email")
    def email(self, obj):
        return obj.user.email

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # The user is who the person is; the hire date is the date of the hire entry,
        # which is history and cannot move; the level comes from the ledger, and so does
        # the track: a move is a ledger entry ("Change track"), not an edit of this row.
        return ["user", "track", "hire_date", "current_level", "current_level_since"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_add_permission(self, request):
        # Adding a person writes their hire entry too.
        return super().has_add_permission(request) and request.user.has_perm(
            "grades.add_gradechange"
        )

    def can_record_grade_change(self, request, obj) -> bool:
        return self.has_change_permission(request, obj) and request.user.has_perm(
            "grades.add_gradechange"
        )

    def can_change_track(self, request, obj) -> bool:
        # The service allows HR only; staff with the same model permissions but not
        # in the HR role do not see the button either.
        return self.can_record_grade_change(request, obj) and policies.may_record_grade_change(request.user)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        employee = services.employee_hire(
            user=obj.user,
            track=obj.track,
            level=form.cleaned_data["level"],
            hire_date=obj.hire_date,
            career_start=obj.career_start,
            probation_end=obj.probation_end,
            team_lead=obj.team_lead,
            by=request.user,
        )
        # The admin goes on with `obj` (log entry, redirect): make it the saved row.
        obj.pk = employee.pk
        obj.current_level = employee.current_level
        obj.current_level_since = employee.current_level_since
        obj._state.adding = False
        obj._state.db = employee._state.db

    def add_view(self, request, form_url="", extra_context=None):
        # The form checks what the hire service checks, so a refusal here means the
        # data changed between the two (another tab hired the same user). The admin's
        # own transaction has been rolled back by then: say why and start over.
        try:
            with transaction.atomic():
                return super().add_view(request, form_url, extra_context)
        except services.GradeError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_record_grade_change"] = obj is not None and self.can_record_grade_change(
            request, obj
        )
        context["can_change_track"] = obj is not None and self.can_change_track(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/grade-change/",
                self.admin_site.admin_view(self.record_grade_change_view),
                name="grades_employee_grade_change",
            ),
            path(
                "<path:object_id>/track-change/",
                self.admin_site.admin_view(self.change_track_view),
                name="grades_employee_track_change",
            ),
        ]
        # Before the defaults: their "<path:object_id>/" catch-all would take it.
        return own + super().get_urls()

    def record_grade_change_view(self, request, object_id):
        """Append a promotion or correction through `services.grade_change_record`."""
        employee = self.get_object(request, unquote(object_id))
        if employee is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.can_record_grade_change(request, employee):
            raise PermissionDenied
        form = GradeChangeRecordForm(request.POST or None, employee=employee)
        if request.method == "POST" and form.is_valid():
            try:
                entry = services.grade_change_record(
                    employee=employee,
                    kind=form.cleaned_data["kind"],
                    level=form.cleaned_data["level"],
                    effective_date=form.cleaned_data["effective_date"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except services.GradeError as exc:
                form.add_error(None, str(exc))
            else:
                added = {"name": str(GradeChange._meta.verbose_name), "object": str(entry)}
                self.log_change(request, employee, [{"added": added}])
                self.message_user(
                    request,
                    _("Recorded: %(entry)s.") % {"entry": entry},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:grades_employee_change", args=[employee.pk]))
        return self._ledger_action_response(
            request, employee, form,
            title=_("Record a grade change for %(name)s") % {"name": employee},
            template="admin/grades/employee/record_grade_change.html",
        )

    def _ledger_action_response(self, request, employee, form, *, title, template):
        """The page of an action that appends to the ledger: the person's history and the form."""
        history = (
            employee.grade_changes.chronological().select_related("level", "track", "recorded_by")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": self.opts,
            "original": employee,
            "form": form,
            "history": history,
            "media": self.media + form.media,
            "has_view_permission": self.has_view_permission(request, employee),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, template, context)

    def change_track_view(self, request, object_id):
        """Move the person to another track through `services.employee_change_track`."""
        employee = self.get_object(request, unquote(object_id))
        if employee is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.can_change_track(request, employee):
            raise PermissionDenied
        form = TrackChangeForm(request.POST or None, employee=employee)
        if request.method == "POST" and form.is_valid():
            try:
                moved = services.employee_change_track(
                    employee=employee,
                    track=form.cleaned_data["track"],
                    level=form.cleaned_data["level"],
                    effective_date=form.cleaned_data["effective_date"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except PermissionError as exc:
                raise PermissionDenied(str(exc)) from exc
            except services.GradeError as exc:
                form.add_error(None, str(exc))
            else:
                added = {"name": str(GradeChange._meta.verbose_name), "object": str(moved.entry)}
                self.log_change(request, employee, [{"added": added}])
                self.message_user(
                    request,
                    _(
                        "Recorded: %(entry)s. Claims carried over: %(carried)d; "
                        "waiting claims withdrawn from the old track: %(closed)d."
                    )
                    % {"entry": moved.entry, "carried": len(moved.carried), "closed": len(moved.closed)},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:grades_employee_change", args=[employee.pk]))
        return self._ledger_action_response(
            request, employee, form,
            title=_("Change the track of %(name)s") % {"name": employee},
            template="admin/grades/employee/change_track.html",
        )


@admin.register(GradeChange)
class GradeChangeAdmin(GuardedAdminMixin, HistoryAdminMixin, admin.ModelAdmin):
    list_display = [
        "employee",
        "kind",
        "level",
        "track",
        "effective_date",
        "recorded_by",
        "recorded_at",
    ]
    list_filter = ["kind", "track", "level", "effective_date"]
    search_fields = [
        "employee__user__first_name",
        "employee__user__last_name",
        "employee__user__username",
        "reason",
    ]
    date_hierarchy = "effective_date"
    list_select_related = ["employee__user", "level", "track", "recorded_by"]
    ordering = ["-effective_date", "-id"]


class MentorshipStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("current", _("Current")), ("past", _("Ended"))]

    def queryset(self, request, queryset):
        if self.value() == "current":
            return queryset.current()
        if self.value() == "past":
            return queryset.filter(ended_on__lt=timezone.localdate())
        return queryset


@admin.register(Mentorship)
class MentorshipAdmin(GuardedAdminMixin, NoBulkDeleteMixin, admin.ModelAdmin):
    list_display = ["mentor", "mentee", "started_on", "ended_on"]
    list_filter = [MentorshipStateFilter]
    search_fields = [
        "mentor__user__first_name",
        "mentor__user__last_name",
        "mentee__user__first_name",
        "mentee__user__last_name",
    ]
    list_select_related = ["mentor__user", "mentee__user"]
    autocomplete_fields = ["mentor", "mentee"]
    date_hierarchy = "started_on"


# --- Evidence ------------------------------------------------------------------------


class EvidenceEventInline(admin.TabularInline):
    model = EvidenceEvent
    fields = ["at", "action", "actor", "description", "links", "comment"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = _("history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Evidence)
class EvidenceAdmin(GuardedAdminMixin, NoBulkDeleteMixin, admin.ModelAdmin):
    list_display = ["employee", "short_requirement", "status", "claimed_at", "decided_by"]
    list_filter = ["status", ("requirement__track", admin.RelatedOnlyFieldListFilter)]
    search_fields = [
        "employee__user__first_name",
        "employee__user__last_name",
        "employee__user__username",
    ]
    list_select_related = ["employee__user", "requirement", "decided_by"]
    inlines = [EvidenceEventInline]
    fields = [
        "employee",
        "requirement",
        "status",
        "description",
        "links",
        "claimed_by",
        "claimed_at",
        "decided_by",
        "decided_at",
        "decision_comment",
    ]
    # Who claimed what, when, and the decision are the record.
    readonly_fields = [
        "employee",
        "requirement",
        "status",
        "claimed_by",
        "claimed_at",
        "decided_by",
        "decided_at",
        "decision_comment",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "employee__user", "requirement", "claimed_by", "decided_by"
        )

    @admin.display(description=_("requirement"), ordering="requirement__text_en")
    def short_requirement(self, obj):
        return _short(str(obj.requirement))

    # A claim is made by the developer on their own page, where its first event is
    # written with it; an admin-made claim would have no history.
    def has_add_permission(self, request):
        return False

    # The claim is the developer's own words and the decision the team lead's: both are
    # made on the progress page through grades.services, which also writes the history.
    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EvidenceEvent)
class EvidenceEventAdmin(GuardedAdminMixin, HistoryAdminMixin, admin.ModelAdmin):
    list_display = ["at", "action", "evidence", "actor"]
    list_filter = ["action", "at"]
    search_fields = [
        "evidence__employee__user__first_name",
        "evidence__employee__user__last_name",
        "evidence__employee__user__username",
    ]
    list_select_related = ["evidence__employee__user", "evidence__requirement", "actor"]


from . import admin_users  # noqa: E402,F401  the guarded user admin replaces Django's
from . import admin_lockouts  # noqa: E402,F401  HR's sign-in lockouts page replaces django-axes' own
