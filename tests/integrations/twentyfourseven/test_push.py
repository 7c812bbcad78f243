"""push.py against the 24SO sandbox over real HTTP: projects, tasks, hours, lookups."""

from __future__ import annotations

import pytest

from apps.integrations.connectors.base import Rejected
from apps.integrations.connectors.twentyfourseven import mappers, push
from apps.integrations.registry import adapter_for
from apps.projects.services import project_create, project_update
from apps.sandbox.twentyfourseven.models import Hour as SandboxHour
from apps.sandbox.twentyfourseven.models import Project as SandboxProject
from apps.sandbox.twentyfourseven.models import RequestLog
from apps.sandbox.twentyfourseven.models import Task as SandboxTask
from tests.integrations.twentyfourseven.test_push_world import (
    API_CONTACT,
    MAPPED_CONTACT,
    World,
    no_kick,
    world,
)

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def project_values(world: World, **changes: object) -> dict:
    values = {
        "name": "Kundeportal 2027",
        "customer": world.erp_project.customer_id,
        "status": "active",
        "start_date": "2026-12-01",
        "end_date": "2027-06-30",
        "description": "Ny portal",
        "default_work_type": 2,
        "needs_approval": True,
    }
    values.update(changes)
    return values


def hour_values(**changes: object) -> dict:
    values = {
        "date": "2026-11-16",
        "start": None,
        "hours": "2.50",
        "billable_hours": "2.00",
        "project": None,
        "task": None,
        "work_type": 1,
        "user": MAPPED_CONTACT,
        "description": "Workshop",
        "internal_note": "",
        "ref": "TB-9001",
        "flagged": "",
    }
    values.update(changes)
    return values


def test_a_project_created_here_appears_in_24so_and_gets_its_number_back(
    world: World, no_kick: None
) -> None:
    project = project_create(data={"name": "Kundeportal 2027", "customer": world.customer})
    assert project.number is None
    connector = world.connector()

    external_id, assigned = push.create(connector, "project", project_values(world))
    # What the engine does with what came back: the project adapter stores the number.
    adapter_for("project").after_push(world.connection, project, assigned)

    erp = SandboxProject.objects.get(project_id=int(external_id))
    assert erp.name == "Kundeportal 2027"
    assert erp.customer_id == world.erp_project.customer_id
    assert erp.description == "Ny portal"
    assert erp.work_type_id == 2
    assert erp.status.active
    assert assigned == {"number": erp.project_id}
    project.refresh_from_db()
    assert project.number == erp.project_id
    assert project.number_display == str(erp.project_id)


def test_a_project_edited_here_is_updated_in_24so_keeping_what_we_do_not_carry(
    world: World,
) -> None:
    connector = world.connector()
    external_id, _assigned = push.create(connector, "project", project_values(world))
    SandboxProject.objects.filter(project_id=int(external_id)).update(
        version=SandboxProject.RIGHTS_MANAGED
    )

    push.update(
        connector,
        "project",
        external_id,
        project_values(world, name="Kundeportal 2028", status="archived", description="Ny"),
    )

    erp = SandboxProject.objects.get(project_id=int(external_id))
    assert erp.name == "Kundeportal 2028"
    assert erp.description == "Ny"
    assert not erp.status.active  # archived here = an inactive status there
    assert erp.version == SandboxProject.RIGHTS_MANAGED  # not ours: kept


def test_archiving_without_an_inactive_status_in_24so_is_refused_with_the_reason(
    world: World,
) -> None:
    from apps.sandbox.twentyfourseven.models import ProjectStatus

    connector = world.connector()
    external_id, _assigned = push.create(connector, "project", project_values(world))
    ProjectStatus.objects.update(active=True)  # this client has no inactive status

    with pytest.raises(Rejected, match="no inactive project status"):
        push.update(
            world.connector(), "project", external_id, project_values(world, status="archived")
        )

    assert SandboxProject.objects.get(project_id=int(external_id)).status.active


def test_a_project_found_after_an_ambiguous_create_gets_its_number_without_a_request(
    world: World,
) -> None:
    connector = world.connector()
    external_id, assigned = push.create(connector, "project", project_values(world))
    before = connector.requests

    found = push.found_values(connector, "project", external_id, project_values(world))

    assert found == assigned == {"number": int(external_id)}
    assert connector.requests == before


def test_find_recognises_a_project_an_ambiguous_create_made(world: World) -> None:
    connector = world.connector()
    values = project_values(world, name="Unik prosjekt")
    assert push.find(connector, "project", values) is None

    external_id, _assigned = push.create(connector, "project", values)

    assert push.find(connector, "project", values) == external_id


def test_a_task_gets_sensible_dates_when_it_has_none(world: World) -> None:
    connector = world.connector()
    rights = world.erp_rights_project

    task_id, assigned = push.create(
        connector,
        "task",
        {"name": "Analyse 2", "project": rights.project_id, "priority": 3, "assignees": [2, 3]},
    )

    task = SandboxTask.objects.get(task_id=int(task_id))
    assert assigned == {}
    assert task.project_id == rights.pk
    assert task.priority == 2
    assert task.date_stop > task.date_start
    assert sorted(task.participants.values_list("contact_id", flat=True)) == [2, 3]

    push.update(
        connector,
        "task",
        task_id,
        {"name": "Analyse 3", "project": rights.project_id, "end_date": "2027-01-31"},
    )
    task.refresh_from_db()
    assert task.name == "Analyse 3"
    assert mappers.to_date(task.date_stop) == "2027-01-31"  # local midnight, like the pull reads


def test_an_hour_is_one_save_and_find_knows_it_by_its_token(world: World) -> None:
    connector = world.connector()
    connector.client.login()
    values = hour_values(project=world.erp_project.project_id)
    before = RequestLog.objects.count()

    hour_id, assigned = push.create(connector, "hour", values)

    assert RequestLog.objects.count() - before == 1
    assert assigned == {"flagged": ""}
    hour = SandboxHour.objects.get(hour_id=int(hour_id))
    assert hour.total_hours == 2.5 and hour.total_hours_invoice == 2.0
    assert hour.description == "Workshop [TB-9001]"
    assert push.find(connector, "hour", values) == hour_id
    # Another hour of the same person that day is not mistaken for it.
    assert push.find(connector, "hour", {**values, "ref": "TB-9002"}) is None
    assert push.find(connector, "hour", {**values, "hours": "3.00"}) is None


def test_an_unmapped_users_hour_goes_on_the_integration_user_and_says_so(world: World) -> None:
    connector = world.connector()

    hour_id, assigned = push.create(
        connector,
        "hour",
        hour_values(project=world.erp_project.project_id, user=None, flagged="Unmapped"),
    )

    assert SandboxHour.objects.get(hour_id=int(hour_id)).contact_id == API_CONTACT
    assert assigned == {"flagged": "Unmapped"}


def test_an_unmapped_user_without_integration_user_is_refused(world: World) -> None:
    world.connection.settings = {**world.connection.settings, "integration_user_external_id": ""}

    with pytest.raises(Rejected, match="not mapped"):
        push.create(
            world.connector(), "hour", hour_values(project=world.erp_project.project_id, user=None)
        )


def test_more_than_255_hours_is_refused_by_24so(world: World) -> None:
    with pytest.raises(Rejected, match="255"):
        push.create(
            world.connector(),
            "hour",
            hour_values(project=world.erp_project.project_id, hours="300.00"),
        )


def test_an_hour_whose_project_is_not_in_24so_yet_waits(world: World) -> None:
    with pytest.raises(push.NotReady):
        push.create(world.connector(), "hour", hour_values(project=None))


def test_delete_removes_the_hour_and_a_gone_hour_counts_as_deleted(world: World) -> None:
    connector = world.connector()
    hour_id, _assigned = push.create(
        connector, "hour", hour_values(project=world.erp_project.project_id)
    )

    push.delete(connector, "hour", hour_id)
    push.delete(connector, "hour", hour_id)

    assert not SandboxHour.objects.filter(hour_id=int(hour_id)).exists()


def test_an_approved_hour_in_24so_cannot_be_deleted(world: World) -> None:
    connector = world.connector()
    hour_id, _assigned = push.create(
        connector, "hour", hour_values(project=world.erp_project.project_id)
    )
    SandboxHour.objects.filter(hour_id=int(hour_id)).update(approved="True")

    with pytest.raises(Rejected, match="approved or locked"):
        push.delete(connector, "hour", hour_id)


def test_customers_are_never_pushed(world: World) -> None:
    with pytest.raises(Rejected):
        push.create(world.connector(), "customer", {"name": "X"})


def test_a_local_project_goes_through_the_outbox_and_edits_follow(world: World) -> None:
    # End to end: service → hook → outbox → push (kicked after commit) → project adapter.
    project = project_create(
        data={"name": "Intranett 2027", "customer": world.customer, "description": "v1"}
    )

    project.refresh_from_db()
    assert project.number is not None
    erp = SandboxProject.objects.get(project_id=project.number)
    assert erp.name == "Intranett 2027"
    assert erp.customer_id == world.erp_project.customer_id

    project_update(project=project, data={"name": "Intranett 2028", "description": "v2"})

    erp.refresh_from_db()
    assert (erp.name, erp.description) == ("Intranett 2028", "v2")
    assert SandboxProject.objects.filter(name__startswith="Intranett 20").count() == 1
