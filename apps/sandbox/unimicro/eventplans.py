"""Which eventplans want a change, and what they are sent (pure; API-NOTES §9).

`plan_matches` decides per eventplan (active webhook plan, ModelFilter, OperationFilter,
ExpressionFilters); `payload` is the JSON body each subscriber receives.
"""

from __future__ import annotations

import re
from typing import Any

EVENT_TYPES = {"C": "Create", "U": "Update", "D": "Delete"}


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
