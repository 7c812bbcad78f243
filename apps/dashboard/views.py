"""The admin home page: the person's week, what waits for them, and the sync's health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.dashboard import selectors
from apps.dashboard.navigation import sees_others_hours, url_or_none
from apps.timesheets.models import TimeEntry


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """UNFOLD["DASHBOARD_CALLBACK"]: adds `dashboard` for templates/admin/index.html."""
    user = request.user
    context["title"] = _("Home")
    if not user.has_perm("timesheets.view_timeentry"):
        context["dashboard"] = {}
        return context
    week = selectors.my_week(user=user)
    hours_list = url_or_none("admin:timesheets_timeentry_changelist")
    mine = {"user__id__exact": user.pk} if sees_others_hours(user) else {}
    this_week = {"date__gte": week.start, "date__lt": week.end + timedelta(days=1)}
    # Until the approvals screen exists: the hour list at the step this person approves.
    step = (
        TimeEntry.Status.SUBMITTED
        if user.has_perm("timesheets.approve_user_timeentry")
        else TimeEntry.Status.USER_APPROVED
    )
    context["dashboard"] = {
        "week": week,
        # The week timesheet when it exists, else the hour list of this week.
        "week_url": url_or_none("admin:timesheets_timeentry_week")
        or f"{hours_list}?{urlencode({**mine, **this_week})}",
        "add_url": url_or_none("admin:timesheets_timeentry_add")
        if user.has_perm("timesheets.add_timeentry")
        else None,
        "waiting": selectors.approvals_waiting(user=user),
        "approvals_url": url_or_none("admin:timesheets_timeentry_approvals")
        or f"{hours_list}?{urlencode({'status__exact': step})}",
        "unmapped": selectors.unmapped_people(user=user),
        "mapping_url": f"{url_or_none('admin:integrations_connection_settings')}#user-mapping",
    }
    return context
