"""Local changes the rest of the system may want to follow (the ERP sync subscribes).

Domain services call `local_change` inside their transaction; the domain apps never import
the integrations. Writes the sync itself makes run inside `sync_writes()` and are not reported,
so a value that came from the ERP is never pushed back to it (echo suppression).

`names_changed` is the one notice that reaches its listeners whoever made the change, the ERP
sync included: records renamed (what other copies show by name, such as a calendar event's
subject, must follow). The bulk ERP updates call it; a local rename is a `local_change`.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Listener = Callable[[str, int, str], None]

_listeners: list[Listener] = []
NamesListener = Callable[[str, list[int]], None]
_names_listeners: list[NamesListener] = []
_from_sync: ContextVar[bool] = ContextVar("tidsbro_from_sync", default=False)


def subscribe(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def subscribe_names(listener: NamesListener) -> None:
    if listener not in _names_listeners:
        _names_listeners.append(listener)


def names_changed(entity: str, pks: list[int]) -> None:
    """Reports records of `entity` whose name changed, also inside `sync_writes()`."""
    if not pks:
        return
    for listener in _names_listeners:
        listener(entity, list(pks))


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
