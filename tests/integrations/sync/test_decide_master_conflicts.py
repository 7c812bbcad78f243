"""Tidsbro as master with the system's changes reported (`Capabilities.master_conflicts`):
a change made in the system to a field Tidsbro masters becomes a conflict, never written over
nor kept silently; Tidsbro's own changes still go out; a record paired on first sight takes
Tidsbro's values (pure: no database)."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from apps.integrations.sync.decide import Action, Bound, Master, State, by_master, decide
from apps.integrations.sync.merge import merge
from apps.integrations.sync.types import RemoteRecord

FIELDS = ("name", "email", "phone")


def record(values: dict[str, Any]) -> RemoteRecord:
    return RemoteRecord(external_id="1", values=values)


def linked(snapshot: dict[str, Any]) -> Bound:
    return Bound(state=State.LINKED, snapshot=snapshot, remote_values=snapshot)


def test_a_change_made_in_the_system_is_a_conflict_not_overwritten():
    base = {"name": "Fjord AS", "email": "post@fjord.no", "phone": ""}
    decision = decide(
        record=record({**base, "name": "Fjord Consulting AS"}),
        binding=linked(base),
        local=base,
        fields=FIELDS,
        master=Master.TIDSBRO,
        master_conflicts=True,
    )
    assert decision.action == Action.MERGE
    assert decision.state == State.CONFLICT
    assert not decision.push
    assert not decision.to_local
    assert [(c.field, c.local, c.remote) for c in decision.conflicts] == [
        ("name", "Fjord AS", "Fjord Consulting AS")
    ]
    # The base stays what was synced: the next pull meets the same conflict, not news.
    assert decision.snapshot["name"] == "Fjord AS"


def test_without_the_capability_tidsbro_writes_over_the_systems_change():
    base = {"name": "Fjord AS", "email": "", "phone": ""}
    decision = decide(
        record=record({**base, "name": "Changed there"}),
        binding=linked(base),
        local=base,
        fields=FIELDS,
        master=Master.TIDSBRO,
    )
    assert decision.push and not decision.conflicts


def test_the_same_open_conflict_met_again_is_no_news():
    base = {"name": "Fjord AS", "email": "", "phone": ""}
    first = decide(
        record=record({**base, "name": "Other"}),
        binding=linked(base),
        local=base,
        fields=FIELDS,
        master=Master.TIDSBRO,
        master_conflicts=True,
    )
    again = decide(
        record=record({**base, "name": "Other"}),
        binding=Bound(
            state=State.CONFLICT,
            snapshot=dict(first.snapshot),
            remote_values={**base, "name": "Other"},
        ),
        local=base,
        fields=FIELDS,
        master=Master.TIDSBRO,
        master_conflicts=True,
        open_conflicts={"name": ("Fjord AS", "Other")},
    )
    assert again.action == Action.SKIP


def test_tidsbros_own_change_still_goes_out_beside_a_conflict():
    base = {"name": "Fjord AS", "email": "a@fjord.no", "phone": "1"}
    decision = decide(
        record=record({**base, "phone": "2"}),
        binding=linked(base),
        local={**base, "email": "b@fjord.no"},
        fields=FIELDS,
        master=Master.TIDSBRO,
        master_conflicts=True,
    )
    assert decision.push
    assert [c.field for c in decision.conflicts] == ["phone"]


def test_a_record_paired_on_first_sight_takes_tidsbros_values_and_fills_its_gaps():
    # Paired by number: the base holds only what Tidsbro left empty.
    decision = decide(
        record=record({"name": "Fjord A/S", "email": "post@fjord.no", "phone": ""}),
        binding=Bound(
            state=State.LINKED, snapshot={"email": "", "phone": ""}, remote_values={}, synced=False
        ),
        local={"name": "Fjord AS", "email": "", "phone": ""},
        fields=FIELDS,
        master=Master.TIDSBRO,
        master_conflicts=True,
    )
    assert decision.push and not decision.conflicts
    assert decision.to_local == {"email": "post@fjord.no"}
    assert decision.state == State.LINKED


def test_after_the_first_sync_an_empty_field_filled_in_the_system_is_a_conflict():
    decision = decide(
        record=record({"name": "Fjord AS", "email": "post@fjord.no", "phone": ""}),
        binding=linked({"name": "Fjord AS", "email": "", "phone": ""}),
        local={"name": "Fjord AS", "email": "", "phone": ""},
        fields=FIELDS,
        master=Master.TIDSBRO,
        master_conflicts=True,
    )
    assert [c.field for c in decision.conflicts] == ["email"] and not decision.to_local


values = st.sampled_from(["", "a", "b", "c"])
records = st.fixed_dictionaries({f: values for f in FIELDS})


@given(base=records, local=records, remote=records)
def test_the_systems_changes_are_never_written_over_nor_taken(base, local, remote):
    result = by_master(
        merge(base=base, local=local, remote=remote, fields=FIELDS),
        local,
        remote,
        master=Master.TIDSBRO,
        master_conflicts=True,
    )
    assert not result.to_local  # Tidsbro is master: nothing of the system's is written here
    conflicted = {c.field for c in result.conflicts}
    for name in FIELDS:
        if remote[name] != base[name] and remote[name] != local[name]:
            # Changed there (and not to Tidsbro's value): the office decides.
            assert name in conflicted
            assert name not in result.to_remote
        elif local[name] != base[name] and local[name] != remote[name]:
            assert result.to_remote.get(name) == local[name]


def test_a_deletion_in_the_system_leaves_tidsbros_record_as_it_is():
    base = {"name": "Fjord AS", "email": "", "phone": ""}
    decision = decide(
        record=RemoteRecord(external_id="1", values=base, deleted=True),
        binding=linked(base),
        local=base,
        fields=FIELDS,
        master=Master.TIDSBRO,
        master_conflicts=True,
        deleted_values={"name": "(gone)"},
    )
    assert decision.action == Action.MARK_MISSING and decision.state == State.MISSING_REMOTELY
    assert not decision.mark_deleted
    assert decision.snapshot == base
