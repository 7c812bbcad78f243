"""Creating orders in the 24SO sandbox from approved hours: all or nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from apps.core.exceptions import ApplicationError
from apps.integrations.adapters.hours import hour_ref
from apps.integrations.models import HourTransfer, OutboxItem
from apps.orders.models import Order, OrderLine
from apps.orders.selectors import order_billable_entries
from apps.orders.services import order_create
from apps.sandbox.twentyfourseven.models import InvoiceOrder as SandboxOrder
from apps.timesheets.models import TimeEntry, TimeEntryTransition
from apps.timesheets.services import time_entry_update
from tests.accounts.factories import UserFactory
from tests.integrations.twentyfourseven.test_push_world import (
    World,
    approve,
    erp_hours,
    knobs,
    no_kick,
    register,
    world,
)

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def _billable(world: World, n: int = 2) -> list[TimeEntry]:
    return [
        approve(world, register(world, day=date(2026, 11, 10 + i), hours=f"{2 + i}.00"))
        for i in range(n)
    ]


def _on_order(world: World) -> None:
    world.connection.hour_transfer = HourTransfer.ON_ORDER
    world.connection.save(update_fields=["hour_transfer"])


def test_an_order_is_created_in_24so_and_its_hours_are_locked_and_linked(world: World) -> None:
    _on_order(world)
    first, second = _billable(world)

    # A Norwegian office: a line's default text carries the day as the office writes it.
    with translation.override("nb"):
        order = order_create(
            connection=world.connection,
            actor=world.admin,
            project=world.project,
            entries=[first, second],
            edits={first.pk: {"hours": "1.50", "rate": "1000", "description": "Rådgivning nov."}},
            title="November",
        )

    erp = SandboxOrder.objects.get(order_id=int(order.external_id))
    assert erp.customer_id == world.erp_project.customer_id
    assert erp.project_id == world.erp_project.project_id
    rows = erp.data["InvoiceRows"]["InvoiceRow"]
    assert [(r["ProductId"], r["Name"], Decimal(str(r["Quantity"]))) for r in rows] == [
        (501, "Rådgivning nov.", Decimal("1.5")),
        (501, f"11.11.2026 {second.description}", Decimal("3")),
    ]
    assert [Decimal(str(r["Price"])) for r in rows] == [Decimal("1000"), Decimal("1250")]
    assert order.total == Decimal("1500.00") + Decimal("3750.00")
    lines = list(OrderLine.objects.filter(order=order).order_by("id"))
    assert [(line.hours, line.registered_hours) for line in lines] == [
        (Decimal("1.50"), Decimal("2.00")),
        (Decimal("3.00"), Decimal("3.00")),
    ]
    for entry in (first, second):
        entry.refresh_from_db()
        assert entry.order == order
        assert entry.status == TimeEntry.Status.LOCKED
        assert TimeEntryTransition.objects.filter(entry=entry, action="lock").exists()
    assert not order_billable_entries(project=world.project).exists()


def test_on_order_creation_the_orders_hours_are_transferred(world: World) -> None:
    _on_order(world)
    first, second = _billable(world)
    assert erp_hours(hour_ref(first.pk)) == []

    order_create(
        connection=world.connection, actor=world.admin, customer=world.customer, entries=[first]
    )

    assert len(erp_hours(hour_ref(first.pk))) == 1
    assert erp_hours(hour_ref(second.pk)) == []  # not on the order: stays here


def test_on_approval_an_order_does_not_send_the_hours_again(world: World) -> None:
    [entry] = _billable(world, 1)
    assert len(erp_hours(hour_ref(entry.pk))) == 1

    order_create(
        connection=world.connection, actor=world.admin, project=world.project, entries=[entry]
    )

    assert len(erp_hours(hour_ref(entry.pk))) == 1


def test_never_an_order_transfers_no_hours(world: World) -> None:
    world.connection.hour_transfer = HourTransfer.NEVER
    world.connection.save(update_fields=["hour_transfer"])
    [entry] = _billable(world, 1)

    order_create(
        connection=world.connection, actor=world.admin, project=world.project, entries=[entry]
    )

    assert erp_hours(hour_ref(entry.pk)) == []
    assert not OutboxItem.objects.exists()


def test_an_ordered_entry_is_read_only(world: World) -> None:
    _on_order(world)
    [entry] = _billable(world, 1)
    order_create(
        connection=world.connection, actor=world.admin, project=world.project, entries=[entry]
    )
    entry.refresh_from_db()

    with pytest.raises(ApplicationError, match="read-only"):
        time_entry_update(actor=entry.user, entry=entry, data={"hours": Decimal("1")})


def test_a_refused_order_leaves_nothing_half_done(world: World) -> None:
    _on_order(world)
    entries = _billable(world)
    # 24SO does not know the customer any more: a per-item APIException.
    world.customer.number = "99999"
    world.customer.save(update_fields=["number"])
    world.connection.bindings.filter(entity="customer", local_id=world.customer.pk).update(
        external_id="99999"
    )

    with pytest.raises(ApplicationError, match="Customer 99999 does not exist"):
        order_create(
            connection=world.connection,
            actor=world.admin,
            customer=world.customer,
            entries=entries,
        )

    assert not Order.objects.exists() and not OrderLine.objects.exists()
    assert not SandboxOrder.objects.exists()
    for entry in entries:
        entry.refresh_from_db()
        assert entry.order is None
        assert entry.status == TimeEntry.Status.PROJECT_APPROVED
    assert not OutboxItem.objects.exists()


def test_an_unreachable_erp_leaves_nothing_half_done(world: World) -> None:
    _on_order(world)
    entries = _billable(world)
    knobs(fault_rate=1.0, fault_error=True, fault_drop=False, fault_slow=False)

    with pytest.raises(ApplicationError):
        order_create(
            connection=world.connection, actor=world.admin, project=world.project, entries=entries
        )

    knobs(fault_rate=0.0)
    assert not Order.objects.exists()
    assert all(TimeEntry.objects.get(pk=e.pk).order is None for e in entries)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"hours": "9"}, "written down"),
        ({"hours": "-1"}, "written down"),
        ({"rate": "abc"}, "Enter a number"),
        ({"rate": "-5"}, "negative"),
    ],
)
def test_line_edits_are_checked_before_anything_is_sent(
    world: World, no_kick: None, edit: dict, message: str
) -> None:
    [entry] = _billable(world, 1)

    with pytest.raises(ApplicationError, match=message):
        order_create(
            connection=world.connection,
            actor=world.admin,
            project=world.project,
            entries=[entry],
            edits={entry.pk: edit},
        )

    assert not SandboxOrder.objects.exists()


def test_drafts_billed_hours_and_other_customers_hours_cannot_be_ordered(
    world: World, no_kick: None
) -> None:
    draft = register(world)
    with pytest.raises(ApplicationError, match="not approved"):
        order_create(
            connection=world.connection, actor=world.admin, project=world.project, entries=[draft]
        )
    other = approve(world, register(world, project=world.rights_project))
    with pytest.raises(ApplicationError, match="not on this customer"):
        order_create(
            connection=world.connection, actor=world.admin, project=world.project, entries=[other]
        )
    assert not SandboxOrder.objects.exists()


def test_a_user_without_permission_cannot_create_orders(world: World, no_kick: None) -> None:
    [entry] = _billable(world, 1)

    with pytest.raises(ApplicationError, match="not allowed"):
        order_create(
            connection=world.connection,
            actor=UserFactory(),
            project=world.project,
            entries=[entry],
        )
