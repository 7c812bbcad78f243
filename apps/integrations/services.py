"""Connecting an ERP, changing what is kept in step, and asking for a sync now.

Credentials are checked live against the ERP before anything is stored, stored encrypted, and
never put in task arguments, log lines or messages.
"""

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import jsonschema
from django.contrib.admin.models import ADDITION, CHANGE
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables

from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import Entity
from apps.integrations.models import Connection, HourTransfer, Master, SyncRun, Watermark
from apps.integrations.registry import connector_capabilities, spec_for

logger = logging.getLogger(__name__)
# Hidden from error reports (the traceback e-mailed to ADMINS, the DEBUG page): the frames
# of the functions below handle credentials documents and session state.
SECRET_VARIABLES = ("credentials", "state", "document", "old", "connection")

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


def _audit(actor: Any, obj: Any, message: str, *, flag: int = CHANGE) -> None:
    """The audit trail of connections (apps/core/audit.py): who changed what, in History."""
    audit.record(actor, obj, message, flag=flag)


def _validate_entities(
    system: str, entities: list[str], settings: Mapping[str, Any] | None = None
) -> None:
    capabilities = connector_capabilities(system)
    allowed = spec_for(system).connectable(settings or {}) if capabilities is not None else None
    for entity in entities:
        if entity not in CONNECTABLE:
            raise ApplicationError(_("Unknown object type %(name)s.") % {"name": entity})
        if capabilities is not None and not (
            capabilities.can_pull(Entity(entity)) or capabilities.can_push(Entity(entity))
        ):
            raise ApplicationError(
                _("%(system)s cannot sync %(name)s.")
                % {"system": spec_for(system).display_name, "name": entity}
            )
        if allowed is not None and entity not in allowed:
            raise ApplicationError(
                _("This %(system)s account cannot keep %(name)s in step with Tidsbro.")
                % {"system": spec_for(system).display_name, "name": entity}
            )


def _checked_masters(system: str, masters: Mapping[str, str]) -> dict[str, str]:
    """Who owns each object type, refused where the system cannot take Tidsbro's changes."""
    capabilities = connector_capabilities(system)
    for entity, master in masters.items():
        if entity not in CONNECTABLE or master not in Master.values:
            raise ApplicationError(
                _("%(entity)s cannot have the master %(master)s.")
                % {"entity": entity, "master": master},
                field="masters",
            )
        if (
            master != Master.ERP
            and capabilities is not None
            and not capabilities.can_push(Entity(entity))
        ):
            raise ApplicationError(
                capabilities.notes.get(Entity(entity))
                or _("%(system)s cannot receive %(entity)s from Tidsbro.")
                % {"system": spec_for(system).display_name, "entity": entity},
                field="masters",
            )
    return dict(masters)


def _spec(system: str) -> Any:
    try:
        return spec_for(system)
    except LookupError:
        raise ApplicationError(
            _("Tidsbro cannot connect to %(system)s.") % {"system": system}, field="system"
        ) from None


def _schema_error(error: jsonschema.ValidationError) -> str:
    # Never the value itself: a credentials document holds passwords.
    where = ".".join(str(part) for part in error.absolute_path)
    if error.validator in ("required", "additionalProperties"):
        return error.message  # names the property, not its value
    return f"{where or '—'}: {error.validator}"


def _validate_document(
    spec: Any, document: Any, *, schema: Any, what: str, field: str
) -> dict[str, Any]:
    document = dict(document or {})
    try:
        jsonschema.validate(document, dict(schema))
    except jsonschema.ValidationError as exc:
        raise ApplicationError(
            _("The %(what)s for %(system)s are not valid (%(reason)s).")
            % {"what": what, "system": spec.display_name, "reason": _schema_error(exc)},
            field=field,
        ) from None
    return document


def _already_connected(spec: Any) -> ApplicationError:
    return ApplicationError(
        _("%(system)s is already connected. Change or deactivate that connection first.")
        % {"system": spec.display_name}
    )


@sensitive_variables(*SECRET_VARIABLES)
def connection_create(
    *,
    system: str,
    credentials: Mapping[str, Any],
    settings: Mapping[str, Any] | None = None,
    state: Mapping[str, Any] | None = None,
    connected: Iterable[str] = (),
    masters: Mapping[str, str] | None = None,
    hour_transfer: str = HourTransfer.ON_APPROVAL,
    sso: bool = False,
    display_name: str = "",
    actor: Any = None,
) -> Connection:
    """Stores a connection whose credentials the connector has checked (encrypted), after
    validating its documents against the connector's schemas; audit-logged.

    `connected` takes object types or their command-line names ("customers"); `masters`
    defaults to DEFAULT_MASTERS. The live check belongs to the connector's onboarding.
    """
    spec = _spec(system)
    entities = entities_from_names(connected)
    _validate_entities(system, entities, settings)
    if hour_transfer not in HourTransfer.values:
        raise ApplicationError(
            _("Unknown hour transfer %(value)s; choose from %(choices)s.")
            % {"value": hour_transfer, "choices": ", ".join(HourTransfer.values)},
            field="hour_transfer",
        )
    if Connection.objects.filter(system=system, is_active=True).exists():
        raise _already_connected(spec)
    connection = Connection(
        system=system,
        display_name=display_name,
        settings=_validate_document(
            spec, settings, schema=spec.settings_schema, what=_("settings"), field="settings"
        ),
        connected=entities,
        masters={**DEFAULT_MASTERS, **_checked_masters(system, masters or {})},
        hour_transfer=hour_transfer,
        sso_allowed=bool(sso) and spec.sso is not None,
    )
    connection.credentials_doc = _validate_document(
        spec,
        credentials,
        schema=spec.credentials_schema,
        what=_("credentials"),
        field="credentials",
    )
    connection.state_doc = dict(state or {})
    connection.full_clean(exclude=["credentials", "state"])
    try:
        with transaction.atomic():
            connection.save()
            _audit(
                actor,
                connection,
                _("Connected %(connection)s: %(types)s")
                % {"connection": connection, "types": ", ".join(entities) or "—"},
                flag=ADDITION,
            )
    except IntegrityError:
        raise _already_connected(spec) from None
    logger.info("connected %s as connection %s", system, connection.pk)
    return connection


def connection_update_settings(
    *,
    connection: Connection,
    connect: Iterable[str] | None = None,
    masters: dict[str, str] | None = None,
    hour_transfer: str | None = None,
    sso: bool | None = None,
    is_active: bool | None = None,
    settings: Mapping[str, Any] | None = None,
    display_name: str | None = None,
    actor: Any = None,
) -> Connection:
    """Changes what is kept in step and how, and the connector's own settings (validated
    against its schema; no credentials); logs what changed."""
    changed: list[str] = []
    if settings is not None:
        spec = connection.spec
        document = _validate_document(
            spec,
            {**(connection.settings or {}), **settings},
            schema=spec.settings_schema,
            what=_("settings"),
            field="settings",
        )
        if document != connection.settings:
            connection.settings = document
            changed.append("settings")
    if display_name is not None and display_name.strip() != connection.display_name:
        connection.display_name = display_name.strip()
        changed.append("display_name")
    if connect is not None:
        entities = entities_from_names(connect)
        _validate_entities(connection.system, entities, connection.settings)
        if entities != list(connection.connected or []):
            connection.connected = entities
            changed.append("connected")
    if masters is not None:
        masters = _checked_masters(connection.system, masters)
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
        if sso and connection.spec.sso is None:
            raise ApplicationError(
                _("Logging in with %(system)s is not possible.")
                % {"system": connection.spec.display_name},
                field="sso_allowed",
            )
        connection.sso_allowed = sso
        changed.append("sso_allowed")
    if is_active is not None and is_active != connection.is_active:
        if is_active and (
            Connection.objects.filter(system=connection.system, is_active=True)
            .exclude(pk=connection.pk)
            .exists()
        ):
            raise ApplicationError(
                _("Another %(system)s connection is active. Deactivate it first.")
                % {"system": connection.spec.display_name}
            )
        connection.is_active = is_active
        changed.append("is_active")
    if not changed:
        return connection
    connection.full_clean(exclude=["credentials", "state"])
    with transaction.atomic():
        connection.save(update_fields=[*changed, "updated_at"])
        _audit(actor, connection, audit.changed_fields(Connection, changed))
    return connection


@sensitive_variables(*SECRET_VARIABLES)
def connection_replace_credentials(
    *,
    connection: Connection,
    credentials: Mapping[str, Any],
    state: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    actor: Any = None,
) -> Connection:
    """Stores credentials the connector has checked (validated, encrypted), with the session
    state (and settings) that go with them; the audit trail names the changed keys, never
    their values."""
    spec = connection.spec
    document = _validate_document(
        spec,
        credentials,
        schema=spec.credentials_schema,
        what=_("credentials"),
        field="credentials",
    )
    old = connection.credentials_doc
    changed = sorted(k for k in {*old, *document} if old.get(k) != document.get(k))
    fields = ["credentials"]
    connection.credentials_doc = document
    if state is not None:
        connection.state_doc = dict(state)
        fields.append("state")
    if settings is not None:
        connection.settings = _validate_document(
            spec, settings, schema=spec.settings_schema, what=_("settings"), field="settings"
        )
        fields.append("settings")
    with transaction.atomic():
        connection.save(update_fields=[*fields, "updated_at"])
        if changed:
            _audit(
                actor,
                connection,
                json.dumps([{"changed": {"fields": [k.replace("_", " ") for k in changed]}}]),
            )
    logger.info("replaced the credentials of connection %s", connection.pk)
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
    """Forgets the sync position (cursor) of one object type and queues a full sync of it."""
    with transaction.atomic():
        watermark, _created = Watermark.objects.update_or_create(
            connection=connection, entity=entity, defaults={"cursor": ""}
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
    """Queues the approved hours dated on/after `since` that the ERP has not got (the outbox the
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
                "Hours are sent to %(system)s with their order, so approved hours are not "
                "transferred on their own. Create an order from them under Orders."
            )
            % {"system": connection.system_name}
        )
    if connection.hour_transfer != HourTransfer.ON_APPROVAL:
        raise ApplicationError(
            _(
                "Hours are never sent to %(system)s. Choose “When hours are approved” "
                "under Hour transfer first."
            )
            % {"system": connection.system_name}
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
                    "Queued %(count)d approved hour since %(date)s for %(system)s",
                    "Queued %(count)d approved hours since %(date)s for %(system)s",
                    len(ids),
                )
                % {
                    "count": len(ids),
                    "date": formats.date_format(since, "SHORT_DATE_FORMAT"),
                    "system": connection.system_name,
                },
            )
    logger.info(
        "queued %d approved hours since %s for connection %s", len(ids), since, connection.pk
    )
    return len(ids)


def watermark_set(*, watermark: Watermark, value: Any, actor: Any = None) -> Watermark:
    """Moves where the next incremental pull starts, by date (None: everything); only where
    the connector's cursor is a moment in time. Audit-logged."""
    spec = watermark.connection.spec
    if value is not None and not spec.cursor_is_time:
        raise ApplicationError(
            _("%(system)s does not keep its sync position as a time; run a full sync instead.")
            % {"system": spec.display_name},
            field="value",
        )
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    cursor = spec.cursor_from_time(value) if value is not None else ""
    with transaction.atomic():
        Watermark.objects.filter(pk=watermark.pk).update(cursor=cursor)
        watermark.refresh_from_db()
        _audit(
            actor,
            watermark.connection,
            _("Set the last sync of %(entity)s to %(value)s")
            % {"entity": watermark.entity, "value": watermark.describe() or "—"},
        )
    return watermark
