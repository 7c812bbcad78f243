"""Choosing the Unimicro partner of a customer Tidsbro is master of (through the sandbox over
real HTTP): Tidsbro's values win on that first pairing and are sent, the number too; what Tidsbro
left empty takes Unimicro's value; no conflict opens."""

from __future__ import annotations

import pytest

from apps.customers.models import Customer
from apps.integrations import partners
from apps.integrations.models import Binding, Conflict, OutboxItem
from tests.integrations.unimicro.sync_world import World, no_kick, world

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def test_choosing_a_partner_sends_tidsbros_number_and_values_without_a_conflict(
    world: World, no_kick: None
) -> None:
    customer = Customer.objects.create(name="Havbris AS", number="50005", organisation_number="")
    erp = world.erp_customer(100004, name="Havbris A/S", org="987654321")

    binding = partners.binding_link(
        connection=world.connection,
        entity="customer",
        local_id=customer.pk,
        external_id=str(erp["ID"]),
    )
    world.push()

    assert not Conflict.objects.filter(binding=binding).exists()
    binding.refresh_from_db()
    assert binding.state == Binding.State.LINKED
    now = world.erp("Customer", erp["ID"], expand="Info")
    assert (str(now["CustomerNumber"]), now["Info"]["Name"]) == ("50005", "Havbris AS")
    customer.refresh_from_db()
    assert (customer.number, customer.organisation_number) == ("50005", "987654321")
    item = world.outbox("customer", customer.pk)
    assert (item.status, item.last_error) == (OutboxItem.Status.DONE, "")
    # The pull that reads it back is an echo: still no conflict, nothing changes here.
    world.pull(full=True)
    assert not Conflict.objects.filter(binding=binding).exists()
    customer.refresh_from_db()
    assert (customer.name, customer.number) == ("Havbris AS", "50005")
