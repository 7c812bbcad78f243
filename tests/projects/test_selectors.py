import pytest

from apps.projects.models import Project
from apps.projects.selectors import (
    project_ids_approved_by,
    project_list,
    user_can_approve_project,
)
from apps.projects.services import project_member_set
from tests.accounts.factories import (
    UserFactory,
    admin_user,
    employee,
    project_manager,
    support_user,
)
from tests.projects.factories import ProjectFactory, ProjectRoleFactory, manager_role

pytestmark = pytest.mark.django_db


def test_everybody_with_the_view_permission_sees_every_project():
    active, archived = ProjectFactory(), ProjectFactory(status=Project.Status.ARCHIVED)

    for user in (employee(), project_manager(), support_user(), admin_user()):
        assert set(project_list(user=user)) == {active, archived}


def test_user_without_the_view_permission_sees_no_projects():
    ProjectFactory()

    assert not project_list(user=UserFactory()).exists()


def test_project_list_filters_by_status_and_customer():
    active = ProjectFactory()
    archived = ProjectFactory(status=Project.Status.ARCHIVED)
    user = employee()

    assert list(project_list(user=user, status=Project.Status.ACTIVE)) == [active]
    assert list(project_list(user=user, status=Project.Status.ARCHIVED)) == [archived]
    assert list(project_list(user=user, customer_id=archived.customer_id)) == [archived]


def test_project_ids_approved_by_are_the_projects_where_the_role_approves():
    manager = project_manager()
    led, advised, elsewhere = ProjectFactory(), ProjectFactory(), ProjectFactory()
    project_member_set(project=led, user=manager, role=manager_role())
    project_member_set(project=advised, user=manager, role=ProjectRoleFactory(name="Advisor"))
    project_member_set(project=elsewhere, user=employee(), role=manager_role())

    assert list(project_ids_approved_by(user=manager).values_list("project_id", flat=True)) == [
        led.pk
    ]


def test_user_can_approve_project_for_the_projects_approvers_and_admins():
    project = ProjectFactory()
    approver, advisor = project_manager(), project_manager()
    project_member_set(project=project, user=approver, role=manager_role())
    project_member_set(project=project, user=advisor, role=ProjectRoleFactory(name="Advisor"))
    member_without_permission = employee()
    project_member_set(project=project, user=member_without_permission, role=manager_role())

    assert user_can_approve_project(user=approver, project=project)
    assert user_can_approve_project(user=admin_user(), project=project)
    assert user_can_approve_project(user=UserFactory(is_superuser=True), project=project)
    assert not user_can_approve_project(user=advisor, project=project)
    assert not user_can_approve_project(user=member_without_permission, project=project)
    assert not user_can_approve_project(user=support_user(), project=project)
    assert not user_can_approve_project(user=approver, project=ProjectFactory())
