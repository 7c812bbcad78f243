"""Writes to the sandbox's customers, through the API or the admin, like e-conomic does them."""

from __future__ import annotations

from decimal import Decimal

from django.db import models, transaction

from . import errors as codes
from . import events, schemas
from .errors import add_error, property_error, validation_error
from .models import (
    Activity,
    Agreement,
    Currency,
    Customer,
    CustomerGroup,
    Employee,
    Knobs,
    Layout,
    PaymentTerms,
    Product,
    Project,
    TimeEntry,
    VatZone,
    next_version,
)
from .resources import CUSTOMER_STRINGS, now_to_second

MAX_CUSTOMER_NUMBER = 999_999_999


def next_customer_number(*, agreement: Agreement, numbering: str) -> int:
    """The number e-conomic would give a customer created without one (knob ``numbering``)."""
    numbers = Customer.objects.filter(agreement=agreement).values_list("customer_number", flat=True)
    if numbering == Knobs.NEXT_AFTER_MAX:
        highest = numbers.aggregate(m=models.Max("customer_number"))["m"]
        return (highest or 0) + 1
    expected = 1
    for number in numbers.order_by("customer_number").iterator():
        if number != expected:
            break
        expected += 1
    return expected


def _self_number(value) -> int | None:
    if not isinstance(value, str):
        return None
    last = value.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    return int(last) if last.isdigit() else None


def _reference(doc: dict, prop: str, key: str, errors: dict) -> int | None:
    """The number a reference object carries (``key`` or the number at the end of ``self``)."""
    ref = doc.get(prop)
    if not isinstance(ref, dict):
        return None
    number = ref.get(key)
    if number is None:
        number = _self_number(ref.get("self"))
    if number is None:
        add_error(
            errors,
            [prop],
            property_error(
                codes.NO_IDENTIFIER,
                f"The reference {prop} has no identifier.",
                hint=f"Give {prop}.{key} or {prop}.self.",
            ),
        )
    return number


def _must_exist(model, agreement, number, prop: str, label: str, errors: dict) -> None:
    if number is None:
        return
    if not model.objects.filter(agreement=agreement, number=number).exists():
        add_error(
            errors,
            [prop],
            property_error(codes.NOT_FOUND, f"{label} {number} does not exist.", number),
        )


def customer_fields_from(doc: dict, *, agreement: Agreement, method: str) -> dict:
    """Model values for a customer document; ApiError 400 (annotated) when it is invalid.

    A full replacement: properties the document omits come back empty/false. Read-only and
    unknown properties are ignored.
    """
    schema_name = "customers.post" if method == "POST" else "customers.customerNo.put"
    problems = schemas.request_errors(schema_name, doc)
    if problems:
        raise codes.from_schema_errors(problems)
    errors: dict = {}
    values: dict = {
        "name": doc["name"],
        "currency": doc["currency"],
        "customer_group_number": _reference(doc, "customerGroup", "customerGroupNumber", errors),
        "payment_terms_number": _reference(doc, "paymentTerms", "paymentTermsNumber", errors),
        "vat_zone_number": _reference(doc, "vatZone", "vatZoneNumber", errors),
        "layout_number": _reference(doc, "layout", "layoutNumber", errors),
        "sales_person_number": _reference(doc, "salesPerson", "employeeNumber", errors),
        "barred": bool(doc.get("barred", False)),
    }
    for key, column in CUSTOMER_STRINGS.items():
        values[column] = doc.get(key, "")
    credit = doc.get("creditLimit")
    values["credit_limit"] = None if credit is None else Decimal(str(credit))
    if method == "PUT":
        values["attention_number"] = _reference(doc, "attention", "customerContactNumber", errors)
        values["customer_contact_number"] = _reference(
            doc, "customerContact", "customerContactNumber", errors
        )
        values["default_delivery_location_number"] = _reference(
            doc, "defaultDeliveryLocation", "deliveryLocationNumber", errors
        )
    else:  # PATCH-only on an existing customer (schema description); settable on create
        values["e_invoicing_disabled_by_default"] = bool(
            doc.get("eInvoicingDisabledByDefault", False)
        )
    if not Currency.objects.filter(code=values["currency"]).exists():
        add_error(
            errors,
            ["currency"],
            property_error(
                codes.NOT_FOUND, f"Currency {values['currency']} does not exist.", doc["currency"]
            ),
        )
    for model, column, prop, label in (
        (CustomerGroup, "customer_group_number", "customerGroup", "Customer group"),
        (PaymentTerms, "payment_terms_number", "paymentTerms", "Payment terms"),
        (VatZone, "vat_zone_number", "vatZone", "VAT zone"),
        (Layout, "layout_number", "layout", "Layout"),
        (Employee, "sales_person_number", "salesPerson", "Employee"),
    ):
        _must_exist(model, agreement, values[column], prop, label, errors)
    if errors:
        raise validation_error(errors)
    return values


@transaction.atomic
def customer_create(*, agreement: Agreement, doc: dict, numbering: str) -> Customer:
    values = customer_fields_from(doc, agreement=agreement, method="POST")
    number = doc.get("customerNumber")
    if number is None:
        number = next_customer_number(agreement=agreement, numbering=numbering)
    elif Customer.objects.filter(agreement=agreement, customer_number=number).exists():
        raise validation_error(
            {
                "customerNumber": {
                    "errors": [
                        property_error(
                            codes.NUMBER_TAKEN,
                            f"Customer number {number} is already in use.",
                            number,
                            "Omit customerNumber to get the next free number.",
                        )
                    ]
                }
            }
        )
    customer = Customer.objects.create(
        agreement=agreement, customer_number=number, last_updated=now_to_second(), **values
    )
    events.emit(agreement, "CUSTOMER_CREATED", CUSTOMERNUMBER=customer.customer_number)
    return customer


@transaction.atomic
def customer_replace(*, agreement: Agreement, number: int, doc: dict) -> tuple[Customer, bool]:
    """PUT: replaces the whole customer, or creates it under ``number``. Returns (customer,
    created)."""
    if not 1 <= number <= MAX_CUSTOMER_NUMBER:
        raise codes.not_found("Customer")
    values = customer_fields_from(doc, agreement=agreement, method="PUT")
    customer = (
        Customer.objects.select_for_update()
        .filter(agreement=agreement, customer_number=number)
        .first()
    )
    if customer is None:
        customer = Customer.objects.create(
            agreement=agreement, customer_number=number, last_updated=now_to_second(), **values
        )
        events.emit(agreement, "CUSTOMER_CREATED", CUSTOMERNUMBER=number)
        return customer, True
    for column, value in values.items():
        setattr(customer, column, value)
    customer.last_updated = now_to_second()
    customer.save()
    events.emit(agreement, "CUSTOMER_UPDATED", CUSTOMERNUMBER=number)
    return customer, False


def customer_delete(*, agreement: Agreement, number: int) -> None:
    deleted, _ = Customer.objects.filter(agreement=agreement, customer_number=number).delete()
    if not deleted:
        raise codes.not_found("Customer")
    events.emit(agreement, "CUSTOMER_DELETED", CUSTOMERNUMBER=number)


# The admin ("play e-conomic") -----------------------------------------------------------------


@transaction.atomic
def sandbox_record_save(*, obj: models.Model, numbering: str = Knobs.LOWEST_FREE) -> models.Model:
    """Saves an admin edit like e-conomic would: numbers a new customer, moves lastUpdated."""
    adding = obj.pk is None
    if isinstance(obj, Customer) and obj.customer_number is None:
        obj.customer_number = next_customer_number(agreement=obj.agreement, numbering=numbering)
    if isinstance(obj, Customer | Product):
        obj.last_updated = now_to_second()
    if hasattr(obj, "object_version"):  # the OpenAPI services' records: a new objectVersion
        obj.object_version = next_version(None if adding else obj.object_version)
        if hasattr(obj, "last_updated"):
            obj.last_updated = now_to_second()
    obj.save()
    if isinstance(obj, Customer):
        events.emit(
            obj.agreement,
            "CUSTOMER_CREATED" if adding else "CUSTOMER_UPDATED",
            CUSTOMERNUMBER=obj.customer_number,
        )
    event = ADMIN_EVENTS.get(type(obj))
    if event is not None:
        prefix, merge_field = event
        events.emit(
            obj.agreement,
            f"{prefix}_{'CREATED' if adding else 'UPDATED'}",
            **{merge_field: obj.number},
        )
    return obj


# Records edited in the admin raise the events their API writes raise.
ADMIN_EVENTS = {
    Project: ("PROJECT", "PROJECTNUMBER"),
    TimeEntry: ("TIMEENTRY", "TIMEENTRYNUMBER"),
    Activity: ("ACTIVITY", "ACTIVITYNUMBER"),
    Employee: ("EMPLOYEE", "EMPLOYEENUMBER"),
}
