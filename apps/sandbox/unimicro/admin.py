"""The "Unimicro sandbox" admin section's knobs and request log (superusers only); the records
one plays Unimicro with are in admin_biz.py."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from .models import Knobs, RequestLogEntry
from .runtime import knobs_get


def _superuser(request: Any) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


class SuperuserOnly(ModelAdmin):
    def has_module_permission(self, request: Any) -> bool:
        return _superuser(request)

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return _superuser(request)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return _superuser(request)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(RequestLogEntry)
class RequestLogEntryAdmin(SuperuserOnly):
    """Read-only: what the API was asked and answered (tokens masked, never the header)."""

    list_display = [
        "at",
        "method",
        "path",
        "query",
        "status",
        "fault",
        "company_key",
        "duration_ms",
    ]
    list_filter = ["method", "status", "fault"]
    search_fields = ["path", "query", "company_key"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
    show_full_result_count = False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Knobs)
class KnobsAdmin(SuperuserOnly):
    """One page with the runtime switches."""

    fieldsets = [
        (_("Latency"), {"fields": ["latency_ms"]}),
        (
            _("Injected faults"),
            {
                "fields": [
                    "fault_rate",
                    "fault_http503",
                    "retry_after_seconds",
                    "fault_http500",
                    "fault_hang",
                    "hang_seconds",
                    "fault_reset",
                    "fault_seed",
                    "sequence",
                ]
            },
        ),
        (_("Webhooks"), {"fields": ["signature_header", "webhook_delivery"]}),
    ]
    readonly_fields = ["sequence"]

    def changelist_view(self, request: Any, extra_context: Any = None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        knobs = knobs_get()
        return redirect(reverse("admin:sandbox_unimicro_knobs_change", args=[knobs.pk]))
