"""Writes to tasks and who is assigned to them."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.exceptions import ApplicationError
from apps.core.hooks import local_change
from apps.core.services import model_update
from apps.projects.models import ProjectMember
from apps.tasks.models import Task

EDITABLE_FIELDS = [
    "project",
    "name",
    "description",
    "start_date",
    "end_date",
    "status",
    "priority",
    "estimate_hours",
]


def _check_assignees(task: Task, users: Iterable[User]) -> list[User]:
    users = list(users)
    member_ids = set(
        ProjectMember.objects.filter(project_id=task.project_id).values_list("user_id", flat=True)
    )
    outsiders = [u for u in users if u.pk not in member_ids]
    if outsiders:
        raise ApplicationError(
            _(
                "Only members of the project can be assigned: %(names)s is not a member of %(project)s."
            )
            % {"names": ", ".join(str(u) for u in outsiders), "project": task.project},
            field="assignees",
        )
    return users


def task_create(*, data: dict[str, Any], assignees: Iterable[User] = ()) -> Task:
    """Creates a task and assigns the given project members to it."""
    task = Task()
    model_update(instance=task, data=data, fields=EDITABLE_FIELDS)
    task.full_clean()
    users = _check_assignees(task, assignees)
    with transaction.atomic():
        task.save()
        task.assignees.set(users)
        local_change("task", task.pk, "created")
    return task


def task_update(
    *, task: Task, data: dict[str, Any], assignees: Iterable[User] | None = None
) -> Task:
    """Changes a task; when `assignees` is given it becomes the complete list."""
    moves = "project" in data and data["project"].pk != task.project_id
    if moves and task.time_entries.exists():
        raise ApplicationError(
            _("Hours are registered on this task, so it cannot move to another project."),
            field="project",
        )
    changed = model_update(instance=task, data=data, fields=EDITABLE_FIELDS)
    users = _check_assignees(task, assignees) if assignees is not None else None
    if moves and users is None:
        # The current assignees must be members of the project the task moves to.
        _check_assignees(task, task.assignees.all())
    if changed:
        task.full_clean()
    with transaction.atomic():
        if changed:
            task.save(update_fields=[*changed, "updated_at"])
        if users is not None:
            task.assignees.set(users)
        if changed or users is not None:
            local_change("task", task.pk, "changed")
    return task


def task_delete(*, task: Task) -> None:
    """Deletes a task nobody has registered time on."""
    if task.time_entries.exists():
        raise ApplicationError(_("Hours are registered on this task, so it cannot be deleted."))
    task.delete()
