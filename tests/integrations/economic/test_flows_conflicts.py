"""Both sides change the same customer: conflicts, end to end against the e-conomic sandbox."""

from __future__ import annotations

import pytest

from apps.customers.services import customer_update
from apps.integrations.models import Binding, Conflict
from tests.integrations.economic.flow_world import World, no_kick, world
from tests.integrations.economic.test_flows_push import new_customer

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def test_both_sides_changing_the_same_field_is_a_conflict_and_neither_side_is_touched(
    world: World, no_kick: None
) -> None:
    customer = new_customer(number="5004", city="Esbjerg")
    world.push()

    world.erp_edit(5004, city="Fanø")
    customer_update(customer=customer, data={"city": "Varde"})
    world.pull()
    world.push()

    customer.refresh_from_db()
    assert customer.city == "Varde"
    assert world.erp(5004).city == "Fanø"
    binding = world.binding(local_id=customer.pk)
    assert binding.state == Binding.State.CONFLICT
    conflict = Conflict.objects.get(binding=binding, resolved_at__isnull=True)
    assert (conflict.field, conflict.local_value, conflict.remote_value) == (
        "city",
        "Varde",
        "Fanø",
    )
