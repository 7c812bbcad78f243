"""Events the Unimicro sandbox raises when its data changes, for eventplans (API-NOTES §9).

The API core calls `emit(company_key, entity_name, record_id, op, entity_json)` for every
committed write (op "C", "U" or "D"); the sandbox's own writes (actions, the admin) go through
the same store and so emit too. Once the surrounding transaction commits, every active webhook
eventplan (PlanType 0) of the company whose `ModelFilter` names the entity (or is `*`), whose
`OperationFilter` holds the operation and whose `ExpressionFilters` for that entity (if any)
all hold, owes each of its active subscribers one delivery (deliveries.py).

Eventplans are BizRecords of entity "Eventplan"; their subscribers are "EventSubscriber"
records with `EventplanID`, their expression filters "ExpressionFilter" records likewise.
Changes to eventplans and subscribers themselves raise no events.
"""

from __future__ import annotations

from django.db import transaction

from .eventplans import EVENT_TYPES, expression_holds, payload, plan_matches

__all__ = ["EVENT_TYPES", "emit", "expression_holds", "payload", "plan_matches"]
SILENT = {"Eventplan", "EventSubscriber", "ExpressionFilter"}


def emit(
    company_key: str, entity_name: str, record_id: int, op: str, entity_json: dict | None
) -> None:
    """Queues the deliveries this change owes once the current transaction commits (at once
    outside one); a failing queue never turns the write into an error."""
    if entity_name in SILENT or op not in EVENT_TYPES:
        return
    entity = dict(entity_json or {})

    def queue() -> None:
        from . import deliveries

        deliveries.queue_event(
            company_key=company_key,
            entity_name=entity_name,
            entity_id=int(record_id),
            op=op,
            entity=entity,
        )

    transaction.on_commit(queue, robust=True)
