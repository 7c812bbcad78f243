"""Hours: employees keep their own, approvers move them through approval in bulk."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django import forms
from django.apps import apps as django_apps
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from import_export import fields, resources, widgets
from unfold.admin import ModelAdmin, TabularInline

from apps.core import extensions
from apps.core.admin import ServiceModelAdmin, ServiceModelForm, report_bulk
from apps.core.exports import spreadsheet_response
from apps.core.formatting import format_hours
from apps.timesheets.admin_views.approvals import ApprovalsView
from apps.timesheets.admin_views.pickers import PickerSelect, picker_view
from apps.timesheets.admin_views.week import WeekView
from apps.timesheets.forms import task_label
from apps.timesheets.models import TimeEntry, TimeEntryTransition
from apps.timesheets.selectors import time_entries_visible_to
from apps.timesheets.services import (
    ENTRY_FIELDS,
    time_entries_transition,
    time_entry_create,
    time_entry_delete,
    time_entry_editable_by,
    time_entry_read_only_reason,
    time_entry_update,
    user_manages_all_hours,
)

Action = TimeEntryTransition.Action


def _with_erp_transfer(qs: QuerySet) -> QuerySet:
    """Adds the ERP hour id and flag of each entry, in the same query (no query per row)."""
    if not django_apps.is_installed("apps.integrations"):
        return qs
    binding = django_apps.get_model("integrations", "Binding")
    hour = binding.objects.filter(
        entity="hour", local_id=OuterRef("pk"), connection__is_active=True
    )
    # The newest transfer of the entry: failed, waiting for its project, retried, queued.
    outbox = (
        django_apps.get_model("integrations", "OutboxItem")
        .objects.filter(
            entity="hour", local_id=OuterRef("pk"), operation="upsert", connection__is_active=True
        )
        .order_by("-id")
    )
    return qs.annotate(
        erp_hour_id=Subquery(hour.values("external_id")[:1]),
        erp_flag=Subquery(hour.values("flagged")[:1]),
        erp_outbox_status=Subquery(outbox.values("status")[:1]),
        erp_outbox_error=Subquery(outbox.values("last_error")[:1]),
    )


class TotalsPaginator(Paginator):
    """Counts the listed hours and sums them in one pass, exactly up to `EXACT_UP_TO` entries.

    Past that (every hour of a large office, unfiltered) an exact count and total would scan
    the whole table on every page view (1M entries: 100–200 ms on PostgreSQL, the whole
    page's budget); the list then says "more than 100,000", its pages have no last one, and
    the total waits for a filter (date, person, project) that makes it mean something.
    """

    EXACT_UP_TO = 100_000
    totals: dict[str, Any] | None = None
    capped = False

    @cached_property
    def count(self) -> int:
        if getattr(self.object_list, "model", None) is not TimeEntry:  # e.g. the history page
            return super().count
        first = self.object_list.order_by().values("pk", "hours", "billable_hours")
        first = first[: self.EXACT_UP_TO + 1]
        totals = first.aggregate(n=Count("pk"), hours=Sum("hours"), billable=Sum("billable_hours"))
        if totals["n"] > self.EXACT_UP_TO:
            self.capped = True
        else:
            self.totals = totals
        return totals["n"]

    def get_elided_page_range(
        self, number: int | str = 1, *, on_each_side: int = 3, on_ends: int = 2
    ) -> Iterator[int | str]:
        if not self.capped:
            yield from super().get_elided_page_range(
                number, on_each_side=on_each_side, on_ends=on_ends
            )
            return
        # No last page to link to: the first pages, this one's neighbours, then "…".
        number = self.validate_number(number)
        if number > on_each_side + on_ends + 1:
            yield from range(1, on_ends + 1)
            yield self.ELLIPSIS
            yield from range(number - on_each_side, number + 1)
        else:
            yield from range(1, number + 1)
        yield from range(number + 1, min(number + on_each_side, self.num_pages) + 1)
        yield self.ELLIPSIS


class DateFilter(admin.DateFieldListFilter):
    """Today, past 7 days, this month, this year (Django's) plus last week and last month.

    Instead of `date_hierarchy`, which lists the years by scanning every entry's date: these
    links are computed from today, so the filter costs no query. The URL is the same
    `date__gte`/`date__lt` pair, so a filtered list stays bookmarkable.
    """

    def __init__(self, field: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(field, request, *args, **kwargs)
        today = timezone.localdate()
        week_start = today - timedelta(days=today.weekday())
        month_start = today.replace(day=1)
        last_month_start = (month_start - timedelta(days=1)).replace(day=1)
        extra = (
            (_("Last week"), (week_start - timedelta(days=7), week_start)),
            (_("Last month"), (last_month_start, month_start)),
        )
        links = list(self.links)
        for title, (start, end) in extra:
            links.insert(
                -1 if self.field.null else len(links),
                (title, {self.lookup_kwarg_since: str(start), self.lookup_kwarg_until: str(end)}),
            )
        self.links = tuple(links)


class TypedFilter(admin.SimpleListFilter):
    """A filter typed in the sidebar instead of picked from a list of every project or customer.

    A number matches exactly, otherwise the name is matched in part. With thousands of
    projects and customers a list of links would be loaded and rendered on every page; this
    costs nothing until used, and the value stays in the URL (`?project=1234`).
    """

    template = "admin/timesheets/typed_filter.html"
    number_field = ""
    name_field = ""
    number_is_text = False

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return []

    def has_output(self) -> bool:
        return True

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = (self.value() or "").strip()
        if not value:
            return queryset
        match = Q(**{f"{self.name_field}__icontains": value})
        if self.number_is_text:
            match |= Q(**{self.number_field: value})
        elif value.isdigit() and len(value) < 10:
            match |= Q(**{self.number_field: int(value)})
        return queryset.filter(match)

    def choices(self, changelist: Any) -> Any:
        # One "choice": what the template needs to keep the other filters while this one changes.
        keep = [
            (key, value)
            for key, values in changelist.params.items()
            if key not in (self.parameter_name, "p")
            for value in (values if isinstance(values, list) else [values])
        ]
        yield {
            "selected": bool(self.value()),
            "value": self.value() or "",
            "keep": keep,
            "clear_query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("All"),
        }


class ProjectFilter(TypedFilter):
    title = _("project")
    parameter_name = "project"
    number_field = "project__number"
    name_field = "project__name"


class CustomerFilter(TypedFilter):
    title = _("customer")
    parameter_name = "customer"
    number_field = "project__customer__number"
    name_field = "project__customer__name"
    number_is_text = True


class TimeEntryResource(resources.ModelResource):
    """Hours as a spreadsheet: one row per entry, numbers as numbers so they can be summed."""

    date = fields.Field(attribute="date", column_name="date", widget=widgets.DateWidget("%Y-%m-%d"))
    employee = fields.Field(attribute="user__email", column_name="employee")
    customer = fields.Field(attribute="project__customer__name", column_name="customer")
    project = fields.Field(attribute="project__name", column_name="project")
    task = fields.Field(attribute="task__name", column_name="task")
    work_type = fields.Field(attribute="work_type__name", column_name="work_type")
    hours = fields.Field(attribute="hours", column_name="hours")
    billable_hours = fields.Field(attribute="billable_hours", column_name="billable_hours")
    status = fields.Field(column_name="status")
    description = fields.Field(attribute="description", column_name="description")

    class Meta:
        model = TimeEntry
        fields = [
            "date",
            "employee",
            "customer",
            "project",
            "task",
            "work_type",
            "hours",
            "billable_hours",
            "status",
            "description",
        ]
        export_order = fields

    def dehydrate_status(self, entry: TimeEntry) -> str:
        return str(entry.get_status_display())

    def dehydrate_hours(self, entry: TimeEntry) -> Any:
        return entry.hours

    def dehydrate_billable_hours(self, entry: TimeEntry) -> Any:
        return entry.billable_hours


class TimeEntryForm(ServiceModelForm):
    class Meta:
        model = TimeEntry
        fields = ["user", *ENTRY_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The service derives these when they are left empty.
        optional = {
            "date": _("Empty: the day the work started, or today."),
            "hours": _("Or give a start and stop time below."),
            "billable_hours": _("Empty: all hours if the work type is invoiceable, else none."),
            "work_type": _("Empty: the project's default work type."),
        }
        for name, help_text in optional.items():
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = help_text

    def save_via_service(self) -> TimeEntry:
        data = {f: self.cleaned_data[f] for f in ENTRY_FIELDS if f in self.cleaned_data}
        for name in ("started_at", "ended_at"):
            if data.get(name) is not None:
                # What was typed is wall-clock time; the service places it in the owner's zone.
                data[name] = timezone.make_naive(data[name])
        actor = self.request.user
        if self.instance.pk is None:
            owner = self.cleaned_data.get("user") or actor
            return time_entry_create(actor=actor, user=owner, **data)
        changed = {f: data[f] for f in self.changed_data if f in data}
        return time_entry_update(actor=actor, entry=self.instance, data=changed)


class TransitionInline(TabularInline):
    """The approval trail of one entry: read-only."""

    model = TimeEntryTransition
    fields = ["at", "action", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("The person whose hours these are sees the reason."),
    )


@admin.register(TimeEntry)
class TimeEntryAdmin(ServiceModelAdmin):
    """Time entries. Everyone sees what `time_entries_visible_to` allows, nothing more."""

    form = TimeEntryForm
    paginator = TotalsPaginator
    # No date_hierarchy: listing its years scans every entry (see DateFilter); no full count
    # beside the filtered one ("12 of 1,000,000"): that is a second scan of all visible hours.
    show_full_result_count = False
    list_per_page = 50
    list_display = [
        "day",
        "user",
        "project",
        "customer",
        "task",
        "work_type",
        "hours_shown",
        "billable_hours_shown",
        "status",
        "erp_transfer",
    ]
    list_display_links = ["day", "user"]
    list_select_related = ["user", "project", "project__customer", "task", "work_type"]

    def get_list_display(self, request: HttpRequest) -> list[str]:
        """Someone who sees only their own hours gets no person column (always their name)."""
        display = list(super().get_list_display(request))
        user = request.user
        if not (
            user.is_superuser
            or user.has_perm("timesheets.view_all_timeentry")
            or user.has_perm("timesheets.approve_project_timeentry")
        ):
            display.remove("user")
        return display

    def get_list_display_links(self, request: HttpRequest, list_display: Any) -> list[str]:
        return [name for name in ("day", "user") if name in list_display]

    search_fields = [
        "description",
        "user__email",
        "user__first_name",
        "user__last_name",
        "project__name",
        "task__name",
    ]
    # Project and task use the admin's own pickers (only what the person may log on).
    autocomplete_fields = ["user", "work_type"]
    inlines = [TransitionInline]
    actions = [
        "submit",
        "approve_user",
        "approve_project",
        "lock",
        "reject",
        "reopen",
        "export_csv",
        "export_xlsx",
    ]

    # --- the week timesheet, approvals and the pickers -------------------------------------

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("week/", wrap(WeekView(self)), name="timesheets_timeentry_week"),
            path("approvals/", wrap(ApprovalsView(self)), name="timesheets_timeentry_approvals"),
            path("picker/", wrap(picker_view), name="timesheets_timeentry_picker"),
            *super().get_urls(),
        ]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # The pickers offer only what the person may log on (picker_view); what is posted is
        # checked by the service (archived, membership, assignee), so a
        # refusal says why instead of "not one of the available choices".
        if db_field.name in ("project", "task"):
            kwargs["widget"] = PickerSelect(db_field, self.admin_site)
            kwargs["queryset"] = db_field.related_model.objects.select_related(
                *(["project"] if db_field.name == "task" else [])
            )
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "task" and field is not None:
            field.label_from_instance = task_label
        return field

    # --- what each person sees ------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = _with_erp_transfer(time_entries_visible_to(user=request.user))
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_list_filter(self, request: HttpRequest) -> list:
        filters = [("date", DateFilter), "status", ProjectFilter, "work_type", CustomerFilter]
        if user_manages_all_hours(request.user) or request.user.has_perm(
            "timesheets.approve_project_timeentry"
        ):
            filters.insert(1, "user")
        return filters

    def get_fieldsets(self, request: HttpRequest, obj: TimeEntry | None = None) -> list:
        who = ["user"] if obj is not None or user_manages_all_hours(request.user) else []
        fieldsets = [
            (None, {"fields": [*who, "date", "project", "task", "work_type"]}),
            (
                _("Time"),
                {
                    "fields": ["hours", ("started_at", "ended_at"), "billable_hours"],
                    "description": _("Give the hours, or a start and stop time."),
                },
            ),
            (_("Description"), {"fields": ["description", "internal_note"]}),
        ]
        if obj is not None:
            fieldsets.append(
                (
                    _("Approval"),
                    {"fields": ["status", "rejection_reason", "updated_at", "erp_transfer"]},
                )
            )
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: TimeEntry | None = None) -> list:
        if obj is None:
            return []
        # The owner of registered hours never changes; the status moves only by the actions.
        return ["user", "status", "rejection_reason", "updated_at", "erp_transfer"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("user", request.user.pk)
        return initial

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list:
        return super().get_inline_instances(request, obj) if obj is not None else []

    def _may_edit(self, request: HttpRequest, obj: TimeEntry) -> bool:
        # The service decides; this only keeps the save button off where it would refuse.
        return time_entry_editable_by(entry=obj, user=request.user)

    def has_change_permission(self, request: HttpRequest, obj: TimeEntry | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self._may_edit(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: TimeEntry | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self._may_edit(request, obj))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is None:
            return super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET":
            reason = time_entry_read_only_reason(entry=obj)
            if reason:
                self.message_user(request, reason, messages.WARNING)
            elif not self._may_edit(request, obj):
                self.message_user(
                    request,
                    _("These are %(user)s's hours: only they or an administrator can change them.")
                    % {"user": obj.user},
                    messages.INFO,
                )
            elif obj.rejection_reason:
                self.message_user(
                    request,
                    _("Sent back: %(reason)s") % {"reason": obj.rejection_reason},
                    messages.WARNING,
                )
        # Other apps' parts of the page (e.g. "Open in Outlook" for an entry with an event).
        extra_context = {
            **(extra_context or {}),
            "entry_extensions": extensions.render("timesheets.entry", request=request, entry=obj),
        }
        # Start and stop are shown and typed in the owner's time zone, like their day.
        with timezone.override(obj.user.tzinfo):
            response = super().change_view(request, object_id, form_url, extra_context)
            if isinstance(response, TemplateResponse):
                response.render()  # the widgets format the times while the zone is active
        return response

    def delete_service(self, request: HttpRequest, obj: TimeEntry) -> None:
        time_entry_delete(actor=request.user, entry=obj)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        # A draft's approval trail (after a rejection) goes with it; nobody deletes the trail
        # on its own, so not having that permission must not block deleting the draft.
        to_delete, model_count, _perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        return to_delete, model_count, set(), protected

    @admin.display(description=_("date"), ordering="date")
    def day(self, obj: TimeEntry) -> str:
        """The short date (27.11.2026): the long one takes three lines at 1366 px."""
        return date_format(obj.date, "SHORT_DATE_FORMAT")

    @admin.display(description=_("customer"), ordering="project__customer__name")
    def customer(self, obj: TimeEntry) -> Any:
        return obj.project.customer  # None shows as the admin's empty value

    @admin.display(description=_("hours"), ordering="hours")
    def hours_shown(self, obj: TimeEntry) -> str:
        return format_hours(obj.hours)

    @admin.display(description=_("billable hours"), ordering="billable_hours")
    def billable_hours_shown(self, obj: TimeEntry) -> str:
        return format_hours(obj.billable_hours)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        # The total of what the filters show, not only this page (none past the exact count).
        paginator = getattr(changelist, "paginator", None)
        totals = getattr(paginator, "totals", None)
        if totals is not None:
            response.context_data["hours_total"] = format_hours(totals["hours"] or 0)
            response.context_data["billable_total"] = format_hours(totals["billable"] or 0)
        return response

    # --- export: what the person may see (the same queryset as the list), formulas defused --

    def _export(self, queryset: QuerySet, fmt: str) -> HttpResponse:
        queryset = queryset.select_related(
            "user", "project", "project__customer", "task", "work_type"
        ).order_by("date", "user__email", "id")
        dataset = TimeEntryResource().export(queryset)
        return spreadsheet_response(dataset, fmt=fmt, filename="tidsbro-hours")

    @admin.action(description=_("Export selected hours (CSV)"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._export(queryset, "csv")

    @admin.action(description=_("Export selected hours (Excel)"), permissions=["view"])
    def export_xlsx(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._export(queryset, "xlsx")

    @admin.display(description=_("ERP"))
    def erp_transfer(self, obj: TimeEntry) -> Any:
        # The integration says what the hour's transfer is (failed, waiting, flagged …):
        # it attaches to this screen through its app config, never imported from here.
        if django_apps.is_installed("apps.integrations"):
            cell = django_apps.get_app_config("integrations").hour_transfer_cell(obj)
            if cell:
                return cell
        return "–"

    # --- approval: two-pass bulk actions ----------------------------------------------------

    def has_approve_user_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("timesheets.approve_user_timeentry")

    def has_approve_project_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("timesheets.approve_project_timeentry")

    def has_lock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("timesheets.lock_timeentry")

    def has_reject_permission(self, request: HttpRequest) -> bool:
        return self.has_approve_user_permission(request) or self.has_approve_project_permission(
            request
        )

    def has_reopen_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("timesheets.reopen_timeentry")

    def _transition(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        *,
        action: str,
        title: Any,
        question: Any,
        done_text: Any,
        needs_reason: bool = False,
    ) -> HttpResponse | None:
        """First pass: a confirmation page. Second pass (`post`): moves what the service allows."""
        confirmed = bool(request.POST.get("post"))
        form = ReasonForm(request.POST if confirmed else None) if needs_reason else None
        if confirmed and (form is None or form.is_valid()):
            reason = form.cleaned_data["reason"] if form is not None else ""
            result = time_entries_transition(
                actor=request.user, entries=queryset, action=action, reason=reason
            )
            # Each step is in the entry's History already: the service records it (core.audit).
            report_bulk(
                self,
                request,
                done=len(result.done),
                refused=result.refused,
                done_text=done_text,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "question": question,
            "subtitle": None,
            "queryset": queryset,
            "opts": self.opts,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "form": form,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/timesheets/timeentry/transition_confirmation.html", context
        )

    @admin.action(description=_("Submit selected hours for approval"), permissions=["change"])
    def submit(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._transition(
            request,
            queryset,
            action=Action.SUBMIT,
            title=_("Submit hours"),
            question=_("Submit these hours for approval?"),
            done_text=ngettext_lazy("%(done)d hour submitted", "%(done)d hours submitted", "done"),
        )

    @admin.action(description=_("Approve selected hours (user)"), permissions=["approve_user"])
    def approve_user(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._transition(
            request,
            queryset,
            action=Action.APPROVE_USER,
            title=_("Approve hours (user)"),
            question=_("Approve these hours per user?"),
            done_text=ngettext_lazy("%(done)d hour approved", "%(done)d hours approved", "done"),
        )

    @admin.action(
        description=_("Approve selected hours (project)"), permissions=["approve_project"]
    )
    def approve_project(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._transition(
            request,
            queryset,
            action=Action.APPROVE_PROJECT,
            title=_("Approve hours (project)"),
            question=_("Approve these hours for their projects?"),
            done_text=ngettext_lazy("%(done)d hour approved", "%(done)d hours approved", "done"),
        )

    @admin.action(description=_("Lock selected hours"), permissions=["lock"])
    def lock(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._transition(
            request,
            queryset,
            action=Action.LOCK,
            title=_("Lock hours"),
            question=_("Lock these hours? Locked hours can only be reopened by an administrator."),
            done_text=ngettext_lazy("%(done)d hour locked", "%(done)d hours locked", "done"),
        )

    @admin.action(description=_("Send selected hours back (reject)"), permissions=["reject"])
    def reject(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._transition(
            request,
            queryset,
            action=Action.REJECT,
            title=_("Reject hours"),
            question=_("Send these hours back to their owners as drafts?"),
            done_text=ngettext_lazy("%(done)d hour sent back", "%(done)d hours sent back", "done"),
            needs_reason=True,
        )

    @admin.action(description=_("Reopen selected hours"), permissions=["reopen"])
    def reopen(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._transition(
            request,
            queryset,
            action=Action.REOPEN,
            title=_("Reopen hours"),
            question=_(
                "Reopen these approved or locked hours as drafts? This is logged. Hours already"
                " in the ERP stay there as they were approved; your changes reach the ERP when"
                " the hours are approved again."
            ),
            done_text=ngettext_lazy("%(done)d hour reopened", "%(done)d hours reopened", "done"),
            needs_reason=True,
        )


@admin.register(TimeEntryTransition)
class TimeEntryTransitionAdmin(ModelAdmin):
    """The approval trail of all visible hours: a log, read-only."""

    list_display = ["at", "entry", "action", "from_status", "to_status", "actor", "reason"]
    list_filter = ["action", "to_status"]
    list_select_related = ["entry", "entry__user", "actor"]
    search_fields = ["reason", "entry__user__email", "actor__email", "entry__project__name"]
    date_hierarchy = "at"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        visible = time_entries_visible_to(user=request.user).values("pk")
        return super().get_queryset(request).filter(entry__in=visible)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
