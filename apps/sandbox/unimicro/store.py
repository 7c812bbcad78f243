"""The Unimicro sandbox's write and read path: every record the API, the actions, the seed and
the admin write goes through here (stamps, number series, nested children, events).

- `create(company_key, entity, data, caller, *, internal=False) -> dict`
- `update(company_key, entity, record_id, changes, caller) -> dict` (partial: fields sent are
  changed, the rest kept; nested children by ID)
- `delete(company_key, entity, record_id, caller) -> None` (soft: the row is kept, hidden)
- `read(company_key, entity, record_id, *, expand="") -> dict | None`
- `live(company_key, entity)` / `to_json(row)` / `expand_records(...)` for the list view.

Records are `BizRecord`s; a navigation property is stored as an id: one-to-one on the parent
(Customer.BusinessRelationID), one-to-many on each child (CustomerOrderItem.CustomerOrderID).
Every write runs in one transaction; `events.emit` queues the eventplan deliveries for commit.
Raises `entities.ValidationFailed` (400 `_validationResults`) and `NotFound` (404).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import entities, events
from .entities import EntityDef, ValidationFailed, message
from .models import BizRecord, CreateGuid, NumberSeries
from .query import get_ci

STAMPS = ("ID", "CreatedAt", "CreatedBy", "UpdatedAt", "UpdatedBy")
SERVER_ONLY = {*STAMPS, "Deleted", "_links", "_createguid"}


class NotFound(Exception):
    """The record does not exist in the company (or is deleted)."""

    def __init__(self, entity: EntityDef, record_id: Any):
        super().__init__(f"{entity.name} with ID {record_id} not found")
        self.entity = entity
        self.record_id = record_id


def stamp_now() -> str:
    """The server's time as Unimicro's timestamps are written (UTC, ISO 8601) [I]."""
    return timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _subject(caller: Any) -> str:
    return str(getattr(caller, "subject", "") or "")


def _next_id(company_key: str, entity: EntityDef) -> int:
    """The next ID of the company's records of `entity` (locked series row)."""
    row, _ = NumberSeries.objects.select_for_update().get_or_create(
        company_key=company_key, name=f"ID:{entity.name}", defaults={"next": 1}
    )
    number = row.next
    row.next = number + 1
    row.save(update_fields=["next"])
    return number


def _use_guid(company_key: str, entity: EntityDef, guid: Any, problems: list) -> None:
    if guid in (None, ""):
        return
    guid = str(guid)
    try:
        with transaction.atomic():
            CreateGuid.objects.create(company_key=company_key, guid=guid, entity=entity.name)
    except IntegrityError:
        problems.append(
            message(
                entity.name,
                "_createguid",
                f"The _createguid {guid} has been used before: the {entity.name} is not "
                f"created twice",
            )
        )


# -- JSON ---------------------------------------------------------------------------------------
def to_json(row: BizRecord, entity: EntityDef | None = None) -> dict:
    """A stored record as the API returns it (navigation properties null until expanded)."""
    data = dict(row.data or {})
    out: dict[str, Any] = {"ID": row.record_id}
    out.update(data)
    out.setdefault("CreatedAt", None)
    out.setdefault("CreatedBy", None)
    out.setdefault("UpdatedAt", None)
    out.setdefault("UpdatedBy", None)
    out["Deleted"] = row.deleted
    out.setdefault("StatusCode", None)
    out.setdefault("CustomFields", None)
    out.setdefault("_createguid", None)
    entity = entity or entities.by_name(row.entity)
    if entity is not None:
        for name in entity.expandable:
            out.setdefault(name, None)
    return out


def live(company_key: str, entity: EntityDef):
    """The company's live (not deleted) rows of `entity`, by ID."""
    return BizRecord.objects.filter(
        company_key=company_key, entity=entity.name, deleted=False
    ).order_by("record_id")


def _nav(entity: EntityDef, name: str) -> tuple[str, Any] | None:
    """(canonical name, Nav) of a navigation property, ignoring case."""
    if name in entity.expandable:
        return name, entity.expandable[name]
    lowered = name.lower()
    for key, nav in entity.expandable.items():
        if key.lower() == lowered:
            return key, nav
    return None


def check_expand(entity: EntityDef, tree: dict, prefix: str = "") -> None:
    """Raises KeyError(path) for a navigation property the entity does not have."""
    for name, sub in tree.items():
        found = _nav(entity, name)
        if found is None:
            raise KeyError(f"{prefix}{name}")
        check_expand(found[1].entity, sub, f"{prefix}{found[0]}.")


def expand_records(company_key: str, entity: EntityDef, records: list[dict], tree: dict) -> None:
    """Fills the navigation properties named in `tree` (nested) on `records`, in place, one
    query per property and level."""
    if not records:
        return
    for name, sub in tree.items():
        found = _nav(entity, name)
        if found is None:
            continue
        canonical, nav = found
        target = nav.entity
        if nav.many:
            ids = {r["ID"] for r in records}
            rows = live(company_key, target).filter(**{f"data__{nav.fk}__in": list(ids)})
            children: dict[Any, list[dict]] = {}
            fetched = []
            for row in rows:
                child = to_json(row, target)
                fetched.append(child)
                children.setdefault(child.get(nav.fk), []).append(child)
            for record in records:
                record[canonical] = children.get(record["ID"], [])
        else:
            ids = set()
            for record in records:
                value = get_ci(record, nav.fk)[1]
                if isinstance(value, int) and not isinstance(value, bool):
                    ids.add(value)
                elif isinstance(value, str) and value.isdigit():
                    ids.add(int(value))
            rows = live(company_key, target).filter(record_id__in=ids) if ids else []
            by_id = {row.record_id: to_json(row, target) for row in rows}
            fetched = list(by_id.values())
            for record in records:
                value = get_ci(record, nav.fk)[1]
                try:
                    record[canonical] = by_id.get(int(value)) if value is not None else None
                except (TypeError, ValueError):
                    record[canonical] = None
        if sub:
            expand_records(company_key, target, fetched, sub)


def default_tree(entity: EntityDef) -> dict:
    return {name: {} for name in entity.default_expand}


def read(
    company_key: str, entity: EntityDef | str, record_id: Any, *, expand: str = ""
) -> dict | None:
    """A live record as the API returns it (navigation properties in `expand` filled)."""
    from .query import split_list, tree_of

    entity = _def(entity)
    try:
        record_id = int(record_id)
    except (TypeError, ValueError):
        return None
    row = live(company_key, entity).filter(record_id=record_id).first()
    if row is None:
        return None
    record = to_json(row, entity)
    tree = {**default_tree(entity), **tree_of(split_list(expand))}
    expand_records(company_key, entity, [record], tree)
    return record


def _def(entity: EntityDef | str) -> EntityDef:
    if isinstance(entity, EntityDef):
        return entity
    found = entities.by_name(entity)
    if found is None:
        raise LookupError(entity)
    return found


# -- writes -------------------------------------------------------------------------------------
def _split(entity: EntityDef, data: dict) -> tuple[dict, dict[str, tuple[Any, Any]]]:
    """(own fields, {child name: (Nav, sent value)}) of a body; read-only navigation
    properties and server fields are dropped."""
    own: dict[str, Any] = {}
    children: dict[str, tuple[Any, Any]] = {}
    writable = {name.lower(): name for name in entity.writable_children}
    for key, value in data.items():
        if key in SERVER_ONLY:
            continue
        found = _nav(entity, key)
        if found is not None:
            canonical, nav = found
            if canonical.lower() in writable and value is not None:
                children[canonical] = (nav, value)
            continue
        own[key] = value
    return own, children


def _expand_sent(entity: EntityDef, data: dict) -> dict:
    """The expand tree of the children a body wrote (to answer with them)."""
    tree: dict = {}
    for key, value in data.items():
        found = _nav(entity, key)
        if found is None or found[0] not in entity.writable_children or value is None:
            continue
        canonical, nav = found
        sub: dict = {}
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                sub.update(_expand_sent(nav.entity, item))
        tree[canonical] = sub
    return tree


def _insert(
    company_key: str,
    entity: EntityDef,
    data: dict,
    caller: Any,
    problems: list,
    parent: tuple[str, int] | None = None,
) -> dict | None:
    """Creates `entity` (and the children sent with it); collects refusals in `problems`."""
    if not isinstance(data, dict):
        problems.append(message(entity.name, "", f"{entity.name} must be an object"))
        return None
    _use_guid(company_key, entity, data.get("_createguid"), problems)
    body = {k: v for k, v in data.items() if k not in SERVER_ONLY}
    if parent is not None:
        body[parent[0]] = parent[1]
    try:
        prepared = entity.prepare_create(company_key, body, caller)
    except ValidationFailed as failed:
        problems.extend(failed.messages)
        return None
    own, children = _split(entity, prepared)
    for _name, (nav, value) in children.items():
        if nav.many:
            continue
        child = _insert(company_key, nav.entity, value, caller, problems)
        if child is not None:
            own[nav.fk] = child["ID"]
    if problems:
        return None
    record_id = _next_id(company_key, entity)
    now, who = stamp_now(), _subject(caller)
    own.update({"CreatedAt": now, "CreatedBy": who, "UpdatedAt": None, "UpdatedBy": None})
    if data.get("_createguid"):
        own["_createguid"] = str(data["_createguid"])
    BizRecord.objects.create(
        company_key=company_key,
        entity=entity.name,
        record_id=record_id,
        data=own,
        created_at=timezone.now(),
        updated_at=None,
    )
    for _name, (nav, value) in children.items():
        if not nav.many:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and item.get("Deleted"):
                continue
            _insert(company_key, nav.entity, item, caller, problems, parent=(nav.fk, record_id))
    record = {"ID": record_id, **own}
    events.emit(company_key, entity.name, record_id, "C", record)
    return record


def _refuse(problems: list) -> None:
    if problems:
        raise ValidationFailed(problems)


def create(
    company_key: str, entity: EntityDef | str, data: dict, caller: Any, *, internal: bool = False
) -> dict:
    """Stores a new record with its nested children; the record as the API answers a POST."""
    entity = _def(entity)
    if entity.read_only and not internal:
        raise ValidationFailed([message(entity.name, "", f"{entity.name} cannot be created")])
    problems: list = []
    with transaction.atomic():
        record = _insert(company_key, entity, data, caller, problems)
        _refuse(problems)
        assert record is not None
        tree = {**default_tree(entity), **_expand_sent(entity, data)}
        answer = read(company_key, entity, record["ID"], expand=_flat(tree))
        entity.after_write(company_key, answer, "C", caller)
        if entity.after_write_hook is not None:
            answer = read(company_key, entity, record["ID"], expand=_flat(tree))
    return answer


def _flat(tree: dict, prefix: str = "") -> str:
    paths = []
    for name, sub in tree.items():
        paths.append(prefix + name)
        if sub:
            paths.append(_flat(sub, f"{prefix}{name}."))
    return ",".join(p for p in paths if p)


def _locked(company_key: str, entity: EntityDef, record_id: int) -> BizRecord | None:
    return (
        BizRecord.objects.select_for_update()
        .filter(company_key=company_key, entity=entity.name, record_id=record_id, deleted=False)
        .first()
    )


def _change(
    company_key: str,
    entity: EntityDef,
    row: BizRecord,
    changes: dict,
    caller: Any,
    problems: list,
) -> dict | None:
    """Applies a partial body to a stored record and its children; collects refusals."""
    old = {**(row.data or {}), "ID": row.record_id}
    sent = {k: v for k, v in changes.items() if k not in SERVER_ONLY}
    merged = {**old}
    for key, value in sent.items():
        found, _ = get_ci(merged, key)
        if found and key not in merged:  # keep the stored spelling of a field
            key = next(k for k in merged if k.lower() == key.lower())
        merged[key] = value
    try:
        prepared = entity.prepare_update(company_key, old, merged, caller)
    except ValidationFailed as failed:
        problems.extend(failed.messages)
        return None
    own, children = _split(entity, prepared)
    own.pop("ID", None)
    for name, (nav, value) in children.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, dict):
                problems.append(message(nav.entity.name, "", f"{name} must hold objects"))
                continue
            child_id = item.get("ID") or 0
            if not nav.many and "ID" not in item and own.get(nav.fk):
                child_id = own[nav.fk]  # a one-to-one child sent without ID: the stored one
            if not child_id:
                if item.get("Deleted"):
                    continue
                parent = (nav.fk, row.record_id) if nav.many else None
                child = _insert(company_key, nav.entity, item, caller, problems, parent=parent)
                if child is not None and not nav.many:
                    own[nav.fk] = child["ID"]
                continue
            child_row = _locked(company_key, nav.entity, int(child_id))
            belongs = child_row is not None and (
                (child_row.data or {}).get(nav.fk) == row.record_id
                if nav.many
                else own.get(nav.fk) == child_row.record_id
            )
            if not belongs:
                problems.append(
                    message(
                        nav.entity.name,
                        "ID",
                        f"{nav.entity.name} with ID {child_id} is not part of this {entity.name}",
                        entity_id=int(child_id),
                    )
                )
                continue
            if item.get("Deleted"):
                _remove(company_key, nav.entity, child_row, caller)
                if not nav.many:
                    own[nav.fk] = None
                continue
            _change(company_key, nav.entity, child_row, item, caller, problems)
    if problems:
        return None
    for kept in ("CreatedAt", "CreatedBy", "_createguid"):
        if kept in old:
            own[kept] = old[kept]
    own["UpdatedAt"] = stamp_now()
    own["UpdatedBy"] = _subject(caller)
    row.data = own
    row.updated_at = timezone.now()
    row.save(update_fields=["data", "updated_at"])
    record = {"ID": row.record_id, **own}
    events.emit(company_key, entity.name, row.record_id, "U", record)
    return record


def update(
    company_key: str, entity: EntityDef | str, record_id: Any, changes: dict, caller: Any
) -> dict:
    """Changes the fields sent (children by ID: changed, `ID: 0` created, `Deleted: true`
    removed); the record as the API answers a PUT. NotFound / ValidationFailed."""
    entity = _def(entity)
    if entity.read_only:
        raise ValidationFailed([message(entity.name, "", f"{entity.name} cannot be changed")])
    problems: list = []
    with transaction.atomic():
        row = _locked(company_key, entity, int(record_id))
        if row is None:
            raise NotFound(entity, record_id)
        _change(company_key, entity, row, changes or {}, caller, problems)
        _refuse(problems)
        tree = {**default_tree(entity), **_expand_sent(entity, changes or {})}
        answer = read(company_key, entity, row.record_id, expand=_flat(tree))
        entity.after_write(company_key, answer, "U", caller)
        if entity.after_write_hook is not None:
            answer = read(company_key, entity, row.record_id, expand=_flat(tree))
    return answer


def _remove(company_key: str, entity: EntityDef, row: BizRecord, caller: Any) -> None:
    data = dict(row.data or {})
    data["UpdatedAt"] = stamp_now()
    data["UpdatedBy"] = _subject(caller)
    row.data = data
    row.deleted = True
    row.updated_at = timezone.now()
    row.save(update_fields=["data", "deleted", "updated_at"])
    events.emit(company_key, entity.name, row.record_id, "D", {"ID": row.record_id, **data})


def delete(company_key: str, entity: EntityDef | str, record_id: Any, caller: Any) -> None:
    """Marks the record deleted (hidden from every GET from then on); NotFound when absent."""
    entity = _def(entity)
    if entity.read_only:
        raise ValidationFailed([message(entity.name, "", f"{entity.name} cannot be deleted")])
    with transaction.atomic():
        row = _locked(company_key, entity, int(record_id))
        if row is None:
            raise NotFound(entity, record_id)
        prepare = getattr(entity, "prepare_delete", None)
        if prepare is not None:  # may refuse (ValidationFailed) or tidy up related records
            old = read(company_key, entity, row.record_id, expand=_flat(_children_tree(entity)))
            prepare(company_key, old, caller)
        _remove(company_key, entity, row, caller)


def _children_tree(entity: EntityDef, depth: int = 3) -> dict:
    """The expand tree of the entity's writable children, nested (Items.ItemSource.Details)."""
    if depth == 0:
        return {}
    return {
        name: _children_tree(entity.expandable[name].entity, depth - 1)
        for name in entity.writable_children
        if name in entity.expandable
    }
