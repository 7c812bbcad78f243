"""django-q2 entry points: thin, ids only, one service call each, a short summary back."""

from apps.integrations.models import Connection, SyncRun
from apps.integrations.sync import budget, engine, outbox


def _summary(run: SyncRun | None) -> str:
    if run is None:
        return "nothing to do"
    return (
        f"{run.entity} {run.status}: fetched {run.fetched}, created {run.created}, "
        f"updated {run.updated}, pushed {run.pushed}, conflicts {run.conflicts}, "
        f"errors {run.errors}, requests {run.requests}"
    )


def sync_entity(connection_id: int, entity: str, trigger: str, full: bool = False) -> str:
    connection = Connection.objects.get(pk=connection_id, is_active=True)
    return _summary(
        engine.sync_entity(connection=connection, entity=entity, trigger=trigger, full=full)
    )


def push_pending(connection_id: int) -> str:
    connection = Connection.objects.filter(pk=connection_id, is_active=True).first()
    if connection is None:
        return "connection gone"
    # One line per object type the push carried (History has a run for each).
    return "; ".join(_summary(run) for run in outbox.push_runs(connection=connection)) or (
        _summary(None)
    )


def sweep_outbox() -> str:
    """Every minute: pushes whatever a lost kick or a backoff left waiting, and ends runs a
    stopped worker left "running"."""
    engine.close_abandoned_runs()
    results = [push_pending(c.pk) for c in Connection.objects.filter(is_active=True)]
    return "; ".join(results) or "no connections"


def _has_adapter(entity: str) -> bool:
    from apps.integrations.registry import adapters

    return entity in adapters()


def sync_connection(connection_id: int, trigger: str, full: bool = False) -> str:
    """Pulls every connected object type of one connection in dependency order."""
    from apps.integrations.selectors import entities_in_sync_order

    connection = Connection.objects.filter(pk=connection_id, is_active=True).first()
    if connection is None:
        return "connection gone"
    results = []
    for entity in entities_in_sync_order(connection=connection):
        if not _has_adapter(entity):
            results.append(f"{entity}: not supported yet")
            continue
        results.append(
            _summary(
                engine.sync_entity(connection=connection, entity=entity, trigger=trigger, full=full)
            )
        )
    return "; ".join(results) or "nothing connected"


def pull_all(full: bool = False) -> str:
    """Hourly (incremental) and daily (full): every active connection, one after another."""
    results = [
        sync_connection(c.pk, SyncRun.Trigger.SCHEDULE, full)
        for c in Connection.objects.filter(is_active=True)
    ]
    return " | ".join(results) or "no connections"


def reconcile_entity(connection_id: int, entity: str, trigger: str) -> str:
    connection = Connection.objects.get(pk=connection_id, is_active=True)
    return _summary(engine.reconcile_entity(connection=connection, entity=entity, trigger=trigger))


def reconcile_all() -> str:
    """Nightly: marks records whose ERP id is gone as missing remotely, per connected type."""
    from apps.integrations.selectors import entities_in_sync_order

    results = []
    for connection in Connection.objects.filter(is_active=True):
        for entity in entities_in_sync_order(connection=connection):
            if not _has_adapter(entity):
                continue
            try:
                run = engine.reconcile_entity(
                    connection=connection, entity=entity, trigger=SyncRun.Trigger.SCHEDULE
                )
            except Exception as exc:  # one type failing must not stop the others
                results.append(f"{entity}: {type(exc).__name__}")
                continue
            results.append(_summary(run))
    return "; ".join(results) or "nothing to reconcile"


def prune_request_counts() -> str:
    """Daily: deletes request-budget counts older than a day."""
    return f"{budget.request_counts_prune()} request counts deleted"
