"""Pulling one object type from the ERP into Tidsbro: incremental, merged, batched, one at a time."""

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.core.hooks import sync_writes
from apps.integrations.models import Binding, Conflict, Connection, SyncRun, Watermark
from apps.integrations.registry import adapter_for
from apps.integrations.sync import locks
from apps.integrations.sync.decide import Action, Bound, decide, relinked, returns
from apps.integrations.sync.runs import ABANDONED, sync_run
from apps.integrations.sync.runs import lease_name as lease_name  # named from here too
from apps.integrations.sync.types import Connector, LocalAdapter, RemoteRecord, RunStats

logger = logging.getLogger(__name__)

State = Binding.State


# Records back in the ERP that one reconciliation reads again (one request each).
RETURNING_PER_RUN = 200


def close_abandoned_runs(*, connection: Connection | None = None, entity: str | None = None) -> int:
    """Ends runs left "running" by a worker that died (killed, machine lost): a pull or
    reconciliation whose lease is free or expired, a push older than an outbox claim with no
    item still claimed. Returns how many were closed; their counts stay as last saved."""
    from apps.integrations.models import Lease, OutboxItem
    from apps.integrations.sync.outbox import CLAIM_FOR

    now = timezone.now()
    running = SyncRun.objects.filter(status=SyncRun.Status.RUNNING)
    if connection is not None:
        running = running.filter(connection=connection)
    if entity is not None:
        running = running.filter(entity=entity)
    held = {
        name
        for name in Lease.objects.filter(locked_until__gt=now)
        .exclude(owner="")
        .values_list("name", flat=True)
    }
    claimed = set(
        OutboxItem.objects.filter(lease_until__gt=now)
        .values_list("connection_id", flat=True)
        .distinct()
    )
    stale: list[int] = []
    for pk, connection_id, run_entity, kind, started in running.values_list(
        "pk", "connection_id", "entity", "kind", "started_at"
    ):
        if kind == "push":
            if started < now - CLAIM_FOR and connection_id not in claimed:
                stale.append(pk)
        elif f"sync:{connection_id}:{run_entity}" not in held:
            stale.append(pk)
    if not stale:
        return 0
    logger.warning("closing %d sync run(s) left running by a stopped worker", len(stale))
    return SyncRun.objects.filter(pk__in=stale, status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.FAILED, finished_at=now, error_text=ABANDONED
    )


def sync_entity(
    *,
    connection: Connection,
    entity: str,
    trigger: str,
    full: bool = False,
    connector: Connector | None = None,
) -> SyncRun:
    """Pulls one object type now; returns the run (status "already_running" if one is busy)."""
    with sync_run(
        connection=connection, entity=entity, trigger=trigger, full=full, connector=connector
    ) as run:
        if not run.already_running:
            _pull(
                connection,
                entity,
                run.connector,
                run.stats,
                full=full,
                run_started=run.row.started_at,
                lease=run.lease,
            )
    return run.row


def _pull(
    connection: Connection,
    entity: str,
    connector: Connector,
    stats: RunStats,
    *,
    full: bool,
    run_started: datetime,
    lease: tuple[str, str] | None = None,
) -> None:
    """Fetches and applies every page, then stores the connector's next cursor."""
    adapter = adapter_for(entity)
    watermark, _created = Watermark.objects.get_or_create(connection=connection, entity=entity)
    # The cursor is the connector's own string; it applies its own overlap to it.
    since = None if full else (watermark.cursor or None)
    for page in connector.fetch(entity, since=since):
        stats.fetched += len(page)
        apply_page(connection, adapter, page, stats, lease=lease)
    # E.g. this run's start: changes made while it read are read again next time.
    cursor = connector.next_cursor(entity, run_started)
    with transaction.atomic():
        if lease is not None and not locks.extend(*lease):
            raise locks.LeaseLost(lease[0])
        Watermark.objects.filter(pk=watermark.pk).update(cursor=cursor)


def apply_page(
    connection: Connection,
    adapter: LocalAdapter,
    page: Sequence[RemoteRecord],
    stats: RunStats,
    *,
    lease: tuple[str, str] | None = None,
) -> None:
    """Merges one page into Tidsbro in one transaction: local rows, bindings, conflicts, outbox."""
    # Raises LeaseLost (writing nothing) when `lease` (name, owner) was taken meanwhile.
    entity = adapter.entity
    # A record twice in one page (the feed shifted while paging): the last copy counts.
    by_external: dict[str, RemoteRecord] = {}
    for record in page:
        by_external[record.external_id] = record
    records = list(by_external.values())

    # Reads and writes in one transaction: on SQLite (BEGIN IMMEDIATE) no local edit can slip
    # between reading the local values and writing the merge result; the lease check inside
    # it fences off a run that lost its lease (it cannot commit late writes).
    with transaction.atomic(), sync_writes():
        if lease is not None and not locks.extend(*lease):
            raise locks.LeaseLost(lease[0])
        _apply(connection, adapter, entity, records, stats)


def _apply(
    connection: Connection,
    adapter: LocalAdapter,
    entity: str,
    page: list[RemoteRecord],
    stats: RunStats,
) -> None:
    """Loads what the page needs in bulk, decides per record (`decide`), writes in bulk."""
    bindings = {
        b.external_id: b
        for b in Binding.objects.filter(
            connection=connection, entity=entity, external_id__in=[r.external_id for r in page]
        )
    }
    open_conflicts: dict[int, dict[str, Conflict]] = {}
    for conflict in Conflict.objects.filter(
        binding__in=[b for b in bindings.values() if b.state == State.CONFLICT],
        resolved_at__isnull=True,
    ):
        open_conflicts.setdefault(conflict.binding_id, {})[conflict.field] = conflict
    paired = _pair_existing(connection, adapter, entity, page, bindings)
    local_ids = [b.local_id for b in bindings.values() if b.local_id is not None]
    objs = adapter.load(connection, local_ids) if local_ids else {}
    # Back in the ERP after being missing there: undo what marking it deleted did locally
    # (before reading the local values, which then merge as usual).
    returning = [
        objs[b.local_id]
        for r in page
        if (b := bindings.get(r.external_id)) is not None
        and returns(binding=_bound(b), record=r)
        and b.local_id in objs
    ]
    restore_many = getattr(adapter, "restore_many", None)
    if returning and restore_many is not None:
        restore_many(connection, returning)
    local_values = adapter.values(connection, list(objs.values())) if objs else {}
    for binding in paired:
        # Paired on first sight, never synced: equal fields agree, different ones are
        # conflicts (merge with no base), and a field Tidsbro left empty takes the ERP's.
        local = local_values.get(binding.local_id, {})
        binding.snapshot = {f: v for f, v in local.items() if v in (None, "")}
    deleted_values = getattr(adapter, "deleted_values", {})
    master = connection.master_of(entity)
    master_conflicts = master_conflicts_of(connection)
    now = timezone.now()

    to_create: list[RemoteRecord] = []
    # Bindings without a local record that may get one now: back from "missing remotely"
    # (the local record went with it, e.g. a removed member) or "only in the ERP".
    relink: list[tuple[Binding, RemoteRecord]] = []
    local_updates: list[tuple[Any, dict[str, Any]]] = []
    deleted_objs: list[Any] = []
    binding_updates: list[Binding] = []
    conflicts: list[Conflict] = []
    settled: list[Conflict] = []
    pushes: list[int] = []

    for record in page:
        binding = bindings.get(record.external_id)
        obj = None
        if binding is not None and binding.local_id is not None:
            obj = objs.get(binding.local_id)
        open_here = open_conflicts.get(binding.pk, {}) if binding is not None else {}
        decision = decide(
            record=record,
            binding=_bound(binding) if binding is not None else None,
            local=local_values.get(obj.pk, {}) if obj is not None else None,
            fields=adapter.fields,
            master=master,
            master_conflicts=master_conflicts,
            open_conflicts={f: (c.local_value, c.remote_value) for f, c in open_here.items()},
            deleted_values=deleted_values,
        )
        action = decision.action
        if action == Action.SKIP:
            stats.skipped += 1
            continue
        if action == Action.CREATE:
            to_create.append(record)
            continue
        assert binding is not None
        if action == Action.RELINK:
            relink.append((binding, record))
            continue
        for note in decision.notes:
            extra = {"fields": list(note.fields)} if note.fields is not None else {}
            stats.note(
                entity=entity,
                local_id=binding.local_id,
                external_id=record.external_id,
                action=note.action,
                **extra,
            )
        if action == Action.REMEMBER_REMOTE:
            binding.remote_values = record.values
        elif action == Action.MARK_MISSING:
            if decision.mark_deleted:
                deleted_objs.append(obj)
            stats.updated += 1
        elif action == Action.MERGE:
            if decision.to_local:
                local_updates.append((obj, dict(decision.to_local)))
                stats.updated += 1
            if decision.push:
                pushes.append(obj.pk)
            conflicts.extend(
                Conflict(
                    binding=binding,
                    field=c.field,
                    base_value=c.base,
                    local_value=c.local,
                    remote_value=c.remote,
                )
                for c in decision.conflicts
            )
            stats.conflicts += len(decision.conflicts)
            for field_name, value in decision.settled.items():
                conflict = open_here[field_name]
                conflict.resolved_at = now
                conflict.resolution = Conflict.Resolution.MERGED
                conflict.resolved_value = value
                settled.append(conflict)
            binding.remote_values = record.values
            binding.synced_at = now
        if decision.snapshot is not None:
            binding.snapshot = dict(decision.snapshot)
        if decision.state is not None:
            binding.state = decision.state
        binding.remote_changed_at = record.changed_at
        binding_updates.append(binding)

    if to_create or relink:
        # One call for both: None means "keep it only in the ERP" (see LocalAdapter).
        made = _create_many(
            connection, adapter, [r.values for r in [*to_create, *relink_records(relink)]]
        )
        created, relinked_objs = made[: len(to_create)], made[len(to_create) :]
        Binding.objects.bulk_create(
            [
                Binding(
                    connection=connection,
                    entity=entity,
                    local_id=obj.pk if obj is not None else None,
                    external_id=record.external_id,
                    snapshot=record.values,
                    remote_values=record.values,
                    remote_changed_at=record.changed_at,
                    synced_at=now,
                    state=State.LINKED if obj is not None else State.REMOTE_ONLY,
                )
                for obj, record in zip(created, to_create, strict=True)
            ]
        )
        for obj, record in zip(created, to_create, strict=True):
            if obj is None:
                stats.skipped += 1
                continue
            stats.created += 1
            stats.note(
                entity=entity, local_id=obj.pk, external_id=record.external_id, action="created"
            )
        for obj, (binding, record) in zip(relinked_objs, relink, strict=True):
            outcome = relinked(binding=_bound(binding), record=record, created=obj is not None)
            if outcome.action == Action.SKIP:
                stats.skipped += 1
                continue
            binding.local_id = obj.pk if obj is not None else None
            binding.state = outcome.state
            if obj is not None:
                binding.snapshot = dict(outcome.snapshot)
                binding.synced_at = now
                stats.created += 1
                for note in outcome.notes:
                    stats.note(
                        entity=entity,
                        local_id=obj.pk,
                        external_id=record.external_id,
                        action=note.action,
                    )
            binding.remote_values = record.values
            binding.remote_changed_at = record.changed_at
            binding_updates.append(binding)
    if local_updates:
        adapter.update_many(connection, local_updates)
    if deleted_objs:
        adapter.mark_deleted(connection, deleted_objs)
    if binding_updates:
        Binding.objects.bulk_update(
            binding_updates,
            ["local_id", "snapshot", "remote_values", "remote_changed_at", "synced_at", "state"],
        )
    if settled:
        Conflict.objects.bulk_update(settled, ["resolved_at", "resolution", "resolved_value"])
    if conflicts:
        _record_conflicts(conflicts)
    if pushes:
        from apps.integrations.sync.outbox import enqueue

        # In the page's transaction: the snapshot written above and the push that carries the
        # local values to the ERP commit together or not at all.
        for local_id in pushes:
            enqueue(connection=connection, entity=entity, local_id=local_id)


def _create_many(
    connection: Connection, adapter: LocalAdapter, rows: list[dict[str, Any]]
) -> list[Any | None]:
    """`adapter.create_many` for the rows the adapter does not hold for the office
    (`held_for_office(connection, rows)` → their indexes, optional): a held row is kept only
    in the ERP (None) until a person partners, creates or excludes it in the sync center —
    which calls `create_many` itself."""
    held_for_office = getattr(adapter, "held_for_office", None)
    held = set(held_for_office(connection, rows)) if held_for_office is not None else set()
    if not held:
        return list(adapter.create_many(connection, rows))
    made = iter(adapter.create_many(connection, [r for i, r in enumerate(rows) if i not in held]))
    return [None if i in held else next(made) for i in range(len(rows))]


def master_conflicts_of(connection: Connection) -> bool:
    """Whether the connection's system reports its changes to fields Tidsbro masters as
    conflicts (`Capabilities.master_conflicts`); False for a system not registered."""
    try:
        return bool(getattr(connection.spec.capabilities, "master_conflicts", False))
    except LookupError:
        return False


def _bound(binding: Binding) -> Bound:
    """What `decide` needs of a binding (pure)."""
    return Bound(
        state=binding.state,
        snapshot=binding.snapshot,
        remote_values=binding.remote_values,
        synced=binding.synced_at is not None,
    )


def _pair_existing(
    connection: Connection,
    adapter: LocalAdapter,
    entity: str,
    page: list[RemoteRecord],
    bindings: dict[str, Binding],
) -> list[Binding]:
    """Binds ERP records seen for the first time to the Tidsbro records that are the same
    (the adapter's `find_partners`: same number, organisation number …) instead of creating
    copies; returns the new bindings (not synced yet). Adapters without it pair nothing."""
    find = getattr(adapter, "find_partners", None)
    new = [r for r in page if not r.deleted and r.external_id not in bindings]
    if find is None or not new:
        return []
    found = find(connection, [r.values for r in new])
    taken: set[int] = set()
    paired = []
    for record, obj in zip(new, found, strict=True):
        if obj is None or obj.pk in taken:
            continue
        taken.add(obj.pk)
        paired.append(
            Binding(
                connection=connection,
                entity=entity,
                local_id=obj.pk,
                external_id=record.external_id,
                snapshot={},
                remote_values={},
                state=State.LINKED,
            )
        )
    if paired:
        paired = Binding.objects.bulk_create(paired)
        bindings.update({b.external_id: b for b in paired})
    return paired


def relink_records(relink: list[tuple[Binding, RemoteRecord]]) -> list[RemoteRecord]:
    return [record for _binding, record in relink]


def _record_conflicts(conflicts: list[Conflict]) -> None:
    # One open conflict per (record, field): a newer remote value replaces the older one.
    for conflict in conflicts:
        Conflict.objects.update_or_create(
            binding=conflict.binding,
            field=conflict.field,
            resolved_at=None,
            defaults={
                "base_value": conflict.base_value,
                "local_value": conflict.local_value,
                "remote_value": conflict.remote_value,
            },
        )


def reconcile_entity(
    *,
    connection: Connection,
    entity: str,
    trigger: str,
    connector: Connector | None = None,
) -> SyncRun:
    """Marks bindings whose ERP id is gone as missing remotely (no deletes); writes a run."""
    with sync_run(
        connection=connection,
        entity=entity,
        kind="reconcile",
        trigger=trigger,
        connector=connector,
    ) as run:
        if not run.already_running:
            _reconcile(connection, entity, run.connector, run.stats, lease=run.lease)
    return run.row


def _reconcile(
    connection: Connection,
    entity: str,
    connector: Connector,
    stats: RunStats,
    *,
    lease: tuple[str, str],
) -> None:
    """Marks the gone missing remotely, then reads and applies the ones back in the ERP."""
    name, owner = lease
    remote_ids = {str(i) for i in connector.fetch_ids(entity)}
    stats.fetched = len(remote_ids)
    # Compared here, not in SQL: thousands of ids would exceed SQLite's parameter limit.
    candidates = (
        Binding.objects.filter(connection=connection, entity=entity)
        .exclude(external_id="")
        .exclude(state__in=[State.MISSING_REMOTELY, State.EXCLUDED])
        .values_list("pk", "external_id")
    )
    gone = [pk for pk, external_id in candidates if external_id not in remote_ids]
    with transaction.atomic():
        if not locks.extend(name, owner):
            raise locks.LeaseLost(name)
        for start in range(0, len(gone), 500):
            stats.updated += Binding.objects.filter(pk__in=gone[start : start + 500]).update(
                state=State.MISSING_REMOTELY
            )
    # Back in the ERP (restored, or only hidden for a while): read each one and apply it
    # like a pull, which re-links it and undoes what its deletion did locally. Rare, so
    # one request each; a long list waits for the next night past RETURNING_PER_RUN.
    back = [
        external_id
        for external_id in Binding.objects.filter(
            connection=connection, entity=entity, state=State.MISSING_REMOTELY
        )
        .exclude(external_id="")
        .values_list("external_id", flat=True)
        if external_id in remote_ids
    ][:RETURNING_PER_RUN]
    records = [r for r in (connector.fetch_one(entity, i) for i in back) if r is not None]
    if records:
        apply_page(connection, adapter_for(entity), records, stats, lease=lease)
