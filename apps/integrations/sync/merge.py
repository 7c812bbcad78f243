"""The three-way merge of one record, field by field, against the values of the last sync.

Pure: no database, no network. Values must be canonical (JSON-able, normalised by the mapper)
so that equal means equal.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldConflict:
    field: str
    base: Any
    local: Any
    remote: Any


@dataclass
class MergeResult:
    """What to write where. `base` is the new snapshot for every field that now agrees."""

    to_local: dict[str, Any] = field(default_factory=dict)
    to_remote: dict[str, Any] = field(default_factory=dict)
    conflicts: list[FieldConflict] = field(default_factory=list)
    base: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.to_local or self.to_remote or self.conflicts)


_MISSING = object()


def merge(
    *,
    base: Mapping[str, Any],
    local: Mapping[str, Any],
    remote: Mapping[str, Any],
    fields: Iterable[str],
) -> MergeResult:
    """Merges one record: one-sided changes flow, equal changes agree, different ones conflict.

    A field missing from `base` (never synced) counts as changed on both sides: equal values
    agree, different ones conflict. A field missing from `local` or `remote` is not compared
    (that side does not carry it) and the other side's value is kept in the base.
    """
    result = MergeResult()
    for name in fields:
        b = base.get(name, _MISSING)
        lo = local.get(name, _MISSING)
        re = remote.get(name, _MISSING)
        if lo is _MISSING and re is _MISSING:
            if b is not _MISSING:
                result.base[name] = b
            continue
        if lo is _MISSING:
            result.base[name] = re
            continue
        if re is _MISSING:
            result.base[name] = lo
            continue
        if lo == re:
            result.base[name] = lo
        elif b is not _MISSING and lo == b:
            result.to_local[name] = re
            result.base[name] = re
        elif b is not _MISSING and re == b:
            result.to_remote[name] = lo
            result.base[name] = lo
        else:
            result.conflicts.append(
                FieldConflict(field=name, base=None if b is _MISSING else b, local=lo, remote=re)
            )
            if b is not _MISSING:
                result.base[name] = b
    return result
