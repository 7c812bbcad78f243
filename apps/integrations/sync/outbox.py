"""Reliable push: an outbox row per local change, written in the change's own transaction,
kicked after commit, swept every minute, retried with backoff, never dropped."""

import logging
import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.hooks import sync_writes
from apps.integrations.connectors.base import (
    AuthFailed,
    ConnectorError,
    RateLimited,
    Rejected,
    Unavailable,
)
from apps.integrations.models import Binding, Conflict, Connection, OutboxItem, SyncRun
from apps.integrations.registry import adapter_for, connector_for
from apps.integrations.sync.merge import merge
from apps.integrations.sync.types import Connector, RunStats

logger = logging.getLogger(__name__)

Status = OutboxItem.Status
Operation = OutboxItem.Operation

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=30)
CLAIM_FOR = timedelta(minutes=5)


def max_attempts() -> int:
    return int(getattr(settings, "INTEGRATIONS_OUTBOX_MAX_ATTEMPTS", 8))


# --- writing ---------------------------------------------------------------------------------


def enqueue(
    *,
    connection: Connection,
    entity: str,
    local_id: int,
    operation: str = Operation.UPSERT,
    external_id: str = "",
) -> OutboxItem:
    """Queues a push in the caller's transaction (coalesced: one pending row per object)."""
    with transaction.atomic():
        item = OutboxItem.objects.filter(
            connection=connection,
            entity=entity,
            local_id=local_id,
            operation=operation,
            status=Status.PENDING,
        ).first()
        if item is None:
            try:
                with transaction.atomic():
                    item = OutboxItem.objects.create(
                        connection=connection,
                        entity=entity,
                        local_id=local_id,
                        operation=operation,
                        external_id=external_id,
                    )
            except IntegrityError:  # queued concurrently: that row carries this change too
                item = OutboxItem.objects.get(
                    connection=connection,
                    entity=entity,
                    local_id=local_id,
                    operation=operation,
                    status=Status.PENDING,
                )
        elif item.next_attempt_at > timezone.now() and item.attempts == 0:
            OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())
    connection_id = connection.pk
    transaction.on_commit(lambda: kick(connection_id), robust=True)
    return item


def kick(connection_id: int) -> None:
    """Asks a worker to push now (the every-minute sweep catches a lost kick)."""
    from django_q.tasks import async_task

    async_task(
        "apps.integrations.jobs.push_pending",
        connection_id,
        task_name=f"push {connection_id}",
        group="integrations",
    )


# --- pushing ---------------------------------------------------------------------------------


def claim_due(connection: Connection, *, limit: int = 100) -> list[OutboxItem]:
    """Claims due items with a conditional UPDATE per row (safe with several workers)."""
    now = timezone.now()
    due = list(
        OutboxItem.objects.filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now),
            connection=connection,
            status__in=[Status.PENDING, Status.AMBIGUOUS],
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", "lease_until")[:limit]
    )
    claimed = []
    for item_id, old_lease in due:
        won = OutboxItem.objects.filter(pk=item_id, lease_until=old_lease).update(
            lease_until=now + CLAIM_FOR
        )
        if won:
            claimed.append(item_id)
    return list(OutboxItem.objects.filter(pk__in=claimed).order_by("next_attempt_at", "id"))


def push_pending(
    *, connection: Connection, connector: Connector | None = None, limit: int = 100
) -> SyncRun | None:
    """Pushes every due outbox item of a connection; returns a run row (None if nothing due)."""
    items = claim_due(connection, limit=limit)
    if not items:
        return None
    run = SyncRun.objects.create(
        connection=connection, entity=items[0].entity, kind="push", trigger=SyncRun.Trigger.PUSH
    )
    own = connector is None
    connector = connector or connector_for(connection)
    stats = RunStats()
    start = connector.requests
    try:
        for item in items:
            try:
                push_item(connection, connector, item, stats)
            except RateLimited as exc:
                # Everything else waits too; nothing counts as an attempt.
                _release_all(items, after=timedelta(seconds=exc.retry_after), error=str(exc))
                run.error_text = str(exc)
                break
    finally:
        if own:
            connector.close()
        run.finished_at = timezone.now()
        run.status = SyncRun.Status.FAILED if stats.errors else SyncRun.Status.SUCCEEDED
        for counter in ("pushed", "created", "updated", "skipped", "conflicts", "errors"):
            setattr(run, counter, getattr(stats, counter))
        run.requests = connector.requests - start
        run.changes = stats.changes
        run.save()
    return run


def _release_all(items: list[OutboxItem], *, after: timedelta, error: str) -> None:
    OutboxItem.objects.filter(
        pk__in=[i.pk for i in items], status__in=[Status.PENDING, Status.AMBIGUOUS]
    ).exclude(lease_until__isnull=True).update(
        lease_until=None, next_attempt_at=timezone.now() + after, last_error=error[:2000]
    )


def push_item(
    connection: Connection, connector: Connector, item: OutboxItem, stats: RunStats
) -> None:
    """Pushes one item; records success, a retry with backoff, or the dead state."""
    try:
        _push(connection, connector, item, stats)
    except RateLimited:
        raise
    except Rejected as exc:
        _fail(item, error="; ".join(exc.messages), dead=True)
        stats.errors += 1
    except AuthFailed as exc:
        _fail(item, error=str(exc), dead=False)
        stats.errors += 1
    except Unavailable as exc:
        _fail(item, error=str(exc), dead=False, ambiguous=exc.ambiguous)
        stats.errors += 1
    except ConnectorError as exc:
        _fail(item, error=str(exc), dead=False)
        stats.errors += 1
    else:
        OutboxItem.objects.filter(pk=item.pk).update(
            status=Status.DONE, done_at=timezone.now(), lease_until=None, last_error=""
        )


def _fail(item: OutboxItem, *, error: str, dead: bool, ambiguous: bool = False) -> None:
    attempts = item.attempts + 1
    dead = dead or attempts >= max_attempts()
    delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (attempts - 1)))
    jittered = timedelta(seconds=random.uniform(delay.total_seconds() / 2, delay.total_seconds()))
    status = Status.DEAD if dead else (Status.AMBIGUOUS if ambiguous else item.status)
    if item.status == Status.AMBIGUOUS and not dead:
        status = Status.AMBIGUOUS  # stays "look up before retrying" until resolved
    OutboxItem.objects.filter(pk=item.pk).update(
        attempts=attempts,
        status=status,
        next_attempt_at=timezone.now() + jittered,
        lease_until=None,
        last_error=error[:2000],
    )
    logger.warning(
        "push of %s %s failed (attempt %s): %s", item.entity, item.local_id, attempts, error[:200]
    )


def _push(connection: Connection, connector: Connector, item: OutboxItem, stats: RunStats) -> None:
    adapter = adapter_for(item.entity)
    binding = Binding.objects.filter(
        connection=connection, entity=item.entity, local_id=item.local_id
    ).first()
    if item.operation == Operation.DELETE:
        external_id = item.external_id or (binding.external_id if binding else "")
        if external_id:
            connector.delete(item.entity, external_id)
            stats.pushed += 1
        Binding.objects.filter(
            connection=connection, entity=item.entity, external_id=external_id
        ).delete()
        return
    if binding is not None and binding.state == Binding.State.EXCLUDED:
        stats.skipped += 1
        return
    obj = adapter.load(connection, [item.local_id]).get(item.local_id)
    if obj is None:  # deleted locally meanwhile: nothing to push
        stats.skipped += 1
        return
    local = adapter.values(connection, [obj])[obj.pk]

    if binding is None or not binding.external_id:
        external_id = None
        if item.status == Status.AMBIGUOUS:
            # A create may have reached the ERP last time: never create it twice.
            external_id = connector.find(item.entity, local)
        assigned: dict[str, Any] = {}
        if external_id is None:
            external_id, assigned = connector.create(item.entity, local)
            stats.created += 1
        _store_binding(connection, item.entity, obj.pk, external_id, snapshot={**local, **assigned})
        if assigned:
            with sync_writes():
                adapter.after_push(connection, obj, assigned)
        stats.pushed += 1
        stats.note(entity=item.entity, local_id=obj.pk, external_id=external_id, action="created")
        return

    if local == binding.snapshot:
        stats.skipped += 1  # echo or nothing new: no request
        return
    if adapter.merge_on_push:
        remote_record = connector.fetch_one(item.entity, binding.external_id)
        remote = remote_record.values if remote_record else binding.snapshot
        result = merge(base=binding.snapshot, local=local, remote=remote, fields=adapter.fields)
    else:
        result = merge(
            base=binding.snapshot, local=local, remote=binding.snapshot, fields=adapter.fields
        )
    if result.conflicts:
        with transaction.atomic():
            for c in result.conflicts:
                Conflict.objects.update_or_create(
                    binding=binding,
                    field=c.field,
                    resolved_at=None,
                    defaults={
                        "base_value": c.base,
                        "local_value": c.local,
                        "remote_value": c.remote,
                    },
                )
            Binding.objects.filter(pk=binding.pk).update(state=Binding.State.CONFLICT)
        stats.conflicts += len(result.conflicts)
    assigned = {}
    if result.to_remote:
        outgoing = {**remote_or_snapshot(binding), **result.base, **result.to_remote}
        assigned = connector.update(item.entity, binding.external_id, outgoing) or {}
        stats.pushed += 1
        stats.updated += 1
        stats.note(
            entity=item.entity,
            local_id=obj.pk,
            external_id=binding.external_id,
            action="pushed",
            fields=sorted(result.to_remote),
        )
    with transaction.atomic(), sync_writes():
        if result.to_local:
            adapter.update_many(connection, [(obj, result.to_local)])
        if assigned:
            adapter.after_push(connection, obj, assigned)
        Binding.objects.filter(pk=binding.pk).update(
            snapshot={**result.base, **assigned}, synced_at=timezone.now()
        )


def remote_or_snapshot(binding: Binding) -> dict[str, Any]:
    return dict(binding.remote_values or binding.snapshot or {})


def _store_binding(
    connection: Connection, entity: str, local_id: int, external_id: str, *, snapshot: dict
) -> None:
    # Its own transaction, at once: a crash after this cannot lead to a second create.
    with transaction.atomic():
        Binding.objects.update_or_create(
            connection=connection,
            entity=entity,
            local_id=local_id,
            defaults={
                "external_id": str(external_id),
                "snapshot": snapshot,
                "synced_at": timezone.now(),
                "state": Binding.State.LINKED,
            },
        )


def retry(*, item: OutboxItem) -> OutboxItem:
    """Puts a failed (dead) item back in the queue now."""
    OutboxItem.objects.filter(pk=item.pk).update(
        status=Status.PENDING, attempts=0, next_attempt_at=timezone.now(), lease_until=None
    )
    item.refresh_from_db()
    connection_id = item.connection_id
    transaction.on_commit(lambda: kick(connection_id), robust=True)
    return item
