"""A worker killed with SIGKILL in the middle of a pull and of a push: the next run completes
with no duplicate in 24SO and no lost change; the dead worker's lease and claims run out and
are taken over (fencing: the lease version moves on), and what was in flight is looked up.

The worker is a separate process (`python -c` with django.setup()) against the same database
as this test and the sandbox (`manage.py runserver`); see `shared_db` in conftest.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.customers.models import Customer
from apps.integrations.models import Binding, Lease, OutboxItem, SyncRun, Watermark
from apps.integrations.sync import engine, outbox
from apps.integrations.sync.engine import lease_name
from apps.projects.models import Project, ProjectMember
from apps.sandbox.twentyfourseven import models as so
from apps.timesheets.services import time_entry_create

from .conftest import (
    Office,
    SandboxServer,
    SharedDb,
    approve,
    erp_hours_by_ref,
    knobs,
    make_office,
    report,
    settle_sandbox,
    start_worker,
)

EXTRA_COMPANIES = 2500  # three pages of GetCompanySyncList


def wait_for_requests(operation: str, count: int, worker: subprocess.Popen, timeout=60) -> None:
    """Waits until the sandbox has logged `count` more `operation` requests than now."""
    deadline = time.monotonic() + timeout
    count += so.RequestLog.objects.filter(operation=operation).count()
    while so.RequestLog.objects.filter(operation=operation).count() < count:
        if worker.poll() is not None:
            out, err = worker.communicate()
            pytest.fail(f"the worker ended before it was killed: {out} {err[-2000:]}")
        assert time.monotonic() < deadline, f"the worker never sent {count} × {operation}"
        time.sleep(0.02)


def kill(worker: subprocess.Popen) -> None:
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    assert worker.returncode == -signal.SIGKILL


@pytest.fixture
def office(shared_db: SharedDb, sandbox_server: SandboxServer) -> Office:
    office = make_office(sandbox_server.url)
    yield office
    knobs(latency_ms=0)


def test_a_worker_killed_in_the_middle_of_a_pull(
    office: Office, shared_db: SharedDb, sandbox_server: SandboxServer
) -> None:
    # 2,500 companies are added in 24SO after the first import: the next pull is large.
    now = timezone.now()
    so.Company.objects.bulk_create(
        so.Company(
            client=office.client,
            company_id=50001 + n,
            name=f"Crash pull {n}",
            country="NO",
            date_created=now,
            date_changed=now,
        )
        for n in range(EXTRA_COMPANIES)
    )
    name = lease_name(office.connection, "customer")
    version_before = Lease.objects.get(name=name).version
    knobs(latency_ms=300)
    worker = start_worker(shared_db, sandbox_server, "pull", str(office.connection.pk), "customer")
    # Killed once the first page is in and the second is being read.
    new_bindings = Binding.objects.filter(
        connection=office.connection, entity="customer", external_id__gte="50001"
    )
    deadline = time.monotonic() + 60
    while not new_bindings.exists():
        assert worker.poll() is None, worker.communicate()
        assert time.monotonic() < deadline, "the worker never applied a page"
        time.sleep(0.02)
    time.sleep(0.2)
    kill(worker)
    settle_sandbox()
    knobs(latency_ms=0)
    dead = Lease.objects.get(name=name)
    imported_by_dead = new_bindings.count()
    assert dead.owner and dead.locked_until > timezone.now()  # it died holding the lease
    assert 0 < imported_by_dead < EXTRA_COMPANIES, "killed in the middle, not before or after"
    assert SyncRun.objects.filter(entity="customer", status=SyncRun.Status.RUNNING).count() == 1
    watermark = Watermark.objects.get(connection=office.connection, entity="customer").moment

    # While the dead worker's lease lasts, a new trigger is told a sync is running.
    again = engine.sync_entity(connection=office.connection, entity="customer", trigger="manual")
    assert again.status == SyncRun.Status.ALREADY_RUNNING

    # The lease expires (15 minutes later, compressed) and the next run takes it over.
    Lease.objects.filter(name=name).update(locked_until=timezone.now() - timedelta(seconds=1))
    run = engine.sync_entity(connection=office.connection, entity="customer", trigger="manual")

    assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
    # The dead worker's run does not stay "running" for ever: the run that took over closed it.
    assert not SyncRun.objects.filter(status=SyncRun.Status.RUNNING).exists()
    assert not run.full  # incremental: the dead run did not move the watermark past anything
    assert Watermark.objects.get(connection=office.connection, entity="customer").moment > watermark
    lease = Lease.objects.get(name=name)
    assert lease.version == dead.version + 1 > version_before  # fenced: a new claim
    assert lease.owner == "" and lease.locked_until is None  # released at the end
    # No lost change, no duplicate: every 24SO company once in Tidsbro, and the other way round.
    companies = set(
        so.Company.objects.filter(client=office.client, active=True).values_list(
            "company_id", flat=True
        )
    )
    bound = list(
        Binding.objects.filter(connection=office.connection, entity="customer").values_list(
            "external_id", "local_id"
        )
    )
    assert sorted(int(e) for e, _ in bound) == sorted(companies)
    assert len({local for _, local in bound}) == len(bound)
    assert Customer.objects.filter(name__startswith="Crash pull").count() == EXTRA_COMPANIES
    report(
        f"crash mid-pull: killed after {imported_by_dead} of {EXTRA_COMPANIES} new companies "
        f"were applied; next run fetched {run.fetched}, created {run.created}, "
        f"skipped {run.skipped}, requests {run.requests}; lease version "
        f"{dead.version} → {lease.version}"
    )


def test_a_worker_killed_in_the_middle_of_a_push(
    office: Office, shared_db: SharedDb, sandbox_server: SandboxServer, monkeypatch
) -> None:
    # A backlog of approved hours, pushed by the worker (the kick after commit is off).
    monkeypatch.setattr(outbox, "kick", lambda connection_id: None)
    open_numbers = set(
        so.Project.objects.filter(client=office.client, version=so.Project.OPEN).values_list(
            "project_id", flat=True
        )
    )
    project = Project.objects.filter(number__in=open_numbers).order_by("pk").first()
    for user in office.users:  # only the project's members register hours on it
        ProjectMember.objects.get_or_create(project=project, user=user)
    entries = []
    for n in range(30):
        user = office.users[n % len(office.users)]
        entry = time_entry_create(
            actor=user,
            project=project,
            work_type=project.default_work_type or _work_type(),
            hours=Decimal("1.50"),
            date=date(2026, 10, 1) + timedelta(days=n),
            description=f"Backlog {n}",
        )
        entries.append(approve(office, entry))
    assert OutboxItem.objects.filter(entity="hour", status="pending").count() == 30
    knobs(latency_ms=500)
    worker = start_worker(shared_db, sandbox_server, "push", str(office.connection.pk))
    # Killed while 24SO is creating the 9th hour (it arrived; the answer never will): the
    # worker marks a create "outcome unknown" right before sending it (or, should it not,
    # has sent it 0.25 s after the 8th), and 24SO takes 500 ms.
    wait_for_requests("SaveHour", 8, worker)
    sending = OutboxItem.objects.filter(entity="hour", status=OutboxItem.Status.AMBIGUOUS)
    deadline = time.monotonic() + 0.25
    while not sending.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    kill(worker)
    settle_sandbox(slow_seconds=0.3)
    knobs(latency_ms=0)
    created_by_dead = so.RequestLog.objects.filter(operation="SaveHour").count()
    # The hour 24SO was creating when the worker died: created there, never bound here.
    unbound = [
        e.pk
        for e in entries
        if not Binding.objects.filter(entity="hour", local_id=e.pk).exists()
        and erp_hours_by_ref().get(f"TB-{e.pk}")
    ]
    assert len(unbound) == 1
    marked = list(
        OutboxItem.objects.filter(entity="hour", status=OutboxItem.Status.AMBIGUOUS).values_list(
            "local_id", flat=True
        )
    )

    # The dead worker's claims still hold: nobody pushes its items twice meanwhile.
    assert outbox.push_pending(connection=office.connection) is None
    # The claims run out (5 minutes later, compressed); the next push picks everything up.
    OutboxItem.objects.filter(entity="hour").update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    lookups_before = so.RequestLog.objects.filter(operation="GetHours").count()
    run = outbox.push_pending(connection=office.connection)

    assert run is not None and run.errors == 0, run.error_text
    assert OutboxItem.objects.filter(entity="hour").exclude(status="done").count() == 0
    in_erp = erp_hours_by_ref()
    not_once = {f"TB-{e.pk}": in_erp.get(f"TB-{e.pk}", 0) for e in entries}
    assert {ref: n for ref, n in not_once.items() if n != 1} == {}, "hours in 24SO per entry"
    # One SaveHour per hour over both workers: the one in flight was looked up, not resent.
    assert so.RequestLog.objects.filter(operation="SaveHour").count() == len(entries)
    assert so.RequestLog.objects.filter(operation="GetHours").count() == lookups_before + 1
    binding = Binding.objects.get(entity="hour", local_id=unbound[0])
    assert so.Hour.objects.filter(hour_id=int(binding.external_id)).count() == 1
    # Because it had been marked "outcome unknown" before it was sent.
    assert marked == unbound
    report(
        f"crash mid-push: killed after {created_by_dead} SaveHour requests reached 24SO "
        f"(1 in flight, outcome unknown); next push: pushed {run.pushed}, created "
        f"{run.created}, requests {run.requests}; 1 look-up; {len(entries)} hours once each"
    )


def _work_type():
    from apps.worktypes.models import WorkType

    return WorkType.objects.filter(is_active=True).order_by("pk").first()


def test_a_paused_worker_that_lost_its_lease_cannot_write_when_it_wakes_up(
    office: Office, shared_db: SharedDb, sandbox_server: SandboxServer
) -> None:
    """Fencing: a worker frozen (SIGSTOP) past its lease's expiry is a zombie; once another run
    has taken the lease over, the zombie's next page is refused and its run ends failed."""
    now = timezone.now()
    so.Company.objects.bulk_create(
        so.Company(
            client=office.client,
            company_id=50001 + n,
            name=f"Zombie pull {n}",
            country="NO",
            date_created=now,
            date_changed=now,
        )
        for n in range(EXTRA_COMPANIES)
    )
    name = lease_name(office.connection, "customer")
    knobs(latency_ms=300)
    worker = start_worker(shared_db, sandbox_server, "pull", str(office.connection.pk), "customer")
    new_bindings = Binding.objects.filter(
        connection=office.connection, entity="customer", external_id__gte="50001"
    )
    deadline = time.monotonic() + 60
    while not new_bindings.exists():
        assert worker.poll() is None, worker.communicate()
        assert time.monotonic() < deadline, "the worker never applied a page"
        time.sleep(0.02)
    time.sleep(0.2)  # reading the next page (no transaction open)
    os.kill(worker.pid, signal.SIGSTOP)
    try:
        zombie = Lease.objects.get(name=name)
        Lease.objects.filter(name=name).update(locked_until=timezone.now() - timedelta(seconds=1))
        knobs(latency_ms=0)
        run = engine.sync_entity(connection=office.connection, entity="customer", trigger="manual")
        assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
        watermark = Watermark.objects.get(connection=office.connection, entity="customer").cursor
        applied = new_bindings.count()
    finally:
        os.kill(worker.pid, signal.SIGCONT)
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err[-2000:]

    assert json.loads(out.strip().splitlines()[-1])["status"] == SyncRun.Status.FAILED
    stale = SyncRun.objects.filter(entity="customer", status=SyncRun.Status.FAILED).get()
    assert "took over" in stale.error_text
    # Nothing the zombie did after waking up reached the database.
    assert (
        Watermark.objects.get(connection=office.connection, entity="customer").cursor == watermark
    )
    assert new_bindings.count() == applied == EXTRA_COMPANIES
    assert Lease.objects.get(name=name).version == zombie.version + 1
    assert Customer.objects.filter(name__startswith="Zombie pull").count() == EXTRA_COMPANIES
    report(
        f"zombie worker: paused holding lease v{zombie.version}, the next run took v"
        f"{zombie.version + 1} and imported all {EXTRA_COMPANIES}; on waking the zombie's run "
        f"ended '{stale.status}': {stale.error_text}"
    )
