"""Connecting an ERP, changing what is kept in step, and asking for a sync now.

Credentials are checked live against the ERP before anything is stored, stored encrypted, and
never put in task arguments, log lines or messages.
"""

import logging
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.contrib.admin.models import ADDITION, CHANGE
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables

from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import (
    AuthFailed,
    ConnectorError,
    Entity,
    RateLimited,
    Unavailable,
)
from apps.integrations.models import Connection, HourTransfer, Master, SyncRun, System, Watermark
from apps.integrations.registry import connector_capabilities

logger = logging.getLogger(__name__)
# Hidden from error reports (the traceback e-mailed to ADMINS, the DEBUG page): the frames
# of the functions below handle 24SO passwords and session ids.
SECRET_VARIABLES = ("password", "api_password", "session_id", "updates", "store", "credentials")

# What the command line and the settings call each object type.
ENTITY_NAMES: dict[str, str] = {
    "customers": Entity.CUSTOMER,
    "projects": Entity.PROJECT,
    "worktypes": Entity.WORK_TYPE,
    "tasks": Entity.TASK,
    "users": Entity.USER,
    "members": Entity.PARTICIPANT,
    "hours": Entity.HOUR,
}
CONNECTABLE: frozenset[str] = frozenset(ENTITY_NAMES.values())

# Who owns each object type unless the office says otherwise (PRODUCT.md §2).
DEFAULT_MASTERS: dict[str, str] = {
    Entity.CUSTOMER: Master.ERP,
    Entity.PROJECT: Master.BOTH,
    Entity.TASK: Master.BOTH,
    Entity.WORK_TYPE: Master.ERP,
    Entity.USER: Master.ERP,
    Entity.PARTICIPANT: Master.ERP,
}


def entities_from_names(names: Iterable[str]) -> list[str]:
    """Object types from command-line names ("customers,projects"); unknown names refused."""
    result: list[str] = []
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        entity = ENTITY_NAMES.get(name) or (name if name in CONNECTABLE else None)
        if entity is None:
            raise ApplicationError(
                _("Unknown object type %(name)s; choose from %(choices)s.")
                % {"name": raw, "choices": ", ".join(ENTITY_NAMES)}
            )
        if entity not in result:
            result.append(entity)
    return result


# --- talking to 24SO while connecting ---------------------------------------------------------


@dataclass(frozen=True)
class ClientChoice:
    """A client (identity) a login can reach, as the wizard lists it."""

    identity_id: str
    client_id: int
    client_name: str
    user_name: str
    contact_id: int | None
    is_default: bool
    is_disabled: bool


@sensitive_variables(*SECRET_VARIABLES)
def _client(
    *, username: str, password: str, identity_id: str | None = None, session_store: Any = None
) -> Any:
    # A throwaway client: its session lives in memory only, it shares the login's budget.
    from apps.integrations.connectors.twentyfourseven.client import TwentyFourSevenClient
    from apps.integrations.connectors.twentyfourseven.types import Credentials
    from apps.integrations.sync.budget import DatabaseRequestBudget

    return TwentyFourSevenClient(
        credentials=Credentials(
            username=username,
            password=password,
            identity_id=UUID(identity_id) if identity_id else None,
        ),
        session_store=session_store,
        budget=DatabaseRequestBudget(),
        budget_key=f"24so:{username.strip().lower()}",
    )


def _is_blocked(exc: ConnectorError) -> bool:
    from apps.integrations.connectors.twentyfourseven.errors import FaultKind, classify_fault

    return classify_fault(exc.message) is FaultKind.IDENTITY


def _plain_error(exc: ConnectorError, *, who: str) -> ApplicationError:
    """The connector's error in words an office can act on (never with the secret)."""
    if isinstance(exc, AuthFailed):
        if _is_blocked(exc):
            return ApplicationError(
                _(
                    "24SevenOffice has blocked %(who)s in this client. Ask a 24SevenOffice "
                    "administrator to unblock it, or choose another client."
                )
                % {"who": who}
            )
        return ApplicationError(
            _("24SevenOffice did not accept the username or password of %(who)s.") % {"who": who}
        )
    if isinstance(exc, RateLimited):
        until = exc.until or (timezone.now() + timedelta(seconds=exc.retry_after))
        return ApplicationError(
            _(
                "24SevenOffice is refusing requests from %(who)s for now (request limit). "
                "Try again after %(time)s."
            )
            % {"who": who, "time": formats.time_format(timezone.localtime(until), "H:i")}
        )
    if isinstance(exc, Unavailable):
        return ApplicationError(
            _("24SevenOffice cannot be reached right now. Nothing was saved; try again later.")
        )
    return ApplicationError(
        _("24SevenOffice refused the request: %(reason)s") % {"reason": exc.message}
    )


@sensitive_variables(*SECRET_VARIABLES)
def connection_identities(*, username: str, password: str) -> list[ClientChoice]:
    """Asks 24SO which clients the login reaches (one request, no session is kept)."""
    return _identities(
        username=username,
        password=password,
        who=_("the login %(username)s") % {"username": username},
    )


@sensitive_variables(*SECRET_VARIABLES)
def _identities(*, username: str, password: str, who: str) -> list[ClientChoice]:
    if not username or not password:
        raise ApplicationError(_("Enter the 24SevenOffice username and password."))
    try:
        with closing(_client(username=username, password=password)) as client:
            identities = client.get_identities_with_credential()
    except ConnectorError as exc:
        raise _plain_error(exc, who=who) from None
    choices = [
        ClientChoice(
            identity_id=str(i.id),
            client_id=i.client_id,
            client_name=i.client_name,
            user_name=i.user_name,
            contact_id=i.contact_id,
            is_default=i.is_default,
            is_disabled=i.is_disabled,
        )
        for i in identities
    ]
    if not any(not c.is_disabled for c in choices):
        raise ApplicationError(
            _(
                "%(who)s has no 24SevenOffice client it may use. Ask a "
                "24SevenOffice administrator to give it access to the company's client."
            )
            % {"who": who[:1].upper() + who[1:]}
        )
    return choices


def _choose(
    choices: list[ClientChoice], *, client_name: str | None, identity_id: str | None, who: str
) -> ClientChoice:
    if identity_id:
        chosen = next((c for c in choices if c.identity_id == str(identity_id)), None)
    elif client_name:
        wanted = client_name.strip().casefold()
        chosen = next((c for c in choices if c.client_name.casefold() == wanted), None)
        if chosen is None and wanted.isdigit():
            chosen = next((c for c in choices if str(c.client_id) == wanted), None)
    else:
        raise ApplicationError(_("Choose the 24SevenOffice client to connect."))
    if chosen is None:
        raise ApplicationError(
            _("%(who)s cannot reach the client %(client)s. It can reach: %(choices)s.")
            % {
                "who": who[:1].upper() + who[1:],
                "client": client_name or identity_id,
                "choices": ", ".join(c.client_name for c in choices) or "—",
            },
            field="client_name",
        )
    if chosen.is_disabled:
        raise ApplicationError(
            _(
                "24SevenOffice has blocked %(who)s in the client %(client)s. Ask a "
                "24SevenOffice administrator to unblock it."
            )
            % {"who": who, "client": chosen.client_name}
        )
    return chosen


@sensitive_variables(*SECRET_VARIABLES)
def _check_login(*, username: str, password: str, identity_id: str, who: str) -> str:
    """Logs in to the chosen client; returns the new session id (kept encrypted)."""
    from apps.integrations.connectors.twentyfourseven.client import MemorySessionStore

    store = MemorySessionStore()
    try:
        with closing(
            _client(
                username=username, password=password, identity_id=identity_id, session_store=store
            )
        ) as client:
            client.login()
    except ConnectorError as exc:
        raise _plain_error(exc, who=who) from None
    return store.get() or ""


@sensitive_variables(*SECRET_VARIABLES)
def connection_check_client(*, username: str, password: str, identity_id: str) -> ClientChoice:
    """Checks live that the login may work in the chosen client (identities, then Login)."""
    if not identity_id:
        raise ApplicationError(
            _("Choose the 24SevenOffice client to connect."), field="identity_id"
        )
    who = _("the login %(username)s") % {"username": username}
    chosen = _choose(
        connection_identities(username=username, password=password),
        client_name=None,
        identity_id=identity_id,
        who=who,
    )
    _check_login(username=username, password=password, identity_id=chosen.identity_id, who=who)
    return chosen


@sensitive_variables(*SECRET_VARIABLES)
def connection_check_integration_user(
    *, client: ClientChoice, api_username: str, api_password: str
) -> tuple[ClientChoice, str]:
    """Checks live that the integration user reaches the same client; returns its identity
    there and a new session id (nothing is stored)."""
    api_username = (api_username or "").strip()
    if not api_username:
        raise ApplicationError(
            _("Enter the username of the integration user."), field="api_username"
        )
    if not api_password:
        raise ApplicationError(
            _("Enter the password of the integration user."), field="api_password"
        )
    api_who = _("the integration user %(username)s") % {"username": api_username}
    api_choices = _identities(username=api_username, password=api_password, who=api_who)
    # Identities are per login: find the integration user's way into the same client.
    same_client = next((c for c in api_choices if c.client_id == client.client_id), None)
    sync_identity = _choose(
        api_choices,
        client_name=client.client_name,
        identity_id=same_client.identity_id if same_client else None,
        who=api_who,
    )
    session_id = _check_login(
        username=api_username,
        password=api_password,
        identity_id=sync_identity.identity_id,
        who=api_who,
    )
    return sync_identity, session_id


@sensitive_variables(*SECRET_VARIABLES)
def connection_sso_identity(
    *, connection: Connection, username: str, password: str
) -> ClientChoice:
    """Checks a person's own 24SO login live against the connection's client (log in with
    24SevenOffice); returns their identity there. Nothing is stored."""
    who = _("the login %(username)s") % {"username": username}
    choices = _identities(username=username.strip(), password=password, who=who)
    same_client = next((c for c in choices if str(c.client_id) == connection.client_id), None)
    if same_client is None:
        raise ApplicationError(
            _("This 24SevenOffice login has no access to %(client)s.")
            % {"client": connection.client_name or connection.client_id}
        )
    chosen = _choose(choices, client_name=None, identity_id=same_client.identity_id, who=who)
    _check_login(
        username=username.strip(), password=password, identity_id=chosen.identity_id, who=who
    )
    return chosen


def _audit(actor: Any, obj: Any, message: str, *, flag: int = CHANGE) -> None:
    """The audit trail of connections (apps/core/audit.py): who changed what, in History."""
    audit.record(actor, obj, message, flag=flag)


def _validate_entities(system: str, entities: list[str]) -> None:
    capabilities = connector_capabilities(system)
    for entity in entities:
        if entity not in CONNECTABLE:
            raise ApplicationError(_("Unknown object type %(name)s.") % {"name": entity})
        if capabilities is not None and not (
            capabilities.can_pull(Entity(entity)) or capabilities.can_push(Entity(entity))
        ):
            raise ApplicationError(
                _("%(system)s cannot sync %(name)s.") % {"system": system, "name": entity}
            )


@sensitive_variables(*SECRET_VARIABLES)
def connection_create(
    *,
    system: str,
    username: str,
    password: str,
    client_name: str | None = None,
    identity_id: str | None = None,
    api_username: str | None = None,
    api_password: str | None = None,
    connect: Iterable[str] = (),
    sso: bool = False,
    hour_transfer: str = HourTransfer.ON_APPROVAL,
    actor: Any = None,
) -> Connection:
    """Checks the logins live, then stores the connection (credentials encrypted) and logs it."""
    if system != System.TWENTYFOURSEVEN:
        raise ApplicationError(
            _("Tidsbro cannot connect to %(system)s yet.") % {"system": system}, field="system"
        )
    entities = entities_from_names(connect)
    _validate_entities(system, entities)
    if hour_transfer not in HourTransfer.values:
        raise ApplicationError(
            _("Unknown hour transfer %(value)s; choose from %(choices)s.")
            % {"value": hour_transfer, "choices": ", ".join(HourTransfer.values)},
            field="hour_transfer",
        )
    if Connection.objects.filter(system=system, is_active=True).exists():
        raise ApplicationError(
            _("24SevenOffice is already connected. Change or deactivate that connection first.")
        )
    username = username.strip()
    api_username = (api_username or "").strip()
    if api_username and not api_password:
        raise ApplicationError(
            _("Enter the password of the integration user."), field="api_password"
        )
    if api_username.casefold() == username.casefold():
        api_username, api_password = "", ""

    who = _("the login %(username)s") % {"username": username}
    chosen = _choose(
        connection_identities(username=username, password=password),
        client_name=client_name,
        identity_id=identity_id,
        who=who,
    )
    sync_identity = chosen
    if api_username:
        sync_identity, session_id = connection_check_integration_user(
            client=chosen, api_username=api_username, api_password=api_password or ""
        )
        # The office's own login must reach the client too (the wizard logs in with it).
        _check_login(username=username, password=password, identity_id=chosen.identity_id, who=who)
    else:
        session_id = _check_login(
            username=username, password=password, identity_id=chosen.identity_id, who=who
        )

    connection = Connection(
        system=system,
        username=username,
        password=password,
        api_username=api_username,
        api_password=api_password or "",
        session_id=session_id,
        identity_id=sync_identity.identity_id,
        client_name=chosen.client_name,
        client_id=str(chosen.client_id),
        integration_user_external_id=(
            str(sync_identity.contact_id) if sync_identity.contact_id is not None else ""
        ),
        connected=entities,
        masters=dict(DEFAULT_MASTERS),
        hour_transfer=hour_transfer,
        sso_allowed=sso,
    )
    connection.full_clean(exclude=["password", "api_password", "session_id"])
    try:
        with transaction.atomic():
            connection.save()
            _audit(
                actor,
                connection,
                _("Connected %(client)s: %(types)s")
                % {"client": connection.client_name, "types": ", ".join(entities) or "—"},
                flag=ADDITION,
            )
    except IntegrityError:
        raise ApplicationError(
            _("24SevenOffice is already connected. Change or deactivate that connection first.")
        ) from None
    logger.info("connected %s client %s", system, connection.client_id)
    return connection


def connection_update_settings(
    *,
    connection: Connection,
    connect: Iterable[str] | None = None,
    masters: dict[str, str] | None = None,
    hour_transfer: str | None = None,
    sso: bool | None = None,
    is_active: bool | None = None,
    actor: Any = None,
) -> Connection:
    """Changes what is kept in step and how (no credentials); logs what changed."""
    changed: list[str] = []
    if connect is not None:
        entities = entities_from_names(connect)
        _validate_entities(connection.system, entities)
        if entities != list(connection.connected or []):
            connection.connected = entities
            changed.append("connected")
    if masters is not None:
        for entity, master in masters.items():
            if entity not in CONNECTABLE or master not in Master.values:
                raise ApplicationError(
                    _("%(entity)s cannot have the master %(master)s.")
                    % {"entity": entity, "master": master},
                    field="masters",
                )
            capabilities = connector_capabilities(connection.system)
            if (
                master != Master.ERP
                and capabilities is not None
                and not capabilities.can_push(Entity(entity))
            ):
                raise ApplicationError(
                    capabilities.notes.get(Entity(entity))
                    or _("%(system)s cannot receive %(entity)s from Tidsbro.")
                    % {"system": connection.get_system_display(), "entity": entity},
                    field="masters",
                )
        merged = {**(connection.masters or {}), **masters}
        if merged != connection.masters:
            connection.masters = merged
            changed.append("masters")
    if hour_transfer is not None and hour_transfer != connection.hour_transfer:
        if hour_transfer not in HourTransfer.values:
            raise ApplicationError(
                _("Unknown hour transfer %(value)s.") % {"value": hour_transfer},
                field="hour_transfer",
            )
        connection.hour_transfer = hour_transfer
        changed.append("hour_transfer")
    if sso is not None and sso != connection.sso_allowed:
        connection.sso_allowed = sso
        changed.append("sso_allowed")
    if is_active is not None and is_active != connection.is_active:
        if is_active and (
            Connection.objects.filter(system=connection.system, is_active=True)
            .exclude(pk=connection.pk)
            .exists()
        ):
            raise ApplicationError(
                _("Another 24SevenOffice connection is active. Deactivate it first.")
            )
        connection.is_active = is_active
        changed.append("is_active")
    if not changed:
        return connection
    connection.full_clean(exclude=["password", "api_password", "session_id"])
    with transaction.atomic():
        connection.save(update_fields=[*changed, "updated_at"])
        _audit(actor, connection, audit.changed_fields(Connection, changed))
    return connection


@sensitive_variables(*SECRET_VARIABLES)
def connection_replace_credentials(
    *,
    connection: Connection,
    password: str | None = None,
    api_password: str | None = None,
    api_username: str | None = None,
    actor: Any = None,
) -> Connection:
    """Checks new passwords live, stores them encrypted and starts a new session.

    `api_username` switches the integration user ("" = sync with the office's own login);
    the new user must reach the connected client.
    """
    if api_username is not None and api_username.strip().casefold() != (
        connection.api_username.casefold()
    ):
        return _switch_integration_user(
            connection=connection,
            api_username=api_username.strip(),
            api_password=api_password or "",
            actor=actor,
        )
    if not password and not api_password:
        return connection
    if api_password and not connection.api_username:
        raise ApplicationError(
            _("This connection has no separate integration user."), field="api_password"
        )
    updates: dict[str, Any] = {}
    if password:
        who = _("the login %(username)s") % {"username": connection.username}
        if connection.api_username:
            connection_identities(username=connection.username, password=password)
        else:
            updates["session_id"] = _check_login(
                username=connection.username,
                password=password,
                identity_id=connection.identity_id,
                who=who,
            )
        updates["password"] = password
    if api_password:
        who = _("the integration user %(username)s") % {"username": connection.api_username}
        updates["session_id"] = _check_login(
            username=connection.api_username,
            password=api_password,
            identity_id=connection.identity_id,
            who=who,
        )
        updates["api_password"] = api_password
    for name, value in updates.items():
        setattr(connection, name, value)
    with transaction.atomic():
        connection.save(update_fields=[*updates, "updated_at"])
        fields = [f for f in ("password", "api_password") if f in updates]
        _audit(actor, connection, audit.changed_fields(Connection, fields))
    return connection


def _switch_integration_user(
    *, connection: Connection, api_username: str, api_password: str, actor: Any
) -> Connection:
    client = ClientChoice(
        identity_id=connection.identity_id,
        client_id=int(connection.client_id or 0),
        client_name=connection.client_name,
        user_name="",
        contact_id=None,
        is_default=False,
        is_disabled=False,
    )
    if not api_username or api_username.casefold() == connection.username.casefold():
        # Back to the office's own login: its stored password must still reach the client.
        who = _("the login %(username)s") % {"username": connection.username}
        choices = _identities(username=connection.username, password=connection.password, who=who)
        same_client = next((c for c in choices if c.client_id == client.client_id), None)
        identity = _choose(
            choices,
            client_name=client.client_name,
            identity_id=same_client.identity_id if same_client else None,
            who=who,
        )
        session_id = _check_login(
            username=connection.username,
            password=connection.password,
            identity_id=identity.identity_id,
            who=who,
        )
        api_username, api_password = "", ""
    else:
        identity, session_id = connection_check_integration_user(
            client=client, api_username=api_username, api_password=api_password
        )
    connection.api_username = api_username
    connection.api_password = api_password
    connection.session_id = session_id
    connection.identity_id = identity.identity_id
    connection.integration_user_external_id = (
        str(identity.contact_id) if identity.contact_id is not None else ""
    )
    fields = [
        "api_username",
        "api_password",
        "session_id",
        "identity_id",
        "integration_user_external_id",
    ]
    with transaction.atomic():
        connection.save(update_fields=[*fields, "updated_at"])
        _audit(
            actor, connection, audit.changed_fields(Connection, ["api_username", "api_password"])
        )
    logger.info("switched the integration user of connection %s", connection.pk)
    return connection


# --- running syncs ----------------------------------------------------------------------------


def sync_now(
    *,
    connection: Connection,
    entity: str,
    trigger: str = SyncRun.Trigger.MANUAL,
    full: bool = False,
    actor: Any = None,
) -> None:
    """Queues an immediate run of one object type (django-q2, after commit; ids only)."""
    if not connection.is_active:
        raise ApplicationError(_("This connection is not active."))
    if not connection.is_connected(entity):
        raise ApplicationError(
            _("%(entity)s is not connected to %(connection)s.")
            % {"entity": entity, "connection": connection}
        )
    connection_id = connection.pk
    if entity == Entity.HOUR:
        func, args = "apps.integrations.jobs.push_pending", (connection_id,)
    else:
        func, args = "apps.integrations.jobs.sync_entity", (connection_id, entity, trigger, full)

    def enqueue() -> None:
        from django_q.tasks import async_task

        async_task(func, *args, task_name=f"sync {connection_id} {entity}", group="integrations")

    transaction.on_commit(enqueue, robust=True)
    if actor is not None:
        _audit(
            actor,
            connection,
            _("Asked for a %(kind)s sync of %(entity)s")
            % {"kind": _("full") if full else _("new changes"), "entity": entity},
        )


def connection_sync_now(
    *, connection: Connection, full: bool = False, actor: Any = None, trigger: str | None = None
) -> None:
    """Queues a run of every connected object type, in dependency order, in one job."""
    if not connection.is_active:
        raise ApplicationError(_("This connection is not active."))
    connection_id = connection.pk
    if trigger is None:
        trigger = SyncRun.Trigger.MANUAL if actor is not None else SyncRun.Trigger.SCHEDULE

    def enqueue() -> None:
        from django_q.tasks import async_task

        async_task(
            "apps.integrations.jobs.sync_connection",
            connection_id,
            trigger,
            full,
            task_name=f"sync {connection_id}",
            group="integrations",
        )

    transaction.on_commit(enqueue, robust=True)
    _audit(
        actor,
        connection,
        _("Asked for a full sync") if full else _("Asked for a sync of new changes"),
    )


def connection_full_sync_now(
    *, connection: Connection, entity: str, actor: Any = None
) -> Watermark:
    """Forgets the watermark of one object type and queues a full sync of it."""
    with transaction.atomic():
        watermark, _created = Watermark.objects.update_or_create(
            connection=connection, entity=entity, defaults={"value": None}
        )
        sync_now(
            connection=connection,
            entity=entity,
            trigger=SyncRun.Trigger.MANUAL,
            full=True,
            actor=actor,
        )
    return watermark


def hours_transfer_backlog(*, connection: Connection, since: date, actor: Any = None) -> int:
    """Queues the approved hours dated on/after `since` that 24SO has not got (the outbox the
    approval hook writes to; pushed after commit); audit-logged. Returns how many were queued.

    Connecting does not send the hours approved before it: an office chooses from which date
    its ERP should get them. Pressing twice queues nothing more."""
    from apps.integrations import selectors
    from apps.integrations.sync.outbox import enqueue_new

    if not connection.is_active:
        raise ApplicationError(_("This connection is not active."))
    if connection.hour_transfer == HourTransfer.ON_ORDER:
        raise ApplicationError(
            _(
                "Hours are sent to 24SevenOffice with their order, so approved hours are not "
                "transferred on their own. Create an order from them under Orders."
            )
        )
    if connection.hour_transfer != HourTransfer.ON_APPROVAL:
        raise ApplicationError(
            _(
                "Hours are never sent to 24SevenOffice. Choose “When hours are approved” "
                "under Hour transfer first."
            )
        )
    with transaction.atomic():
        ids = list(
            selectors.hours_transfer_backlog_entries(connection=connection, since=since)
            .order_by("date", "id")
            .values_list("pk", flat=True)
        )
        # In bulk: the selector left out every hour with a waiting, unsure or failed row.
        enqueue_new(connection=connection, entity="hour", local_ids=ids)
        if ids:
            _audit(
                actor,
                connection,
                ngettext(
                    "Queued %(count)d approved hour since %(date)s for 24SevenOffice",
                    "Queued %(count)d approved hours since %(date)s for 24SevenOffice",
                    len(ids),
                )
                % {"count": len(ids), "date": formats.date_format(since, "SHORT_DATE_FORMAT")},
            )
    logger.info(
        "queued %d approved hours since %s for connection %s", len(ids), since, connection.pk
    )
    return len(ids)


def watermark_set(*, watermark: Watermark, value: Any, actor: Any = None) -> Watermark:
    """Moves where the next incremental pull starts (None: everything)."""
    with transaction.atomic():
        Watermark.objects.filter(pk=watermark.pk).update(value=value)
        watermark.refresh_from_db()
        _audit(
            actor,
            watermark.connection,
            _("Set the last sync of %(entity)s to %(value)s")
            % {"entity": watermark.entity, "value": value or "—"},
        )
    return watermark
