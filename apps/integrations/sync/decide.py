"""What a pull does with one ERP record: the engine's per-record decision, before any write.

Pure: plain values in (the record, its binding, the local values, the master, the open
conflicts), a `Decision` out; no database, no Django. The engine loads in bulk, decides per
record, then writes in bulk (`engine._apply`).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from apps.integrations.sync.merge import FieldConflict, MergeResult, merge
from apps.integrations.sync.types import RemoteRecord


class State(StrEnum):
    """A binding's state; the same values as `Binding.State`."""

    LINKED = "linked"
    CONFLICT = "conflict"
    EXCLUDED = "excluded"
    MISSING_REMOTELY = "missing_remotely"
    REMOTE_ONLY = "remote_only"


class Master(StrEnum):
    """Who owns an object type on a connection; the same values as `models.Master`."""

    ERP = "erp"
    TIDSBRO = "tidsbro"
    BOTH = "both"


class Action(StrEnum):
    SKIP = "skip"  # nothing to write (unchanged, excluded, already missing, deleted unknown)
    CREATE = "create"  # first sight: a new local record (or kept only in the ERP) and binding
    RELINK = "relink"  # a binding without a local record: offer the record to create_many again
    MARK_MISSING = "mark_missing"  # gone in the ERP: marked missing, the local record deactivated
    REMEMBER_REMOTE = "remember_remote"  # the local record is gone: keep the ERP's values only
    MERGE = "merge"  # linked: write the merge (local values, push, conflicts, snapshot, state)


@dataclass(frozen=True)
class Bound:
    """What the engine knows of a record from its binding."""

    state: str
    snapshot: Mapping[str, Any]
    remote_values: Mapping[str, Any]
    # False for a binding paired on first sight and never synced yet.
    synced: bool = True


@dataclass(frozen=True)
class Note:
    """One line of the run's change list (History)."""

    action: str
    fields: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Decision:
    """What to write for one record. `None` in `state`/`snapshot` means "leave it as it is"."""

    action: Action
    state: str | None = None
    snapshot: Mapping[str, Any] | None = None
    to_local: Mapping[str, Any] = field(default_factory=dict)
    push: bool = False  # queue the local record for the ERP (it has changes the ERP lacks)
    # New conflicts, or open ones whose sides moved: recorded and counted.
    conflicts: tuple[FieldConflict, ...] = ()
    # Open conflicts whose two sides agree now: field → the agreed value.
    settled: Mapping[str, Any] = field(default_factory=dict)
    mark_deleted: bool = False  # deactivate/archive the local record (never delete it)
    notes: tuple[Note, ...] = ()


SKIP = Decision(action=Action.SKIP)
_NONE = object()


def returns(*, binding: Bound | None, record: RemoteRecord) -> bool:
    """Whether the record is back in the ERP after being missing there: what marking it
    deleted did locally is undone before its local values are read (pure)."""
    return binding is not None and not record.deleted and binding.state == State.MISSING_REMOTELY


def decide(
    *,
    record: RemoteRecord,
    binding: Bound | None,
    local: Mapping[str, Any] | None,
    fields: Iterable[str],
    master: str = Master.BOTH,
    open_conflicts: Mapping[str, tuple[Any, Any]] | None = None,
    deleted_values: Mapping[str, Any] | None = None,
    master_conflicts: bool = False,
) -> Decision:
    """Decides what one pulled record changes (pure).

    `local` is None when the binding has no local record; `open_conflicts` maps a field to
    the (local, remote) values of its open conflict; `deleted_values` are what marking a
    record deleted leaves in its canonical fields; `master_conflicts` (the system's
    capability) makes the ERP's changes to fields Tidsbro masters conflicts (see
    `by_master`)."""
    if binding is None:
        return SKIP if record.deleted else Decision(action=Action.CREATE)
    if binding.state == State.EXCLUDED:
        return SKIP
    if record.deleted:
        if binding.state == State.MISSING_REMOTELY:
            return SKIP
        snapshot = binding.snapshot
        # Where Tidsbro is the master and the system's changes are the office's to decide,
        # a deletion there leaves Tidsbro's record as it is ("missing remotely" says so).
        deactivate = local is not None and not (master == Master.TIDSBRO and master_conflicts)
        if deactivate:
            # What marking it deleted does locally is agreed: if the record comes back, the
            # ERP's values differ from this and flow in.
            snapshot = {**binding.snapshot, **(deleted_values or {})}
        return Decision(
            action=Action.MARK_MISSING,
            state=State.MISSING_REMOTELY,
            snapshot=snapshot,
            mark_deleted=deactivate,
            notes=(Note("deleted_remotely"),),
        )
    if local is None:
        if binding.state in (State.MISSING_REMOTELY, State.REMOTE_ONLY):
            return Decision(action=Action.RELINK)
        # Only in the ERP (the local record is gone): keep its values.
        if binding.remote_values != record.values:
            return Decision(action=Action.REMEMBER_REMOTE)
        return SKIP
    if record.values == binding.snapshot and binding.state == State.LINKED:
        return SKIP  # unchanged remotely (incl. the echo of our own push)
    return _merged(
        record, binding, local, tuple(fields), master, open_conflicts or {}, master_conflicts
    )


def relinked(*, binding: Bound, record: RemoteRecord, created: bool) -> Decision:
    """The outcome of a RELINK once `create_many` answered: linked to the record it made or
    found, or kept only in the ERP (pure)."""
    if created:
        return Decision(
            action=Action.RELINK,
            state=State.LINKED,
            snapshot=record.values,
            notes=(Note("relinked"),),
        )
    if (binding.state, binding.remote_values) == (State.REMOTE_ONLY, record.values):
        return SKIP
    return Decision(action=Action.RELINK, state=State.REMOTE_ONLY)


def _merged(
    record: RemoteRecord,
    binding: Bound,
    local: Mapping[str, Any],
    fields: tuple[str, ...],
    master: str,
    open_here: Mapping[str, tuple[Any, Any]],
    master_conflicts: bool = False,
) -> Decision:
    result = merge(base=binding.snapshot, local=local, remote=record.values, fields=fields)
    result = by_master(
        result,
        local,
        record.values,
        master=master,
        master_conflicts=master_conflicts,
        first_sight=not binding.synced,
    )
    # The ERP has not got the local changes yet (they go through the outbox): until the push
    # succeeds the base of those fields stays the ERP's value, so the push still sees them as
    # local changes and a later pull cannot mistake them for agreed values.
    snapshot = {**result.base, **{f: record.values[f] for f in result.to_remote}}
    found = {c.field: c for c in result.conflicts}
    state = State.CONFLICT if result.conflicts else State.LINKED
    if (
        not result.to_local
        and not result.to_remote
        and binding.snapshot == snapshot
        and binding.remote_values == record.values
        and binding.state == (State.CONFLICT if found or open_here else State.LINKED)
        and found.keys() == open_here.keys()
        and all(open_here[f] == (c.local, c.remote) for f, c in found.items())
    ):
        return SKIP  # nothing new: the same open conflicts, nothing to write
    # Only new conflicts, or open ones whose sides moved, are recorded and counted: one still
    # open as it was (e.g. met again by the echo of a push) is no news.
    fresh = tuple(
        c for c in result.conflicts if open_here.get(c.field, _NONE) != (c.local, c.remote)
    )
    notes = []
    if result.to_local:
        notes.append(Note("updated", tuple(sorted(result.to_local))))
    if fresh:
        notes.append(Note("conflict", tuple(c.field for c in fresh)))
    return Decision(
        action=Action.MERGE,
        state=state,
        snapshot=snapshot,
        to_local=result.to_local,
        push=bool(result.to_remote),
        conflicts=fresh,
        # An open conflict whose two sides have come to agree needs no human any more.
        settled={f: snapshot.get(f) for f in open_here if f not in found},
        notes=tuple(notes),
    )


def by_master(
    result: MergeResult,
    local: Mapping[str, Any],
    remote: Mapping[str, Any],
    *,
    master: str,
    master_conflicts: bool = False,
    first_sight: bool = False,
) -> MergeResult:
    """A merge's outcome under the object type's master (pure; the pull's `decide` and the
    outbox's push use the same rule).

    ERP master: the ERP's values win. Tidsbro master: Tidsbro's values win and are pushed —
    unless `master_conflicts`: then a field the ERP changed since the last sync (Tidsbro did
    not, or did differently) is a conflict the office decides, never silently written over
    or kept; on a record paired on first sight (`first_sight`) a field Tidsbro left empty
    takes the ERP's value and other differences take Tidsbro's."""
    if master == Master.ERP:
        return _erp_wins(result, remote)
    if master == Master.TIDSBRO:
        if master_conflicts:
            return _tidsbro_asks(result, local, remote, first_sight=first_sight)
        return _tidsbro_wins(result, local, remote)
    return result


def _tidsbro_asks(
    result: MergeResult,
    local: Mapping[str, Any],
    remote: Mapping[str, Any],
    *,
    first_sight: bool = False,
) -> MergeResult:
    """Tidsbro master, the ERP's changes reported: remote-only changes become conflicts
    (their base stays the last synced value, so they stay conflicts until resolved); a field
    with no base takes Tidsbro's value. On first sight (a pairing, never synced) what
    Tidsbro left empty takes the ERP's value instead of a conflict."""
    to_remote = dict(result.to_remote)
    base = dict(result.base)
    conflicts = []
    if first_sight:
        # The pairing's base is what Tidsbro left empty: the ERP fills those gaps.
        return MergeResult(
            to_local=dict(result.to_local),
            to_remote=to_remote | {c.field: local[c.field] for c in result.conflicts},
            base=base | {c.field: remote[c.field] for c in result.conflicts},
        )
    for name, value in result.to_local.items():
        # merge() put the ERP's value in the base; the last synced value is the local one
        # (only the ERP changed it).
        base[name] = local[name]
        conflicts.append(
            FieldConflict(field=name, base=local[name], local=local[name], remote=value)
        )
    for conflict in result.conflicts:
        if conflict.field in result.base:
            conflicts.append(conflict)  # both changed, differently: the office decides
        else:
            to_remote[conflict.field] = local[conflict.field]
            base[conflict.field] = remote[conflict.field]
    return MergeResult(to_remote=to_remote, base=base, conflicts=conflicts)


def _erp_wins(result: MergeResult, remote: Mapping[str, Any]) -> MergeResult:
    """The merge for a type the ERP owns: local deviations and conflicts take the ERP's value."""
    to_local = dict(result.to_local)
    base = dict(result.base)
    for name in [*result.to_remote, *(c.field for c in result.conflicts)]:
        to_local[name] = remote[name]
        base[name] = remote[name]
    return MergeResult(to_local=to_local, base=base)


def _tidsbro_wins(
    result: MergeResult, local: Mapping[str, Any], remote: Mapping[str, Any]
) -> MergeResult:
    """The merge for a type Tidsbro owns: the ERP's deviations and conflicts are pushed back
    with Tidsbro's value; nothing from the ERP is written locally."""
    to_remote = dict(result.to_remote)
    base = dict(result.base)
    for name in [*result.to_local, *(c.field for c in result.conflicts)]:
        to_remote[name] = local[name]
        base[name] = remote[name]  # the ERP holds its value until the push succeeds
    return MergeResult(to_remote=to_remote, base=base)
