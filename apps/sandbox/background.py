"""One background thread per process that sends a sandbox's outgoing calls (webhook
deliveries, change notifications) while some are due — shared by the sandboxes.

`DeliveryThread(name, deliver_due, next_due)`: `wake()` after queuing (starts the thread or
kicks it), `join(timeout)` to wait until it has nothing left to send. The thread sends what is
due, sleeps until the next due moment (at most `tick` seconds, or until kicked) and ends when
nothing waits. With SQLite in memory (tests) it borrows the caller's connection, as Django's
live server threads do; otherwise it opens and closes its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import connections
from django.utils import timezone

logger = logging.getLogger(__name__)


class DeliveryThread:
    def __init__(
        self,
        name: str,
        deliver_due: Callable[[], Any],
        next_due: Callable[[], datetime | None],
        *,
        tick: float = 5.0,
    ) -> None:
        self.name = name
        self.deliver_due = deliver_due
        self.next_due = next_due
        self.tick = tick
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._last: threading.Thread | None = None  # may still be closing its connection
        self._kicked = threading.Event()

    def wake(self) -> None:
        self._kicked.set()
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            borrowed = shared_test_connection()
            self._thread = threading.Thread(
                target=self._run, args=(borrowed,), name=self.name, daemon=True
            )
            self._last = self._thread
            self._thread.start()

    def dispatch(self, mode: str) -> None:
        """Has what is due sent as the sandbox's delivery mode says: "inline" now in this
        thread, "thread" by the background thread, anything else ("off") not at all."""
        if mode == "inline":
            self.deliver_due()
        elif mode == "thread":
            self.wake()

    def join(self, timeout: float) -> bool:
        """Waits until the thread has nothing left to send (True) or `timeout` passed."""
        with self._lock:
            thread = self._thread or self._last
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _run(self, borrowed: Any) -> None:
        if borrowed is not None:
            connections["default"] = borrowed
        try:
            while True:
                self._kicked.clear()
                try:
                    self.deliver_due()
                    due = self.next_due()
                except Exception:  # the thread must not die silently with work left
                    logger.exception("%s: sending failed", self.name)
                    due = None
                if due is None:
                    with self._lock:
                        if not self._kicked.is_set():
                            self._thread = None
                            return
                    continue
                wait = (due - timezone.now()).total_seconds()
                self._kicked.wait(min(max(wait, 0.0), self.tick))
        finally:
            if borrowed is None:
                connections.close_all()
            else:
                borrowed.dec_thread_sharing()


def shared_test_connection() -> Any:
    """The caller's connection when the database is SQLite in memory (tests): another thread
    could not open the same database safely, so it uses this one. None otherwise."""
    connection = connections["default"]
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        connection.inc_thread_sharing()
        return connection
    return None
