"""Connector-independent vocabulary: the errors every ERP client raises and what it can do.

The sync engine only ever catches these four errors, whatever system it talks to:

- `Unavailable`: the system could not be reached or answered garbage; try again later.
  `ambiguous` says whether a write may have been applied anyway (read timeout, reset, 5xx or
  a malformed reply after the request was sent) — such a write must be reconciled, not
  blindly repeated.
- `AuthFailed`: the stored credentials (or the chosen identity) are no longer accepted; a
  human must act, retrying does not help.
- `RateLimited`: the request budget is spent (or the system says so); retry after
  `retry_after` seconds.
- `Rejected`: the system refused this request or item; `messages` says why. Retrying the
  same payload gives the same answer.

Messages never contain credentials, session ids or request/response bodies.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta


class ConnectorError(Exception):
    """Base of every error a connector raises; `str()` is safe to log and show."""

    def __init__(self, message: str, *, operation: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation

    def __str__(self) -> str:
        if self.operation:
            return f"{self.operation}: {self.message}"
        return self.message


class Unavailable(ConnectorError):
    """The remote system did not answer usefully (timeout, connection, HTTP 5xx, bad XML)."""

    def __init__(self, message: str, *, operation: str = "", ambiguous: bool = False) -> None:
        super().__init__(message, operation=operation)
        # True when the request may have reached the system and been applied.
        self.ambiguous = ambiguous


class AuthFailed(ConnectorError):
    """The credentials, the session or the chosen identity were refused."""


class RateLimited(ConnectorError):
    """The hourly request budget is spent, locally or (quarantine) remotely."""

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        retry_after: float,
        until: datetime | None = None,
    ) -> None:
        super().__init__(message, operation=operation)
        self.retry_after = max(0.0, float(retry_after))
        self.until = until


class Rejected(ConnectorError):
    """The system refused the request or an item of it; `messages` holds its reasons."""

    def __init__(
        self, message: str, *, operation: str = "", messages: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message, operation=operation)
        self.messages: tuple[str, ...] = messages or (message,)


class Entity(enum.StrEnum):
    """The kinds of records the sync engine moves between Tidsbro and an external system."""

    CLIENT = "client"
    USER = "user"
    CUSTOMER = "customer"
    PERSON = "person"
    PROJECT = "project"
    PROJECT_STATUS = "project_status"
    PROJECT_ROLE = "project_role"
    PARTICIPANT = "participant"
    TASK = "task"
    WORK_TYPE = "work_type"
    HOUR = "hour"
    ORDER = "order"


@dataclass(frozen=True, kw_only=True)
class Capabilities:
    """What a connector can do, declared so the engine and the UI never have to guess."""

    system: str
    pull: frozenset[Entity]
    push: frozenset[Entity] = frozenset()
    delete: frozenset[Entity] = frozenset()
    # Entities that can be fetched incrementally ("changed after").
    incremental: frozenset[Entity] = frozenset()
    # Entities whose deletions are reported by the incremental feed itself.
    reports_deletions: frozenset[Entity] = frozenset()
    # Smallest step the remote "changed after" filter honours; callers overlap by at least it.
    watermark_resolution: timedelta = timedelta(0)
    requests_per_hour: int | None = None
    # Why an entity is missing from push/delete, in words the UI can show.
    notes: Mapping[Entity, str] = field(default_factory=dict, hash=False)

    def can_pull(self, entity: Entity) -> bool:
        return entity in self.pull

    def can_push(self, entity: Entity) -> bool:
        return entity in self.push

    def can_delete(self, entity: Entity) -> bool:
        return entity in self.delete


class ConnectorSpec:
    """Everything Tidsbro knows about one system, declared by its connector package.

    A connector package defines one subclass and registers one instance (its `register()`,
    called for each package listed in the `TIDSBRO_CONNECTORS` setting). Nothing outside the
    package names the system: screens, the engine and commands ask the spec.

    Optional capabilities are attributes that stay None when the system does not offer them;
    screens ask `spec.<capability> is not None`, never the system's name:

    - `onboarding`: the connect wizard's system-specific steps (forms, templates, checks).
    - `settings`: the system's own settings form on the connection's settings screen.
    - `sso`: log in to Tidsbro with the system's login.
    - `orders`: turn approved hours into an order/invoice draft in the system.
    - `setup`: first-time setup after connecting (e.g. project roles, participants).
    """

    system: str = ""
    # The system's name as people know it; translatable where it has local names.
    display_name: str = ""
    # One sentence for the list of systems Tidsbro can connect to.
    description: str = ""
    capabilities: Capabilities
    # JSON schema of the connection's credentials document (secret: stored encrypted).
    credentials_schema: Mapping = {"type": "object"}
    # JSON schema of the connection's own settings (not secret: client, company, defaults).
    settings_schema: Mapping = {"type": "object"}
    # True when a sync position is a moment in time (administrators can set it by date).
    cursor_is_time: bool = True

    onboarding: object | None = None
    settings: object | None = None
    sso: object | None = None
    orders: object | None = None
    setup: object | None = None

    def connector(self, connection: object, **overrides: object) -> object:
        """A new connector (its own HTTP session) for one connection."""
        raise NotImplementedError

    def describe(self, connection: object) -> str:
        """The connection in words: the system and the company/client it reaches."""
        company = (getattr(connection, "settings", None) or {}).get("company_name", "")
        return f"{self.display_name}: {company}" if company else str(self.display_name)

    def explain(self, exc: ConnectorError) -> str | None:
        """A failure in words an office administrator can act on, or None for the generic text."""
        return None

    def cursor_from_time(self, moment: datetime) -> str:
        """The sync position that means "changes after `moment`" (time cursors only)."""
        return moment.isoformat()

    def cursor_as_time(self, cursor: str) -> datetime | None:
        """The moment a time cursor stands for, or None (empty or not a time)."""
        if not cursor or not self.cursor_is_time:
            return None
        try:
            return datetime.fromisoformat(cursor)
        except ValueError:
            return None

    def describe_cursor(self, cursor: str) -> str:
        """The sync position in words for screens ("" when everything is fetched next)."""
        moment = self.cursor_as_time(cursor)
        if moment is not None:
            from django.utils import timezone

            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
        return cursor[:40]

    def request_budget(self, connection: object) -> tuple[int, int] | None:
        """Requests used in the system's budget window and the most the sync may use, or None."""
        return None
