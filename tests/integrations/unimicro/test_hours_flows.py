"""Hours to Unimicro work items over real HTTP (live_server + the sandbox + the production client,
through the outbox's push): once, on the person's worker and employment (made from the user
when missing), with the work type, the project's dimension and customer; kept in step (edit,
delete); exactly one after a lost answer; refused with the reason where Unimicro cannot take
it (no linked user, the hour on an order in Unimicro)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from apps.integrations.adapters.hours import UNMAPPED_FLAG
from apps.integrations.models import HourTransfer, OutboxItem
from apps.sandbox.unimicro import store as erp_store
from apps.timesheets.services import time_entry_delete, time_entry_transition, time_entry_update
from tests.integrations.economic.flow_world import no_kick
from tests.integrations.unimicro.conftest import COMPANY_1
from tests.integrations.unimicro.test_hours_world import (
    DAY,
    HoursWorld,
    erp_all,
    erp_items,
    hours_world,
    last_request_id,
    requests_after,
    wait_for_requests,
)

__all__ = ["hours_world", "no_kick"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def _reopen(world: HoursWorld, entry):  # noqa: ANN001, ANN202
    return time_entry_transition(actor=world.admin, entry=entry, action="reopen", reason="Rettet")


def test_an_approved_hour_becomes_one_work_item_on_the_persons_employment(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    entry = world.approve(world.register(hours="2.50", description="Workshop med kunden"))

    world.push()

    [item] = erp_items(entry)
    assert item["WorkRelationID"] == world.erp["relation"]
    assert item["WorkTypeID"] == world.erp["work_type"]
    assert item["Date"][:10] == DAY.isoformat()
    assert item["Minutes"] == 150
    assert item["Description"] == "Workshop med kunden"
    assert item["CustomerID"] == world.erp["customer"]
    assert item["Dimensions"]["ProjectID"] == world.erp["project"]
    assert item["Invoiceable"] is True
    binding = world.binding(entry)
    assert binding.external_id == str(item["ID"])
    assert binding.flagged == ""
    assert world.outbox(entry).status == OutboxItem.Status.DONE


def test_a_person_without_a_worker_gets_one_made_from_the_unimicro_user(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    workers_before = len(erp_all("Worker"))
    first = world.approve(world.register(user=world.fresh, hours="1.00"))
    second = world.approve(world.register(user=world.fresh, hours="2.00", day=DAY + timedelta(1)))
    mark = last_request_id()

    world.push()

    [worker] = [w for w in erp_all("Worker") if w.get("UserID") == world.erp["fresh_user"]]
    assert len(erp_all("Worker")) == workers_before + 1
    [relation] = [r for r in erp_all("WorkRelation") if r.get("WorkerID") == worker["ID"]]
    assert [i["WorkRelationID"] for i in erp_items(first) + erp_items(second)] == [
        relation["ID"],
        relation["ID"],
    ]
    # The worker is made once for the batch, not once per hour.
    actions = [r for r in requests_after(mark) if "create-worker-from-user" in r.query]
    assert len(actions) == 1


def test_an_edit_approved_again_is_written_to_the_same_work_item(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    entry = world.approve(world.register(hours="2.50", description="Før"))
    world.push()
    [before] = erp_items(entry)

    entry = _reopen(world, entry)
    entry = time_entry_update(
        actor=entry.user,
        entry=entry,
        data={"hours": Decimal("3.00"), "description": "Etter", "work_type": world.lead},
    )
    world.approve(entry)
    mark = last_request_id()
    world.push()

    [after] = erp_items(entry)
    assert after["ID"] == before["ID"]
    assert (after["Minutes"], after["Description"]) == (180, "Etter")
    assert after["WorkTypeID"] == world.erp["lead"]
    assert "PUT" in [r.method for r in requests_after(mark)]
    assert world.outbox(entry).status == OutboxItem.Status.DONE


def test_an_hour_deleted_here_is_deleted_in_unimicro_and_one_already_gone_counts(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    kept = world.approve(world.register(hours="1.00"))
    gone = world.approve(world.register(hours="2.00", day=DAY + timedelta(1)))
    world.push()
    [gone_item] = erp_items(gone)
    erp_store.delete(COMPANY_1, "WorkItem", gone_item["ID"], None)  # deleted in Unimicro

    for entry in (kept, gone):
        entry = _reopen(world, entry)
        time_entry_delete(actor=entry.user, entry=entry)
    world.push()

    assert erp_items(kept) == []
    assert erp_items(gone) == []
    assert not OutboxItem.objects.filter(
        connection=world.connection, entity="hour", status=OutboxItem.Status.DEAD
    ).exists()


def test_a_create_whose_answer_was_lost_leaves_exactly_one_work_item(
    hours_world: HoursWorld, no_kick: None, settings: object
) -> None:
    world = hours_world
    settings.UNIMICRO_READ_TIMEOUT = 2.0
    entry = world.approve(world.register(hours="2.50"))
    # The worker, its employment and the project are read; the POST is done by Unimicro,
    # but its answer never arrives (the client times out).
    plan = [None, None, None, "hang"]
    world.faults(plan)
    world.knobs(hang_seconds=5.0)
    mark = last_request_id()

    world.push()

    assert world.outbox(entry).status == OutboxItem.Status.AMBIGUOUS
    world.knobs(fault_rate=0.0)
    wait_for_requests(len(plan), after=mark)
    assert len(erp_items(entry)) == 1

    world.push()

    [item] = erp_items(entry)
    assert world.binding(entry).external_id == str(item["ID"])
    assert world.outbox(entry).status == OutboxItem.Status.DONE


def test_a_create_sent_again_is_refused_by_its_guid_and_the_first_work_item_is_kept(
    hours_world: HoursWorld, no_kick: None
) -> None:
    """The outbox forgot it sent the create (e.g. killed before it marked it): the same
    `_createguid` makes Unimicro refuse the second insert, and the first is found."""
    world = hours_world
    entry = world.approve(world.register(hours="2.50"))
    world.push()
    [first] = erp_items(entry)
    # As if the binding had never been written.
    world.binding(entry).delete()
    item = world.outbox(entry)
    OutboxItem.objects.filter(pk=item.pk).update(
        status=OutboxItem.Status.PENDING, attempts=0, last_error=""
    )

    world.push()

    [again] = erp_items(entry)
    assert again["ID"] == first["ID"]
    assert world.binding(entry).external_id == str(first["ID"])


def test_an_hour_on_an_order_in_unimicro_is_not_changed_and_the_reason_is_shown(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    entry = world.approve(world.register(hours="2.50"))
    world.push()
    [item] = erp_items(entry)
    # Unimicro's office puts the hour on an order there.
    erp_store.create(
        COMPANY_1,
        "CustomerOrder",
        {
            "CustomerID": world.erp["customer"],
            "Items": [
                {
                    "ItemText": "Timer",
                    "NumberOfItems": 2.5,
                    "ItemSource": {"Details": [{"SourceType": "WorkItem", "SourceFK": item["ID"]}]},
                }
            ],
        },
        None,
    )
    assert erp_items(entry)[0]["TransferedToOrder"] is True

    entry = _reopen(world, entry)
    entry = time_entry_update(actor=entry.user, entry=entry, data={"hours": Decimal("4.00")})
    world.approve(entry)
    world.push()

    failed = world.outbox(entry)
    assert failed.status == OutboxItem.Status.DEAD
    assert "on order" in failed.last_error
    assert "Unimicro does not let hours on an order change" in failed.last_error
    assert erp_items(entry)[0]["Minutes"] == 150  # unchanged there


def test_an_unmapped_persons_hour_waits_with_the_reason(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    entry = world.approve(world.register(user=world.unmapped))

    world.push()

    item = world.outbox(entry)
    assert item.status == OutboxItem.Status.DEAD
    assert "not linked to a Unimicro user" in item.last_error
    assert erp_items(entry) == []


def test_an_unmapped_persons_hour_goes_on_the_integration_user_flagged(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    world.settings(integration_user=world.erp["user"])
    entry = world.approve(world.register(user=world.unmapped))

    world.push()

    [item] = erp_items(entry)
    assert item["WorkRelationID"] == world.erp["relation"]
    assert world.binding(entry).flagged == UNMAPPED_FLAG


def test_transfer_rule_never_sends_nothing(hours_world: HoursWorld) -> None:
    world = hours_world
    world.mode(HourTransfer.NEVER)
    mark = last_request_id()

    entry = world.approve(world.register())
    world.push()

    assert erp_items(entry) == []
    assert requests_after(mark) == []


def test_a_batch_of_hours_costs_one_request_per_hour_after_the_look_ups(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    entries = [
        world.approve(world.register(day=DAY + timedelta(days=i), hours="1.00")) for i in range(5)
    ]
    mark = last_request_id()

    world.push()

    assert all(len(erp_items(e)) == 1 for e in entries)
    # Worker, employment, project once; then one POST per hour.
    assert len(requests_after(mark)) == 3 + len(entries)


def test_an_hour_with_a_start_gets_its_start_and_end_in_the_offices_time(
    hours_world: HoursWorld, no_kick: None
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from apps.timesheets.services import time_entry_create

    world = hours_world
    oslo = ZoneInfo("Europe/Oslo")
    start = datetime(DAY.year, DAY.month, DAY.day, 9, 0, tzinfo=oslo)
    entry = time_entry_create(
        actor=world.mapped,
        project=world.project,
        work_type=world.work_type,
        date=DAY,
        started_at=start,
        ended_at=start + timedelta(hours=1, minutes=30),
        description="Møte",
    )
    world.approve(entry)

    world.push()

    [item] = erp_items(entry)
    assert item["StartTime"] == "2026-11-16T09:00:00+01:00"
    assert item["EndTime"] == "2026-11-16T10:30:00+01:00"
    assert item["Minutes"] == 90


def test_billable_hours_written_down_to_nothing_are_not_invoiceable_in_unimicro(
    hours_world: HoursWorld, no_kick: None
) -> None:
    from apps.timesheets.services import time_entry_create

    world = hours_world
    entry = time_entry_create(
        actor=world.mapped,
        project=world.project,
        work_type=world.work_type,
        date=DAY,
        hours=Decimal("2.00"),
        billable_hours=Decimal("0.00"),
        description="Intern reise",
    )
    world.approve(entry)

    world.push()

    [item] = erp_items(entry)
    assert (item["Minutes"], item["MinutesToOrder"], item["Invoiceable"]) == (120, 0, False)
