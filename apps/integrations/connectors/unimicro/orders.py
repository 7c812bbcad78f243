"""Unimicro's orders (`spec.orders`): a Tidsbro order of approved hours becomes a registered
CustomerOrder (`/api/biz/orders`), and — where the office chooses (connection setting
`transfer_orders_to_invoice`) — an invoice draft by the order's `transfer-to-invoice`. Never
sent to the customer: Tidsbro never calls the invoice's `invoice` action (that is the office's
decision, in Unimicro).

- Head: the customer (CustomerID from the customer binding, its name as Unimicro holds it),
  OurReference = the order's title, the project as DefaultDimensions when the order is for one
  project, and InternalNote = Tidsbro's key of the order (the look-up marker, see below).
- Lines: one per order line (the generic order screen's line per hour): ProductID = the
  Unimicro product whose number is the work type's product number (found among Products, never
  created), NumberOfItems = the hours, PriceExVat = Tidsbro's rate, ItemText, Dimensions with the
  hour's project, and ItemSource.Details = [{SourceType "WorkItem", SourceFK = the hour's work
  item, Amount = its minutes}] so Unimicro marks the work items transferred to the order.
- Exactly once: the order, each line and each nested object carry a `_createguid` derived from
  the order's key (Tidsbro's, made from its hours), so a POST sent again is refused by Unimicro
  rather than inserted twice; before creating, the order is looked up among the customer's
  recent orders by its InternalNote (one request), and register / transfer-to-invoice continue
  from the state it is in.
- Hours transferred on order creation reach Unimicro after the order: each such line's Comment
  is the hour's reference, and the hour's push (hours.py) makes its work item the line's
  source then, so Unimicro marks it transferred all the same.
- Refused before anything is written: no customer in Unimicro, a product number Unimicro does
  not know, hours not yet in Unimicro as work items (when hours are transferred on approval:
  Unimicro must mark them invoiced, or they could be invoiced twice there).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.integrations.connectors.base import Rejected
from apps.integrations.connectors.unimicro import mappers
from apps.integrations.connectors.unimicro.rules import quoted

PLURAL = "orders"
CUSTOMERS = "customers"
# Order status (API-NOTES §5.3).
ORDER_DRAFT = 41001
ORDER_REGISTERED = 41002
ORDER_TRANSFERRED = 41004
# Unimicro's product number (Product.PartName) is free text; longer would not be one.
MAX_PRODUCT_NUMBER = 50
MAX_ITEM_TEXT = 255
UNIT = "timer"
MARKER = "Tidsbro"
# How far back an order sent again is looked for (an unanswered order is sent again soon).
LOOK_BACK = timedelta(days=30)


def _number(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def order_marker(order: Any) -> str:
    """The InternalNote that names the order's Tidsbro key (pure)."""
    return f"{MARKER} {str(getattr(order, 'key', '') or '').strip()}"[:250]


def order_guid(order: Any, part: str) -> str:
    """A `_createguid` of one part of the order ("order", "line-3", "line-3-source" …): the
    same on every attempt of the same order (pure)."""
    return mappers.guid(f"tidsbro:order:{getattr(order, 'key', '')}:{part}")


def transfers_to_invoice(connection: Any) -> bool:
    """Whether orders go on to an invoice draft (connection setting, off unless chosen)."""
    return bool((getattr(connection, "settings", None) or {}).get("transfer_orders_to_invoice"))


class UnimicroOrders:
    # What a Unimicro product number looks like, for the office (order problems).
    product_number_rule = _("the product number of a product in Unimicro (Products)")
    # The same order sent again is found by its key and refused by its create guids.
    retries_safely = True
    # What the order's number is in Unimicro (the order's page and list say it).
    document_label = _("order")

    def id_ok(self, external_id: str) -> bool:
        """Unimicro's customer and project ids are whole numbers."""
        return _number(external_id) is not None

    def product_number_ok(self, product_number: str) -> bool:
        """A line names a Unimicro product by its number (text; Unimicro must know it)."""
        text = (product_number or "").strip()
        return 1 <= len(text) <= MAX_PRODUCT_NUMBER

    def create(self, connector: Any, order: Any) -> str:
        """Creates the customer order (the look-up, the customer, one request per product
        number, the POST), registers it and — when chosen — transfers it to an invoice draft;
        returns the order's number. Rejected with the reason when Unimicro would refuse it."""
        check_sources(connector.connection, order)
        document = find_order(connector, order)
        if document is None:
            body = order_body(connector, order)
            try:
                document = connector.client.create(PLURAL, body)
            except Rejected:
                # Made by an attempt whose answer was lost (its guid is used): it is there.
                document = find_order(connector, order)
                if document is None:
                    raise
        order_id = int(document["ID"])
        status = int(document.get("StatusCode") or ORDER_DRAFT)
        if status == ORDER_DRAFT:
            document = connector.client.action(PLURAL, order_id, "register") or document
            status = int(document.get("StatusCode") or ORDER_REGISTERED)
        if transfers_to_invoice(connector.connection) and status < ORDER_TRANSFERRED:
            connector.client.action(PLURAL, order_id, "transfer-to-invoice")
        number = document.get("OrderNumber")
        if not number:
            number = (connector.client.get(PLURAL, order_id) or {}).get("OrderNumber")
        return str(number or order_id)

    def problems(self, connection: Any, entries: list[Any]) -> list[str]:
        """What Unimicro would refuse, known here (one query): hours transferred on approval
        that are not work items there yet (the screen lists it before sending)."""
        from apps.integrations import bindings
        from apps.integrations.models import HourTransfer

        if getattr(connection, "hour_transfer", None) != HourTransfer.ON_APPROVAL:
            return []
        ids = [e.pk for e in entries]
        held = bindings.remote_ids(connection, "hour", ids, which=bindings.PRESENT)
        missing = [pk for pk in ids if not _number(held.get(pk))]
        if not missing:
            return []
        return [
            gettext(
                "%(count)d of these hours are not in Unimicro as work items yet: transfer them "
                "first (Sync now, or see why they wait in the sync center), then send the "
                "order. Unimicro marks the work items on an order as invoiced."
            )
            % {"count": len(missing)}
        ]

    def url(self, connection: Any, number: str) -> str:
        """A link to the order in Unimicro (`UNIMICRO_ORDER_URL` with `{number}` and, where
        the address names it, `{company}`: the connection's company key), or ""."""
        template = str(getattr(settings, "UNIMICRO_ORDER_URL", "") or "")
        text = str(number or "").strip()
        if not template or not text.isdigit():
            return ""
        company = str((getattr(connection, "settings", None) or {}).get("company_key") or "")
        return template.replace("{number}", text).replace("{company}", quote(company, safe=""))


def check_sources(connection: Any, order: Any) -> None:
    """Refuses (before any request) an order whose hours should be work items in Unimicro but
    are not yet: Unimicro marks the work items on an order as invoiced, and hours left
    unmarked there could be invoiced a second time."""
    from apps.integrations.models import HourTransfer

    if getattr(connection, "hour_transfer", None) != HourTransfer.ON_APPROVAL:
        return
    missing = [line for line in order.lines if not _number(getattr(line, "hour_external_id", None))]
    if missing:
        raise Rejected(
            gettext(
                "%(count)d of the order's hours are not in Unimicro as work items yet: "
                "transfer them first (Sync now, or see why they wait in the sync center), then "
                "send the order. Unimicro marks the work items on an order as invoiced."
            )
            % {"count": len(missing)},
            operation="create order",
        )


def find_order(connector: Any, order: Any) -> dict[str, Any] | None:
    """The order an earlier attempt made, or None (one request): the customer's orders of
    the last `LOOK_BACK` days whose InternalNote is the order's marker (compared here: a
    filter on a field no order has yet is refused by some Unimicro versions)."""
    customer_id = _number(order.customer_external_id)
    if customer_id is None or not str(getattr(order, "key", "") or "").strip():
        return None
    marker = order_marker(order)
    since = (date.today() - LOOK_BACK).isoformat()
    found = [
        d
        for d in connector.client.list(
            PLURAL, filter=f"CustomerID eq {customer_id} and CreatedAt ge {quoted(since)}"
        )
        if d.get("Deleted") is not True and str(d.get("InternalNote") or "") == marker
    ]
    return min(found, key=lambda d: d["ID"]) if found else None


def order_body(connector: Any, order: Any) -> dict[str, Any]:
    """The CustomerOrder for Tidsbro's order: the customer as Unimicro holds it (one request)
    and each product number's product (one request each, never created)."""
    from apps.integrations.connectors.unimicro.worktypes import product_id

    customer_id = _number(order.customer_external_id)
    if customer_id is None:
        raise Rejected(
            gettext("The order's customer is not in Unimicro (it has no Unimicro id)."),
            operation="create order",
        )
    customer = connector.client.get(CUSTOMERS, customer_id, expand="Info")
    if customer is None or customer.get("Deleted") is True:
        raise Rejected(
            gettext("Customer %(id)s does not exist in Unimicro (any more).") % {"id": customer_id},
            operation="create order",
        )
    products: dict[str, int | None] = {}
    for line in order.lines:
        number = line.product_number.strip()
        if number not in products:
            products[number] = product_id(connector, number)
    info = customer.get("Info") if isinstance(customer.get("Info"), dict) else {}
    body: dict[str, Any] = {
        "ID": 0,
        "_createguid": order_guid(order, "order"),
        "CustomerID": customer_id,
        "CustomerName": mappers.text(info.get("Name"), 255),
        "CustomerOrgNumber": mappers.text(customer.get("OrgNumber"), 30),
        "OrderDate": date.today().isoformat(),
        "OurReference": mappers.text(order.title, 255),
        "InternalNote": order_marker(order),
        "Items": [
            order_item(order, index, line, products.get(line.product_number.strip()))
            for index, line in enumerate(order.lines, start=1)
        ],
    }
    project = _number(order.project_external_id)
    if project is not None:
        body["DefaultDimensions"] = {
            "ID": 0,
            "ProjectID": project,
            "_createguid": order_guid(order, "dimensions"),
        }
    return body


def order_item(order: Any, index: int, line: Any, product: int | None) -> dict[str, Any]:
    """One order line (pure): the product, the hours, the rate, and the hour's work item as
    its source."""
    quantity = Decimal(str(line.quantity)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    item: dict[str, Any] = {
        "ID": 0,
        "_createguid": order_guid(order, f"line-{index}"),
        "ProductID": product,
        "ItemText": mappers.text(line.description, MAX_ITEM_TEXT),
        "Unit": UNIT,
        "NumberOfItems": float(quantity),
        "PriceExVat": float(Decimal(str(line.price))),
        "SortIndex": index,
    }
    project = _number(getattr(line, "project_external_id", None))
    if project is not None:
        item["Dimensions"] = {
            "ID": 0,
            "ProjectID": project,
            "_createguid": order_guid(order, f"line-{index}-dimensions"),
        }
    work_item = _number(getattr(line, "hour_external_id", None))
    if work_item is None and getattr(line, "hour_ref", ""):
        # The hour reaches Unimicro after the order (transferred on order creation): the
        # line names it, and the hour's push makes its work item the line's source.
        item["Comment"] = str(line.hour_ref)
    if work_item is not None:
        registered = getattr(line, "registered_hours", None)
        minutes = Decimal(str(registered if registered is not None else quantity)) * 60
        item["ItemSource"] = {
            "ID": 0,
            "_createguid": order_guid(order, f"line-{index}-source"),
            "Details": [
                {
                    "ID": 0,
                    "_createguid": order_guid(order, f"line-{index}-source-detail"),
                    "SourceType": "WorkItem",
                    "SourceFK": work_item,
                    "Amount": int(minutes.quantize(Decimal("1"), rounding=ROUND_HALF_UP)),
                }
            ],
        }
    return item


ORDERS = UnimicroOrders()
