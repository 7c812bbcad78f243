"""The Unimicro side of the reliability tests: faults on the sandbox's API and token endpoint,
the scheduler's sync cycle with time compression, and the end checks both the chaos and the
crash tests make (converged, no duplicates, every approved hour once, the login still good).

The office is `tests/integrations/unimicro/test_hours_world.py`'s (a real login: the
connection holds a refresh token the sandbox rotates on every renewal).
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.integrations import jobs
from apps.integrations.connectors.unimicro.client import UnimicroClient
from apps.integrations.connectors.unimicro.connector import UnimicroConnector
from apps.integrations.models import Binding, Connection, OutboxItem, SyncRun
from apps.integrations.registry import adapter_for
from apps.sandbox.unimicro import entities as erp_entities
from apps.sandbox.unimicro.identity.models import RefreshToken
from apps.sandbox.unimicro.models import Knobs, RequestLogEntry
from apps.sandbox.unimicro.runtime import knobs_get
from apps.timesheets.models import TimeEntry

COMPANY_1 = "4b3e9a10-0000-4000-8000-000000000001"
FAULT_KINDS = ("http503", "http500", "hang", "reset")
SYNCED = ("customer", "project", "work_type")
APPROVED = (
    TimeEntry.Status.USER_APPROVED,
    TimeEntry.Status.PROJECT_APPROVED,
    TimeEntry.Status.LOCKED,
)


def knobs(**values: Any) -> None:
    knobs_get()
    Knobs.objects.filter(pk=1).update(**values)


def faults_on(*, rate: float, seed: int, hang_seconds: float) -> None:
    """Every kind of API fault at `rate` (a hang is carried out and answered too late)."""
    knobs(
        fault_rate=rate,
        fault_seed=seed,
        fault_http503=True,
        fault_http500=True,
        fault_hang=True,
        fault_reset=True,
        hang_seconds=hang_seconds,
        retry_after_seconds=0,
    )


def last_request_id() -> int:
    return RequestLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def settle(*, quiet: float = 0.3, timeout: float = 15.0) -> None:
    """Waits (polling) until the sandbox's request log stops growing."""
    deadline = time.monotonic() + timeout
    seen = RequestLogEntry.objects.count()
    while True:
        time.sleep(quiet)
        now = RequestLogEntry.objects.count()
        if now == seen:
            return
        assert time.monotonic() < deadline, "the sandbox never went quiet"
        seen = now


def waiting(connection: Connection) -> int:
    return OutboxItem.objects.filter(
        connection=connection,
        status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS],
    ).count()


def sync_cycle(connection: Connection, *, full: bool = False) -> None:
    """What the scheduler runs: every pulled type, then the outbox (its backoffs compressed)."""
    jobs.sync_connection(connection.pk, SyncRun.Trigger.SCHEDULE, full)
    for _ in range(5):
        OutboxItem.objects.filter(
            connection=connection,
            status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS],
        ).update(next_attempt_at=timezone.now(), lease_until=None)
        if jobs.push_pending(connection.pk) == "nothing to do":
            break


def sync_until_quiet(connection: Connection, *, timeout: float = 30.0) -> int:
    """Faults off: sync cycles until nothing waits and a cycle sends no write; returns how
    many cycles it took."""
    deadline = time.monotonic() + timeout
    cycles = 0
    while True:
        before = last_request_id()
        sync_cycle(connection, full=cycles == 0)
        cycles += 1
        writes = RequestLogEntry.objects.filter(id__gt=before).exclude(method="GET").count()
        if waiting(connection) == 0 and writes == 0:
            return cycles
        assert time.monotonic() < deadline, (
            f"not quiet after {cycles} cycles: {waiting(connection)} waiting, {writes} writes"
        )


def remote_records(connection: Connection, entity: str) -> dict[str, Any]:
    connector = UnimicroConnector(connection)
    try:
        return {r.external_id: r for page in connector.fetch(entity, since=None) for r in page}
    finally:
        connector.close()


def differences(connection: Connection) -> list[tuple]:
    """Master-owned fields where Tidsbro and Unimicro disagree (bound records), and Unimicro
    records of a synced type Tidsbro has no binding for."""
    found: list[tuple] = []
    for entity in SYNCED:
        adapter = adapter_for(entity)
        remote = remote_records(connection, entity)
        bindings = Binding.objects.filter(connection=connection, entity=entity).exclude(
            local_id__isnull=True
        )
        local = adapter.values(
            connection, list(adapter.load(connection, [b.local_id for b in bindings]).values())
        )
        for binding in bindings:
            record = remote.get(binding.external_id)
            if record is None or record.deleted:
                found.append((entity, binding.external_id, "missing in Unimicro"))
                continue
            mine = local[binding.local_id]
            for name in adapter.fields:
                if name in mine and name in record.values and mine[name] != record.values[name]:
                    found.append(
                        (entity, binding.external_id, name, mine[name], record.values[name])
                    )
        known = set(bindings.values_list("external_id", flat=True))
        found += [
            (entity, i, "not in Tidsbro")
            for i, r in remote.items()
            if i not in known and not r.deleted
        ]
    return found


def erp_live(entity: str) -> list[dict]:
    return list(erp_entities.find(COMPANY_1, entity))


def duplicated(values: list[Any]) -> dict[Any, int]:
    counts: dict[Any, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return {value: n for value, n in counts.items() if n > 1}


def erp_duplicates() -> dict[str, dict]:
    """Customers (by number, by name), projects (by number, by name), work types (by name) and
    work items (by the hour's Label) that Unimicro holds more than once."""
    from apps.sandbox.unimicro import store

    customers = erp_live("Customer")
    names = []
    for customer in customers:
        info = store.read(COMPANY_1, "Customer", customer["ID"], expand="Info").get("Info") or {}
        names.append(info.get("Name"))
    projects = erp_live("Project")
    found = {
        "customer numbers": duplicated([c.get("CustomerNumber") for c in customers]),
        "customer names": duplicated(names),
        "project numbers": duplicated([p.get("ProjectNumber") for p in projects]),
        "project names": duplicated([p.get("Name") for p in projects]),
        "work type names": duplicated([w.get("Name") for w in erp_live("WorkType")]),
        "work items": duplicated([i.get("Label") for i in erp_live("WorkItem") if i.get("Label")]),
    }
    return {kind: groups for kind, groups in found.items() if groups}


def hours_not_once(connection: Connection, deleted: set[int]) -> dict[str, Any]:
    """What is wrong with the approved hours in Unimicro: every approved hour must be one live
    work item (its Label TB-<id>) with its minutes; deleted and unapproved ones none."""
    items: dict[str, list[dict]] = {}
    for item in erp_live("WorkItem"):
        if str(item.get("Label") or "").startswith("TB-"):
            items.setdefault(item["Label"], []).append(item)
    problems: dict[str, Any] = {}
    approved = TimeEntry.objects.filter(status__in=APPROVED)
    for entry in approved:
        found = items.pop(f"TB-{entry.pk}", [])
        if len(found) != 1:
            problems[f"TB-{entry.pk}"] = f"{len(found)} work items"
        elif Decimal(found[0]["Minutes"]) != entry.hours * 60:
            problems[f"TB-{entry.pk}"] = f"{found[0]['Minutes']} minutes, {entry.hours} hours"
    for label, found in items.items():
        pk = int(label[3:])
        why = "deleted in Tidsbro" if pk in deleted else "not approved"
        problems[label] = f"{len(found)} work items, {why}"
    return problems


def families_revoked() -> int:
    return RefreshToken.objects.filter(revoked_reason__startswith="family").count()


def rotations() -> int:
    """Refresh tokens replaced by a renewal (each renewal rotates one)."""
    return RefreshToken.objects.filter(revoked_reason="rotated").count()


def still_authenticates(connection: Connection) -> list[dict]:
    """The connection's login works: a call with a fresh token (renewed by its refresh
    token after every access token was expired)."""
    from apps.sandbox.unimicro.identity.services import access_tokens_expire_all

    access_tokens_expire_all()
    connection.refresh_from_db()
    client = UnimicroClient(connection)
    try:
        return client.companies()
    finally:
        client.close()
