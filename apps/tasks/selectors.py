"""Reads of tasks."""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.tasks.models import Task


def task_list(
    *, user: User, project_id: int | None = None, assigned_to_me: bool = False
) -> QuerySet[Task]:
    """Tasks a user may see; `assigned_to_me` narrows to the ones they can register time on."""
    if not user.has_perm("tasks.view_task"):
        return Task.objects.none()
    qs = Task.objects.select_related("project").prefetch_related("assignees")
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    if assigned_to_me:
        qs = qs.filter(assignees=user)
    return qs
