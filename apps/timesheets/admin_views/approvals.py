"""Approvals: the hours waiting for me, per person and week; approve or send back in one click."""

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.core.exceptions import ApplicationError
from apps.core.formatting import format_hours
from apps.timesheets.admin_views.week import number_text, week_param
from apps.timesheets.selectors import approval_weeks
from apps.timesheets.services import BulkResult, timesheet_week_approve, timesheet_week_reject


def may_approve(user: Any) -> bool:
    return user.has_perm("timesheets.approve_user_timeentry") or user.has_perm(
        "timesheets.approve_project_timeentry"
    )


def parse_key(value: str) -> tuple[int, date] | None:
    """ "12:2026-11-30" → (person id, Monday of the week)."""
    try:
        owner, start = value.split(":", 1)
        start_date = date.fromisoformat(start)
    except ValueError:
        return None
    if start_date.weekday() != 0 or not owner.isdigit():
        return None
    return int(owner), start_date


class ApprovalsView:
    template = "admin/timesheets/timeentry/approvals.html"

    def __init__(self, model_admin: ModelAdmin) -> None:
        self.model_admin = model_admin

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not may_approve(request.user):
            raise PermissionDenied
        if request.method == "POST":
            return self.post(request)
        weeks = approval_weeks(user=request.user)
        changelist = reverse("admin:timesheets_timeentry_changelist")
        for week in weeks:
            end = week.start + timedelta(days=7)
            week.list_url = (
                f"{changelist}?user__id__exact={week.user.pk}"
                f"&date__gte={week.start.isoformat()}&date__lt={end.isoformat()}"
            )
            week.week_number = week.start.isocalendar()[1]
            week.week_param = week_param(week.start)
            week.end = week.start + timedelta(days=6)
            week.day_texts = [number_text(h) if h else "" for h in week.day_hours]
        context = {
            **self.model_admin.admin_site.each_context(request),
            "title": _("Approvals"),
            "subtitle": None,
            "opts": self.model_admin.opts,
            "weeks": weeks,
            "day_names": [
                (date(2024, 1, 1) + timedelta(days=i)) for i in range(7)
            ],  # a Monday: the header's day names
        }
        request.current_app = self.model_admin.admin_site.name
        return TemplateResponse(request, self.template, context)

    def post(self, request: HttpRequest) -> HttpResponse:
        back = HttpResponseRedirect(reverse("admin:timesheets_timeentry_approvals"))
        if "reject" in request.POST:
            key = parse_key(request.POST["reject"])
            if key is None:
                return back
            try:
                result = timesheet_week_reject(
                    actor=request.user,
                    owner_id=key[0],
                    week_start=key[1],
                    reason=request.POST.get(f"reason-{request.POST['reject']}", ""),
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
                return back
            self.report(request, result, done_text=_("Sent back to %(who)s: %(hours)s."))
            return back
        keys = (
            [request.POST["approve"]]
            if "approve" in request.POST
            else request.POST.getlist("selected")
        )
        parsed = [k for k in map(parse_key, keys) if k is not None]
        if not parsed:
            messages.warning(request, _("Select the weeks to approve."))
            return back
        for owner_id, start in parsed:
            try:
                result = timesheet_week_approve(
                    actor=request.user, owner_id=owner_id, week_start=start
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
                continue
            self.report(request, result, done_text=_("Approved for %(who)s: %(hours)s."))
        return back

    def report(self, request: HttpRequest, result: BulkResult, *, done_text: str) -> None:
        if result.done:
            first = result.done[0]
            hours = sum(e.hours for e in result.done)
            text = done_text % {"who": first.user, "hours": format_hours(hours)}
            week = _("week %(week)d") % {"week": first.date.isocalendar()[1]}
            messages.success(request, f"{text} ({week})")
        if result.refused:
            reasons = "; ".join(dict.fromkeys(reason for _entry, reason in result.refused))
            messages.error(
                request,
                ngettext(
                    "%(n)d entry was left alone: %(reasons)s",
                    "%(n)d entries were left alone: %(reasons)s",
                    len(result.refused),
                )
                % {"n": len(result.refused), "reasons": reasons},
            )
