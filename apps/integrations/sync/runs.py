"""The lifecycle of a run, written once: lease (pulls, reconciliations), run rows, the
connector, the failure text, counters and requests."""

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.utils import timezone

from apps.integrations.connectors.base import ConnectorError
from apps.integrations.models import Connection, SyncRun
from apps.integrations.registry import connector_for
from apps.integrations.sync import locks
from apps.integrations.sync.types import Connector, RunStats

logger = logging.getLogger(__name__)

ABANDONED = "The worker running this sync stopped before it finished (its lease ran out)."

# How a failure log names a run of each kind.
_WHAT = {"pull": "sync", "reconcile": "reconciliation", "push": "push"}


def lease_name(connection: Connection, entity: str) -> str:
    """The lease that lets one run at a time sync `entity` for `connection` (pure)."""
    return f"sync:{connection.pk}:{entity}"


@dataclass
class Run:
    """One run in progress: its row, its counters, its lease and (on first use) its connector."""

    row: SyncRun
    connection: Connection
    stats: RunStats = field(default_factory=RunStats)
    lease: tuple[str, str] | None = None  # (name, owner)
    # Another worker holds the lease: the run is written "already running", nothing to do.
    already_running: bool = False
    _connector: Connector | None = None
    _own: bool = False
    _start_requests: int = 0

    @property
    def connector(self) -> Connector:
        """The connection's connector, made on first use (a failure to make it fails the run)."""
        if self._connector is None:
            self._connector = connector_for(self.connection)
            self._own = True
            self._start_requests = self._connector.requests
        return self._connector

    @property
    def requests(self) -> int:
        """Requests this run made so far."""
        if self._connector is None:
            return 0
        return self._connector.requests - self._start_requests

    def close(self) -> None:
        if self._own and self._connector is not None:
            self._connector.close()


@contextmanager
def sync_run(
    *,
    connection: Connection,
    entity: str,
    trigger: str,
    kind: str = "pull",
    full: bool = False,
    connector: Connector | None = None,
) -> Iterator[Run]:
    """Claims the lease of (connection, entity) and writes a run row for the block; ends the
    run "succeeded", or "failed" with a text for the office when the block raises (the error
    is not re-raised), and saves its counters. When another worker holds the lease the run is
    written "already running" at once and `run.already_running` tells the block to do nothing.
    """
    name = lease_name(connection, entity)
    claimed = locks.claim(
        name, on_takeover=lambda: close_previous_holder(connection=connection, entity=entity)
    )
    if claimed is None:
        row = SyncRun.objects.create(
            connection=connection,
            entity=entity,
            kind=kind,
            trigger=trigger,
            full=full,
            status=SyncRun.Status.ALREADY_RUNNING,
            finished_at=timezone.now(),
        )
        yield Run(row=row, connection=connection, already_running=True)
        return
    owner, _version = claimed
    row = SyncRun.objects.create(
        connection=connection, entity=entity, kind=kind, trigger=trigger, full=full
    )
    run = Run(row=row, connection=connection, lease=(name, owner))
    if connector is not None:
        run._connector, run._start_requests = connector, connector.requests
    try:
        yield run
    except Exception as exc:  # every failure ends the run visibly, never leaves it "running"
        record_failure(row, run.stats, exc, what=f"{_WHAT.get(kind, kind)} of {entity}")
    finally:
        locks.release(name, owner)
        run.close()
    finish(row, run.stats, requests=run.requests)


@dataclass
class RunGroup:
    """Runs of several object types sharing one connector (a push: one run per type)."""

    connection: Connection
    runs: dict[str, Run]
    requests: dict[str, int]
    _connector: Connector | None = None
    _own: bool = False

    @property
    def connector(self) -> Connector:
        """The connection's connector, made on first use (a failure to make it fails the runs)."""
        if self._connector is None:
            self._connector = connector_for(self.connection)
            self._own = True
        return self._connector

    @contextmanager
    def counting(self, entity: str) -> Iterator[Connector]:
        """Counts the requests made in the block as `entity`'s run's."""
        connector = self.connector
        start = connector.requests
        try:
            yield connector
        finally:
            self.requests[entity] += connector.requests - start

    def close(self) -> None:
        if self._own and self._connector is not None:
            self._connector.close()


@contextmanager
def run_group(
    *,
    connection: Connection,
    entities: Sequence[str],
    trigger: str,
    kind: str = "push",
    connector: Connector | None = None,
) -> Iterator[RunGroup]:
    """Writes one run row per object type for the block, with no lease (a push's items are
    claimed one by one in the outbox); when the block raises, every run ends "failed" with
    the error's text (not re-raised); each saves its counters and the requests counted for it.
    """
    group = RunGroup(
        connection=connection,
        runs={
            entity: Run(
                row=SyncRun.objects.create(
                    connection=connection, entity=entity, kind=kind, trigger=trigger
                ),
                connection=connection,
            )
            for entity in entities
        },
        requests=dict.fromkeys(entities, 0),
        _connector=connector,
    )
    try:
        yield group
    except Exception as exc:  # e.g. no connector: every run ends failed with the reason
        first, *rest = group.runs.values()
        record_failure(first.row, first.stats, exc, what=f"{_WHAT.get(kind, kind)} runs")
        for run in rest:
            run.row.status, run.row.error_text = first.row.status, first.row.error_text
            run.stats.errors += 1
    finally:
        group.close()
    for entity, run in group.runs.items():
        finish(run.row, run.stats, requests=group.requests[entity])


def record_failure(run: SyncRun, stats: RunStats, exc: Exception, *, what: str) -> None:
    """Marks a run failed with a text for the office; logs bugs with a trace.
    Call it from the `except` block (the trace is the one being handled)."""
    if isinstance(exc, ConnectorError):
        text = str(exc)
    elif isinstance(exc, locks.LeaseLost):
        logger.warning("%s lost its lease to another worker", what)
        text = "Another worker took over this sync (the lease expired); stopped."
    else:
        logger.exception("%s failed", what)
        text = f"{type(exc).__name__}: {exc}"
    run.status = SyncRun.Status.FAILED
    run.error_text = text[:2000]
    stats.errors += 1


def close_previous_holder(*, connection: Connection, entity: str) -> None:
    """We hold the lease now, so a pull/reconciliation still marked running lost it: it died."""
    SyncRun.objects.filter(
        connection=connection, entity=entity, status=SyncRun.Status.RUNNING
    ).exclude(kind="push").update(
        status=SyncRun.Status.FAILED, finished_at=timezone.now(), error_text=ABANDONED
    )


COUNTERS = ("fetched", "created", "updated", "pushed", "skipped", "conflicts", "errors")


def finish(run: SyncRun, stats: RunStats, *, requests: int) -> None:
    """Ends a run now with its counters, requests and change list (writes the row): failed
    if it counted an error, else succeeded."""
    run.finished_at = timezone.now()
    run.status = SyncRun.Status.FAILED if stats.errors else SyncRun.Status.SUCCEEDED
    for counter in COUNTERS:
        setattr(run, counter, getattr(stats, counter))
    run.requests = requests
    run.changes = stats.changes
    run.save()
