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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol


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
    # Where Tidsbro is the master of a type: a change made in the system to a field Tidsbro
    # holds is reported as a conflict (the office decides) instead of being written over with
    # Tidsbro's value at the next push.
    master_conflicts: bool = False
    # What the sync center says above the lists of records without a partner (e.g. that the
    # two systems number customers differently), per entity.
    partner_notes: Mapping[Entity, str] = field(default_factory=dict, hash=False)
    # Types whose records without a partner reach the system only by the office's choice in
    # the sync center (partner, create, no sync), never as what another record waits for
    # (a project's customer): the first transfer's review comes before anything is sent.
    partner_first: frozenset[Entity] = frozenset()
    # Why an entity is missing from push/delete, in words the UI can show.
    notes: Mapping[Entity, str] = field(default_factory=dict, hash=False)

    def can_pull(self, entity: Entity) -> bool:
        return entity in self.pull

    def can_push(self, entity: Entity) -> bool:
        return entity in self.push

    def can_delete(self, entity: Entity) -> bool:
        return entity in self.delete


@dataclass(frozen=True, kw_only=True)
class ConnectionDocuments:
    """What a connector's checks produce for a connection: the (secret) credentials, its own
    (plain) settings and its (secret) runtime state such as a session. Services validate the
    first two against the spec's schemas and store them; see `Connection`."""

    credentials: Mapping = field(default_factory=dict)
    settings: Mapping = field(default_factory=dict)
    state: Mapping = field(default_factory=dict)


class WizardState(Protocol):
    """The connect wizard's answers so far (kept in the session by the generic wizard)."""

    def get(self, name: str, default: Any = None) -> Any: ...

    def secret(self, name: str) -> str: ...

    def save(self, **values: Any) -> None:
        """Plain, JSON-serialisable answers (names, ids, lists to choose from)."""

    def save_secret(self, **values: str) -> None:
        """Passwords and tokens: encrypted for this wizard and user; "" forgets one."""


class OnboardingStep:
    """One screen of the connect wizard that only this system has (a login, a client, a
    grant token …). The generic wizard draws the step list, the frame, the form's fields and
    the Back/Next/Cancel buttons; the step supplies the rest."""

    # The step's name in its URL (connect/step/<name>/) and the step list's label.
    name: str = ""
    label: str = ""
    # Included above the form: the step's heading and explanation (context: `wizard` and
    # whatever `context()` returns).
    template: str = ""
    # POST fields hidden from error reports (passwords, tokens).
    sensitive_fields: tuple[str, ...] = ()

    def ready(self, wizard: WizardState) -> bool:
        """Whether the earlier steps' answers are there (else the wizard starts again)."""
        return True

    def label_for(self, wizard: WizardState) -> str:
        """The step list's label once the earlier steps are answered (e.g. narrower when the
        account allows less); `label` by default."""
        return self.label

    def form(self, wizard: WizardState, data: Any) -> Any:
        """The step's form (a django Form), bound to `data` when posted, else with initial
        values from the wizard."""
        raise NotImplementedError

    def accept(self, wizard: WizardState, form: Any) -> None:
        """Checks the valid form live and saves the answers in the wizard; raises
        ApplicationError (shown on the form, nothing saved) when the system refuses."""
        raise NotImplementedError

    def context(self, wizard: WizardState) -> dict[str, Any]:
        return {}

    def leave(self, wizard: WizardState, form: Any, request: Any) -> str:
        """After `accept`: a URL to send the browser to instead of the next step (e.g. the
        system's own login page; it comes back through `spec.oauth`'s callback, which saves
        the outcome in the wizard and goes on). "" = the next step."""
        return ""


class Onboarding:
    """`spec.onboarding`: how an office connects this system.

    The generic wizard runs: choose the system → each of `steps` in order → what to connect
    (object types, master per type, hour transfer, log in with the ERP) → `documents(wizard)`
    → `services.connection_create` → the first sync's progress. `integrations_connect`
    (the command line) runs `add_arguments` then `documents_from_options`.
    """

    steps: Sequence[OnboardingStep] = ()
    # Included on the "what to connect" step: what the earlier steps chose, in words.
    summary_template: str = ""

    def steps_for(self, wizard: WizardState) -> Sequence[OnboardingStep]:
        """The steps this wizard goes through given its answers so far (e.g. a mode chosen
        in the first step skips the others); `steps` by default."""
        return self.steps

    def documents(self, wizard: WizardState) -> ConnectionDocuments:
        """The connection's documents from the wizard's answers (checked by the steps)."""
        raise NotImplementedError

    def summary(self, wizard: WizardState) -> dict[str, Any]:
        """Context for `summary_template`."""
        return {}

    def add_arguments(self, parser: Any) -> None:
        """The command line's options for this system (secrets only by environment name)."""

    def documents_from_options(
        self, options: Mapping[str, Any], *, out: Any
    ) -> ConnectionDocuments:
        """Checks the command line's options live; may write choices to `out` and refuse with
        ApplicationError (e.g. "Choose the client with --client")."""
        raise NotImplementedError

    def describe_login(self, connection: Any) -> str:
        """Who the sync acts as, in words ("" when the system has no such notion)."""
        return ""


class SettingsSection:
    """One box of a connection's settings screen that only this system has (the integration
    user, the defaults for new customers …). The generic screen draws the frame and routes a
    POST whose `action` is the section's `name` here."""

    name: str = ""
    # The box's content: heading, explanation and the form (context: `connection`, `form`,
    # `section` and `context()`); it posts `action=<name>`.
    template: str = ""
    sensitive_fields: tuple[str, ...] = ()

    def form(self, connection: Any, data: Any) -> Any:
        raise NotImplementedError

    def save(self, connection: Any, form: Any, *, actor: Any) -> str:
        """Checks and stores the valid form through the services; returns the success
        message. Raises ApplicationError (shown on the form, nothing changed)."""
        raise NotImplementedError

    def context(self, connection: Any) -> dict[str, Any]:
        return {}


class ConnectorSettings:
    """`spec.settings`: the system's own boxes on the connection's settings screen."""

    sections: Sequence[SettingsSection] = ()
    # One line under the title: what the connection reaches ("Connected to X with Y").
    summary_template: str = ""

    def summary(self, connection: Any) -> dict[str, Any]:
        """Context for `summary_template`."""
        return {}


class SsoLogin:
    """`spec.sso`: log in to Tidsbro with one's own login in the system (checked live).

    `external_user_id` returns the system's id of the person (the remote id of their `user`
    binding) or raises ApplicationError with a message the person can act on. Nothing is
    stored; the password is never logged.
    """

    def external_user_id(self, connection: Any, *, username: str, password: str) -> str:
        raise NotImplementedError


class Webhooks:
    """`spec.webhooks`: the system calls Tidsbro when its records change (a webhook), so those
    records are pulled at once instead of at the next poll; polling stays the safety net.

    The generic receiver (`apps.integrations.webhooks`, POST
    `/integrations/webhooks/<system>/<connection id>/`) compares the header
    `X-Tidsbro-Webhook-Secret` with `secret(connection)` in constant time, then hands the body
    to `parse`; each (object type, ERP id) it returns is pulled by
    `sync.instant.pull_records` (the record's current state, under the run lease). Registering
    the webhooks with the system (and where the secret is kept) is the connector's business,
    e.g. a settings box.
    """

    def secret(self, connection: Any) -> str:
        """The secret the system sends with each call for `connection` ("" = none set up:
        every call is refused)."""
        raise NotImplementedError

    def parse(self, connection: Any, body: bytes, content_type: str) -> list[tuple[str, str]]:
        """(object type, ERP id) pairs a call's body names (events Tidsbro does not follow
        give none); raises ValueError for a body that is not what the system sends."""
        raise NotImplementedError

    # Optional: `verify(connection, headers, body) -> bool`. A system that signs its calls
    # (rather than carrying a secret header) defines it; the receiver then calls it with the
    # request's headers and raw body instead of comparing `secret` (403 when it says False).
    verify: Any = None


@dataclass(frozen=True, kw_only=True)
class OAuthOutcome:
    """Where the browser goes after the system's login came back, and what it is told."""

    redirect_to: str
    message: str = ""
    ok: bool = True


class OAuthLogin:
    """`spec.oauth`: the administrator logs in on the system's own site (OAuth authorization
    code). The generic views `/integrations/oauth/<system>/start/` (POST `purpose`) and
    `/integrations/oauth/<system>/callback/` (the registered redirect URI) send them there and
    back; the capability checks the answer (state, issuer …) and decides what it was for (a
    wizard step, a key re-authorised …). Nothing secret reaches a message."""

    def start(self, request: Any, *, purpose: str) -> str:
        """The URL of the system's login for `purpose`; raises ApplicationError when the
        purpose is not allowed to this user."""
        raise NotImplementedError

    def callback(self, request: Any, *, wizard: WizardState) -> OAuthOutcome:
        """Checks the callback and stores what it brought (in `wizard` for the connect
        wizard); never raises for a refused or tampered answer: the outcome says so."""
        raise NotImplementedError


class OrderExport:
    """`spec.order_export`: orders written to a file the system imports, for offices without
    API access (no request is made). The generic Orders action "Export for <system>" appears
    for an active connection when `available(connection)` is true; the orders service checks
    each order (`problems`), builds the file (`build`) and marks the orders exported in the
    same transaction. Everything here is pure: no database writes, no requests.
    """

    # How the file is served and read back (the format's own README documents the rest).
    content_type: str = "text/plain"
    encoding: str = "utf-8"
    extension: str = "txt"

    def available(self, connection: Any) -> bool:
        """Whether this connection exports orders as a file (e.g. only in a file mode)."""
        return True

    def problems(self, connection: Any, order: Any) -> list[str]:
        """Why the system would refuse this order in the file, in words ([] = none)."""
        return []

    def build(self, connection: Any, orders: Sequence[Any]) -> bytes:
        """The file's bytes for these orders (each with its customer and lines loaded)."""
        raise NotImplementedError

    def file_name(self, connection: Any, moment: datetime) -> str:
        """The download's file name for an export made at `moment`."""
        return f"tidsbro-orders-{moment:%Y%m%d-%H%M%S}.{self.extension}"


class ConnectorSpec:
    """Everything Tidsbro knows about one system, declared by its connector package.

    A connector package defines one subclass and registers one instance (its `register()`,
    called for each package listed in the `TIDSBRO_CONNECTORS` setting). Nothing outside the
    package names the system: screens, the engine and commands ask the spec.

    A connection keeps three documents whose shapes the spec declares: `credentials_schema`
    (secret, encrypted), `settings_schema` (plain) and the connector's runtime state (secret,
    e.g. a session); see `apps.integrations.models.Connection`.

    Optional capabilities are attributes that stay None when the system does not offer them;
    screens ask `spec.<capability> is not None`, never the system's name:

    - `onboarding` (an `Onboarding`): the connect wizard's own steps, each an
      `OnboardingStep` (form + live check + template under templates/integrations/<system>/),
      then `documents(wizard)`; and the command line's options. A REST connector declares
      e.g. one step "Agreement" (a grant token pasted or from the system's grant flow,
      checked with its "who am I" call; shows agreement, company, user) and one step
      "Defaults" (customer group, payment terms, VAT zone, currency from its lists).
    - `settings` (a `ConnectorSettings`): the system's own boxes on the settings screen,
      each a `SettingsSection` (form + save through the services + template).
    - `sso` (an `SsoLogin`): log in to Tidsbro with the system's login.
    - `orders`: turn approved hours into an order/invoice draft in the system.
    - `setup`: first-time setup after connecting (e.g. project roles, participants).
    - `webhooks` (a `Webhooks`): the system calls Tidsbro when records change; those records
      are pulled at once (secret checked, body parsed by the capability).
    - `order_export` (an `OrderExport`): orders written to a file the system imports (no API
      access needed); the Orders list offers "Export for <system>" when `available(connection)`.

    Sync positions (`Watermark.cursor`) are the connector's own strings: `cursor_is_time`
    says whether one is a moment (then administrators may set it by date, through
    `cursor_from_time`/`cursor_as_time`), `describe_cursor` says one in words.
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
    webhooks: object | None = None
    order_export: object | None = None
    # An `OAuthLogin`: the system's login is on its own site (authorization code).
    oauth: object | None = None
    # A calendar system (each person's own calendar): the calendars app's CalendarProvider.
    calendar: object | None = None
    # Who is master of each object type when an office connects (the wizard's initial
    # choice); types not named follow the generic defaults.
    default_masters: Mapping[str, str] = {}

    def connector(self, connection: object, **overrides: object) -> object:
        """A new connector (its own HTTP session) for one connection."""
        raise NotImplementedError

    def connectable(self, settings: Mapping[str, Any]) -> frozenset[str] | None:
        """The object types a connection with these settings (its `settings` document, or
        `onboarding.documents(…).settings` in the wizard) can keep in step, when its account
        allows fewer than `capabilities` say (e.g. a module the account has not bought);
        None = every type the capabilities allow. The wizard offers only these, the services
        refuse others, and screens for users appear only when users are among them."""
        return None

    def can_keep(self, settings: Mapping[str, Any], entity: str) -> bool:
        """Whether a connection with these settings can keep `entity` in step at all."""
        capabilities = self.capabilities
        if not (capabilities.can_pull(entity) or capabilities.can_push(entity)):
            return False
        allowed = self.connectable(settings or {})
        return allowed is None or entity in allowed

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
