"""The task admin: assignees must be project members; tasks with hours stay."""

import pytest
from django.urls import reverse

from apps.tasks.models import Task
from tests.accounts.factories import UserFactory, admin_user, employee, project_manager
from tests.projects.factories import ProjectFactory, ProjectMemberFactory
from tests.tasks.factories import TaskFactory
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:tasks_task_changelist"
ADD = "admin:tasks_task_add"


def _change_url(task: Task) -> str:
    return reverse("admin:tasks_task_change", args=[task.pk])


def _form(project, **overrides) -> dict:
    data = {
        "project": project.pk,
        "name": "Design review",
        "description": "",
        "start_date": "",
        "end_date": "",
        "status": Task.Status.NOT_STARTED,
        "priority": Task.Priority.NORMAL,
        "estimate_hours": "",
        "assignees": [],
    }
    data.update(overrides)
    return data


def test_staff_without_permission_is_forbidden_and_tasks_are_not_on_the_index(client):
    client.force_login(UserFactory())
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert reverse(CHANGELIST) not in client.get(reverse("admin:index")).content.decode()


def test_employee_only_views_tasks(client):
    task = TaskFactory()
    client.force_login(employee())
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert client.get(reverse(ADD)).status_code == 403
    assert client.post(_change_url(task), _form(task.project)).status_code == 403


def test_project_manager_creates_a_task_for_project_members(client):
    member = ProjectMemberFactory()
    client.force_login(project_manager())
    response = client.post(reverse(ADD), _form(member.project, assignees=[member.user.pk]))
    assert response.status_code == 302
    task = Task.objects.get()
    assert list(task.assignees.all()) == [member.user]


def test_assigning_a_non_member_is_a_form_error_and_saves_nothing(client):
    project = ProjectFactory()
    outsider = employee()
    client.force_login(admin_user())
    response = client.post(reverse(ADD), _form(project, assignees=[outsider.pk]))
    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors["assignees"])
    assert "Only members of the project can be assigned" in errors
    assert not Task.objects.exists()


def test_adding_a_non_member_to_an_existing_task_changes_nothing(client):
    member = ProjectMemberFactory()
    task = TaskFactory(project=member.project, name="Before", assignees=[member.user])
    outsider = employee()
    client.force_login(admin_user())
    data = _form(task.project, name="After", assignees=[member.user.pk, outsider.pk])
    response = client.post(_change_url(task), data)
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.name == "Before"
    assert list(task.assignees.all()) == [member.user]


def test_end_before_start_is_a_form_error(client):
    project = ProjectFactory()
    client.force_login(admin_user())
    data = _form(project, start_date="2026-05-02", end_date="2026-05-01")
    response = client.post(reverse(ADD), data)
    assert response.status_code == 200
    assert not Task.objects.exists()


def test_changelist_shows_assignees_with_a_constant_number_of_queries(
    client, django_assert_max_num_queries
):
    for _ in range(5):
        member = ProjectMemberFactory()
        TaskFactory(project=member.project, assignees=[member.user])
    client.force_login(admin_user())
    with django_assert_max_num_queries(12):
        response = client.get(reverse(CHANGELIST))
    assert response.context["cl"].result_count == 5
    assert str(member.user) in response.content.decode()


def test_task_with_hours_is_not_deleted(client):
    entry = TimeEntryFactory(task=TaskFactory())
    client.force_login(admin_user())
    client.post(reverse("admin:tasks_task_delete", args=[entry.task_id]), {"post": "yes"})
    assert Task.objects.filter(pk=entry.task_id).exists()


def test_task_without_hours_is_deleted_through_the_service(client):
    task = TaskFactory()
    client.force_login(admin_user())
    response = client.post(reverse("admin:tasks_task_delete", args=[task.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Task.objects.exists()
