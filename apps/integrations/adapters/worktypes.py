"""Work types: pulled from the ERP in bulk (pushed only where the connector can take them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from apps.integrations import entities
from apps.integrations.bindings import unbound
from apps.worktypes.models import WorkType


class WorkTypeAdapter:
    entity = "work_type"
    fields = entities.fields("work_type")
    merge_on_push = True
    # What mark_deleted leaves: a work type back in the ERP is active again after the pull.
    deleted_values = {"is_active": False}

    def load(self, connection: Any, ids: Iterable[int]) -> dict[int, WorkType]:
        return WorkType.objects.in_bulk(list(ids))

    def values(self, connection: Any, objs: Sequence[WorkType]) -> dict[int, dict[str, Any]]:
        return {
            w.pk: {
                "name": entities.text(w.name),
                "description": entities.text(w.description),
                "invoiceable": bool(w.invoiceable),
                "price": entities.money(w.price) or "0.00",
                "product_number": entities.text(w.product_number),
                "is_active": bool(w.is_active),
            }
            for w in objs
        }

    def create_many(self, connection: Any, rows: Sequence[dict[str, Any]]) -> list[WorkType]:
        from apps.worktypes.services import work_types_create_from_erp

        return work_types_create_from_erp(rows=[_local(r) for r in rows])

    def find_partners(
        self, connection: Any, rows: Sequence[dict[str, Any]]
    ) -> list[WorkType | None]:
        """The unbound work type with the same product number, else the same name, per
        ERP row (work types the office set up before connecting)."""
        local = list(unbound(connection, self.entity, WorkType.objects))
        by_product = {w.product_number.strip(): w for w in local if w.product_number.strip()}
        by_name = {w.name.strip().casefold(): w for w in local}
        return [
            by_product.get(entities.text(r.get("product_number")) or "\0")
            or by_name.get(entities.text(r.get("name")).casefold())
            for r in rows
        ]

    def update_many(
        self, connection: Any, changes: Sequence[tuple[WorkType, dict[str, Any]]]
    ) -> None:
        from apps.worktypes.services import work_types_update_from_erp

        work_types_update_from_erp(changes=[(w, _local(d)) for w, d in changes])

    def mark_deleted(self, connection: Any, objs: Sequence[WorkType]) -> None:
        from apps.worktypes.services import work_types_deactivate_from_erp

        work_types_deactivate_from_erp(work_types=list(objs))

    def after_push(self, connection: Any, obj: WorkType, assigned: dict[str, Any]) -> None:
        return None

    def unbound_ids(self, connection: Any) -> Iterable[int]:
        return []  # work types are made in the ERP and fetched (see the connector's capabilities)


def _local(values: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in values.items() if k in ADAPTER.fields}
    if "price" in data:
        data["price"] = Decimal(data["price"] or "0")
    for name in ("name", "description", "product_number"):
        if name in data and data[name] is None:
            data[name] = ""
    return data


ADAPTER = WorkTypeAdapter()
