"""Local changes the rest of the system may want to follow (the ERP sync subscribes).

Domain services call `local_change` inside their transaction; the domain apps never import
the integrations. Writes the sync itself makes run inside `sync_writes()` and are not reported,
so a value that came from the ERP is never pushed back to it (echo suppression).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Listener = Callable[[str, int, str], None]

_listeners: list[Listener] = []
_from_sync: ContextVar[bool] = ContextVar("tidsbro_from_sync", default=False)


def subscribe(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def local_change(entity: str, pk: int, event: str = "changed") -> None:
    """Reports that a record changed locally (`event`: created, changed, deleted, approved …)."""
    if _from_sync.get():
        return
    for listener in _listeners:
        listener(entity, pk, event)


@contextmanager
def sync_writes() -> Iterator[None]:
    """Marks the writes inside as coming from the ERP: they are not reported as local changes."""
    token = _from_sync.set(True)
    try:
        yield
    finally:
        _from_sync.reset(token)
