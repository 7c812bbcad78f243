"""Several worker processes trigger the same syncs and register and approve hours at once
(each push kicked right after its commit, as in production): one run per lease at a time,
the others say "already running", nobody deadlocks, and 24SO gets every hour exactly once.

Runs on PostgreSQL and on SQLite (a file copy of the test database; see `shared_db`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from apps.integrations.models import Lease, OutboxItem, SyncRun
from apps.integrations.sync.engine import lease_name
from apps.projects.models import Project, ProjectMember
from apps.sandbox.twentyfourseven import models as so
from apps.timesheets.models import TimeEntry

from .conftest import (
    Office,
    SandboxServer,
    SharedDb,
    duplicates,
    erp_hours_by_ref,
    knobs,
    make_office,
    report,
    settle_sandbox,
    worker_env,
)

PROCESSES = 4
ROUNDS = 3
ENTITIES = ("customer", "project")

# One worker: waits for the common start, then per round pulls both types, registers and
# approves two hours (their push is kicked after commit and runs in this process), and
# pushes whatever is due. Prints what each sync trigger answered.
WORKER = """
import datetime as dt, json, sys, time, django
django.setup()
from decimal import Decimal
from apps.accounts.models import User
from apps.integrations.models import Connection
from apps.integrations.sync import engine, outbox
from apps.projects.models import Project
from apps.timesheets.services import time_entry_create, time_entry_transition
connection = Connection.objects.get(pk=int(sys.argv[1]))
user = User.objects.get(pk=int(sys.argv[2]))
admin = User.objects.get(pk=int(sys.argv[3]))
project = Project.objects.get(pk=int(sys.argv[4]))
index, start = int(sys.argv[5]), float(sys.argv[6])
time.sleep(max(0.0, start - time.time()))
statuses = []
for r in range(int(sys.argv[7])):
    for entity in sys.argv[8].split(","):
        run = engine.sync_entity(connection=connection, entity=entity, trigger="manual")
        statuses.append([entity, run.status])
    for n in range(2):
        entry = time_entry_create(
            actor=user, project=project, work_type=project.default_work_type,
            hours=Decimal("0.75"), date=dt.date(2026, 9, 1) + dt.timedelta(days=r * 2 + n),
            description=f"Worker {index} round {r}.{n}",
        )
        entry = time_entry_transition(actor=user, entry=entry, action="submit")
        time_entry_transition(actor=admin, entry=entry, action="approve_user")
    outbox.push_pending(connection=connection)
print(json.dumps(statuses))
"""


def test_workers_at_once_one_run_per_lease_no_deadlock_no_duplicate(
    shared_db: SharedDb, sandbox_server: SandboxServer
) -> None:
    office: Office = make_office(sandbox_server.url)
    open_numbers = set(
        so.Project.objects.filter(client=office.client, version=so.Project.OPEN).values_list(
            "project_id", flat=True
        )
    )
    project = Project.objects.filter(number__in=open_numbers, default_work_type__isnull=False)
    project = project.order_by("pk").first()
    for user in office.users:  # only the project's members register hours on it
        ProjectMember.objects.get_or_create(project=project, user=user)
    versions = {
        e: Lease.objects.get(name=lease_name(office.connection, e)).version for e in ENTITIES
    }
    runs_before = set(SyncRun.objects.values_list("pk", flat=True))
    knobs(latency_ms=150)  # each pull takes long enough for the others to run into it
    start = time.time() + 4  # every process is set up by then
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                str(office.connection.pk),
                str(office.users[i].pk),
                str(office.admin.pk),
                str(project.pk),
                str(i),
                str(start),
                str(ROUNDS),
                ",".join(ENTITIES),
            ],
            cwd=str(Path(__file__).resolve().parents[2]),
            env=worker_env(
                shared_db,
                TWENTYFOURSEVEN_API_BASE=sandbox_server.url,
                TWENTYFOURSEVEN_WEBSERVICES_BASE=sandbox_server.url,
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    answers = []
    try:
        for worker in workers:
            # Bounded: a deadlock (or a lock wait that never ends) fails here.
            out, err = worker.communicate(timeout=90)
            assert worker.returncode == 0, err[-3000:]
            answers.extend(json.loads(out.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
    settle_sandbox()
    knobs(latency_ms=0)
    elapsed = time.time() - start

    # One run per lease: every run that did the work had its own claim, no two at a time;
    # the others were told a sync was running.
    runs = SyncRun.objects.exclude(pk__in=runs_before).filter(kind="pull")
    busy = runs.filter(status=SyncRun.Status.ALREADY_RUNNING)
    assert busy.exists()
    assert sum(1 for _e, status in answers if status == "already_running") == busy.count()
    for entity in ENTITIES:
        worked = list(
            runs.filter(entity=entity)
            .exclude(status=SyncRun.Status.ALREADY_RUNNING)
            .order_by("started_at")
        )
        assert all(r.status == SyncRun.Status.SUCCEEDED for r in worked), [
            r.error_text for r in worked
        ]
        lease = Lease.objects.get(name=lease_name(office.connection, entity))
        assert lease.version - versions[entity] == len(worked)
        assert lease.owner == ""
        # The lease is released just before the run row is closed: allow that instant.
        for earlier, later in zip(worked, worked[1:], strict=False):
            assert later.started_at >= earlier.finished_at - timedelta(milliseconds=300), (
                entity,
                earlier.pk,
                later.pk,
            )

    # Every approved hour is in 24SO exactly once; nothing is left waiting.
    hours = TimeEntry.objects.filter(description__startswith="Worker ")
    assert hours.count() == PROCESSES * ROUNDS * 2
    in_erp = erp_hours_by_ref()
    assert {f"TB-{pk}": 1 for pk in hours.values_list("pk", flat=True)} == in_erp, list(
        OutboxItem.objects.exclude(status="done").values(
            "local_id", "status", "attempts", "last_error", "next_attempt_at", "lease_until"
        )
    )
    assert OutboxItem.objects.exclude(status=OutboxItem.Status.DONE).count() == 0
    assert (
        duplicates(so.Hour, "description", client=office.client, description__contains="[TB-") == []
    )
    assert duplicates(so.Company, "company_id", client=office.client) == []
    report(
        f"concurrency: {PROCESSES} processes × {ROUNDS} rounds in {elapsed:.1f} s: "
        f"{runs.count() - busy.count()} pull runs did the work, {busy.count()} were told "
        f"'already running'; {hours.count()} hours pushed, each once "
        f"({so.RequestLog.objects.filter(operation='SaveHour').count()} SaveHour requests)"
    )
