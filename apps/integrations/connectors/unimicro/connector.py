"""The sync engine's Unimicro connector: Tidsbro is the master of customers, projects (with
their tasks) and work types; Unimicro's users are pulled to link people.

Every object type has a module of this package with the engine's calls as functions taking
the connector first (`ENTITY_MODULES`, as e-conomic's connector routes its types): fetch,
next_cursor, fetch_ids, fetch_one, find, found_values, create, update, delete. They all speak
through `self.client` (`client.UnimicroClient`, the only module that knows the wire).

- Pull: incremental by `UpdatedAt gt '<cursor − OVERLAP>' or CreatedAt gt '<…>'`, ordered by
  ID, 500 a page (`pull`); the next cursor is the latest stamp seen (Unimicro's clock), never
  earlier than where the fetch started. A full pull (no cursor) reads everything; the nightly
  reconciliation compares ids (`fetch_ids`).
- Push: a create is a POST with a `_createguid` derived from the outbox item's key (a retry of
  the same create is refused by Unimicro instead of inserting twice, and `find` looks it up);
  an update is read-then-PUT of what changed only (children by their IDs); states are actions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from importlib import import_module
from typing import Any

from django.utils.translation import gettext

from apps.integrations import entities
from apps.integrations.connectors.base import Entity, Rejected
from apps.integrations.connectors.unimicro import SYSTEM, mappers
from apps.integrations.connectors.unimicro.rules import (
    CAPABILITIES,
    changed_since_filter,
    cursor_text,
    parse_time,
)
from apps.integrations.sync.types import RemoteRecord

PAGE_SIZE = 500
ENTITY_MODULES = {
    Entity.CUSTOMER.value: "customers",
    Entity.PROJECT.value: "projects",
    Entity.TASK.value: "projects",
    Entity.WORK_TYPE.value: "worktypes",
    Entity.USER.value: "users",
    Entity.HOUR.value: "hours",
}


def client_for(connection: Any, **overrides: Any) -> Any:
    from apps.integrations.connectors.unimicro.client import UnimicroClient

    return UnimicroClient(connection, **overrides)


class UnimicroConnector:
    capabilities = CAPABILITIES
    system = SYSTEM

    def __init__(self, connection: Any, **client_overrides: Any) -> None:
        self.connection = connection
        self._client_overrides = dict(client_overrides)
        self._client: Any = None
        # Per object type: (where the fetch started, the latest stamp it saw).
        self._seen: dict[str, tuple[datetime | None, datetime | None]] = {}
        # Documents read by `fetch_one`, kept for the `update` that follows it in a push.
        self.documents: dict[tuple[str, str], dict[str, Any]] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = client_for(self.connection, **self._client_overrides)
        return self._client

    @property
    def requests(self) -> int:
        return int(getattr(self._client, "requests", 0) or 0) if self._client is not None else 0

    def close(self) -> None:
        if self._client is not None and hasattr(self._client, "close"):
            self._client.close()

    def _module(self, entity: str) -> Any:
        name = ENTITY_MODULES.get(entity)
        if name is None:
            raise Rejected(
                gettext(
                    "Unimicro keeps customers, projects, tasks, work types, users and hours in "
                    "step with Tidsbro, not %(type)s."
                )
                % {"type": entities.label(entity)},
                operation=entity,
            )
        return import_module(f"apps.integrations.connectors.unimicro.{name}")

    # --- the incremental read every module shares --------------------------------------------
    def pull(
        self,
        entity: str,
        plural: str,
        *,
        since: datetime | str | None,
        to_record: Callable[[dict[str, Any]], RemoteRecord | None],
        expand: str | None = None,
        extra_filter: str | None = None,
    ) -> Iterator[list[RemoteRecord]]:
        """Pages of `plural` changed since `since` less the overlap (all when None), mapped
        by `to_record` (None drops a row); remembers the latest stamp for `next_cursor`."""
        moment = parse_time(since) if since is not None else None
        latest: datetime | None = None
        self._seen[entity] = (moment, None)
        query = changed_since_filter(moment)
        if extra_filter:
            query = f"({query}) and ({extra_filter})" if query else extra_filter
        page: list[RemoteRecord] = []
        for document in self.client.list(
            plural, filter=query, expand=expand, orderby="ID", top=PAGE_SIZE
        ):
            stamp = mappers.changed_at(document)
            if stamp is not None and (latest is None or stamp > latest):
                latest = stamp
                self._seen[entity] = (moment, latest)
            record = to_record(document)
            if record is not None:
                page.append(record)
            if len(page) >= PAGE_SIZE:
                yield page
                page = []
        if page:
            yield page

    def seen_cursor(self, entity: str, run_started: datetime) -> str:
        """The latest stamp the fetch saw (Unimicro's clock), never before where it started;
        the run's start when it saw nothing and started nowhere."""
        since, latest = self._seen.get(entity, (None, None))
        moment = latest or since or run_started
        if since is not None and moment < since:
            moment = since
        return cursor_text(moment)

    def ids(self, plural: str, *, extra_filter: str | None = None) -> set[str]:
        return {
            mappers.record_id(d)
            for d in self.client.list(
                plural, filter=extra_filter, select="ID", orderby="ID", top=PAGE_SIZE
            )
        } - {""}

    # --- the engine's calls ------------------------------------------------------------------
    def fetch(self, entity: str, *, since: datetime | str | None) -> Iterator[list[RemoteRecord]]:
        yield from self._module(entity).fetch(self, entity, since=since)

    def next_cursor(self, entity: str, run_started: datetime) -> str:
        module = self._module(entity)
        own = getattr(module, "next_cursor", None)
        return own(self, entity, run_started) if own else self.seen_cursor(entity, run_started)

    def fetch_ids(self, entity: str) -> set[str]:
        return self._module(entity).fetch_ids(self, entity)

    def fetch_one(self, entity: str, external_id: str) -> RemoteRecord | None:
        return self._module(entity).fetch_one(self, entity, external_id)

    def find(self, entity: str, values: dict[str, Any]) -> str | None:
        return self._module(entity).find(self, entity, values)

    def found_values(self, entity: str, external_id: str, values: dict[str, Any]) -> dict[str, Any]:
        return self._module(entity).found_values(self, entity, external_id, values)

    def create(
        self, entity: str, values: dict[str, Any], *, key: str = ""
    ) -> tuple[str, dict[str, Any]]:
        return self._module(entity).create(self, entity, values, key=key)

    def update(self, entity: str, external_id: str, values: dict[str, Any]) -> dict[str, Any]:
        return self._module(entity).update(self, entity, external_id, values)

    def delete(self, entity: str, external_id: str) -> None:
        self._module(entity).delete(self, entity, external_id)

    def finishes_push(self, entity: str) -> bool:
        return getattr(self._module(entity), "finish_push", None) is not None

    def finish_push(self, entity: str) -> None:
        finish = getattr(self._module(entity), "finish_push", None)
        if finish is not None:
            finish(self, entity)

    # --- shared helpers for the modules ------------------------------------------------------
    def create_or_find(
        self, entity: str, plural: str, body: dict[str, Any], values: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, str]:
        """POSTs `body`; when Unimicro refuses it, looks for the record an earlier attempt of
        the same create made (its answer lost, or committed only after the retry had
        started: Unimicro then refuses the reused `_createguid`) and returns (None, its id).
        Re-raises the refusal when there is none."""
        try:
            return self.client.create(plural, body), ""
        except Rejected:
            found = self.find(entity, values)
            if not found:
                raise
            return None, found

    def read(self, plural: str, external_id: str, *, expand: str | None = None) -> dict | None:
        """One document by id (None when gone or not an id); kept for the update after it."""
        if not str(external_id).isdigit():
            return None
        document = self.client.get(plural, int(external_id), expand=expand)
        if document is None or mappers.is_deleted(document):
            return None
        self.documents = {(plural, str(external_id)): document}
        return document

    def current(self, plural: str, external_id: str, *, expand: str | None = None) -> dict:
        """The document a push's update writes over: the one its merge just read, else read
        now; Rejected when it is gone (an update never creates it again)."""
        document = self.documents.pop((plural, str(external_id)), None)
        if document is None:
            document = self.read(plural, external_id, expand=expand)
            self.documents.pop((plural, str(external_id)), None)
        if document is None:
            raise Rejected(
                gettext(
                    "The record %(id)s no longer exists in Unimicro; it is not created again by "
                    "a change here."
                )
                % {"id": external_id},
                operation=f"update {plural}",
            )
        return document
