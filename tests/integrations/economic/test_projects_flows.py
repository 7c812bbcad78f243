"""Employees, activities and projects kept in step with e-conomic's Projects service, end to
end: the engine, the production connector and client, the sandbox over real HTTP."""

from __future__ import annotations

from typing import Any

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
    from datetime import timedelta

    from apps.sandbox.economic.resources import now_to_second

    world = world_projects
    for days, number in enumerate(range(7005, 7000, -1), start=6):
        # Changed in e-conomic 10 to 6 days ago.
        stamp = now_to_second() - timedelta(days=days)
        world.erp_project(number, name=f"Projekt {number}", last_updated=stamp)
    world.pull_type("project", full=True)
    world.erp_project_edit(7003, name="Projekt 7003 – omdøbt")

    since = moment()
    run = world.pull_type("project")

    assert len(world.requests_to("/Projects", since)) == 1
    # The changed project, and the one at the cursor (within the overlap); not the rest.
    assert (run.fetched, run.updated) == (2, 1)
    assert Project.objects.get(number=7003).name == "Projekt 7003 – omdøbt"
    assert Project.objects.get(number=7002).name == "Projekt 7002"


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


# USERS: the same mapping screen and suggestions as any system with users
# ------------------------------------------------------------------------------
def test_employees_are_suggested_by_e_mail_then_name_and_mapped_on_the_settings_screen(
    world_projects: ProjectsWorld, client
):
    from django.urls import reverse

    world = world_projects
    boss = UserFactory(
        email="boss@example.dk", first_name="Bo", last_name="Chef", is_superuser=True
    )
    boss.is_staff = True
    boss.save()
    sofie = UserFactory(email="sofie@tidsbro.dk", first_name="Sofie", last_name="Lund")
    anders = UserFactory(email="anders.h@example.dk", first_name="Anders", last_name="Holm")

    world.pull_type("user", full=True)

    # The same e-mail links at once; the same full name is a suggestion to accept.
    assert world.bound("user", external_id=3).local_id == sofie.pk
    assert world.bound("user", external_id=2).local_id is None
    client.force_login(boss)
    home = client.get(reverse("admin:index")).content.decode()
    assert 'id="unmapped-people"' in home and "Anders Holm" in home
    url = reverse("admin:integrations_connection_settings") + f"?connection={world.connection.pk}"
    page = client.get(url).content.decode()
    assert "User mapping" in page and "same name" in page

    accepted = client.post(url, {"accept": str(anders.pk)})
    assert accepted.status_code == 302
    assert world.bound("user", external_id=2).local_id == anders.pk
    # A later pull keeps the mapping made by hand.
    world.pull_type("user")
    assert world.bound("user", external_id=2).local_id == anders.pk


# LOST ANSWERS: never a second project
# ------------------------------------------------------------------------------
def _erp_projects_named(world: ProjectsWorld, name: str) -> list[Any]:
    from apps.sandbox.economic.models import Project as ErpProject

    return list(ErpProject.objects.filter(agreement=world.agreement, name=name))


def test_a_project_create_whose_answer_was_lost_leaves_one_project_on_each_side(
    world_projects: ProjectsWorld, settings: Any
):
    from apps.integrations.models import OutboxItem

    world = world_projects
    customer = _customer(world)
    settings.ECONOMIC_READ_TIMEOUT = 1.0
    project = project_create(data={"name": "Tabt svar", "customer": customer})
    # e-conomic stores the project, but its answer never arrives (the client times out).
    world.knobs(fault_rate=1.0, fault_hang=True, fault_http500=False, hang_seconds=2.5)
    world.push()
    world.knobs(fault_rate=0.0)
    assert world.outbox_of("project", project.pk).status == OutboxItem.Status.AMBIGUOUS
    assert len(_erp_projects_named(world, "Tabt svar")) == 1

    # A pull before the retry leaves e-conomic's copy to the retry (no second project here).
    world.pull_type("project")
    assert Project.objects.filter(name="Tabt svar").count() == 1

    world.push()

    [erp] = _erp_projects_named(world, "Tabt svar")
    assert world.bound("project", local_id=project.pk).external_id == str(erp.number)
    project.refresh_from_db()
    assert project.number == erp.number
    world.pull_type("project")
    assert Project.objects.filter(name="Tabt svar").count() == 1


def test_a_lost_work_type_create_is_found_by_name_not_made_twice(
    world_projects: ProjectsWorld, settings: Any
):
    from apps.integrations.models import OutboxItem
    from apps.sandbox.economic.models import Activity
    from tests.integrations.economic.hours_world import HoursWorld

    world = world_projects
    world.pull_type("work_type", full=True)
    settings.ECONOMIC_READ_TIMEOUT = 1.0
    work_type = work_type_create(data={"name": "Tilsyn"})
    # The next free number is read; e-conomic stores the activity but its answer is lost.
    HoursWorld.faults(world, [None, "hang"], rate=0.5)  # type: ignore[arg-type]
    world.knobs(hang_seconds=2.5)
    world.push()
    world.knobs(fault_rate=0.0)
    item = world.outbox_of("work_type", work_type.pk)
    assert item.status == OutboxItem.Status.AMBIGUOUS
    [number] = Activity.objects.filter(agreement=world.agreement, name="Tilsyn").values_list(
        "number", flat=True
    )

    world.push()

    assert list(
        Activity.objects.filter(agreement=world.agreement, name="Tilsyn").values_list(
            "number", flat=True
        )
    ) == [number]
    assert world.bound("work_type", local_id=work_type.pk).external_id == str(number)
