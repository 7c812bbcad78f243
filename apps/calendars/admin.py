"""Calendars in the admin: each person's My calendar (their own only), and for administrators
and support a list of every person's calendar health — never any calendar's contents."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import path
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from apps.calendars.admin_views.my_calendar import MyCalendarView, confirm_view, dismiss_view
from apps.calendars.models import CalendarAccount

HEALTH_PERMISSION = "calendars.view_calendar_health"


@admin.register(CalendarAccount)
class CalendarAccountAdmin(ModelAdmin):
    """Read-only: who has connected a calendar and whether it works."""

    list_display = [
        "user",
        "account_email",
        "health_shown",
        "last_synced_at",
        "subscription_expires_at",
        "write_hours",
    ]
    list_filter = ["health", "write_hours"]
    search_fields = ["user__first_name", "user__last_name", "user__email", "account_email"]
    list_select_related = ["user"]
    list_display_links = None
    ordering = ["user__first_name", "user__last_name", "id"]

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("mine/", wrap(MyCalendarView(self)), name="calendars_my_calendar"),
            path("mine/add-as-hours/", wrap(confirm_view), name="calendars_suggestion_confirm"),
            path("mine/dismiss/", wrap(dismiss_view), name="calendars_suggestion_dismiss"),
            *super().get_urls(),
        ]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.list_display[:2]) + ["health", "problem", "last_synced_at"]

    @admin.display(description=_("health"), ordering="health")
    def health_shown(self, obj: CalendarAccount) -> str:
        colour = "#067647" if obj.health == CalendarAccount.Health.OK else "#b42318"
        since = ""
        if obj.problem_since:
            moment = timezone.localtime(obj.problem_since)
            since = f" ({formats.date_format(moment, 'SHORT_DATETIME_FORMAT')})"
        return format_html(
            '<span style="color:{}">{}</span>{}', colour, obj.get_health_display(), since
        )

    # Health only: the list is for those who look after the office's calendars.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(HEALTH_PERMISSION)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(HEALTH_PERMISSION)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
