"""Tasks on projects and who is assigned to them (only assignees may register time)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.core.admin import ServiceModelAdmin, ServiceModelForm, is_autocomplete_for
from apps.tasks.models import Task
from apps.tasks.selectors import task_list
from apps.tasks.services import EDITABLE_FIELDS, task_create, task_delete, task_update
from apps.timesheets.services import user_manages_all_hours


class TaskForm(ServiceModelForm):
    class Meta:
        model = Task
        fields = [*EDITABLE_FIELDS, "assignees"]

    def save_via_service(self) -> Task:
        data = {f: self.cleaned_data[f] for f in EDITABLE_FIELDS if f in self.cleaned_data}
        assignees = self.cleaned_data.get("assignees")
        if self.instance.pk is None:
            return task_create(data=data, assignees=assignees or ())
        return task_update(task=self.instance, data=data, assignees=assignees)


@admin.register(Task)
class TaskAdmin(ServiceModelAdmin):
    form = TaskForm
    list_display = [
        "name",
        "project",
        "status",
        "priority",
        "start_date",
        "end_date",
        "estimate_hours",
        "assignee_list",
    ]
    list_filter = ["status", "priority", "project__status", "project"]
    list_select_related = ["project"]
    search_fields = ["name", "project__name", "project__number"]
    autocomplete_fields = ["project", "assignees"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["project", "name", "description"]}),
        (_("Planning"), {"fields": [("start_date", "end_date"), "status", "priority"]}),
        (_("Hours"), {"fields": ["estimate_hours"]}),
        (
            _("Assignees"),
            {
                "fields": ["assignees"],
                "description": _(
                    "Only assignees can register time on the task; they must be project members."
                ),
            },
        ),
        (_("History"), {"classes": ["collapse"], "fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("assignees")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        own_hours_only = not user_manages_all_hours(request.user)
        if own_hours_only and is_autocomplete_for(request, "timesheets.timeentry.task"):
            # Offer only the tasks one may register time on (the service still checks).
            mine = task_list(user=request.user, assigned_to_me=True).values("pk")
            queryset = queryset.filter(pk__in=mine)
        return queryset, may_have_duplicates

    @admin.display(description=_("assignees"))
    def assignee_list(self, obj: Task) -> str:
        return ", ".join(str(user) for user in obj.assignees.all())

    def delete_service(self, request: HttpRequest, obj: Task) -> None:
        task_delete(task=obj)
