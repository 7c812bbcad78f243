"""My week: a person's hours as a grid of rows (project/task/work type) by day, with a timer."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.core import extensions
from apps.core.exceptions import ApplicationError
from apps.core.formatting import format_hours
from apps.timesheets.forms import PostedRow, TimerForm, WeekSheetForm, task_label
from apps.timesheets.models import TimeEntry, Timer
from apps.timesheets.selectors import (
    DAYS_IN_WEEK,
    WeekSheet,
    projects_open_for_time,
    tasks_open_for_time,
    timesheet_week,
    week_rows_to_copy,
    week_start_of,
)
from apps.timesheets.services import (
    WeekErrors,
    timer_discard,
    timer_start,
    timer_stop,
    timesheet_week_save,
    timesheet_week_submit,
)
from apps.worktypes.models import WorkType


def parse_week(value: str | None, *, today: date) -> date:
    """ "2026-W49" → the Monday of that ISO week; anything else → this week."""
    try:
        year, week = (value or "").upper().split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        return week_start_of(today)


def week_param(start: date) -> str:
    year, week, _day = start.isocalendar()
    return f"{year}-W{week:02d}"


def number_text(value: Decimal) -> str:
    """7.50 → "7,5" (nb) / "7.5" (en): what a person types back into a cell."""
    value = value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
    return formats.number_format(value, use_l10n=True)


def cell_text(entries: list[TimeEntry], tz: Any) -> str:
    if len(entries) == 1 and entries[0].started_at is not None:
        entry = entries[0]
        start = timezone.localtime(entry.started_at, tz)
        stop = timezone.localtime(entry.ended_at, tz)
        return f"{start:%H:%M}–{stop:%H:%M}"
    return number_text(sum((e.hours for e in entries), Decimal("0")))


class WeekView:
    """GET shows the week; POST saves it, submits it, or starts/stops the timer."""

    template = "admin/timesheets/timeentry/week.html"

    def __init__(self, model_admin: ModelAdmin) -> None:
        self.model_admin = model_admin

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # One instance serves every request (it is the URL's view): the request's state goes
        # on a fresh one, never on this shared one.
        return type(self)(self.model_admin).handle(request)

    def handle(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.has_perm("timesheets.add_timeentry"):
            raise PermissionDenied
        tz = user.tzinfo
        today = timezone.localdate(timezone=tz)
        start = parse_week(request.GET.get("week") or request.POST.get("week"), today=today)
        self.request, self.user, self.tz, self.today, self.start = request, user, tz, today, start
        self.projects = list(projects_open_for_time(user=user))
        self.tasks = list(tasks_open_for_time(user=user))
        self.work_types = list(WorkType.objects.filter(is_active=True).order_by("name"))
        if request.method == "POST":
            return self.post()
        return self.render(sheet=timesheet_week(user=user, week_start=start))

    # --- writes ---------------------------------------------------------------------------

    def _back(self, **query: str) -> HttpResponseRedirect:
        url = reverse("admin:timesheets_timeentry_week")
        params = "&".join(f"{k}={v}" for k, v in {"week": week_param(self.start), **query}.items())
        return HttpResponseRedirect(f"{url}?{params}")

    def post(self) -> HttpResponse:
        request, user = self.request, self.user
        action = request.POST.get("action", "save")
        if action.startswith("timer_"):
            return self.post_timer(action)
        sheet = timesheet_week(user=user, week_start=self.start)
        form = WeekSheetForm(
            request.POST,
            existing={row.key for row in sheet.rows},
            projects={p.pk: p for p in self.projects},
            tasks={t.pk: t for t in self.tasks},
            work_types={w.pk: w for w in self.work_types},
        )
        if form.is_valid():
            try:
                result = timesheet_week_save(
                    actor=user, user=user, week_start=self.start, rows=form.rows
                )
            except WeekErrors as exc:
                form.add_service_errors(exc.cells)
            except ApplicationError as exc:
                form.errors[(0, None)] = exc.message
            else:
                changed = result.created + result.changed + result.deleted
                if action == "submit":
                    try:
                        submitted = timesheet_week_submit(
                            actor=user, user=user, week_start=self.start
                        )
                    except ApplicationError as exc:
                        messages.error(request, exc.message)
                    else:
                        messages.success(
                            request,
                            ngettext(
                                "The week is submitted for approval (%(n)d entry).",
                                "The week is submitted for approval (%(n)d entries).",
                                submitted,
                            )
                            % {"n": submitted},
                        )
                elif changed:
                    messages.success(request, _("The week is saved."))
                else:
                    messages.info(request, _("Nothing was changed."))
                return self._back()
        messages.error(request, _("Nothing was saved: correct the marked cells."))
        return self.render(sheet=sheet, form=form, status=400)

    def post_timer(self, action: str) -> HttpResponse:
        request, user = self.request, self.user
        try:
            if action == "timer_start":
                form = self.timer_form(request.POST)
                if not form.is_valid():
                    messages.error(request, _("Choose a project to start the timer on."))
                    return self._back()
                timer_start(actor=user, **form.cleaned_data)
                messages.success(request, _("The timer is running."))
            elif action == "timer_stop":
                entry = timer_stop(actor=user)
                if entry is None:
                    messages.info(request, _("Less than a minute: nothing was registered."))
                else:
                    self.start = week_start_of(entry.date)
                    messages.success(
                        request,
                        _("%(hours)s registered on %(project)s.")
                        % {"hours": format_hours(entry.hours), "project": entry.project},
                    )
            else:
                timer_discard(actor=user)
                messages.info(request, _("The timer was discarded."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return self._back()

    # --- the page -------------------------------------------------------------------------

    def timer_form(self, data: Any = None) -> TimerForm:
        return TimerForm(
            data,
            projects=projects_open_for_time(user=self.user),
            tasks=tasks_open_for_time(user=self.user),
            work_types=WorkType.objects.filter(is_active=True).order_by("name"),
        )

    def rows_for_page(self, sheet: WeekSheet, form: WeekSheetForm | None) -> list[dict]:
        rows = []
        if form is not None:  # as typed, with the errors
            by_key = {row.key: row for row in sheet.rows}
            for posted in form.posted:
                key = (posted.project_id, posted.task_id, posted.work_type_id)
                rows.append(self._row(posted=posted, week_row=by_key.get(key), form=form))
            return rows
        for week_row in sheet.rows:
            rows.append(self._row(week_row=week_row))
        if self.request.GET.get("copy"):
            have = {row.key for row in sheet.rows}
            open_projects = {p.pk for p in self.projects}
            open_tasks = {t.pk for t in self.tasks}
            for key in week_rows_to_copy(user=self.user, week_start=self.start):
                project_id, task_id, work_type_id = key
                if key in have or project_id not in open_projects:
                    continue
                if task_id and task_id not in open_tasks:
                    continue
                rows.append(self._row(key=key))
        return rows

    def _row(
        self,
        *,
        week_row: Any = None,
        posted: PostedRow | None = None,
        form: WeekSheetForm | None = None,
        key: tuple | None = None,
    ) -> dict[str, Any]:
        if posted is not None:
            key = (posted.project_id, posted.task_id, posted.work_type_id)
        elif week_row is not None:
            key = week_row.key
        project_id, task_id, work_type_id = key or (None, None, None)
        fixed = week_row is not None
        cells = []
        for day in range(DAYS_IN_WEEK):
            entries = week_row.cells[day] if week_row else []
            reason = label = ""
            if len(entries) > 1:
                reason = _("%(n)d entries: change them under My hours.") % {"n": len(entries)}
                label = _("%(n)d entries") % {"n": len(entries)}
            elif entries and not entries[0].is_editable:
                reason = label = entries[0].get_status_display()
            elif fixed and week_row.project.is_archived:
                reason = _("The project is archived.")
                label = _("Archived")
            text = cell_text(entries, self.tz) if entries else ""
            if posted is not None and posted.texts[day] and not reason:
                text = posted.texts[day]
            elif posted is not None and not reason:
                text = ""
            cells.append(
                {
                    "day": day,
                    "text": text,
                    "readonly": bool(reason),
                    "reason": reason,
                    "label": label,
                    "status": entries[0].status if entries else "",
                    "error": form.errors.get((posted.index, day)) if form and posted else None,
                    "entry_url": (
                        reverse("admin:timesheets_timeentry_change", args=[entries[0].pk])
                        if len(entries) == 1
                        else ""
                    ),
                }
            )
        return {
            "fixed": fixed,
            "project_id": project_id,
            "task_id": task_id,
            "work_type_id": work_type_id,
            "project": week_row.project if week_row else None,
            "task": week_row.task if week_row else None,
            "work_type": week_row.work_type if week_row else None,
            "cells": cells,
            "total": week_row.total if week_row else Decimal("0"),
            "error": form.errors.get((posted.index, None)) if form and posted else None,
            "reasons": sorted(
                {e.rejection_reason for c in week_row.cells for e in c if e.rejection_reason}
            )
            if week_row
            else [],
        }

    def render(
        self, *, sheet: WeekSheet, form: WeekSheetForm | None = None, status: int = 200
    ) -> HttpResponse:
        request = self.request
        rows = self.rows_for_page(sheet, form)
        rows.append(self._row())  # one empty row to add a line; the page can add more
        for i, row in enumerate(rows):
            row["index"] = i
        statuses: dict[str, int] = {}
        for entry in sheet.entries:
            statuses[entry.get_status_display()] = statuses.get(entry.get_status_display(), 0) + 1
        timer = Timer.objects.filter(user=self.user).select_related("project", "task").first()
        context = {
            **self.model_admin.admin_site.each_context(request),
            "title": _("My week"),
            "subtitle": None,
            "opts": self.model_admin.opts,
            "sheet": sheet,
            "rows": rows,
            "days": [
                {"date": day, "is_today": day == self.today, "total": number_text(total)}
                for day, total in zip(sheet.days, sheet.day_totals, strict=True)
            ],
            "week": week_param(self.start),
            "week_number": self.start.isocalendar()[1],
            "week_end": self.start + timedelta(days=6),
            "previous_week": week_param(self.start - timedelta(days=7)),
            "next_week": week_param(self.start + timedelta(days=7)),
            "this_week": week_param(week_start_of(self.today)),
            "week_total": number_text(sheet.total),
            "next_week_start": self.start + timedelta(days=7),
            "statuses": statuses,
            "has_drafts": any(e.is_editable for e in sheet.entries),
            "projects": self.projects,
            "tasks": [(t, task_label(t)) for t in self.tasks],
            "work_types": self.work_types,
            "timer": timer,
            "timer_form": None if timer else self.timer_form(),
            "timer_started_local": timezone.localtime(timer.started_at, self.tz) if timer else None,
            "errors": form.errors if form else {},
            "changelist_url": reverse("admin:timesheets_timeentry_changelist"),
            "user_tz": str(self.tz),
            # Other apps' parts below the grid (e.g. the calendar's suggestions).
            "week_extensions": extensions.render(
                "timesheets.week",
                request=request,
                user=self.user,
                week_start=self.start,
                tz=self.tz,
            ),
        }
        request.current_app = self.model_admin.admin_site.name
        return TemplateResponse(request, self.template, context, status=status)
