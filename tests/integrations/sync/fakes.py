"""An in-process ERP for the connector-independent engine: a dict behind the Connector
protocol, and a LocalAdapter over the real Customer model (name, e-mail, phone 1:1).

Only the engine is tested against these; the 24SO flows are tested against the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.customers.models import Customer
from apps.integrations.connectors.base import Capabilities, Entity
from apps.integrations.models import Binding
from apps.integrations.sync.types import RemoteRecord

CAPABILITIES = Capabilities(
    system="24so",
    pull=frozenset({Entity.CUSTOMER}),
    push=frozenset({Entity.CUSTOMER}),
    incremental=frozenset({Entity.CUSTOMER}),
    reports_deletions=frozenset({Entity.CUSTOMER}),
    watermark_resolution=timedelta(minutes=1),
)
# How far before its cursor (a time) the fake reads again, as a real connector would.
OVERLAP = timedelta(minutes=2)


@dataclass
class FakeERP:
    """The remote side: records by id, when each changed, what was deleted, every call made."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: dict[str, datetime] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    next_id: int = 1000
    # Exceptions to raise, per operation, one per call (then the call proceeds normally).
    failures: dict[str, list[Exception]] = field(default_factory=dict)
    # Exceptions to raise after the write was applied (the ambiguous case).
    failures_after: dict[str, list[Exception]] = field(default_factory=dict)

    def put(self, values: dict[str, Any], *, external_id: str | None = None) -> str:
        """Creates or changes a record in the ERP (as someone working in the ERP would)."""
        if external_id is None:
            external_id = str(self.next_id)
            self.next_id += 1
        self.records[external_id] = {**self.records.get(external_id, {}), **values}
        self.changed[external_id] = timezone.now()
        return external_id

    def remove(self, external_id: str) -> None:
        self.records.pop(external_id)
        self.deleted.add(external_id)
        self.changed[external_id] = timezone.now()

    def writes(self) -> list[tuple[str, ...]]:
        return [c for c in self.calls if c[0] in ("create", "update", "delete")]


class FakeConnector:
    """The Connector protocol over a FakeERP."""

    capabilities = CAPABILITIES

    def __init__(self, erp: FakeERP, *, page_size: int = 100) -> None:
        self.erp = erp
        self.page_size = page_size
        # The cursors the engine passed, and the moments read after (cursor less OVERLAP).
        self.fetch_since: list[str | None] = []
        self.fetch_after: list[datetime | None] = []
        self._requests = 0
        self.closed = False

    @property
    def requests(self) -> int:
        return self._requests

    def _call(self, operation: str, *args: str) -> None:
        self._requests += 1
        self.erp.calls.append((operation, *args))
        pending = self.erp.failures.get(operation)
        if pending:
            raise pending.pop(0)

    def _after(self, operation: str) -> None:
        pending = self.erp.failures_after.get(operation)
        if pending:
            raise pending.pop(0)

    def fetch(self, entity: str, *, since: str | None) -> Iterator[Sequence[RemoteRecord]]:
        after = datetime.fromisoformat(since) - OVERLAP if since else None
        self.fetch_since.append(since)
        self.fetch_after.append(after)
        self._call("fetch", entity)
        ids = sorted(
            (i for i, at in self.erp.changed.items() if after is None or at > after),
            key=lambda i: (self.erp.changed[i], i),
        )
        page: list[RemoteRecord] = []
        for external_id in ids:
            if external_id in self.erp.deleted:
                page.append(RemoteRecord(external_id=external_id, values={}, deleted=True))
            else:
                page.append(self._record(external_id))
            if len(page) == self.page_size:
                yield page
                page = []
        if page:
            yield page

    def next_cursor(self, entity: str, run_started: datetime) -> str:
        return run_started.isoformat()

    def _record(self, external_id: str) -> RemoteRecord:
        return RemoteRecord(
            external_id=external_id,
            values=dict(self.erp.records[external_id]),
            changed_at=self.erp.changed[external_id],
        )

    def fetch_ids(self, entity: str) -> set[str]:
        self._call("fetch_ids", entity)
        return set(self.erp.records)

    def fetch_one(self, entity: str, external_id: str) -> RemoteRecord | None:
        self._call("fetch_one", entity, external_id)
        if external_id not in self.erp.records:
            return None
        return self._record(external_id)

    def find(self, entity: str, values: dict[str, Any]) -> str | None:
        self._call("find", entity)
        for external_id, record in self.erp.records.items():
            if record.get("name") == values.get("name"):
                return external_id
        return None

    def found_values(self, entity: str, external_id: str, values: dict[str, Any]) -> dict[str, Any]:
        # Like 24SO's projects: the ERP numbers what it creates (here: by its id).
        return {"number": f"ERP-{external_id}"}

    def create(
        self, entity: str, values: dict[str, Any], *, key: str = ""
    ) -> tuple[str, dict[str, Any]]:
        self._call("create", entity)
        external_id = self.erp.put(dict(values))
        self._after("create")
        return external_id, {}

    def update(self, entity: str, external_id: str, values: dict[str, Any]) -> dict[str, Any]:
        self._call("update", entity, external_id)
        self.erp.put(dict(values), external_id=external_id)
        self._after("update")
        return {}

    def delete(self, entity: str, external_id: str) -> None:
        self._call("delete", entity, external_id)
        self.erp.remove(external_id)

    def close(self) -> None:
        self.closed = True


class CustomerAdapter:
    """The LocalAdapter protocol over Customer: name, e-mail and phone map 1:1, bulk writes."""

    entity = "customer"
    fields = ("name", "email", "phone")
    merge_on_push = True

    def load(self, connection: Any, ids: Iterable[int]) -> dict[int, Any]:
        return Customer.objects.in_bulk(list(ids))

    def values(self, connection: Any, objs: Sequence[Any]) -> dict[int, dict[str, Any]]:
        return {o.pk: {f: getattr(o, f) for f in self.fields} for o in objs}

    def create_many(self, connection: Any, rows: Sequence[dict[str, Any]]) -> list[Any]:
        return Customer.objects.bulk_create(
            [Customer(**{f: row.get(f, "") for f in self.fields}) for row in rows]
        )

    def update_many(self, connection: Any, changes: Sequence[tuple[Any, dict[str, Any]]]) -> None:
        now = timezone.now()
        for obj, values in changes:
            for name, value in values.items():
                setattr(obj, name, value)
            obj.updated_at = now
        Customer.objects.bulk_update(
            [obj for obj, _values in changes], [*self.fields, "updated_at"]
        )

    def mark_deleted(self, connection: Any, objs: Sequence[Any]) -> None:
        Customer.objects.filter(pk__in=[o.pk for o in objs]).update(
            is_active=False, updated_at=timezone.now()
        )

    def restore_many(self, connection: Any, objs: Sequence[Any]) -> None:
        Customer.objects.filter(pk__in=[o.pk for o in objs]).update(
            is_active=True, updated_at=timezone.now()
        )

    def after_push(self, connection: Any, obj: Any, assigned: dict[str, Any]) -> None:
        if "number" in assigned:
            Customer.objects.filter(pk=obj.pk).update(number=assigned["number"])

    def unbound_ids(self, connection: Any) -> Iterable[int]:
        bound = Binding.objects.filter(
            connection=connection, entity=self.entity, local_id=OuterRef("pk")
        )
        return Customer.objects.filter(~Exists(bound)).values_list("pk", flat=True)
