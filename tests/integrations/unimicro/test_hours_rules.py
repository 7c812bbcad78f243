"""The pure parts of Unimicro's hours and orders: what a work item update writes, the create
guids, an order line with its work item as source (no database, no HTTP)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from apps.integrations.connectors.unimicro import hours, orders
from apps.integrations.entities import Order, OrderLine

BODY = {
    "WorkRelationID": 3,
    "WorkTypeID": 7,
    "Date": "2026-11-16",
    "StartTime": None,
    "EndTime": None,
    "Minutes": 150,
    "MinutesToOrder": 150,
    "Invoiceable": True,
    "Description": "Workshop",
    "Label": "TB-12",
    "CustomerID": 4,
    "Dimensions": {"ProjectID": 9, "ProjectTaskID": None},
}


def _current(**changes: object) -> dict:
    document = {
        **BODY,
        "ID": 21,
        "Date": "2026-11-16T00:00:00",
        "Minutes": 150.0,
        "Dimensions": {"ID": 5, "ProjectID": 9, "ProjectTaskID": None},
    }
    document.update(changes)
    return document


def test_a_work_item_that_holds_the_values_gets_no_update() -> None:
    assert hours.item_changes(BODY, _current()) == {}


def test_an_update_writes_only_what_changed_and_the_dimensions_by_their_id() -> None:
    current = _current(Minutes=120, Dimensions={"ID": 5, "ProjectID": 8})

    changes = hours.item_changes(BODY, current)

    assert changes == {
        "Minutes": 150,
        "Dimensions": {"ID": 5, "ProjectID": 9, "ProjectTaskID": None},
    }


def test_a_work_item_without_dimensions_gets_new_ones_with_a_guid() -> None:
    changes = hours.item_changes(BODY, _current(Dimensions=None))

    assert changes["Dimensions"]["ID"] == 0
    assert changes["Dimensions"]["ProjectID"] == 9
    assert changes["Dimensions"]["_createguid"]


def test_an_hours_create_guid_is_the_same_on_every_attempt_and_differs_per_connection() -> None:
    one, two = SimpleNamespace(pk=1), SimpleNamespace(pk=2)
    values = {"ref": "TB-12"}

    assert hours.hour_guid(one, values) == hours.hour_guid(one, values)
    assert hours.hour_guid(one, values) != hours.hour_guid(two, values)
    assert hours.hour_guid(one, values) != hours.hour_guid(one, values, part="dimensions")


def test_an_order_line_names_its_work_item_with_the_registered_minutes() -> None:
    order = Order(customer_external_id="4", project_external_id="9", title="Nov", lines=(), key="k")
    line = OrderLine(
        product_number="1010",
        description="16.11.2026 Workshop",
        quantity=Decimal("2.00"),
        price=Decimal("1450.00"),
        project_external_id="9",
        hour_external_id="21",
        registered_hours=Decimal("2.50"),
    )

    item = orders.order_item(order, 1, line, 33)

    assert (item["ProductID"], item["NumberOfItems"], item["PriceExVat"]) == (33, 2.0, 1450.0)
    assert item["Dimensions"]["ProjectID"] == 9
    [detail] = item["ItemSource"]["Details"]
    assert (detail["SourceType"], detail["SourceFK"], detail["Amount"]) == ("WorkItem", 21, 150)
    # The same order gives the same guids (a POST sent again is refused, not doubled).
    assert orders.order_item(order, 1, line, 33) == item


def test_an_order_line_whose_hour_comes_later_names_the_hour() -> None:
    order = Order(customer_external_id="4", project_external_id=None, title="", lines=(), key="k")
    line = OrderLine(
        product_number="1010",
        description="Workshop",
        quantity=Decimal("1.00"),
        price=Decimal("1000"),
        hour_ref="TB-12",
    )

    item = orders.order_item(order, 2, line, 33)

    assert item["Comment"] == "TB-12"
    assert "ItemSource" not in item
    assert "Dimensions" not in item


def test_unimicro_order_ids_and_product_numbers() -> None:
    assert orders.ORDERS.id_ok("100200")
    assert not orders.ORDERS.id_ok("K-1")
    assert orders.ORDERS.product_number_ok("1010")
    assert orders.ORDERS.product_number_ok("KONS-A")
    assert not orders.ORDERS.product_number_ok(" ")
