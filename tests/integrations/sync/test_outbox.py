"""Reliable push: the outbox row in the change's transaction, the kick after commit, claims,
every outcome of a push, backoff, dead items and their retry, echo suppression."""

import threading
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone
from django_q.models import Task

from apps.core import hooks
from apps.customers.models import Customer
from apps.integrations.connectors.base import RateLimited, Rejected, Unavailable
from apps.integrations.models import Binding, Conflict, Connection, OutboxItem
from apps.integrations.sync import outbox
from apps.integrations.sync.types import RunStats
from tests.integrations.factories import connection_24so
from tests.integrations.sync.fakes import CustomerAdapter

Status = OutboxItem.Status


def customer(name: str = "Tidsbro AS", **values) -> Customer:
    return Customer.objects.create(
        name=name, email=values.pop("email", "post@tidsbro.no"), **values
    )


def queue(connection, obj: Customer) -> OutboxItem:
    return outbox.enqueue(connection=connection, entity="customer", local_id=obj.pk)


def push_once(connection, connector) -> RunStats:
    """Claims what is due and pushes it, as a worker does (one round)."""
    stats = RunStats()
    for item in outbox.claim_due(connection):
        outbox.push_item(connection, connector, item, stats)
    return stats


def make_due(item: OutboxItem) -> None:
    OutboxItem.objects.filter(pk=item.pk).update(next_attempt_at=timezone.now())


def fresh(item: OutboxItem) -> OutboxItem:
    item.refresh_from_db()
    return item


# --- the transaction and the kick --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_enqueue_in_a_rolled_back_transaction_leaves_no_row_and_no_kick(wired):
    connection = connection_24so(username="u", connected=["customer"])
    obj = customer()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            queue(connection, obj)
            raise RuntimeError("the change failed")
    assert not OutboxItem.objects.exists()
    assert not Task.objects.exists()
    assert wired == []  # no push was attempted


@pytest.mark.django_db(transaction=True)
def test_enqueue_in_a_committed_transaction_queues_one_row_and_one_task(wired, erp):
    connection = connection_24so(username="u", connected=["customer"])
    obj = customer()
    with transaction.atomic():
        queue(connection, obj)
        queue(connection, obj)  # coalesced: still one row, one kick per commit
        assert not Task.objects.exists()  # nothing runs before the commit
    item = OutboxItem.objects.get()
    # Tests run django-q2 synchronously: the kick ran jobs.push_pending at the commit.
    task = Task.objects.get()
    assert task.func == "apps.integrations.jobs.push_pending"
    assert task.args == (connection.pk,)  # ids only, never payloads
    assert task.success, task.result
    assert item.status == Status.DONE
    binding = Binding.objects.get()
    assert erp.records[binding.external_id]["name"] == "Tidsbro AS"
    assert len(wired) == 1 and wired[0].closed


@pytest.mark.django_db
def test_two_enqueues_coalesce_into_one_pending_row(connection):
    obj = customer()
    first = queue(connection, obj)
    second = queue(connection, obj)
    assert first.pk == second.pk
    assert OutboxItem.objects.filter(status=Status.PENDING).count() == 1
    assert fresh(first).updated_at >= first.updated_at


@pytest.mark.django_db
def test_a_change_while_a_create_is_in_doubt_joins_that_item(connection):
    obj = customer()
    item = queue(connection, obj)
    OutboxItem.objects.filter(pk=item.pk).update(status=Status.AMBIGUOUS)
    assert queue(connection, obj).pk == item.pk
    assert OutboxItem.objects.count() == 1


# --- claiming ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_claimed_items_are_not_claimed_again_until_the_claim_expires(connection):
    items = [queue(connection, customer(f"K{i}")) for i in range(3)]
    first = outbox.claim_due(connection)
    assert [i.pk for i in first] == [i.pk for i in items]
    assert outbox.claim_due(connection) == []
    OutboxItem.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    assert len(outbox.claim_due(connection)) == 3


@pytest.mark.django_db
def test_an_item_whose_claim_ran_out_and_was_taken_is_not_pushed_by_the_first_worker(
    connection, connector, erp
):
    obj = customer("Slow batch AS")
    queue(connection, obj)
    (mine,) = outbox.claim_due(connection)
    # The first worker's batch outlived its claim; a second worker claims the item.
    OutboxItem.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    (theirs,) = outbox.claim_due(connection)

    assert outbox.renew_claim(mine) is False
    assert outbox.renew_claim(theirs) is True
    run = outbox.push_pending(connection=connection, connector=connector)

    assert run is None  # nothing due for a third worker either: the item is claimed
    assert erp.writes() == []


@pytest.mark.django_db
def test_items_not_yet_due_or_finished_are_not_claimed(connection):
    later, done, dead = (queue(connection, customer(f"K{i}")) for i in range(3))
    OutboxItem.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=1)
    )
    OutboxItem.objects.filter(pk=done.pk).update(status=Status.DONE)
    OutboxItem.objects.filter(pk=dead.pk).update(status=Status.DEAD)
    assert outbox.claim_due(connection) == []


def test_two_workers_claiming_at_once_get_disjoint_items(threads_database, wired):
    connection = connection_24so(username="u", connected=["customer"])
    # Written directly: queueing outside a transaction would push them at once (sync tests).
    OutboxItem.objects.bulk_create(
        OutboxItem(connection=connection, entity="customer", local_id=customer(f"K{i}").pk)
        for i in range(40)
    )
    start = threading.Barrier(2, timeout=10)
    claims: list[list[int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        threads_database()
        try:
            start.wait()
            mine: list[int] = []
            for _round in range(4):
                mine += [i.pk for i in outbox.claim_due(connection, limit=10)]
            claims.append(mine)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    a, b = claims
    assert not set(a) & set(b)
    assert len(a) + len(b) == 40


# --- outcomes of a push ----------------------------------------------------------------------


@pytest.mark.django_db
def test_successful_create_is_done_and_bound(connection, connector, erp):
    obj = customer()
    item = queue(connection, obj)
    stats = push_once(connection, connector)
    assert (stats.created, stats.pushed, stats.errors) == (1, 1, 0)
    item = fresh(item)
    assert (item.status, item.lease_until, item.done_at is not None) == (Status.DONE, None, True)
    binding = Binding.objects.get(local_id=obj.pk)
    assert binding.snapshot == {"name": "Tidsbro AS", "email": "post@tidsbro.no", "phone": ""}
    assert erp.records[binding.external_id] == binding.snapshot


@pytest.mark.django_db
def test_unavailable_counts_an_attempt_and_backs_off_with_jitter(connection, connector, erp):
    item = queue(connection, customer())
    for attempt, (low, high) in enumerate([(15, 30), (30, 60), (60, 120)], start=1):
        erp.failures["create"] = [Unavailable("connection refused")]
        before = timezone.now()
        push_once(connection, connector)
        item = fresh(item)
        assert (item.status, item.attempts) == (Status.PENDING, attempt)
        assert item.lease_until is None
        assert item.last_error == "connection refused"
        wait = (item.next_attempt_at - before).total_seconds()
        assert low - 1 <= wait <= high + 1, (attempt, wait)
        assert push_once(connection, connector).pushed == 0  # not due yet
        make_due(item)
    assert erp.records == {}
    assert push_once(connection, connector).pushed == 1
    assert fresh(item).status == Status.DONE
    assert len(erp.records) == 1


def test_backoff_is_capped_and_spread():
    delays = [outbox.backoff(20).total_seconds() for _ in range(200)]
    cap = outbox.BACKOFF_CAP.total_seconds()
    assert all(cap / 2 <= d <= cap for d in delays)
    assert len(set(delays)) > 100  # jittered, not one fixed interval
    assert all(15 <= outbox.backoff(1).total_seconds() <= 30 for _ in range(50))


@pytest.mark.django_db
def test_ambiguous_create_looks_the_record_up_before_creating_again(connection, connector, erp):
    obj = customer()
    item = queue(connection, obj)
    # The ERP made the record, but the reply was lost.
    erp.failures_after["create"] = [Unavailable("read timeout", ambiguous=True)]
    push_once(connection, connector)
    item = fresh(item)
    assert (item.status, item.attempts) == (Status.AMBIGUOUS, 1)
    assert len(erp.records) == 1
    assert not Binding.objects.exists()

    make_due(item)
    erp.calls.clear()
    push_once(connection, connector)
    assert [c[0] for c in erp.calls] == ["find"]  # found: no second create
    assert len(erp.records) == 1
    binding = Binding.objects.get(local_id=obj.pk)
    assert binding.external_id == next(iter(erp.records))
    assert fresh(item).status == Status.DONE


@pytest.mark.django_db
def test_ambiguous_create_that_never_arrived_is_created_after_the_lookup(
    connection, connector, erp
):
    item = queue(connection, customer())
    erp.failures["create"] = [Unavailable("reset", ambiguous=True)]
    push_once(connection, connector)
    make_due(item)
    erp.calls.clear()
    push_once(connection, connector)
    assert [c[0] for c in erp.calls] == ["find", "create"]
    assert len(erp.records) == 1
    assert fresh(item).status == Status.DONE


@pytest.mark.django_db
def test_rejected_is_dead_at_once_with_the_reasons(connection, connector, erp):
    item = queue(connection, customer())
    erp.failures["create"] = [
        Rejected("invalid", messages=("Name is required", "E-mail is not valid"))
    ]
    stats = push_once(connection, connector)
    item = fresh(item)
    assert (item.status, item.attempts, stats.errors) == (Status.DEAD, 1, 1)
    assert item.last_error == "Name is required; E-mail is not valid"
    make_due(item)
    assert outbox.claim_due(connection) == []  # never retried by itself


@pytest.mark.django_db
def test_item_is_dead_after_the_maximum_attempts(connection, connector, erp, settings):
    settings.INTEGRATIONS_OUTBOX_MAX_ATTEMPTS = 3
    item = queue(connection, customer())
    for attempt in range(1, 4):
        erp.failures["create"] = [Unavailable("down")]
        make_due(item)
        push_once(connection, connector)
        item = fresh(item)
        assert item.attempts == attempt
    assert item.status == Status.DEAD
    assert OutboxItem.objects.get().pk == item.pk  # kept, never dropped


@pytest.mark.django_db
def test_rate_limited_counts_nothing_and_releases_every_claimed_item(connection, connector, erp):
    first = queue(connection, customer("A"))
    second = queue(connection, customer("B"))
    erp.failures["create"] = [RateLimited("budget spent", retry_after=120)]
    before = timezone.now()
    run = outbox.push_pending(connection=connection, connector=connector)
    assert "budget spent" in run.error_text
    assert [c[0] for c in erp.calls] == ["create"]  # the second item was not tried
    for item in (fresh(first), fresh(second)):
        assert (item.status, item.attempts, item.lease_until) == (Status.PENDING, 0, None)
        assert 119 <= (item.next_attempt_at - before).total_seconds() <= 125
    assert outbox.claim_due(connection) == []


@pytest.mark.django_db
def test_retry_puts_a_dead_item_back_in_the_queue(connection, connector, erp):
    item = queue(connection, customer())
    erp.failures["create"] = [Rejected("no")]
    push_once(connection, connector)
    assert fresh(item).status == Status.DEAD
    retried = outbox.retry(item=fresh(item))
    assert retried.pk == item.pk
    assert (retried.status, retried.attempts, retried.lease_until) == (Status.PENDING, 0, None)
    assert retried.next_attempt_at <= timezone.now()
    # A retried create looks up first (an earlier attempt may have reached the ERP).
    erp.calls.clear()
    push_once(connection, connector)
    assert [c[0] for c in erp.calls] == ["find", "create"]
    assert fresh(item).status == Status.DONE


@pytest.mark.django_db
def test_retry_merges_into_a_row_already_waiting_for_the_same_object(connection):
    obj = customer()
    dead = queue(connection, obj)
    OutboxItem.objects.filter(pk=dead.pk).update(
        status=Status.DEAD, attempts=8, last_error="timeout"
    )
    waiting = queue(connection, obj)  # a newer change of the same customer
    assert waiting.pk != dead.pk
    result = outbox.retry(item=fresh(dead))
    assert result.pk == waiting.pk
    assert result.status == Status.PENDING
    assert result.last_error == "timeout"
    assert list(OutboxItem.objects.values_list("pk", flat=True)) == [waiting.pk]


@pytest.mark.django_db
def test_external_id_is_kept_when_a_later_step_of_the_create_fails(
    connection, connector, erp, monkeypatch
):
    class Failing(CustomerAdapter):
        def after_push(self, connection, obj, assigned):
            raise RuntimeError("disk full")

    from apps.integrations import registry

    monkeypatch.setitem(registry._adapters, "customer", Failing())
    monkeypatch.setattr(
        type(connector),
        "create",
        lambda self, entity, values, **kwargs: (self.erp.put(dict(values)), {"number": "K-1"}),
    )
    obj = customer()
    item = queue(connection, obj)
    push_once(connection, connector)
    item = fresh(item)
    assert (item.status, item.attempts) == (Status.PENDING, 1)
    assert "disk full" in item.last_error
    binding = Binding.objects.get(local_id=obj.pk)
    assert binding.external_id in erp.records
    make_due(item)
    push_once(connection, connector)
    assert len(erp.records) == 1  # never created twice


@pytest.mark.django_db
def test_push_of_values_equal_to_the_snapshot_makes_no_request(connection, connector, erp):
    obj = customer()
    queue(connection, obj)
    push_once(connection, connector)
    erp.calls.clear()
    item = queue(connection, obj)  # e.g. saved without a change
    stats = push_once(connection, connector)
    assert erp.calls == []
    assert stats.skipped == 1
    assert fresh(item).status == Status.DONE


@pytest.mark.django_db
def test_update_pushes_local_changes_and_leaves_a_conflicting_field_alone(
    connection, connector, erp
):
    obj = customer()
    queue(connection, obj)
    push_once(connection, connector)
    external_id = Binding.objects.get().external_id
    erp.put({"name": "Fjern AS"}, external_id=external_id)
    Customer.objects.filter(pk=obj.pk).update(name="Lokal AS", phone="22222222")
    queue(connection, obj)
    stats = push_once(connection, connector)
    assert stats.conflicts == 1
    assert erp.records[external_id] == {
        "name": "Fjern AS",  # the ERP's side of the conflict is not overwritten
        "email": "post@tidsbro.no",
        "phone": "22222222",
    }
    assert Conflict.objects.get().local_value == "Lokal AS"
    binding = Binding.objects.get()
    assert binding.state == Binding.State.CONFLICT
    assert binding.snapshot["name"] == "Tidsbro AS"
    assert binding.snapshot["phone"] == "22222222"


@pytest.mark.django_db
def test_update_of_a_record_gone_from_the_erp_marks_it_missing(connection, connector, erp):
    obj = customer()
    queue(connection, obj)
    push_once(connection, connector)
    erp.records.clear()
    Customer.objects.filter(pk=obj.pk).update(phone="1")
    item = queue(connection, obj)
    push_once(connection, connector)
    assert not [c for c in erp.calls if c[0] == "update"]
    assert Binding.objects.get().state == Binding.State.MISSING_REMOTELY
    assert fresh(item).status == Status.DONE


@pytest.mark.django_db
def test_a_change_while_the_push_is_in_flight_is_pushed_too(connection, connector, erp):
    obj = customer()
    item = queue(connection, obj)
    original = type(connector).create

    def create_while_user_edits(self, entity, values, **kwargs):
        result = original(self, entity, values, **kwargs)
        Customer.objects.filter(pk=obj.pk).update(phone="33333333")
        queue(connection, obj)  # the user's change, queued while the push is in flight
        return result

    type(connector).create = create_while_user_edits
    try:
        push_once(connection, connector)
    finally:
        type(connector).create = original
    item = fresh(item)
    assert item.status == Status.PENDING  # not finished: it carries a newer change
    assert item.lease_until is None and item.next_attempt_at <= timezone.now()
    push_once(connection, connector)
    assert erp.records[Binding.objects.get().external_id]["phone"] == "33333333"
    assert fresh(item).status == Status.DONE


@pytest.mark.django_db
def test_excluded_record_is_not_pushed(connection, connector, erp):
    obj = customer()
    Binding.objects.create(
        connection=connection, entity="customer", local_id=obj.pk, state=Binding.State.EXCLUDED
    )
    item = queue(connection, obj)
    push_once(connection, connector)
    assert erp.calls == []
    assert fresh(item).status == Status.DONE


# --- the local-change hook -----------------------------------------------------------------


@pytest.mark.django_db
def test_local_change_queues_a_push_but_not_inside_sync_writes(connection):
    obj = customer()
    with hooks.sync_writes():
        hooks.local_change("customer", obj.pk, "changed")
    assert not OutboxItem.objects.exists()
    hooks.local_change("customer", obj.pk, "changed")
    item = OutboxItem.objects.get()
    assert (item.connection, item.entity, item.local_id) == (connection, "customer", obj.pk)


@pytest.mark.django_db
def test_local_change_of_an_erp_mastered_type_queues_nothing(connection):
    Connection.objects.filter(pk=connection.pk).update(masters={"customer": "erp"})
    hooks.local_change("customer", customer().pk, "changed")
    assert not OutboxItem.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_does_not_take_the_kick_of_its_transaction_along(wired, erp):
    connection = connection_24so(username="u", connected=["customer"])
    dropped, kept = customer("Dropped"), customer("Kept")
    with transaction.atomic():
        try:
            with transaction.atomic():
                queue(connection, dropped)
                raise RuntimeError("inner step failed")
        except RuntimeError:
            pass
        queue(connection, kept)
    assert Task.objects.count() == 1
    item = OutboxItem.objects.get()
    assert (item.local_id, item.status) == (kept.pk, Status.DONE)
    assert [r["name"] for r in erp.records.values()] == ["Kept"]


@pytest.mark.django_db
def test_delete_removes_the_record_and_its_binding_only(connection, connector, erp):
    gone, other = customer("Gone"), customer("Other")
    queue(connection, gone)
    push_once(connection, connector)
    waiting = Binding.objects.create(connection=connection, entity="customer", local_id=other.pk)
    external_id = Binding.objects.get(local_id=gone.pk).external_id
    outbox.enqueue(
        connection=connection,
        entity="customer",
        local_id=gone.pk,
        operation=OutboxItem.Operation.DELETE,
        external_id=external_id,
    )
    push_once(connection, connector)
    assert external_id not in erp.records
    assert list(Binding.objects.all()) == [waiting]


@pytest.mark.django_db
def test_delete_of_a_record_the_erp_never_had_touches_no_other_binding(connection, connector):
    lonely, other = customer("Lonely"), customer("Other")
    Binding.objects.create(connection=connection, entity="customer", local_id=lonely.pk)
    waiting = Binding.objects.create(connection=connection, entity="customer", local_id=other.pk)
    outbox.enqueue(
        connection=connection,
        entity="customer",
        local_id=lonely.pk,
        operation=OutboxItem.Operation.DELETE,
    )
    push_once(connection, connector)
    assert connector.erp.calls == []
    assert list(Binding.objects.all()) == [waiting]
