"""The project admin: number from the ERP, members inline, archive/activate, project roles."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.projects.models import Project, ProjectMember, ProjectRole
from tests.accounts.factories import UserFactory, admin_user, employee, project_manager
from tests.customers.factories import CustomerFactory
from tests.projects.factories import (
    ProjectFactory,
    ProjectMemberFactory,
    ProjectRoleFactory,
    manager_role,
)
from tests.tasks.factories import TaskFactory
from tests.worktypes.factories import WorkTypeFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:projects_project_changelist"
ADD = "admin:projects_project_add"


def _change_url(project: Project) -> str:
    return reverse("admin:projects_project_change", args=[project.pk])


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _members(rows: list[dict], initial: int = 0) -> dict:
    data = {
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(initial),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"memberships-{i}-{key}"] = value
    return data


def _form(members: dict | None = None, **overrides) -> dict:
    data = {
        "name": "Intranet",
        "customer": CustomerFactory().pk,
        "status": Project.Status.ACTIVE,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "description": "",
        "default_work_type": WorkTypeFactory().pk,
        "needs_approval": "on",
    }
    data.update(overrides)
    data.update(members if members is not None else _members([]))
    return data


def test_staff_without_permission_is_forbidden_and_projects_are_not_on_the_index(client):
    client.force_login(UserFactory())
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert reverse(CHANGELIST) not in client.get(reverse("admin:index")).content.decode()


def test_employee_only_views_projects(client):
    project = ProjectFactory()
    client.force_login(employee())
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert client.get(reverse(ADD)).status_code == 403
    assert client.post(_change_url(project), _form(name="Renamed")).status_code == 403


def test_project_without_number_shows_number_pending(client):
    ProjectFactory(name="Fresh")
    numbered = ProjectFactory(name="Old")
    Project.objects.filter(pk=numbered.pk).update(number=4711)
    client.force_login(admin_user())
    content = client.get(reverse(CHANGELIST)).content.decode()
    assert "number pending" in content
    assert "4711" in content
    page = client.get(_change_url(ProjectFactory()))
    assert "number pending" in page.content.decode()
    assert "number" not in page.context["adminform"].form.fields


def test_project_manager_creates_a_project_with_members_through_the_services(client):
    manager = project_manager()
    colleague = employee()
    role = manager_role()
    client.force_login(manager)
    members = _members([{"user": manager.pk, "role": role.pk}, {"user": colleague.pk, "role": ""}])
    response = client.post(reverse(ADD), _form(members=members))
    assert response.status_code == 302
    project = Project.objects.get(name="Intranet")
    assert project.number is None
    assert {(m.user, m.role) for m in project.memberships.all()} == {
        (manager, role),
        (colleague, None),
    }


def test_posting_a_number_does_not_set_it(client):
    client.force_login(admin_user())
    client.post(reverse(ADD), _form(number="999"))
    assert Project.objects.get().number is None


def test_end_before_start_is_a_form_error_and_saves_nothing(client):
    client.force_login(admin_user())
    response = client.post(reverse(ADD), _form(start_date="2026-05-01", end_date="2026-04-01"))
    assert response.status_code == 200
    assert "end date cannot be before the start date" in str(
        response.context["adminform"].form.errors
    )
    assert not Project.objects.exists()


def test_invalid_member_rows_save_nothing_not_even_the_project(client):
    colleague = employee()
    client.force_login(admin_user())
    members = _members([{"user": colleague.pk}, {"user": colleague.pk}])
    response = client.post(reverse(ADD), _form(members=members))
    assert response.status_code == 200
    assert response.context["errors"]
    assert not Project.objects.exists()
    assert not ProjectMember.objects.exists()


def test_removing_a_member_inline_takes_them_off_the_projects_tasks(client):
    member = ProjectMemberFactory()
    project, user = member.project, member.user
    task = TaskFactory(project=project, assignees=[user])
    client.force_login(admin_user())
    row = {"id": member.pk, "project": project.pk, "user": user.pk, "role": member.role_id}
    data = _form(
        members=_members([{**row, "DELETE": "on"}], initial=1),
        name=project.name,
        customer=project.customer_id,
    )
    response = client.post(_change_url(project), data)
    assert response.status_code == 302
    assert not ProjectMember.objects.filter(project=project).exists()
    assert not task.assignees.exists()


def test_changing_a_members_role_inline(client):
    member = ProjectMemberFactory()
    approver = manager_role()
    client.force_login(admin_user())
    row = {"id": member.pk, "project": member.project_id, "user": member.user_id}
    data = _form(
        members=_members([{**row, "role": approver.pk}], initial=1),
        name=member.project.name,
        customer=member.project.customer_id,
    )
    assert client.post(_change_url(member.project), data).status_code == 302
    member.refresh_from_db()
    assert member.role == approver


def test_archive_and_activate_actions(client):
    projects = [ProjectFactory(), ProjectFactory()]
    client.force_login(project_manager())
    data = {"action": "archive", "_selected_action": [p.pk for p in projects]}
    response = client.post(reverse(CHANGELIST), data, follow=True)
    assert "2 projects archived" in _messages(response)[0]
    assert set(Project.objects.values_list("status", flat=True)) == {Project.Status.ARCHIVED}
    data["action"] = "activate"
    client.post(reverse(CHANGELIST), data)
    assert set(Project.objects.values_list("status", flat=True)) == {Project.Status.ACTIVE}


def test_archive_is_not_offered_to_employees(client):
    project = ProjectFactory()
    client.force_login(employee())
    response = client.get(reverse(CHANGELIST))
    assert response.context["action_form"] is None  # no action at all is offered
    client.post(reverse(CHANGELIST), {"action": "archive", "_selected_action": [project.pk]})
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE


def test_projects_are_archived_not_deleted(client):
    project = ProjectFactory()
    client.force_login(admin_user())
    url = reverse("admin:projects_project_delete", args=[project.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()


def test_changelist_filters_by_status_and_customer(client):
    customer = CustomerFactory()
    wanted = ProjectFactory(customer=customer)
    ProjectFactory(customer=customer, status=Project.Status.ARCHIVED)
    ProjectFactory()
    client.force_login(admin_user())
    response = client.get(
        reverse(CHANGELIST), {"status__exact": "active", "customer__id__exact": customer.pk}
    )
    assert [p.pk for p in response.context["cl"].result_list] == [wanted.pk]


# --- members and roles ------------------------------------------------------------------------


def test_project_member_admin_adds_and_changes_a_role_through_the_service(client):
    project = ProjectFactory()
    user = employee()
    role = ProjectRoleFactory()
    client.force_login(admin_user())
    add = reverse("admin:projects_projectmember_add")
    data = {"project": project.pk, "user": user.pk, "role": role.pk}
    assert client.post(add, data).status_code == 302
    member = ProjectMember.objects.get()
    approver = manager_role()
    change = reverse("admin:projects_projectmember_change", args=[member.pk])
    assert client.post(change, {"role": approver.pk}).status_code == 302
    member.refresh_from_db()
    assert (member.project, member.user, member.role) == (project, user, approver)


def test_project_member_delete_removes_task_assignments(client):
    member = ProjectMemberFactory()
    task = TaskFactory(project=member.project, assignees=[member.user])
    client.force_login(admin_user())
    url = reverse("admin:projects_projectmember_delete", args=[member.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not ProjectMember.objects.exists()
    assert not task.assignees.exists()


def test_project_role_admin_creates_and_refuses_to_delete_a_role_in_use(client):
    client.force_login(admin_user())
    add = reverse("admin:projects_projectrole_add")
    assert client.post(add, {"name": "Reviewer", "can_approve": "on"}).status_code == 302
    role = ProjectRole.objects.get(name="Reviewer")
    assert role.can_approve
    response = client.post(add, {"name": "Reviewer"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    ProjectMemberFactory(role=role)
    delete = reverse("admin:projects_projectrole_delete", args=[role.pk])
    client.post(delete, {"post": "yes"})
    assert ProjectRole.objects.filter(pk=role.pk).exists()


def test_unused_project_role_is_deleted(client):
    role = ProjectRoleFactory(name="Unused")
    client.force_login(admin_user())
    delete = reverse("admin:projects_projectrole_delete", args=[role.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not ProjectRole.objects.filter(pk=role.pk).exists()


def test_project_manager_finds_colleagues_for_the_members_inline(client):
    wanted = employee(first_name="Solveig", email="solveig@example.no")
    client.force_login(project_manager())
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "solv",
            "app_label": "projects",
            "model_name": "projectmember",
            "field_name": "user",
        },
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(wanted.pk)]


def test_changelist_searches_by_project_number(client):
    wanted = ProjectFactory(name="Numbered")
    Project.objects.filter(pk=wanted.pk).update(number=4711)
    ProjectFactory(name="Pending")
    client.force_login(admin_user())
    response = client.get(reverse(CHANGELIST), {"q": "4711"})
    assert [p.pk for p in response.context["cl"].result_list] == [wanted.pk]


# --- who may put people on a project ------------------------------------------------------------


def _managing(project=None):
    manager = project_manager()
    project = project or ProjectFactory(name="Managed")
    ProjectMemberFactory(project=project, user=manager, role=manager_role())
    return manager, project


def test_the_member_admin_offers_a_project_manager_only_the_projects_he_manages(client):
    manager, managed = _managing()
    ProjectFactory(name="Somebody else's")
    client.force_login(manager)

    form = client.get(reverse("admin:projects_projectmember_add")).context["adminform"].form
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "",
            "app_label": "projects",
            "model_name": "projectmember",
            "field_name": "project",
        },
    )

    assert list(form.fields["project"].queryset) == [managed]
    assert [r["id"] for r in found.json()["results"]] == [str(managed.pk)]


def test_a_project_manager_cannot_add_himself_to_another_project_in_the_member_admin(client):
    manager, _managed = _managing()
    other = ProjectFactory(name="Somebody else's")
    client.force_login(manager)

    response = client.post(
        reverse("admin:projects_projectmember_add"),
        {"project": other.pk, "user": manager.pk, "role": manager_role().pk},
    )

    assert response.status_code == 200
    assert "project" in response.context["adminform"].form.errors
    assert not ProjectMember.objects.filter(project=other).exists()


def test_another_projects_members_are_read_only_for_a_project_manager(client):
    manager, _managed = _managing()
    held = ProjectMemberFactory(role=None)
    client.force_login(manager)

    page = client.get(_change_url(held.project))
    member_page = client.get(reverse("admin:projects_projectmember_change", args=[held.pk]))
    posted = client.post(
        reverse("admin:projects_projectmember_change", args=[held.pk]), {"role": manager_role().pk}
    )

    inline = page.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission and not inline.has_change_permission
    assert "changed by the project&#x27;s managers and administrators" in page.content.decode()
    assert not member_page.context["has_change_permission"]
    assert posted.status_code == 403
    held.refresh_from_db()
    assert held.role is None


def test_a_project_manager_adds_a_colleague_to_his_project_inline(client):
    manager, managed = _managing()
    colleague = employee()
    client.force_login(manager)
    existing = managed.memberships.get()
    row = {"id": existing.pk, "project": managed.pk, "user": manager.pk, "role": existing.role_id}
    data = _form(
        members=_members([row, {"user": colleague.pk, "role": ""}], initial=1),
        name=managed.name,
        customer=managed.customer_id,
    )

    assert client.post(_change_url(managed), data).status_code == 302
    assert set(managed.members.all()) == {manager, colleague}
