"""The "Microsoft 365 sandbox" admin section: play a person's Outlook (add, move, delete events
through the same write path as Graph, so deltas and notifications follow), send lifecycle
events, break sync states and tokens, turn the knobs, read the request log."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin

from . import ids, notifications
from .delta import sync_state_invalidate
from .errors import GraphError
from .events import (
    SENSITIVITY,
    SHOW_AS,
    event_create,
    event_delete,
    event_move_folder,
    event_update,
    instances,
    overlapping,
)
from .models import App, Event, Knobs, Mailbox, Notification, RequestLog, Subscription, Token
from .runtime import knobs_get
from .tokens import access_tokens_expire, tokens_revoke


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Knobs)
class KnobsAdmin(ModelAdmin):
    fieldsets = [
        (
            _("Faults and limits"),
            {
                "fields": [
                    "latency_ms",
                    "fault_rate",
                    "fault_429",
                    "fault_503",
                    "retry_after_seconds",
                    "fault_seed",
                    "concurrency_limit",
                ]
            },
        ),
        (_("Sign-in"), {"fields": ["access_token_seconds", "code_seconds"]}),
        (
            _("Delta"),
            {
                "fields": [
                    "default_page_size",
                    "max_page_size",
                    "duplicate_rate",
                    "replay_rate",
                    "empty_page_rate",
                    "page_seed",
                ]
            },
        ),
        (
            _("Change notifications"),
            {
                "fields": [
                    "subscription_max_minutes",
                    "validation_timeout_seconds",
                    "notification_timeout_seconds",
                    "notification_delay_seconds",
                    "notification_retry_seconds",
                    "notification_max_attempts",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        knobs_get()
        return super().changelist_view(request, extra_context)


@admin.register(App)
class AppAdmin(ModelAdmin):
    list_display = ["client_id", "name", "is_public"]
    exclude = ["client_secret"]  # shown nowhere: the secret stays out of screenshots

    @admin.display(description=_("public client"), boolean=True)
    def is_public(self, obj: App) -> bool:
        return not obj.client_secret


class EventForm(forms.Form):
    """An event as a person types it into Outlook (times in the mailbox's zone)."""

    subject = forms.CharField(label=_("Subject"), max_length=255)
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(
        label=_("Start"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label=_("End"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    all_day = forms.BooleanField(label=_("All day"), required=False)
    show_as = forms.ChoiceField(
        label=_("Show as"), choices=[(s, s) for s in SHOW_AS], initial="busy"
    )
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"), choices=[(s, s) for s in SENSITIVITY], initial="normal"
    )
    categories = forms.CharField(
        label=_("Categories"), required=False, help_text=_("Comma-separated.")
    )
    body = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if not data.get("all_day") and (not data.get("start") or not data.get("end")):
            raise forms.ValidationError(_("Give a start and an end, or tick All day."))
        return data

    def graph(self, zone: str) -> dict:
        data = self.cleaned_data
        day = data["day"]
        if data["all_day"]:
            start = {"dateTime": f"{day}T00:00:00", "timeZone": zone}
            end = {"dateTime": f"{day + dt.timedelta(days=1)}T00:00:00", "timeZone": zone}
        else:
            start = {"dateTime": f"{day}T{data['start']:%H:%M:%S}", "timeZone": zone}
            end = {"dateTime": f"{day}T{data['end']:%H:%M:%S}", "timeZone": zone}
        return {
            "subject": data["subject"],
            "body": {"contentType": "text", "content": data["body"]},
            "start": start,
            "end": end,
            "isAllDay": data["all_day"],
            "showAs": data["show_as"],
            "sensitivity": data["sensitivity"],
            "categories": [c.strip() for c in data["categories"].split(",") if c.strip()],
        }


class MoveForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=_("Start"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("End"), widget=forms.TimeInput(attrs={"type": "time"}))


@admin.register(Mailbox)
class MailboxAdmin(ModelAdmin):
    list_display = [
        "user_principal_name",
        "display_name",
        "time_zone",
        "sync_generation",
        "outlook_link",
    ]
    search_fields = ["user_principal_name", "display_name"]
    exclude = ["password"]
    readonly_fields = ["object_id", "next_seq"]
    actions = [
        "invalidate_sync_state_gone",
        "invalidate_sync_state_not_found",
        "expire_access_tokens",
        "revoke_tokens",
    ]

    @admin.display(description=_("Outlook"))
    def outlook_link(self, obj: Mailbox) -> str:
        from django.utils.html import format_html

        url = reverse("admin:sandbox_graph_mailbox_outlook", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Play Outlook"))

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/outlook/", view(self.outlook_view), name="sandbox_graph_mailbox_outlook"
            ),
            *super().get_urls(),
        ]

    @admin.action(
        description=_("Invalidate the sync state (next delta link: 410 Gone)"),
        permissions=["change"],
    )
    def invalidate_sync_state_gone(self, request, queryset):
        for mailbox in queryset:
            sync_state_invalidate(mailbox=mailbox, reset=Mailbox.Reset.GONE)
            self.log_change(request, mailbox, "sync state invalidated (410)")
        self.message_user(request, _("Delta links of the chosen mailboxes now answer 410 Gone."))

    @admin.action(
        description=_("Invalidate the sync state (next delta link: syncStateNotFound)"),
        permissions=["change"],
    )
    def invalidate_sync_state_not_found(self, request, queryset):
        for mailbox in queryset:
            sync_state_invalidate(mailbox=mailbox, reset=Mailbox.Reset.NOT_FOUND)
            self.log_change(request, mailbox, "sync state invalidated (syncStateNotFound)")
        self.message_user(
            request, _("Delta links of the chosen mailboxes now answer syncStateNotFound.")
        )

    @admin.action(
        description=_("Expire access tokens (next Graph call: 401)"), permissions=["change"]
    )
    def expire_access_tokens(self, request, queryset):
        count = sum(access_tokens_expire(mailbox=m) for m in queryset)
        self.message_user(
            request,
            ngettext("%(n)d access token expired.", "%(n)d access tokens expired.", count)
            % {"n": count},
        )

    @admin.action(
        description=_("Revoke all tokens (refresh: invalid_grant)"), permissions=["change"]
    )
    def revoke_tokens(self, request, queryset):
        count = sum(tokens_revoke(mailbox=m) for m in queryset)
        self.message_user(
            request, ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", count) % {"n": count}
        )

    # --- play Outlook -------------------------------------------------------------------

    def outlook_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """A fortnight of the mailbox's calendar with add / move / delete, the mailbox's
        notifications and requests."""
        if not request.user.has_perm("sandbox_graph.change_event"):
            raise PermissionDenied
        mailbox = get_object_or_404(Mailbox, pk=pk)
        zone = ZoneInfo(mailbox.time_zone)
        try:
            first = dt.date.fromisoformat(request.GET.get("week", ""))
        except ValueError:
            first = timezone.now().astimezone(zone).date()
        first -= dt.timedelta(days=first.weekday())
        add_form = EventForm(initial={"day": first})
        if request.method == "POST":
            done = self._outlook_post(request, mailbox)
            if isinstance(done, EventForm):
                add_form = done
            else:
                return done
        lo = dt.datetime.combine(first, dt.time(), zone)
        hi = lo + dt.timedelta(days=14)
        found = []
        for event in overlapping(mailbox, lo, hi).prefetch_related("exceptions"):
            found.extend(instances(event, lo, hi))
        found.sort(key=lambda i: (i.start, i.key))
        days: dict[dt.date, list] = {first + dt.timedelta(days=n): [] for n in range(14)}
        highlighted = request.GET.get("item", "")
        for inst in found:
            local_start = inst.start.astimezone(zone)
            day = local_start.date()
            days.setdefault(day, []).append(
                {
                    "inst": inst,
                    "id": ids.immutable_id(mailbox.pk, inst.key),
                    "start": local_start,
                    "end": inst.end.astimezone(zone),
                    "move": MoveForm(
                        initial={
                            "day": day,
                            "start": local_start.time(),
                            "end": inst.end.astimezone(zone).time(),
                        },
                        prefix=f"m{inst.key.replace('.', '_')}",
                    ),
                    "highlighted": highlighted == str((inst.master or inst.row).pk),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Outlook of %(name)s") % {"name": mailbox.display_name},
            "mailbox": mailbox,
            "days": sorted(days.items()),
            "add_form": add_form,
            "previous": first - dt.timedelta(days=7),
            "next": first + dt.timedelta(days=7),
            "notifications": Notification.objects.filter(mailbox=mailbox)[:15],
            "requests": RequestLog.objects.filter(mailbox=mailbox.user_principal_name)[:15],
            "subscriptions": Subscription.objects.filter(mailbox=mailbox, removed_at__isnull=True),
        }
        return TemplateResponse(request, "sandbox/graph/outlook.html", context)

    def _outlook_post(self, request: HttpRequest, mailbox: Mailbox) -> HttpResponse | EventForm:
        action = request.POST.get("action", "")
        graph_id = request.POST.get("event", "")
        back = HttpResponseRedirect(request.get_full_path())
        try:
            if action == "add":
                form = EventForm(request.POST)
                if not form.is_valid():
                    return form
                written = event_create(
                    mailbox=mailbox, data=form.graph(mailbox.time_zone), trusted=True
                )
                self.log_change(request, mailbox, f"event added: {written.event.subject}")
                self.message_user(request, _("Event added."))
            elif action == "move":
                parsed = ids.parse(graph_id)
                prefix = f"m{parsed.key.replace('.', '_')}" if parsed else "m"
                form = MoveForm(request.POST, prefix=prefix)
                if not form.is_valid():
                    self.message_user(
                        request, _("Give a date, a start and an end."), messages.ERROR
                    )
                    return back
                data = form.cleaned_data
                zone = mailbox.time_zone
                event_update(
                    mailbox=mailbox,
                    graph_id=graph_id,
                    data={
                        "start": {
                            "dateTime": f"{data['day']}T{data['start']:%H:%M:%S}",
                            "timeZone": zone,
                        },
                        "end": {
                            "dateTime": f"{data['day']}T{data['end']:%H:%M:%S}",
                            "timeZone": zone,
                        },
                    },
                    trusted=True,
                )
                self.log_change(request, mailbox, "event moved")
                self.message_user(request, _("Event moved."))
            elif action == "delete":
                event_delete(mailbox=mailbox, graph_id=graph_id)
                self.log_change(request, mailbox, "event deleted")
                self.message_user(request, _("Event deleted."))
            elif action == "folder":
                parsed = ids.parse(graph_id)
                event = get_object_or_404(
                    Event, pk=parsed.event_pk if parsed else 0, mailbox=mailbox
                )
                event_move_folder(event=event)
                self.log_change(request, mailbox, "event moved to another folder and back")
                self.message_user(
                    request, _("Event moved to another folder and back: its default id changed.")
                )
        except GraphError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        return back


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["subject", "mailbox", "type", "start", "end", "show_as", "deleted_at"]
    list_filter = ["type", "show_as", "sensitivity", "is_cancelled"]
    list_select_related = ["mailbox"]
    search_fields = ["subject", "mailbox__user_principal_name"]
    ordering = ["mailbox", "start"]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = [
        "subscription_id",
        "mailbox",
        "resource",
        "change_type",
        "expiration",
        "removed_at",
    ]
    list_select_related = ["mailbox"]
    exclude = ["client_state"]
    actions = ["send_reauthorization_required", "send_subscription_removed", "send_missed"]

    def _send(self, request, queryset, event: str) -> None:
        sent = 0
        for sub in queryset:
            if notifications.lifecycle_send(subscription=sub, event=event) is not None:
                sent += 1
        self.message_user(
            request,
            ngettext("%(n)d lifecycle event sent.", "%(n)d lifecycle events sent.", sent)
            % {"n": sent},
        )

    @admin.action(
        description=_("Send the lifecycle event reauthorizationRequired"), permissions=["view"]
    )
    def send_reauthorization_required(self, request, queryset):
        self._send(request, queryset, "reauthorizationRequired")

    @admin.action(
        description=_("Send the lifecycle event subscriptionRemoved (ends it)"),
        permissions=["view"],
    )
    def send_subscription_removed(self, request, queryset):
        self._send(request, queryset, "subscriptionRemoved")

    @admin.action(description=_("Send the lifecycle event missed"), permissions=["view"])
    def send_missed(self, request, queryset):
        self._send(request, queryset, "missed")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "label",
        "mailbox",
        "status",
        "attempts",
        "response_code",
        "error",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["mailbox"]
    actions = ["deliver_again"]

    @admin.action(description=_("Deliver again"), permissions=["view"])
    def deliver_again(self, request, queryset):
        for note in queryset:
            notifications.redeliver(notification=note)
        self.message_user(request, _("Sent again."))


@admin.register(Token)
class TokenAdmin(ReadOnlyAdmin):
    list_display = [
        "kind",
        "mailbox",
        "app",
        "created_at",
        "expires_at",
        "replaced_at",
        "revoked_at",
    ]
    list_filter = ["kind"]
    list_select_related = ["mailbox", "app"]
    exclude = ["token_hash"]


@admin.register(RequestLog)
class RequestLogAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "surface",
        "method",
        "short_path",
        "mailbox",
        "http_status",
        "error_code",
        "duration_ms",
    ]
    list_filter = ["surface", "http_status", "method"]
    search_fields = ["path", "mailbox", "error_code"]

    @admin.display(description=_("path"))
    def short_path(self, obj: RequestLog) -> str:
        return obj.path[:100]
