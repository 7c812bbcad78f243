"""What the calendar engine's modules share: the office's calendar provider, whether Tidsbro
writes a person's hours, and the window kept in step (apps/calendars/README.md §0). A leaf module."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from apps.calendars.models import CalendarAccount

if TYPE_CHECKING:
    from apps.calendars.providers import CalendarProvider
    from apps.integrations.models import Connection

Health = CalendarAccount.Health

# The window kept in step: from Monday four weeks back to 13 weeks after this week; a new
# window (a staged full round) when fewer than 12 weeks of it are left ahead.
WINDOW_BACK = timedelta(weeks=4)
WINDOW_AHEAD = timedelta(weeks=14)
WINDOW_KEEP_AHEAD = timedelta(weeks=12)


# --- the provider ---------------------------------------------------------------------------


def provider_of(connection: Connection | None) -> CalendarProvider | None:
    """The connection's CalendarProvider (None when its system serves no calendar)."""
    if connection is None:
        return None
    from apps.integrations import registry

    try:
        return registry.spec_for(connection.system).calendar
    except LookupError:
        return None


def office_allows_write(connection: Connection | None) -> bool:
    return bool(connection is not None and (connection.settings or {}).get("allow_write"))


def may_write(account: CalendarAccount) -> bool:
    """Whether Tidsbro writes this person's hours to their calendar now."""
    return (
        account.write_hours
        and account.can_write
        and account.health != Health.DISCONNECTED
        and account.connection.is_active
        and office_allows_write(account.connection)
    )


# --- the window -----------------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def wanted_window(
    account: CalendarAccount, *, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """[start, end) of the window a new full round reads (UTC midnights): Monday four weeks
    back — or the person's "last synchronised" date when it is earlier — to 13 weeks after
    this week."""
    today = (now or timezone.now()).astimezone(UTC).date()
    monday = today - timedelta(days=today.weekday())
    start = _midnight(monday) - WINDOW_BACK
    if account.sync_from is not None:
        start = min(start, _midnight(account.sync_from))
    return start, _midnight(monday) + WINDOW_AHEAD


def window_moved(account: CalendarAccount, *, now: datetime | None = None) -> bool:
    """Whether the kept window must be read anew (none yet, or too little of it left ahead)."""
    if account.window_start is None or account.window_end is None or not account.delta_link:
        return True
    now = now or timezone.now()
    return account.window_end - now < WINDOW_KEEP_AHEAD
