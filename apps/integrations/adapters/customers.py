"""Customers: pulled in bulk; pushed where the connector can take them and the office lets
Tidsbro change them (the entity registry's directions, the connection's master).

A system that cannot bar customers leaves `is_active` out of its records: the merge then never
compares it and the customer's active flag stays Tidsbro's own.

The binding look-ups other adapters used to import from here live in
`apps.integrations.bindings` (re-exported below for older callers).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q

from apps.customers.models import Customer
from apps.integrations import bindings, entities
from apps.integrations.bindings import carry_reference, snapshots, unbound

FIELDS = entities.fields("customer")

__all__ = ["carry_reference", "external_ids", "local_ids", "snapshots", "unbound"]


def external_ids(connection: Any, entity: str, local_ids: Iterable[int | None]) -> dict[int, str]:
    """Local id → remote id of the paired records among `local_ids` (one query)."""
    return bindings.remote_ids(connection, entity, local_ids)


def local_ids(connection: Any, entity: str, refs: Iterable[str | None]) -> dict[str, int]:
    """Remote id → local id of the paired records among `refs` (one query)."""
    return bindings.local_ids(connection, entity, refs)


def erp_owned(connection: Any) -> bool:
    """Whether the system is the customers' master (then they are read-only here): the
    office chose it so, or the system cannot take customers from Tidsbro at all."""
    from apps.integrations.models import Master

    if connection.master_of("customer") == Master.ERP:
        return True
    return not connection.spec.capabilities.can_push("customer")


def erp_system_name(connection: Any) -> str:
    """The system as people know it, stored on the customers it owns."""
    return connection.system_name


def _named_like_unbound(connection: Any, rows: Sequence[dict[str, Any]]) -> set[int]:
    """Indexes of `rows` named like a Tidsbro customer that has no partner yet (one query)."""
    from apps.integrations.partners import normal_name

    wanted = {normal_name(str(r.get("name") or "")) for r in rows} - {""}
    if not wanted:
        return set()
    names = unbound(connection, "customer", Customer.objects).values_list("name", flat=True)
    taken = {normal_name(name) for name in names} & wanted
    return {i for i, r in enumerate(rows) if normal_name(str(r.get("name") or "")) in taken}


# THE ADAPTER
# ------------------------------------------------------------------------------
class CustomerAdapter:
    entity = "customer"
    fields = FIELDS
    merge_on_push = True
    # What mark_deleted leaves: a customer back in the system is active again after the pull.
    deleted_values = {"is_active": False}

    def load(self, connection: Any, ids: Iterable[int]) -> dict[int, Customer]:
        return Customer.objects.in_bulk(list(ids))

    def values(self, connection: Any, objs: Sequence[Customer]) -> dict[int, dict[str, Any]]:
        return {
            c.pk: {
                name: bool(c.is_active) if name == "is_active" else entities.text(getattr(c, name))
                for name in self.fields
            }
            for c in objs
        }

    def create_many(self, connection: Any, rows: Sequence[dict[str, Any]]) -> list[Customer | None]:
        """Creates the system's new customers here, except one named like a Tidsbro customer
        without a partner: it waits under "only in <system>" for the office to choose its
        partner (as in CleanManager), never a second customer of the same name made silently
        — also where the system owns customers (the office's own register met on the first
        sync is the same company more often than not)."""
        from apps.customers.services import customers_create_from_erp

        owned = erp_owned(connection)
        waiting = _named_like_unbound(connection, rows)
        made = iter(
            customers_create_from_erp(
                rows=[_local(r) for i, r in enumerate(rows) if i not in waiting],
                erp_system=erp_system_name(connection),
                owned=owned,
            )
        )
        return [None if i in waiting else next(made) for i in range(len(rows))]

    def held_for_office(self, connection: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Rows a pull does not turn into Tidsbro customers: all of them where Tidsbro is the
        customers' master. The system's customers without a partner then wait under "only in
        <system>" for the office to choose a partner, create them here or set them apart
        (the first transfer's review); "Create in Tidsbro" there still makes them."""
        from apps.integrations.models import Master

        if connection.master_of(self.entity) == Master.TIDSBRO:
            return list(range(len(rows)))
        return []

    def find_partners(
        self, connection: Any, rows: Sequence[dict[str, Any]]
    ) -> list[Customer | None]:
        """The unbound customer with the same number, else the same organisation number,
        per ERP row (the office's own register, imported or typed, met on the first sync)."""
        numbers = {str(r.get("number") or "") for r in rows} - {""}
        org_numbers = {str(r.get("organisation_number") or "") for r in rows} - {""}
        candidates = list(
            unbound(connection, self.entity, Customer.objects).filter(
                Q(number__in=numbers) | Q(organisation_number__in=org_numbers)
            )
        )
        by_number = {c.number: c for c in candidates if c.number}
        by_org = {c.organisation_number: c for c in candidates if c.organisation_number}
        return [
            by_number.get(str(r.get("number") or ""))
            or by_org.get(str(r.get("organisation_number") or ""))
            for r in rows
        ]

    def update_many(
        self, connection: Any, changes: Sequence[tuple[Customer, dict[str, Any]]]
    ) -> None:
        from apps.customers.services import customers_update_from_erp

        customers_update_from_erp(
            changes=[(c, _local(data)) for c, data in changes],
            erp_system=erp_system_name(connection),
            owned=erp_owned(connection),
        )

    def mark_deleted(self, connection: Any, objs: Sequence[Customer]) -> None:
        from apps.customers.services import customers_deactivate_from_erp

        customers_deactivate_from_erp(customers=list(objs))

    def restore_many(self, connection: Any, objs: Sequence[Customer]) -> None:
        """Back in the ERP after it deleted them: active again (the ERP owns customers)."""
        from apps.customers.services import customers_update_from_erp

        customers_update_from_erp(
            changes=[(c, {"is_active": True}) for c in objs if not c.is_active],
            erp_system=erp_system_name(connection),
            owned=erp_owned(connection),
        )

    def after_push(self, connection: Any, obj: Customer, assigned: dict[str, Any]) -> None:
        """The number the system gave a customer created there without one."""
        from apps.customers.services import customers_update_from_erp

        number = str(assigned.get("number") or "")
        if number and number != obj.number:
            customers_update_from_erp(
                changes=[(obj, {"number": number})],
                erp_system=erp_system_name(connection),
                owned=erp_owned(connection),
            )

    def unbound_ids(self, connection: Any) -> Iterable[int]:
        return []  # customers go to the system when a person creates their partner there


def _local(values: dict[str, Any]) -> dict[str, Any]:
    """Canonical values as the customer services take them: a field the system does not
    hold stays out (never cleared); `is_active` only as a real yes/no."""
    data = {k: ("" if v is None else v) for k, v in values.items() if k in FIELDS}
    if "is_active" in data and not isinstance(data["is_active"], bool):
        del data["is_active"]
    return data


ADAPTER = CustomerAdapter()
