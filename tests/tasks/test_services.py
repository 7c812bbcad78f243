from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.core.exceptions import ApplicationError
from apps.projects.services import project_member_set
from apps.tasks.models import Task
from apps.tasks.services import task_create, task_delete, task_update
from tests.accounts.factories import employee
from tests.projects.factories import ProjectFactory
from tests.tasks.factories import TaskFactory
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db


def _project_with_members(*users):
    project = ProjectFactory()
    for user in users:
        project_member_set(project=project, user=user)
    return project


def test_task_create_assigns_project_members():
    anna, bo = employee(), employee()
    project = _project_with_members(anna, bo)

    task = task_create(
        data={"project": project, "name": "Analyse", "estimate_hours": Decimal("12.5")},
        assignees=[anna, bo],
    )

    task.refresh_from_db()
    assert set(task.assignees.all()) == {anna, bo}
    assert task.estimate_hours == Decimal("12.50")
    assert task.status == Task.Status.NOT_STARTED


def test_task_assignee_who_is_not_a_project_member_is_refused():
    member, outsider = employee(), employee(first_name="Ute", last_name="Stående")
    project = _project_with_members(member)

    with pytest.raises(ApplicationError, match="Ute Stående is not a member") as excinfo:
        task_create(data={"project": project, "name": "Analyse"}, assignees=[member, outsider])

    assert excinfo.value.field == "assignees"
    assert not Task.objects.exists()


def test_task_update_with_an_outsider_assignee_is_refused_and_keeps_the_old_list():
    member, outsider = employee(), employee()
    project = _project_with_members(member)
    task = TaskFactory(project=project, name="Analyse", assignees=[member])

    with pytest.raises(ApplicationError, match="is not a member"):
        task_update(task=task, data={"name": "Renamed"}, assignees=[outsider])

    task.refresh_from_db()
    assert task.name == "Analyse"
    assert list(task.assignees.all()) == [member]


def test_task_update_with_assignees_replaces_the_whole_list():
    anna, bo = employee(), employee()
    project = _project_with_members(anna, bo)
    task = TaskFactory(project=project, assignees=[anna])

    task_update(task=task, data={}, assignees=[bo])

    assert list(task.assignees.all()) == [bo]


def test_task_update_without_assignees_keeps_them():
    anna = employee()
    project = _project_with_members(anna)
    task = TaskFactory(project=project, assignees=[anna])

    task_update(task=task, data={"status": Task.Status.IN_PROGRESS})

    task.refresh_from_db()
    assert task.status == Task.Status.IN_PROGRESS
    assert list(task.assignees.all()) == [anna]


def test_task_with_a_negative_estimate_is_refused():
    project = ProjectFactory()

    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        task_create(data={"project": project, "name": "Minus", "estimate_hours": Decimal("-1")})
    assert not Task.objects.exists()


def test_task_update_refuses_unknown_fields():
    task = TaskFactory()

    with pytest.raises(ApplicationError, match="assignees"):
        task_update(task=task, data={"assignees": []})


def test_task_without_hours_can_move_to_another_project():
    task = TaskFactory()
    other = ProjectFactory()

    task_update(task=task, data={"project": other})

    task.refresh_from_db()
    assert task.project == other


def test_task_with_hours_cannot_move_to_another_project():
    task = TaskFactory()
    TimeEntryFactory(project=task.project, task=task)
    original_project = task.project

    with pytest.raises(ApplicationError, match="cannot move to another project"):
        task_update(task=task, data={"project": ProjectFactory()})

    task.refresh_from_db()
    assert task.project == original_project


def test_task_moved_to_a_project_its_assignees_are_not_members_of_is_refused():
    anna = employee()
    task = TaskFactory(project=_project_with_members(anna), assignees=[anna])
    original_project = task.project

    with pytest.raises(ApplicationError, match="is not a member"):
        task_update(task=task, data={"project": ProjectFactory()})

    task.refresh_from_db()
    assert task.project == original_project


def test_task_with_hours_cannot_be_deleted():
    task = TaskFactory()
    TimeEntryFactory(project=task.project, task=task)

    with pytest.raises(ApplicationError, match="cannot be deleted"):
        task_delete(task=task)
    assert Task.objects.filter(pk=task.pk).exists()


def test_task_without_hours_is_deleted():
    task = TaskFactory()

    task_delete(task=task)

    assert not Task.objects.filter(pk=task.pk).exists()
