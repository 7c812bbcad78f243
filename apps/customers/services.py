"""Writes to the customer register. ERP-owned customers change only through the sync."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError
from apps.core.hooks import local_change
from apps.core.services import model_update
from apps.customers.models import Customer

EDITABLE_FIELDS = [
    "name",
    "number",
    "organisation_number",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "visiting_address",
    "is_active",
]


def customer_erp_owned_message(customer: Customer) -> str:
    erp = customer.erp_system or _("the ERP")
    return _(
        "This customer is owned by %(erp)s. Change it there: Tidsbro fetches the change "
        "within an hour, or at once with “Fetch customers”."
    ) % {"erp": erp}


def customer_create(
    *, data: dict[str, Any], from_erp: bool = False, erp_system: str = ""
) -> Customer:
    """Creates a customer (ERP-owned when it comes from the ERP)."""
    customer = Customer(erp_owned=from_erp, erp_system=erp_system if from_erp else "")
    model_update(instance=customer, data=data, fields=EDITABLE_FIELDS)
    customer.full_clean()
    with transaction.atomic():
        customer.save()
        local_change("customer", customer.pk, "created")
    return customer


def customer_update(
    *, customer: Customer, data: dict[str, Any], from_erp: bool = False
) -> Customer:
    """Changes a customer; refuses a local change to an ERP-owned one."""
    if customer.erp_owned and not from_erp:
        raise ApplicationError(customer_erp_owned_message(customer))
    changed = model_update(instance=customer, data=data, fields=EDITABLE_FIELDS)
    if changed:
        customer.full_clean()
        with transaction.atomic():
            customer.save(update_fields=[*changed, "updated_at"])
            local_change("customer", customer.pk, "changed")
    return customer


def customer_delete(*, customer: Customer) -> None:
    """Deletes a customer nobody has worked for; otherwise asks to deactivate it instead."""
    if customer.erp_owned:
        raise ApplicationError(customer_erp_owned_message(customer))
    if customer.projects.exists():
        raise ApplicationError(
            _("This customer has projects and cannot be deleted. Mark it inactive instead.")
        )
    customer.delete()
