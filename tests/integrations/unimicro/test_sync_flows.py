"""Tidsbro as the master, through the Unimicro sandbox over real HTTP (production client, real
login): customers made here appear there with the same number, a change made there to a field
Tidsbro masters is a conflict (neither side written over), projects carry their status,
work types find their product by number (never create one), users link by e-mail, and the
hourly poll and the eventplan webhooks bring Unimicro's changes."""

from __future__ import annotations

from typing import Any

import pytest

from apps.accounts.models import User
from apps.customers.models import Customer
from apps.customers.services import customer_create, customer_update
from apps.integrations.connectors.unimicro import webhooks as unimicro_webhooks
from apps.integrations.models import Binding, Conflict, OutboxItem, Watermark
from apps.integrations.partners import conflict_resolve
from apps.projects.services import project_archive, project_create
from apps.worktypes.models import WorkType
from apps.worktypes.services import work_type_create
from tests.integrations.unimicro.sync_world import COMPANY_1 as COMPANY
from tests.integrations.unimicro.sync_world import World, no_kick, world

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)

State = Binding.State


def linked_customer(world: World, **data: Any) -> Customer:
    """A customer made in Tidsbro and pushed: it exists in Unimicro with its number."""
    customer = customer_create(data={"name": "Havbris AS", "number": "50011", **data})
    world.push()
    return customer


def test_a_customer_made_in_tidsbro_appears_in_unimicro_with_the_same_number(
    world: World, no_kick: None
):
    customer = linked_customer(
        world, email="post@havbris.no", organisation_number="987654321", city="Tromsø"
    )
    made = world.erp_customer_by_number(50011)
    assert made is not None
    assert made["Info"]["Name"] == "Havbris AS"
    assert made["OrgNumber"] == "987654321"
    full = world.erp("Customer", made["ID"], expand="Info,Info.DefaultEmail,Info.InvoiceAddress")
    assert full["Info"]["DefaultEmail"]["EmailAddress"] == "post@havbris.no"
    assert full["Info"]["InvoiceAddress"]["City"] == "Tromsø"
    binding = world.binding(local_id=customer.pk)
    assert binding.state == State.LINKED and binding.external_id == str(made["ID"])


def test_a_customer_without_a_number_gets_unimicros_next_one(world: World, no_kick: None):
    customer = customer_create(data={"name": "Nummerløs AS", "number": ""})
    world.push()
    customer.refresh_from_db()
    assert customer.number and int(customer.number) >= 100000
    assert world.erp_customer_by_number(customer.number)["Info"]["Name"] == "Nummerløs AS"


def test_an_inactive_customer_is_deactivated_in_unimicro(world: World, no_kick: None):
    customer = linked_customer(world)
    customer_update(customer=customer, data={"is_active": False})
    world.push()
    assert world.erp_customer_by_number(50011)["StatusCode"] == 50001
    customer_update(customer=customer, data={"is_active": True})
    world.push()
    assert world.erp_customer_by_number(50011)["StatusCode"] == 30001


def test_a_change_made_in_unimicro_is_a_conflict_never_overwritten(world: World, no_kick: None):
    customer = linked_customer(world)
    world.pull()  # the echo of our create: nothing new
    made = world.erp_customer_by_number(50011)
    world.erp_update(
        "Customer", made["ID"], {"Info": {"ID": made["Info"]["ID"], "Name": "Havbris Fisk AS"}}
    )
    run = world.pull()
    assert run.conflicts == 1
    binding = world.binding(local_id=customer.pk)
    assert binding.state == State.CONFLICT
    conflict = Conflict.objects.get(binding=binding, resolved_at__isnull=True)
    assert (conflict.field, conflict.local_value, conflict.remote_value) == (
        "name",
        "Havbris AS",
        "Havbris Fisk AS",
    )
    # Neither side is touched until the office decides.
    world.push()
    customer.refresh_from_db()
    assert customer.name == "Havbris AS"
    assert world.erp_customer_by_number(50011)["Info"]["Name"] == "Havbris Fisk AS"
    # Pulled again: the same conflict, not a second one.
    assert world.pull().conflicts == 0
    # The office keeps Tidsbro's name: Unimicro gets it back.
    conflict_resolve(binding=binding, choices={"name": ("local", None)})
    world.push()
    assert world.erp_customer_by_number(50011)["Info"]["Name"] == "Havbris AS"


def test_a_tidsbro_edit_of_another_field_still_goes_out_beside_a_conflict(
    world: World, no_kick: None
):
    customer = linked_customer(world)
    made = world.erp_customer_by_number(50011)
    world.erp_update(
        "Customer", made["ID"], {"Info": {"ID": made["Info"]["ID"], "Name": "Annet navn"}}
    )
    customer_update(customer=customer, data={"organisation_number": "911222333"})
    world.push()
    after = world.erp_customer_by_number(50011)
    assert after["OrgNumber"] == "911222333"
    assert after["Info"]["Name"] == "Annet navn"  # the conflicting field is left as it is
    customer.refresh_from_db()
    assert customer.name == "Havbris AS"
    assert Conflict.objects.filter(binding__local_id=customer.pk, field="name").exists()


def test_a_project_goes_with_number_customer_and_status_and_archiving_follows(
    world: World, no_kick: None
):
    customer = linked_customer(world)
    project = project_create(data={"name": "Nettbutikk", "customer": customer})
    world.push()
    binding = world.binding("project", local_id=project.pk)
    erp = world.erp("Project", binding.external_id)
    assert erp["Name"] == "Nettbutikk"
    assert erp["ProjectCustomerID"] == int(world.binding(local_id=customer.pk).external_id)
    assert erp["StatusCode"] == 42203
    project.refresh_from_db()
    assert project.number == int(erp["ProjectNumber"])  # Unimicro's number comes back
    project_archive(project=project)
    world.push()
    assert world.erp("Project", binding.external_id)["StatusCode"] == 42205


def test_a_work_type_finds_its_product_by_number(world: World, no_kick: None):
    product = world.erp_create("Product", {"PartName": "1010", "Name": "Rådgivning"})
    work_type = work_type_create(
        data={"name": "Rådgivning", "product_number": "1010", "price": "1250.00"}
    )
    world.push()
    erp = world.erp("WorkType", world.binding("work_type", local_id=work_type.pk).external_id)
    assert erp["ProductID"] == product["ID"]
    assert float(erp["Price"]) == 1250.0


def test_a_work_type_whose_product_unimicro_lacks_is_refused_with_the_reason(
    world: World, no_kick: None
):
    products = len(world.erp_all("Product"))
    work_type = work_type_create(data={"name": "Kurs", "product_number": "9999"})
    world.push()
    item = world.outbox("work_type", work_type.pk)
    assert "no product with number 9999" in item.last_error
    assert item.status in (OutboxItem.Status.DEAD, OutboxItem.Status.PENDING)
    assert len(world.erp_all("Product")) == products  # never created
    assert not Binding.objects.filter(
        connection=world.connection, entity="work_type", local_id=work_type.pk
    ).exclude(external_id="")
    assert WorkType.objects.filter(pk=work_type.pk).exists()


def test_unimicro_users_link_to_tidsbro_users_by_email(world: World):
    kari = User.objects.create_user(email="kari@tidsbro.no", password="x", first_name="Kari")
    erp_kari = world.erp_create(
        "User", {"Email": "Kari@Tidsbro.no", "DisplayName": "Kari Nordmann"}
    )
    world.pull("user", full=True)
    binding = world.binding("user", external_id=str(erp_kari["ID"]))
    assert binding.local_id == kari.pk and binding.state == State.LINKED
    assert User.objects.count() >= 1  # nobody is created from Unimicro


def test_the_hourly_poll_picks_up_a_change_made_in_unimicro(world: World, no_kick: None):
    customer = linked_customer(world)
    world.pull(full=True)
    cursor = Watermark.objects.get(connection=world.connection, entity="customer").cursor
    assert cursor
    made = world.erp_customer_by_number(50011)
    world.erp_update("Customer", made["ID"], {"OrgNumber": "999888777"})
    run = world.pull(trigger="schedule")
    assert run.fetched >= 1
    conflict = Conflict.objects.get(binding__local_id=customer.pk, resolved_at__isnull=True)
    assert (conflict.field, conflict.remote_value) == ("organisation_number", "999888777")
    assert Watermark.objects.get(connection=world.connection, entity="customer").cursor >= cursor


def test_an_eventplan_call_brings_a_change_without_a_poll(
    world: World, no_kick: None, live_server: Any, settings: Any
):
    settings.TIDSBRO_BASE_URL = live_server.url
    settings.SANDBOX_UNIMICRO = {**settings.SANDBOX_UNIMICRO, "WEBHOOK_DELIVERY": "inline"}
    customer = linked_customer(world)
    plan = unimicro_webhooks.register(world.connection)
    world.connection.refresh_from_db()
    assert plan["ID"] == unimicro_webhooks.state_of(world.connection)["eventplan_id"]
    assert unimicro_webhooks.signing_key(world.connection)
    # Registering again repairs the same plan, never a second one.
    unimicro_webhooks.register(world.connection)
    assert len([p for p in world.erp_all("Eventplan") if p.get("Name") == "Tidsbro"]) == 1
    made = world.erp_customer_by_number(50011)
    world.erp_update(
        "Customer", made["ID"], {"Info": {"ID": made["Info"]["ID"], "Name": "Varslet AS"}}
    )
    conflict = Conflict.objects.get(binding__local_id=customer.pk, resolved_at__isnull=True)
    assert conflict.remote_value == "Varslet AS"


def test_a_task_goes_into_its_project_as_a_project_task(world: World, no_kick: None):
    from apps.tasks.services import task_create, task_update

    customer = linked_customer(world)
    project = project_create(data={"name": "Nettbutikk", "customer": customer})
    task = task_create(data={"project": project, "name": "Design", "description": "Skisser"})
    world.push()
    project_id = world.binding("project", local_id=project.pk).external_id
    erp = world.erp("ProjectTask", world.binding("task", local_id=task.pk).external_id)
    assert (erp["Name"], erp["Description"], erp["ProjectID"]) == (
        "Design",
        "Skisser",
        int(project_id),
    )
    task_update(task=task, data={"name": "Design og skisser"})
    world.push()
    assert world.erp("ProjectTask", erp["ID"])["Name"] == "Design og skisser"


def test_the_nightly_check_finds_a_customer_deleted_in_unimicro(world: World, no_kick: None):
    from apps.integrations.sync.engine import reconcile_entity
    from apps.sandbox.unimicro import store

    customer = linked_customer(world)
    made = world.erp_customer_by_number(50011)
    store.delete(COMPANY, "Customer", made["ID"], None)
    run = reconcile_entity(connection=world.connection, entity="customer", trigger="manual")
    assert run.updated == 1
    assert world.binding(local_id=customer.pk).state == State.MISSING_REMOTELY


def test_an_hourly_poll_with_nothing_new_is_one_request_per_type(world: World, no_kick: None):
    linked_customer(world)
    world.pull()
    for entity in ("customer", "project", "task", "work_type", "user"):
        run = world.pull(entity, trigger="schedule")
        assert run.requests == 1, entity
    again = world.pull("customer", trigger="schedule")
    assert (again.created, again.updated, again.conflicts) == (0, 0, 0)
