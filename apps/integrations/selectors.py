"""Reads about the ERP connection: what is connected, how the last runs went, what needs a human."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.integrations.models import (
    Binding,
    Conflict,
    Connection,
    Master,
    OutboxItem,
    SyncRun,
)

# The order a whole sync runs in: what others point at comes first.
SYNC_ORDER: tuple[str, ...] = ("user", "customer", "work_type", "project", "participant", "task")
# Object types pulled every hour; their health goes stale when no run succeeded for longer.
HOURLY: frozenset[str] = frozenset(SYNC_ORDER)
STALE_AFTER = timedelta(hours=2)


def connection_list(*, active: bool | None = True) -> QuerySet[Connection]:
    qs = Connection.objects.all()
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("system", "id")


def connection_active(*, system: str | None = None) -> Connection | None:
    """The active connection (of `system`, or the first one when not given)."""
    qs = connection_list(active=True)
    if system:
        qs = qs.filter(system=system)
    return qs.first()


def connection_for_entity(*, entity: str) -> Connection | None:
    """The active connection that keeps `entity` in step, if any."""
    for connection in connection_list(active=True):
        if connection.is_connected(entity):
            return connection
    return None


def entity_created_in_erp(*, entity: str) -> Connection | None:
    """The connection that owns `entity` records (connected with the ERP as master), if any."""
    connection = connection_for_entity(entity=entity)
    if connection is not None and connection.master_of(entity) == Master.ERP:
        return connection
    return None


def entities_in_sync_order(*, connection: Connection) -> list[str]:
    """The connection's pulled object types in dependency order (hours are pushed, not here)."""
    connected = set(connection.connected or [])
    return [e for e in SYNC_ORDER if e in connected]


def last_run(*, connection: Connection, entity: str, kind: str = "pull") -> SyncRun | None:
    return (
        SyncRun.objects.filter(connection=connection, entity=entity, kind=kind)
        .exclude(status=SyncRun.Status.ALREADY_RUNNING)
        .order_by("-started_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class EntityHealth:
    """How one object type of one connection is doing."""

    entity: str
    last_run: SyncRun | None
    last_success: SyncRun | None
    last_error: SyncRun | None
    stale: bool

    @property
    def ok(self) -> bool:
        return not self.stale and (
            self.last_error is None
            or (
                self.last_success is not None
                and self.last_success.started_at > self.last_error.started_at
            )
        )


def entity_health(*, connection: Connection, now: datetime | None = None) -> list[EntityHealth]:
    """Per connected object type: last run, last success, last error, stale."""
    now = now or timezone.now()
    result = []
    entities = entities_in_sync_order(connection=connection)
    if "hour" in (connection.connected or []):
        entities.append("hour")
    for entity in entities:
        kind = "push" if entity == "hour" else "pull"
        runs = SyncRun.objects.filter(connection=connection, entity=entity, kind=kind).order_by(
            "-started_at", "-id"
        )
        success = runs.filter(status=SyncRun.Status.SUCCEEDED).first()
        error = runs.filter(status=SyncRun.Status.FAILED).first()
        stale = entity in HOURLY and (
            success is None or (now - (success.finished_at or success.started_at)) > STALE_AFTER
        )
        result.append(
            EntityHealth(
                entity=entity,
                last_run=runs.exclude(status=SyncRun.Status.ALREADY_RUNNING).first(),
                last_success=success,
                last_error=error,
                stale=stale,
            )
        )
    return result


def open_conflicts(*, connection: Connection | None = None) -> QuerySet[Conflict]:
    qs = Conflict.objects.filter(resolved_at__isnull=True)
    if connection is not None:
        qs = qs.filter(binding__connection=connection)
    return qs


def unmapped_users(*, connection: Connection) -> QuerySet:
    """Active users with no ERP user linked: their hours go on the integration user."""
    mapped = Binding.objects.filter(
        connection=connection, entity="user", local_id__isnull=False
    ).exclude(external_id="")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(pk__in=mapped.values("local_id"))
        .order_by("pk")
    )


def dead_outbox_items(*, connection: Connection | None = None) -> QuerySet[OutboxItem]:
    qs = OutboxItem.objects.filter(status=OutboxItem.Status.DEAD)
    if connection is not None:
        qs = qs.filter(connection=connection)
    return qs


def hours_awaiting_transfer(*, connection: Connection) -> QuerySet[OutboxItem]:
    return OutboxItem.objects.filter(
        Q(status=OutboxItem.Status.PENDING) | Q(status=OutboxItem.Status.AMBIGUOUS),
        connection=connection,
        entity="hour",
    )
