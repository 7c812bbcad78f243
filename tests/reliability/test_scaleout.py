"""Scale-out as the README runs production: two `manage.py qcluster` processes (two machines)
on the Redis broker and one PostgreSQL database, with the 24SO sandbox in its own process.

Through a schedule tick (both clusters' schedulers see it due), a burst of approved hours and
one cluster killed with SIGKILL in the middle of pushing them: the scheduled sync runs once,
every hour reaches 24SO exactly once, and nothing is left running, claimed or waiting.

Only on PostgreSQL: SQLite is one machine's database, so several machines do not apply there.
On PostgreSQL it needs Redis on 127.0.0.1:6379 and fails (never skips) without it. It uses its
own Redis database (TIDSBRO_TEST_REDIS_DB, default 13), emptied before and after.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from apps.integrations.models import Lease, OutboxItem, SyncRun
from apps.integrations.schedules import ensure_schedules
from apps.integrations.sync import outbox
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
    worker_env,
)

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="scale-out needs PostgreSQL (DATABASE_URL); several machines do not share SQLite",
)

REDIS_URL = f"redis://127.0.0.1:6379/{os.environ.get('TIDSBRO_TEST_REDIS_DB', '13')}"
ROOT = Path(__file__).resolve().parents[2]
HOURS = 24
HOURLY = "integrations: pull changes (hourly)"


@pytest.fixture
def redis_db():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is not running at {REDIS_URL} (the scale-out test needs it): {exc}")
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def office(shared_db: SharedDb, sandbox_server: SandboxServer) -> Office:
    office = make_office(sandbox_server.url)
    yield office
    knobs(latency_ms=0)


def _env(db: SharedDb, server: SandboxServer) -> dict[str, str]:
    return worker_env(
        db,
        REDIS_URL=REDIS_URL,
        TIDSBRO_TEST_Q_SYNC="false",
        Q_WORKERS="2",
        TWENTYFOURSEVEN_API_BASE=server.url,
        TWENTYFOURSEVEN_WEBSERVICES_BASE=server.url,
    )


class Cluster:
    """One machine's `manage.py qcluster`, in its own process group (killed as a whole)."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"qcluster-{name}.log"
        self._out = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def processed(self, func: str) -> int:
        return sum(
            1 for line in self.text().splitlines() if " processing " in line and func in line
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        else:  # its children may outlive a killed parent: the group goes too
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._out.close()


@pytest.fixture
def clusters(shared_db, sandbox_server, redis_db, tmp_path):
    env = _env(shared_db, sandbox_server)
    started = [Cluster(name, env, tmp_path) for name in ("a", "b")]
    yield started
    for cluster in started:
        cluster.stop()


def _enqueue(db: SharedDb, server: SandboxServer, code: str) -> None:
    """What a web process does after a commit: puts a job on the Redis queue."""
    subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=_env(db, server),
        check=True,
        timeout=60,
        capture_output=True,
    )


def _wait(what: str, done, clusters, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        for cluster in clusters:
            assert cluster.alive(), f"qcluster {cluster.name} exited:\n{cluster.text()[-3000:]}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}: " + "\n".join(
            c.text()[-1500:] for c in clusters
        )
        time.sleep(0.05)


def _work_type(project: Project):
    from apps.worktypes.models import WorkType

    return project.default_work_type or WorkType.objects.filter(is_active=True).first()


def test_two_qcluster_machines_on_redis_survive_a_tick_a_burst_and_a_killed_worker(
    office: Office, shared_db: SharedDb, sandbox_server: SandboxServer, clusters, monkeypatch
) -> None:
    from django_q.models import Success

    started = time.monotonic()
    a, b = clusters
    # The schedules as `migrate` leaves them; the hourly pull is due, the others are not, so
    # the tick is the hourly pull alone (the sweep is enqueued below, as its schedule would).
    ensure_schedules()
    from django_q.models import Schedule

    Schedule.objects.exclude(name=HOURLY).update(next_run=timezone.now() + timedelta(days=1))
    Schedule.objects.filter(name=HOURLY).update(next_run=timezone.now() - timedelta(seconds=1))

    # 1. The tick: each cluster's scheduler looks every 30 s; the hourly pull runs once.
    _wait(
        "both schedulers",
        lambda: (
            all(c.text().count("running") for c in clusters)
            and Schedule.objects.get(name=HOURLY).next_run > timezone.now()
        ),
        clusters,
        timeout=60,
    )
    _wait(
        "the scheduled pull",
        lambda: Success.objects.filter(func="apps.integrations.jobs.pull_all").exists(),
        clusters,
        timeout=45,
    )
    pulls = SyncRun.objects.filter(trigger=SyncRun.Trigger.SCHEDULE, kind="pull")
    tick = time.monotonic() - started

    # 2. A burst of approved hours (the office at work); their push is asked for once the
    # burst is in, from a web process through Redis.
    monkeypatch.setattr(outbox, "kick", lambda connection_id: None)
    open_numbers = set(
        so.Project.objects.filter(client=office.client, version=so.Project.OPEN).values_list(
            "project_id", flat=True
        )
    )
    project = Project.objects.filter(number__in=open_numbers).order_by("pk").first()
    for user in office.users:  # only the project's members register hours on it
        ProjectMember.objects.get_or_create(project=project, user=user)
    entries = [
        approve(
            office,
            time_entry_create(
                actor=office.users[n % len(office.users)],
                project=project,
                work_type=_work_type(project),
                hours=Decimal("1.25"),
                date=date(2026, 9, 1) + timedelta(days=n),
                description=f"Scale-out {n}",
            ),
        )
        for n in range(HOURS)
    ]
    assert OutboxItem.objects.filter(entity="hour", status="pending").count() == HOURS
    knobs(latency_ms=400)
    _enqueue(
        shared_db,
        sandbox_server,
        f"from apps.integrations.sync import outbox; outbox.kick({office.connection.pk})",
    )

    # 3. The cluster that took the push is killed (the whole machine) while 24SO is creating
    # an hour: the create was marked "outcome unknown" right before it was sent.
    push = "apps.integrations.jobs.push_pending"
    _wait("a push", lambda: a.processed(push) or b.processed(push), clusters, timeout=30)
    victim, survivor = (a, b) if a.processed(push) else (b, a)
    _wait(
        "hours reaching 24SO",
        lambda: so.RequestLog.objects.filter(operation="SaveHour").count() >= 6,
        clusters,
        timeout=30,
    )
    in_flight = OutboxItem.objects.filter(entity="hour", status=OutboxItem.Status.AMBIGUOUS)
    _wait("a create in flight", in_flight.exists, clusters, timeout=5)
    victim.kill()
    settle_sandbox(slow_seconds=0.5)
    knobs(latency_ms=0)
    sent_by_victim = so.RequestLog.objects.filter(operation="SaveHour").count()
    assert 0 < sent_by_victim < HOURS, "killed in the middle of the push, not before or after"
    assert OutboxItem.objects.filter(entity="hour").exclude(status="done").exists()

    # 4. Five minutes later (compressed: the dead machine's claims and its run's start move
    # back), the every-minute sweep runs on the surviving machine.
    OutboxItem.objects.filter(lease_until__isnull=False).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    SyncRun.objects.filter(status=SyncRun.Status.RUNNING, kind="push").update(
        started_at=timezone.now() - timedelta(minutes=6)
    )
    _enqueue(
        shared_db,
        sandbox_server,
        "from django_q.tasks import async_task; "
        "async_task('apps.integrations.jobs.sweep_outbox', group='integrations')",
    )
    _wait(
        "the sweep",
        lambda: (
            not OutboxItem.objects.exclude(status="done").exists()
            and Success.objects.filter(func="apps.integrations.jobs.sweep_outbox").exists()
        ),
        [survivor],
        timeout=45,
    )

    # The tick ran once across both machines: one pull_all task, one run per object type.
    assert Success.objects.filter(func="apps.integrations.jobs.pull_all").count() == 1
    per_entity = {}
    for entity in pulls.values_list("entity", flat=True):
        per_entity[entity] = per_entity.get(entity, 0) + 1
    assert per_entity and set(per_entity.values()) == {1}, per_entity
    assert not pulls.exclude(status=SyncRun.Status.SUCCEEDED).exists()
    # Every hour in 24SO exactly once; one SaveHour each (the one in flight was looked up).
    in_erp = erp_hours_by_ref()
    assert {f"TB-{e.pk}": in_erp.get(f"TB-{e.pk}", 0) for e in entries} == {
        f"TB-{e.pk}": 1 for e in entries
    }
    assert so.RequestLog.objects.filter(operation="SaveHour").count() == HOURS
    # Nothing stuck: no run left running, no lease held, no claim, nothing waiting.
    assert not SyncRun.objects.filter(status=SyncRun.Status.RUNNING).exists()
    assert not Lease.objects.exclude(owner="").exists()
    assert not OutboxItem.objects.filter(lease_until__gt=timezone.now()).exists()
    assert survivor.alive()
    report(
        f"scale-out: 2 qcluster on Redis + PostgreSQL; tick after {tick:.0f} s ran pull_all "
        f"once ({len(per_entity)} types); {HOURS} hours, cluster {victim.name} killed after "
        f"{sent_by_victim} SaveHour; cluster {survivor.name} finished: {HOURS} hours once "
        f"each in 24SO; {time.monotonic() - started:.0f} s"
    )
