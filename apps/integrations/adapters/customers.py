"""Customers: owned by the ERP, pulled in bulk, never created or pushed from here.

Also holds the binding look-ups every adapter uses to turn the ERP ids of references
(canonical values) into local foreign keys and back: one query per batch and object type.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q

from apps.customers.models import Customer
from apps.integrations.connectors.twentyfourseven import mappers
from apps.integrations.models import Binding

ERP_NAMES = {"24so": "24SevenOffice"}


# BINDING LOOK-UPS
# ------------------------------------------------------------------------------
def external_ids(connection: Any, entity: str, local_ids: Iterable[int | None]) -> dict[int, str]:
    """Local id → ERP id of the bound records among `local_ids` (one query)."""
    ids = {i for i in local_ids if i is not None}
    if not ids:
        return {}
    return dict(
        Binding.objects.filter(connection=connection, entity=entity, local_id__in=ids)
        .exclude(external_id="")
        .values_list("local_id", "external_id")
    )


def local_ids(connection: Any, entity: str, refs: Iterable[str | None]) -> dict[str, int]:
    """ERP id → local id of the bound records among `refs` (one query)."""
    wanted = {str(r) for r in refs if r not in (None, "")}
    if not wanted:
        return {}
    return dict(
        Binding.objects.filter(
            connection=connection, entity=entity, external_id__in=wanted, local_id__isnull=False
        ).values_list("external_id", "local_id")
    )


def snapshots(connection: Any, entity: str, objs: Sequence[Any]) -> dict[int, dict[str, Any]]:
    """Local id → the snapshot of its binding (the values both sides agreed on last)."""
    ids = [o.pk for o in objs]
    if not ids:
        return {}
    return {
        local_id: snapshot or {}
        for local_id, snapshot in Binding.objects.filter(
            connection=connection, entity=entity, local_id__in=ids
        ).values_list("local_id", "snapshot")
    }


def carry_reference(
    local_ref: str | None, local_fk: int | None, snapshot_ref: Any, resolvable: set[str]
) -> Any:
    """A reference the ERP has but Tidsbro cannot hold (its target was never imported, e.g.
    a deleted customer) is reported as the ERP's value, so the sync never "clears" it."""
    if local_fk is None and snapshot_ref not in (None, "") and str(snapshot_ref) not in resolvable:
        return snapshot_ref
    return local_ref


def unbound(connection: Any, entity: str, qs: Any) -> Any:
    """`qs` less the records with any binding of `entity` (linked, or marked "no sync")."""
    bound = Binding.objects.filter(
        connection=connection, entity=entity, local_id__isnull=False
    ).values("local_id")
    return qs.exclude(pk__in=bound)


def erp_system_name(connection: Any) -> str:
    return ERP_NAMES.get(connection.system, connection.get_system_display())


# THE ADAPTER
# ------------------------------------------------------------------------------
class CustomerAdapter:
    entity = "customer"
    fields = mappers.CUSTOMER_FIELDS
    merge_on_push = True

    def load(self, connection: Any, ids: Iterable[int]) -> dict[int, Customer]:
        return Customer.objects.in_bulk(list(ids))

    def values(self, connection: Any, objs: Sequence[Customer]) -> dict[int, dict[str, Any]]:
        return {c.pk: {name: mappers.text(getattr(c, name)) for name in self.fields} for c in objs}

    def create_many(self, connection: Any, rows: Sequence[dict[str, Any]]) -> list[Customer]:
        from apps.customers.services import customers_create_from_erp

        return customers_create_from_erp(
            rows=[_local(r) for r in rows], erp_system=erp_system_name(connection)
        )

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
        )

    def after_push(self, connection: Any, obj: Customer, assigned: dict[str, Any]) -> None:
        return None  # customers are never pushed (the ERP owns them)

    def unbound_ids(self, connection: Any) -> Iterable[int]:
        return []  # the ERP owns customers: nothing local is created there


def _local(values: dict[str, Any]) -> dict[str, Any]:
    return {k: ("" if v is None else v) for k, v in values.items() if k in mappers.CUSTOMER_FIELDS}


ADAPTER = CustomerAdapter()
