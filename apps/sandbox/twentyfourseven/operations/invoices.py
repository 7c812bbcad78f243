"""InvoiceService: sales orders (per-item APIException) and reading them back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..models import Company, InvoiceOrder, Project
from .common import Call, ints, is_set, next_number, operation, out_dt, plain, utc, values

READ_ONLY = {"APIException", "OrderTotalIncVat", "OrderTotalVat", "DateChanged"}


def _exception(message: str) -> dict:
    return {"Type": "Exception", "Message": message, "StackTrace": None}


def _totals(rows: list[dict]) -> tuple[Decimal, Decimal]:
    total = vat = Decimal("0")
    for row in rows:
        price = Decimal(str(row.get("Price") or 0))
        quantity = Decimal(str(row.get("Quantity") or 0))
        discount = Decimal(str(row.get("DiscountRate") or 0))
        line = price * quantity * (1 - discount / 100)
        rate = Decimal(str(row.get("VatRate") if row.get("VatRate") is not None else 25))
        total += line * (1 + rate / 100)
        vat += line * rate / 100
    return total.quantize(Decimal("0.01")), vat.quantize(Decimal("0.01"))


def order_dict(order: InvoiceOrder) -> dict[str, Any]:
    data = dict(order.data)
    data.update(
        {
            "OrderId": order.order_id,
            "CustomerId": order.customer_id,
            "ProjectId": order.project_id or 0,
            "OrderStatus": order.order_status,
            "InvoiceId": order.invoice_id or 0,
            "DateOrdered": out_dt(order.date_ordered),
            "DateChanged": out_dt(order.date_changed),
            "IncludeVAT": data.get("IncludeVAT"),
        }
    )
    rows = (data.get("InvoiceRows") or {}).get("InvoiceRow") or []
    data["OrderTotalIncVat"], data["OrderTotalVat"] = _totals(rows)
    return data


def _save_one(call: Call, data: dict) -> dict:
    customer_id = data.get("CustomerId")
    if not is_set(customer_id):
        return {**data, "APIException": _exception("CustomerId is required")}
    customer = Company.objects.filter(client=call.client, company_id=customer_id).first()
    if customer is None:
        return {**data, "APIException": _exception(f"Customer {customer_id} does not exist")}
    project_id = data.get("ProjectId")
    if (
        is_set(project_id)
        and not Project.objects.filter(client=call.client, project_id=project_id).exists()
    ):
        return {**data, "APIException": _exception(f"Project {project_id} does not exist")}
    order = None
    if is_set(data.get("OrderId")):
        order = InvoiceOrder.objects.filter(client=call.client, order_id=data["OrderId"]).first()
        if order is None:
            return {**data, "APIException": _exception(f"Order {data['OrderId']} does not exist")}
    rows = (data.get("InvoiceRows") or {}).get("InvoiceRow") or []
    for row in rows:
        if Decimal(str(row.get("Quantity") or 0)) < 0 and not row.get("Name"):
            return {**data, "APIException": _exception("Invoice row without name")}
    if order is None:
        order = InvoiceOrder(
            client=call.client,
            order_id=next_number(
                InvoiceOrder.objects.filter(client=call.client), "order_id", 10001
            ),
            date_ordered=utc(data.get("DateOrdered")) or call.now,
        )
    order.customer_id = customer_id
    order.project_id = project_id if is_set(project_id) else None
    order.order_status = data.get("OrderStatus") or order.order_status or "Draft"
    order.data = {
        **order.data,
        **{k: v for k, v in data.items() if k not in READ_ONLY},
        "CustomerName": customer.name,
    }
    order.date_changed = call.now
    order.save()
    return {**order_dict(order), "APIException": None}


@operation("invoice", "SaveInvoices")
def save_invoices(call: Call) -> dict | None:
    items = [_save_one(call, plain(i)) for i in values(call.params.get("invoices"), "InvoiceOrder")]
    return {"InvoiceOrder": items} if items else None


def _filter(data: dict, wanted: list[str], always: str) -> dict:
    if not wanted:
        return data
    return {k: v for k, v in data.items() if k in wanted or k == always}


@operation("invoice", "GetInvoices")
def get_invoices(call: Call) -> dict | None:
    search = call.params.get("searchParams")
    qs = InvoiceOrder.objects.filter(client=call.client)
    if search is not None:
        if ints(search["CustomerIds"]):
            qs = qs.filter(customer_id__in=ints(search["CustomerIds"]))
        if ints(search["OrderIds"]):
            qs = qs.filter(order_id__in=ints(search["OrderIds"]))
        if ints(search["InvoiceIds"]):
            qs = qs.filter(invoice_id__in=ints(search["InvoiceIds"]))
        states = [str(s) for s in values(search["OrderStates"], "OrderSlipStateType")]
        if states:
            qs = qs.filter(order_status__in=states)
        if search["ChangedAfter"]:
            qs = qs.filter(date_changed__gt=utc(search["ChangedAfter"]))
    wanted = [str(p) for p in values(call.params.get("invoiceReturnProperties"), "string")]
    row_wanted = [str(p) for p in values(call.params.get("rowReturnProperties"), "string")]
    items = []
    for order in qs.order_by("order_id"):
        data = order_dict(order)
        rows = (data.get("InvoiceRows") or {}).get("InvoiceRow") or []
        if row_wanted:
            rows = [{k: v for k, v in r.items() if k in row_wanted} for r in rows]
        data["InvoiceRows"] = {"InvoiceRow": rows} if rows else None
        if wanted and "InvoiceRows" not in wanted and not row_wanted:
            data.pop("InvoiceRows")
        items.append(_filter(data, wanted + (["InvoiceRows"] if row_wanted else []), "OrderId"))
    return {"InvoiceOrder": items} if items else None
