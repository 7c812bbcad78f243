"""Work types ↔ Unimicro's WorkTypes (`/api/biz/worktypes`): name, description, price and
the product used when invoicing.

The product is matched by product number only (`Product.PartName` = the Tidsbro work type's
product number), as RecMan does: Tidsbro never creates a product in Unimicro. A work type whose
product number Unimicro does not know is refused with the reason (the sync center shows it on
the work type's transfer: add the product in Unimicro or correct the number, then retry); one
without a product number goes without a product.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.utils.translation import gettext

from apps.integrations.connectors.base import Rejected
from apps.integrations.connectors.unimicro import mappers
from apps.integrations.connectors.unimicro.rules import quoted
from apps.integrations.sync.types import RemoteRecord

PLURAL = "worktypes"
PRODUCTS = "products"


def record(document: dict[str, Any]) -> RemoteRecord | None:
    external_id = mappers.record_id(document)
    if not external_id:
        return None
    return RemoteRecord(
        external_id=external_id,
        values=mappers.work_type_from_remote(document),
        changed_at=mappers.changed_at(document),
        deleted=document.get("Deleted") is True,
    )


def product_id(conn: Any, number: str) -> int | None:
    """The Unimicro product with this number (None for no number); Rejected when there is
    none (never created). Cached on the connector for its run."""
    number = mappers.text(number)
    if not number:
        return None
    cache: dict[str, int | None] = conn.__dict__.setdefault("_products", {})
    if number not in cache:
        found = list(
            conn.client.list(PRODUCTS, filter=f"PartName eq {quoted(number)}", select="ID,PartName")
        )
        match = [d for d in found if mappers.product_number(d) == number and d.get("ID")]
        cache[number] = int(match[0]["ID"]) if match else None
    if cache[number] is None:
        raise Rejected(
            gettext(
                "Unimicro has no product with number %(number)s. Tidsbro never creates products "
                "there: add the product in Unimicro (or correct the work type's product number "
                "here), then send the work type again."
            )
            % {"number": number},
            operation="work type product",
        )
    return cache[number]


# PULL
# ------------------------------------------------------------------------------
def fetch(conn: Any, entity: str, *, since: datetime | str | None) -> Iterator[list[RemoteRecord]]:
    yield from conn.pull(
        entity, PLURAL, since=since, to_record=record, expand=mappers.WORK_TYPE_EXPAND
    )


def fetch_ids(conn: Any, entity: str) -> set[str]:
    return conn.ids(PLURAL)


def fetch_one(conn: Any, entity: str, external_id: str) -> RemoteRecord | None:
    document = conn.read(PLURAL, external_id, expand=mappers.WORK_TYPE_EXPAND)
    return record(document) if document is not None else None


# PUSH
# ------------------------------------------------------------------------------
def find(conn: Any, entity: str, values: dict[str, Any]) -> str | None:
    name = mappers.text(values.get("name"))
    if not name:
        return None
    found = [
        d
        for d in conn.client.list(PLURAL, filter=f"Name eq {quoted(name)}")
        if d.get("Deleted") is not True
    ]
    return mappers.record_id(max(found, key=lambda d: d.get("ID") or 0)) if found else None


def found_values(conn: Any, entity: str, external_id: str, values: dict[str, Any]) -> dict:
    return {}


def create(
    conn: Any, entity: str, values: dict[str, Any], *, key: str = ""
) -> tuple[str, dict[str, Any]]:
    if not mappers.text(values.get("name")):
        raise Rejected(gettext("Unimicro needs a name for the work type."), operation="work type")
    product = product_id(conn, values.get("product_number") or "")
    body = mappers.work_type_to_remote(
        values, None, product_id=product, seed=key or repr(sorted(values.items()))
    )
    document, found = conn.create_or_find(entity, PLURAL, body, values)
    return (mappers.record_id(document), {}) if document is not None else (found, {})


def update(conn: Any, entity: str, external_id: str, values: dict[str, Any]) -> dict:
    current = conn.current(PLURAL, external_id, expand=mappers.WORK_TYPE_EXPAND)
    changes = mappers.work_type_changes(values, current)
    if not changes:
        return {}
    product = product_id(conn, changes["product_number"]) if "product_number" in changes else None
    body = mappers.work_type_to_remote(changes, current, product_id=product)
    conn.client.update(PLURAL, int(external_id), body)
    return {}


def delete(conn: Any, entity: str, external_id: str) -> None:
    raise Rejected(
        gettext("Work types are never deleted in Unimicro from Tidsbro."),
        operation="delete work type",
    )
