"""e-conomic's order and hour rules that need no sandbox: which numbers its orders take, the
link to a draft, the order's key, a time entry's text (pure), and the office's words for a
product number e-conomic cannot bill."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.integrations.connectors.economic.hours import entry_text, values_of
from apps.integrations.connectors.economic.orders import ORDERS, order_key
from apps.integrations.entities import Order, OrderLine
from apps.integrations.models import Connection
from apps.orders.services import order_problems
from apps.worktypes.models import WorkType


def test_customer_and_project_numbers_are_whole_numbers() -> None:
    assert ORDERS.id_ok("5001")
    assert not ORDERS.id_ok("A-12")
    assert not ORDERS.id_ok("0")
    assert not ORDERS.id_ok("")


def test_product_numbers_are_text_of_one_to_25_characters() -> None:
    assert ORDERS.product_number_ok("1010")
    assert ORDERS.product_number_ok("ZZ-TEST-1")
    assert ORDERS.product_number_ok("x" * 25)
    assert not ORDERS.product_number_ok("x" * 26)
    assert not ORDERS.product_number_ok("  ")


def test_the_draft_link_fills_in_the_number(settings) -> None:
    settings.ECONOMIC_DRAFT_INVOICE_URL = "https://example.test/drafts/{number}"
    assert ORDERS.url(None, "42") == "https://example.test/drafts/42"
    assert ORDERS.url(None, "") == ""
    settings.ECONOMIC_DRAFT_INVOICE_URL = ""
    assert ORDERS.url(None, "42") == ""


def test_an_orders_key_is_its_own_else_made_from_what_it_bills() -> None:
    line = OrderLine(product_number="1010", description="x", quantity=Decimal(2), price=Decimal(9))
    order = Order(customer_external_id="5001", project_external_id=None, title="T", lines=(line,))
    assert order_key(order) == order_key(order)
    assert order_key(Order(**{**order.__dict__, "key": "tidsbro-order-1-abc"})) == (
        "tidsbro-order-1-abc"
    )
    other = Order(**{**order.__dict__, "title": "U"})
    assert order_key(other) != order_key(order)


def test_a_time_entrys_text_ends_with_the_hours_token_and_reads_back() -> None:
    text = entry_text({"description": "  Workshop\nog  opfølgning ", "ref": "TB-7"})
    assert text == "Workshop og opfølgning [TB-7]"
    assert entry_text({"description": "", "ref": "TB-7"}) == "[TB-7]"
    assert len(entry_text({"description": "x" * 2000, "ref": "TB-7"})) == 1000
    values = values_of(
        {
            "text": text,
            "date": "2026-11-16T00:00:00Z",
            "numberOfHours": 2.5,
            "employeeNumber": 2,
            "projectNumber": 7001,
            "activityNumber": 1,
        }
    )
    assert values == {
        "date": "2026-11-16",
        "hours": "2.50",
        "project": "7001",
        "work_type": "1",
        "user": "2",
        "description": "Workshop og opfølgning",
        "ref": "TB-7",
    }


@pytest.mark.django_db
def test_a_product_number_e_conomic_cannot_bill_is_named_with_its_rule() -> None:
    connection = Connection.objects.create(system="economic", connected=["customer"])
    work_type = WorkType.objects.create(name="Rådgivning", product_number="R" * 30)

    class Entry:
        def __init__(self, work_type: WorkType) -> None:
            self.work_type = work_type

    [problem] = order_problems(connection=connection, customer=None, entries=[Entry(work_type)])

    assert problem.kind == "product_number"
    assert "1 to 25 characters" in problem.message
