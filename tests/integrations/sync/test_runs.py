"""A run's lifecycle, written once (runs.sync_run): lease, run row, connector, failure text,
counters; against the database and the in-process ERP."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.integrations import registry
from apps.integrations.connectors.base import Unavailable
from apps.integrations.models import Lease, SyncRun
from apps.integrations.sync import locks
from apps.integrations.sync.runs import ABANDONED, lease_name, run_group, sync_run
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


# --- a group of runs sharing a connector (a push: one run per object type) -----------------


def test_a_group_writes_one_run_per_type_with_the_requests_counted_for_each(connection, erp, wired):
    with run_group(
        connection=connection, entities=["customer", "project"], trigger="push"
    ) as group:
        assert free(connection)  # no lease: the outbox claims its items one by one
        with group.counting("customer") as connector:
            connector.fetch_ids("customer")
            connector.fetch_ids("customer")
        with group.counting("project") as connector:
            connector.fetch_ids("project")
        group.runs["customer"].stats.pushed = 2
        group.runs["project"].stats.errors = 1  # an item that failed
    rows = {r.entity: r for r in SyncRun.objects.all()}
    assert {e: (r.kind, r.status, r.requests) for e, r in rows.items()} == {
        "customer": ("push", SyncRun.Status.SUCCEEDED, 2),
        "project": ("push", SyncRun.Status.FAILED, 1),
    }
    assert rows["customer"].pushed == 2
    assert all(r.finished_at is not None for r in rows.values())
    assert len(wired) == 1 and wired[0].closed  # one connector for the group, closed


def test_a_group_whose_block_fails_fails_every_run_with_the_reason(connection, erp, wired):
    with run_group(
        connection=connection, entities=["customer", "project"], trigger="push"
    ) as group:
        with group.counting("customer") as connector:
            connector.fetch_ids("customer")
        raise Unavailable("24SevenOffice did not answer in time.")
    rows = SyncRun.objects.order_by("entity")
    assert [(r.entity, r.status, r.error_text, r.errors) for r in rows] == [
        ("customer", SyncRun.Status.FAILED, "24SevenOffice did not answer in time.", 1),
        ("project", SyncRun.Status.FAILED, "24SevenOffice did not answer in time.", 1),
    ]
    assert [r.requests for r in rows] == [1, 0]
