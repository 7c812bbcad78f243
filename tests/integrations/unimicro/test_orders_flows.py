"""Orders to Unimicro customer orders over real HTTP (live_server + the sandbox + the
production client, through the orders service the Create order screen calls): one registered
order with a line per hour (the work type's product by number, hours as quantity, Tidsbro's
rate), the hours' work items as the lines' source so Unimicro marks them transferred; on to an
invoice draft when the office chooses, never sent; exactly one when sent again after a lost
answer; refused with the reason before anything is written."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from apps.core.exceptions import ApplicationError
from apps.orders.models import Order
from apps.orders.services import order_create
from apps.worktypes.models import WorkType
from tests.integrations.economic.flow_world import no_kick
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


def _hours(world: HoursWorld, *, push: bool = True) -> list:
    """Three approved hours on two work types (products 1010 and 1020), in Unimicro as work
    items (transferred on approval)."""
    entries = [
        world.approve(world.register(day=DAY + timedelta(days=i), hours=h))
        for i, h in enumerate(("2.50", "1.00"))
    ]
    lead = world.register(
        day=DAY + timedelta(days=2), hours="4.00", description="Styring", work_type=world.lead
    )
    entries.append(world.approve(lead))
    if push:
        world.push()
    return entries


def _order(world: HoursWorld, entries: list) -> Order:
    return order_create(
        connection=world.connection,
        actor=world.admin,
        entries=entries,
        customer=world.customer,
        project=world.project,
        title="Fjordlys november",
    )


def _lines(order: dict) -> list[tuple[int, float, float]]:
    return [
        (item["ProductID"], float(item["NumberOfItems"]), float(item["PriceExVat"]))
        for item in sorted(order["Items"], key=lambda i: i.get("SortIndex") or 0)
    ]


def _erp_order() -> dict:
    from apps.sandbox.unimicro import store
    from tests.integrations.unimicro.conftest import COMPANY_1

    [order] = erp_all("CustomerOrder")
    return store.read(
        COMPANY_1,
        "CustomerOrder",
        order["ID"],
        expand="Items,Items.ItemSource,Items.ItemSource.Details,Items.Dimensions,DefaultDimensions",
    )


def _products(world: HoursWorld) -> dict[str, int]:
    return {p["PartName"]: p["ID"] for p in erp_all("Product")}


def test_an_order_becomes_one_registered_customer_order_whose_lines_take_the_work_items(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    entries = _hours(world)
    items = [erp_items(e)[0] for e in entries]
    mark = last_request_id()

    order = _order(world, entries)

    erp = _erp_order()
    assert order.external_id == str(erp["OrderNumber"])
    assert erp["StatusCode"] == 41002  # registered
    assert erp["CustomerID"] == world.erp["customer"]
    assert erp["CustomerName"] == "Fjordlys AS"
    assert erp["OurReference"] == "Fjordlys november"
    assert erp["DefaultDimensions"]["ProjectID"] == world.erp["project"]
    products = _products(world)
    assert _lines(erp) == [
        (products["1010"], 2.5, 1450.0),
        (products["1010"], 1.0, 1450.0),
        (products["1020"], 4.0, 1350.0),
    ]
    sources = [
        (d["SourceType"], d["SourceFK"], d["Amount"])
        for item in sorted(erp["Items"], key=lambda i: i["SortIndex"])
        for d in item["ItemSource"]["Details"]
    ]
    assert sources == [
        ("WorkItem", items[0]["ID"], 150),
        ("WorkItem", items[1]["ID"], 60),
        ("WorkItem", items[2]["ID"], 240),
    ]
    # Unimicro marks the hours transferred to this order.
    for entry in entries:
        [item] = erp_items(entry)
        assert item["TransferedToOrder"] is True
        assert item["CustomerOrderID"] == erp["ID"]
    # Never an invoice: no transfer, no `invoice` action.
    assert erp_all("CustomerInvoice") == []
    assert not any("action=invoice" in r.query for r in requests_after(mark))


def test_where_the_office_chooses_the_order_goes_on_to_an_invoice_draft_never_sent(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    world.settings(transfer_orders_to_invoice=True)
    entries = _hours(world)
    mark = last_request_id()

    _order(world, entries)

    erp = _erp_order()
    assert erp["StatusCode"] == 41004  # transferred to invoice
    [invoice] = erp_all("CustomerInvoice")
    assert invoice["StatusCode"] == 42001  # a draft
    assert not invoice.get("InvoiceNumber")
    queries = [r.query for r in requests_after(mark)]
    assert any("action=transfer-to-invoice" in q for q in queries)
    assert not any("action=invoice&" in f"{q}&" for q in queries)


def test_an_order_sent_again_after_a_lost_answer_is_still_one_order(
    hours_world: HoursWorld, no_kick: None, settings: object
) -> None:
    world = hours_world
    entries = _hours(world)
    settings.UNIMICRO_READ_TIMEOUT = 2.0
    # The look-up, the customer and the two products are read; Unimicro makes the order but
    # its answer never arrives.
    plan = [None, None, None, None, "hang"]
    world.faults(plan)
    world.knobs(hang_seconds=5.0)
    mark = last_request_id()

    with pytest.raises(ApplicationError, match="Send it again"):
        _order(world, entries)

    assert not Order.objects.exists()
    world.knobs(fault_rate=0.0)
    wait_for_requests(len(plan), after=mark)

    order = _order(world, entries)

    erp = _erp_order()
    assert order.external_id == str(erp["OrderNumber"])
    assert erp["StatusCode"] == 41002
    assert len(erp["Items"]) == 3
    assert all(erp_items(e)[0]["CustomerOrderID"] == erp["ID"] for e in entries)


def test_hours_not_yet_in_unimicro_are_refused_before_anything_is_sent(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    entries = _hours(world, push=False)
    mark = last_request_id()

    with pytest.raises(ApplicationError, match="not in Unimicro as work items yet"):
        _order(world, entries)

    assert requests_after(mark) == []
    assert not Order.objects.exists()


def test_a_product_number_unknown_in_unimicro_is_refused_and_nothing_is_written(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    odd = WorkType.objects.create(name="Reise", price=Decimal("800.00"), product_number="9999")
    from apps.sandbox.unimicro import store
    from tests.integrations.unimicro.conftest import COMPANY_1
    from tests.integrations.unimicro.test_hours_world import bind

    travel = store.create(COMPANY_1, "WorkType", {"Name": "Reise"}, None)
    bind(world.connection, "work_type", odd.pk, travel["ID"])
    entry = world.approve(world.register(work_type=odd, hours="1.00"))
    world.push()
    mark = last_request_id()

    with pytest.raises(ApplicationError, match="no product with number 9999"):
        _order(world, [entry])

    assert [r.method for r in requests_after(mark) if r.method != "GET"] == []
    assert erp_all("CustomerOrder") == []


def test_a_customer_not_in_unimicro_is_named_before_sending(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    entries = _hours(world)
    from apps.integrations.models import Binding

    Binding.objects.filter(connection=world.connection, entity="customer").delete()
    mark = last_request_id()

    with pytest.raises(ApplicationError, match="not in the ERP yet"):
        _order(world, entries)

    assert requests_after(mark) == []


def test_hours_transferred_on_order_creation_become_the_lines_sources_when_they_arrive(
    hours_world: HoursWorld, no_kick: None
) -> None:
    from apps.integrations.models import HourTransfer

    world = hours_world
    world.mode(HourTransfer.ON_ORDER)
    entries = _hours(world, push=False)
    assert all(erp_items(e) == [] for e in entries)  # not before the order

    order = _order(world, entries)
    world.push()  # the hours follow their order

    erp = _erp_order()
    assert order.external_id == str(erp["OrderNumber"])
    by_line = {
        item["ID"]: [d["SourceFK"] for d in item["ItemSource"]["Details"]] for item in erp["Items"]
    }
    for entry in entries:
        [item] = erp_items(entry)
        assert item["TransferedToOrder"] is True
        assert item["CustomerOrderID"] == erp["ID"]
        assert by_line[item["OrderItemId"]] == [item["ID"]]


def test_the_create_order_screen_lists_hours_not_yet_in_unimicro_before_sending(
    hours_world: HoursWorld, no_kick: None
) -> None:
    from django.test import Client
    from django.urls import reverse

    world = hours_world
    waiting = _hours(world, push=False)
    client = Client()
    client.force_login(world.admin)
    mark = last_request_id()

    page = client.post(
        reverse("admin:orders_order_create"),
        {"connection": world.connection.pk, "project": world.project.pk, "title": "Nov"},
    )

    assert page.context["step"] == "pick"
    [(problem, url)] = page.context["problems"]
    assert f"{len(waiting)} of these hours are not in Unimicro as work items yet" in (
        problem.message
    )
    assert url == reverse("admin:integrations_sync_center")
    assert "Open the sync center" in page.content.decode()
    assert requests_after(mark) == []  # said without asking Unimicro

    world.push()
    page = client.post(
        reverse("admin:orders_order_create"),
        {"connection": world.connection.pk, "project": world.project.pk, "title": "Nov"},
    )

    assert page.context["problems"] == []
