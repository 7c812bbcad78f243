import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from apps.core.exceptions import ApplicationError
from apps.projects.models import Project, ProjectMember, ProjectRole
from apps.projects.services import (
    project_activate,
    project_archive,
    project_assign_number,
    project_create,
    project_member_grant_check,
    project_member_remove,
    project_member_set,
    project_role_create,
    project_role_delete,
    project_role_update,
    project_update,
)
from tests.accounts.factories import admin_user, employee, project_manager, support_user
from tests.customers.factories import CustomerFactory
from tests.projects.factories import ProjectFactory, ProjectRoleFactory, manager_role
from tests.tasks.factories import TaskFactory
from tests.worktypes.factories import WorkTypeFactory

pytestmark = pytest.mark.django_db


def test_project_created_locally_has_no_number_and_shows_number_pending():
    project = project_create(
        data={"name": "Ny nettbutikk", "customer": CustomerFactory(), "needs_approval": True}
    )

    project.refresh_from_db()
    assert project.number is None
    assert project.number_display == "number pending"
    assert str(project) == "Ny nettbutikk"
    assert project.status == Project.Status.ACTIVE


def test_project_number_cannot_be_given_at_creation():
    with pytest.raises(ApplicationError, match="cannot be changed here: number"):
        project_create(data={"name": "Own number", "number": 4711})
    assert not Project.objects.exists()


def test_project_number_cannot_be_changed_by_project_update():
    project = ProjectFactory(name="Intern")

    with pytest.raises(ApplicationError, match="cannot be changed here: number"):
        project_update(project=project, data={"name": "Renamed", "number": 4711})

    project.refresh_from_db()
    assert project.number is None
    assert project.name == "Intern"


def test_project_assign_number_stores_the_erp_number():
    project = ProjectFactory(name="Migrering")

    project_assign_number(project=project, number=1042)

    project.refresh_from_db()
    assert project.number == 1042
    assert project.number_display == "1042"
    assert str(project) == "1042 Migrering"


def test_project_assign_number_refuses_a_number_another_project_has():
    ProjectFactory(number=1042)
    project = ProjectFactory()

    with pytest.raises(ApplicationError, match="1042 is already used"):
        project_assign_number(project=project, number=1042)

    project.refresh_from_db()
    assert project.number is None


def test_project_assign_number_again_to_the_same_project_is_fine():
    project = ProjectFactory(number=1042)

    project_assign_number(project=project, number=1042)

    project.refresh_from_db()
    assert project.number == 1042


def test_project_with_end_before_start_is_refused():
    with pytest.raises(ValidationError, match="end date cannot be before the start date"):
        project_create(
            data={
                "name": "Baklengs",
                "start_date": datetime.date(2026, 5, 1),
                "end_date": datetime.date(2026, 4, 1),
            }
        )
    assert not Project.objects.exists()


def test_project_update_changes_default_work_type_and_approval():
    project = ProjectFactory(needs_approval=True)
    work_type = WorkTypeFactory()

    project_update(project=project, data={"default_work_type": work_type, "needs_approval": False})

    project.refresh_from_db()
    assert project.default_work_type == work_type
    assert project.needs_approval is False


def test_project_archive_and_activate_switch_the_status():
    project = ProjectFactory()

    project_archive(project=project)
    project.refresh_from_db()
    assert project.is_archived

    project_activate(project=project)
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE


def test_project_member_set_adds_a_member_with_a_role():
    project = ProjectFactory()
    user = employee()
    consultant = ProjectRoleFactory(name="Consultant")

    member = project_member_set(project=project, user=user, role=consultant)

    assert member.role == consultant
    assert list(project.members.all()) == [user]


def test_project_member_set_twice_is_idempotent():
    project = ProjectFactory()
    user = employee()
    consultant = ProjectRoleFactory(name="Consultant")

    first = project_member_set(project=project, user=user, role=consultant)
    second = project_member_set(project=project, user=user, role=consultant)

    assert first.pk == second.pk
    assert ProjectMember.objects.filter(project=project, user=user).count() == 1


def test_project_member_set_changes_the_role_of_an_existing_member():
    project = ProjectFactory()
    user = employee()
    project_member_set(project=project, user=user, role=ProjectRoleFactory(name="Consultant"))

    member = project_member_set(project=project, user=user, role=manager_role())

    member.refresh_from_db()
    assert member.role.name == "Project manager"
    assert member.role.can_approve is True
    assert ProjectMember.objects.filter(project=project, user=user).count() == 1


def test_project_member_set_without_role_clears_the_role():
    project = ProjectFactory()
    user = employee()
    project_member_set(project=project, user=user, role=ProjectRoleFactory(name="Consultant"))

    member = project_member_set(project=project, user=user, role=None)

    member.refresh_from_db()
    assert member.role is None


def test_project_member_remove_takes_the_person_off_the_projects_tasks():
    project = ProjectFactory()
    leaving, staying = employee(), employee()
    for user in (leaving, staying):
        project_member_set(project=project, user=user)
    task_a = TaskFactory(project=project, assignees=[leaving, staying])
    task_b = TaskFactory(project=project, assignees=[leaving])
    other_project_task = TaskFactory(assignees=[leaving])

    project_member_remove(project=project, user=leaving)

    assert list(project.members.all()) == [staying]
    assert list(task_a.assignees.all()) == [staying]
    assert list(task_b.assignees.all()) == []
    # Membership of another project is not touched.
    assert list(other_project_task.assignees.all()) == [leaving]


def test_project_member_remove_of_a_non_member_does_nothing():
    project = ProjectFactory()

    project_member_remove(project=project, user=employee())

    assert not project.memberships.exists()


def test_project_role_create_and_update():
    role = project_role_create(name="Architect")

    project_role_update(role=role, data={"name": "Lead architect", "can_approve": True})

    role.refresh_from_db()
    assert (role.name, role.can_approve) == ("Lead architect", True)


def test_project_role_with_a_taken_name_is_refused():
    project_role_create(name="Consultant")

    with pytest.raises(ValidationError, match="already exists"):
        project_role_create(name="Consultant")
    assert ProjectRole.objects.filter(name="Consultant").count() == 1


def test_project_role_that_people_have_cannot_be_deleted():
    role = ProjectRoleFactory(name="Consultant")
    project_member_set(project=ProjectFactory(), user=employee(), role=role)

    with pytest.raises(ApplicationError, match="cannot be deleted"):
        project_role_delete(role=role)
    assert ProjectRole.objects.filter(pk=role.pk).exists()


def test_project_role_nobody_has_is_deleted():
    role = ProjectRoleFactory(name="Observer")

    project_role_delete(role=role)

    assert not ProjectRole.objects.filter(pk=role.pk).exists()


def test_project_assign_number_racing_another_project_for_the_number_is_refused(monkeypatch):
    ProjectFactory(number=1042)
    project = ProjectFactory(number=7)
    # The other project takes the number between the check and the write.
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)

    with pytest.raises(ApplicationError, match="1042 is already used"):
        project_assign_number(project=project, number=1042)

    monkeypatch.undo()
    assert project.number == 7
    project.refresh_from_db()
    assert project.number == 7


# --- who may put people on a project ------------------------------------------------------------


def test_a_project_manager_cannot_put_himself_on_a_project_he_does_not_manage():
    manager, project = project_manager(), ProjectFactory()

    with pytest.raises(ApplicationError, match="only change the members of projects you manage"):
        project_member_set(project=project, user=manager, role=manager_role(), actor=manager)

    assert not project.memberships.exists()


def test_an_advisor_on_a_project_cannot_promote_himself_to_approver():
    manager, project = project_manager(), ProjectFactory()
    advisor = ProjectRoleFactory(name="Advisor")
    project_member_set(project=project, user=manager, role=advisor)

    with pytest.raises(ApplicationError, match="projects you manage"):
        project_member_set(project=project, user=manager, role=manager_role(), actor=manager)
    with pytest.raises(ApplicationError, match="projects you manage"):
        project_member_set(project=project, user=employee(), role=None, actor=manager)

    assert project.memberships.get().role == advisor


def test_a_project_manager_staffs_the_project_he_manages():
    manager, project, colleague = project_manager(), ProjectFactory(), employee()
    project_member_set(project=project, user=manager, role=manager_role())
    consultant = ProjectRoleFactory(name="Consultant")

    project_member_set(project=project, user=colleague, role=consultant, actor=manager)
    project_member_set(project=project, user=colleague, role=manager_role(), actor=manager)
    project_member_remove(project=project, user=colleague, actor=manager)

    assert list(project.members.all()) == [manager]


def test_a_project_manager_cannot_take_people_off_another_project():
    manager, project, colleague = project_manager(), ProjectFactory(), employee()
    project_member_set(project=project, user=colleague)
    project_member_set(project=ProjectFactory(), user=manager, role=manager_role())

    with pytest.raises(ApplicationError, match="projects you manage"):
        project_member_remove(project=project, user=colleague, actor=manager)

    assert list(project.members.all()) == [colleague]


@pytest.mark.parametrize("make", [employee, support_user], ids=["employee", "support"])
def test_people_without_the_membership_permissions_change_nobodys_projects(make):
    actor, project = make(), ProjectFactory()
    project_member_set(project=project, user=actor, role=manager_role())

    with pytest.raises(ApplicationError, match="may not change who is on projects"):
        project_member_set(project=project, user=employee(), actor=actor)


def test_administrators_put_anyone_on_any_project_in_any_role():
    office, project, colleague = admin_user(), ProjectFactory(), employee()

    member = project_member_set(project=project, user=colleague, role=manager_role(), actor=office)

    assert member.role.can_approve


def test_the_one_who_creates_a_project_staffs_it():
    manager, project = project_manager(), ProjectFactory()

    project_member_grant_check(
        actor=manager, project=project, role=manager_role(), permission="add", founding=True
    )
    with pytest.raises(ApplicationError):
        project_member_grant_check(
            actor=employee(), project=project, role=None, permission="add", founding=True
        )
