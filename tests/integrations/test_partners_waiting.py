"""An hour waits for its project, a project for its customer: against the 24SO sandbox.

The hour on a project only in Tidsbro was sent with the local number ("Project 7012 does
not exist"), and a project was created in 24SO without its customer. Now the hour waits
(pending, no attempt, no error) and says what for; the project is created first where
Tidsbro may create projects, and only with its customer partnered.
"""

from __future__ import annotations

import pytest

from apps.core.exceptions import ApplicationError
from apps.customers.models import Customer
from apps.integrations import partners
from apps.integrations.adapters.hours import hour_ref
from apps.integrations.models import Binding, Master, OutboxItem
from apps.integrations.sync import outbox, waiting
from apps.projects.models import Project
from apps.sandbox.twentyfourseven.models import Company as SandboxCompany
from apps.sandbox.twentyfourseven.models import Project as SandboxProject
from apps.sandbox.twentyfourseven.models import RequestLog
from tests.integrations.twentyfourseven.test_push_world import (
    FJORDLYS,
    World,
    approve,
    erp_hours,
    no_kick,
    register,
    world,
)
from tests.projects.factories import ProjectMemberFactory

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def _local_project(world: World, *, customer: Customer | None = None) -> Project:
    """A project only in Tidsbro, with a local number 24SO does not know (as in the demo);
    the mapped colleague is a member (only members register hours)."""
    project = Project.objects.create(
        name="Kundeportal 2027",
        number=7012,
        customer=customer or world.customer,
        default_work_type=world.work_type,
        needs_approval=False,
    )
    ProjectMemberFactory(project=project, user=world.mapped)
    return project


def _hour_item(entry) -> OutboxItem:
    return OutboxItem.objects.get(entity="hour", local_id=entry.pk)


def test_an_hour_on_a_project_only_in_tidsbro_waits_and_its_project_is_created_first(
    world: World, no_kick: None
) -> None:
    project = _local_project(world)
    entry = approve(world, register(world, project=project))
    connector = world.connector()

    outbox.push_pending(connection=world.connection, connector=connector)

    item = _hour_item(entry)
    # Waiting, not failing: no attempt counted, no error, nothing sent with number 7012.
    assert (item.status, item.attempts) == (OutboxItem.Status.PENDING, 0)
    assert waiting.parse(item.last_error) == ("project", project.pk)
    assert not RequestLog.objects.filter(operation="SaveHour").exists()
    assert not SandboxProject.objects.filter(project_id=7012).exists()
    # The project is queued for creation in 24SO.
    assert OutboxItem.objects.filter(entity="project", local_id=project.pk).exists()

    # The next run creates the project; that releases the hour, which the kick pushes.
    outbox.push_pending(connection=world.connection, connector=connector)
    assert _hour_item(entry).last_error == ""
    outbox.push_pending(connection=world.connection, connector=connector)

    binding = Binding.objects.get(
        connection=world.connection, entity="project", local_id=project.pk
    )
    erp_project = SandboxProject.objects.get(project_id=int(binding.external_id))
    assert erp_project.customer_id == world.erp_project.customer_id
    [hour] = erp_hours(hour_ref(entry.pk))  # exactly once, on the new project
    assert hour.project_id == erp_project.project_id
    item = _hour_item(entry)
    assert (item.status, item.last_error, item.attempts) == (OutboxItem.Status.DONE, "", 0)


def test_a_waiting_hour_goes_when_its_project_is_linked_by_hand(
    world: World, no_kick: None
) -> None:
    # The ERP owns projects: Tidsbro may not create one, the office links it.
    world.connection.masters = {"project": Master.ERP}
    world.connection.save(update_fields=["masters"])
    project = _local_project(world)
    entry = approve(world, register(world, project=project))
    connector = world.connector()

    outbox.push_pending(connection=world.connection, connector=connector)

    assert waiting.parse(_hour_item(entry).last_error) == ("project", project.pk)
    assert not OutboxItem.objects.filter(entity="project").exists()  # not created

    bound = Binding.objects.filter(entity="project").values_list("external_id", flat=True)
    erp_project = (
        SandboxProject.objects.filter(client__client_id=FJORDLYS, status__active=True)
        .exclude(project_id__in=[int(i) for i in bound])
        .order_by("project_id")
        .first()
    )
    partners.binding_link(
        connection=world.connection,
        entity="project",
        local_id=project.pk,
        external_id=str(erp_project.project_id),
    )
    assert _hour_item(entry).last_error == ""  # released at once, no 15-minute wait
    outbox.push_pending(connection=world.connection, connector=connector)

    [hour] = erp_hours(hour_ref(entry.pk))
    assert hour.project_id == erp_project.project_id
    assert _hour_item(entry).status == OutboxItem.Status.DONE


def test_a_project_is_never_created_in_24so_without_its_customer(
    world: World, no_kick: None
) -> None:
    stranger = Customer.objects.create(name="Ny Kunde AS", number="90001")
    project = _local_project(world, customer=stranger)

    with pytest.raises(ApplicationError, match="Ny Kunde AS"):
        partners.create_partner_remote(
            connection=world.connection, entity="project", local_ids=[project.pk]
        )

    # Queued anyway (e.g. by an edit), the project waits for its customer instead.
    outbox.enqueue(connection=world.connection, entity="project", local_id=project.pk)
    connector = world.connector()
    outbox.push_pending(connection=world.connection, connector=connector)
    item = OutboxItem.objects.get(entity="project", local_id=project.pk)
    assert (item.status, item.attempts) == (OutboxItem.Status.PENDING, 0)
    assert waiting.parse(item.last_error) == ("customer", stranger.pk)
    assert not SandboxProject.objects.filter(name="Kundeportal 2027").exists()

    # Partnering the customer releases the project, which is created with it.
    bound = Binding.objects.filter(entity="customer").values_list("external_id", flat=True)
    erp_customer = (
        SandboxCompany.objects.filter(client__client_id=FJORDLYS, active=True)
        .exclude(company_id__in=[int(i) for i in bound])
        .order_by("company_id")
        .first()
    )
    partners.binding_link(
        connection=world.connection,
        entity="customer",
        local_id=stranger.pk,
        external_id=str(erp_customer.company_id),
    )
    outbox.push_pending(connection=world.connection, connector=connector)
    [erp] = SandboxProject.objects.filter(name="Kundeportal 2027")
    assert erp.customer_id == erp_customer.company_id


def test_a_waiting_hour_goes_with_the_next_push_when_a_pull_linked_its_project(
    world: World, no_kick: None
) -> None:
    world.connection.masters = {"project": Master.ERP}
    world.connection.save(update_fields=["masters"])
    project = _local_project(world)
    entry = approve(world, register(world, project=project))
    connector = world.connector()
    outbox.push_pending(connection=world.connection, connector=connector)
    assert waiting.parse(_hour_item(entry).last_error) == ("project", project.pk)

    # A pull links the project (as the engine does, without going through the outbox).
    bound = Binding.objects.filter(entity="project").values_list("external_id", flat=True)
    erp_project = (
        SandboxProject.objects.filter(client__client_id=FJORDLYS, status__active=True)
        .exclude(project_id__in=[int(i) for i in bound])
        .order_by("project_id")
        .first()
    )
    Binding.objects.create(
        connection=world.connection,
        entity="project",
        local_id=project.pk,
        external_id=str(erp_project.project_id),
    )
    outbox.push_pending(connection=world.connection, connector=connector)  # no 15-minute wait

    [hour] = erp_hours(hour_ref(entry.pk))
    assert hour.project_id == erp_project.project_id
