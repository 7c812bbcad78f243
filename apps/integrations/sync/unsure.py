"""Pulled records a create of ours may have made, while that create's outcome is unknown.

When the answer to a create was lost (an outbox item "outcome unknown"), the record may exist
in the system already. Importing it on a pull would make a second Tidsbro record; the retried
create pairs it instead (the connector's `find`). So a pull leaves out the unbound records whose
fingerprint equals that of a Tidsbro record with such a create waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from apps.integrations.sync.types import RemoteRecord

logger = logging.getLogger(__name__)


def hold_back_unsure_creates(
    connection: Any,
    entity: str,
    records: Sequence[RemoteRecord],
    fingerprint: Callable[[Mapping[str, Any]], str],
) -> list[RemoteRecord]:
    """`records` less those a create of `entity` with an unknown outcome may have made (not
    bound yet, same `fingerprint` of canonical values as a Tidsbro record whose create is
    unsure, now or as that create sent it). One query when no create is unsure, three otherwise."""
    from apps.integrations.models import Binding, OutboxItem
    from apps.integrations.registry import adapter_for

    unsure_items = list(
        OutboxItem.objects.filter(
            connection=connection, entity=entity, status=OutboxItem.Status.AMBIGUOUS
        ).values_list("local_id", "sent")
    )
    unsure = [local_id for local_id, _sent in unsure_items]
    if not unsure or not records:
        return list(records)
    bound = set(
        Binding.objects.filter(
            connection=connection,
            entity=entity,
            external_id__in=[r.external_id for r in records],
        ).values_list("external_id", flat=True)
    )
    adapter = adapter_for(entity)
    objs = adapter.load(connection, unsure)
    # As each record is now and as its unsure creates sent it (renamed here since).
    waiting = {
        fingerprint(values)
        for values in [
            *adapter.values(connection, list(objs.values())).values(),
            *(values for _local_id, sent in unsure_items for values in sent or []),
        ]
    } - {""}
    kept = []
    for record in records:
        if record.external_id not in bound and fingerprint(record.values) in waiting:
            logger.info(
                "%s %s %s may be our unsure create: left to the retry",
                getattr(connection, "system", ""),
                entity,
                record.external_id,
            )
            continue
        kept.append(record)
    return kept
