"""Knobs, sessions, the hourly rate limit and seeded fault injection."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.sandbox.knobs import knobs_row

from .models import Identity, Knobs, Login, RateWindow, Session

# Fault texts real 24SO clients see (API-NOTES §3.4, §6).
NOT_AUTHENTICATED = "Client is not authenticated on this identity"
IDENTITY_BLOCKED = (
    "Provided IdentityId is blocked. Please use GetIdentitiesWithCredential to get a list of "
    "available Identities and reauthenticate with a valid IdentityId"
)
INJECTED_FAULT = (
    "Server was unable to process request. ---> System.Data.SqlClient.SqlException: "
    "Timeout expired. (injected by the 24SO sandbox)"
)

KNOB_DEFAULTS = {
    "LATENCY_MS": 0,
    "FAULT_RATE": 0.0,
    "FAULT_KINDS": ["error"],
    "SLOW_SECONDS": 35.0,
    "FAULT_SEED": 24,
    "SESSION_IDLE_SECONDS": 20 * 60,
    "RATE_LIMIT_PER_HOUR": 7200,
}


def configured() -> dict:
    return {**KNOB_DEFAULTS, **getattr(settings, "SANDBOX_24SO", {})}


def knobs_defaults() -> dict:
    conf = configured()
    kinds = set(conf["FAULT_KINDS"])
    return {
        "latency_ms": conf["LATENCY_MS"],
        "fault_rate": conf["FAULT_RATE"],
        "fault_error": "error" in kinds,
        "fault_drop": "drop" in kinds,
        "fault_slow": "slow" in kinds,
        "fault_hang": "hang" in kinds,
        "fault_http500": "http500" in kinds,
        "fault_expire": "expire" in kinds,
        "slow_seconds": conf["SLOW_SECONDS"],
        "fault_seed": conf["FAULT_SEED"],
        "session_idle_seconds": conf["SESSION_IDLE_SECONDS"],
        "rate_limit_per_hour": conf["RATE_LIMIT_PER_HOUR"],
    }


def knobs_get() -> Knobs:
    """The knobs row, created from settings.SANDBOX_24SO on first use."""
    return knobs_row(Knobs, knobs_defaults)


# Sessions ---------------------------------------------------------------------------------

_SESSION_ALPHABET = "abcdefghijklmnopqrstuvwxyz012345"  # what ASP.NET session ids use


def session_create(*, identity: Identity) -> Session:
    """Creates a session for ``identity`` and returns it."""
    key = "".join(secrets.choice(_SESSION_ALPHABET) for _ in range(24))
    return Session.objects.create(key=key, identity=identity, last_seen_at=timezone.now())


def session_lookup(*, key: str | None, knobs: Knobs, now: dt.datetime) -> Session | None:
    """The live session for the cookie value (touched), or None if unknown or expired."""
    if not key:
        return None
    session = (
        Session.objects.select_related("identity__login", "identity__client", "identity__person")
        .filter(key=key)
        .first()
    )
    if session is None:
        return None
    idle_limit = now - dt.timedelta(seconds=knobs.session_idle_seconds)
    forced = knobs.sessions_expire_before
    if session.last_seen_at < idle_limit or (forced and session.last_seen_at < forced):
        session.delete()
        return None
    Session.objects.filter(pk=session.pk).update(last_seen_at=now)
    session.last_seen_at = now
    return session


# Rate limit -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateState:
    count: int
    limit: int
    window_end: dt.datetime

    @property
    def exceeded_by(self) -> int:
        return max(0, self.count - self.limit)

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    def fault_text(self) -> str:
        return quarantine_text(exceeded_by=self.exceeded_by, ends=self.window_end)


def quarantine_text(*, exceeded_by: int, ends: dt.datetime) -> str:
    """24SO's fault text for a login in quarantine (API-NOTES §6)."""
    when = ends.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"Limit exceeded by {exceeded_by}. Request is blocked. Quarantine ends at {when}"


def quarantined(*, knobs: Knobs, now: dt.datetime) -> bool:
    """Whether the forced quarantine window (knob ``quarantine_until``) is on."""
    return knobs.quarantine_until is not None and now < knobs.quarantine_until


def rate_count(*, login: Login, knobs: Knobs, now: dt.datetime) -> RateState:
    """Counts one request for ``login`` in the current clock hour and returns the state."""
    start = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    updated = RateWindow.objects.filter(login=login, window_start=start).update(
        count=F("count") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                RateWindow.objects.create(login=login, window_start=start, count=1)
        except IntegrityError:
            RateWindow.objects.filter(login=login, window_start=start).update(count=F("count") + 1)
    count = RateWindow.objects.filter(login=login, window_start=start).values_list(
        "count", flat=True
    )[0]
    return RateState(
        count=count, limit=knobs.rate_limit_per_hour, window_end=start + dt.timedelta(hours=1)
    )


# Fault injection --------------------------------------------------------------------------


def fault_decision(*, seed: int, sequence: int, rate: float, kinds: list[str]) -> str | None:
    """The fault (``error``/``drop``/``slow``/``hang``/``http500``/``expire``) for ``sequence``.

    None means no fault.

    Pure and seeded: the same seed and sequence always give the same answer, so tests
    can predict exactly which requests fail.
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
            ("error", knobs.fault_error),
            ("drop", knobs.fault_drop),
            ("slow", knobs.fault_slow),
            ("hang", knobs.fault_hang),
            ("http500", knobs.fault_http500),
            ("expire", knobs.fault_expire),
        )
        if on
    ]
    return fault_decision(
        seed=knobs.fault_seed, sequence=sequence, rate=knobs.fault_rate, kinds=kinds
    )
