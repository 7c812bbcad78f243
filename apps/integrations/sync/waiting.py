"""Pushes that wait for a record they point at: an hour for its project, a project for its
customer. Waiting is neither an attempt nor a failure.

A waiting outbox row stays "pending" and carries a marker in `last_error`
("waiting:<object type>:<Tidsbro id>") that says what it waits for: the screens turn it into
"waiting for project 7012 to reach <the system>", and `release` finds the rows to push when
that record gets its ERP partner (a push that created it, or a link by hand). A row whose
release was missed (a pull linked the record) is checked again after `RECHECK`.

This module only reads and marks rows; the outbox (`sync/outbox.py`) decides that a push
waits (`outbox.wait_check`), queues the missing record first where Tidsbro may create it,
and kicks a push after a release (`outbox.release`).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from apps.integrations import bindings
from apps.integrations.models import Connection, OutboxItem

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
    return bindings.is_paired(connection, entity, local_id)


def mark(item: OutboxItem, entity: str, local_id: int) -> None:
    """Marks an outbox row as waiting for a record (checked again after RECHECK)."""
    OutboxItem.objects.filter(pk=item.pk).update(
        last_error=marker(entity, local_id),
        next_attempt_at=timezone.now() + RECHECK,
        lease_until=None,
    )


def release(connection: Connection, entity: str, local_ids: list[int] | tuple[int, ...]) -> int:
    """Makes the rows that waited for these records due now (they have their partner now);
    no kick (`outbox.release` kicks). Returns how many."""
    if not local_ids:
        return 0
    return OutboxItem.objects.filter(
        connection=connection,
        status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS],
        last_error__in=[marker(entity, i) for i in local_ids],
    ).update(next_attempt_at=timezone.now(), last_error="")


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
        bound = bindings.paired_local_ids(connection, entity, ids)
        released += release(connection, entity, sorted(bound))
    return released
