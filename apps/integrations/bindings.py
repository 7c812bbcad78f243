"""Which remote record is this local one, and which local record is that remote one.

Every such question of the sync, the adapters, orders and screens goes through here, per
connection and object type, for one record or a batch (one query each, never one per record).
A binding with an empty `external_id` is a local record set apart ("no sync") before it was
ever paired: it has no remote id. `which` narrows the answer by the binding's state:

- `ANY`: every pair (a record set apart or missing remotely still has its remote id);
- `SYNCED`: pairs the sync keeps in step — not set apart with "no sync";
- `PRESENT`: synced pairs whose remote record still exists (not "missing remotely").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from apps.integrations.models import Binding

State = Binding.State
ANY, SYNCED, PRESENT = "any", "synced", "present"
_LEFT_OUT: dict[str, tuple[str, ...]] = {
    ANY: (),
    SYNCED: (State.EXCLUDED,),
    PRESENT: (State.EXCLUDED, State.MISSING_REMOTELY),
}


def _paired(connection: Any, entity: str, which: str = ANY) -> QuerySet[Binding]:
    """The bindings of `entity` that have a remote id, narrowed by `which`."""
    qs = Binding.objects.filter(connection=connection, entity=entity).exclude(external_id="")
    left_out = _LEFT_OUT[which]
    if len(left_out) == 1:
        qs = qs.exclude(state=left_out[0])
    elif left_out:
        qs = qs.exclude(state__in=left_out)
    return qs


def _ids(values: Iterable[Any]) -> set[Any]:
    return {v for v in values if v not in (None, "")}


# LOCAL → REMOTE
# ------------------------------------------------------------------------------
def remote_ids(
    connection: Any, entity: str, local_ids: Iterable[int | None], *, which: str = ANY
) -> dict[int, str]:
    """Local id → remote id of the paired records among `local_ids` (one query; none when
    there are no ids)."""
    ids = _ids(local_ids)
    if not ids:
        return {}
    return dict(
        _paired(connection, entity, which)
        .filter(local_id__in=ids)
        .values_list("local_id", "external_id")
    )


def remote_id(connection: Any, entity: str, local_id: int | None, *, which: str = ANY):
    """The remote id of one local record, or None when it has no partner (one query)."""
    return remote_ids(connection, entity, [local_id], which=which).get(local_id)


def is_paired(connection: Any, entity: str, local_id: int | None, *, which: str = SYNCED) -> bool:
    """Whether the local record has its partner in the system (and is synced, by default)."""
    if local_id is None:
        return False
    return _paired(connection, entity, which).filter(local_id=local_id).exists()


def paired_local_ids(
    connection: Any, entity: str, local_ids: Iterable[int | None], *, which: str = SYNCED
) -> set[int]:
    """The ids among `local_ids` whose record has its partner (one query)."""
    ids = _ids(local_ids)
    if not ids:
        return set()
    return set(
        _paired(connection, entity, which)
        .filter(local_id__in=ids)
        .values_list("local_id", flat=True)
    )


# REMOTE → LOCAL
# ------------------------------------------------------------------------------
def local_ids(connection: Any, entity: str, external_ids: Iterable[Any]) -> dict[str, int]:
    """Remote id → local id of the paired records among `external_ids` (one query)."""
    wanted = {str(r) for r in _ids(external_ids)}
    if not wanted:
        return {}
    return dict(
        Binding.objects.filter(
            connection=connection, entity=entity, external_id__in=wanted, local_id__isnull=False
        ).values_list("external_id", "local_id")
    )


def local_id(connection: Any, entity: str, external_id: Any) -> int | None:
    """The local id of one remote record, or None when it has no partner (one query)."""
    return local_ids(connection, entity, [external_id]).get(str(external_id))


def all_local_ids(connection: Any, entity: str) -> dict[str, int]:
    """Remote id → local id of every paired record of `entity` (one query; e.g. the mapped
    users of a connection)."""
    return dict(
        Binding.objects.filter(connection=connection, entity=entity, local_id__isnull=False)
        .exclude(external_id="")
        .values_list("external_id", "local_id")
    )


# WHAT THE BINDINGS HOLD
# ------------------------------------------------------------------------------
def snapshots(connection: Any, entity: str, local_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Local id → the snapshot of its binding (the values both sides agreed on last)."""
    ids = _ids(local_ids)
    if not ids:
        return {}
    return {
        local_id: snapshot or {}
        for local_id, snapshot in Binding.objects.filter(
            connection=connection, entity=entity, local_id__in=ids
        ).values_list("local_id", "snapshot")
    }


def remote_values(
    connection: Any, entity: str, external_ids: Iterable[Any] | None = None, *, which: str = ANY
) -> dict[str, dict[str, Any]]:
    """Remote id → the system's last known values (else the snapshot) of the paired records
    of `entity` (of `external_ids` only, when given); one query."""
    rows = _paired(connection, entity, which)
    if external_ids is not None:
        rows = rows.filter(external_id__in=[str(e) for e in external_ids])
    return {
        external_id: (remote or snapshot or {})
        for external_id, snapshot, remote in rows.values_list(
            "external_id", "snapshot", "remote_values"
        )
    }


def snapshots_by_remote_id(
    connection: Any, entity: str, external_ids: Iterable[Any] | None = None, *, which: str = ANY
) -> dict[str, dict[str, Any]]:
    """Remote id → the snapshot of the paired records of `entity` (one query)."""
    rows = _paired(connection, entity, which)
    if external_ids is not None:
        rows = rows.filter(external_id__in=[str(e) for e in external_ids])
    return {e: s or {} for e, s in rows.values_list("external_id", "snapshot")}


def paired_subquery(connection: Any, entity: str, *, which: str = ANY) -> QuerySet[Binding]:
    """Local ids (a subquery) of the records of `entity` that have their partner."""
    return _paired(connection, entity, which).filter(local_id__isnull=False).values("local_id")


def has_binding(connection: Any, entity: str, local_id: int) -> bool:
    """Whether the local record has any binding: paired, set apart ("no sync") or missing
    remotely (one query)."""
    return Binding.objects.filter(connection=connection, entity=entity, local_id=local_id).exists()


def with_binding(connection: Any, entity: str) -> QuerySet[Binding]:
    """Local ids (a subquery) of the records with any binding of `entity`: paired, or set
    apart with "no sync"."""
    return Binding.objects.filter(
        connection=connection, entity=entity, local_id__isnull=False
    ).values("local_id")


def unbound(connection: Any, entity: str, qs: QuerySet) -> QuerySet:
    """`qs` less the records with any binding of `entity` (linked, or marked "no sync")."""
    return qs.exclude(pk__in=with_binding(connection, entity))


def carry_reference(
    local_ref: str | None, local_fk: int | None, snapshot_ref: Any, resolvable: set[str]
) -> Any:
    """A reference the system has but Tidsbro cannot hold (its target was never imported,
    e.g. a deleted customer) is reported as the system's value, so the sync never "clears"
    it (pure)."""
    if local_fk is None and snapshot_ref not in (None, "") and str(snapshot_ref) not in resolvable:
        return snapshot_ref
    return local_ref
