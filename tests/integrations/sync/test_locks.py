"""One sync at a time: the lease row, its expiry, extension, release, and real threads."""

import threading
from datetime import timedelta

import pytest
from django.db import connection as db
from django.db import connections
from django.utils import timezone

from apps.integrations.models import Lease, SyncRun
from apps.integrations.sync import engine, locks
from tests.integrations.factories import connection_24so
from tests.integrations.sync.fakes import FakeConnector

NAME = "sync:1:customer"


@pytest.mark.django_db
def test_a_held_lease_cannot_be_claimed_again():
    first = locks.claim(NAME)
    assert first is not None
    assert locks.claim(NAME) is None
    lease = Lease.objects.get(name=NAME)
    assert lease.owner == first[0]
    assert lease.version == first[1] == 1


@pytest.mark.django_db
def test_an_expired_lease_can_be_claimed_and_its_version_moves_on():
    owner, version = locks.claim(NAME, ttl=timedelta(minutes=1))
    Lease.objects.filter(name=NAME).update(locked_until=timezone.now() - timedelta(seconds=1))
    taken = locks.claim(NAME)
    assert taken is not None
    assert taken[0] != owner
    assert taken[1] == version + 1


@pytest.mark.django_db
def test_extend_keeps_the_lease_only_for_its_holder():
    owner, _version = locks.claim(NAME, ttl=timedelta(seconds=30))
    before = Lease.objects.get(name=NAME).locked_until
    assert locks.extend(NAME, owner, ttl=timedelta(minutes=10)) is True
    assert Lease.objects.get(name=NAME).locked_until > before + timedelta(minutes=9)
    assert locks.extend(NAME, "someone-else") is False
    # Lost: it expired and another worker took it.
    Lease.objects.filter(name=NAME).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert locks.claim(NAME) is not None
    assert locks.extend(NAME, owner) is False


@pytest.mark.django_db
def test_release_frees_the_lease_only_for_its_holder():
    owner, _version = locks.claim(NAME)
    locks.release(NAME, "someone-else")
    assert locks.claim(NAME) is None
    locks.release(NAME, owner)
    lease = Lease.objects.get(name=NAME)
    assert (lease.owner, lease.locked_until) == ("", None)
    assert locks.claim(NAME) is not None


@pytest.mark.django_db
def test_lease_block_raises_when_held_and_releases_on_error():
    with locks.lease(NAME):
        with pytest.raises(locks.AlreadyRunning):
            with locks.lease(NAME):
                pass
    with pytest.raises(RuntimeError):
        with locks.lease(NAME):
            raise RuntimeError("boom")
    assert locks.claim(NAME) is not None


@pytest.mark.django_db
def test_sync_while_the_lease_is_held_reports_already_running(connection, erp):
    held = locks.claim(engine.lease_name(connection, "customer"))
    assert held is not None
    connector = FakeConnector(erp)
    run = engine.sync_entity(
        connection=connection, entity="customer", trigger="manual", connector=connector
    )
    assert run.status == SyncRun.Status.ALREADY_RUNNING
    assert run.finished_at is not None
    assert connector.fetch_since == []
    # The holder still has it.
    assert Lease.objects.get().owner == held[0]


@pytest.mark.django_db
def test_a_run_left_running_by_a_dead_worker_is_closed_by_the_next_run(connection, erp):
    name = engine.lease_name(connection, "customer")
    locks.claim(name)  # the dead worker's claim …
    dead = SyncRun.objects.create(connection=connection, entity="customer", trigger="schedule")
    Lease.objects.filter(name=name).update(locked_until=timezone.now() - timedelta(seconds=1))
    other = SyncRun.objects.create(connection=connection, entity="project", trigger="schedule")
    locks.claim(engine.lease_name(connection, "project"))  # … another type, alive

    run = engine.sync_entity(
        connection=connection, entity="customer", trigger="manual", connector=FakeConnector(erp)
    )

    assert run.status == SyncRun.Status.SUCCEEDED
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.FAILED
    assert dead.finished_at is not None and "stopped before it finished" in dead.error_text
    other.refresh_from_db()
    assert other.status == SyncRun.Status.RUNNING  # its lease is held: still working


@pytest.mark.django_db
def test_the_minute_sweep_closes_runs_of_stopped_workers_and_leaves_live_ones(connection):
    from apps.integrations import jobs
    from apps.integrations.models import OutboxItem

    long_ago = timezone.now() - timedelta(minutes=30)
    pull = SyncRun.objects.create(
        connection=connection, entity="customer", trigger="schedule", started_at=long_ago
    )
    push = SyncRun.objects.create(
        connection=connection, entity="hour", kind="push", trigger="push", started_at=long_ago
    )
    fresh_push = SyncRun.objects.create(
        connection=connection, entity="hour", kind="push", trigger="push"
    )
    held = SyncRun.objects.create(connection=connection, entity="project", trigger="schedule")
    locks.claim(engine.lease_name(connection, "project"))

    jobs.sweep_outbox()

    statuses = {
        r.pk: r.status
        for r in SyncRun.objects.filter(pk__in=[pull.pk, push.pk, fresh_push.pk, held.pk])
    }
    assert statuses == {
        pull.pk: SyncRun.Status.FAILED,
        push.pk: SyncRun.Status.FAILED,
        fresh_push.pk: SyncRun.Status.RUNNING,  # younger than an outbox claim: may be alive
        held.pk: SyncRun.Status.RUNNING,
    }
    assert not OutboxItem.objects.exists()


def test_two_workers_syncing_the_same_type_at_once_run_it_once(threads_database, wired, erp):
    """Real threads, each with its own database connection, at the same moment."""
    connection = connection_24so(username="u", password="p", connected=["customer"])
    erp.put({"name": "A", "email": "", "phone": ""})
    start = threading.Barrier(2, timeout=10)
    loser_done = threading.Event()
    runs: list[SyncRun] = []
    errors: list[BaseException] = []

    class SlowConnector(FakeConnector):
        def fetch(self, entity, *, since):
            # The winner holds the lease until the other worker has given up.
            assert loser_done.wait(10), "the other worker never finished"
            yield from super().fetch(entity, since=since)

    connector = SlowConnector(erp)

    def worker() -> None:
        threads_database()
        try:
            start.wait()
            run = engine.sync_entity(
                connection=connection, entity="customer", trigger="schedule", connector=connector
            )
            runs.append(run)
            if run.status == SyncRun.Status.ALREADY_RUNNING:
                loser_done.set()
        except BaseException as exc:  # reported below, with the vendor
            errors.append(exc)
            loser_done.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, f"{db.vendor}: {errors!r}"
    assert sorted(r.status for r in runs) == [
        SyncRun.Status.ALREADY_RUNNING,
        SyncRun.Status.SUCCEEDED,
    ], db.vendor
    assert len(connector.fetch_since) == 1
    assert SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).count() == 1
    assert Lease.objects.get().owner == ""
    assert Lease.objects.get().version == 1
