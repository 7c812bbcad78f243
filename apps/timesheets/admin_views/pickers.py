"""The project and task pickers of the time-entry form: only what the person may log on."""

from typing import Any

from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from apps.projects.models import Project
from apps.tasks.models import Task
from apps.timesheets.forms import task_label
from apps.timesheets.selectors import projects_open_for_time, tasks_open_for_time
from apps.timesheets.services import user_manages_all_hours

PAGE_SIZE = 20


def project_choices(user: Any) -> QuerySet[Project]:
    """Members: their active projects. Admins (registering for anyone): every active one."""
    if user_manages_all_hours(user):
        return Project.objects.filter(status=Project.Status.ACTIVE).order_by("name", "id")
    return projects_open_for_time(user=user)


def task_choices(user: Any) -> QuerySet[Task]:
    if user_manages_all_hours(user):
        return (
            Task.objects.filter(project__status=Project.Status.ACTIVE)
            .select_related("project")
            .order_by("project__name", "name", "id")
        )
    return tasks_open_for_time(user=user)


class PickerSelect(AutocompleteSelect):
    """Django's autocomplete widget, asking the time-entry admin's own picker URL."""

    def get_url(self) -> str:
        return reverse("admin:timesheets_timeentry_picker")


def picker_view(request: HttpRequest) -> JsonResponse:
    """select2's JSON: `?field_name=project|task&term=…&page=…`."""
    user = request.user
    if not (
        user.has_perm("timesheets.add_timeentry") or user.has_perm("timesheets.change_timeentry")
    ):
        raise PermissionDenied
    term = request.GET.get("term", "").strip()
    try:
        page = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        page = 1
    if request.GET.get("field_name") == "task":
        qs = task_choices(user)
        if term:
            qs = qs.filter(Q(name__icontains=term) | Q(project__name__icontains=term))
        label = task_label
    else:
        qs = project_choices(user)
        if term:
            match = Q(name__icontains=term)
            if term.isdigit() and len(term) < 10:
                match |= Q(number=int(term))
            qs = qs.filter(match)
        label = str
    found = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    return JsonResponse(
        {
            "results": [{"id": str(obj.pk), "text": label(obj)} for obj in found[:PAGE_SIZE]],
            "pagination": {"more": len(found) > PAGE_SIZE},
        }
    )
