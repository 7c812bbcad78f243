"""Random edit histories on both sides, synced through the real engine (pull, outbox push)
against the in-process ERP: no edit is ever lost and the sides converge or conflict."""

from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.customers.models import Customer
from apps.integrations.models import Binding, Conflict, OutboxItem
from apps.integrations.sync import engine, outbox
from tests.integrations.sync.fakes import FakeConnector, FakeERP

FIELDS = ("name", "email", "phone")
RECORDS = 3
VALUES = st.sampled_from(["x", "y", "z"])

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("local"), st.integers(0, RECORDS - 1), st.sampled_from(FIELDS), VALUES),
        st.tuples(st.just("remote"), st.integers(0, RECORDS - 1), st.sampled_from(FIELDS), VALUES),
        st.tuples(st.just("pull"), st.just(0), st.just(""), st.just("")),
        st.tuples(st.just("push"), st.just(0), st.just(""), st.just("")),
    ),
    max_size=25,
)


class History:
    """The two sides plus the edits not yet known to have reached the other side."""

    def __init__(self, connection: Any, erp: FakeERP, connector: FakeConnector) -> None:
        self.connection, self.erp, self.connector = connection, erp, connector
        self.ids = [
            erp.put({"name": f"n{i}", "email": f"e{i}", "phone": f"p{i}"}) for i in range(RECORDS)
        ]
        self.pull()
        bindings = dict(Binding.objects.values_list("external_id", "local_id"))
        self.local_ids = [bindings[e] for e in self.ids]
        self.unsynced: dict[str, dict[tuple[int, str], str]] = {"local": {}, "remote": {}}

    def local(self, i: int) -> dict[str, Any]:
        return Customer.objects.filter(pk=self.local_ids[i]).values(*FIELDS).get()

    def remote(self, i: int) -> dict[str, Any]:
        return self.erp.records[self.ids[i]]

    def edit(self, side: str, i: int, f: str, value: str) -> None:
        if side == "local":
            # As the customer service does: the change and its outbox row together.
            with transaction.atomic():
                Customer.objects.filter(pk=self.local_ids[i]).update(
                    **{f: value}, updated_at=timezone.now()
                )
                outbox.enqueue(
                    connection=self.connection, entity="customer", local_id=self.local_ids[i]
                )
        else:
            self.erp.put({f: value}, external_id=self.ids[i])
        self.unsynced[side][(i, f)] = value

    def pull(self) -> None:
        run = engine.sync_entity(
            connection=self.connection,
            entity="customer",
            trigger="schedule",
            connector=self.connector,
        )
        assert run.status == "succeeded", run.error_text

    def push(self) -> None:
        OutboxItem.objects.update(next_attempt_at=timezone.now())
        outbox.push_pending(connection=self.connection, connector=self.connector)

    def check(self) -> None:
        """No sync step ever overwrote an edit that had not reached the other side."""
        for side, edits in self.unsynced.items():
            for (i, f), value in list(edits.items()):
                current = (self.local(i) if side == "local" else self.remote(i))[f]
                assert current == value, f"{side} edit {f}={value!r} of record {i} was lost"
        for i in range(RECORDS):
            lo, re = self.local(i), self.remote(i)
            for f in FIELDS:
                if lo[f] == re[f]:  # agreed: those edits have arrived
                    self.unsynced["local"].pop((i, f), None)
                    self.unsynced["remote"].pop((i, f), None)

    def open_conflicts(self, i: int) -> dict[str, Conflict]:
        return {
            c.field: c
            for c in Conflict.objects.filter(
                binding__external_id=self.ids[i], resolved_at__isnull=True
            )
        }


@pytest.mark.django_db
@settings(
    derandomize=True,
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_random_edits_synced_by_the_engine_never_lose_an_edit(connection, ops):
    with transaction.atomic():
        erp = FakeERP()
        history = History(connection, erp, FakeConnector(erp))
        for kind, i, f, value in ops:
            if kind in ("local", "remote"):
                history.edit(kind, i, f, value)
            elif kind == "pull":
                history.pull()
                history.check()
            else:
                history.push()
                history.check()
        # Quiet period: push, pull, push, pull.
        for step in (history.push, history.pull, history.push, history.pull):
            step()
            history.check()
        for i in range(RECORDS):
            lo, re, conflicts = history.local(i), history.remote(i), history.open_conflicts(i)
            for f in FIELDS:
                if f in conflicts:
                    assert (conflicts[f].local_value, conflicts[f].remote_value) == (lo[f], re[f])
                    assert lo[f] != re[f]
                else:
                    assert lo[f] == re[f], (i, f, lo[f], re[f])
        # Every edit has arrived, or is waiting for a human in a conflict.
        for side, edits in history.unsynced.items():
            for i, f in edits:
                assert f in history.open_conflicts(i), (side, i, f)
        assert not OutboxItem.objects.exclude(status=OutboxItem.Status.DONE).exists()
        transaction.set_rollback(True)
