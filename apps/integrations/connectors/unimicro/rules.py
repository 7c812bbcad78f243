"""Unimicro's sync rules both the spec and the connector read (a leaf module: no import
circle): capabilities, the overlap of an incremental pull, the time cursors and the status
codes that carry Tidsbro's active/archived."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.translation import gettext_lazy as _

from apps.integrations.connectors.base import Capabilities, Entity
from apps.integrations.connectors.unimicro import DEFAULT_OVERLAP, SYSTEM, WATERMARK_RESOLUTION

OVERLAP = DEFAULT_OVERLAP

# Status codes (API-NOTES §5; the sandbox's entities.py uses the same).
CUSTOMER_ACTIVE = 30001
CUSTOMER_INACTIVE = 50001
CUSTOMER_DELETED = 90001
PROJECT_REGISTERED = 42201
PROJECT_OFFER = 42202
PROJECT_ONGOING = 42203
PROJECT_COMPLETED = 42204
PROJECT_ARCHIVED = 42205
# A project below this is active in Unimicro's own lists (`StatusCode lt 42204`).
PROJECT_FIRST_CLOSED = PROJECT_COMPLETED

# Tidsbro is the master of customers and projects (pushed); Unimicro's records are pulled to
# pair them on the first transfer and to report changes made there as conflicts. Users are
# pulled to link people (their workers get the hours).
CAPABILITIES = Capabilities(
    system=SYSTEM,
    pull=frozenset({Entity.USER, Entity.CUSTOMER, Entity.PROJECT, Entity.TASK, Entity.WORK_TYPE}),
    push=frozenset({Entity.CUSTOMER, Entity.PROJECT, Entity.TASK, Entity.WORK_TYPE, Entity.HOUR}),
    delete=frozenset({Entity.HOUR}),
    incremental=frozenset(
        {Entity.USER, Entity.CUSTOMER, Entity.PROJECT, Entity.TASK, Entity.WORK_TYPE}
    ),
    reports_deletions=frozenset(),
    watermark_resolution=WATERMARK_RESOLUTION,
    requests_per_hour=None,
    master_conflicts=True,
    partner_first=frozenset({Entity.CUSTOMER}),
    partner_notes={
        Entity.CUSTOMER: _(
            "Customers are paired by customer number, then by organisation number. Choose a "
            "partner, create or set apart (no sync) each customer left here before the first "
            "transfer: the number ranges of the two systems often differ (Unimicro numbers "
            "its customers from 100000). After that, a customer created in Tidsbro is created "
            "in Unimicro with the same number."
        ),
    },
    notes={
        Entity.CUSTOMER: _(
            "Tidsbro is the master of customers: a customer made here is made in Unimicro with "
            "the same number; a change made in Unimicro is shown as a conflict."
        ),
        Entity.USER: _(
            "Unimicro keeps its users: Tidsbro links them to its own users and never changes them."
        ),
    },
)


def parse_time(value: object) -> datetime | None:
    """A Unimicro timestamp (ISO 8601, with or without an offset or fraction) as an aware
    UTC time; None for anything else. Without an offset it is taken as UTC (the overlap of a
    pull covers the two hours Oslo time could differ)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def cursor_text(moment: datetime) -> str:
    """A cursor as stored in the watermark: UTC, ISO 8601 with the offset."""
    return parse_time(moment).isoformat()  # type: ignore[union-attr]


def filter_time(moment: datetime) -> str:
    """A time as a filter compares it: `2026-12-04T03:00:00` (UTC, seconds)."""
    return parse_time(moment).strftime("%Y-%m-%dT%H:%M:%S")  # type: ignore[union-attr]


def changed_since_filter(since: datetime | None) -> str | None:
    """`UpdatedAt gt '<since−overlap>' or CreatedAt gt '<…>'` (None: everything). A row
    never updated may carry no UpdatedAt, hence the `or` (API-NOTES §7)."""
    if since is None:
        return None
    stamp = filter_time(since - OVERLAP)
    return f"UpdatedAt gt '{stamp}' or CreatedAt gt '{stamp}'"


def quoted(value: object) -> str:
    """A string literal for a filter (a quote inside doubled)."""
    return "'" + str(value).replace("'", "''") + "'"
