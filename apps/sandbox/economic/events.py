"""Events the e-conomic sandbox raises when its data changes, for the webhooks API.

`emit(agreement, event_type, **merge_fields)` is called by the sandbox's writes (customers,
projects, time entries, draft invoices …) after they are stored; the webhooks module
delivers it to the agreement's webhook for that event type, if any (see `webhooks`)."""

from __future__ import annotations

from typing import Any


def emit(agreement: Any, event_type: str, **merge_fields: Any) -> None:
    """Queues `event_type` for delivery after the current transaction commits (no-op until
    the webhooks module is in place)."""
    return None
