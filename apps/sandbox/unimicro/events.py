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

import re
from typing import Any

from django.db import transaction

EVENT_TYPES = {"C": "Create", "U": "Update", "D": "Delete"}
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


def payload(company_key: str, entity_name: str, entity_id: int, op: str, entity: dict) -> dict:
    """The JSON a subscriber receives (pure)."""
    return {
        "EntityName": entity_name,
        "EventType": EVENT_TYPES[op],
        "EntityID": entity_id,
        "CompanyKey": company_key,
        "Entity": entity if op != "D" else (entity or None),
    }


def plan_matches(plan: dict, entity_name: str, op: str, entity: dict, filters: list[dict]) -> bool:
    """Whether an eventplan wants this change (pure): active webhook plan, model, operation
    and its expression filters for this entity."""
    if not plan.get("Active", True) or int(plan.get("PlanType") or 0) != 0:
        return False
    models = [m.strip().lower() for m in str(plan.get("ModelFilter") or "*").split(",")]
    if "*" not in models and entity_name.lower() not in models:
        return False
    ops = str(plan.get("OperationFilter") or "CUD").upper()
    if op not in ops:
        return False
    for expression_filter in filters:
        if str(expression_filter.get("EntityName") or "").lower() != entity_name.lower():
            continue
        if not expression_holds(str(expression_filter.get("Expression") or ""), entity):
            return False
    return True


_CONDITION = re.compile(
    r"^\s*([A-Za-z_][\w.]*)\s+(eq|ne|gt|ge|lt|le)\s+(?:'((?:[^']|'')*)'|(\S+))\s*$",
    re.IGNORECASE,
)


def expression_holds(expression: str, entity: dict) -> bool:
    """The sandbox's minimal expression language: conditions `Field op value` (eq ne gt ge lt
    le; strings in single quotes) joined by `and`. An expression it cannot read holds (the
    plan delivers rather than silently dropping events) [I]."""
    if not expression.strip():
        return True
    for part in re.split(r"\s+and\s+", expression, flags=re.IGNORECASE):
        match = _CONDITION.match(part)
        if match is None:
            continue
        name, operator, quoted, bare = match.groups()
        actual = _lookup(entity, name)
        wanted: Any = quoted.replace("''", "'") if quoted is not None else bare
        if not _compare(actual, operator.lower(), wanted):
            return False
    return True


def _lookup(entity: dict, dotted: str) -> Any:
    value: Any = entity
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        match = next((k for k in value if k.lower() == part.lower()), None)
        value = value.get(match) if match is not None else None
    return value


def _compare(actual: Any, operator: str, wanted: Any) -> bool:
    if isinstance(wanted, str) and wanted.lower() in ("null", "true", "false"):
        wanted = {"null": None, "true": True, "false": False}[wanted.lower()]
    left, right = actual, wanted
    try:
        if right is not None and not isinstance(right, bool):
            left, right = float(actual), float(wanted)
    except (TypeError, ValueError):
        left = "" if actual is None else str(actual).lower()
        right = "" if wanted is None else str(wanted).lower()
    if operator == "eq":
        return left == right
    if operator == "ne":
        return left != right
    try:
        return {
            "gt": left > right,
            "ge": left >= right,
            "lt": left < right,
            "le": left <= right,
        }[operator]
    except TypeError:
        return False
