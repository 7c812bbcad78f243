"""Rows of outbox items for the screens: which record, what happened in plain words, the
system's own text for the details, and what an hour waits for (a fixed number of queries)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from apps.integrations.explain import Explanation, explain, system_name, waiting_text
from apps.integrations.labels import entity_label
from apps.integrations.models import OutboxItem
from apps.integrations.sync import waiting


def _model(entity: str):
    """The local model of an object type (the entity registry's), or None."""
    from apps.integrations.entities import local_model

    try:
        return local_model(entity)
    except LookupError:
        return None


def _admin_url(obj: Any) -> str:
    info = obj._meta.app_label, obj._meta.model_name
    try:
        return reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk])
    except NoReverseMatch:
        return ""


def record_label(entity: str, obj: Any) -> str:
    if obj is None:
        return _("(deleted)")
    if entity == "hour":
        from apps.core.formatting import format_hours

        return f"{obj.date:%d.%m.%Y} · {obj.user} · {obj.project} · {format_hours(obj.hours)}"
    return str(obj)


def waited_record(entity: str, obj: Any) -> str:
    """How a record waited for is named in "waiting for project 7012 …"."""
    if obj is None:
        return "?"
    number = getattr(obj, "number", None)
    return str(number) if number and entity == "project" else str(obj)


def load_records(pairs: list[tuple[str, int]]) -> dict[tuple[str, int], Any]:
    """(object type, Tidsbro id) → the local record, one query per object type."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for entity, local_id in pairs:
        wanted[entity].add(local_id)
    found: dict[tuple[str, int], Any] = {}
    for entity, ids in wanted.items():
        model = _model(entity)
        if model is None:
            continue
        qs = model.objects.all()
        if entity == "hour":
            qs = qs.select_related("user", "project")
        for pk, obj in qs.in_bulk(list(ids)).items():
            found[(entity, pk)] = obj
    return found


def item_state(
    item: OutboxItem, *, waited: Any = None, connection: Any = None
) -> tuple[str, str, Explanation | None]:
    """(level, words, explanation) of one item: failed (error), waiting or retrying (warning),
    queued or done (ok). `connection` (the item's) names the system; without it the item's
    loaded connection does, else the only connected system."""
    if connection is None and OutboxItem.connection.is_cached(item):
        connection = item.connection
    target = waiting.parse(item.last_error)
    if target is not None:
        name = waited_record(target[0], waited) if waited is not None else f"#{target[1]}"
        return "warning", waiting_text(target[0], name, connection), None
    if item.status == OutboxItem.Status.DEAD:
        return "error", _("transfer failed"), explain(item.last_error, connection)
    if item.status == OutboxItem.Status.DONE:
        return "ok", _("transferred"), None
    if item.last_error:
        return "warning", _("failing, retried by itself"), explain(item.last_error, connection)
    if item.status == OutboxItem.Status.AMBIGUOUS:
        return (
            "warning",
            _("checking whether %(system)s got it") % {"system": system_name(connection)},
            None,
        )
    return "ok", _("queued for transfer"), None


def outbox_rows(items: list[OutboxItem], *, connection: Any = None) -> list[dict[str, Any]]:
    """Screen rows of outbox items: record, link, state, plain explanation, raw text.
    `connection`: the connection the items belong to (names the system; no query)."""
    targets = [t for t in (waiting.parse(i.last_error) for i in items) if t]
    records = load_records([(i.entity, i.local_id) for i in items] + targets)
    rows = []
    for item in items:
        obj = records.get((item.entity, item.local_id))
        target = waiting.parse(item.last_error)
        level, words, explanation = item_state(
            item,
            waited=records.get(target) if target else None,
            connection=connection if connection and item.connection_id == connection.pk else None,
        )
        rows.append(
            {
                "item": item,
                "entity": entity_label(item.entity),
                "record": record_label(item.entity, obj),
                "url": _admin_url(obj) if obj is not None else "",
                "level": level,
                "state": words,
                "explanation": explanation,
            }
        )
    return rows
