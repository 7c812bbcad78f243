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


# BULK WRITES FROM THE ERP (the sync engine's customer adapter)
# ------------------------------------------------------------------------------
def _erp_numbers_free(customers: list[Customer]) -> None:
    """Refuses customer numbers another customer has (one query for the whole batch)."""
    numbers = [c.number for c in customers if c.number]
    if len(numbers) != len(set(numbers)):
        raise ApplicationError(_("The ERP sent the same customer number twice."))
    own = [c.pk for c in customers if c.pk]
    taken = sorted(
        Customer.objects.filter(number__in=numbers)
        .exclude(pk__in=own)
        .values_list("number", flat=True)
    )
    if taken:
        raise ApplicationError(
            _(
                "Customer numbers %(numbers)s from the ERP are already used by other customers "
                "here: link those customers to the ERP's (sync center) or change their numbers."
            )
            % {"numbers": ", ".join(taken)},
            field="number",
        )


def _erp_clean(customers: list[Customer]) -> None:
    # Uniqueness is checked for the batch at once above, not with a query per customer.
    for customer in customers:
        customer.full_clean(validate_unique=False, validate_constraints=False)


def customers_create_from_erp(
    *, rows: list[dict[str, Any]], erp_system: str, owned: bool = True
) -> list[Customer]:
    """Creates customers from the ERP in bulk (validated, one INSERT); returns them in order.

    `owned`: the ERP is their master (changed there, read-only here); False when both sides
    change them (two-way), so the office can edit them here too."""
    customers = []
    for data in rows:
        customer = Customer(erp_owned=owned, erp_system=erp_system if owned else "")
        model_update(instance=customer, data=data, fields=EDITABLE_FIELDS)
        customers.append(customer)
    _erp_clean(customers)
    _erp_numbers_free(customers)
    with transaction.atomic():
        return Customer.objects.bulk_create(customers)


def customers_update_from_erp(
    *, changes: list[tuple[Customer, dict[str, Any]]], erp_system: str = "", owned: bool = True
) -> list[Customer]:
    """Applies ERP values to customers in bulk (validated, one UPDATE); returns the changed.

    `owned` as in `customers_create_from_erp`: False also gives back a customer the ERP
    owned before the office made the sync two-way."""
    from django.utils import timezone

    changed: list[Customer] = []
    fields: set[str] = set()
    for customer, data in changes:
        names = model_update(instance=customer, data=data, fields=EDITABLE_FIELDS)
        if owned and (not customer.erp_owned or (erp_system and customer.erp_system != erp_system)):
            customer.erp_owned = True
            customer.erp_system = erp_system or customer.erp_system
            names += ["erp_owned", "erp_system"]
        elif not owned and customer.erp_owned:
            customer.erp_owned = False
            customer.erp_system = ""
            names += ["erp_owned", "erp_system"]
        if names:
            changed.append(customer)
            fields.update(names)
    if not changed:
        return []
    _erp_clean(changed)
    if "number" in fields:
        _erp_numbers_free(changed)
    now = timezone.now()
    for customer in changed:
        customer.updated_at = now
    with transaction.atomic():
        Customer.objects.bulk_update(changed, [*sorted(fields), "updated_at"])
    return changed


def customers_deactivate_from_erp(*, customers: list[Customer]) -> int:
    """Marks customers the ERP deleted as inactive (never deletes them); returns how many."""
    from django.utils import timezone

    ids = [c.pk for c in customers if c.is_active]
    for customer in customers:
        customer.is_active = False
    if not ids:
        return 0
    with transaction.atomic():
        return Customer.objects.filter(pk__in=ids).update(
            is_active=False, updated_at=timezone.now()
        )


# FILE IMPORT (Admin → Customers → Import)
# ------------------------------------------------------------------------------
def customers_import(
    *, creates: list[dict[str, Any]], updates: list[tuple[Customer, dict[str, Any]]]
) -> tuple[list[Customer], list[Customer]]:
    """Creates and changes local customers from a file in one transaction (bulk); all or nothing.

    Imported customers are ordinary local customers. Creating them is deliberately not reported
    as a local change: nothing is pushed to the ERP on its own, they wait in the sync center as
    "only in Tidsbro" until someone creates or chooses their partner there (a file may well
    hold customers the ERP already has). Changes to existing customers are reported as usual.
    """
    from django.utils import timezone

    new = []
    for data in creates:
        customer = Customer()
        model_update(instance=customer, data=data, fields=EDITABLE_FIELDS)
        new.append(customer)
    changed: list[Customer] = []
    fields: set[str] = set()
    for customer, data in updates:
        if customer.erp_owned:
            raise ApplicationError(customer_erp_owned_message(customer))
        names = model_update(instance=customer, data=data, fields=EDITABLE_FIELDS)
        if names:
            changed.append(customer)
            fields.update(names)
    _erp_clean([*new, *changed])
    _numbers_free_in_chunks([*new, *changed])
    now = timezone.now()
    for customer in [*new, *changed]:
        customer.updated_at = now
    with transaction.atomic():
        created = Customer.objects.bulk_create(new, batch_size=2000)
        if changed:
            Customer.objects.bulk_update(changed, [*sorted(fields), "updated_at"], batch_size=2000)
            for customer in changed:
                local_change("customer", customer.pk, "changed")
    return created, changed


def _numbers_free_in_chunks(customers: list[Customer]) -> None:
    numbers = [c.number for c in customers if c.number]
    if len(numbers) != len(set(numbers)):
        raise ApplicationError(_("The same customer number is in the file twice."))
    own = {c.pk for c in customers if c.pk}
    taken: list[str] = []
    for start in range(0, len(numbers), 900):  # SQLite's limit on query parameters
        chunk = numbers[start : start + 900]
        taken += [
            number
            for pk, number in Customer.objects.filter(number__in=chunk).values_list("pk", "number")
            if pk not in own
        ]
    if taken:
        raise ApplicationError(
            _("Customer numbers %(numbers)s are already used by other customers.")
            % {"numbers": ", ".join(sorted(taken)[:20])},
            field="number",
        )
