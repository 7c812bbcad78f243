"""Records only in the ERP, records coming back after being missing there, and what an
ambiguous create that the look-up found gets assigned: the engine against the in-process ERP."""

from collections.abc import Sequence
from typing import Any

import pytest

from apps.customers.models import Customer
from apps.integrations import registry
from apps.integrations.connectors.base import Unavailable
from apps.integrations.models import Binding, OutboxItem, SyncRun
from apps.integrations.sync import engine, outbox
from apps.integrations.sync.types import RunStats
from tests.integrations.sync.fakes import CustomerAdapter

pytestmark = pytest.mark.django_db

State = Binding.State


def pull(connection, connector) -> SyncRun:
    run = engine.sync_entity(
        connection=connection, entity="customer", trigger="manual", connector=connector
    )
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
    return run


def reconcile(connection, connector) -> SyncRun:
    run = engine.reconcile_entity(
        connection=connection, entity="customer", trigger="manual", connector=connector
    )
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
    return run


def binding_of(external_id: str) -> Binding:
    return Binding.objects.get(entity="customer", external_id=external_id)


class MatchingAdapter(CustomerAdapter):
    """Creates nothing: links a record to an existing customer of the same name, else keeps
    it only in the ERP (as the users adapter does by e-mail)."""

    def create_many(self, connection: Any, rows: Sequence[dict[str, Any]]) -> list[Any]:
        by_name = {c.name: c for c in Customer.objects.filter(name__in=[r["name"] for r in rows])}
        return [by_name.get(r["name"]) for r in rows]


# --- "keep it only in the ERP" -------------------------------------------------------------


def test_create_many_returning_none_keeps_the_record_only_in_the_erp(
    connection, erp, connector, monkeypatch
):
    monkeypatch.setitem(registry._adapters, "customer", MatchingAdapter())
    known = Customer.objects.create(name="Kjent AS")
    linked = erp.put({"name": "Kjent AS", "email": "", "phone": ""})
    stranger = erp.put({"name": "Ukjent AS", "email": "u@example.no", "phone": ""})

    run = pull(connection, connector)

    assert (run.created, run.skipped) == (1, 1)
    assert (binding_of(linked).local_id, binding_of(linked).state) == (known.pk, State.LINKED)
    only_there = binding_of(stranger)
    assert (only_there.local_id, only_there.state) == (None, State.REMOTE_ONLY)
    assert only_there.remote_values["email"] == "u@example.no"
    assert Customer.objects.count() == 1

    # Seen again unchanged: nothing written.
    synced = only_there.synced_at
    assert pull(connection, connector).updated == 0
    assert binding_of(stranger).synced_at == synced

    # A matching local record appeared: the next pull that sees the record links it.
    arrived = Customer.objects.create(name="Ukjent AS")
    erp.put({"phone": "12345678"}, external_id=stranger)
    run = pull(connection, connector)
    now_linked = binding_of(stranger)
    assert (now_linked.local_id, now_linked.state) == (arrived.pk, State.LINKED)
    assert now_linked.snapshot["phone"] == "12345678"
    assert run.changes[-1]["action"] == "relinked"


# --- back after "missing remotely" ---------------------------------------------------------


def test_a_record_deleted_remotely_that_comes_back_is_reactivated_and_linked(
    connection, erp, connector
):
    external_id = erp.put({"name": "Borte AS", "email": "", "phone": ""})
    pull(connection, connector)
    customer = Customer.objects.get(name="Borte AS")
    erp.remove(external_id)
    pull(connection, connector)
    customer.refresh_from_db()
    assert (customer.is_active, binding_of(external_id).state) == (False, State.MISSING_REMOTELY)

    erp.deleted.discard(external_id)
    erp.put({"name": "Tilbake AS", "email": "", "phone": ""}, external_id=external_id)
    run = pull(connection, connector)

    customer.refresh_from_db()
    assert (customer.is_active, customer.name) == (True, "Tilbake AS")
    assert binding_of(external_id).state == State.LINKED
    assert run.updated == 1
    # And it syncs again: a local edit is pushed, not skipped as "missing".
    customer.phone = "99999999"
    customer.save()
    outbox.enqueue(connection=connection, entity="customer", local_id=customer.pk)
    stats = RunStats()
    for item in outbox.claim_due(connection):
        outbox.push_item(connection, connector, item, stats)
    assert erp.records[external_id]["phone"] == "99999999"


def test_reconciliation_relinks_a_record_back_in_the_erp(connection, erp, connector):
    external_id = erp.put({"name": "Skjult AS", "email": "", "phone": ""})
    pull(connection, connector)
    hidden = erp.records.pop(external_id)
    reconcile(connection, connector)
    assert binding_of(external_id).state == State.MISSING_REMOTELY

    # Back, unchanged (an incremental pull would not see it): the next night re-links it.
    erp.records[external_id] = hidden
    erp.calls.clear()
    run = reconcile(connection, connector)

    assert binding_of(external_id).state == State.LINKED
    assert [c[0] for c in erp.calls] == ["fetch_ids", "fetch_one"]
    assert run.updated == 0  # nothing gone, nothing changed locally
    assert Customer.objects.get(name="Skjult AS").is_active


def test_a_record_back_whose_local_record_is_gone_gets_one_again(connection, erp, connector):
    external_id = erp.put({"name": "Slettet AS", "email": "", "phone": ""})
    pull(connection, connector)
    erp.remove(external_id)
    pull(connection, connector)
    Customer.objects.filter(name="Slettet AS").delete()  # e.g. a member removed with it

    erp.deleted.discard(external_id)
    erp.put({"name": "Slettet AS", "email": "", "phone": "22222222"}, external_id=external_id)
    run = pull(connection, connector)

    again = Customer.objects.get(name="Slettet AS")
    binding = binding_of(external_id)
    assert (binding.local_id, binding.state) == (again.pk, State.LINKED)
    assert again.phone == "22222222"
    assert run.created == 1


# --- an ambiguous create found by the look-up --------------------------------------------


def test_a_create_found_by_the_look_up_gets_what_the_erp_assigned_at_once(
    connection, connector, erp
):
    customer = Customer.objects.create(name="Tvil AS", email="t@example.no")
    item = outbox.enqueue(connection=connection, entity="customer", local_id=customer.pk)
    erp.failures_after["create"] = [Unavailable("read timeout", ambiguous=True)]
    stats = RunStats()
    for claimed in outbox.claim_due(connection):
        outbox.push_item(connection, connector, claimed, stats)
    OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=item.created_at)

    erp.calls.clear()
    for claimed in outbox.claim_due(connection):
        outbox.push_item(connection, connector, claimed, stats)

    assert [c[0] for c in erp.calls] == ["find"]  # no second create, no extra read
    external_id = next(iter(erp.records))
    customer.refresh_from_db()
    assert customer.number == f"ERP-{external_id}"  # after_push ran, not the next pull
    assert Binding.objects.get(local_id=customer.pk).external_id == external_id
