"""Customers in Unimicro (`/api/biz/customers`, the name and addresses on `Info`).

Tidsbro is the master: a customer made here is POSTed with its number (`CustomerNumber`; none
typed → Unimicro's next, from 100000, which comes back as the customer's number here); an edit
is a partial PUT of what changed (Info's children by their IDs, a missing one created with a
`_createguid`); inactive ↔ the `deactivate`/`activate` actions. Customers are never deleted.

Pulled customers serve the first transfer (paired by number, then organisation number, by the
engine's `find_partners`; the rest wait in the sync center) and report changes made in
Unimicro, which the engine turns into conflicts for master-owned fields
(`capabilities.master_conflicts`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django.utils.translation import gettext

from apps.integrations.connectors.base import Rejected
from apps.integrations.connectors.unimicro import mappers
from apps.integrations.connectors.unimicro.rules import quoted
from apps.integrations.sync.types import RemoteRecord
from apps.integrations.sync.unsure import hold_back_unsure_creates

logger = logging.getLogger(__name__)

PLURAL = "customers"
CUSTOMER = "customer"
# Unimicro's CustomerNumber is an int.
MAX_NUMBER = 2_147_483_647


def record(document: dict[str, Any]) -> RemoteRecord | None:
    external_id = mappers.record_id(document)
    if not external_id:
        return None
    return RemoteRecord(
        external_id=external_id,
        values=mappers.customer_from_remote(document),
        changed_at=mappers.changed_at(document),
        deleted=mappers.is_deleted(document),
    )


def requested_number(values: dict[str, Any]) -> int | None:
    """The customer number to ask Unimicro for (None: its next); refuses one it cannot hold."""
    raw = str(values.get("number") or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_NUMBER:
        raise Rejected(
            gettext(
                "Unimicro customer numbers are whole numbers; “%(number)s” cannot be used there. "
                "Give the customer a number of digits only."
            )
            % {"number": raw},
            operation="create customer",
        )
    return int(raw)


# PULL
# ------------------------------------------------------------------------------
def fetch(conn: Any, entity: str, *, since: datetime | str | None) -> Iterator[list[RemoteRecord]]:
    for page in conn.pull(
        entity, PLURAL, since=since, to_record=record, expand=mappers.CUSTOMER_EXPAND
    ):
        yield hold_back_own_creates(conn, page)


def fetch_ids(conn: Any, entity: str) -> set[str]:
    return conn.ids(PLURAL)


def fetch_one(conn: Any, entity: str, external_id: str) -> RemoteRecord | None:
    document = conn.read(PLURAL, external_id, expand=mappers.CUSTOMER_EXPAND)
    return record(document) if document is not None else None


def hold_back_own_creates(conn: Any, records: Sequence[RemoteRecord]) -> list[RemoteRecord]:
    """`records` less the customers a create of ours whose answer was lost may have made (an
    outbox item "outcome unknown" for a Tidsbro customer with the same name and organisation
    number, no binding yet): the retried create pairs it (`find`). One query when none."""
    return hold_back_unsure_creates(
        conn.connection, CUSTOMER, records, mappers.customer_fingerprint
    )


# PUSH
# ------------------------------------------------------------------------------
def find(conn: Any, entity: str, values: dict[str, Any]) -> str | None:
    """The customer an unsure create made: under the number it asked for, else the newest of
    the same name and organisation number; None when there is none."""
    number = requested_number(values)
    if number is not None:
        query = f"CustomerNumber eq {number}"
    else:
        name = mappers.text(values.get("name"))
        if not name:
            return None
        query = f"Info.Name eq {quoted(name)}"
    wanted = mappers.customer_fingerprint(values)
    found = [
        d
        for d in conn.client.list(PLURAL, filter=query, expand=mappers.CUSTOMER_EXPAND)
        if not mappers.is_deleted(d)
        and mappers.customer_fingerprint(mappers.customer_from_remote(d)) == wanted
    ]
    if not found:
        return None
    return mappers.record_id(max(found, key=lambda d: d.get("ID") or 0))


def found_values(conn: Any, entity: str, external_id: str, values: dict[str, Any]) -> dict:
    document = conn.read(PLURAL, external_id, expand=mappers.CUSTOMER_EXPAND)
    if document is None:
        return {}
    return {"number": mappers.customer_from_remote(document)["number"]}


def create(
    conn: Any, entity: str, values: dict[str, Any], *, key: str = ""
) -> tuple[str, dict[str, Any]]:
    """POSTs the customer with its number (or none: Unimicro's next comes back)."""
    requested_number(values)  # refused before anything is sent
    body = mappers.customer_to_remote(values, None, seed=key or repr(sorted(values.items())))
    document, found = conn.create_or_find(entity, PLURAL, body, values)
    if document is None:
        return found, found_values(conn, entity, found, values)
    external_id = mappers.record_id(document)
    if values.get("is_active") is False:
        conn.client.action(PLURAL, None, "deactivate", params={"ID": external_id})
    number = document.get("CustomerNumber")
    return external_id, {"number": str(number)} if number is not None else {}


def update(conn: Any, entity: str, external_id: str, values: dict[str, Any]) -> dict:
    """PUTs what changed (nothing when nothing did); inactive/active by action."""
    current = conn.current(PLURAL, external_id, expand=mappers.CUSTOMER_EXPAND)
    changes = mappers.customer_changes(values, current)
    if "number" in changes:
        requested_number(changes)
    active = changes.pop("is_active", None)
    if changes:
        body = mappers.customer_to_remote(
            {**mappers.customer_from_remote(current), **changes},
            current,
            seed=f"{external_id}:{current.get('UpdatedAt')}",
        )
        conn.client.update(PLURAL, int(external_id), body)
    if active is not None:
        action = "activate" if active else "deactivate"
        conn.client.action(PLURAL, None, action, params={"ID": external_id})
    return {}


def delete(conn: Any, entity: str, external_id: str) -> None:
    raise Rejected(
        gettext(
            "Customers are never deleted in Unimicro from Tidsbro; make the customer inactive "
            "and it is deactivated there."
        ),
        operation="delete customer",
    )
