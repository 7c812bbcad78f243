"""The engine's per-record decision: each case by hand, then properties over random records,
bindings, local values, masters and open conflicts (pure: no database)."""

from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.integrations import models
from apps.integrations.sync.decide import (
    SKIP,
    Action,
    Bound,
    Decision,
    Master,
    Note,
    State,
    decide,
    relinked,
    returns,
)
from apps.integrations.sync.merge import FieldConflict
from apps.integrations.sync.types import RemoteRecord

FIELDS = ("name", "email", "phone")
DELETED_VALUES = {"name": "(slettet)"}


def record(values: dict[str, Any], *, deleted: bool = False) -> RemoteRecord:
    return RemoteRecord(external_id="1", values=values, deleted=deleted)


def linked(snapshot: dict[str, Any], state: str = State.LINKED) -> Bound:
    return Bound(state=state, snapshot=snapshot, remote_values=snapshot)


def test_states_and_masters_are_the_models_values():
    assert {s.value for s in State} == {s.value for s in models.Binding.State}
    assert {m.value for m in Master} == {m.value for m in models.Master}


def test_a_record_seen_for_the_first_time_is_created_unless_deleted():
    new = decide(record=record({"name": "A"}), binding=None, local=None, fields=FIELDS)
    assert new.action == Action.CREATE
    gone = record({"name": "A"}, deleted=True)
    assert decide(record=gone, binding=None, local=None, fields=FIELDS) == SKIP


def test_an_excluded_record_is_skipped_whatever_changed():
    binding = linked({"name": "A"}, State.EXCLUDED)
    decision = decide(
        record=record({"name": "B"}), binding=binding, local={"name": "C"}, fields=FIELDS
    )
    assert decision == SKIP


def test_unchanged_record_is_skipped():
    values = {"name": "A", "email": "", "phone": None}
    decision = decide(
        record=record(values), binding=linked(values), local=dict(values), fields=FIELDS
    )
    assert decision == SKIP


def test_remote_change_updates_local_and_notes_the_fields():
    base = {"name": "A", "email": "a@x.no", "phone": "1"}
    decision = decide(
        record=record({**base, "phone": "2", "email": "b@x.no"}),
        binding=linked(base),
        local=dict(base),
        fields=FIELDS,
    )
    assert decision.action == Action.MERGE
    assert decision.to_local == {"phone": "2", "email": "b@x.no"}
    assert not decision.push
    assert decision.state == State.LINKED
    assert decision.snapshot == {"name": "A", "email": "b@x.no", "phone": "2"}
    assert decision.notes == (Note("updated", ("email", "phone")),)


def test_local_change_is_pushed_and_its_base_stays_the_erps_value():
    base = {"name": "A", "email": "", "phone": "1"}
    decision = decide(
        record=record({**base, "phone": "2"}),
        binding=linked(base),
        local={**base, "email": "ny@x.no"},
        fields=FIELDS,
    )
    assert decision.push
    assert decision.to_local == {"phone": "2"}
    # Until the push succeeds the e-mail's base is what the ERP holds.
    assert decision.snapshot == {"name": "A", "email": "", "phone": "2"}


def test_both_sides_changed_differently_is_a_conflict_recorded_once():
    base = {"name": "A", "email": "", "phone": "1"}
    incoming = record({**base, "name": "Fjern"})
    local = {**base, "name": "Lokal"}
    decision = decide(record=incoming, binding=linked(base), local=local, fields=FIELDS)
    assert decision.action == Action.MERGE
    assert decision.state == State.CONFLICT
    assert decision.conflicts == (FieldConflict("name", "A", "Lokal", "Fjern"),)
    assert decision.notes == (Note("conflict", ("name",)),)
    assert decision.snapshot["name"] == "A"  # the base is kept for the resolution
    assert not decision.to_local and not decision.push
    # Met again as it was: no news.
    again = decide(
        record=incoming,
        binding=Bound(State.CONFLICT, decision.snapshot, incoming.values),
        local=local,
        fields=FIELDS,
        open_conflicts={"name": ("Lokal", "Fjern")},
    )
    assert again == SKIP


def test_an_open_conflict_whose_sides_agree_now_is_settled_with_the_agreed_value():
    base = {"name": "A", "email": "", "phone": "1"}
    decision = decide(
        record=record({**base, "name": "Lokal"}),
        binding=Bound(State.CONFLICT, base, {**base, "name": "Fjern"}),
        local={**base, "name": "Lokal"},
        fields=FIELDS,
        open_conflicts={"name": ("Lokal", "Fjern")},
    )
    assert decision.settled == {"name": "Lokal"}
    assert decision.state == State.LINKED
    assert decision.conflicts == ()


def test_erp_as_master_takes_the_erps_value_over_local_changes_and_conflicts():
    base = {"name": "A", "email": "", "phone": "1"}
    decision = decide(
        record=record({**base, "name": "Fjern", "phone": "7"}),
        binding=linked(base),
        local={**base, "name": "Lokal", "email": "lokal@x.no"},
        fields=FIELDS,
        master=Master.ERP,
    )
    assert decision.to_local == {"name": "Fjern", "email": "", "phone": "7"}
    assert not decision.push and decision.conflicts == ()
    assert decision.state == State.LINKED


def test_tidsbro_as_master_pushes_its_values_over_remote_changes_and_conflicts():
    base = {"name": "A", "email": "", "phone": "1"}
    decision = decide(
        record=record({**base, "name": "Fjern", "phone": "7"}),
        binding=linked(base),
        local={**base, "name": "Lokal", "email": "lokal@x.no"},
        fields=FIELDS,
        master=Master.TIDSBRO,
    )
    assert decision.to_local == {}
    assert decision.push and decision.conflicts == ()
    assert decision.state == State.LINKED
    # The ERP holds its values until the push lands: the push sees Tidsbro's as changes.
    assert decision.snapshot == {"name": "Fjern", "email": "", "phone": "7"}


def test_a_deleted_record_is_marked_missing_and_its_local_record_deactivated():
    base = {"name": "A", "email": "", "phone": "1"}
    gone = record(base, deleted=True)
    decision = decide(
        record=gone,
        binding=linked(base),
        local=dict(base),
        fields=FIELDS,
        deleted_values=DELETED_VALUES,
    )
    assert decision == Decision(
        action=Action.MARK_MISSING,
        state=State.MISSING_REMOTELY,
        snapshot={**base, **DELETED_VALUES},
        mark_deleted=True,
        notes=(Note("deleted_remotely"),),
    )
    missing = Bound(State.MISSING_REMOTELY, decision.snapshot, base)
    assert decide(record=gone, binding=missing, local=dict(base), fields=FIELDS) == SKIP
    # Back in the ERP: undone locally first, then merged (its values flow in).
    back = record(base)
    assert returns(binding=missing, record=back)
    assert not returns(binding=missing, record=gone)
    assert not returns(binding=linked(base), record=back)
    decision = decide(record=back, binding=missing, local=dict(base), fields=FIELDS)
    assert decision.action == Action.MERGE and decision.state == State.LINKED


def test_a_binding_without_local_record_relinks_or_keeps_the_erps_values():
    values = {"name": "A", "email": "", "phone": ""}
    for state in (State.MISSING_REMOTELY, State.REMOTE_ONLY):
        binding = Bound(state, {}, {})
        decision = decide(record=record(values), binding=binding, local=None, fields=FIELDS)
        assert decision.action == Action.RELINK
    only_there = Bound(State.REMOTE_ONLY, {}, values)
    assert relinked(binding=only_there, record=record(values), created=False) == SKIP
    made = relinked(binding=only_there, record=record(values), created=True)
    assert (made.state, made.snapshot, made.notes) == (
        State.LINKED,
        values,
        (Note("relinked"),),
    )
    gone_locally = Bound(State.LINKED, values, values)
    changed = record({**values, "phone": "9"})
    decision = decide(record=changed, binding=gone_locally, local=None, fields=FIELDS)
    assert decision.action == Action.REMEMBER_REMOTE
    assert decide(record=record(values), binding=gone_locally, local=None, fields=FIELDS) == SKIP


# --- properties ----------------------------------------------------------------------------
VALUES = st.sampled_from(["a", "b", "", None])
ALL = st.fixed_dictionaries({f: VALUES for f in FIELDS})
SOME = st.dictionaries(st.sampled_from(FIELDS), VALUES)
MASTERS = st.sampled_from(list(Master))


@dataclass
class World:
    """One record on both sides as the engine sees it, and what the engine wrote so far."""

    remote: RemoteRecord
    binding: Bound | None
    local: dict[str, Any] | None
    open_conflicts: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    pushes: int = 0
    # What `create_many` does with this record: makes/finds a local one, or keeps it remote.
    creates: bool = True

    def decide(self, master: str) -> Decision:
        return decide(
            record=self.remote,
            binding=self.binding,
            local=self.local,
            fields=FIELDS,
            master=master,
            open_conflicts=self.open_conflicts,
            deleted_values=DELETED_VALUES,
        )

    def apply(self, d: Decision) -> None:
        """What the engine writes for a decision (engine._apply, on plain values)."""
        values = self.remote.values
        if d.action == Action.CREATE:
            if self.creates:
                self.local = dict(values)
                self.binding = Bound(State.LINKED, values, values)
            else:
                self.binding = Bound(State.REMOTE_ONLY, values, values)
        elif d.action == Action.RELINK:
            assert self.binding is not None
            outcome = relinked(binding=self.binding, record=self.remote, created=self.creates)
            if self.creates:
                self.local = dict(values)
            if outcome != SKIP:
                self.binding = replace(
                    self.binding,
                    state=outcome.state,
                    snapshot=outcome.snapshot or self.binding.snapshot,
                    remote_values=values,
                )
        elif d.action == Action.MARK_MISSING:
            assert self.binding is not None
            if d.mark_deleted:
                assert self.local is not None
                self.local.update(DELETED_VALUES)
            self.binding = replace(self.binding, state=d.state, snapshot=d.snapshot)
        elif d.action == Action.REMEMBER_REMOTE:
            assert self.binding is not None
            self.binding = replace(self.binding, remote_values=values)
        elif d.action == Action.MERGE:
            assert self.binding is not None and self.local is not None
            self.local.update(d.to_local)
            self.pushes += d.push
            for name in d.settled:
                del self.open_conflicts[name]
            for c in d.conflicts:
                self.open_conflicts[c.field] = (c.local, c.remote)
            self.binding = Bound(d.state, d.snapshot, values)

    def snapshot(self) -> tuple:
        return (self.binding, self.local, dict(self.open_conflicts))


@st.composite
def worlds(draw: st.DrawFn) -> World:
    """Any record, binding, local values and open conflicts, consistent or not (a binding in
    conflict with no open conflict, a stale snapshot …): the decision must cope with each."""
    values = draw(ALL)
    if draw(st.booleans()):  # some ERPs do not carry every field
        values.pop("phone")
    remote = RemoteRecord(external_id="1", values=values, deleted=draw(st.booleans()))
    binding = draw(
        st.none()
        | st.builds(Bound, state=st.sampled_from(list(State)), snapshot=SOME, remote_values=SOME)
    )
    local = draw(st.none() | ALL) if binding is not None else None
    conflicts = {}
    if binding is not None and local is not None:
        conflicts = draw(st.dictionaries(st.sampled_from(FIELDS), st.tuples(VALUES, VALUES)))
    return World(remote, binding, local, conflicts, creates=draw(st.booleans()))


PROPERTY = settings(derandomize=True, max_examples=200, deadline=None)


@PROPERTY
@given(world=worlds(), master=MASTERS)
def test_deciding_again_after_applying_the_decision_changes_nothing(world, master):
    world.apply(world.decide(master))
    settled = world.snapshot()
    again = world.decide(master)
    pushes = world.pushes
    world.apply(again)
    assert world.snapshot() == settled
    # A second pull of the same record is "unchanged", or re-queues a push still waiting, or
    # offers a record kept only in the ERP to create_many again (which keeps it there).
    if again.action == Action.RELINK:
        assert not world.creates
        assert relinked(binding=world.binding, record=world.remote, created=False) == SKIP
    elif again != SKIP:
        assert again.action == Action.MERGE and again.push and pushes
        assert not again.to_local and not again.conflicts and not again.settled
        assert again.notes == ()


@PROPERTY
@given(world=worlds())
def test_erp_as_master_never_pushes_nor_conflicts(world):
    decision = world.decide(Master.ERP)
    assert not decision.push
    assert decision.conflicts == ()
    assert decision.state != State.CONFLICT


@PROPERTY
@given(world=worlds())
def test_tidsbro_as_master_never_writes_an_erp_value_over_a_local_one(world):
    decision = world.decide(Master.TIDSBRO)
    assert decision.to_local == {}
    assert decision.conflicts == ()
    assert decision.state != State.CONFLICT


@PROPERTY
@given(world=worlds(), master=MASTERS)
def test_a_deleted_record_never_deletes_nor_changes_local_values(world, master):
    world.remote = replace(world.remote, deleted=True)
    decision = world.decide(master)
    assert decision.action in (Action.SKIP, Action.MARK_MISSING)
    assert decision.to_local == {} and not decision.push and decision.conflicts == ()
    # The only local effect: deactivated (archived), when there is a local record.
    assert not decision.mark_deleted or world.local is not None


@st.composite
def edits(draw: st.DrawFn) -> tuple[dict, dict, dict]:
    """A record agreed at `base`, then edited on each side: (base, local, remote)."""
    base = draw(ALL)
    local, remote = dict(base), dict(base)
    for name in FIELDS:
        side = draw(st.sampled_from(["none", "local", "remote", "both"]))
        if side in ("local", "both"):
            local[name] = draw(VALUES.filter(lambda v, b=base[name]: v != b))
        if side in ("remote", "both"):
            remote[name] = draw(VALUES.filter(lambda v, b=base[name]: v != b))
    return base, local, remote


@PROPERTY
@given(history=edits(), master=MASTERS)
def test_each_field_is_taken_from_the_side_that_changed_it_or_conflicts(history, master):
    base, local, remote = history
    decision = decide(
        record=record(remote), binding=linked(base), local=dict(local), fields=FIELDS, master=master
    )
    if remote == base:
        # Nothing new in the ERP: the pull leaves it (Tidsbro's own edits went to the outbox
        # when they were made).
        assert decision == SKIP
        return
    pushed = set()
    conflicted = {c.field for c in decision.conflicts}
    for name in FIELDS:
        lo, re, b = local[name], remote[name], base[name]
        if lo == re:
            assert name not in decision.to_local and name not in conflicted
            continue
        if lo != b and re == b:  # changed in Tidsbro only
            if master == Master.ERP:
                assert decision.to_local[name] == re
            else:
                assert name not in decision.to_local
                pushed.add(name)
        elif re != b and lo == b:  # changed in the ERP only
            if master == Master.TIDSBRO:
                assert name not in decision.to_local
                pushed.add(name)
            else:
                assert decision.to_local[name] == re
        else:  # both, differently
            if master == Master.ERP:
                assert decision.to_local[name] == re
            elif master == Master.TIDSBRO:
                assert name not in decision.to_local
                pushed.add(name)
            else:
                assert name in conflicted and name not in decision.to_local
                assert decision.state == State.CONFLICT
    assert decision.push == bool(pushed)
    if pushed or decision.to_local or conflicted:
        assert decision.action == Action.MERGE
    else:  # at most the same change on both sides: a new snapshot, no news
        assert decision.action in (Action.SKIP, Action.MERGE) and decision.notes == ()
