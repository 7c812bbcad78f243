"""One sync at a time per (connection, object type): a lease row claimed by a conditional UPDATE.

Works the same on SQLite and PostgreSQL, holds no transaction open across HTTP calls, and
expires on its own if the worker holding it dies.
"""

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.integrations.models import Lease

DEFAULT_TTL = timedelta(minutes=15)


class AlreadyRunning(Exception):
    """Another worker holds the lease."""


class LeaseLost(Exception):
    """The lease expired and another worker took it: this run must not write any more."""


def _owner() -> str:
    """A name unique to this claim: host, process and a random part (threads differ too)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(
    name: str, *, ttl: timedelta = DEFAULT_TTL, on_takeover: Callable[[], object] | None = None
) -> tuple[str, int] | None:
    """Takes the lease if free or expired (writes it); returns (owner, version), else None.
    `on_takeover` runs when the lease was taken from a holder whose time ran out (it died)."""
    try:
        with transaction.atomic():
            Lease.objects.get_or_create(name=name)
    except IntegrityError:  # created concurrently: fine, it exists now
        pass
    now = timezone.now()
    owner = _owner()
    take = {"owner": owner, "locked_until": now + ttl, "version": F("version") + 1}
    claimed = Lease.objects.filter(locked_until__isnull=True, name=name).update(**take)
    if not claimed:  # not free: perhaps its holder's time ran out
        claimed = Lease.objects.filter(locked_until__lt=now, name=name).update(**take)
        if not claimed:
            return None
        if on_takeover is not None:
            on_takeover()
    version = Lease.objects.filter(name=name, owner=owner).values_list("version", flat=True).first()
    return (owner, version) if version is not None else None


def extend(name: str, owner: str, *, ttl: timedelta = DEFAULT_TTL) -> bool:
    """Pushes the lease's expiry on (writes the lease row); False: it was lost (taken)."""
    return bool(
        Lease.objects.filter(name=name, owner=owner).update(locked_until=timezone.now() + ttl)
    )


def release(name: str, owner: str) -> None:
    """Frees the lease if `owner` still holds it (a lost lease is left to its new holder)."""
    Lease.objects.filter(name=name, owner=owner).update(owner="", locked_until=None)


@contextmanager
def lease(name: str, *, ttl: timedelta = DEFAULT_TTL) -> Iterator[str]:
    """Holds the lease for the block; raises AlreadyRunning if someone else has it."""
    claimed = claim(name, ttl=ttl)
    if claimed is None:
        raise AlreadyRunning(name)
    owner, _version = claimed
    try:
        yield owner
    finally:
        release(name, owner)
