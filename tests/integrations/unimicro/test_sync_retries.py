"""A create whose answer is lost (Unimicro carried it out, the answer never came) is looked up
before it is tried again: never a second customer, project or work type in Unimicro."""

from __future__ import annotations

from typing import Any

import pytest

from apps.customers.services import customer_create
from apps.integrations.models import OutboxItem
from apps.sandbox.unimicro.runtime import knobs_get
from tests.integrations.unimicro.sync_world import World, no_kick, world

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def hang(on: bool) -> None:
    """Every API answer held back past the client's timeout (the request is carried out)."""
    knobs = knobs_get()
    knobs.fault_rate = 1.0 if on else 0.0
    knobs.fault_http503 = not on
    knobs.fault_hang = on
    knobs.hang_seconds = 2.0
    knobs.save()


@pytest.mark.parametrize("number", ["50021", ""])
def test_a_create_whose_answer_was_lost_is_found_not_made_twice(
    world: World, no_kick: None, settings: Any, number: str
):
    settings.UNIMICRO_READ_TIMEOUT = 0.5
    settings.UNIMICRO_CALL_DEADLINE = 1.0
    customer = customer_create(
        data={"name": "Tapt Svar AS", "number": number, "organisation_number": "911000111"}
    )
    hang(True)
    world.push()
    item = world.outbox("customer", customer.pk)
    assert item.status == OutboxItem.Status.AMBIGUOUS
    hang(False)
    # Answers come back again (a loaded machine still gets its time).
    settings.UNIMICRO_READ_TIMEOUT = 30.0
    settings.UNIMICRO_CALL_DEADLINE = 60.0
    world.push()
    made = [c for c in world.erp_all("Customer") if c.get("OrgNumber") == "911000111"]
    assert len(made) == 1
    item.refresh_from_db()
    assert item.status == OutboxItem.Status.DONE, (item.status, item.last_error)
    assert world.binding(local_id=customer.pk).external_id == str(made[0]["ID"])
    customer.refresh_from_db()
    assert customer.number == str(made[0]["CustomerNumber"])
