"""Writes to tasks and who is assigned to them."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.exceptions import ApplicationError
from apps.core.hooks import local_change, names_changed
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


# BULK WRITES FROM THE ERP (the sync engine's task adapter)
# ------------------------------------------------------------------------------
# The project arrives as an id the adapter resolved through the project bindings.
ERP_FIELDS = [
    "project_id",
    "name",
    "description",
    "start_date",
    "end_date",
    "priority",
    "estimate_hours",
]


def _erp_clean_tasks(tasks: list[Task]) -> None:
    from django.core.exceptions import ValidationError

    for task in tasks:
        task.full_clean(exclude=["project"], validate_unique=False, validate_constraints=False)
        if task.start_date and task.end_date and task.end_date < task.start_date:
            raise ValidationError(
                _("%(task)s: the end date cannot be before the start date.") % {"task": task.name}
            )


def _erp_assign(assignees: dict[Task, list[int]]) -> None:
    """Makes each task's assignees exactly the given users, in a few queries for the batch.

    An ERP may assign people to a task who are not members of its project here: such a user
    becomes a member here too (without a role until the participants are fetched), so the
    local rule "only members are assigned" keeps holding.
    """
    if not assignees:
        return
    through = Task.assignees.through
    task_ids = [t.pk for t in assignees]
    project_ids = {t.project_id for t in assignees}
    members = set(
        ProjectMember.objects.filter(project_id__in=project_ids).values_list(
            "project_id", "user_id"
        )
    )
    wanted_members = {(t.project_id, u) for t, users in assignees.items() for u in users}
    new_members = [
        ProjectMember(project_id=p, user_id=u) for p, u in sorted(wanted_members - members)
    ]
    current = {
        (task_id, user_id): pk
        for pk, task_id, user_id in through.objects.filter(task_id__in=task_ids).values_list(
            "pk", "task_id", "user_id"
        )
    }
    wanted = {(t.pk, u) for t, users in assignees.items() for u in users}
    stale = [pk for key, pk in current.items() if key not in wanted]
    missing = [through(task_id=t, user_id=u) for t, u in sorted(wanted - set(current))]
    with transaction.atomic():
        if new_members:
            ProjectMember.objects.bulk_create(new_members, ignore_conflicts=True)
        if stale:
            through.objects.filter(pk__in=stale).delete()
        if missing:
            through.objects.bulk_create(missing, ignore_conflicts=True)


def tasks_create_from_erp(*, rows: list[dict[str, Any]], assignees: list[list[int]]) -> list[Task]:
    """Creates tasks fetched from the ERP with their assignees (user ids) in bulk, in order."""
    tasks = []
    for data in rows:
        task = Task()
        model_update(instance=task, data=data, fields=ERP_FIELDS)
        tasks.append(task)
    _erp_clean_tasks(tasks)
    with transaction.atomic():
        created = Task.objects.bulk_create(tasks)
        _erp_assign(dict(zip(created, assignees, strict=True)))
    return created


def tasks_update_from_erp(
    *,
    changes: list[tuple[Task, dict[str, Any]]],
    assignees: dict[int, list[int]] | None = None,
) -> list[Task]:
    """Applies ERP values to tasks in bulk; `assignees` (task id → user ids) replaces lists."""
    from django.utils import timezone

    assignees = assignees or {}
    changed: list[Task] = []
    renamed: list[Task] = []
    fields: set[str] = set()
    for task, data in changes:
        names = model_update(instance=task, data=data, fields=ERP_FIELDS)
        if names:
            changed.append(task)
            fields.update(names)
        if "name" in names:
            renamed.append(task)
    if changed:
        _erp_clean_tasks(changed)
    now = timezone.now()
    for task in changed:
        task.updated_at = now
    with transaction.atomic():
        if changed:
            Task.objects.bulk_update(changed, [*sorted(fields), "updated_at"])
            names_changed("task", [t.pk for t in renamed])
        by_pk = {t.pk: t for t, _data in changes}
        _erp_assign({by_pk[pk]: users for pk, users in assignees.items() if pk in by_pk})
    return changed
