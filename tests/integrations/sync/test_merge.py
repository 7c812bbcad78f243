"""The three-way merge: every case by hand, then random edit histories on both sides."""

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.integrations.sync.merge import FieldConflict, MergeResult, merge

FIELDS = ("name", "email", "phone")


def test_only_local_changed_flows_to_the_remote():
    result = merge(base={"name": "A"}, local={"name": "B"}, remote={"name": "A"}, fields=["name"])
    assert result.to_remote == {"name": "B"}
    assert result.to_local == {}
    assert result.conflicts == []
    assert result.base == {"name": "B"}


def test_only_remote_changed_flows_to_local():
    result = merge(base={"name": "A"}, local={"name": "A"}, remote={"name": "C"}, fields=["name"])
    assert result.to_local == {"name": "C"}
    assert result.to_remote == {}
    assert result.base == {"name": "C"}


def test_both_changed_to_the_same_value_agree_without_a_write():
    result = merge(base={"name": "A"}, local={"name": "B"}, remote={"name": "B"}, fields=["name"])
    assert result == MergeResult(base={"name": "B"})
    assert not result.changed


def test_both_changed_differently_is_a_conflict_and_touches_neither_side():
    result = merge(
        base={"name": "A", "email": "a@x.no"},
        local={"name": "B", "email": "a@x.no"},
        remote={"name": "C", "email": "new@x.no"},
        fields=["name", "email"],
    )
    assert result.conflicts == [FieldConflict(field="name", base="A", local="B", remote="C")]
    # The other field still flows; the conflicted one is written nowhere and keeps its base.
    assert result.to_local == {"email": "new@x.no"}
    assert result.to_remote == {}
    assert result.base == {"name": "A", "email": "new@x.no"}
    assert result.changed


def test_unchanged_record_is_not_changed():
    values = {"name": "A", "email": "", "phone": None}
    result = merge(base=values, local=dict(values), remote=dict(values), fields=FIELDS)
    assert not result.changed
    assert result.base == values


def test_field_missing_on_the_remote_is_not_compared_and_keeps_the_local_value():
    result = merge(
        base={"name": "A", "phone": "1"},
        local={"name": "A", "phone": "2"},
        remote={"name": "A"},
        fields=["name", "phone"],
    )
    assert not result.changed
    assert result.base == {"name": "A", "phone": "2"}


def test_field_missing_locally_is_not_compared_and_keeps_the_remote_value():
    result = merge(base={"phone": "1"}, local={}, remote={"phone": "3"}, fields=["phone"])
    assert not result.changed
    assert result.base == {"phone": "3"}


def test_field_missing_on_both_sides_keeps_its_base():
    result = merge(base={"phone": "1"}, local={}, remote={}, fields=["phone"])
    assert result.base == {"phone": "1"}
    assert not result.changed


def test_never_synced_equal_values_agree():
    result = merge(base={}, local={"name": "A"}, remote={"name": "A"}, fields=["name"])
    assert not result.changed
    assert result.base == {"name": "A"}


def test_never_synced_different_values_conflict_with_no_base():
    result = merge(base={}, local={"name": "A"}, remote={"name": "B"}, fields=["name"])
    assert result.conflicts == [FieldConflict(field="name", base=None, local="A", remote="B")]
    assert result.base == {}
    assert result.to_local == {} and result.to_remote == {}


def test_only_listed_fields_are_merged():
    result = merge(
        base={"name": "A", "x": 1},
        local={"name": "A", "x": 2},
        remote={"name": "A", "x": 3},
        fields=["name"],
    )
    assert not result.changed
    assert result.base == {"name": "A"}


def test_none_and_empty_string_are_different_values():
    result = merge(
        base={"phone": None}, local={"phone": ""}, remote={"phone": None}, fields=["phone"]
    )
    assert result.to_remote == {"phone": ""}


# --- random histories ---------------------------------------------------------------------
# Small value sets so that both sides often make the same change (the "agree" case).
VALUES = st.sampled_from(["a", "b", "c", "", None])
RECORDS = 3


def _op() -> st.SearchStrategy:
    record = st.integers(0, RECORDS - 1)
    field = st.sampled_from(FIELDS)
    return st.one_of(
        st.tuples(st.just("local"), record, field, VALUES),
        st.tuples(st.just("remote"), record, field, VALUES),
        st.tuples(st.just("sync"), st.just(0), st.just(""), st.just(None)),
        st.tuples(st.just("resolve"), record, field, st.sampled_from(["local", "remote"])),
    )


class World:
    """Both sides of a few records, the snapshots and the open conflicts, synced by merge."""

    def __init__(self, initial: list[tuple[dict, dict, bool]]) -> None:
        self.local = [dict(lo) for lo, _re, _synced in initial]
        self.remote = [dict(re) for _lo, re, _synced in initial]
        # A record synced before starts from agreed values; the others were never synced.
        self.base: list[dict[str, Any]] = [
            dict(lo) if synced else {} for lo, _re, synced in initial
        ]
        for i, (_lo, _re, synced) in enumerate(initial):
            if synced:
                self.remote[i] = {k: v for k, v in self.local[i].items() if k in self.remote[i]}
        self.conflicts: list[dict[str, FieldConflict]] = [{} for _ in initial]
        # Edits not yet known to have reached the other side: (record, field) -> value.
        self.unsynced = {"local": {}, "remote": {}}

    def side(self, name: str) -> list[dict[str, Any]]:
        return self.local if name == "local" else self.remote

    def edit(self, name: str, i: int, f: str, value: Any) -> None:
        if name == "remote" and f not in self.remote[i]:
            return  # this record's remote side does not carry the field
        self.side(name)[i][f] = value
        self.unsynced[name][(i, f)] = value

    def resolve(self, i: int, f: str, keep: str) -> None:
        conflict = self.conflicts[i].pop(f, None)
        if conflict is None:
            return
        value = conflict.local if keep == "local" else conflict.remote
        self.local[i][f] = value
        self.remote[i][f] = value
        self.base[i][f] = value
        # A human's choice replaces both edits: the only way an edit may be dropped.
        self.unsynced["local"].pop((i, f), None)
        self.unsynced["remote"].pop((i, f), None)

    def sync(self) -> None:
        for i in range(len(self.local)):
            before = (dict(self.local[i]), dict(self.remote[i]), dict(self.base[i]))
            result = merge(
                base=self.base[i], local=self.local[i], remote=self.remote[i], fields=FIELDS
            )
            for name, target, changes in (
                ("local", self.local[i], result.to_local),
                ("remote", self.remote[i], result.to_remote),
            ):
                for f, value in changes.items():
                    lost = self.unsynced[name].get((i, f), value)
                    assert lost == value, (
                        f"sync overwrote the {name} edit {lost!r} of {f} with {value!r}"
                    )
                    target[f] = value
            self.base[i] = result.base
            self.conflicts[i] = {c.field: c for c in result.conflicts}
            self.check_record(i, before)

    def check_record(self, i: int, before: tuple[dict, dict, dict]) -> None:
        lo0, re0, b0 = before
        lo, re, base = self.local[i], self.remote[i], self.base[i]
        missing = object()
        for f in FIELDS:
            if f not in re:
                # Not carried remotely: never compared, the local value is untouched.
                assert lo.get(f, missing) == lo0.get(f, missing)
                continue
            b = b0.get(f, missing)
            # A side that changed the field since the last agreement is never written to.
            if lo0[f] != b:
                assert lo[f] == lo0[f]
            if re0[f] != b:
                assert re[f] == re0[f]
            if f in self.conflicts[i]:
                c = self.conflicts[i][f]
                assert (c.local, c.remote) == (lo[f], re[f]) and lo[f] != re[f]
                assert lo0[f] != b and re0[f] != b  # only a change on both sides conflicts
                assert base.get(f, missing) == b  # the merge base is kept for later
            else:
                # Everything not in conflict agrees after the sync, and the base says so.
                assert lo[f] == re[f] == base[f]
                for name in ("local", "remote"):
                    if self.unsynced[name].get((i, f), missing) == lo[f]:
                        del self.unsynced[name][(i, f)]  # it reached the other side
            if lo0[f] == b and re0[f] == b:
                assert lo[f] == re[f] == b  # nobody changed it: nothing happens

    def check_converged(self) -> None:
        for i in range(len(self.local)):
            for f in FIELDS:
                if f in self.remote[i]:
                    assert self.local[i][f] == self.remote[i][f] or f in self.conflicts[i]


def _record() -> st.SearchStrategy:
    values = st.fixed_dictionaries({f: VALUES for f in FIELDS})
    # Some records' remote side does not carry "phone" at all.
    return st.tuples(values, values, st.booleans(), st.booleans()).map(
        lambda t: (t[0], {k: v for k, v in t[1].items() if t[3] or k != "phone"}, t[2])
    )


@settings(
    derandomize=True,
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    initial=st.lists(_record(), min_size=RECORDS, max_size=RECORDS),
    ops=st.lists(_op(), max_size=40),
)
def test_random_edits_on_both_sides_never_lose_an_edit(initial, ops):
    world = World(initial)
    for kind, i, f, value in ops:
        if kind in ("local", "remote"):
            world.edit(kind, i, f, value)
        elif kind == "sync":
            world.sync()
            world.check_converged()
        else:
            world.resolve(i, f, value)
    world.sync()
    world.check_converged()
    # Once every conflict is resolved, one more sync leaves both sides equal everywhere and
    # no edit waiting: each one reached the other side or was replaced by a human's choice.
    for i in range(RECORDS):
        for f in list(world.conflicts[i]):
            world.resolve(i, f, "local")
    world.sync()
    for i in range(RECORDS):
        assert not world.conflicts[i]
        for f in FIELDS:
            if f in world.remote[i]:
                assert world.local[i][f] == world.remote[i][f] == world.base[i][f]
    assert not [k for k in world.unsynced["local"] if k[1] in world.remote[k[0]]]
    assert not world.unsynced["remote"]


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    base=st.dictionaries(st.sampled_from(FIELDS), VALUES),
    local=st.dictionaries(st.sampled_from(FIELDS), VALUES),
    remote=st.dictionaries(st.sampled_from(FIELDS), VALUES),
)
def test_applying_a_merge_makes_both_sides_equal_except_conflicts(base, local, remote):
    result = merge(base=base, local=local, remote=remote, fields=FIELDS)
    new_local = {**local, **result.to_local}
    new_remote = {**remote, **result.to_remote}
    conflicted = {c.field for c in result.conflicts}
    for f in FIELDS:
        if f in local and f in remote and f not in conflicted:
            assert new_local[f] == new_remote[f] == result.base[f]
    # Merging again is a no-op: the result is stable.
    again = merge(base=result.base, local=new_local, remote=new_remote, fields=FIELDS)
    assert not again.to_local and not again.to_remote
    assert {c.field for c in again.conflicts} == conflicted
