"""q2capi v5.3.0 in the sandbox: draft invoices and their lines (never booked).

The quotes-to-cash service has no booking operation, and neither has the sandbox: a draft made
here stays a draft until someone books it in e-conomic itself. Amounts are computed from the
lines (net, 25 % VAT in the domestic VAT zone, base currency by ``exchangeRate`` per 100).
The document lists no error codes for drafts; the ones used here are the sandbox's.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import models

from . import events
from .endpoint import Outcome
from .models import (
    Currency,
    Customer,
    DraftInvoice,
    DraftInvoiceLine,
    Layout,
    PaymentTerms,
    Product,
    Project,
    VatZone,
)
from .openapi import (
    Q2C,
    Call,
    Collection,
    as_float,
    compact,
    created,
    date_time,
    decimal,
    extras,
    filtered,
    invalid,
    location,
    next_version,
    not_found,
    one,
    parse_date,
    require_version,
    standard_reads,
    updated,
    version_token,
)
from .query import order_by
from .resources import now_to_second

FILE = Q2C.filename
CENT = Decimal("0.01")
DOMESTIC_VAT_ZONE = 1
DOMESTIC_VAT = Decimal("0.25")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# Drafts ----------------------------------------------------------------------------------------

DRAFT_COLUMNS = {
    "number": ("number", "int"),
    "draftInvoiceNumber": ("number", "int"),
    "customerNumber": ("customer_number", "int"),
}
DRAFT_STRINGS = {
    "customerAddress": "customer_address",
    "customerPostalCode": "customer_postal_code",
    "customerCity": "customer_city",
    "customerCountry": "customer_country",
    "heading": "heading",
    "otherReference": "other_reference",
    "textLine1": "text_line1",
    "textLine2": "text_line2",
    "externalId": "external_id",
}
DRAFT_KNOWN = {
    *DRAFT_COLUMNS,
    *DRAFT_STRINGS,
    "customerName",
    "date",
    "dueDate",
    "currencyCode",
    "exchangeRate",
    "layoutNumber",
    "termOfPaymentNumber",
    "vatZoneNumber",
    "isVatIncluded",
    "projectNumber",
    "objectVersion",
}


def draft_json(d: DraftInvoice) -> dict:
    doc = {
        "number": d.number,
        "draftInvoiceNumber": d.number,
        "customerNumber": d.customer_number,
        "customerName": d.customer_name,
        "date": date_time(d.date),
        "currencyCode": d.currency_code,
        "lastUpdated": updated(d.last_updated),
        "layoutNumber": d.layout_number,
        "termOfPaymentNumber": d.term_of_payment_number,
        "dueDate": date_time(d.due_date),
        "vatZoneNumber": d.vat_zone_number,
        "isVatIncluded": d.is_vat_included,
        "amountInBaseCurrency": as_float(d.amount_in_base_currency),
        "amount": as_float(d.amount),
        "vatAmount": as_float(d.vat_amount),
        "roundingAmount": as_float(d.rounding_amount),
        "projectNumber": d.project_number,
        "totalCostPriceInBaseCurrency": as_float(d.total_cost_price_in_base_currency),
        "exchangeRate": as_float(d.exchange_rate),
        "objectVersion": version_token(d.object_version),
    }
    for prop, column in DRAFT_STRINGS.items():
        doc[prop] = getattr(d, column)
    return {**compact(d.extra or {}), **compact(doc)}


DRAFTS = Collection(
    service=Q2C,
    schema="DraftInvoice",
    model=DraftInvoice,
    render=draft_json,
    label="Draft invoice",
    columns=DRAFT_COLUMNS,
)
standard_reads(DRAFTS, "/invoices/drafts", item=False)


@Q2C.route("GET", "/invoices/drafts/{number}")
def draft_get(call: Call, number: str) -> Outcome:
    return Outcome(200, draft_json(one(call, DRAFTS, number)))


def _draft_values(call: Call, doc: dict) -> dict:
    """Model values for a DraftInvoice document; 400 when a reference does not exist."""
    agreement = call.agreement
    customer = Customer.objects.filter(
        agreement=agreement, customer_number=doc["customerNumber"]
    ).first()
    if customer is None:
        raise invalid(
            f"Customer {doc['customerNumber']} does not exist.",
            "CustomerNotFound",
            "customerNumber",
        )
    for model, prop, code, label in (
        (Layout, "layoutNumber", "LayoutNotFound", "Layout"),
        (PaymentTerms, "termOfPaymentNumber", "TermOfPaymentNotFound", "Payment terms"),
        (VatZone, "vatZoneNumber", "VatZoneNotFound", "VAT zone"),
    ):
        if not model.objects.filter(agreement=agreement, number=doc[prop]).exists():
            raise invalid(f"{label} {doc[prop]} does not exist.", code, prop)
    if not Currency.objects.filter(code=doc["currencyCode"]).exists():
        raise invalid(
            f"Currency {doc['currencyCode']} does not exist.", "CurrencyNotFound", "currencyCode"
        )
    project = doc.get("projectNumber")
    if project is not None and not Project.objects.filter(agreement=agreement, number=project):
        raise invalid(f"Project {project} does not exist.", "ProjectNotFound", "projectNumber")
    day = parse_date(doc, "date", "InvalidDate")
    due = parse_date(doc, "dueDate", "InvalidDate")
    if due is None:
        terms = PaymentTerms.objects.get(agreement=agreement, number=doc["termOfPaymentNumber"])
        due = day + dt.timedelta(days=terms.days_of_credit or 0)
    if due < day:
        raise invalid("dueDate cannot be before date.", "DueDateBeforeDate", "dueDate")
    values = {
        "customer_number": customer.customer_number,
        "customer_name": doc["customerName"],
        "date": day,
        "due_date": due,
        "currency_code": doc["currencyCode"],
        "exchange_rate": decimal(doc, "exchangeRate"),
        "layout_number": doc["layoutNumber"],
        "term_of_payment_number": doc["termOfPaymentNumber"],
        "vat_zone_number": doc["vatZoneNumber"],
        "is_vat_included": bool(doc.get("isVatIncluded", False)),
        "project_number": project,
        "extra": extras(doc, "DraftInvoice", FILE, DRAFT_KNOWN),
    }
    for prop, column in DRAFT_STRINGS.items():
        values[column] = doc.get(prop) or ""
    return values


def _recompute(draft: DraftInvoice) -> None:
    """The draft's amounts from its lines; a new version and lastUpdated (saves the draft)."""
    totals = draft.lines.aggregate(net=models.Sum("total_net_amount"))
    net = totals["net"] or Decimal(0)
    cost = Decimal(0)
    for line in draft.lines.all():
        if line.quantity is not None and line.unit_cost_price is not None:
            cost += line.quantity * line.unit_cost_price
    draft.amount = _money(net)
    rate = DOMESTIC_VAT if draft.vat_zone_number == DOMESTIC_VAT_ZONE else Decimal(0)
    draft.vat_amount = _money(net * rate)
    draft.rounding_amount = Decimal(0)
    base = draft.agreement.base_currency
    if draft.currency_code == base or draft.exchange_rate is None:
        factor = Decimal(1)
    else:
        factor = draft.exchange_rate / 100
    draft.amount_in_base_currency = _money(net * factor)
    draft.total_cost_price_in_base_currency = _money(cost * factor)
    draft.object_version = next_version(draft.object_version)
    draft.last_updated = now_to_second()
    draft.save()


def _next_number(model, agreement) -> int:
    highest = model.objects.filter(agreement=agreement).aggregate(m=models.Max("number"))["m"]
    return (highest or 0) + 1


@Q2C.route("POST", "/invoices/drafts")
def draft_post(call: Call) -> Outcome:
    doc = call.body
    values = _draft_values(call, doc)
    value = doc.get("draftInvoiceNumber")
    if value is None:
        value = _next_number(DraftInvoice, call.agreement)
    elif DraftInvoice.objects.filter(agreement=call.agreement, number=value).exists():
        raise invalid(
            f"Draft invoice {value} already exists.", "DraftInvoiceNumberAlreadyExists", "number"
        )
    draft = DraftInvoice.objects.create(
        agreement=call.agreement,
        number=value,
        last_updated=now_to_second(),
        object_version=next_version(),
        **values,
    )
    _recompute(draft)
    events.emit(call.agreement, "DRAFTINVOICE_CREATED", DRAFTINVOICENUMBER=value)
    return created(value, location(call, f"invoices/drafts/{value}"))


@Q2C.route("PUT", "/invoices/drafts/{number}")
def draft_put(call: Call, number: str) -> Outcome:
    doc = call.body
    draft = one(call, DRAFTS, number)
    require_version(doc, draft)
    for column, value in _draft_values(call, doc).items():
        setattr(draft, column, value)
    _recompute(draft)
    return Outcome(204)


@Q2C.route("DELETE", "/invoices/drafts/{number}")
def draft_delete(call: Call, number: str) -> Outcome:
    one(call, DRAFTS, number).delete()
    return Outcome(204)


# Lines -------------------------------------------------------------------------------------------

LINE_COLUMNS = {
    "documentId": ("draft__number", "int"),
    "draftInvoiceNumber": ("draft__number", "int"),
    "number": ("number", "int"),
    "userInterfaceNumber": ("position", "int"),
    "productNumber": ("product_number", "str"),
    "discountPercentage": ("discount_percentage", "number"),
}
LINE_KNOWN = {
    *LINE_COLUMNS,
    "description",
    "quantity",
    "unitNumber",
    "unitNetPrice",
    "unitCostPrice",
    "objectVersion",
}


def line_json(line: DraftInvoiceLine) -> dict:
    margin = None
    percentage = None
    if line.quantity is not None and line.unit_cost_price is not None:
        margin = line.total_net_amount - line.quantity * line.unit_cost_price
        if line.total_net_amount:
            percentage = _money(margin * 100 / line.total_net_amount)
    doc = {
        "documentId": line.draft.number,
        "draftInvoiceNumber": line.draft.number,
        "number": line.number,
        "userInterfaceNumber": line.position,
        "productNumber": line.product_number,
        "description": line.description,
        "quantity": as_float(line.quantity),
        "unitNumber": line.unit_number,
        "unitNetPrice": as_float(line.unit_net_price),
        "unitCostPrice": as_float(line.unit_cost_price),
        "discountPercentage": as_float(line.discount_percentage),
        "marginInBaseCurrency": as_float(None if margin is None else _money(margin)),
        "marginPercentage": as_float(percentage),
        "totalNetAmount": as_float(line.total_net_amount),
        "objectVersion": version_token(line.object_version),
    }
    return {**compact(line.extra or {}), **compact(doc)}


class _Lines(Collection):
    def queryset(self, call: Call):
        return DraftInvoiceLine.objects.filter(agreement=call.agreement).select_related("draft")


LINES = _Lines(
    service=Q2C,
    schema="DraftInvoiceLine",
    model=DraftInvoiceLine,
    render=line_json,
    label="Draft invoice line",
    columns=LINE_COLUMNS,
)
standard_reads(LINES, "/invoices/drafts/lines", item=False)


def _draft(call: Call, document_id: str) -> DraftInvoice:
    return one(call, DRAFTS, document_id)


def _line(call: Call, draft: DraftInvoice, doc: dict, position: int, index: int | None):
    """A new line for ``draft`` from ``doc`` (not saved); 400 naming the line when refused."""
    where = "" if index is None else f"lines[{index}]."
    product = None
    number_value = doc.get("productNumber")
    if number_value:
        product = Product.objects.filter(agreement=call.agreement, number=number_value).first()
        if product is None:
            raise invalid(
                f"Product {number_value} does not exist.",
                "ProductNotFound",
                f"{where}productNumber",
            )
    quantity = decimal(doc, "quantity")
    if quantity is not None and product is None:
        raise invalid(
            "A line with a quantity needs a product.",
            "QuantityRequiresProduct",
            f"{where}productNumber",
        )
    price = decimal(doc, "unitNetPrice")
    if price is None and product is not None:
        price = product.sales_price
    cost = decimal(doc, "unitCostPrice")
    if cost is None and product is not None:
        cost = product.cost_price
    discount = decimal(doc, "discountPercentage")
    total = Decimal(0)
    if quantity is not None and price is not None:
        total = quantity * price * (1 - (discount or Decimal(0)) / 100)
    return DraftInvoiceLine(
        agreement=call.agreement,
        draft=draft,
        position=position,
        product_number=number_value or "",
        description=doc.get("description") or (product.name if product else ""),
        quantity=quantity,
        unit_number=doc.get("unitNumber") or (product.unit_number if product else None),
        unit_net_price=price,
        unit_cost_price=cost,
        discount_percentage=discount,
        total_net_amount=_money(total),
        object_version=next_version(),
        extra=extras(doc, "DraftInvoiceLine", FILE, LINE_KNOWN),
    )


def _add_lines(call: Call, draft: DraftInvoice, docs: list[dict], *, bulk: bool) -> list[int]:
    position = draft.lines.count()
    first = _next_number(DraftInvoiceLine, call.agreement)
    lines = []
    for index, doc in enumerate(docs):
        line = _line(call, draft, doc, position + index + 1, index if bulk else None)
        line.number = first + index
        lines.append(line)
    DraftInvoiceLine.objects.bulk_create(lines)
    _recompute(draft)
    return [line.number for line in lines]


@Q2C.route("GET", "/invoices/drafts/{documentId}/lines")
def lines_of_draft(call: Call, documentId: str) -> Outcome:  # noqa: N803 - the document's name
    draft = _draft(call, documentId)
    ordering = order_by(call.params.get("sort"), LINES.fields, "position")
    rows = filtered(call, LINES).filter(draft=draft).order_by(*ordering)
    return Outcome(200, [line_json(row) for row in rows])


@Q2C.route("POST", "/invoices/drafts/{documentId}/lines")
def line_post(call: Call, documentId: str) -> Outcome:  # noqa: N803
    draft = _draft(call, documentId)
    (value,) = _add_lines(call, draft, [call.body], bulk=False)
    return created(value, location(call, f"invoices/drafts/{draft.number}/lines/{value}"))


@Q2C.route("POST", "/invoices/drafts/{documentId}/lines/bulk")
def lines_bulk(call: Call, documentId: str) -> Outcome:  # noqa: N803
    draft = _draft(call, documentId)
    docs = call.body.get("lines") or []
    if not docs:
        raise invalid("Give at least one line.", "LinesRequired", "lines")
    return Outcome(201, {"numbers": _add_lines(call, draft, docs, bulk=True)})


def _one_line(call: Call, document_id: str, raw: str) -> DraftInvoiceLine:
    draft = _draft(call, document_id)
    line = None
    if raw.isdigit():
        line = draft.lines.filter(number=int(raw)).select_related("draft").first()
    if line is None:
        raise not_found(f"Draft invoice line {raw}")
    return line


@Q2C.route("GET", "/invoices/drafts/{documentId}/lines/{number}")
def line_get(call: Call, documentId: str, number: str) -> Outcome:  # noqa: N803
    return Outcome(200, line_json(_one_line(call, documentId, number)))


@Q2C.route("DELETE", "/invoices/drafts/{documentId}/lines/{number}")
def line_delete(call: Call, documentId: str, number: str) -> Outcome:  # noqa: N803
    line = _one_line(call, documentId, number)
    draft = line.draft
    line.delete()
    _recompute(draft)
    return Outcome(204)
