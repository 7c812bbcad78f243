"""Knobs, seeded fault injection and the per-mailbox concurrency limit."""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db.models import F

from apps.sandbox.knobs import knobs_row

from .models import Knobs

KNOB_DEFAULTS = {
    "TENANT_ID": "5d7c3f1a-2b4e-4c6d-8e9f-0a1b2c3d4e5f",
    "LATENCY_MS": 0,
    "FAULT_RATE": 0.0,
    "FAULT_KINDS": ["429"],
    "FAULT_SEED": 365,
    "ACCESS_TOKEN_SECONDS": 3600,
    "CONCURRENCY_LIMIT": 4,
    "NOTIFICATION_DELIVERY": "thread",
}
FAULT_KINDS = ("429", "503")


def configured() -> dict:
    return {**KNOB_DEFAULTS, **getattr(settings, "SANDBOX_GRAPH", {})}


def tenant_id() -> str:
    """The sandbox tenant's id (directory id): the one GUID its login paths accept."""
    return str(configured()["TENANT_ID"]).lower()


def knobs_defaults() -> dict:
    conf = configured()
    kinds = set(conf["FAULT_KINDS"])
    return {
        "latency_ms": conf["LATENCY_MS"],
        "fault_rate": conf["FAULT_RATE"],
        "fault_429": "429" in kinds,
        "fault_503": "503" in kinds,
        "fault_seed": conf["FAULT_SEED"],
        "access_token_seconds": conf["ACCESS_TOKEN_SECONDS"],
        "concurrency_limit": conf["CONCURRENCY_LIMIT"],
    }


def knobs_get() -> Knobs:
    """The knobs row, made from settings.SANDBOX_GRAPH on first use."""
    return knobs_row(Knobs, knobs_defaults)


def chance(*parts: object) -> float:
    """A number in [0, 1) fixed by `parts` (pure and seeded: the same parts, the same number)."""
    return random.Random(":".join(str(p) for p in parts)).random()


def fault_decision(*, seed: int, sequence: int, rate: float, kinds: list[str]) -> str | None:
    """The fault ("429" or "503") for request `sequence`, or None (pure, seeded)."""
    if rate <= 0 or not kinds:
        return None
    rng = random.Random(f"{seed}:{sequence}")
    if rng.random() >= rate:
        return None
    return kinds[rng.randrange(len(kinds))]


def next_fault(knobs: Knobs) -> str | None:
    """Counts this Graph request and returns the fault injected into it, if any."""
    if knobs.fault_rate <= 0:
        return None
    Knobs.objects.filter(pk=knobs.pk).update(sequence=F("sequence") + 1)
    sequence = Knobs.objects.filter(pk=knobs.pk).values_list("sequence", flat=True)[0]
    kinds = [k for k, on in (("429", knobs.fault_429), ("503", knobs.fault_503)) if on]
    return fault_decision(
        seed=knobs.fault_seed, sequence=sequence, rate=knobs.fault_rate, kinds=kinds
    )


# Concurrency ------------------------------------------------------------------------------
# Outlook allows an app 4 concurrent requests per mailbox; the 5th is refused with 429
# "MailboxConcurrency". The sandbox counts requests in flight per mailbox in this process (the
# demo's server and the test live server are one threaded process each).

_in_flight: dict[int, int] = defaultdict(int)
_in_flight_lock = threading.Lock()


class OverConcurrency(Exception):
    pass


@contextmanager
def mailbox_slot(mailbox_id: int, limit: int) -> Iterator[None]:
    """Holds one of the mailbox's `limit` request slots; raises OverConcurrency when all are
    taken."""
    with _in_flight_lock:
        if _in_flight[mailbox_id] >= max(1, limit):
            raise OverConcurrency
        _in_flight[mailbox_id] += 1
    try:
        yield
    finally:
        with _in_flight_lock:
            _in_flight[mailbox_id] -= 1


def in_flight(mailbox_id: int) -> int:
    with _in_flight_lock:
        return _in_flight[mailbox_id]


def public_base(request) -> str:
    """The sandbox's absolute address in the links it writes (discovery, nextLink, deltaLink,
    webLink): setting SANDBOX_GRAPH["BASE_URL"] when given (e.g. an https name a client maps
    to the live server, as MSAL accepts https authorities only), else the request's own."""
    chosen = str(configured().get("BASE_URL") or "").rstrip("/")
    return chosen or request.build_absolute_uri("/sandbox/graph")


def public_url(request) -> str:
    """The request's path (no query) under `public_base`."""
    return public_base(request) + request.path[len("/sandbox/graph") :]
