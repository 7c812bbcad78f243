"""Tasks on projects and who is assigned to them (only assignees may register time)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.accounts.admin import ServiceModelAdmin, ServiceModelForm
from apps.tasks.models import Task
from apps.tasks.services import EDITABLE_FIELDS, task_create, task_delete, task_update


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

    @admin.display(description=_("assignees"))
    def assignee_list(self, obj: Task) -> str:
        return ", ".join(str(user) for user in obj.assignees.all())

    def delete_service(self, request: HttpRequest, obj: Task) -> None:
        task_delete(task=obj)
