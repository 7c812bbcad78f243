import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from apps.projects.services import project_member_set
from apps.timesheets.models import TimeEntry
from apps.timesheets.selectors import time_entries_visible_to, time_entry_list
from tests.accounts.factories import (
    UserFactory,
    admin_user,
    employee,
    project_manager,
    support_user,
)
from tests.projects.factories import ProjectFactory, ProjectRoleFactory, manager_role
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two projects, each with an employee's hours, plus a manager with hours of their own."""
    alpha, beta = ProjectFactory(name="Alpha"), ProjectFactory(name="Beta")
    anna, bo = employee(), employee()
    manager = project_manager()
    return {
        "alpha": alpha,
        "beta": beta,
        "anna": anna,
        "bo": bo,
        "manager": manager,
        "anna_alpha": TimeEntryFactory(user=anna, project=alpha),
        "anna_beta": TimeEntryFactory(user=anna, project=beta),
        "bo_beta": TimeEntryFactory(user=bo, project=beta),
        "manager_own": TimeEntryFactory(user=manager, project=beta),
    }


def _visible(user, world):
    names = {v.pk: k for k, v in world.items() if isinstance(v, TimeEntry)}
    return {names[pk] for pk in time_entries_visible_to(user=user).values_list("pk", flat=True)}


def test_employee_sees_only_their_own_hours(world):
    assert _visible(world["anna"], world) == {"anna_alpha", "anna_beta"}
    assert _visible(world["bo"], world) == {"bo_beta"}


def test_employee_with_an_approving_project_role_still_sees_only_their_own_hours(world):
    # The project role alone does not widen the view: the approve permission is needed too.
    project_member_set(project=world["alpha"], user=world["bo"], role=manager_role())

    assert _visible(world["bo"], world) == {"bo_beta"}


def test_project_manager_sees_own_hours_and_all_hours_on_projects_they_approve(world):
    project_member_set(project=world["alpha"], user=world["manager"], role=manager_role())

    assert _visible(world["manager"], world) == {"manager_own", "anna_alpha"}


def test_project_manager_with_a_role_that_does_not_approve_sees_only_own_hours(world):
    consultant = ProjectRoleFactory(name="Consultant")
    project_member_set(project=world["alpha"], user=world["manager"], role=consultant)
    project_member_set(project=world["beta"], user=world["manager"], role=None)

    assert _visible(world["manager"], world) == {"manager_own"}


def test_project_manager_on_no_project_sees_only_own_hours(world):
    assert _visible(world["manager"], world) == {"manager_own"}


def test_admin_sees_everybodys_hours(world):
    assert _visible(admin_user(), world) == {"anna_alpha", "anna_beta", "bo_beta", "manager_own"}


def test_superuser_without_roles_sees_everybodys_hours(world):
    assert len(_visible(UserFactory(is_superuser=True), world)) == 4


def test_support_sees_everybodys_hours(world):
    assert _visible(support_user(), world) == {
        "anna_alpha",
        "anna_beta",
        "bo_beta",
        "manager_own",
    }


def test_user_without_permissions_sees_no_hours_not_even_their_own(world):
    nobody = UserFactory()
    TimeEntryFactory(user=nobody, project=world["alpha"])

    assert not time_entries_visible_to(user=nobody).exists()


def test_anonymous_user_sees_no_hours(world):
    assert not time_entries_visible_to(user=AnonymousUser()).exists()


def test_time_entry_list_filters_by_dates_project_status_and_owner(world):
    office = admin_user()
    late = TimeEntryFactory(
        user=world["bo"],
        project=world["alpha"],
        date=datetime.date(2026, 11, 20),
        status=TimeEntry.Status.SUBMITTED,
    )

    assert list(time_entry_list(user=office, date_from=datetime.date(2026, 11, 17))) == [late]
    assert late not in time_entry_list(user=office, date_to=datetime.date(2026, 11, 19))
    assert set(time_entry_list(user=office, project_id=world["alpha"].pk)) == {
        world["anna_alpha"],
        late,
    }
    assert list(time_entry_list(user=office, status=TimeEntry.Status.SUBMITTED)) == [late]
    assert set(time_entry_list(user=office, owner_id=world["bo"].pk)) == {world["bo_beta"], late}


def test_time_entry_list_never_widens_what_the_user_may_see(world):
    assert list(time_entry_list(user=world["bo"], owner_id=world["anna"].pk)) == []


def test_time_entry_list_joins_what_a_list_shows(world, django_assert_num_queries):
    office = admin_user()
    office.has_perm("timesheets.view_timeentry")  # warm the permission cache

    with django_assert_num_queries(1):
        rows = [
            (e.user.email, e.project.name, e.project.customer.name, e.work_type.name)
            for e in time_entry_list(user=office)
        ]
    assert len(rows) == 4
