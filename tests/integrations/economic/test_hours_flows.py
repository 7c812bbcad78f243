"""Hours to e-conomic time entries over real HTTP (live_server + the sandbox): once, under the
right employee, project, activity and day; approved there; kept in step (edit, delete); by
the office's transfer mode; about one request per hour."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from apps.integrations.adapters.hours import UNMAPPED_FLAG, hour_ref
from apps.integrations.models import HourTransfer, OutboxItem
from apps.orders.services import order_create
from apps.sandbox.economic.models import TimeEntry as ErpTimeEntry
from apps.timesheets.services import time_entry_delete, time_entry_transition, time_entry_update
from tests.integrations.economic.flow_world import no_kick
from tests.integrations.economic.hours_world import (
    ACTIVITY,
    DAY,
    INTEGRATION_EMPLOYEE,
    MAPPED_EMPLOYEE,
    PROJECT_NUMBER,
    HoursWorld,
    erp_entries,
    hours_world,
    last_request_id,
    requests_after,
)

__all__ = ["hours_world", "no_kick"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_hour_approved_here_appears_once_in_e_conomic_approved(
    hours_world: HoursWorld,
) -> None:
    world = hours_world
    entry = world.register(hours="2.50", description="Workshop")
    assert erp_entries(entry) == []  # a draft stays here

    entry = world.approve(entry)  # the push runs after the commit

    [erp] = erp_entries(entry)
    assert (erp.employee_number, erp.project_number, erp.activity_number) == (
        MAPPED_EMPLOYEE,
        PROJECT_NUMBER,
        ACTIVITY,
    )
    assert erp.date == DAY
    assert erp.number_of_hours == Decimal("2.50")
    assert erp.text == f"Workshop [{hour_ref(entry.pk)}]"
    assert erp.is_approved  # approved here, approved there
    binding = world.binding(entry)
    assert binding.external_id == str(erp.number)
    assert binding.flagged == ""
    assert world.outbox(entry).status == OutboxItem.Status.DONE


def test_a_create_that_timed_out_after_e_conomic_stored_it_leaves_exactly_one(
    hours_world: HoursWorld, no_kick: None, settings: object
) -> None:
    world = hours_world
    settings.ECONOMIC_READ_TIMEOUT = 1.0
    entry = world.approve(world.register())
    # e-conomic stores the entry, but its answer never arrives (the client times out).
    world.knobs(fault_rate=1.0, fault_hang=True, fault_http500=False, hang_seconds=3.0)

    world.push()

    assert world.outbox(entry).status == OutboxItem.Status.AMBIGUOUS
    assert len(erp_entries(entry)) == 1
    world.knobs(fault_rate=0.0)

    world.push()

    [erp] = erp_entries(entry)
    assert world.binding(entry).external_id == str(erp.number)
    assert erp.is_approved
    assert world.outbox(entry).status == OutboxItem.Status.DONE
    assert ErpTimeEntry.objects.count() == 1


def test_a_lost_create_retried_after_an_edit_here_writes_the_edit_to_the_one_entry(
    hours_world: HoursWorld, no_kick: None, settings: object
) -> None:
    world = hours_world
    settings.ECONOMIC_READ_TIMEOUT = 1.0
    entry = world.approve(world.register(hours="2.50", description="Før"))
    world.knobs(fault_rate=1.0, fault_hang=True, fault_http500=False, hang_seconds=3.0)
    world.push()
    world.knobs(fault_rate=0.0)
    assert world.outbox(entry).status == OutboxItem.Status.AMBIGUOUS
    # The office corrects the hour while the create's outcome is unknown.
    entry = time_entry_transition(actor=world.admin, entry=entry, action="reopen", reason="Typo")
    entry = time_entry_update(
        actor=entry.user, entry=entry, data={"hours": Decimal("3.00"), "description": "Efter"}
    )
    world.approve(entry)

    world.push()

    [erp] = erp_entries(entry)
    assert erp.text == f"Efter [{hour_ref(entry.pk)}]"
    assert erp.number_of_hours == Decimal("3.00")
    assert erp.is_approved
    assert ErpTimeEntry.objects.count() == 1
    assert world.outbox(entry).status == OutboxItem.Status.DONE


def test_a_lost_create_retried_after_the_hour_moved_to_another_day_is_still_one_entry(
    hours_world: HoursWorld, no_kick: None, settings: object
) -> None:
    """The look-up searches the new day and misses; the outbox item's key replays the entry
    made first, which then gets the new day."""
    world = hours_world
    settings.ECONOMIC_READ_TIMEOUT = 1.0
    entry = world.approve(world.register(day=DAY))
    world.knobs(fault_rate=1.0, fault_hang=True, fault_http500=False, hang_seconds=3.0)
    world.push()
    world.knobs(fault_rate=0.0)
    assert world.outbox(entry).status == OutboxItem.Status.AMBIGUOUS
    entry = time_entry_transition(actor=world.admin, entry=entry, action="reopen", reason="Dag")
    entry = time_entry_update(actor=entry.user, entry=entry, data={"date": DAY + timedelta(1)})
    world.approve(entry)

    world.push()

    [erp] = erp_entries(entry)
    assert erp.date == DAY + timedelta(days=1)
    assert erp.is_approved
    assert ErpTimeEntry.objects.count() == 1
    assert world.binding(entry).external_id == str(erp.number)


def test_an_edit_approved_again_is_written_with_its_object_version(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    world.settings(approve_hours=False)  # entries stay open in e-conomic: changes can follow
    entry = world.approve(world.register(hours="2.50"))
    world.push()
    [before] = erp_entries(entry)
    assert not before.is_approved

    entry = time_entry_transition(actor=world.admin, entry=entry, action="reopen", reason="Typo")
    entry = time_entry_update(
        actor=entry.user,
        entry=entry,
        data={"hours": Decimal("3.00"), "description": "Workshop og opfølgning"},
    )
    world.approve(entry)
    first = last_request_id()
    world.push()

    [after] = erp_entries(entry)
    assert after.number == before.number
    assert after.number_of_hours == Decimal("3.00")
    assert after.text == f"Workshop og opfølgning [{hour_ref(entry.pk)}]"
    assert after.object_version != before.object_version
    assert [(r.method, r.http_status) for r in requests_after(first)] == [
        ("GET", 200),
        ("PUT", 204),
    ]


def test_an_entry_approved_in_e_conomic_is_not_changed_and_the_reason_is_shown(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    entry = world.approve(world.register(hours="2.50"))
    world.push()
    [erp] = erp_entries(entry)
    assert erp.is_approved

    entry = time_entry_transition(actor=world.admin, entry=entry, action="reopen", reason="Typo")
    entry = time_entry_update(actor=entry.user, entry=entry, data={"hours": Decimal("4.00")})
    world.approve(entry)
    world.push()

    item = world.outbox(entry)
    assert item.status == OutboxItem.Status.DEAD
    assert "approved in e-conomic" in item.last_error
    [erp] = erp_entries(entry)
    assert erp.number_of_hours == Decimal("2.50")  # e-conomic's approved entry as it was
    with translation.override("da"):
        assert item.last_error  # stored in the words of the push; shown on the dead item


def test_an_hour_deleted_here_is_deleted_in_e_conomic_and_one_already_gone_counts(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    world.settings(approve_hours=False)
    kept = world.approve(world.register(hours="1.00"))
    gone = world.approve(world.register(hours="2.00"))
    world.push()
    [erp_gone] = erp_entries(gone)
    ErpTimeEntry.objects.filter(pk=erp_gone.pk).delete()  # deleted in e-conomic already
    kept_number = erp_entries(kept)[0].number

    for entry in (kept, gone):
        entry = time_entry_transition(actor=world.admin, entry=entry, action="reopen", reason="x")
        time_entry_delete(actor=entry.user, entry=entry)
    world.push()

    assert not ErpTimeEntry.objects.filter(number=kept_number).exists()
    assert ErpTimeEntry.objects.count() == 0
    assert not OutboxItem.objects.filter(
        connection=world.connection, entity="hour", status=OutboxItem.Status.DEAD
    ).exists()


def test_an_unmapped_users_hour_goes_on_the_integration_employee_flagged(
    hours_world: HoursWorld,
) -> None:
    world = hours_world
    entry = world.approve(world.register(user=world.unmapped))

    [erp] = erp_entries(entry)
    assert erp.employee_number == INTEGRATION_EMPLOYEE
    assert world.binding(entry).flagged == UNMAPPED_FLAG


def test_without_an_integration_employee_an_unmapped_users_hour_is_refused_with_why(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    world.settings(integration_employee=None)
    entry = world.approve(world.register(user=world.unmapped))

    world.push()

    item = world.outbox(entry)
    assert item.status == OutboxItem.Status.DEAD
    assert "not linked to an e-conomic employee" in item.last_error
    assert erp_entries(entry) == []


def test_transfer_mode_never_sends_nothing(hours_world: HoursWorld) -> None:
    world = hours_world
    world.mode(HourTransfer.NEVER)
    first = last_request_id()

    entry = world.approve(world.register())

    assert erp_entries(entry) == []
    assert requests_after(first) == []
    assert not OutboxItem.objects.filter(entity="hour").exists()


def test_transfer_mode_on_order_sends_the_hours_when_they_are_ordered(
    hours_world: HoursWorld,
) -> None:
    world = hours_world
    world.mode(HourTransfer.ON_ORDER)
    entries = [
        world.approve(world.register(day=DAY + timedelta(days=i), hours="2.00")) for i in (0, 1)
    ]
    assert all(erp_entries(e) == [] for e in entries)  # approved: not yet

    order_create(
        connection=world.connection,
        actor=world.admin,
        entries=entries,
        customer=world.customer,
        title="November",
    )

    for entry in entries:
        [erp] = erp_entries(entry)
        assert erp.is_approved and erp.employee_number == MAPPED_EMPLOYEE


def test_a_push_of_many_hours_costs_one_request_per_hour_and_one_approval(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    entries = [
        world.approve(world.register(day=date(2026, 11, 2) + timedelta(days=i), hours="1.00"))
        for i in range(12)
    ]
    first = last_request_id()

    world.push()

    log = requests_after(first)
    assert [r.method for r in log] == ["POST"] * 12 + ["POST"]
    assert log[-1].path.split("?")[0].endswith("/TimeEntries/approve")
    assert len(log) / len(entries) == pytest.approx(1.08, abs=0.01)
    assert ErpTimeEntry.objects.filter(is_approved=True).count() == 12


def test_an_approval_that_failed_is_tried_again_without_a_second_entry(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    entry = world.approve(world.register())
    # The create goes through; e-conomic answers the approval with a 500.
    world.faults([None, "http500"])

    world.push()

    item = world.outbox(entry)
    assert item.status == OutboxItem.Status.PENDING
    assert "approve" in item.last_error
    [erp] = erp_entries(entry)
    assert not erp.is_approved
    world.knobs(fault_rate=0.0)
    first = last_request_id()

    world.push()

    [erp] = erp_entries(entry)
    assert erp.is_approved
    assert ErpTimeEntry.objects.count() == 1
    assert world.outbox(entry).status == OutboxItem.Status.DONE
    # Read, found as written, approved: no second write.
    assert [r.method for r in requests_after(first)] == ["GET", "POST"]


def test_an_hour_deleted_here_that_e_conomic_approved_stays_there_with_the_reason(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    entry = world.approve(world.register())
    world.push()
    [erp] = erp_entries(entry)
    assert erp.is_approved

    entry = time_entry_transition(actor=world.admin, entry=entry, action="reopen", reason="x")
    time_entry_delete(actor=entry.user, entry=entry)
    world.push()

    item = OutboxItem.objects.filter(
        connection=world.connection, entity="hour", operation=OutboxItem.Operation.DELETE
    ).get()
    assert item.status == OutboxItem.Status.DEAD
    assert "an approved time entry cannot be deleted there" in item.last_error
    assert ErpTimeEntry.objects.filter(pk=erp.pk).exists()
