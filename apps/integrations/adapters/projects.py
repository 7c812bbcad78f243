"""Projects: two-way; the ERP assigns the number, archived ↔ deactivated in the ERP.

References are remote ids in canonical values (`customer`, `default_work_type`) and local
foreign keys here, translated through the customer and work type bindings per batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from apps.integrations import bindings, entities
from apps.integrations.bindings import carry_reference, local_ids, snapshots, unbound
from apps.integrations.bindings import remote_ids as external_ids
from apps.projects.models import Project


class ProjectAdapter:
    entity = "project"
    fields = entities.fields("project")
    merge_on_push = True
    # What mark_deleted leaves: a project back in the ERP is reactivated by the next pull.
    deleted_values = {"status": entities.ARCHIVED}

    def load(self, connection: Any, ids: Iterable[int]) -> dict[int, Project]:
        return Project.objects.in_bulk(list(ids))

    def values(self, connection: Any, objs: Sequence[Project]) -> dict[int, dict[str, Any]]:
        customers = external_ids(connection, "customer", (p.customer_id for p in objs))
        work_types = external_ids(connection, "work_type", (p.default_work_type_id for p in objs))
        bases = snapshots(connection, self.entity, [p.pk for p in objs])
        known_customers = set(
            local_ids(connection, "customer", (b.get("customer") for b in bases.values()))
        )
        known_work_types = set(
            local_ids(connection, "work_type", (b.get("default_work_type") for b in bases.values()))
        )
        result = {}
        for p in objs:
            base = bases.get(p.pk, {})
            result[p.pk] = {
                "name": entities.text(p.name),
                "number": p.number,
                "customer": carry_reference(
                    customers.get(p.customer_id),
                    p.customer_id,
                    base.get("customer"),
                    known_customers,
                ),
                "status": p.status,
                "start_date": _iso(p.start_date),
                "end_date": _iso(p.end_date),
                "description": entities.text(p.description),
                "default_work_type": carry_reference(
                    work_types.get(p.default_work_type_id),
                    p.default_work_type_id,
                    base.get("default_work_type"),
                    known_work_types,
                ),
                "needs_approval": bool(p.needs_approval),
            }
        return result

    def create_many(self, connection: Any, rows: Sequence[dict[str, Any]]) -> list[Project]:
        from apps.projects.services import projects_create_from_erp

        translate = _translator(connection, rows)
        return projects_create_from_erp(rows=[translate(r) for r in rows])

    def find_partners(
        self, connection: Any, rows: Sequence[dict[str, Any]]
    ) -> list[Project | None]:
        """The unbound project with the same number, per ERP row (the ERP assigns it)."""
        numbers = {int(r["number"]) for r in rows if str(r.get("number") or "").isdigit()}
        found = {
            p.number: p
            for p in unbound(connection, self.entity, Project.objects).filter(number__in=numbers)
        }
        return [
            found.get(int(r["number"])) if str(r.get("number") or "").isdigit() else None
            for r in rows
        ]

    def update_many(
        self, connection: Any, changes: Sequence[tuple[Project, dict[str, Any]]]
    ) -> None:
        from apps.projects.services import projects_update_from_erp

        translate = _translator(connection, [data for _p, data in changes])
        projects_update_from_erp(changes=[(p, translate(data)) for p, data in changes])

    def mark_deleted(self, connection: Any, objs: Sequence[Project]) -> None:
        from apps.projects.services import projects_archive_from_erp

        projects_archive_from_erp(projects=list(objs))

    def waiting_for(self, connection: Any, obj: Project) -> tuple[str, int] | None:
        """The customer a project waits for: a project goes to the ERP only with its
        customer partnered there (never created without it)."""
        if obj.customer_id is None or bindings.is_paired(connection, "customer", obj.customer_id):
            return None
        return ("customer", obj.customer_id)

    def after_push(self, connection: Any, obj: Project, assigned: dict[str, Any]) -> None:
        from apps.projects.services import project_assign_number

        number = assigned.get("number")
        if number and obj.number != int(number):
            project_assign_number(project=obj, number=int(number))

    def unbound_ids(self, connection: Any) -> Iterable[int]:
        return list(unbound(connection, self.entity, Project.objects).values_list("pk", flat=True))


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _translator(connection: Any, rows: Sequence[dict[str, Any]]):
    customers = local_ids(connection, "customer", (r.get("customer") for r in rows))
    work_types = local_ids(connection, "work_type", (r.get("default_work_type") for r in rows))

    def translate(values: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, value in values.items():
            if name == "customer":
                data["customer_id"] = customers.get(str(value)) if value else None
            elif name == "default_work_type":
                data["default_work_type_id"] = work_types.get(str(value)) if value else None
            elif name in ("start_date", "end_date"):
                data[name] = _day(value)
            elif name == "number":
                data[name] = int(value) if value not in (None, "") else None
            elif name in ("name", "description"):
                data[name] = value or ""
            elif name in ("status", "needs_approval"):
                data[name] = value
        return data

    return translate


ADAPTER = ProjectAdapter()
