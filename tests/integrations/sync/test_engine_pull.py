"""Pulling one object type through the engine against an in-process ERP and the real
Customer model: creates, merges, conflicts, deletions, watermarks and query counts."""

from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.customers.models import Customer
from apps.integrations.models import Binding, Conflict, Lease, OutboxItem, SyncRun, Watermark
from apps.integrations.sync import engine, outbox
from tests.integrations.sync.fakes import OVERLAP, FakeConnector

pytestmark = pytest.mark.django_db

State = Binding.State


def pull(connection, connector, **kwargs) -> SyncRun:
    return engine.sync_entity(
        connection=connection,
        entity="customer",
        trigger=SyncRun.Trigger.MANUAL,
        connector=connector,
        **kwargs,
    )


def seed(erp, n: int = 3) -> list[str]:
    return [
        erp.put({"name": f"Kunde {i}", "email": f"k{i}@example.no", "phone": f"{i:08d}"})
        for i in range(n)
    ]


def binding_of(external_id: str) -> Binding:
    return Binding.objects.get(entity="customer", external_id=external_id)


def local_of(external_id: str) -> Customer:
    return Customer.objects.get(pk=binding_of(external_id).local_id)


def writes_to(queries, *tables: str) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
        and any(t in q["sql"] for t in tables)
    ]


def test_first_pull_creates_local_records_and_bindings_with_snapshots(connection, erp, connector):
    ids = seed(erp)
    run = pull(connection, connector)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.fetched, run.created, run.updated, run.conflicts) == (3, 3, 0, 0)
    assert run.requests == 1
    for i, external_id in enumerate(ids):
        binding = binding_of(external_id)
        assert binding.state == State.LINKED
        assert binding.snapshot == erp.records[external_id]
        assert binding.remote_values == erp.records[external_id]
        assert binding.synced_at is not None
        customer = Customer.objects.get(pk=binding.local_id)
        assert (customer.name, customer.email, customer.phone) == (
            f"Kunde {i}",
            f"k{i}@example.no",
            f"{i:08d}",
        )
    assert not OutboxItem.objects.exists()  # what came from the ERP is never pushed back
    assert not Lease.objects.exclude(owner="").exists()


def test_second_pull_without_remote_changes_writes_nothing(connection, erp, connector):
    seed(erp, 20)
    pull(connection, connector)
    stamps = dict(Customer.objects.values_list("pk", "updated_at"))
    synced = dict(Binding.objects.values_list("pk", "synced_at"))
    with CaptureQueriesContext(db) as queries:
        run = pull(connection, connector)
    # Everything was re-read (inside the overlap window) and found unchanged.
    assert (run.fetched, run.skipped, run.created, run.updated) == (20, 20, 0, 0)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert writes_to(queries.captured_queries, "customers_customer", "integrations_binding") == []
    assert len(queries) <= 18  # fixed per run: lease, run row, watermark, savepoints
    assert dict(Customer.objects.values_list("pk", "updated_at")) == stamps
    assert dict(Binding.objects.values_list("pk", "synced_at")) == synced


def test_remote_change_flows_to_local(connection, erp, connector):
    (external_id, *_rest) = seed(erp)
    pull(connection, connector)
    erp.put({"phone": "99999999"}, external_id=external_id)
    run = pull(connection, connector)
    assert run.updated == 1
    assert local_of(external_id).phone == "99999999"
    assert binding_of(external_id).snapshot["phone"] == "99999999"
    assert not OutboxItem.objects.exists()
    assert run.changes[-1]["fields"] == ["phone"]


def test_local_and_remote_changes_to_different_fields_both_flow(connection, erp, connector):
    (external_id, *_rest) = seed(erp)
    pull(connection, connector)
    # A local edit whose push has not happened yet (e.g. the ERP was down) ...
    Customer.objects.filter(pk=local_of(external_id).pk).update(email="ny@example.no")
    # ... and a remote edit of another field.
    erp.put({"phone": "12345678"}, external_id=external_id)

    run = pull(connection, connector)
    customer = local_of(external_id)
    assert (customer.email, customer.phone) == ("ny@example.no", "12345678")
    item = OutboxItem.objects.get()
    assert (item.entity, item.local_id, item.status) == ("customer", customer.pk, "pending")
    assert run.conflicts == 0
    # Until the push succeeds the base of the e-mail stays the ERP's value: the push must
    # still see the local change.
    assert binding_of(external_id).snapshot["email"] == "k0@example.no"

    push = outbox.push_pending(connection=connection, connector=connector)
    assert push.pushed == 1
    assert erp.records[external_id] == {
        "name": "Kunde 0",
        "email": "ny@example.no",
        "phone": "12345678",
    }
    assert binding_of(external_id).snapshot == erp.records[external_id]
    item.refresh_from_db()
    assert item.status == OutboxItem.Status.DONE

    # The echo of our own push changes nothing here.
    run = pull(connection, connector)
    assert run.updated == 0 and run.conflicts == 0
    assert local_of(external_id).email == "ny@example.no"


def test_local_change_found_by_a_pull_is_not_lost_when_the_push_is_late(connection, erp, connector):
    (external_id, *_rest) = seed(erp)
    pull(connection, connector)
    Customer.objects.filter(pk=local_of(external_id).pk).update(email="ny@example.no")
    erp.put({"phone": "11111111"}, external_id=external_id)
    pull(connection, connector)  # finds the local change and queues its push
    erp.put({"name": "Nytt navn"}, external_id=external_id)
    pull(connection, connector)  # another pull before the push must not undo the edit
    assert local_of(external_id).email == "ny@example.no"
    assert OutboxItem.objects.count() == 1
    outbox.push_pending(connection=connection, connector=connector)
    assert erp.records[external_id] == {
        "name": "Nytt navn",
        "email": "ny@example.no",
        "phone": "11111111",
    }
    assert pull(connection, connector).updated == 0
    assert local_of(external_id).email == "ny@example.no"


def test_same_field_changed_differently_is_a_conflict_and_local_is_untouched(
    connection, erp, connector
):
    (external_id, *_rest) = seed(erp)
    pull(connection, connector)
    Customer.objects.filter(pk=local_of(external_id).pk).update(name="Lokal AS")
    erp.put({"name": "Fjern AS", "phone": "55555555"}, external_id=external_id)

    run = pull(connection, connector)
    assert run.conflicts == 1
    conflict = Conflict.objects.get()
    assert (conflict.field, conflict.base_value, conflict.local_value, conflict.remote_value) == (
        "name",
        "Kunde 0",
        "Lokal AS",
        "Fjern AS",
    )
    binding = binding_of(external_id)
    assert binding.state == State.CONFLICT
    assert binding.snapshot["name"] == "Kunde 0"  # the base is kept for the resolution
    customer = local_of(external_id)
    assert customer.name == "Lokal AS"
    assert customer.phone == "55555555"  # the other field still flowed
    assert erp.records[external_id]["name"] == "Fjern AS"
    assert not OutboxItem.objects.exists()

    # Pulling again with nothing new writes nothing and keeps the one open conflict.
    with CaptureQueriesContext(db) as queries:
        again = pull(connection, connector)
    assert again.skipped == 3 and again.conflicts == 0
    assert (
        writes_to(
            queries.captured_queries,
            "customers_customer",
            "integrations_binding",
            "integrations_conflict",
        )
        == []
    )
    assert Conflict.objects.filter(resolved_at__isnull=True).count() == 1


def test_conflict_settles_when_both_sides_come_to_agree(connection, erp, connector):
    (external_id, *_rest) = seed(erp)
    pull(connection, connector)
    Customer.objects.filter(pk=local_of(external_id).pk).update(name="Lokal AS")
    erp.put({"name": "Fjern AS"}, external_id=external_id)
    pull(connection, connector)
    erp.put({"name": "Lokal AS"}, external_id=external_id)
    pull(connection, connector)
    binding = binding_of(external_id)
    assert binding.state == State.LINKED
    assert binding.snapshot["name"] == "Lokal AS"
    conflict = Conflict.objects.get()
    assert conflict.resolved_at is not None
    assert conflict.resolution == Conflict.Resolution.MERGED


def test_same_field_changed_equally_is_no_conflict(connection, erp, connector):
    (external_id, *_rest) = seed(erp)
    pull(connection, connector)
    Customer.objects.filter(pk=local_of(external_id).pk).update(name="Samme AS")
    erp.put({"name": "Samme AS"}, external_id=external_id)
    run = pull(connection, connector)
    assert run.conflicts == 0
    assert not Conflict.objects.exists()
    binding = binding_of(external_id)
    assert (binding.state, binding.snapshot["name"]) == (State.LINKED, "Samme AS")
    assert not OutboxItem.objects.exists()


def test_excluded_binding_is_skipped(connection, erp, connector):
    (external_id, *_rest) = seed(erp)
    pull(connection, connector)
    Binding.objects.filter(external_id=external_id).update(state=State.EXCLUDED)
    erp.put({"name": "Endret"}, external_id=external_id)
    run = pull(connection, connector)
    assert run.updated == 0
    assert local_of(external_id).name == "Kunde 0"
    assert binding_of(external_id).state == State.EXCLUDED


def test_record_deleted_remotely_is_marked_and_never_deleted(connection, erp, connector):
    (external_id, *_rest) = seed(erp)
    pull(connection, connector)
    customer = local_of(external_id)
    erp.remove(external_id)
    run = pull(connection, connector)
    assert run.updated == 1
    customer.refresh_from_db()  # still there
    assert customer.is_active is False
    assert binding_of(external_id).state == State.MISSING_REMOTELY
    assert run.changes[-1]["action"] == "deleted_remotely"
    # Reported again: nothing more happens.
    assert pull(connection, connector).updated == 0
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_reconciliation_marks_records_gone_from_the_erp(connection, erp, connector):
    gone, kept, excluded = seed(erp)
    pull(connection, connector)
    Binding.objects.filter(external_id=excluded).update(state=State.EXCLUDED)
    erp.records.pop(gone)
    erp.records.pop(excluded)
    run = engine.reconcile_entity(
        connection=connection, entity="customer", trigger="manual", connector=connector
    )
    assert run.status == SyncRun.Status.SUCCEEDED and run.updated == 1
    assert binding_of(gone).state == State.MISSING_REMOTELY
    assert binding_of(kept).state == State.LINKED
    assert binding_of(excluded).state == State.EXCLUDED
    assert Customer.objects.count() == 3


def test_the_cursor_moves_to_the_run_start_and_the_next_fetch_gets_it(connection, erp, connector):
    seed(erp)
    earlier = timezone.now() - timedelta(days=3)
    Watermark.objects.create(connection=connection, entity="customer", cursor=earlier.isoformat())
    run = pull(connection, connector)
    # The engine hands over the stored string; the connector overlaps it by its own rule.
    assert connector.fetch_since[-1] == earlier.isoformat()
    assert connector.fetch_after[-1] == earlier - OVERLAP
    assert OVERLAP >= connector.capabilities.watermark_resolution
    watermark = Watermark.objects.get()
    assert watermark.cursor == run.started_at.isoformat()
    assert watermark.moment == run.started_at
    pull(connection, connector)
    assert connector.fetch_since[-1] == run.started_at.isoformat()


def test_full_sync_now_fetches_everything(connection, erp, connector):
    seed(erp)
    Watermark.objects.create(connection=connection, entity="customer", cursor="")
    pull(connection, connector)
    assert connector.fetch_since == [None]
    pull(connection, connector, full=True)  # a full run ignores a set watermark
    assert connector.fetch_since == [None, None]
    assert SyncRun.objects.filter(full=True).count() == 1


def test_failed_fetch_fails_the_run_keeps_the_watermark_and_frees_the_lease(
    connection, erp, connector
):
    from apps.integrations.connectors.base import Unavailable

    seed(erp)
    erp.failures["fetch"] = [Unavailable("ERP down")]
    run = pull(connection, connector)
    assert run.status == SyncRun.Status.FAILED
    assert run.error_text == "ERP down"
    assert run.errors == 1
    assert Watermark.objects.get().cursor == ""
    assert not Customer.objects.exists()
    assert pull(connection, connector).status == SyncRun.Status.SUCCEEDED


def test_a_run_that_lost_its_lease_writes_no_more(connection, erp):
    seed(erp, 4)

    class Thief(FakeConnector):
        def fetch(self, entity, *, since):
            for n, page in enumerate(super().fetch(entity, since=since)):
                if n == 1:  # the lease expired and another worker took it
                    Lease.objects.update(owner="someone-else", locked_until=timezone.now())
                yield page

    run = pull(connection, Thief(erp, page_size=2))
    assert run.status == SyncRun.Status.FAILED
    assert "lease" in run.error_text
    assert Customer.objects.count() == 2  # the first page only
    assert Watermark.objects.get().cursor == ""
    assert Lease.objects.get().owner == "someone-else"  # not released by the loser


def test_a_page_with_the_same_record_twice_creates_it_once(connection, erp, connector):
    from apps.integrations.sync.types import RemoteRecord, RunStats

    from .fakes import CustomerAdapter

    page = [
        RemoteRecord(external_id="7", values={"name": "A", "email": "", "phone": ""}),
        RemoteRecord(external_id="7", values={"name": "B", "email": "", "phone": ""}),
    ]
    stats = RunStats()
    engine.apply_page(connection, CustomerAdapter(), page, stats)
    assert stats.created == 1
    assert local_of("7").name == "B"


def test_pull_of_200_records_takes_well_below_one_query_per_record(
    connection, erp, connector, django_assert_max_num_queries
):
    ids = seed(erp, 200)
    with django_assert_max_num_queries(35):  # 0.18 per record (SQLite; fewer on PostgreSQL)
        run = pull(connection, connector)
    assert run.created == 200
    for external_id in ids:
        erp.put({"phone": "1" + erp.records[external_id]["phone"]}, external_id=external_id)
    with django_assert_max_num_queries(27):
        run = pull(connection, connector)
    assert run.updated == 200
    assert Customer.objects.filter(phone__startswith="1").count() == 200
    with django_assert_max_num_queries(23):
        run = pull(connection, connector)
    assert run.skipped == 200


def test_for_a_type_the_erp_owns_the_erp_values_win_and_nothing_is_pushed(
    connection, erp, connector
):
    connection.masters = {"customer": "erp"}
    connection.save()
    (external_id, *_rest) = seed(erp)
    pull(connection, connector)
    pk = local_of(external_id).pk
    Customer.objects.filter(pk=pk).update(name="Lokal AS", email="lokal@example.no")
    erp.put({"name": "Fjern AS", "phone": "77777777"}, external_id=external_id)
    run = pull(connection, connector)
    assert run.conflicts == 0
    customer = Customer.objects.get(pk=pk)
    assert (customer.name, customer.email, customer.phone) == (
        "Fjern AS",
        "k0@example.no",
        "77777777",
    )
    assert binding_of(external_id).snapshot == erp.records[external_id]
    assert binding_of(external_id).state == State.LINKED
    assert not Conflict.objects.exists()
    assert not OutboxItem.objects.exists()
