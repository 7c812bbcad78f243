"""Reliable push: an outbox row per local change, written in the change's own transaction,
kicked after commit, swept every minute, retried with backoff, never dropped."""

import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.hooks import sync_writes
from apps.integrations import bindings, entities
from apps.integrations.connectors.base import (
    AuthFailed,
    ConnectorError,
    RateLimited,
    Rejected,
    Unavailable,
)
from apps.integrations.models import Binding, Conflict, Connection, Master, OutboxItem, SyncRun
from apps.integrations.registry import adapter_for
from apps.integrations.sync import waiting as waits
from apps.integrations.sync.decide import by_master
from apps.integrations.sync.merge import merge
from apps.integrations.sync.runs import run_group
from apps.integrations.sync.types import Connector, RunStats
from apps.integrations.sync.waiting import Waiting

logger = logging.getLogger(__name__)

Status = OutboxItem.Status
Operation = OutboxItem.Operation

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=30)
CLAIM_FOR = timedelta(minutes=5)


def max_attempts() -> int:
    """Failed attempts after which an item is dead (INTEGRATIONS_OUTBOX_MAX_ATTEMPTS)."""
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
    """Writes or touches the object's outbox row in the caller's transaction; kicks after commit."""
    now = timezone.now()
    with transaction.atomic():
        # An item whose create may have reached the ERP ("outcome unknown") carries the new
        # change too: a second row would create the record without looking it up first.
        item = (
            OutboxItem.objects.filter(
                connection=connection,
                entity=entity,
                local_id=local_id,
                operation=operation,
                status__in=[Status.PENDING, Status.AMBIGUOUS],
            )
            .order_by("status", "id")  # "ambiguous" sorts before "pending"
            .first()
        )
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
                _touch(item, now=now, external_id=external_id)
        else:
            _touch(item, now=now, external_id=external_id)
    kick_after_commit(connection.pk)
    return item


def enqueue_new(
    *,
    connection: Connection,
    entity: str,
    local_ids: list[int],
    operation: str = Operation.UPSERT,
) -> int:
    """Queues objects that have no waiting row yet (a backlog), in a few statements; kicks
    after commit. One queued meanwhile keeps the row it got (that row carries the change).
    Callers pick the ids without a waiting or unsure row: `enqueue` is the path for the rest."""
    rows = [
        OutboxItem(connection=connection, entity=entity, local_id=pk, operation=operation)
        for pk in local_ids
    ]
    if not rows:
        return 0
    with transaction.atomic():
        OutboxItem.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        kick_after_commit(connection.pk)
    return len(rows)


def kick_after_commit(connection_id: int) -> None:
    """Kicks a push after the current commit, once per transaction and connection."""
    db = transaction.get_connection()
    if db.in_atomic_block and any(
        getattr(func, "outbox_kick", None) == connection_id
        for _sids, func, _robust in db.run_on_commit
    ):
        return  # already kicked by this transaction (a rolled-back savepoint drops that entry)

    def run() -> None:
        kick(connection_id)

    run.outbox_kick = connection_id  # type: ignore[attr-defined]
    transaction.on_commit(run, robust=True)


def _touch(item: OutboxItem, *, now: datetime, external_id: str) -> None:
    """Marks an existing row as changed again (a push in flight then does not finish it)."""
    changes: dict[str, Any] = {"updated_at": now}
    if item.attempts == 0 and item.next_attempt_at > now:
        changes["next_attempt_at"] = now
    if external_id and not item.external_id:
        changes["external_id"] = external_id
    OutboxItem.objects.filter(pk=item.pk).update(**changes)
    for name, value in changes.items():
        setattr(item, name, value)


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


def claim_due(
    connection: Connection,
    *,
    limit: int = 100,
    entities: list[str] | None = None,
    due_only: bool = True,
) -> list[OutboxItem]:
    """Claims due items by a conditional UPDATE each (writes leases; workers never share one).

    `entities` limits it to those object types; `due_only=False` also takes items waiting out
    a backoff (someone asked for a sync now)."""
    now = timezone.now()
    waiting = OutboxItem.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        connection=connection,
        status__in=[Status.PENDING, Status.AMBIGUOUS],
    )
    if due_only:
        waiting = waiting.filter(next_attempt_at__lte=now)
    if entities is not None:
        waiting = waiting.filter(entity__in=entities)
    due = list(waiting.order_by("next_attempt_at", "id").values_list("id", "lease_until")[:limit])
    claimed = []
    for item_id, old_lease in due:
        won = OutboxItem.objects.filter(
            pk=item_id, lease_until=old_lease, status__in=[Status.PENDING, Status.AMBIGUOUS]
        ).update(lease_until=now + CLAIM_FOR)
        if won:
            claimed.append(item_id)
    return list(OutboxItem.objects.filter(pk__in=claimed).order_by("next_attempt_at", "id"))


def renew_claim(item: OutboxItem) -> bool:
    """Extends this worker's claim on an item right before pushing it (writes lease_until).

    A batch can take longer than one claim lasts; an item whose claim ran out may have been
    claimed by another worker, and pushing it too could create the record twice. False means
    the claim is no longer ours.
    """
    renewed = timezone.now() + CLAIM_FOR
    won = OutboxItem.objects.filter(
        pk=item.pk, lease_until=item.lease_until, status__in=[Status.PENDING, Status.AMBIGUOUS]
    ).update(lease_until=renewed)
    if won:
        item.lease_until = renewed
    return bool(won)


def push_pending(
    *, connection: Connection, connector: Connector | None = None, limit: int = 100
) -> SyncRun | None:
    """Pushes a connection's due items (ERP, outbox, bindings, a run row per object type);
    returns the first run in dependency order (`push_runs` returns them all), None if none due."""
    runs = push_runs(connection=connection, connector=connector, limit=limit)
    return runs[0] if runs else None


def push_order(entity: str) -> tuple[int, str]:
    """Sort key: object types in dependency order (the entity registry's), hours last (pure)."""
    return (entities.position(entity), entity)


def push_runs(
    *,
    connection: Connection,
    connector: Connector | None = None,
    limit: int = 100,
    entities: list[str] | None = None,
    due_only: bool = True,
) -> list[SyncRun]:
    """Pushes a connection's due items (ERP, outbox, bindings) and records one run per object
    type, so History names what each run carried; [] if nothing was due.

    `entities` and `due_only` as in `claim_due` (`integrations_sync` pushes what waits now)."""
    waits.release_bound(connection)  # e.g. a pull linked the project some hours waited for
    items = claim_due(connection, limit=limit, entities=entities, due_only=due_only)
    if not items:
        return []
    kinds = sorted({item.entity for item in items}, key=push_order)
    again = False
    # Items whose object type the connector ends with a batch step: done only after it.
    finishing: list[tuple[OutboxItem, int | None, dict[str, Any]]] = []
    # One run per object type, one connector, requests counted per type (sync/runs.py).
    with run_group(
        connection=connection, entities=kinds, trigger=SyncRun.Trigger.PUSH, connector=connector
    ) as group:
        try:
            for index, item in enumerate(items):
                if not renew_claim(item):
                    continue  # our claim ran out while earlier items were pushed; another took it
                with group.counting(item.entity) as erp:
                    try:
                        stats = group.runs[item.entity].stats
                        if not _finishes(erp, item.entity):
                            again = push_item(connection, erp, item, stats) is False or again
                        elif push_item(connection, erp, item, stats, finish_later=True) == HELD:
                            finishing.append((item, *_hold_unfinished(connection, item)))
                    except RateLimited as exc:
                        # Everything else waits too; nothing counts as an attempt.
                        _release_all(
                            items, after=timedelta(seconds=exc.retry_after), error=str(exc)
                        )
                        for entity in {i.entity for i in items[index:]}:
                            group.runs[entity].row.error_text = str(exc)
                        break
            finish_batch(connection, group, kinds, items)
            again = _finished(finishing) or again
        except Exception as exc:  # e.g. no connector: give the items back at once, then the
            # group ends every run failed with the reason.
            _release_all(items, after=timedelta(0), error=f"{type(exc).__name__}: {exc}")
            raise
    if again:
        # Changed again while being pushed: the kick of that change found it claimed.
        kick_after_commit(connection.pk)
    return [run.row for run in group.runs.values()]


def finish_batch(
    connection: Connection, group: Any, kinds: list[str], items: list[OutboxItem]
) -> None:
    """Lets the connector end the batch per object type, if it has such a step
    (`finish_push(entity)`, e.g. one request approving every hour written). When it fails for
    records the error names (`external_ids`), their items are tried again with backoff (dead
    when the system refused), and their bindings' snapshots are marked unknown so that the
    retry writes the record instead of taking it for an echo."""
    for entity in kinds:
        with group.counting(entity) as erp:
            finish = getattr(erp, "finish_push", None)
            if finish is None:
                continue
            try:
                finish(entity)
            except RateLimited:
                raise
            except ConnectorError as exc:
                run = group.runs[entity]
                run.stats.errors += 1
                run.row.error_text = str(exc)[:2000]
                _unfinished(connection, entity, items, exc)


# A snapshot value no record holds: the system's copy is not known to be as Tidsbro sent it.
_UNFINISHED = "\u2047 unfinished"
# push_item's answer for a success left to the batch's end step.
HELD = "held"


def _finishes(erp: Any, entity: str) -> bool:
    """Whether the connector ends a push batch of `entity` with a step of its own."""
    finishes = getattr(erp, "finishes_push", None)
    return bool(finishes(entity)) if finishes is not None else False


def _hold_unfinished(connection: Connection, item: OutboxItem) -> tuple[int | None, dict]:
    """Until the batch's end step has run, the item stays claimed (not done) and its
    binding's snapshot unknown: a worker that dies before the step leaves the item to be
    pushed again, and that push writes the record whole (e.g. an hour is approved in the
    ERP then). Returns the binding and the snapshot to put back after the step."""
    binding = Binding.objects.filter(
        connection=connection, entity=item.entity, local_id=item.local_id
    ).first()
    if binding is None:
        return None, {}
    snapshot = dict(binding.snapshot or {})
    Binding.objects.filter(pk=binding.pk).update(snapshot={name: _UNFINISHED for name in snapshot})
    return binding.pk, snapshot


def _finished(finishing: list[tuple[OutboxItem, int | None, dict[str, Any]]]) -> bool:
    """After the batch's end step: its items done and their snapshots back, except those the
    step failed for (`_unfinished` released them). True when one changed meanwhile."""
    again = False
    now = timezone.now()
    for item, binding_id, snapshot in finishing:
        ours = OutboxItem.objects.filter(
            pk=item.pk,
            lease_until=item.lease_until,
            status__in=[Status.PENDING, Status.AMBIGUOUS],
        )
        with transaction.atomic():
            finished = ours.filter(updated_at=item.updated_at).update(
                status=Status.DONE, done_at=now, lease_until=None, last_error="", updated_at=now
            )
            if not finished:
                if not ours.update(lease_until=None, next_attempt_at=now, attempts=0):
                    continue  # the end step failed for it: tried again as `_unfinished` says
                again = True
            if binding_id is not None:
                Binding.objects.filter(pk=binding_id).update(snapshot=snapshot)
    return again


def _unfinished(
    connection: Connection, entity: str, items: list[OutboxItem], exc: ConnectorError
) -> None:
    external_ids = [str(i) for i in getattr(exc, "external_ids", ()) or ()]
    logger.warning("push of %s did not finish for %s: %s", entity, external_ids, exc)
    if not external_ids:
        return
    bound = Binding.objects.filter(
        connection=connection, entity=entity, external_id__in=external_ids
    )
    local_ids = set()
    for binding in bound:
        local_ids.add(binding.local_id)
        # Every field unknown: the retry writes the record whole (not taken for an echo).
        Binding.objects.filter(pk=binding.pk).update(
            snapshot={name: _UNFINISHED for name in binding.snapshot or {}}
        )
    attempts = {i.local_id: i.attempts for i in items if i.entity == entity}
    dead = bool(getattr(exc, "rejected", False) or isinstance(exc, Rejected))
    error = "; ".join(getattr(exc, "messages", ()) or (str(exc),))
    for local_id in sorted(i for i in local_ids if i is not None):
        item = enqueue(connection=connection, entity=entity, local_id=local_id)
        item.attempts = max(item.attempts, attempts.get(local_id, 0))
        _fail(item, error=error, dead=dead)


def _release_all(items: list[OutboxItem], *, after: timedelta, error: str) -> None:
    OutboxItem.objects.filter(
        pk__in=[i.pk for i in items], status__in=[Status.PENDING, Status.AMBIGUOUS]
    ).exclude(lease_until__isnull=True).update(
        lease_until=None, next_attempt_at=timezone.now() + after, last_error=error[:2000]
    )


def push_item(
    connection: Connection,
    connector: Connector,
    item: OutboxItem,
    stats: RunStats,
    *,
    finish_later: bool = False,
) -> bool | str:
    """Pushes one item to the ERP and records done, backoff or dead; False: changed meanwhile.
    `finish_later`: a success stays claimed for the batch's end step (returns HELD)."""
    # RateLimited propagates: the caller releases every item it claimed.
    try:
        _push(connection, connector, item, stats)
    except Waiting as wait:
        # Not an attempt and not a failure: the row waits (pending) for what it points at.
        stats.skipped += 1
        stats.note(
            entity=item.entity,
            local_id=item.local_id,
            action="waiting",
            waiting_for=[wait.entity, wait.local_id],
        )
        return True
    except RateLimited:
        # Refused before anything was created (local budget or the ERP's quarantine): the item
        # is as it was before this attempt.
        OutboxItem.objects.filter(pk=item.pk, status=Status.AMBIGUOUS).update(status=item.status)
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
        _fail(item, error=str(exc), dead=False, ambiguous=_create_was_sent(item))
        stats.errors += 1
    except Exception as exc:  # a bug or bad data: counted like any failure, never lost
        logger.exception("push of %s %s failed", item.entity, item.local_id)
        _fail(
            item, error=f"{type(exc).__name__}: {exc}", dead=False, ambiguous=_create_was_sent(item)
        )
        stats.errors += 1
    else:
        if finish_later:
            return HELD  # done after the batch's end step (`_finished`)
        now = timezone.now()
        # Only if nothing was queued for it while it was in flight (enqueue touches the row).
        finished = OutboxItem.objects.filter(pk=item.pk, updated_at=item.updated_at).update(
            status=Status.DONE, done_at=now, lease_until=None, last_error="", updated_at=now
        )
        if not finished:
            OutboxItem.objects.filter(pk=item.pk).update(
                lease_until=None, next_attempt_at=now, attempts=0
            )
            return False
    return True


def _create_was_sent(item: OutboxItem) -> bool:
    """Whether this attempt got as far as sending a create (then its outcome is unknown)."""
    return OutboxItem.objects.filter(pk=item.pk, status=Status.AMBIGUOUS).exists()


def _fail(item: OutboxItem, *, error: str, dead: bool, ambiguous: bool = False) -> None:
    """Counts a failed attempt: backoff with jitter, ambiguous or dead (writes the item)."""
    attempts = item.attempts + 1
    dead = dead or attempts >= max_attempts()
    status = Status.DEAD if dead else (Status.AMBIGUOUS if ambiguous else item.status)
    if item.status == Status.AMBIGUOUS and not dead:
        status = Status.AMBIGUOUS  # stays "look up before retrying" until resolved
    OutboxItem.objects.filter(pk=item.pk).update(
        attempts=attempts,
        status=status,
        next_attempt_at=timezone.now() + backoff(attempts),
        lease_until=None,
        last_error=error[:2000],
    )
    logger.warning(
        "push of %s %s failed (attempt %s): %s", item.entity, item.local_id, attempts, error[:200]
    )


def backoff(attempts: int) -> timedelta:
    """Delay before the next attempt: 30 s doubling to 30 min, jittered into its upper half."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(attempts - 1, 0)))
    seconds = delay.total_seconds()
    return timedelta(seconds=random.uniform(seconds / 2, seconds))


def _same_fields(local: dict[str, Any], snapshot: dict[str, Any], fields: tuple[str, ...]) -> bool:
    return all(snapshot.get(f, _ABSENT) == local[f] for f in fields if f in local)


_ABSENT = object()


SENT_KEPT = 5  # the value sets an item remembers of its unsure creates


def _remember_sent(sent: list[dict[str, Any]] | None, values: dict[str, Any]) -> list[dict]:
    """The item's sent values with `values` last (once), at most SENT_KEPT."""
    kept = [v for v in (sent or []) if v != values]
    return [*kept, values][-SENT_KEPT:]


def _lookup_candidates(
    item: OutboxItem, local: dict[str, Any], fields: tuple[str, ...]
) -> list[dict[str, Any]]:
    """What a retried create looks for: the values its unsure attempts sent (newest first),
    then the values now; each distinct set once (one look-up when nothing changed)."""
    out: list[dict[str, Any]] = []
    for values in [*reversed(item.sent or []), local]:
        if not any(_same_fields(values, seen, fields) for seen in out):
            out.append(values)
    return out


def _made_by_unsure_create(
    connection: Connection, connector: Connector, adapter: Any, item: OutboxItem
) -> str:
    """The ERP record an earlier create of this now deleted record may have made (its answer
    was lost: no binding was written), so the delete removes it instead of leaving it behind.
    Looked up only when a push of it failed (this item, which may have been the create
    before the delete was folded into it, or an earlier one), by what the adapter says to look
    for (`lookup_values_of_deleted`) and by the values those creates sent; "" otherwise."""
    lookup = getattr(adapter, "lookup_values_of_deleted", None)
    tried = list(
        OutboxItem.objects.filter(connection=connection, entity=item.entity, local_id=item.local_id)
        .filter(Q(attempts__gt=0) | Q(status=Status.AMBIGUOUS))
        .values_list("sent", flat=True)
    )
    if not tried:
        return ""
    # As it was last known here, then as the unsure creates sent it (renamed since).
    candidates = [
        *([lookup(item.local_id)] if lookup is not None else []),
        *(v for sent in tried for v in reversed(sent or [])),
    ]
    seen: list[dict[str, Any]] = []
    for values in candidates:
        if values in seen:
            continue
        seen.append(values)
        found = connector.find(item.entity, values)
        if found:
            return found
    return ""


def _push(connection: Connection, connector: Connector, item: OutboxItem, stats: RunStats) -> None:
    adapter = adapter_for(item.entity)
    binding = Binding.objects.filter(
        connection=connection, entity=item.entity, local_id=item.local_id
    ).first()
    if item.operation == Operation.DELETE:
        external_id = item.external_id or (binding.external_id if binding else "")
        if not external_id:
            external_id = _made_by_unsure_create(connection, connector, adapter, item)
        if external_id:
            connector.delete(item.entity, external_id)
            stats.pushed += 1
            Binding.objects.filter(
                connection=connection, entity=item.entity, external_id=external_id
            ).delete()
        else:  # never reached the ERP: only its own binding goes (others have no id either)
            Binding.objects.filter(
                connection=connection, entity=item.entity, local_id=item.local_id
            ).delete()
        return
    if binding is not None and binding.state in (
        Binding.State.EXCLUDED,
        Binding.State.MISSING_REMOTELY,
    ):
        stats.skipped += 1  # not synced, or nothing left to update in the ERP
        return
    obj = adapter.load(connection, [item.local_id]).get(item.local_id)
    if obj is None:  # deleted locally meanwhile: nothing to push
        stats.skipped += 1
        return
    hold_back = getattr(adapter, "hold_back", None)
    if hold_back is not None and hold_back(connection, obj):
        # Not for the ERP in this state (a reopened hour): done without a request; the step
        # that makes it ready again (the next approval) queues it anew.
        stats.skipped += 1
        stats.note(entity=item.entity, local_id=obj.pk, action="held_back")
        return
    # An hour whose project is not in the ERP yet waits (the project is queued first).
    wait_check(connection, item, adapter, obj)
    local = adapter.values(connection, [obj])[obj.pk]

    if binding is None or not binding.external_id:
        external_id = None
        paired = local  # the values the ERP's record was made with
        if item.status == Status.AMBIGUOUS or item.attempts or item.last_error:
            # A retried create: an earlier attempt may have reached the ERP, never create twice.
            # It is looked for as it was sent (renamed here since, it still has the old name),
            # then as it is now.
            for values in _lookup_candidates(item, local, adapter.fields):
                external_id = connector.find(item.entity, values)
                if external_id:
                    paired = values
                    break
        assigned: dict[str, Any] = {}
        if external_id is None:
            # Committed before the request goes out: if this worker dies while the ERP is
            # creating the record, the next attempt knows to look it up instead of creating it
            # again, by the values sent (`sent`). A failure that certainly reached nothing sets
            # the item back (_fail).
            OutboxItem.objects.filter(pk=item.pk).update(
                status=Status.AMBIGUOUS, sent=_remember_sent(item.sent, local)
            )
            # One key per outbox item: a retry of this create (same item) is recognised by
            # systems that honour idempotency keys, even when the values changed meanwhile.
            external_id, assigned = connector.create(
                item.entity, local, key=f"tidsbro-{connection.pk}-{item.entity}-{item.pk}"
            )
            stats.created += 1
        else:
            # Found by look-up: what the create assigned (e.g. the project number) arrives now.
            assigned = connector.found_values(item.entity, external_id, paired)
        _store_binding(
            connection, item.entity, obj.pk, external_id, snapshot={**paired, **assigned}
        )
        # The outcome is known now (the binding holds the ERP id): no look-up needed any more.
        OutboxItem.objects.filter(pk=item.pk, status=Status.AMBIGUOUS).update(
            status=Status.PENDING, sent=[]
        )
        if assigned:
            with transaction.atomic(), sync_writes():
                adapter.after_push(connection, obj, assigned)
        stats.pushed += 1
        stats.note(entity=item.entity, local_id=obj.pk, external_id=external_id, action="created")
        if _same_fields(local, paired, adapter.fields):
            return
        # Found as it was sent, changed here since: the change goes out now, as an update.
        obj = adapter.load(connection, [item.local_id]).get(item.local_id)
        binding = Binding.objects.filter(
            connection=connection, entity=item.entity, local_id=item.local_id
        ).first()
        if obj is None or binding is None:
            return
        local = adapter.values(connection, [obj])[obj.pk]

    if _same_fields(local, binding.snapshot, adapter.fields):
        stats.skipped += 1  # echo or nothing new: no request
        return
    if adapter.merge_on_push:
        remote_record = connector.fetch_one(item.entity, binding.external_id)
        if remote_record is None or remote_record.deleted:
            Binding.objects.filter(pk=binding.pk).update(state=Binding.State.MISSING_REMOTELY)
            stats.skipped += 1
            stats.note(
                entity=item.entity,
                local_id=obj.pk,
                external_id=binding.external_id,
                action="deleted_remotely",
            )
            return
        remote = remote_record.values
    else:
        remote = binding.snapshot
    result = merge(base=binding.snapshot, local=local, remote=remote, fields=adapter.fields)
    if _master_conflicts(connection) and connection.master_of(item.entity) == Master.TIDSBRO:
        # The ERP's own changes to fields Tidsbro masters are conflicts here too (the same
        # rule as the pull's), never applied locally nor written over.
        result = by_master(result, local, remote, master=Master.TIDSBRO, master_conflicts=True)
    if result.conflicts:
        # Counted only when new, or when a side moved: a conflict the pull before this push
        # already recorded (and counted) is the same conflict, not a second one.
        already = {
            c.field: (c.local_value, c.remote_value)
            for c in Conflict.objects.filter(binding=binding, resolved_at__isnull=True)
        }
        fresh = [c for c in result.conflicts if already.get(c.field) != (c.local, c.remote)]
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
        stats.conflicts += len(fresh)
    assigned = {}
    outgoing: dict[str, Any] | None = None
    if result.to_remote:
        # The full record: agreed values, the local changes, and for a field in conflict the
        # ERP's own current value (a conflict leaves both sides as they are).
        outgoing = {
            **remote_or_snapshot(binding),
            **result.base,
            **{c.field: c.remote for c in result.conflicts},
            **result.to_remote,
        }
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
        # What the ERP holds now is what went out: the pull that reads it back is an echo.
        remote_now = (
            {"remote_values": outgoing} if outgoing is not None and binding.remote_values else {}
        )
        Binding.objects.filter(pk=binding.pk).update(
            snapshot={**result.base, **assigned}, synced_at=timezone.now(), **remote_now
        )


def _master_conflicts(connection: Connection) -> bool:
    """The system's `Capabilities.master_conflicts` (False for a system not registered)."""
    try:
        return bool(getattr(connection.spec.capabilities, "master_conflicts", False))
    except LookupError:
        return False


def remote_or_snapshot(binding: Binding) -> dict[str, Any]:
    """The ERP's last known values of a record (pure)."""
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
        release(connection, entity, [local_id])  # e.g. the project's hours go now


# --- waiting for a record (see sync/waiting.py) ----------------------------------------------


def wait_check(connection: Connection, item: OutboxItem, adapter: Any, obj: Any) -> None:
    """Raises Waiting (after marking the row and queueing the missing record where Tidsbro
    may create it) when `obj` points at a record not in the ERP yet."""
    waiting_for = getattr(adapter, "waiting_for", None)
    needed = waiting_for(connection, obj) if waiting_for is not None else None
    if needed is None:
        return
    entity, local_id = needed
    # Marked before the missing record is queued: the push that queueing kicks may create it
    # at once, and its release must find this row (else the row waits for the recheck).
    waits.mark(item, entity, local_id)
    _queue_missing(connection, entity, local_id)
    if waits.is_bound(connection, entity, local_id):
        # It got its partner meanwhile (another worker's push, a link by hand): the row goes now.
        # The mark gave up this worker's claim, so the release's kick pushes it, not this run.
        release(connection, entity, [local_id])
    raise Waiting(entity, local_id)


def _queue_missing(connection: Connection, entity: str, local_id: int) -> None:
    """Queues the creation in the ERP of the record waited for, if Tidsbro may create it and
    it is neither linked, set apart ("no sync") nor queued already."""
    if not connection.is_connected(entity) or not entities.can_push(connection, entity):
        return
    if entity in getattr(connection.spec.capabilities, "partner_first", ()):
        return  # the office partners or creates it in the sync center; the row waits
    if bindings.has_binding(connection, entity, local_id):
        return  # linked, "no sync" or missing in the ERP: a person decides
    queued = OutboxItem.objects.filter(
        connection=connection,
        entity=entity,
        local_id=local_id,
        status__in=[Status.PENDING, Status.AMBIGUOUS, Status.DEAD],
    )
    if not queued.exists():
        enqueue(connection=connection, entity=entity, local_id=local_id)


def release(
    connection: Connection,
    entity: str,
    local_ids: list[int] | tuple[int, ...],
    *,
    kick: bool = True,
) -> int:
    """Pushes now the rows that waited for these records (they have their partner now);
    kicks after commit unless the caller pushes next. Returns how many."""
    released = waits.release(connection, entity, local_ids)
    if released and kick:
        kick_after_commit(connection.pk)
    return released


def retry(*, item: OutboxItem) -> OutboxItem:
    """Requeues a dead item now (or merges it into a waiting row of the object); kicks."""
    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                waiting = (
                    OutboxItem.objects.filter(
                        connection_id=item.connection_id,
                        entity=item.entity,
                        local_id=item.local_id,
                        operation=item.operation,
                        status__in=[Status.PENDING, Status.AMBIGUOUS],
                    )
                    .exclude(pk=item.pk)
                    .order_by("status", "id")
                    .first()
                )
                if waiting is None:
                    OutboxItem.objects.filter(pk=item.pk).update(
                        status=Status.PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        lease_until=None,
                        updated_at=now,
                    )
                    item.refresh_from_db()
                    result = item
                else:
                    # The waiting row pushes the object's current state, which covers this
                    # item; it keeps this item's history so a retried create looks up first.
                    OutboxItem.objects.filter(pk=waiting.pk).update(
                        next_attempt_at=now if waiting.attempts == 0 else waiting.next_attempt_at,
                        external_id=waiting.external_id or item.external_id,
                        last_error=waiting.last_error or item.last_error,
                        updated_at=now,
                    )
                    OutboxItem.objects.filter(pk=item.pk).delete()
                    waiting.refresh_from_db()
                    result = waiting
            break
        except IntegrityError:  # a pending row appeared meanwhile: merge into it next round
            continue
    else:
        raise RuntimeError(f"outbox item {item.pk} could not be put back in the queue")
    kick_after_commit(result.connection_id)
    return result
