"""django-q2 entry points: thin, ids only, one service call each, a short summary back."""

from apps.integrations.models import Connection, SyncRun
from apps.integrations.sync import engine, outbox


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
    return _summary(outbox.push_pending(connection=connection))


def sweep_outbox() -> str:
    """Every minute: pushes whatever a lost kick or a backoff left waiting."""
    results = [push_pending(c.pk) for c in Connection.objects.filter(is_active=True)]
    return "; ".join(results) or "no connections"
