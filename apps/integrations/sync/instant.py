"""Pulling a few named records now (an ERP told Tidsbro they changed): the current state of each,
read one by one and applied like a page of a pull, under the object type's run lease.

- The same lease as the pulls (`runs.sync_run`): an instant pull and a poll of one object type
  never write at once; when a poll holds it, the run is written "already running" and nothing
  is read (the caller may try again; the poll's overlap reads the change anyway).
- The record's state now is read, not what the notice said: a notice delivered twice, late or
  out of order changes nothing that a plain pull would not.
- A record that is gone is left to the nightly reconciliation (it marks it missing).
- The watermark is not moved: the polls keep their own position.
- A record with no binding yet is left to the next poll while a create of that object type
  waits with an unknown outcome: it may be that create's record, which the retried create
  pairs (the poll's connector knows how to tell; one record read alone cannot).
"""

from collections.abc import Iterable

from apps.integrations.models import Binding, Connection, OutboxItem, SyncRun
from apps.integrations.registry import adapter_for
from apps.integrations.sync.engine import apply_page
from apps.integrations.sync.runs import sync_run
from apps.integrations.sync.types import Connector, RemoteRecord

# Records one instant pull reads at most (one request each); more wait for the next poll.
MAX_RECORDS = 100


def pull_records(
    connection: Connection,
    entity: str,
    external_ids: Iterable[str],
    *,
    trigger: str = "webhook",
    connector: Connector | None = None,
) -> SyncRun:
    """Reads each record now and applies what exists (writes local records, bindings,
    conflicts, a run row); returns the run ("already running" when a poll holds the lease)."""
    wanted = list(dict.fromkeys(str(i) for i in external_ids if str(i)))[:MAX_RECORDS]
    with sync_run(
        connection=connection, entity=entity, trigger=trigger, connector=connector
    ) as run:
        if not run.already_running and wanted:
            records = [
                record
                for record in (run.connector.fetch_one(entity, i) for i in wanted)
                if record is not None
            ]
            run.stats.fetched += len(records)
            records = _without_unsure_creates(connection, entity, records)
            run.stats.skipped += run.stats.fetched - len(records)
            if records:
                apply_page(connection, adapter_for(entity), records, run.stats, lease=run.lease)
    return run.row


def _without_unsure_creates(
    connection: Connection, entity: str, records: list[RemoteRecord]
) -> list[RemoteRecord]:
    """`records` less the unbound ones while a create of `entity` has an unknown outcome."""
    if not records:
        return records
    unsure = OutboxItem.objects.filter(
        connection=connection, entity=entity, status=OutboxItem.Status.AMBIGUOUS
    ).exists()
    if not unsure:
        return records
    bound = set(
        Binding.objects.filter(
            connection=connection,
            entity=entity,
            external_id__in=[r.external_id for r in records],
        ).values_list("external_id", flat=True)
    )
    return [r for r in records if r.external_id in bound]
