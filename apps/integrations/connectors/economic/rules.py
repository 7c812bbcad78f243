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

# Customers through the classic REST API; employees (users), activities (work types),
# projects and time entries (hours) through the Projects service — only for an agreement with
# e-conomic's Project module (`spec.connectable`: customers alone without it).
CAPABILITIES = Capabilities(
    system=SYSTEM,
    pull=frozenset({Entity.CUSTOMER, Entity.USER, Entity.WORK_TYPE, Entity.PROJECT}),
    push=frozenset({Entity.CUSTOMER, Entity.WORK_TYPE, Entity.PROJECT, Entity.HOUR}),
    # Never DELETE customers, activities or projects in e-conomic (barred instead); a time
    # entry deleted here is deleted there.
    delete=frozenset({Entity.HOUR}),
    # Employees and activities have no `lastUpdated`: read in full each run (one request
    # below 1,000).
    incremental=frozenset({Entity.CUSTOMER, Entity.PROJECT}),
    # No deletion feed: deleted records are found by the nightly reconciliation.
    reports_deletions=frozenset(),
    watermark_resolution=WATERMARK_RESOLUTION,
    # A token bucket reported by e-conomic on every reply (X-RateLimiting), not an hourly count.
    requests_per_hour=None,
    notes={
        Entity.CUSTOMER: _(
            "Customers are never deleted in e-conomic from Tidsbro: a customer made inactive "
            "here is barred there."
        ),
        Entity.USER: _(
            "e-conomic keeps its employees: Tidsbro links them to its users and never changes them."
        ),
        Entity.WORK_TYPE: _(
            "Work types are e-conomic's activities: a new one goes into the activity group "
            "chosen in the settings; a work type made inactive here is barred there, never "
            "deleted."
        ),
        Entity.PROJECT: _(
            "Projects are never deleted in e-conomic from Tidsbro: a project archived here is "
            "barred there; one closed in e-conomic is archived here."
        ),
        Entity.PARTICIPANT: _(
            "e-conomic's API has no project members (who may register hours is set by its "
            "own rules), so Tidsbro keeps project members itself."
        ),
    },
)
# What an agreement without the Project module can keep in step (the classic REST API).
WITHOUT_PROJECT_MODULE = frozenset({Entity.CUSTOMER.value})


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
