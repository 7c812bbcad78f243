"""Orders as the file Unimicro imports (CSV mode: no API access needed).

Record types (the first field of each line; RecMan's "Unimicro file export" and the Uni
standard format): 30 customer, 80 invoice, 81 invoice line. The file is comma-separated
text in Windows-1252 (æ, ø, å survive as single bytes) with CRLF line ends, no header line;
every customer of the file comes first (once), then each invoice followed by its lines.
Field order: `CUSTOMER_FIELDS`, `INVOICE_FIELDS`, `LINE_FIELDS` below, documented in
README.md ("CSV export for Unimicro") with what is verified and what is assumed.

Pure: builds bytes from orders already read (customer, project, creator and lines loaded).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.integrations.connectors.base import OrderExport
from apps.integrations.connectors.unimicro import MODE_CSV

RECORD_CUSTOMER = "30"
RECORD_INVOICE = "80"
RECORD_LINE = "81"

ENCODING = "cp1252"
SEPARATOR = ","
LINE_END = "\r\n"
DATE_FORMAT = "%Y%m%d"
# The invoice's due date when nothing else is known: the customer's days of credit.
CREDIT_DAYS = 14
CURRENCY = "NOK"

# Field order of each record type (position 1 is the record type). Positions 1-18 of the
# customer record follow the published Uni standard table; the rest is our documented choice.
CUSTOMER_FIELDS = (
    "record_type",  # 1  "30"
    "customer_number",  # 2  account number
    "name",  # 3
    "address",  # 4
    "address2",  # 5
    "postal_code",  # 6
    "city",  # 7  postal place
    "balance_last_year",  # 8  empty
    "giro_number",  # 9  empty
    "credit_days",  # 10
    "chain_number",  # 11 empty
    "category",  # 12 empty
    "economic_category",  # 13 empty
    "phone",  # 14
    "fax",  # 15 empty
    "blank",  # 16 empty
    "turnover",  # 17 empty
    "discount",  # 18 empty
    "email",  # 19 (assumed position)
    "organisation_number",  # 20 (assumed position)
    "country",  # 21 (assumed position)
)
INVOICE_FIELDS = (
    "record_type",  # 1  "80"
    "invoice_number",  # 2  Tidsbro's order number
    "customer_number",  # 3
    "invoice_date",  # 4  YYYYMMDD
    "due_date",  # 5  YYYYMMDD
    "order_number",  # 6  Tidsbro's order number
    "our_reference",  # 7  who made the order
    "your_reference",  # 8  the order's title, else its project
    "currency",  # 9  "NOK"
    "total",  # 10 excl. VAT, for control
    "project_number",  # 11 empty without a project number
)
LINE_FIELDS = (
    "record_type",  # 1  "81"
    "invoice_number",  # 2  the invoice the line belongs to
    "line_number",  # 3  1, 2, …
    "product_number",  # 4  the work type's product number (matched in Unimicro)
    "text",  # 5
    "quantity",  # 6  hours
    "unit_price",  # 7  excl. VAT
    "discount_percent",  # 8  always 0.00: Tidsbro writes hours down instead
    "vat_code",  # 9  empty: the product's VAT code in Unimicro applies
    "amount",  # 10 quantity × unit price, excl. VAT
)

TWO_PLACES = Decimal("0.01")


def money(value: Any) -> str:
    """`1250` → "1250.00": decimal point, two places, no thousands separator."""
    return str(Decimal(str(value or 0)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP))


def day(value: date) -> str:
    return value.strftime(DATE_FORMAT)


def clean(value: Any) -> str:
    """One line of text: line breaks become spaces (a record is one line)."""
    return " ".join(str(value or "").split())


def invoice_date(order: Any) -> date:
    """The order's day in the office's time zone."""
    return timezone.localdate(order.created_at)


def customer_record(customer: Any) -> list[str]:
    values = {
        "record_type": RECORD_CUSTOMER,
        "customer_number": clean(customer.number),
        "name": clean(customer.name),
        "address": clean(customer.address_line1),
        "address2": clean(customer.address_line2),
        "postal_code": clean(customer.postal_code),
        "city": clean(customer.city),
        "credit_days": str(CREDIT_DAYS),
        "phone": clean(customer.phone),
        "email": clean(customer.email),
        "organisation_number": clean(customer.organisation_number).replace(" ", ""),
        "country": clean(customer.country),
    }
    return [values.get(name, "") for name in CUSTOMER_FIELDS]


def invoice_record(order: Any) -> list[str]:
    issued = invoice_date(order)
    project = order.project
    reference = order.title or (project.name if project is not None else "")
    values = {
        "record_type": RECORD_INVOICE,
        "invoice_number": clean(order.external_id),
        "customer_number": clean(order.customer.number),
        "invoice_date": day(issued),
        "due_date": day(issued + timedelta(days=CREDIT_DAYS)),
        "order_number": clean(order.external_id),
        "our_reference": clean(order.created_by.get_full_name() if order.created_by else ""),
        "your_reference": clean(reference),
        "currency": CURRENCY,
        "total": money(order.total),
        "project_number": str(project.number or "") if project is not None else "",
    }
    return [values.get(name, "") for name in INVOICE_FIELDS]


def line_records(order: Any) -> list[list[str]]:
    records = []
    for index, line in enumerate(order.lines.all(), start=1):
        values = {
            "record_type": RECORD_LINE,
            "invoice_number": clean(order.external_id),
            "line_number": str(index),
            "product_number": clean(line.product_number),
            "text": clean(line.description),
            "quantity": money(line.hours),
            "unit_price": money(line.rate),
            "discount_percent": money(0),
            "vat_code": "",
            "amount": money(line.amount),
        }
        records.append([values.get(name, "") for name in LINE_FIELDS])
    return records


def records(orders: Sequence[Any]) -> list[list[str]]:
    """Every customer once (in the orders' order), then each invoice and its lines."""
    customers: dict[int, list[str]] = {}
    for order in orders:
        customers.setdefault(order.customer_id, customer_record(order.customer))
    rows = list(customers.values())
    for order in orders:
        rows.append(invoice_record(order))
        rows.extend(line_records(order))
    return rows


def render(rows: Sequence[Sequence[str]]) -> bytes:
    """Comma-separated, quoted only where a field holds a comma or a quote, CRLF, cp1252
    (a character Windows-1252 lacks becomes "?")."""
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=SEPARATOR, lineterminator=LINE_END, quoting=csv.QUOTE_MINIMAL
    )
    writer.writerows(rows)
    return buffer.getvalue().encode(ENCODING, errors="replace")


def parse(content: bytes) -> list[list[str]]:
    """The records of a file (for tests and support: the inverse of `render`)."""
    text = content.decode(ENCODING)
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=SEPARATOR)]


class UnimicroOrderExport(OrderExport):
    """`spec.order_export` for connections in CSV mode (in API mode the orders go to
    Unimicro as customer orders already; a file of the same orders would bill them twice)."""

    content_type = "text/plain; charset=windows-1252"
    encoding = ENCODING
    extension = "txt"

    def available(self, connection: Any) -> bool:
        return (getattr(connection, "settings", None) or {}).get("mode") == MODE_CSV

    def problems(self, connection: Any, order: Any) -> list[str]:
        found = []
        if not str(order.customer.number or "").strip():
            found.append(
                _("%(customer)s has no customer number; Unimicro files customers by number.")
                % {"customer": order.customer}
            )
        lines = list(order.lines.all())
        if not lines:
            found.append(_("The order has no lines."))
        missing = sorted(
            {str(line.work_type) for line in lines if not str(line.product_number or "").strip()}
        )
        if missing:
            found.append(
                _(
                    "No product number on %(work_types)s; Unimicro matches a line's product by "
                    "its number."
                )
                % {"work_types": ", ".join(missing)}
            )
        return found

    def build(self, connection: Any, orders: Sequence[Any]) -> bytes:
        return render(records(orders))

    def file_name(self, connection: Any, moment: datetime) -> str:
        return f"unimicro-{timezone.localtime(moment):%Y%m%d-%H%M%S}.txt"


EXPORT = UnimicroOrderExport()
