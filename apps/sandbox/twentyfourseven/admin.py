"""The "24SO sandbox" admin section: play the 24SO side of a demo, turn the knobs."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from .models import (
    Client,
    Company,
    Hour,
    Identity,
    InvoiceOrder,
    Knobs,
    Person,
    Project,
    ProjectParticipant,
    ProjectRole,
    ProjectStatus,
    RequestLog,
    Session,
    Task,
    WorkType,
)
from .runtime import knobs_get
from .services import sandbox_record_save, sandbox_sessions_expire


class SandboxRecordAdmin(ModelAdmin):
    """Saves through the sandbox service so edits get a number and a new DateChanged."""

    list_select_related = ["client"]

    def save_model(self, request, obj, form, change):
        sandbox_record_save(obj=obj)


@admin.register(Client)
class ClientAdmin(ModelAdmin):
    list_display = ["client_id", "name", "organization_number", "city"]
    search_fields = ["name", "organization_number"]
    ordering = ["client_id"]


@admin.register(Person)
class PersonAdmin(SandboxRecordAdmin):
    list_display = ["contact_id", "name", "email", "is_employee", "employee_id", "client"]
    list_filter = ["client", "is_employee"]
    search_fields = ["first_name", "last_name", "email"]
    readonly_fields = ["date_registered", "date_changed"]
    ordering = ["client", "contact_id"]


@admin.register(Identity)
class IdentityAdmin(ModelAdmin):
    list_display = ["login", "client", "person", "is_default", "is_disabled", "is_blocked"]
    list_filter = ["client", "is_blocked"]
    list_select_related = ["login", "client", "person"]
    readonly_fields = ["identity_id"]
    raw_id_fields = ["person"]


@admin.register(Company)
class CompanyAdmin(SandboxRecordAdmin):
    list_display = ["company_id", "name", "organization_number", "type", "active", "client"]
    list_filter = ["client", "active", "type"]
    search_fields = ["name", "organization_number", "external_id"]
    readonly_fields = ["date_created", "date_changed"]
    ordering = ["client", "company_id"]
    fieldsets = [
        (None, {"fields": ["client", "company_id", "name", "type", "active"]}),
        (
            _("Details"),
            {"fields": ["organization_number", "external_id", "email", "phone", "country", "note"]},
        ),
        (_("Other 24SO properties"), {"classes": ["collapse"], "fields": ["data"]}),
        (_("Dates"), {"fields": ["date_created", "date_changed"]}),
    ]


class ParticipantInline(TabularInline):
    model = ProjectParticipant
    extra = 0
    raw_id_fields = ["person"]
    readonly_fields = ["date_changed"]


@admin.register(Project)
class ProjectAdmin(SandboxRecordAdmin):
    list_display = ["project_id", "name", "customer_id", "status", "version", "client"]
    list_filter = ["client", "version", "status__active"]
    list_select_related = ["client", "status"]
    search_fields = ["name"]
    readonly_fields = ["date_registered", "date_changed"]
    filter_horizontal = ["work_types"]
    inlines = [ParticipantInline]
    ordering = ["client", "project_id"]
    fieldsets = [
        (None, {"fields": ["client", "project_id", "name", "customer_id", "status", "version"]}),
        (
            _("Registration"),
            {
                "fields": [
                    "time_reg",
                    "need_approval",
                    "work_type_id",
                    "work_types",
                    "name_display",
                    "owner_contact_id",
                ]
            },
        ),
        (_("Dates"), {"fields": ["date_start", "date_stop", "date_registered", "date_changed"]}),
        (_("Other 24SO properties"), {"classes": ["collapse"], "fields": ["description", "data"]}),
    ]

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for instance in instances:
            instance.date_changed = timezone.now()  # GetProjectParticipants ChangedAfter
            instance.save()
        formset.save_m2m()


@admin.register(Task)
class TaskAdmin(SandboxRecordAdmin):
    list_display = ["task_id", "name", "project", "date_start", "date_stop", "client"]
    list_filter = ["client"]
    list_select_related = ["client", "project"]
    search_fields = ["name", "project__name"]
    raw_id_fields = ["project"]
    filter_horizontal = ["participants"]
    readonly_fields = ["date_changed"]
    ordering = ["client", "task_id"]


@admin.register(Hour)
class HourAdmin(SandboxRecordAdmin):
    list_display = [
        "hour_id",
        "contact_id",
        "project_id",
        "start_time",
        "total_hours",
        "approved",
        "client",
    ]
    list_filter = ["client", "approved", "locked", "need_approval"]
    search_fields = ["description"]
    readonly_fields = ["date_registered", "date_changed"]
    date_hierarchy = "start_time"
    ordering = ["client", "-start_time"]


@admin.register(WorkType)
class WorkTypeAdmin(ModelAdmin):
    list_display = ["work_type_id", "name", "invoiceable", "price", "active", "client"]
    list_filter = ["client", "active"]
    list_select_related = ["client"]
    ordering = ["client", "work_type_id"]


@admin.register(ProjectStatus)
class ProjectStatusAdmin(ModelAdmin):
    list_display = ["status_id", "name", "active", "client"]
    list_filter = ["client"]
    ordering = ["client", "status_id"]


@admin.register(ProjectRole)
class ProjectRoleAdmin(ModelAdmin):
    list_display = ["role_id", "name", "parent", "client"]
    list_filter = ["client"]
    ordering = ["client", "role_id"]


@admin.register(InvoiceOrder)
class InvoiceOrderAdmin(SandboxRecordAdmin):
    list_display = ["order_id", "customer_id", "project_id", "order_status", "client"]
    list_filter = ["client", "order_status"]
    readonly_fields = ["date_changed"]
    ordering = ["client", "order_id"]


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RequestLog)
class RequestLogAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "service",
        "operation",
        "username",
        "client_name",
        "http_status",
        "duration_ms",
    ]
    list_filter = ["service", "http_status", "operation"]
    search_fields = ["operation", "username", "fault"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = ["identity", "created_at", "last_seen_at"]
    list_select_related = ["identity__login", "identity__client"]
    exclude = ["key"]
    ordering = ["-last_seen_at"]


@admin.register(Knobs)
class KnobsAdmin(ModelAdmin):
    """One page with the runtime switches; "Expire all sessions now" as an object tool."""

    change_form_template = "sandbox/24so/knobs/change_form.html"

    fieldsets = [
        (_("Latency"), {"fields": ["latency_ms"]}),
        (
            _("Injected faults"),
            {
                "fields": [
                    "fault_rate",
                    "fault_error",
                    "fault_drop",
                    "fault_slow",
                    "fault_hang",
                    "fault_http500",
                    "fault_expire",
                    "slow_seconds",
                    "fault_seed",
                    "sequence",
                ]
            },
        ),
        (
            _("Sessions and limits"),
            {
                "fields": [
                    "session_idle_seconds",
                    "sessions_expire_before",
                    "rate_limit_per_hour",
                    "quarantine_until",
                ]
            },
        ),
    ]
    readonly_fields = ["sequence", "sessions_expire_before"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        custom = [
            path(
                "expire-sessions/",
                self.admin_site.admin_view(self.expire_sessions_view),
                name="sandbox_24so_knobs_expire_sessions",
            )
        ]
        return custom + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        knobs = knobs_get()
        return redirect(reverse("admin:sandbox_24so_knobs_change", args=[knobs.pk]))

    def expire_sessions_view(self, request: HttpRequest):
        if request.method != "POST":
            return redirect(reverse("admin:sandbox_24so_knobs_changelist"))
        knobs = knobs_get()
        if not self.has_change_permission(request, knobs):
            raise PermissionDenied
        sandbox_sessions_expire(knobs=knobs)
        self.log_change(request, knobs, str(_("Expired all 24SO sandbox sessions")))
        self.message_user(request, _("All 24SO sandbox sessions expired."), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:sandbox_24so_knobs_change", args=[knobs.pk]))
