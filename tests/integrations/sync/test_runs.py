"""A run's lifecycle, written once (runs.sync_run): lease, run row, connector, failure text,
counters; against the database and the in-process ERP."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.integrations import registry
from apps.integrations.connectors.base import Unavailable
from apps.integrations.models import Lease, SyncRun
from apps.integrations.sync import locks
from apps.integrations.sync.runs import ABANDONED, lease_name, sync_run
from tests.integrations.sync.fakes import FakeConnector

pytestmark = pytest.mark.django_db


def free(connection, entity: str = "customer") -> bool:
    return not Lease.objects.filter(name=lease_name(connection, entity)).exclude(owner="").exists()


def test_a_run_holds_the_lease_and_ends_succeeded_with_its_counters_and_requests(
    connection, erp, wired
):
    erp.put({"name": "A", "email": "", "phone": ""})
    with sync_run(connection=connection, entity="customer", trigger="manual") as run:
        assert not run.already_running
        assert not free(connection)  # held for the block
        assert SyncRun.objects.get().status == SyncRun.Status.RUNNING
        run.stats.fetched = len(run.connector.fetch_ids("customer"))
        run.stats.note(entity="customer", action="created")
    row = SyncRun.objects.get()
    assert row == run.row
    assert (row.status, row.kind, row.trigger) == (SyncRun.Status.SUCCEEDED, "pull", "manual")
    assert (row.fetched, row.requests, row.errors) == (1, 1, 0)
    assert row.changes == [{"entity": "customer", "action": "created"}]
    assert row.finished_at is not None
    assert free(connection)
    # The connector the run made is closed with it.
    assert [c.closed for c in wired] == [True]


def test_a_connector_passed_in_is_counted_from_where_it_stood_and_left_open(connection, erp, wired):
    connector = FakeConnector(erp)
    connector.fetch_ids("customer")  # an earlier request, not this run's
    with sync_run(
        connection=connection, entity="customer", trigger="manual", connector=connector
    ) as run:
        run.connector.fetch_ids("customer")
        run.connector.fetch_ids("customer")
    assert run.row.requests == 2
    assert not connector.closed
    assert wired == []  # none made


def test_while_another_worker_holds_the_lease_the_run_says_already_running_and_asks_nothing(
    connection, wired
):
    held = locks.claim(lease_name(connection, "customer"))
    with sync_run(
        connection=connection, entity="customer", trigger="schedule", kind="reconcile"
    ) as run:
        assert run.already_running
    row = SyncRun.objects.get()
    assert (row.status, row.kind) == (SyncRun.Status.ALREADY_RUNNING, "reconcile")
    assert row.finished_at is not None and row.requests == 0
    assert wired == []  # no connector made, no request
    assert Lease.objects.get().owner == held[0]  # the holder keeps it


def test_an_erp_failure_ends_the_run_failed_with_its_words_and_frees_the_lease(
    connection, erp, wired
):
    with sync_run(connection=connection, entity="customer", trigger="manual") as run:
        run.connector.fetch_ids("customer")
        run.stats.fetched = 3
        raise Unavailable("24SevenOffice did not answer in time.")
    row = SyncRun.objects.get()
    assert row.status == SyncRun.Status.FAILED
    assert row.error_text == "24SevenOffice did not answer in time."
    assert (row.fetched, row.errors, row.requests) == (3, 1, 1)
    assert free(connection)
    assert wired[0].closed


def test_a_bug_and_a_connector_that_cannot_be_made_end_the_run_failed_with_the_error(
    connection, monkeypatch
):
    def broken(connection):
        raise RuntimeError("no credentials")

    monkeypatch.setitem(registry._connectors, "24so", broken)
    with sync_run(connection=connection, entity="customer", trigger="manual") as run:
        run.connector  # noqa: B018 — made on first use, and failing there
    row = SyncRun.objects.get()
    assert (row.status, row.error_text) == (SyncRun.Status.FAILED, "RuntimeError: no credentials")
    assert row.requests == 0 and row.errors == 1
    assert free(connection)


def test_a_run_that_lost_its_lease_says_another_worker_took_over(connection, wired):
    with sync_run(connection=connection, entity="customer", trigger="manual") as run:
        raise locks.LeaseLost(run.lease[0])
    assert "Another worker took over" in SyncRun.objects.get().error_text


def test_taking_over_an_expired_lease_closes_the_dead_holders_pull_but_not_its_push(
    connection, wired
):
    name = lease_name(connection, "customer")
    locks.claim(name)
    dead = SyncRun.objects.create(connection=connection, entity="customer", trigger="schedule")
    push = SyncRun.objects.create(
        connection=connection, entity="customer", kind="push", trigger="push"
    )
    Lease.objects.filter(name=name).update(locked_until=timezone.now() - timedelta(seconds=1))
    with sync_run(connection=connection, entity="customer", trigger="manual") as run:
        assert not run.already_running
    dead.refresh_from_db()
    push.refresh_from_db()
    assert (dead.status, dead.error_text) == (SyncRun.Status.FAILED, ABANDONED)
    assert push.status == SyncRun.Status.RUNNING
    assert run.row.status == SyncRun.Status.SUCCEEDED
