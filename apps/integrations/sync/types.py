"""What the engine needs from a connector and from the local side of each object type."""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from apps.integrations.connectors.base import Capabilities


@dataclass(frozen=True)
class RemoteRecord:
    """One ERP record mapped to canonical local field values (see each adapter's `fields`)."""

    external_id: str
    values: dict[str, Any]
    changed_at: datetime | None = None
    # Deleted (or otherwise gone) in the ERP; never deletes anything locally.
    deleted: bool = False


@dataclass
class RunStats:
    """Counters a run fills in; the engine copies them to the SyncRun row."""

    fetched: int = 0
    created: int = 0
    updated: int = 0
    pushed: int = 0
    skipped: int = 0
    conflicts: int = 0
    errors: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)

    MAX_CHANGES = 500

    def note(self, **change: Any) -> None:
        if len(self.changes) < self.MAX_CHANGES:
            self.changes.append(change)


class Connector(Protocol):
    """The engine's view of one ERP for one connection. Every method may raise the
    connector errors of `apps.integrations.connectors.base`."""

    capabilities: Capabilities

    @property
    def requests(self) -> int:
        """Requests made so far by this connector instance."""

    def fetch(self, entity: str, *, since: str | None) -> Iterator[Sequence[RemoteRecord]]:
        """Pages of records changed since the cursor `since` (all when None).

        `since` is the string this connector's `next_cursor` returned after the last run (a
        timestamp, a delta link …), opaque to the engine. The connector applies its own
        overlap: reading a record twice is fine (deduplicated by id), missing one is not."""

    def next_cursor(self, entity: str, run_started: datetime) -> str:
        """The cursor to store after every page of a run started at `run_started` was
        applied (e.g. that moment, so changes made while the run read are read again)."""

    def fetch_ids(self, entity: str) -> set[str]:
        """Every id that exists remotely now (for the nightly reconciliation)."""

    def fetch_one(self, entity: str, external_id: str) -> RemoteRecord | None: ...

    def find(self, entity: str, values: dict[str, Any]) -> str | None:
        """Looks up a record a create may already have made (ambiguous outcome)."""

    def found_values(self, entity: str, external_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """What the ERP assigned to a record `find` found, as `create` would have returned it
        (e.g. the project number), so the local side gets it at once, not at the next pull."""

    def create(
        self, entity: str, values: dict[str, Any], *, key: str = ""
    ) -> tuple[str, dict[str, Any]]:
        """Creates a record; returns its id and the values the ERP assigned (e.g. number)."""

    def update(self, entity: str, external_id: str, values: dict[str, Any]) -> dict[str, Any]:
        """Writes the full set of `values`; returns values the ERP assigned."""

    def delete(self, entity: str, external_id: str) -> None: ...

    def close(self) -> None: ...


class LocalAdapter(Protocol):
    """The local side of one object type: reads canonical values, writes in bulk."""

    entity: str
    fields: tuple[str, ...]
    # Two-way types merge against the ERP's current record before a push; push-only ones
    # (hours) send the local state as it is.
    merge_on_push: bool

    def load(self, connection: Any, ids: Iterable[int]) -> dict[int, Any]: ...

    def values(self, connection: Any, objs: Sequence[Any]) -> dict[int, dict[str, Any]]:
        """Canonical values of local objects, keyed by pk (batch: no query per object)."""

    def create_many(self, connection: Any, rows: Sequence[dict[str, Any]]) -> list[Any | None]:
        """Creates local objects from ERP values (bulk); returns them in the same order.

        None for a row means "keep it only in the ERP" (e.g. an ERP user no Tidsbro user
        matches): its binding has no local record and the state "only in the ERP"; the next
        pull that sees the record offers it to `create_many` again."""

    def update_many(self, connection: Any, changes: Sequence[tuple[Any, dict[str, Any]]]) -> None:
        """Applies ERP values to local objects (bulk)."""

    def mark_deleted(self, connection: Any, objs: Sequence[Any]) -> None:
        """The ERP deleted these: deactivate/archive, never delete."""

    # Optional (the engine uses getattr): `deleted_values`, the canonical values
    # `mark_deleted` leaves behind (e.g. {"status": "archived"}); they become the snapshot, so
    # when the record comes back the ERP's values flow in as a remote change. And
    # `restore_many(connection, objs)`, undoing what `mark_deleted` did outside the canonical
    # fields (e.g. a customer's active flag) when a record missing remotely comes back.

    def after_push(self, connection: Any, obj: Any, assigned: dict[str, Any]) -> None:
        """Stores what the ERP assigned on a push (e.g. the project number)."""

    def unbound_ids(self, connection: Any) -> Iterable[int]:
        """Local records that should exist in the ERP but have no binding yet."""
