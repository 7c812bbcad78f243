"""e-conomic's sync rules both the spec and the connector read: capabilities, the overlap of
an incremental pull, and its time cursors (a leaf module: no import circle)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.translation import gettext_lazy as _

from apps.integrations.connectors.base import Capabilities, Entity
from apps.integrations.connectors.economic import DEFAULT_OVERLAP, SYSTEM, WATERMARK_RESOLUTION

# How far behind its cursor every incremental pull reads again (the package's
# DEFAULT_OVERLAP, two hours). e-conomic stamps `lastUpdated` to the whole second and
# compares with `$gte`, so a second would do if the stamp were UTC; whether its literal "Z"
# really is UTC or Danish local time is not settled (API-NOTES §11: unknown), and Danish
# summer time is two hours ahead of UTC. Reading two hours again costs nothing extra below
# 1,000 changes (one page, one request), and records seen again are skipped by the engine
# (their values equal the binding's snapshot).
OVERLAP = DEFAULT_OVERLAP

CAPABILITIES = Capabilities(
    system=SYSTEM,
    pull=frozenset({Entity.CUSTOMER}),
    push=frozenset({Entity.CUSTOMER}),
    # Never DELETE in e-conomic: a customer leaves by being barred (inactive here).
    delete=frozenset(),
    incremental=frozenset({Entity.CUSTOMER}),
    # No deletion feed: deleted customers are found by the nightly reconciliation.
    reports_deletions=frozenset(),
    watermark_resolution=WATERMARK_RESOLUTION,
    # A token bucket reported by e-conomic on every reply (X-RateLimiting), not an hourly count.
    requests_per_hour=None,
    notes={
        Entity.CUSTOMER: _(
            "Customers are never deleted in e-conomic from Tidsbro: a customer made inactive "
            "here is barred there."
        ),
    },
)


def cursor_text(moment: datetime) -> str:
    """A time cursor as e-conomic writes `lastUpdated`: UTC, whole seconds, literal Z."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("cursors must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> datetime | None:
    """`2026-12-03T08:53:29Z` (or any ISO time) as an aware datetime; None if not a time."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
