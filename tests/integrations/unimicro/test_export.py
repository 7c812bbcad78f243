"""Unimicro's CSV mode: the file Unimicro imports, read back field by field (record types 30
customer, 80 invoice, 81 invoice line; Windows-1252, comma, CRLF; see README.md)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from apps.customers.models import Customer
from apps.integrations import services
from apps.integrations.connectors.unimicro.export import EXPORT, parse
from apps.integrations.models import Connection
from apps.integrations.registry import spec_for
from apps.orders.models import Order, OrderLine
from apps.timesheets.models import TimeEntry
from tests.accounts.factories import admin_user
from tests.customers.factories import CustomerFactory
from tests.projects.factories import ProjectFactory
from tests.timesheets.factories import TimeEntryFactory
from tests.worktypes.factories import WorkTypeFactory

pytestmark = pytest.mark.django_db

CREATED = datetime.datetime(2026, 11, 30, 9, 15, tzinfo=datetime.UTC)


def csv_connection(**settings: Any) -> Connection:
    """A Unimicro connection in CSV mode, made by the services: nothing kept in step."""
    return services.connection_create(
        system="unimicro",
        credentials={},
        settings={"mode": "csv", **settings},
        connected=[],
    )


def make_order(
    connection: Connection,
    *,
    customer: Customer,
    number: str,
    lines: list[tuple[Any, str, str, str]],
    title: str = "",
    project: Any = None,
    actor: Any = None,
) -> Order:
    """An order as the office made it: `lines` are (work type, hours, rate, text)."""
    project = project or ProjectFactory(customer=customer)
    order = Order.objects.create(
        connection=connection,
        external_id=number,
        customer=customer,
        project=project,
        title=title,
        total=sum((Decimal(h) * Decimal(r) for _w, h, r, _t in lines), Decimal("0")),
        created_by=actor,
    )
    Order.objects.filter(pk=order.pk).update(created_at=CREATED)
    order.refresh_from_db()
    for work_type, hours, rate, text in lines:
        entry = TimeEntryFactory(
            project=project,
            work_type=work_type,
            hours=Decimal(hours),
            status=TimeEntry.Status.LOCKED,
            order=order,
        )
        OrderLine.objects.create(
            order=order,
            entry=entry,
            work_type=work_type,
            product_number=work_type.product_number,
            description=text,
            hours=Decimal(hours),
            registered_hours=Decimal(hours),
            rate=Decimal(rate),
        )
    return order


def two_orders(connection: Connection, actor: Any = None) -> tuple[Order, Order]:
    """Two customers with æ, ø and å in their names, each with one order."""
    advice = WorkTypeFactory(name="Rådgivning", product_number="1001", price=Decimal("1250"))
    travel = WorkTypeFactory(name="Reise", product_number="1002", price=Decimal("650"))
    fjord = CustomerFactory(
        name="Fjordkraft Økonomi AS",
        number="20001",
        organisation_number="912 345 670",
        email="faktura@fjordøkonomi.no",
        phone="+47 22 33 44 55",
        address_line1="Storgata 1",
        address_line2="Bygg Æ",
        postal_code="0155",
        city="Oslo",
        country="NO",
    )
    blaa = CustomerFactory(
        name="Blåbærlia Barnehage",
        number="20002",
        organisation_number="998877665",
        email="post@blaabaerlia.no",
        phone="",
        address_line1="Lierveien 5",
        postal_code="3400",
        city="Lier",
        country="NO",
    )
    first = make_order(
        connection,
        customer=fjord,
        number="5001",
        title="Prosjekt Nord, november",
        actor=actor,
        lines=[
            (advice, "7.50", "1250.00", "30.11.2026 Rådgivning for økonomisjefen"),
            (travel, "2.00", "650.00", 'Reise "Oslo–Ås"'),
        ],
    )
    second = make_order(
        connection,
        customer=blaa,
        number="5002",
        project=ProjectFactory(customer=blaa, name="Årsoppgjør", number=4711),
        actor=actor,
        lines=[(advice, "1.25", "1250.00", "Møte med styret")],
    )
    return first, second


def test_the_file_parses_back_with_every_field_of_30_80_81() -> None:
    actor = admin_user(first_name="Åse", last_name="Bjørnstad")
    connection = csv_connection()
    first, second = two_orders(connection, actor=actor)

    content = EXPORT.build(connection, [first, second])
    rows = parse(content)

    assert [row[0] for row in rows] == ["30", "30", "80", "81", "81", "80", "81"]
    assert rows[0] == [
        "30",
        "20001",
        "Fjordkraft Økonomi AS",
        "Storgata 1",
        "Bygg Æ",
        "0155",
        "Oslo",
        "",  # balance last year
        "",  # giro number
        "14",  # days of credit
        "",
        "",
        "",
        "+47 22 33 44 55",
        "",  # fax
        "",
        "",
        "",
        "faktura@fjordøkonomi.no",
        "912345670",
        "NO",
    ]
    assert rows[1][:7] == ["30", "20002", "Blåbærlia Barnehage", "Lierveien 5", "", "3400", "Lier"]
    assert rows[1][13] == "" and rows[1][18:] == ["post@blaabaerlia.no", "998877665", "NO"]
    assert rows[2] == [
        "80",
        "5001",
        "20001",
        "20261130",
        "20261214",
        "5001",
        "Åse Bjørnstad",
        "Prosjekt Nord, november",
        "NOK",
        "10675.00",
        str(first.project.number or ""),
    ]
    assert rows[3] == [
        "81",
        "5001",
        "1",
        "1001",
        "30.11.2026 Rådgivning for økonomisjefen",
        "7.50",
        "1250.00",
        "0.00",
        "",
        "9375.00",
    ]
    assert rows[4] == [
        "81",
        "5001",
        "2",
        "1002",
        'Reise "Oslo–Ås"',
        "2.00",
        "650.00",
        "0.00",
        "",
        "1300.00",
    ]
    assert rows[5] == [
        "80",
        "5002",
        "20002",
        "20261130",
        "20261214",
        "5002",
        "Åse Bjørnstad",
        "Årsoppgjør",  # no title: the project names the order
        "NOK",
        "1562.50",
        "4711",
    ]
    assert rows[6] == [
        "81",
        "5002",
        "1",
        "1001",
        "Møte med styret",
        "1.25",
        "1250.00",
        "0.00",
        "",
        "1562.50",
    ]


def test_the_file_is_windows_1252_with_crlf_and_aeoeaa_as_single_bytes() -> None:
    connection = csv_connection()
    first, second = two_orders(connection)

    content = EXPORT.build(connection, [first, second])

    assert "Blåbærlia".encode("cp1252") in content  # b"Bl\xe5b\xe6rlia"
    assert b"\xf8" in content  # ø of Økonomi's lower-case kin in "Møte"
    assert content.count(b"\r\n") == 7 and b"\n" not in content.replace(b"\r\n", b"")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    # The en dash of "Oslo–Ås" exists in Windows-1252 (0x96), not in ISO-8859-1.
    assert b"\x96" in content


def test_a_comma_or_quote_in_a_text_is_quoted_and_a_line_break_becomes_a_space() -> None:
    connection = csv_connection()
    work_type = WorkTypeFactory(product_number="2001")
    order = make_order(
        connection,
        customer=CustomerFactory(name="Berg, Dahl & Co", number="3001"),
        number="6001",
        lines=[(work_type, "1.00", "100.00", "Linje én,\nlinje to")],
    )

    content = EXPORT.build(connection, [order])

    assert b'"Berg, Dahl & Co"' in content
    rows = parse(content)
    assert rows[0][2] == "Berg, Dahl & Co"
    assert rows[2][4] == "Linje én, linje to"
    assert all(len(row) == 21 for row in rows if row[0] == "30")


def test_a_customer_with_two_orders_is_written_once_before_the_invoices() -> None:
    connection = csv_connection()
    work_type = WorkTypeFactory(product_number="2001")
    customer = CustomerFactory(number="3002")
    orders = [
        make_order(connection, customer=customer, number=n, lines=[(work_type, "1.00", "10", "x")])
        for n in ("7001", "7002")
    ]

    rows = parse(EXPORT.build(connection, orders))

    assert [row[:2] for row in rows] == [
        ["30", "3002"],
        ["80", "7001"],
        ["81", "7001"],
        ["80", "7002"],
        ["81", "7002"],
    ]


def test_the_export_is_offered_in_csv_mode_only() -> None:
    spec = spec_for("unimicro")
    csv_mode = Connection(system="unimicro", settings={"mode": "csv"})
    api_mode = Connection(system="unimicro", settings={"mode": "api"})

    assert spec.order_export is EXPORT
    assert EXPORT.available(csv_mode)
    assert not EXPORT.available(api_mode)
    assert spec_for("24so").order_export is None


def test_an_order_unimicro_would_refuse_says_why() -> None:
    connection = csv_connection()
    nameless = WorkTypeFactory(name="Kurs", product_number="")
    order = make_order(
        connection,
        customer=CustomerFactory(name="Uten Nummer AS", number=""),
        number="8001",
        lines=[(nameless, "1.00", "10", "x")],
    )
    empty = make_order(connection, customer=CustomerFactory(number="3003"), number="8002", lines=[])

    problems = EXPORT.problems(connection, order)

    assert problems == [
        "Uten Nummer AS has no customer number; Unimicro files customers by number.",
        "No product number on Kurs; Unimicro matches a line's product by its number.",
    ]
    assert EXPORT.problems(connection, empty) == ["The order has no lines."]


def test_the_file_name_is_the_moment_in_oslo_time() -> None:
    moment = datetime.datetime(2026, 12, 4, 3, 5, 6, tzinfo=datetime.UTC)
    assert EXPORT.file_name(None, moment) == "unimicro-20261204-040506.txt"
    assert timezone.localtime(moment).hour == 4
