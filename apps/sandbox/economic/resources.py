"""The resources the sandbox serves: how each renders, filters, sorts and is addressed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote

from django.db import models

from . import schemas
from .models import (
    Agreement,
    Currency,
    Customer,
    CustomerGroup,
    Employee,
    Layout,
    PaymentTerms,
    Product,
    VatZone,
)
from .query import FieldSpec

SALES = frozenset({"SuperUser", "Sales"})
READ_SETUP = frozenset({"SuperUser", "Sales", "Bookkeeping"})


def timestamp(value: dt.datetime) -> str:
    """``lastUpdated`` as e-conomic writes it: whole seconds, UTC, a literal ``Z``."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_to_second() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# e-conomic's "custom resource self-link encoding" for string ids such as productNumber.
_ENCODE = {
    "<": "_0_",
    ">": "_1_",
    "*": "_2_",
    "%": "_3_",
    ":": "_4_",
    "&": "_5_",
    "/": "_6_",
    "\\": "_7_",
    "_": "_8_",
    " ": "_9_",
    "?": "_10_",
    ".": "_11_",
    "#": "_12_",
    "+": "_13_",
}
_DECODE = {token: char for char, token in _ENCODE.items()}
_TOKEN = re.compile(r"_(1[0-3]|[0-9])_")


def encode_id(value: str) -> str:
    return quote("".join(_ENCODE.get(c, c) for c in value), safe="_")


def decode_id(value: str) -> str:
    return _TOKEN.sub(lambda m: _DECODE[m.group(0)], value)


@dataclass(frozen=True)
class Ctx:
    base: str  # absolute URL of the API root, e.g. http://127.0.0.1:8000/sandbox/economic
    agreement: Agreement


def _ref(base: str, path: str, key: str, number) -> dict:
    return {key: number, "self": f"{base}/{path}/{number}"}


# Customers ----------------------------------------------------------------------------------

CUSTOMER_STRINGS = {
    "address": "address",
    "zip": "zip",
    "city": "city",
    "country": "country",
    "corporateIdentificationNumber": "corporate_identification_number",
    "pNumber": "p_number",
    "vatNumber": "vat_number",
    "ean": "ean",
    "publicEntryNumber": "public_entry_number",
    "email": "email",
    "telephoneAndFaxNumber": "telephone_and_fax_number",
    "mobilePhone": "mobile_phone",
    "website": "website",
}


def customer_json(c: Customer, ctx: Ctx, *, meta: bool = False) -> dict:
    base = ctx.base
    n = c.customer_number
    me = f"{base}/customers/{n}"
    body: dict = {
        "customerNumber": n,
        "currency": c.currency,
        "paymentTerms": _ref(base, "payment-terms", "paymentTermsNumber", c.payment_terms_number),
        "customerGroup": _ref(
            base, "customer-groups", "customerGroupNumber", c.customer_group_number
        ),
        "name": c.name,
        "vatZone": _ref(base, "vat-zones", "vatZoneNumber", c.vat_zone_number),
        "balance": float(c.balance),
        "dueAmount": float(c.due_amount),
    }
    for key, column in CUSTOMER_STRINGS.items():
        value = getattr(c, column)
        if value:
            body[key] = value
    if c.credit_limit is not None:
        body["creditLimit"] = _num(c.credit_limit)
    if c.barred:
        body["barred"] = True
    if c.layout_number is not None:
        body["layout"] = _ref(base, "layouts", "layoutNumber", c.layout_number)
    if c.sales_person_number is not None:
        body["salesPerson"] = _ref(base, "employees", "employeeNumber", c.sales_person_number)
    if c.attention_number is not None:
        body["attention"] = {
            "customerContactNumber": c.attention_number,
            "self": f"{me}/contacts/{c.attention_number}",
        }
    if c.customer_contact_number is not None:
        body["customerContact"] = {
            "customerContactNumber": c.customer_contact_number,
            "self": f"{me}/contacts/{c.customer_contact_number}",
        }
    if c.default_delivery_location_number is not None:
        body["defaultDeliveryLocation"] = {
            "deliveryLocationNumber": c.default_delivery_location_number,
            "self": f"{me}/delivery-locations/{c.default_delivery_location_number}",
        }
    body.update(
        {
            "lastUpdated": timestamp(c.last_updated),
            "contacts": f"{me}/contacts",
            "templates": {
                "invoice": f"{me}/templates/invoice",
                "invoiceLine": f"{me}/templates/invoiceline",
                "self": f"{me}/templates",
            },
            "totals": {
                "drafts": f"{base}/invoices/totals/drafts/customers/{n}",
                "booked": f"{base}/invoices/totals/booked/customers/{n}",
                "self": f"{me}/totals",
            },
            "deliveryLocations": f"{me}/delivery-locations",
            "invoices": {
                "drafts": f"{me}/invoices/drafts",
                "booked": f"{me}/invoices/booked",
                "self": f"{me}/invoices",
            },
            "eInvoicingDisabledByDefault": c.e_invoicing_disabled_by_default,
        }
    )
    if meta:
        body["metaData"] = {
            "delete": {"description": "Delete this customer.", "href": me, "httpMethod": "delete"},
            "replace": {"description": "Replace this customer.", "href": me, "httpMethod": "put"},
        }
    body["self"] = me
    return body


def _specs(schema_name: str, columns: dict[str, tuple[str, str]], extra=()) -> dict:
    """Field specs for the properties the schema marks filterable/sortable (and ``extra``)."""
    filterable = set(schemas.marked_fields(schema_name, "filterable")) | set(extra)
    sortable = set(schemas.marked_fields(schema_name, "sortable"))
    return {
        name: FieldSpec(
            column=column, kind=kind, filterable=name in filterable, sortable=name in sortable
        )
        for name, (column, kind) in columns.items()
        if name in filterable or name in sortable
    }


CUSTOMER_FIELDS = _specs(
    "customers.get",
    {
        "address": ("address", "str"),
        "balance": ("balance", "number"),
        "barred": ("barred", "bool"),
        "city": ("city", "str"),
        "corporateIdentificationNumber": ("corporate_identification_number", "str"),
        "country": ("country", "str"),
        "creditLimit": ("credit_limit", "number"),
        "currency": ("currency", "str"),
        "customerNumber": ("customer_number", "int"),
        "ean": ("ean", "str"),
        "email": ("email", "str"),
        "lastUpdated": ("last_updated", "datetime"),
        "name": ("name", "str"),
        "publicEntryNumber": ("public_entry_number", "str"),
        "telephoneAndFaxNumber": ("telephone_and_fax_number", "str"),
        "mobilePhone": ("mobile_phone", "str"),
        "vatNumber": ("vat_number", "str"),
        "website": ("website", "str"),
        "zip": ("zip", "str"),
        "customerGroup.customerGroupNumber": ("customer_group_number", "int"),
        "pNumber": ("p_number", "str"),
    },
    # Filterable on the real API although the schema does not say so (API-NOTES §8, S4).
    extra=("pNumber",),
)


# Reference data -----------------------------------------------------------------------------


def group_json(g: CustomerGroup, ctx: Ctx, *, meta: bool = False) -> dict:
    me = f"{ctx.base}/customer-groups/{g.number}"
    body: dict = {"customerGroupNumber": g.number, "name": g.name}
    if g.account_number is not None:
        body["account"] = {
            "accountNumber": g.account_number,
            "self": f"{ctx.base}/accounts/{g.account_number}",
        }
    if g.layout_number is not None:
        body["layout"] = _ref(ctx.base, "layouts", "layoutNumber", g.layout_number)
    body["customers"] = f"{me}/customers"
    body["self"] = me
    return body


def terms_json(t: PaymentTerms, ctx: Ctx, *, meta: bool = False) -> dict:
    body: dict = {"paymentTermsNumber": t.number}
    if t.days_of_credit is not None:
        body["daysOfCredit"] = t.days_of_credit
    if t.description:
        body["description"] = t.description
    body["name"] = t.name
    body["paymentTermsType"] = t.terms_type
    body["self"] = f"{ctx.base}/payment-terms/{t.number}"
    return body


def zone_json(z: VatZone, ctx: Ctx, *, meta: bool = False) -> dict:
    return {
        "vatZoneNumber": z.number,
        "name": z.name,
        "enabledForCustomer": z.enabled_for_customer,
        "enabledForSupplier": z.enabled_for_supplier,
        "self": f"{ctx.base}/vat-zones/{z.number}",
    }


def currency_json(c: Currency, ctx: Ctx, *, meta: bool = False) -> dict:
    body = {"code": c.code, "name": c.name}
    if c.iso_number:
        body["isoNumber"] = c.iso_number
    body["self"] = f"{ctx.base}/currencies/{c.code}"
    return body


def layout_json(x: Layout, ctx: Ctx, *, meta: bool = False) -> dict:
    body: dict = {"layoutNumber": x.number, "name": x.name}
    if x.deleted:
        body["deleted"] = True
    body["self"] = f"{ctx.base}/layouts/{x.number}"
    return body


def employee_json(e: Employee, ctx: Ctx, *, meta: bool = False) -> dict:
    me = f"{ctx.base}/employees/{e.number}"
    body: dict = {
        "employeeNumber": e.number,
        "employeeGroup": {
            "employeeGroupNumber": e.employee_group_number,
            "self": f"{ctx.base}/employee-groups/{e.employee_group_number}",
        },
        "name": e.name,
    }
    if e.email:
        body["email"] = e.email
    if e.phone:
        body["phone"] = e.phone
    if e.barred:
        body["barred"] = True
    body.update(
        {
            "customers": f"{me}/customers",
            "draftInvoices": f"{me}/invoices/drafts",
            "bookedInvoices": f"{me}/invoices/booked",
            "self": me,
        }
    )
    return body


def product_json(p: Product, ctx: Ctx, *, meta: bool = False) -> dict:
    me = f"{ctx.base}/products/{encode_id(p.number)}"
    body: dict = {"productNumber": p.number, "name": p.name}
    if p.description:
        body["description"] = p.description
    for key, value in (
        ("costPrice", p.cost_price),
        ("recommendedPrice", p.recommended_price),
        ("salesPrice", p.sales_price),
    ):
        if value is not None:
            body[key] = _num(value)
    if p.bar_code:
        body["barCode"] = p.bar_code
    if p.barred:
        body["barred"] = True
    body["lastUpdated"] = timestamp(p.last_updated)
    if p.unit_number is not None:
        body["unit"] = {"unitNumber": p.unit_number, "self": f"{ctx.base}/units/{p.unit_number}"}
        if p.unit_name:
            body["unit"]["name"] = p.unit_name
    group = {
        "productGroupNumber": p.product_group_number,
        "self": f"{ctx.base}/product-groups/{p.product_group_number}",
    }
    if p.product_group_name:
        group["name"] = p.product_group_name
    body["productGroup"] = group
    body["invoices"] = {"drafts": f"{me}/invoices/drafts", "booked": f"{me}/invoices/booked"}
    body["self"] = me
    return body


# The registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    path: str
    model: type[models.Model]
    key_column: str
    key_kind: str  # "int" / "str"
    render: Callable
    collection_schema: str
    item_schema: str
    roles: frozenset
    fields: dict = field(default_factory=dict)
    per_agreement: bool = True
    writable: bool = False
    label: str = "Resource"

    def queryset(self, agreement: Agreement):
        qs = self.model.objects.all()
        if self.per_agreement:
            qs = qs.filter(agreement=agreement)
        return qs

    def parse_key(self, raw: str):
        if self.key_kind == "int":
            return int(raw) if raw.isdigit() and len(raw) <= 9 else None  # e-conomic: ≤ 9 digits
        return decode_id(raw)


def _simple_fields(columns: dict[str, tuple[str, str]], filterable: set[str]) -> dict:
    return {
        name: FieldSpec(column=col, kind=kind, filterable=name in filterable, sortable=True)
        for name, (col, kind) in columns.items()
    }


RESOURCES: dict[str, Resource] = {
    r.path: r
    for r in (
        Resource(
            path="customers",
            model=Customer,
            key_column="customer_number",
            key_kind="int",
            render=customer_json,
            collection_schema="customers.get",
            item_schema="customers.customerNumber.get",
            roles=SALES,
            fields=CUSTOMER_FIELDS,
            writable=True,
            label="Customer",
        ),
        Resource(
            path="customer-groups",
            model=CustomerGroup,
            key_column="number",
            key_kind="int",
            render=group_json,
            collection_schema="customer-groups.get",
            item_schema="customer-groups.customerGroupNumber.get",
            roles=READ_SETUP,
            fields=_specs(
                "customer-groups.get",
                {
                    "customerGroupNumber": ("number", "int"),
                    "name": ("name", "str"),
                    "account.accountNumber": ("account_number", "int"),
                },
            ),
            label="Customer group",
        ),
        Resource(
            path="payment-terms",
            model=PaymentTerms,
            key_column="number",
            key_kind="int",
            render=terms_json,
            collection_schema="payment-terms.get",
            item_schema="payment-terms.paymentTermsNumber.get",
            roles=READ_SETUP,
            label="Payment terms",
        ),
        Resource(
            path="vat-zones",
            model=VatZone,
            key_column="number",
            key_kind="int",
            render=zone_json,
            collection_schema="vat-zones.get",
            item_schema="vat-zones.vatZoneNumber.get",
            roles=READ_SETUP,
            label="VAT zone",
        ),
        Resource(
            path="currencies",
            model=Currency,
            key_column="code",
            key_kind="str",
            render=currency_json,
            collection_schema="currencies.get",
            item_schema="currencies.code.get",
            roles=READ_SETUP,
            per_agreement=False,
            label="Currency",
        ),
        Resource(
            path="layouts",
            model=Layout,
            key_column="number",
            key_kind="int",
            render=layout_json,
            collection_schema="layouts.get",
            item_schema="layouts.layoutNumber.get",
            roles=READ_SETUP,
            label="Layout",
        ),
        Resource(
            path="employees",
            model=Employee,
            key_column="number",
            key_kind="int",
            render=employee_json,
            collection_schema="employees.get",
            item_schema="employees.employeeNumber.get",
            roles=READ_SETUP,
            fields=_specs(
                "employees.get",
                {
                    "employeeNumber": ("number", "int"),
                    "employeeGroup.employeeGroupNumber": ("employee_group_number", "int"),
                    "name": ("name", "str"),
                    "email": ("email", "str"),
                    "phone": ("phone", "str"),
                    "barred": ("barred", "bool"),
                },
            ),
            label="Employee",
        ),
        Resource(
            path="products",
            model=Product,
            key_column="number",
            key_kind="str",
            render=product_json,
            collection_schema="products.get",
            item_schema="products.productNumber.get",
            roles=SALES,
            fields=_specs(
                "products.get",
                {
                    "productNumber": ("number", "str"),
                    "description": ("description", "str"),
                    "name": ("name", "str"),
                    "costPrice": ("cost_price", "number"),
                    "recommendedPrice": ("recommended_price", "number"),
                    "salesPrice": ("sales_price", "number"),
                    "barCode": ("bar_code", "str"),
                    "barred": ("barred", "bool"),
                    "lastUpdated": ("last_updated", "datetime"),
                    "unit.unitNumber": ("unit_number", "int"),
                    "productGroup.productGroupNumber": ("product_group_number", "int"),
                },
            ),
            label="Product",
        ),
    )
}
