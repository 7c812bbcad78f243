"""CleanManager's steps with e-conomic customers, through the sync center's services, end to
end against the sandbox: create partner with a typed number, choose partner, settle the
conflict by choosing values, no sync and undo, stop the sync and partner again later."""

from __future__ import annotations

import pytest

from apps.customers.models import Customer
from apps.customers.services import customer_create, customer_update
from apps.integrations import partners
from apps.integrations.models import Binding, Conflict, OutboxItem
from tests.integrations.economic.flow_world import World, no_kick, world

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def local_only(**values: object) -> Customer:
    """A customer made in Tidsbro before the connection (no partner yet, nothing queued)."""
    data = {"name": "Fjordlys Rengøring", "city": "Aarhus"}
    data.update(values)
    customer = customer_create(data=data)
    OutboxItem.objects.filter(local_id=customer.pk).delete()
    return customer


def test_create_partner_in_e_conomic_with_the_number_the_office_types(
    world: World, no_kick: None
) -> None:
    customer = local_only()

    customer_update(customer=customer, data={"number": "8001"})  # typed in the form
    partners.create_partner_remote(
        connection=world.connection, entity="customer", local_ids=[customer.pk]
    )
    world.push()

    assert world.erp(8001).name == "Fjordlys Rengøring"
    assert world.binding(local_id=customer.pk).external_id == "8001"


def test_choose_partner_then_settle_the_differences_by_choosing_values(
    world: World, no_kick: None
) -> None:
    customer = local_only(name="Fjordlys", city="Aarhus", email="info@fjordlys.dk")
    world.erp_customer(8002, name="Fjordlys ApS", city="Aarhus C", email="info@fjordlys.dk")

    binding = partners.binding_link(
        connection=world.connection, entity="customer", local_id=customer.pk, external_id="8002"
    )

    assert binding.state == Binding.State.CONFLICT
    fields = set(
        Conflict.objects.filter(binding=binding, resolved_at__isnull=True).values_list(
            "field", flat=True
        )
    )
    assert {"name", "city"} <= fields and "email" not in fields
    choices = {f: (partners.REMOTE, None) for f in fields}
    choices["city"] = (partners.LOCAL, None)  # the office clicks Tidsbro's city, e-conomic's rest
    partners.conflict_resolve(binding=binding, choices=choices)
    world.push()

    customer.refresh_from_db()
    erp = world.erp(8002)
    assert (customer.name, customer.city) == ("Fjordlys ApS", "Aarhus")
    assert (erp.name, erp.city) == ("Fjordlys ApS", "Aarhus")
    assert world.binding(local_id=customer.pk).state == Binding.State.LINKED


def test_no_sync_leaves_both_sides_alone_until_it_is_undone(world: World, no_kick: None) -> None:
    customer = local_only(number="8003", city="")
    partners.create_partner_remote(
        connection=world.connection, entity="customer", local_ids=[customer.pk]
    )
    world.push()
    binding = world.binding(local_id=customer.pk)

    partners.binding_exclude(
        connection=world.connection, entity="customer", local_ids=[customer.pk]
    )
    customer_update(customer=customer, data={"city": "Randers"})
    world.erp_edit(8003, name="Fjordlys Rengøring A/S")
    world.push()
    world.pull()

    customer.refresh_from_db()
    assert world.erp(8003).city == ""  # Tidsbro's change stayed here
    assert customer.name == "Fjordlys Rengøring"  # e-conomic's change stayed there

    binding.refresh_from_db()
    partners.binding_include(connection=world.connection, bindings=[binding])
    world.push()
    world.pull(full=True)

    customer.refresh_from_db()
    erp = world.erp(8003)
    assert (erp.city, customer.city) == ("Randers", "Randers")
    assert (erp.name, customer.name) == ("Fjordlys Rengøring A/S", "Fjordlys Rengøring A/S")


def test_stop_the_sync_and_partner_again_later(world: World, no_kick: None) -> None:
    customer = local_only(number="8004", city="")
    partners.create_partner_remote(
        connection=world.connection, entity="customer", local_ids=[customer.pk]
    )
    world.push()

    partners.binding_unlink(binding=world.binding(local_id=customer.pk))
    customer_update(customer=customer, data={"city": "Viborg"})
    world.push()
    assert world.erp(8004).city == ""  # not synced while stopped

    binding = partners.binding_link(
        connection=world.connection, entity="customer", local_id=customer.pk, external_id="8004"
    )
    # The city differs now (Viborg here, none there): the office keeps Tidsbro's.
    assert binding.state == Binding.State.CONFLICT
    partners.conflict_resolve(binding=binding, choices={"city": (partners.LOCAL, None)})
    world.push()

    assert world.erp(8004).city == "Viborg"
    assert world.binding(local_id=customer.pk).state == Binding.State.LINKED
