"""Knobs, the token-bucket rate limit and seeded fault injection."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from apps.sandbox.knobs import knobs_row

from .models import Knobs, RateWindow

KNOB_DEFAULTS = {
    "LATENCY_MS": 0,
    "FAULT_RATE": 0.0,
    "FAULT_KINDS": ["http500"],
    "HANG_SECONDS": 35.0,
    "FAULT_SEED": 7,
    "RATE_LIMIT": 10000,
    "RATE_WINDOW_SECONDS": 60,
    "NUMBERING": Knobs.LOWEST_FREE,
}
FAULT_KINDS = ("http500", "drop", "hang", "429")


def configured() -> dict:
    return {**KNOB_DEFAULTS, **getattr(settings, "SANDBOX_ECONOMIC", {})}


def knobs_defaults() -> dict:
    conf = configured()
    kinds = set(conf["FAULT_KINDS"])
    return {
        "latency_ms": conf["LATENCY_MS"],
        "fault_rate": conf["FAULT_RATE"],
        "fault_http500": "http500" in kinds,
        "fault_drop": "drop" in kinds,
        "fault_hang": "hang" in kinds,
        "fault_429": "429" in kinds,
        "hang_seconds": conf["HANG_SECONDS"],
        "fault_seed": conf["FAULT_SEED"],
        "rate_limit": conf["RATE_LIMIT"],
        "rate_window_seconds": conf["RATE_WINDOW_SECONDS"],
        "numbering": conf["NUMBERING"],
    }


def knobs_get() -> Knobs:
    """The knobs row, created from settings.SANDBOX_ECONOMIC on first use."""
    return knobs_row(Knobs, knobs_defaults)


# Rate limit -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateState:
    used: int
    limit: int
    window_seconds: int
    window_end: dt.datetime

    @property
    def exhausted(self) -> bool:
        return self.used > self.limit

    def header(self) -> str:
        """``X-RateLimiting`` as e-conomic writes it (API-NOTES §14)."""
        used = min(self.used, self.limit)
        return f"token-limit-{self.limit}-per-{self.window_seconds}-seconds: {used}/{self.limit}"

    def retry_after(self, now: dt.datetime) -> int:
        return max(1, int((self.window_end - now).total_seconds() + 0.999))


def rate_spend(*, bucket: str, knobs: Knobs, now: dt.datetime, cost: int = 1) -> RateState:
    """Spends ``cost`` tokens of ``bucket`` in the current fixed window and returns the state.

    The bucket refills completely when the window (``rate_window_seconds``) turns over.
    """
    seconds = max(1, knobs.rate_window_seconds)
    epoch = int(now.timestamp())
    start = dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)
    updated = RateWindow.objects.filter(bucket=bucket, window_start=start).update(
        used=F("used") + cost
    )
    if not updated:
        try:
            with transaction.atomic():
                RateWindow.objects.create(bucket=bucket, window_start=start, used=cost)
        except IntegrityError:
            RateWindow.objects.filter(bucket=bucket, window_start=start).update(
                used=F("used") + cost
            )
        # Old windows are of no use; keep the table small.
        RateWindow.objects.filter(window_start__lt=start - dt.timedelta(hours=1)).delete()
    used = RateWindow.objects.filter(bucket=bucket, window_start=start).values_list(
        "used", flat=True
    )[0]
    return RateState(
        used=used,
        limit=knobs.rate_limit,
        window_seconds=seconds,
        window_end=start + dt.timedelta(seconds=seconds),
    )


# Fault injection --------------------------------------------------------------------------


def fault_decision(*, seed: int, sequence: int, rate: float, kinds: list[str]) -> str | None:
    """The fault (``http500``/``drop``/``hang``/``429``) for request ``sequence``, or None.

    Pure and seeded: the same seed and sequence always give the same answer, so tests can
    predict exactly which requests fail.
    """
    if rate <= 0 or not kinds:
        return None
    rng = random.Random(f"{seed}:{sequence}")
    if rng.random() >= rate:
        return None
    return kinds[rng.randrange(len(kinds))]


def next_fault(*, knobs: Knobs) -> str | None:
    """Advances the request sequence and returns the injected fault for this request."""
    if knobs.fault_rate <= 0:
        return None
    Knobs.objects.filter(pk=knobs.pk).update(sequence=F("sequence") + 1)
    sequence = Knobs.objects.filter(pk=knobs.pk).values_list("sequence", flat=True)[0]
    kinds = [
        kind
        for kind, on in (
            ("http500", knobs.fault_http500),
            ("drop", knobs.fault_drop),
            ("hang", knobs.fault_hang),
            ("429", knobs.fault_429),
        )
        if on
    ]
    return fault_decision(
        seed=knobs.fault_seed, sequence=sequence, rate=knobs.fault_rate, kinds=kinds
    )
