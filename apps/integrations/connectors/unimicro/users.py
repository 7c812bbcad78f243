"""Unimicro's users (`/api/biz/users`, read only): pulled to link them to Tidsbro's users by
e-mail (the user adapter's link; the rest wait "only in Unimicro" for the user mapping).
Unimicro keeps its users: nothing is ever written.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.utils.translation import gettext

from apps.integrations.connectors.base import Rejected
from apps.integrations.connectors.unimicro import mappers
from apps.integrations.sync.types import RemoteRecord

PLURAL = "users"


def record(document: dict[str, Any]) -> RemoteRecord | None:
    external_id = mappers.record_id(document)
    if not external_id:
        return None
    return RemoteRecord(
        external_id=external_id,
        values=mappers.user_from_remote(document),
        changed_at=mappers.changed_at(document),
        deleted=document.get("Deleted") is True,
    )


def fetch(conn: Any, entity: str, *, since: datetime | str | None) -> Iterator[list[RemoteRecord]]:
    yield from conn.pull(entity, PLURAL, since=since, to_record=record)
    # Every page is applied when the generator resumes here: users no Tidsbro user matched
    # wait "only in Unimicro"; any whose Tidsbro user appeared since are linked.
    from apps.integrations.registry import adapter_for

    settle = getattr(adapter_for(entity), "settle", None)
    if settle is not None:
        settle(conn.connection)


def fetch_ids(conn: Any, entity: str) -> set[str]:
    return conn.ids(PLURAL)


def fetch_one(conn: Any, entity: str, external_id: str) -> RemoteRecord | None:
    document = conn.read(PLURAL, external_id)
    return record(document) if document is not None else None


def _refuse(*_args: Any, **_kwargs: Any) -> Any:
    raise Rejected(
        gettext("Unimicro keeps its users: Tidsbro links them and never changes them."),
        operation="user",
    )


def find(conn: Any, entity: str, values: dict[str, Any]) -> str | None:
    return None


def found_values(conn: Any, entity: str, external_id: str, values: dict[str, Any]) -> dict:
    return {}


create = update = delete = _refuse
