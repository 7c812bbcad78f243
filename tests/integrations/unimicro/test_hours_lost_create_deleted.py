"""An approved hour whose create answer was lost (Unimicro made the work item, Tidsbro never
heard), then reopened and deleted in Tidsbro: the delete looks the work item up by the hour's
reference and removes it — nothing is left behind in Unimicro. Found by the Unimicro chaos
test (tests/reliability/test_unimicro_chaos.py, seed 3)."""

from __future__ import annotations

import pytest

from apps.integrations.models import OutboxItem
from apps.timesheets.services import time_entry_delete, time_entry_transition
from tests.integrations.economic.flow_world import no_kick
from tests.integrations.unimicro.test_hours_world import (
    HoursWorld,
    erp_items,
    hours_world,
    last_request_id,
    wait_for_requests,
)

__all__ = ["hours_world", "no_kick"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_hour_deleted_after_its_create_answer_was_lost_leaves_no_work_item(
    hours_world: HoursWorld, no_kick: None, settings: object
) -> None:
    world = hours_world
    settings.UNIMICRO_READ_TIMEOUT = 2.0
    entry = world.approve(world.register(hours="2.50"))
    plan = [None, None, None, "hang"]  # the POST is carried out; its answer never arrives
    world.faults(plan)
    world.knobs(hang_seconds=5.0)
    mark = last_request_id()
    world.push()
    assert world.outbox(entry).status == OutboxItem.Status.AMBIGUOUS
    world.knobs(fault_rate=0.0)
    wait_for_requests(len(plan), after=mark)
    assert len(erp_items(entry)) == 1  # in Unimicro; Tidsbro has no binding

    entry = time_entry_transition(actor=world.admin, entry=entry, action="reopen", reason="Feil")
    time_entry_delete(actor=world.admin, entry=entry)
    world.push()

    assert erp_items(entry) == []
    assert world.binding(entry) is None
    assert not OutboxItem.objects.filter(
        connection=world.connection,
        entity="hour",
        status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS, OutboxItem.Status.DEAD],
    ).exists()
