"""Customers deleted in e-conomic, found by the nightly reconciliation, and e-conomic reusing
their numbers: end to end against the sandbox over real HTTP."""

from __future__ import annotations

import pytest

from apps.customers.models import Customer
from apps.integrations.models import Binding
from apps.sandbox.economic.models import Customer as ErpCustomer
from tests.integrations.economic.flow_world import World, no_kick, world

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def delete_in_e_conomic(world: World, number: int) -> None:
    ErpCustomer.objects.filter(agreement=world.agreement, customer_number=number).delete()


def test_a_customer_deleted_in_e_conomic_is_found_by_the_reconciliation(world: World) -> None:
    world.erp_customer(701, name="Solsikken Børnehave")
    world.erp_customer(702, name="Lærkereden")
    world.pull()
    delete_in_e_conomic(world, 701)

    run = world.reconcile()

    assert run.requests == 1  # every number in one page
    gone = Customer.objects.get(number="701")
    assert world.binding(local_id=gone.pk).state == Binding.State.MISSING_REMOTELY
    kept = Customer.objects.get(number="702")
    assert world.binding(local_id=kept.pk).state == Binding.State.LINKED
    assert Customer.objects.filter(pk=gone.pk).exists()  # never deleted here


def test_a_reused_number_never_pairs_the_deleted_customer_with_the_new_one(
    world: World,
) -> None:
    world.erp_customer(703, name="Solsikken Børnehave", corporate_identification_number="31112223")
    world.pull()
    old = Customer.objects.get(number="703")
    delete_in_e_conomic(world, 703)
    world.reconcile()
    # e-conomic hands the freed number to a different customer.
    world.erp_customer(
        703, name="Bageriet Ved Åen", corporate_identification_number="40506070", city="Ry"
    )

    world.reconcile()  # the number is back: read again, and refused
    world.pull()  # the incremental feed shows it too: refused again

    old.refresh_from_db()
    assert old.name == "Solsikken Børnehave"
    assert old.city == ""
    binding = world.binding(local_id=old.pk)
    assert binding.state == Binding.State.MISSING_REMOTELY
    assert "703" in binding.flagged and "Bageriet Ved Åen" in binding.flagged
    assert not Customer.objects.filter(name="Bageriet Ved Åen").exists()


def test_a_push_never_writes_over_the_customer_that_got_a_reused_number(
    world: World, no_kick: None
) -> None:
    from apps.customers.services import customer_create, customer_update

    customer = customer_create(
        data={"name": "Kildevæld Kro", "number": "704", "email": "kro@kildevaeld.dk"}
    )
    world.push()
    delete_in_e_conomic(world, 704)
    world.erp_customer(
        704, name="Tømrer Hansen", corporate_identification_number="22334455", email="th@t.dk"
    )

    customer_update(customer=customer, data={"city": "Vejle"})
    world.push()

    erp = world.erp(704)
    assert (erp.name, erp.city) == ("Tømrer Hansen", "")
    binding = world.binding(local_id=customer.pk)
    assert binding.state == Binding.State.MISSING_REMOTELY
    assert "Tømrer Hansen" in binding.flagged


def test_a_renamed_customer_is_still_the_same_customer(world: World) -> None:
    world.erp_customer(705, name="Aarhus Vinduespolering", email="info@avp.dk")
    world.pull()

    world.erp_edit(705, name="AVP Vinduespolering ApS")
    world.pull()

    customer = Customer.objects.get(number="705")
    assert customer.name == "AVP Vinduespolering ApS"
    assert world.binding(local_id=customer.pk).flagged == ""
