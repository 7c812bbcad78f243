"""Choosing the Unimicro partner of a customer Tidsbro is master of (through the sandbox over
real HTTP): Tidsbro's values win on that first pairing and are sent, the number too; what Tidsbro
left empty takes Unimicro's value; no conflict opens."""

from __future__ import annotations

import pytest
from django.urls import reverse

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


def test_the_sync_center_says_unimicro_takes_tidsbros_number_before_the_partner_is_chosen(
    world: World, no_kick: None, client, admin_user
) -> None:
    customer = Customer.objects.create(name="Havbris AS", number="50005")
    erp = world.erp_customer(100004, name="Havbris AS")
    client.force_login(admin_user)
    page = reverse("admin:integrations_sync_center_partner_local", args=["customer", customer.pk])

    html = client.get(page).content.decode()

    assert "takes Tidsbro&#x27;s number" in html
    assert "No conflict is opened." in html

    answer = client.post(page, {"choice": "_typed", "external_id": str(erp["ID"])})

    assert answer.status_code == 302
    assert "conflict" not in answer["Location"]
    binding = world.binding(local_id=customer.pk)
    assert binding.state == Binding.State.LINKED
    assert not Conflict.objects.filter(binding=binding).exists()
    world.push()
    assert str(world.erp("Customer", erp["ID"])["CustomerNumber"]) == "50005"
