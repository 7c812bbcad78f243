"""Reads about the ERP connection: what is connected, how the last runs went, what needs a human."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.integrations import bindings
from apps.integrations.entities import SYNC_ORDER, in_sync_order
from apps.integrations.entities import local_model as _local_model
from apps.integrations.models import (
    Binding,
    Conflict,
    Connection,
    HourTransfer,
    Master,
    OutboxItem,
    SyncRun,
)

# A whole sync runs in the entity registry's SYNC_ORDER (what others point at comes first).
# Object types pulled every hour; their health goes stale when no run succeeded for longer.
HOURLY: frozenset[str] = frozenset(SYNC_ORDER)
STALE_AFTER = timedelta(hours=2)


def connection_list(*, active: bool | None = True) -> QuerySet[Connection]:
    qs = Connection.objects.all()
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("system", "id")


def switch_only_systems() -> list[str]:
    """Systems whose connection keeps nothing in step whatever its settings (it only switches
    a feature on, e.g. each person's calendar): not "the ERP" of the sync screens."""
    from apps.integrations.registry import specs

    return [
        spec.system for spec in specs() if not (spec.capabilities.pull or spec.capabilities.push)
    ]


def sync_connections() -> QuerySet[Connection]:
    """The active connections the sync keeps records in step with (ordered like
    `connection_list`)."""
    return connection_list(active=True).exclude(system__in=switch_only_systems())


def connection_active(*, system: str | None = None) -> Connection | None:
    """The active connection (of `system`, or else the first one the sync keeps records in
    step with)."""
    if system:
        return connection_list(active=True).filter(system=system).first()
    return sync_connections().first()


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
    return in_sync_order(connection.connected or [])


def local_create_refused(entity: str) -> str | None:
    """Why `entity` records cannot be created here (an active connection keeps them in step
    and its system cannot take new ones, e.g. work types in some ERPs), or None when they can."""
    from apps.integrations.registry import connector_capabilities

    connection = connection_for_entity(entity=entity)
    if connection is None:
        return None
    capabilities = connector_capabilities(connection.system)
    if capabilities is None or capabilities.can_push(entity):
        return None
    return str(capabilities.notes.get(entity) or "") or f"{connection} cannot take new {entity}"


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
    # Outbox items of this type: failed for good, waiting for a record, failing and retried.
    failed: int = 0
    waiting: int = 0
    retrying: int = 0
    conflicts: int = 0

    @property
    def runs_ok(self) -> bool:
        return not self.stale and (
            self.last_error is None
            or (
                self.last_success is not None
                and self.last_success.started_at > self.last_error.started_at
            )
        )

    @property
    def level(self) -> str:
        """error: its last run or a transfer failed; warning: not updated for a while, or
        items wait, retry or conflict; ok otherwise."""
        if self.failed or (not self.stale and not self.runs_ok):
            return "error"
        if self.stale or self.waiting or self.retrying or self.conflicts:
            return "warning"
        return "ok"

    @property
    def ok(self) -> bool:
        return self.level == "ok"


def entity_health(*, connection: Connection, now: datetime | None = None) -> list[EntityHealth]:
    """Per connected object type: last run, last success, last error, stale."""
    now = now or timezone.now()
    result = []
    entities = entities_in_sync_order(connection=connection)
    if "hour" in (connection.connected or []):
        entities.append("hour")
    outbox = outbox_counts(connection=connection, by_entity=True)
    from django.db.models import Count

    conflicts = dict(
        open_conflicts(connection=connection)
        .values("binding__entity")
        .annotate(n=Count("pk"))
        .values_list("binding__entity", "n")
    )
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
                failed=outbox.get(entity, {}).get("failed", 0),
                waiting=outbox.get(entity, {}).get("waiting", 0),
                retrying=outbox.get(entity, {}).get("retrying", 0),
                conflicts=conflicts.get(entity, 0),
            )
        )
    return result


def open_conflicts(*, connection: Connection | None = None) -> QuerySet[Conflict]:
    qs = Conflict.objects.filter(resolved_at__isnull=True)
    if connection is not None:
        qs = qs.filter(binding__connection=connection)
    return qs


def unmapped_users(*, connection: Connection) -> QuerySet:
    """Active users with no ERP user linked: their hours go on the integration user. None
    for a system that has no users to link (e.g. one that keeps only customers in step)."""
    if not _has_users(connection):
        return get_user_model().objects.none()
    mapped = bindings.paired_subquery(connection, "user")
    return get_user_model().objects.filter(is_active=True).exclude(pk__in=mapped).order_by("pk")


def connection_with_users() -> Connection | None:
    """The first active connection whose system has users to link to Tidsbro's, if any."""
    for connection in connection_list(active=True):
        if _has_users(connection):
            return connection
    return None


def _has_users(connection: Connection) -> bool:
    """Whether the connection's system has users to link to Tidsbro's (and its account
    allows them: `spec.connectable`)."""
    spec = connection.spec
    return spec.capabilities.can_pull("user") and spec.can_keep(connection.settings or {}, "user")


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


@dataclass(frozen=True)
class BacklogMonth:
    month: date  # the first day of the month
    count: int
    hours: Decimal


@dataclass(frozen=True)
class HourBacklog:
    """Approved hours the ERP has not got and nothing is queued for: what "transfer them now"
    would send."""

    since: date
    count: int
    hours: Decimal
    months: list[BacklogMonth]


def hours_transfer_backlog_default_since() -> date:
    """Where the backlog starts unless the office chooses: the 1st of this month (local)."""
    return timezone.localdate().replace(day=1)


def hours_transfer_backlog_entries(*, connection: Connection, since: date) -> QuerySet:
    """Hours dated on/after `since` that the transfer mode would have sent had they been
    approved while the connection existed, and that the ERP neither has nor is about to get:
    approved (the states the approval hook sends), no hour binding (never transferred), no
    upsert waiting, unsure or failed in the outbox. Empty unless hours go on approval."""
    from apps.integrations.adapters.hours import APPROVED_STATES
    from apps.timesheets.models import TimeEntry

    if connection.hour_transfer != HourTransfer.ON_APPROVAL:
        return TimeEntry.objects.none()
    transferred = Binding.objects.filter(
        connection=connection, entity="hour", local_id=OuterRef("pk")
    )
    # A failed transfer has its own place (History, "Retry now"); queuing it again from
    # here would leave a second row beside the failed one.
    queued = OutboxItem.objects.filter(
        connection=connection,
        entity="hour",
        local_id=OuterRef("pk"),
        operation=OutboxItem.Operation.UPSERT,
    ).exclude(status=OutboxItem.Status.DONE)
    return TimeEntry.objects.filter(status__in=APPROVED_STATES, date__gte=since).exclude(
        Exists(transferred) | Exists(queued)
    )


def hours_transfer_backlog_summary(*, connection: Connection, since: date) -> HourBacklog:
    """How many approved hours (and how many hours in total) are not in the ERP, by month."""
    rows = (
        hours_transfer_backlog_entries(connection=connection, since=since)
        .annotate(month=TruncMonth("date"))
        .order_by()
        .values("month")
        .annotate(n=Count("id"), total=Sum("hours"))
        .order_by("month")
    )
    months = [
        BacklogMonth(month=row["month"], count=row["n"], hours=row["total"] or Decimal("0"))
        for row in rows
    ]
    return HourBacklog(
        since=since,
        count=sum(m.count for m in months),
        hours=sum((m.hours for m in months), Decimal("0")),
        months=months,
    )


# SYNC CENTER
# ------------------------------------------------------------------------------
# The sync center's lists of one object type, each a queryset the screen pages through.
PARTNER_TABS: tuple[str, ...] = (
    "linked",
    "local_only",
    "remote_only",
    "conflict",
    "missing_remotely",
    "excluded",
)
# Local fields the sync center searches, per object type (numbers compared exactly).
PARTNER_SEARCH: dict[str, tuple[str, ...]] = {
    "customer": ("name", "number", "organisation_number", "email"),
    "project": ("name",),
    "work_type": ("name", "product_number"),
    "task": ("name",),
    "user": ("email", "first_name", "last_name"),
}


def _bindings(connection: Connection, entity: str) -> QuerySet[Binding]:
    return Binding.objects.filter(connection=connection, entity=entity)


def partner_local_only(*, connection: Connection, entity: str, search: str = "") -> QuerySet:
    """Tidsbro records of `entity` with no binding at all (not in the ERP, not excluded)."""
    from django.db.models import Exists, OuterRef

    model = _local_model(entity)
    qs = model.objects.filter(
        ~Exists(_bindings(connection, entity).filter(local_id=OuterRef("pk")))
    )
    if entity == "user":
        qs = qs.filter(is_active=True)
    return _search_local(qs, entity, search).order_by("pk")


def _search_local(qs: QuerySet, entity: str, search: str) -> QuerySet:
    search = (search or "").strip()
    if not search:
        return qs
    condition = Q()
    for name in PARTNER_SEARCH.get(entity, ("name",)):
        condition |= Q(**{f"{name}__icontains": search})
    if entity == "project" and search.isdigit():
        condition |= Q(number=int(search))
    return qs.filter(condition)


def partner_bindings(
    *, connection: Connection, entity: str, tab: str, search: str = ""
) -> QuerySet[Binding]:
    """The bindings of one sync center list (`tab`), searched by ERP id, ERP name or the
    local record's fields; ordered by id."""
    State = Binding.State
    qs = _bindings(connection, entity)
    if tab == "linked":
        qs = qs.filter(state=State.LINKED, local_id__isnull=False).exclude(external_id="")
    elif tab == "remote_only":
        qs = qs.filter(local_id__isnull=True).exclude(state=State.EXCLUDED)
    elif tab == "conflict":
        qs = qs.filter(state=State.CONFLICT)
    elif tab == "missing_remotely":
        qs = qs.filter(state=State.MISSING_REMOTELY)
    elif tab == "excluded":
        qs = qs.filter(state=State.EXCLUDED)
    else:
        raise ValueError(tab)
    search = (search or "").strip()
    if search:
        local = _search_local(_local_model(entity).objects.all(), entity, search)
        qs = qs.filter(
            Q(external_id=search)
            | Q(remote_values__name__icontains=search)
            | Q(local_id__in=local.values("pk"))
        )
    return qs.order_by("id")


def partner_counts(*, connection: Connection, entity: str) -> dict[str, int]:
    """How many records each sync center list holds (two queries)."""
    from django.db.models import Count

    State = Binding.State
    linked = Q(state=State.LINKED, local_id__isnull=False) & ~Q(external_id="")
    counts = _bindings(connection, entity).aggregate(
        linked=Count("pk", filter=linked),
        remote_only=Count("pk", filter=Q(local_id__isnull=True) & ~Q(state=State.EXCLUDED)),
        conflict=Count("pk", filter=Q(state=State.CONFLICT)),
        missing_remotely=Count("pk", filter=Q(state=State.MISSING_REMOTELY)),
        excluded=Count("pk", filter=Q(state=State.EXCLUDED)),
    )
    counts["local_only"] = partner_local_only(connection=connection, entity=entity).count()
    return counts


def open_conflicts_by_binding(*, bindings: list[Binding]) -> dict[int, list[Conflict]]:
    """Open conflicts of the given bindings, by binding id (one query)."""
    result: dict[int, list[Conflict]] = {}
    for conflict in Conflict.objects.filter(
        binding__in=[b.pk for b in bindings], resolved_at__isnull=True
    ).order_by("field"):
        result.setdefault(conflict.binding_id, []).append(conflict)
    return result


# HEALTH
# ------------------------------------------------------------------------------
OK, WARNING, ERROR = "ok", "warning", "error"
_LEVELS = {OK: 0, WARNING: 1, ERROR: 2}


def worst(*levels: str) -> str:
    """The most serious of some levels (pure)."""
    return max(levels, key=_LEVELS.__getitem__, default=OK)


@dataclass(frozen=True)
class HealthItem:
    """One thing a person must act on (or may look at), with how many and where to fix it."""

    key: str  # failed | failed_pulls | retrying | waiting | conflicts | unmapped | queued
    label: str
    count: int
    level: str  # ok | warning | error
    url: str


@dataclass(frozen=True)
class HealthPanel:
    """The admin home's integration summary: red when transfers or fetches failed, amber
    when items wait, retry or conflict, or users are unmapped; each with a link."""

    connection: Connection | None
    level: str
    open_conflicts: int
    unmapped_users: int
    dead_outbox: int
    hours_waiting: int
    waiting: int = 0
    retrying: int = 0
    failed_pulls: tuple[str, ...] = ()
    items: tuple[HealthItem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.connection is not None and self.level == OK


def outbox_counts(*, connection: Connection, by_entity: bool = False):
    """Failed, waiting (for a record not in the ERP yet), retrying (failed before, tried
    again) and queued items; per object type when `by_entity` (one query)."""
    from django.db.models import Count

    from apps.integrations.sync.waiting import MARKER

    Status = OutboxItem.Status
    live = Q(status__in=[Status.PENDING, Status.AMBIGUOUS])
    wait = live & Q(last_error__startswith=MARKER)
    aggregates = {
        "failed": Count("pk", filter=Q(status=Status.DEAD)),
        "waiting": Count("pk", filter=wait),
        "retrying": Count(
            "pk", filter=live & ~Q(last_error__startswith=MARKER) & Q(attempts__gt=0)
        ),
        "queued": Count("pk", filter=live & ~Q(last_error__startswith=MARKER) & Q(attempts=0)),
        "hours": Count("pk", filter=live & Q(entity="hour")),
    }
    qs = OutboxItem.objects.filter(connection=connection)
    if not by_entity:
        return qs.aggregate(**aggregates)
    return {row.pop("entity"): row for row in qs.values("entity").annotate(**aggregates)}


def latest_pull_status(*, connection: Connection, entities: list[str]) -> dict[str, str | None]:
    """The status of the newest finished pull of each object type (one query)."""
    from django.db.models import OuterRef, Subquery

    if not entities:
        return {}
    runs = SyncRun.objects.filter(connection=OuterRef("pk"), kind="pull").exclude(
        status__in=[SyncRun.Status.ALREADY_RUNNING, SyncRun.Status.RUNNING]
    )
    row = (
        Connection.objects.filter(pk=connection.pk)
        .annotate(
            **{
                f"s_{e}": Subquery(
                    runs.filter(entity=e).order_by("-started_at", "-id").values("status")[:1]
                )
                for e in entities
            }
        )
        .values(*[f"s_{e}" for e in entities])
        .first()
        or {}
    )
    return {e: row.get(f"s_{e}") for e in entities}


def health_panel() -> HealthPanel:
    """Connection status and what needs a human, for the admin home (five queries)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from apps.integrations.labels import entity_label

    connection = connection_active()
    if connection is None:
        return HealthPanel(None, ERROR, 0, 0, 0, 0)
    outbox = outbox_counts(connection=connection)
    entities = entities_in_sync_order(connection=connection)
    statuses = latest_pull_status(connection=connection, entities=entities)
    failed_pulls = tuple(e for e in entities if statuses.get(e) == SyncRun.Status.FAILED)
    conflicts = open_conflicts(connection=connection).count()
    unmapped = unmapped_users(connection=connection).count()
    history = reverse("admin:integrations_sync_history")
    items = [
        HealthItem(
            "failed",
            _("Transfers failed"),
            outbox["failed"],
            ERROR,
            history + "#sc-dead",
        ),
        HealthItem(
            "failed_pulls",
            _("Fetching failed: %(what)s") % {"what": ", ".join(map(entity_label, failed_pulls))}
            if failed_pulls
            else _("Fetching failed"),
            len(failed_pulls),
            ERROR,
            history + "?failed=1",
        ),
        HealthItem(
            "retrying",
            _("Transfers failing, retried by themselves"),
            outbox["retrying"],
            WARNING,
            history + "#sc-waiting",
        ),
        HealthItem(
            "waiting",
            _("Transfers waiting for a record not in %(system)s yet")
            % {"system": connection.system_name},
            outbox["waiting"],
            WARNING,
            history + "#sc-waiting",
        ),
        HealthItem(
            "conflicts",
            _("Open conflicts"),
            conflicts,
            WARNING,
            reverse("admin:integrations_conflict_changelist"),
        ),
        HealthItem(
            "unmapped",
            _("Users not mapped to a %(system)s user") % {"system": connection.system_name},
            unmapped,
            WARNING,
            reverse("admin:integrations_connection_settings") + "#user-mapping",
        ),
        HealthItem(
            "queued",
            _("Hours queued for transfer"),
            outbox["hours"],
            OK,
            history + "#sc-waiting",
        ),
    ]
    level = worst(*(i.level for i in items if i.count and i.level != OK))
    return HealthPanel(
        connection=connection,
        level=level,
        open_conflicts=conflicts,
        unmapped_users=unmapped,
        dead_outbox=outbox["failed"],
        hours_waiting=outbox["hours"],
        waiting=outbox["waiting"],
        retrying=outbox["retrying"],
        failed_pulls=failed_pulls,
        items=tuple(items),
    )
