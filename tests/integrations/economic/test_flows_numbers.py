"""Create partner with the number the office types (CleanManager), against the e-conomic
sandbox: the number reaches both systems; a number taken on either side is refused with the
reason; the offered numbers are the record's own or the next free ones."""

from __future__ import annotations

import pytest

from apps.core.exceptions import ApplicationError
from apps.customers.models import Customer
from apps.customers.services import customer_create
from apps.integrations import partners
from apps.integrations.models import Binding, OutboxItem
from tests.integrations.economic.flow_world import World, no_kick, world

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def local_only(**values: object) -> Customer:
    data = {"name": "Fjordlys Rengøring", "city": "Aarhus"}
    data.update(values)
    customer = customer_create(data=data)
    OutboxItem.objects.filter(local_id=customer.pk).delete()
    return customer


def only_in_economic(world: World, number: int, name: str) -> Binding:
    world.erp_customer(number, name=name)
    return Binding.objects.create(
        connection=world.connection,
        entity="customer",
        external_id=str(number),
        state=Binding.State.REMOTE_ONLY,
        remote_values={"name": name, "number": str(number)},
    )


def test_the_typed_number_is_the_customers_number_in_both_systems(
    world: World, no_kick: None
) -> None:
    customer = local_only(number="17")

    partners.create_partner_remote(
        connection=world.connection,
        entity="customer",
        local_ids=[customer.pk],
        numbers={customer.pk: "8101"},
    )
    world.push()

    assert world.erp(8101).name == "Fjordlys Rengøring"
    customer.refresh_from_db()
    assert customer.number == "8101"
    assert world.binding(local_id=customer.pk).external_id == "8101"


def test_a_number_another_tidsbro_customer_has_is_refused_with_the_reason(
    world: World, no_kick: None
) -> None:
    local_only(name="Havbris", number="8102")
    customer = local_only()

    with pytest.raises(ApplicationError, match="8102 is already a customer number in Tidsbro"):
        partners.create_partner_remote(
            connection=world.connection,
            entity="customer",
            local_ids=[customer.pk],
            numbers={customer.pk: "8102"},
        )

    assert not OutboxItem.objects.filter(local_id=customer.pk).exists()


def test_a_number_e_conomic_has_is_refused_with_the_reason(world: World, no_kick: None) -> None:
    only_in_economic(world, 8103, "Nordhavn Kontor")
    customer = local_only()

    with pytest.raises(ApplicationError, match="8103 is already a customer number in e-conomic"):
        partners.create_partner_remote(
            connection=world.connection,
            entity="customer",
            local_ids=[customer.pk],
            numbers={customer.pk: "8103"},
        )


def test_the_same_number_typed_twice_is_refused(world: World, no_kick: None) -> None:
    a, b = local_only(name="A"), local_only(name="B")

    with pytest.raises(ApplicationError, match="typed for several records: 8104"):
        partners.create_partner_remote(
            connection=world.connection,
            entity="customer",
            local_ids=[a.pk, b.pk],
            numbers={a.pk: "8104", b.pk: "8104"},
        )


def test_create_in_tidsbro_keeps_e_conomics_number_which_cannot_change_there(
    world: World, no_kick: None
) -> None:
    kept = only_in_economic(world, 8105, "Nordhavn Kontor")
    other = only_in_economic(world, 8106, "Sydhavn Kontor")

    with pytest.raises(ApplicationError, match="by its number 8106, which cannot change"):
        partners.create_partner_local(
            connection=world.connection,
            entity="customer",
            bindings=[other],
            numbers={other.pk: "9106"},
        )
    created = partners.create_partner_local(
        connection=world.connection, entity="customer", bindings=[kept], numbers={kept.pk: "8105"}
    )

    assert [c.number for c in created] == ["8105"]
    assert not OutboxItem.objects.exists()  # nothing to send back
    offered = partners.proposed_numbers(
        connection=world.connection,
        entity="customer",
        records=[(other.pk, "8106", None, "8106")],
        keep=False,
    )
    assert offered == {other.pk: "8106"}


def test_create_in_tidsbro_refuses_a_number_tidsbro_has(world: World, no_kick: None) -> None:
    local_only(name="Havbris", number="8107")
    binding = only_in_economic(world, 8107, "Nordhavn Kontor")

    with pytest.raises(ApplicationError, match="8107 is already a customer number in Tidsbro"):
        partners.create_partner_local(
            connection=world.connection,
            entity="customer",
            bindings=[binding],
            numbers={binding.pk: "8107"},
        )

    assert not Customer.objects.filter(name="Nordhavn Kontor").exists()


def test_offered_numbers_are_the_own_when_free_else_the_next_free_ones(
    world: World, no_kick: None
) -> None:
    only_in_economic(world, 40, "Nordhavn Kontor")
    a = local_only(name="A", number="12")
    b = local_only(name="B", number="40")  # e-conomic has 40
    c = local_only(name="C")

    offered = partners.proposed_numbers(
        connection=world.connection,
        entity="customer",
        records=[(x.pk, x.number, x.pk, "") for x in (a, b, c)],
    )
    fresh = partners.proposed_numbers(
        connection=world.connection,
        entity="customer",
        records=[(x.pk, x.number, x.pk, "") for x in (a, b, c)],
        keep=False,
    )

    assert offered == {a.pk: "12", b.pk: "41", c.pk: "42"}
    assert fresh == {a.pk: "41", b.pk: "42", c.pk: "43"}
