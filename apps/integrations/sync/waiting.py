"""Pushes that wait for a record they point at: an hour for its project, a project for its
customer. Waiting is neither an attempt nor a failure.

A waiting outbox row stays "pending" and carries a marker in `last_error`
("waiting:<object type>:<Tidsbro id>") that says what it waits for: the screens turn it into
"waiting for project 7012 to reach 24SevenOffice", and `release` finds the rows to push when
that record gets its ERP partner (a push that created it, or a link by hand). A row whose
release was missed (a pull linked the record) is checked again after `RECHECK`.

If Tidsbro may create the missing record in the ERP, it is queued first; the waiting row
follows when it is there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from apps.integrations.models import Binding, Connection, OutboxItem

MARKER = "waiting:"
RECHECK = timedelta(minutes=15)


class Waiting(Exception):  # noqa: N818 - a state, not an error
    """Raised by a push that cannot go yet; the outbox leaves the row pending (no attempt)."""

    def __init__(self, entity: str, local_id: int) -> None:
        super().__init__(f"waiting for {entity} {local_id}")
        self.entity = entity
        self.local_id = local_id


def marker(entity: str, local_id: int) -> str:
    return f"{MARKER}{entity}:{local_id}"


def parse(text: str | None) -> tuple[str, int] | None:
    """(object type, Tidsbro id) a row waits for, from its `last_error`; None if it does not."""
    if not text or not text.startswith(MARKER):
        return None
    entity, _sep, local_id = text[len(MARKER) :].partition(":")
    return (entity, int(local_id)) if local_id.isdigit() else None


def is_bound(connection: Connection, entity: str, local_id: int) -> bool:
    """Whether the record has its partner in the ERP (and is synced)."""
    return (
        Binding.objects.filter(connection=connection, entity=entity, local_id=local_id)
        .exclude(external_id="")
        .exclude(state=Binding.State.EXCLUDED)
        .exists()
    )


def check(connection: Connection, item: OutboxItem, adapter: Any, obj: Any) -> None:
    """Raises Waiting (after marking the row and queueing the missing record where Tidsbro
    may create it) when `obj` points at a record not in the ERP yet."""
    waiting_for = getattr(adapter, "waiting_for", None)
    needed = waiting_for(connection, obj) if waiting_for is not None else None
    if needed is None:
        return
    entity, local_id = needed
    _queue_missing(connection, entity, local_id)
    OutboxItem.objects.filter(pk=item.pk).update(
        last_error=marker(entity, local_id),
        next_attempt_at=timezone.now() + RECHECK,
        lease_until=None,
    )
    raise Waiting(entity, local_id)


def _queue_missing(connection: Connection, entity: str, local_id: int) -> None:
    """Queues the creation in the ERP of the record waited for, if Tidsbro may create it and
    it is neither linked, set apart ("no sync") nor queued already."""
    from apps.integrations.partners import can_push
    from apps.integrations.sync.outbox import enqueue

    if not connection.is_connected(entity) or not can_push(connection, entity):
        return
    if Binding.objects.filter(connection=connection, entity=entity, local_id=local_id).exists():
        return  # linked, "no sync" or missing in the ERP: a person decides
    queued = OutboxItem.objects.filter(
        connection=connection,
        entity=entity,
        local_id=local_id,
        status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS, OutboxItem.Status.DEAD],
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
    from apps.integrations.sync.outbox import kick_after_commit

    if not local_ids:
        return 0
    released = OutboxItem.objects.filter(
        connection=connection,
        status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS],
        last_error__in=[marker(entity, i) for i in local_ids],
    ).update(next_attempt_at=timezone.now(), last_error="")
    if released and kick:
        kick_after_commit(connection.pk)
    return released


def release_bound(connection: Connection, *, limit: int = 1000) -> int:
    """Before a push: releases the rows whose record got its partner some other way (a pull
    linked it by number); no request. One query when nothing waits."""
    texts = (
        OutboxItem.objects.filter(
            connection=connection,
            status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS],
            last_error__startswith=MARKER,
        )
        .values_list("last_error", flat=True)
        .distinct()[:limit]
    )
    wanted: dict[str, set[int]] = {}
    for text in texts:
        target = parse(text)
        if target is not None:
            wanted.setdefault(target[0], set()).add(target[1])
    released = 0
    for entity, ids in wanted.items():
        bound = (
            Binding.objects.filter(connection=connection, entity=entity, local_id__in=ids)
            .exclude(external_id="")
            .exclude(state=Binding.State.EXCLUDED)
            .values_list("local_id", flat=True)
        )
        released += release(connection, entity, list(bound), kick=False)
    return released
