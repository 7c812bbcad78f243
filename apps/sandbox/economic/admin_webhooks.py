"""The sandbox admin's webhooks part: the agreements' webhooks, the delivery log (read-only)
and the delivery knobs. Registered by `admin.py` importing this module."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from .deliveries import knobs_get
from .models_webhooks import Delivery, Webhook, WebhookKnobs


@admin.register(Webhook)
class WebhookAdmin(ModelAdmin):
    list_display = ["event_type", "agreement", "url", "is_disabled", "last_updated"]
    list_filter = ["is_disabled", "event_type"]
    search_fields = ["event_type", "url", "name"]
    list_select_related = ["agreement"]
    # The custom headers carry the receiver's secret: not shown.
    exclude = ["custom_headers"]
    readonly_fields = ["last_disabled_date", "last_updated", "object_version"]


@admin.register(Delivery)
class DeliveryAdmin(ModelAdmin):
    """The delivery log: what the sandbox sent (or dropped), when and what came back."""

    list_display = [
        "created_at",
        "event_type",
        "sequence",
        "status",
        "response_code",
        "attempts",
        "duplicate",
        "due_at",
        "error",
    ]
    list_filter = ["status", "event_type", "duplicate"]
    search_fields = ["event_type", "url", "body"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookKnobs)
class WebhookKnobsAdmin(ModelAdmin):
    """One page with the delivery switches."""

    fieldsets = [
        (_("Deliveries"), {"fields": ["delay_seconds", "drop_rate", "duplicate_rate", "seed"]}),
        (
            _("Failing receivers"),
            {"fields": ["max_attempts", "retry_seconds", "timeout_seconds"]},
        ),
        (_("Counter"), {"fields": ["sequence"]}),
    ]
    readonly_fields = ["sequence"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        knobs = knobs_get()
        return redirect(reverse("admin:sandbox_economic_webhookknobs_change", args=[knobs.pk]))
