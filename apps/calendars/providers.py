"""The calendar vocabulary every calendar connector speaks (apps/calendars/README.md §3).

A connector package that serves calendars declares `spec.calendar`, a `CalendarProvider`.
The calendars app names no system: it finds the provider through the office's connection
(`apps.integrations.registry.spec_for(connection.system).calendar`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from apps.integrations.connectors.base import ConnectorError

# The category Tidsbro gives the events it writes (and by which it knows them).
TIDSBRO_CATEGORY = "Tidsbro"


class SyncReset(ConnectorError):
    """The calendar no longer knows the change cursor (410 / syncStateNotFound): start a full
    round of the window again (`restart_link`: where the calendar says to start, if it did)."""

    def __init__(self, message: str, *, operation: str = "", restart_link: str = "") -> None:
        super().__init__(message, operation=operation)
        self.restart_link = restart_link


@dataclass(frozen=True, kw_only=True)
class RemoteEvent:
    """One instance of the calendar's view (a single event, an occurrence or an exception)."""

    id: str
    subject: str
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    type: str = "singleInstance"  # singleInstance | occurrence | exception
    series_master_id: str = ""
    ical_uid: str = ""
    change_key: str = ""
    body_text: str = ""
    is_all_day: bool = False
    show_as: str = "busy"  # free tentative busy oof workingElsewhere unknown
    is_cancelled: bool = False
    response: str = ""  # none organizer tentativelyAccepted accepted declined notResponded
    sensitivity: str = "normal"  # normal personal private confidential
    is_organizer: bool = True
    categories: tuple[str, ...] = ()
    web_link: str = ""
    last_modified: datetime | None = None


@dataclass(frozen=True)
class Removed:
    """An instance that was deleted or left the window."""

    id: str


@dataclass
class DeltaPage:
    items: list[RemoteEvent | Removed] = field(default_factory=list)
    next_link: str = ""  # more pages in this round
    delta_link: str = ""  # the round is complete: keep this for the next round


@dataclass(frozen=True, kw_only=True)
class EventWrite:
    """What Tidsbro writes for one time entry."""

    subject: str
    body_text: str
    start: datetime  # aware
    end: datetime  # aware
    time_zone: str = "UTC"  # the person's IANA zone (the event shows in it)
    categories: tuple[str, ...] = (TIDSBRO_CATEGORY,)
    show_as: str = "free"


@dataclass(frozen=True, kw_only=True)
class LoginResult:
    """What a finished sign-in brought (the tokens go to the account's encrypted state)."""

    state: dict[str, Any]  # the connector's secret token document
    email: str
    account_id: str
    tenant_id: str
    scopes: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Notice:
    """One change notification or lifecycle event, as the receiver understood it."""

    subscription_id: str
    client_state: str
    lifecycle_event: str = ""  # "" (a change), reauthorizationRequired, subscriptionRemoved, missed


class CalendarClient(Protocol):
    """One person's calendar, over HTTP; one thread at a time. Raises only the errors of
    `connectors.base` (Unavailable, AuthFailed, RateLimited, Rejected) and `SyncReset`."""

    def delta_page(self, *, link: str, window: tuple[datetime, datetime]) -> DeltaPage:
        """`link` "" starts a round of `window`; else the nextLink/deltaLink to follow."""

    def get_event(self, event_id: str) -> RemoteEvent | None: ...

    def create_event(self, write: EventWrite) -> RemoteEvent: ...

    def update_event(self, event_id: str, write: EventWrite) -> RemoteEvent: ...

    def delete_event(self, event_id: str) -> None:
        """Gone already (404) is not an error."""

    def subscribe(
        self, *, notification_url: str, lifecycle_url: str, client_state: str, expires_at: datetime
    ) -> tuple[str, datetime]: ...

    def renew_subscription(self, subscription_id: str, expires_at: datetime) -> datetime: ...

    def unsubscribe(self, subscription_id: str) -> None: ...

    def close(self) -> None: ...


class CalendarProvider(Protocol):
    """What a calendar connector offers the calendars app (`spec.calendar`)."""

    # The longest a change subscription may live (renewed before it ends).
    subscription_lifetime: Any  # timedelta
    # Most requests at once against one mailbox.
    concurrency_limit: int

    def scopes(self, *, write: bool) -> Sequence[str]: ...

    def login_url(self, request: Any, *, write: bool, next_url: str) -> str:
        """Starts the person's sign-in (remembered in their session); the browser goes here."""

    def client(self, account: Any) -> CalendarClient:
        """A client for the account's calendar: renews the access token with the stored
        refresh token (rotated: the new one is saved, encrypted, at once) and raises
        AuthFailed when the calendar refuses the stored sign-in (invalid_grant)."""

    def browser_link(self, url: str) -> str:
        """A link the calendar gave (webLink) as a person's browser can open it."""

    def parse_notifications(self, request: Any) -> Any:
        """The receiver's request → an HttpResponse to answer at once (the validation
        handshake) or a list of `Notice`; raises ValueError for a malformed body."""
