"""The ERP connection and the sync's records in the admin; "Fetch now" for the domain lists.

Credentials are write-only here: a "replace password" input that is never filled in. Support
may look at everything, run syncs and retry transfers, but not change the connection.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminSplitDateTimeWidget as AdminSplitDateTime

from apps.core.admin import ServiceModelAdmin, ServiceModelForm
from apps.core.exceptions import ApplicationError
from apps.integrations import selectors, services
from apps.integrations.admin_views.filters import (
    BindingEntityFilter,
    EntityFilter,
    KindFilter,
    LabelledColumns,
    action_label,
)
from apps.integrations.labels import ENTITY_LABELS as LABELS
from apps.integrations.labels import entity_label
from apps.integrations.models import (
    ENTITY_CHOICES,
    Binding,
    Conflict,
    Connection,
    Lease,
    OutboxItem,
    SyncRun,
    Watermark,
)
from apps.integrations.sync import outbox

CONNECT_CHOICES = [
    (v, LABELS.get(v, label)) for v, label in ENTITY_CHOICES if v in services.CONNECTABLE
]
ENTITY_LABELS = {key: label for key, label in LABELS.items()}  # translated, never code keys


def _can_run_sync(request: HttpRequest) -> bool:
    return request.user.has_perm("integrations.run_sync")


class ReadOnlyAdmin(ModelAdmin):
    """Logs and bookkeeping: shown, never written from the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- connection -------------------------------------------------------------------------------


class ConnectionChangeForm(ServiceModelForm):
    """What is kept in step and how. Credentials and the system's own settings are changed on
    the connection's settings screen, through its connector (checked live there)."""

    connected = forms.MultipleChoiceField(
        label=_("connected object types"),
        choices=CONNECT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Connection
        fields = [
            "is_active",
            "display_name",
            "connected",
            "masters",
            "hour_transfer",
            "sso_allowed",
        ]

    def save_via_service(self) -> Connection:
        data = self.cleaned_data
        return services.connection_update_settings(
            connection=self.instance,
            connect=data.get("connected") or [],
            masters=data.get("masters") or {},
            hour_transfer=data.get("hour_transfer"),
            sso=data.get("sso_allowed"),
            is_active=data.get("is_active"),
            display_name=data.get("display_name"),
            actor=self.request.user if self.request else None,
        )


@admin.register(Connection)
class ConnectionAdmin(ServiceModelAdmin):
    """One connection per ERP. Connecting goes through the wizard (the add page sends there),
    which checks each step with the system."""

    show_add_link = False
    form = ConnectionChangeForm
    list_display = [
        "system",
        "connection_name",
        "connected_types",
        "hour_transfer",
        "health",
        "is_active",
    ]
    list_filter = ["system", "is_active"]
    readonly_fields = ["system", "connector_settings", "created_at", "updated_at"]
    actions = ["sync_changes_now", "full_sync_now"]

    change_fieldsets = [
        (None, {"fields": ["is_active", "system", "display_name", "connector_settings"]}),
        (
            _("What is kept in step"),
            {"fields": ["connected", "masters", "hour_transfer", "sso_allowed"]},
        ),
        (_("History"), {"classes": ["collapse"], "fields": ["created_at", "updated_at"]}),
    ]
    view_fieldsets = change_fieldsets

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None):
        return HttpResponseRedirect(reverse("admin:integrations_connection_connect"))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list:
        if obj is not None and not self.has_change_permission(request, obj):
            return self.view_fieldsets
        return self.change_fieldsets

    @admin.display(description=_("connection"))
    def connection_name(self, obj: Connection) -> str:
        return str(obj)

    @admin.display(description=_("settings"))
    def connector_settings(self, obj: Connection) -> str:
        # The connector's own, non-secret settings (the credentials are never shown).
        rows = sorted((obj.settings or {}).items())
        if not rows:
            return "—"
        return format_html_join(
            "", "<div>{}: {}</div>", ((k.replace("_", " "), v) for k, v in rows)
        )

    def has_run_sync_permission(self, request: HttpRequest) -> bool:
        return _can_run_sync(request)

    def get_urls(self) -> list:
        # The wizard and the settings screens (apps/integrations/admin_views/).
        from apps.integrations.admin_views.onboarding import OnboardingViews
        from apps.integrations.admin_views.settings import SettingsViews

        return [*OnboardingViews(self).urls(), *SettingsViews(self).urls(), *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {
            **(extra_context or {}),
            "can_connect": request.user.has_perm("integrations.add_connection"),
            "can_change_settings": request.user.has_perm("integrations.change_connection"),
        }
        return super().changelist_view(request, extra_context)

    def delete_service(self, request: HttpRequest, obj: Connection) -> None:
        raise ApplicationError(str(_("Deactivate the connection instead: its history stays.")))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("connected"))
    def connected_types(self, obj: Connection) -> str:
        return ", ".join(str(ENTITY_LABELS.get(e, e)) for e in obj.connected or []) or "—"

    @admin.display(description=_("health"))
    def health(self, obj: Connection) -> str:
        if not obj.is_active:
            return "—"
        rows = selectors.entity_health(connection=obj)
        bad = [str(ENTITY_LABELS.get(h.entity, h.entity)) for h in rows if not h.ok]
        if not rows:
            return str(_("nothing connected"))
        if not bad:
            return str(_("OK"))
        return str(_("needs attention: %(types)s")) % {"types": ", ".join(bad)}

    def _sync(self, request: HttpRequest, queryset: QuerySet, *, full: bool) -> None:
        for connection in queryset:
            try:
                services.connection_sync_now(connection=connection, full=full, actor=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{connection}: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(connection)s: the sync has been queued.") % {"connection": connection},
                    messages.SUCCESS,
                )

    @admin.action(description=_("Fetch new changes now"), permissions=["run_sync"])
    def sync_changes_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._sync(request, queryset, full=False)

    @admin.action(description=_("Full sync now"), permissions=["run_sync"])
    def full_sync_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._sync(request, queryset, full=True)


# --- bindings, watermarks ---------------------------------------------------------------------


@admin.register(Binding)
class BindingAdmin(LabelledColumns, ReadOnlyAdmin):
    list_display = ["entity_shown", "local_id", "external_id", "state", "synced_at", "flagged"]
    list_filter = ["state", EntityFilter, "connection"]
    search_fields = ["=external_id"]
    list_select_related = ["connection"]
    readonly_fields = [
        "connection",
        "entity",
        "local_id",
        "external_id",
        "state",
        "snapshot",
        "remote_values",
        "remote_changed_at",
        "synced_at",
        "flagged",
    ]

    def get_urls(self) -> list:
        # The sync center and the conflict screen (apps/integrations/admin_views/).
        from apps.integrations.admin_views import conflicts, sync_center

        return [*sync_center.urls(self), *conflicts.urls(self), *super().get_urls()]


class WatermarkForm(ServiceModelForm):
    """The sync position by date, where the connector's cursor is a time."""

    value = forms.SplitDateTimeField(
        label=_("last sync"),
        required=False,
        widget=AdminSplitDateTime,
        help_text=_("Changes after this moment are fetched next. Empty: everything (full sync)."),
    )

    class Meta:
        model = Watermark
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["value"].initial = self.instance.moment
            if not self.instance.connection.spec.cursor_is_time:
                self.fields["value"].disabled = True

    def save_via_service(self) -> Watermark:
        if self.fields["value"].disabled:
            return self.instance  # not a time: only "Full sync now" resets it
        return services.watermark_set(
            watermark=self.instance,
            value=self.cleaned_data.get("value"),
            actor=self.request.user if self.request else None,
        )


@admin.register(Watermark)
class WatermarkAdmin(LabelledColumns, ServiceModelAdmin):
    """Where each incremental pull starts; "Full sync now" forgets it and fetches everything."""

    form = WatermarkForm
    list_display = ["entity_shown", "position", "connection", "updated_at"]
    list_filter = [EntityFilter, "connection"]
    list_select_related = ["connection"]
    readonly_fields = ["connection", "entity", "position", "updated_at"]
    fields = ["connection", "entity", "position", "value", "updated_at"]
    actions = ["full_sync_now"]
    change_form_template = "admin/integrations/watermark/change_form.html"

    @admin.display(description=_("sync position"))
    def position(self, obj: Watermark) -> str:
        return obj.describe() or str(_("everything (full sync next)"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_run_sync_permission(self, request: HttpRequest) -> bool:
        return _can_run_sync(request)

    def get_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/full-sync/",
                self.admin_site.admin_view(self.full_sync_view),
                name=f"{info[0]}_{info[1]}_full_sync",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request: HttpRequest, context: dict, *args: Any, **kwargs: Any):
        context["can_run_sync"] = _can_run_sync(request)
        return super().render_change_form(request, context, *args, **kwargs)

    def _full_sync(self, request: HttpRequest, watermark: Watermark) -> bool:
        try:
            services.connection_full_sync_now(
                connection=watermark.connection, entity=watermark.entity, actor=request.user
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return False
        self.log_change(request, watermark, [{"changed": {"fields": ["cursor"]}}])
        return True

    def full_sync_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not _can_run_sync(request):
            raise PermissionDenied
        watermark = get_object_or_404(Watermark.objects.select_related("connection"), pk=object_id)
        if self._full_sync(request, watermark):
            self.message_user(
                request,
                _("The last sync of %(entity)s was reset; a full sync has been queued.")
                % {"entity": ENTITY_LABELS.get(watermark.entity, watermark.entity)},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse("admin:integrations_watermark_change", args=[watermark.pk])
        )

    @admin.action(description=_("Full sync now"), permissions=["run_sync"])
    def full_sync_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = sum(
            1
            for watermark in queryset.select_related("connection")
            if self._full_sync(request, watermark)
        )
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(done)d object type reset; a full sync has been queued.",
                    "%(done)d object types reset; full syncs have been queued.",
                    done,
                )
                % {"done": done},
                messages.SUCCESS,
            )


# --- runs, conflicts, outbox, leases ----------------------------------------------------------


@admin.register(SyncRun)
class SyncRunAdmin(LabelledColumns, ReadOnlyAdmin):
    list_display = [
        "started_at",
        "entity_shown",
        "kind_shown",
        "trigger",
        "status",
        "fetched",
        "created",
        "updated",
        "pushed",
        "conflicts",
        "errors",
        "requests",
        "duration_display",
    ]
    list_filter = ["status", EntityFilter, KindFilter, "trigger", "full", "connection"]
    date_hierarchy = "started_at"
    list_select_related = ["connection"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "connection",
                    ("entity_shown", "kind_shown", "full"),
                    ("trigger", "status"),
                    ("started_at", "finished_at", "duration_display"),
                    "error_text",
                ]
            },
        ),
        (
            _("Counts"),
            {
                "fields": [
                    ("fetched", "created", "updated", "pushed"),
                    ("skipped", "conflicts", "errors", "requests"),
                ]
            },
        ),
        (_("Changes"), {"fields": ["changes_table"]}),
    ]
    readonly_fields = [
        "connection",
        "entity_shown",
        "kind_shown",
        "full",
        "trigger",
        "status",
        "started_at",
        "finished_at",
        "duration_display",
        "error_text",
        "fetched",
        "created",
        "updated",
        "pushed",
        "skipped",
        "conflicts",
        "errors",
        "requests",
        "changes_table",
    ]

    def get_urls(self) -> list:
        # History: runs, health per object type, failed transfers (admin_views/history.py).
        from apps.integrations.admin_views import history

        return [*history.urls(self), *super().get_urls()]

    @admin.display(description=_("duration"))
    def duration_display(self, obj: SyncRun) -> str:
        if obj.duration is None:
            return "—"
        return f"{obj.duration.total_seconds():.1f} s"

    @admin.display(description=_("changes"))
    def changes_table(self, obj: SyncRun) -> str:
        changes = obj.changes or []
        if not changes:
            return "—"
        from apps.integrations.admin_views.history import record_links

        links = record_links([c for c in changes if isinstance(c, dict)])
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    action_label(str(c.get("action", ""))),
                    entity_label(str(c.get("entity", ""))),
                    links.get((c.get("entity"), c.get("local_id")), c.get("local_id", "")),
                    c.get("external_id", ""),
                    ", ".join(str(f) for f in c.get("fields", []) or []),
                )
                for c in changes
                if isinstance(c, dict)
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            _("action"),
            _("object type"),
            _("Tidsbro id"),
            _("ERP id"),
            _("fields"),
            rows,
        )


@admin.register(Conflict)
class ConflictAdmin(ReadOnlyAdmin):
    list_display = [
        "binding",
        "field_shown",
        "local_value",
        "remote_value",
        "base_value",
        "detected_at",
        "resolved_at",
        "resolution",
    ]
    list_filter = [
        BindingEntityFilter,
        "resolution",
        ("resolved_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["binding"]
    search_fields = ["=binding__external_id", "field"]

    @admin.display(description=_("field"), ordering="field")
    def field_shown(self, obj: Conflict) -> str:
        """The field as the office knows it ("default work type"), not the sync's key."""
        from apps.integrations.admin_views.conflicts import field_label
        from apps.integrations.partners import local_model

        return field_label(local_model(obj.binding.entity), obj.field).capitalize()


@admin.register(OutboxItem)
class OutboxItemAdmin(LabelledColumns, ReadOnlyAdmin):
    """Local changes waiting for the ERP; failed ones stay here until someone retries them."""

    list_display = [
        "created_at",
        "entity_shown",
        "local_id",
        "operation",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = ["status", EntityFilter, "operation", "connection"]
    list_select_related = ["connection"]
    search_fields = ["=local_id", "=external_id"]
    actions = ["retry_now"]
    readonly_fields = [
        "connection",
        "entity",
        "local_id",
        "operation",
        "external_id",
        "status",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "last_error",
        "created_at",
        "updated_at",
        "done_at",
    ]

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutboxItem) -> str:
        # In plain words (waiting for a project, a known ERP error); the raw text is on
        # the item's own page.
        from apps.integrations.admin_views.transfers import item_state

        _level, words, explanation = item_state(obj)
        text = explanation.plain if explanation is not None else words
        return (text[:120] + "…") if len(text) > 120 else text

    def has_retry_outbox_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("integrations.retry_outbox")

    @admin.action(description=_("Retry now"), permissions=["retry_outbox"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for item in queryset.exclude(status=OutboxItem.Status.DONE):
            outbox.retry(item=item)
            self.log_change(request, item, [{"changed": {"fields": ["status"]}}])
            done += 1
        self.message_user(
            request,
            ngettext("%(done)d transfer queued again.", "%(done)d transfers queued again.", done)
            % {"done": done},
            messages.SUCCESS if done else messages.WARNING,
        )


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdmin):
    list_display = ["name", "owner", "locked_until"]
    readonly_fields = ["name", "owner", "locked_until", "version"]


# --- "Fetch now" on the customer, project and work type lists ---------------------------------


class FetchNowMixin:
    """Adds a "Fetch … now" button (object-tools) that queues a pull of `fetch_entity`.

    The button shows only when a connection keeps that type in step, says when the last run
    was and how it ended, posts with CSRF and needs `integrations.run_sync`.
    """

    fetch_entity: str = ""
    fetch_label: Any = ""

    def get_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name  # type: ignore[attr-defined]
        return [
            path(
                "fetch-now/",
                self.admin_site.admin_view(self.fetch_now_view),  # type: ignore[attr-defined]
                name=f"{info[0]}_{info[1]}_fetch_now",
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def fetch_now_context(self, request: HttpRequest) -> dict[str, Any] | None:
        connection = selectors.connection_for_entity(entity=self.fetch_entity)
        if connection is None:
            return None
        info = self.opts.app_label, self.opts.model_name  # type: ignore[attr-defined]
        run = selectors.last_run(connection=connection, entity=self.fetch_entity)
        master = selectors.entity_created_in_erp(entity=self.fetch_entity)
        return {
            "url": reverse(f"admin:{info[0]}_{info[1]}_fetch_now"),
            "label": self.fetch_label,
            "connection": connection,
            "last_run": run,
            "last_run_ago": timezone.now() - run.started_at if run else None,
            "can_run": _can_run_sync(request),
            "erp_master": master is not None,
        }

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {**(extra_context or {}), "fetch_now": self.fetch_now_context(request)}
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def fetch_now_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not _can_run_sync(request):
            raise PermissionDenied
        info = self.opts.app_label, self.opts.model_name  # type: ignore[attr-defined]
        changelist = reverse(f"admin:{info[0]}_{info[1]}_changelist")
        connection = selectors.connection_for_entity(entity=self.fetch_entity)
        if connection is None:
            self.message_user(  # type: ignore[attr-defined]
                request, _("No ERP connection keeps these in step."), messages.ERROR
            )
            return HttpResponseRedirect(changelist)
        try:
            services.sync_now(
                connection=connection,
                entity=self.fetch_entity,
                trigger=SyncRun.Trigger.MANUAL,
                actor=request.user,
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)  # type: ignore[attr-defined]
        else:
            self.message_user(  # type: ignore[attr-defined]
                request,
                _("Fetching from %(connection)s has been queued; reload to see the result.")
                % {"connection": connection},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(changelist)
