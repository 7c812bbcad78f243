"""Employees, activities and projects kept in step with e-conomic's Projects service, end to
end: the engine, the production connector and client, the sandbox over real HTTP."""

from __future__ import annotations

import pytest

from apps.accounts.models import User
from apps.customers.models import Customer
from apps.integrations.connectors.economic import projects as erp_projects
from apps.integrations.models import Binding, Conflict
from apps.projects.models import Project
from apps.projects.services import project_archive, project_create, project_update
from apps.worktypes.models import WorkType
from apps.worktypes.services import work_type_create, work_type_update
from tests.accounts.factories import UserFactory
from tests.integrations.economic.flow_world import ProjectsWorld, moment, no_kick, world_projects

__all__ = ["no_kick", "world_projects"]  # fixtures

pytestmark = pytest.mark.usefixtures("no_kick")


def _customer(world: ProjectsWorld, number: int = 5001, name: str = "Havbris ApS") -> Customer:
    world.erp_customer(number, name=name)
    world.pull_type("customer")
    return Customer.objects.get(number=str(number))


# FIRST PULL
# ------------------------------------------------------------------------------
def test_the_first_pull_brings_employees_activities_and_projects(world_projects: ProjectsWorld):
    world = world_projects
    mette = UserFactory(email="mette@tidsbro.dk", first_name="Mette", last_name="Kjær")
    world.erp_customer(5001, name="Havbris ApS")
    world.erp_project(7001, name="Havbris – nyt lager", customer_number=5001)
    world.erp_project(7002, name="Intern udvikling", project_group_number=2, is_barred=True)
    world.erp_project(7003, name="Lukket sag", customer_number=5001, is_closed=True)

    world.pull_all(full=True)

    # Employees: linked by e-mail where Tidsbro has the person, else waiting to be mapped.
    assert world.bound("user", external_id=1).local_id == mette.pk
    anders = world.bound("user", external_id=2)
    assert anders.local_id is None and anders.state == Binding.State.REMOTE_ONLY
    assert anders.remote_values["email"] == "anders@tidsbro.dk"
    # Activities are work types, barred ones inactive.
    names = set(WorkType.objects.values_list("name", flat=True))
    assert {"Konsulenttimer", "Projektledelse", "Rejse", "Support", "Intern"} <= names
    # Projects with their numbers and customers; barred or closed = archived.
    lager = Project.objects.get(number=7001)
    assert lager.name == "Havbris – nyt lager" and lager.customer.number == "5001"
    assert lager.status == Project.Status.ACTIVE
    assert Project.objects.get(number=7002).status == Project.Status.ARCHIVED
    assert Project.objects.get(number=7003).status == Project.Status.ARCHIVED


def test_an_unchanged_run_is_one_request_per_type(world_projects: ProjectsWorld):
    world = world_projects
    world.erp_project(7001, name="Havbris – nyt lager")
    world.pull_all(full=True)
    world.pull_all()

    since = moment()
    world.pull_all()

    log = world.requests_since(since)
    assert [r.method for r in log] == ["GET"] * 4
    assert sum("/Employees" in r.path for r in log) == 1
    assert sum("/Activities" in r.path for r in log) == 1
    assert sum("/Projects" in r.path for r in log) == 1
    assert sum("/customers" in r.path for r in log) == 1


def test_an_incremental_pull_reads_only_changed_projects(world_projects: ProjectsWorld):
    world = world_projects
    for number in range(7001, 7006):
        world.erp_project(number, name=f"Projekt {number}")
    world.pull_type("project", full=True)
    world.erp_project_edit(7003, name="Projekt 7003 – omdøbt")

    since = moment()
    run = world.pull_type("project")

    (request,) = world.requests_to("/Projects", since)
    assert "lastUpdated" in request.path or run.fetched < 5
    assert Project.objects.get(number=7003).name == "Projekt 7003 – omdøbt"
    # The overlap reads the last hours again, but never the whole list.
    assert run.fetched <= 5
    assert run.updated == 1


# PUSH
# ------------------------------------------------------------------------------
def test_a_project_created_here_appears_in_e_conomic_with_its_customer_and_group(
    world_projects: ProjectsWorld,
):
    world = world_projects
    customer = _customer(world)
    project = project_create(data={"name": "Nyt lager", "customer": customer})

    world.push()

    binding = world.bound("project", local_id=project.pk)
    erp = world.erp_project_row(binding.external_id)
    assert erp.name == "Nyt lager"
    assert erp.customer_number == 5001
    assert erp.project_group_number == 1
    assert erp.is_barred is False
    project.refresh_from_db()
    assert project.number == erp.number


def test_archived_here_bars_in_e_conomic_and_barred_there_archives_here(
    world_projects: ProjectsWorld,
):
    world = world_projects
    world.erp_project(7001, name="Gammel sag")
    world.erp_project(7002, name="Anden sag")
    world.pull_type("project", full=True)

    project_archive(project=Project.objects.get(number=7001))
    world.push()
    assert world.erp_project_row(7001).is_barred is True

    world.erp_project_edit(7002, is_barred=True)
    world.pull_type("project")
    assert Project.objects.get(number=7002).status == Project.Status.ARCHIVED

    world.erp_project_edit(7002, is_barred=False)
    world.pull_type("project")
    assert Project.objects.get(number=7002).status == Project.Status.ACTIVE


def test_a_project_closed_in_e_conomic_cannot_be_reopened_from_here(world_projects: ProjectsWorld):
    world = world_projects
    world.erp_project(7001, name="Lukket", is_closed=True)
    world.pull_type("project", full=True)
    project = Project.objects.get(number=7001)
    assert project.status == Project.Status.ARCHIVED

    project_update(project=project, data={"status": Project.Status.ACTIVE})
    world.push()

    item = world.outbox_of("project", project.pk)
    assert "closed in e-conomic" in item.last_error
    assert world.erp_project_row(7001).is_closed is True


def test_edits_on_both_sides_merge_and_the_same_field_is_a_conflict(
    world_projects: ProjectsWorld,
):
    world = world_projects
    world.erp_project(7001, name="Fælles sag", description="Fra start")
    world.pull_type("project", full=True)
    project = Project.objects.get(number=7001)

    # Different fields: both changes survive on both sides.
    world.erp_project_edit(7001, description="Ændret i e-conomic")
    project_update(project=project, data={"name": "Fælles sag – omdøbt"})
    world.push()
    world.pull_type("project")
    project.refresh_from_db()
    erp = world.erp_project_row(7001)
    assert (project.name, project.description) == ("Fælles sag – omdøbt", "Ændret i e-conomic")
    assert (erp.name, erp.description) == ("Fælles sag – omdøbt", "Ændret i e-conomic")

    # The same field: a conflict, neither side overwritten.
    world.erp_project_edit(7001, name="Navn fra e-conomic")
    project_update(project=project, data={"name": "Navn fra Tidsbro"})
    world.push()
    world.pull_type("project")
    binding = world.bound("project", local_id=project.pk)
    conflict = Conflict.objects.get(binding=binding, resolved_at__isnull=True)
    assert conflict.field == "name"
    project.refresh_from_db()
    assert project.name == "Navn fra Tidsbro"
    assert world.erp_project_row(7001).name == "Navn fra e-conomic"


def test_a_project_changed_in_e_conomic_between_read_and_write_is_read_again_once(
    world_projects: ProjectsWorld,
):
    world = world_projects
    world.erp_project(7001, name="Kapløb", description="Før")
    connector = world.connector()
    try:
        record = erp_projects.fetch_one(connector, "project", "7001")
        assert record is not None
        # Someone saves the project in e-conomic after Tidsbro read it: its version moves.
        world.erp_project_edit(7001, description="Ændret imens")
        since = moment()
        erp_projects.update(connector, "project", "7001", {**record.values, "name": "Kapløb 2"})
    finally:
        connector.close()

    erp = world.erp_project_row(7001)
    assert (erp.name, erp.description) == ("Kapløb 2", "Ændret imens")
    methods = [(r.method, r.http_status) for r in world.requests_to("/Projects", since)]
    assert methods == [("PUT", 409), ("GET", 200), ("PUT", 204)]


def test_a_work_type_created_here_becomes_an_activity_in_the_chosen_group(
    world_projects: ProjectsWorld,
):
    world = world_projects
    world.pull_type("work_type", full=True)
    work_type = work_type_create(data={"name": "Arkitektbistand"})

    world.push()

    binding = world.bound("work_type", local_id=work_type.pk)
    activity = world.erp_activity(binding.external_id)
    assert activity.name == "Arkitektbistand"
    assert activity.group_number == 1 and activity.is_barred is False

    work_type_update(work_type=work_type, data={"is_active": False})
    world.push()
    assert world.erp_activity(binding.external_id).is_barred is True


def test_an_activity_barred_in_e_conomic_makes_the_work_type_inactive(
    world_projects: ProjectsWorld,
):
    world = world_projects
    world.pull_type("work_type", full=True)
    world.erp_activity_edit(3, is_barred=True)

    world.pull_type("work_type")

    local = WorkType.objects.get(pk=world.bound("work_type", external_id=3).local_id)
    assert local.is_active is False


def test_employees_are_never_written_to_e_conomic(world_projects: ProjectsWorld):
    world = world_projects
    world.pull_type("user", full=True)
    connector = world.connector()
    try:
        with pytest.raises(Exception) as caught:
            erp_projects.update(connector, "user", "1", {"name": "Andet navn"})
    finally:
        connector.close()
    assert "employees" in str(caught.value)
    assert User.objects.count() == 0
