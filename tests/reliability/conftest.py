"""The office world of the reliability tests: the seeded 24SO sandbox over real HTTP, a
connection importing everything from it, mapped users, and helpers to count what happened.

Production code all the way: the engine's jobs, the outbox, the 24SO client (zeep over
`requests`) and the sandbox's own request handling. The only thing the tests add is time
compression: backed-off outbox items are made due at once instead of waiting minutes.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db.models import Count

from apps.accounts.models import User
from apps.integrations.models import Binding, Connection, HourTransfer, OutboxItem
from apps.integrations.setup import initial_import
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.runtime import fault_decision, knobs_get
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from apps.timesheets.models import TimeEntry
from apps.timesheets.services import time_entry_transition
from tests.integrations.factories import connection_24so

FJORDLYS = 2400101
API_CONTACT = 1  # the sandbox's integration user
# "slow" (wait, then do the work) is left out: on live_server's shared in-memory SQLite its
# late database work would race the test's own thread; "hang" (work done, answer late) gives
# the client the same read timeout with an unknown outcome.
FAULT_KINDS = ("error", "drop", "hang", "http500", "expire")


# Figures the tests report; shown at the end of every run (not only with -s or on failure).
REPORT: list[str] = []


def report(line: str) -> None:
    print(line)  # noqa: T201 - also in the test's captured output
    REPORT.append(line)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT:
        terminalreporter.section("reliability figures")
        for line in REPORT:
            terminalreporter.write_line(line)


def knobs(**changes: Any) -> None:
    knobs_get()
    so.Knobs.objects.filter(pk=1).update(**changes)


def settle_sandbox(*, slow_seconds: float = 0.0, quiet: float = 0.3, timeout: float = 15.0) -> None:
    """Waits until the sandbox has finished every request: an answer the client gave up on is
    still being handled (and may still write) for `slow_seconds` after the client moved on."""
    time.sleep(slow_seconds)
    deadline = time.monotonic() + timeout
    seen = so.RequestLog.objects.count()
    while True:
        time.sleep(quiet)
        now = so.RequestLog.objects.count()
        if now == seen:
            return
        assert time.monotonic() < deadline, "the sandbox never went quiet"
        seen = now


def injected_faults(*, first: int, last: int) -> dict[str, int]:
    """The faults the seeded knobs injected into requests first..last (pure recomputation)."""
    k = knobs_get()
    kinds = [
        kind
        for kind, on in (
            ("error", k.fault_error),
            ("drop", k.fault_drop),
            ("slow", k.fault_slow),
            ("hang", k.fault_hang),
            ("http500", k.fault_http500),
            ("expire", k.fault_expire),
        )
        if on
    ]
    counts: dict[str, int] = {}
    for n in range(first, last + 1):
        kind = fault_decision(seed=k.fault_seed, sequence=n, rate=k.fault_rate, kinds=kinds)
        if kind:
            counts[kind] = counts.get(kind, 0) + 1
    return counts


@dataclass
class Office:
    url: str
    connection: Connection
    client: so.Client
    admin: User
    users: list[User]


def make_office(url: str) -> Office:
    """Seeds the sandbox, maps four employees by e-mail and imports everything (no faults)."""
    seed()
    client = so.Client.objects.get(client_id=FJORDLYS)
    persons = list(
        so.Person.objects.filter(client=client, user_guid__isnull=False, is_employee=True)
        .exclude(contact_id=API_CONTACT)
        .exclude(email="")
        .order_by("contact_id")[:4]
    )
    users = [
        User.objects.create_user(email=p.email.lower(), first_name=p.first_name, last_name="")
        for p in persons
    ]
    admin = User.objects.create_superuser(email="admin@tidsbro.example", password="x")
    connection = connection_24so(
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        connected=["customer", "project", "work_type", "task", "hour"],
        masters={"customer": "erp", "work_type": "erp"},
        hour_transfer=HourTransfer.ON_APPROVAL,
        integration_user_external_id=str(API_CONTACT),
    )
    initial_import(connection)
    return Office(url=url, connection=connection, client=client, admin=admin, users=users)


@pytest.fixture
def office(live_server: Any, transactional_db: None, settings: Any) -> Iterator[Office]:
    url = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = url
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = url
    yield make_office(url)
    knobs(fault_rate=0.0, latency_ms=0, quarantine_until=None)


def approve(office: Office, entry: TimeEntry) -> TimeEntry:
    if entry.status == TimeEntry.Status.DRAFT:
        entry = time_entry_transition(actor=entry.user, entry=entry, action="submit")
    return time_entry_transition(actor=office.admin, entry=entry, action="approve_user")


def erp_hours_by_ref() -> dict[str, int]:
    """How many 24SO hours carry each Tidsbro token "[TB-<id>]" in their description."""
    counts: dict[str, int] = {}
    for description in so.Hour.objects.filter(description__contains="[TB-").values_list(
        "description", flat=True
    ):
        ref = description[description.index("[TB-") + 1 : description.index("]")]
        counts[ref] = counts.get(ref, 0) + 1
    return counts


def duplicates(model: type, *fields: str, **filters: Any) -> list[dict[str, Any]]:
    """Groups of sandbox rows sharing `fields` (more than one row each)."""
    return list(
        model.objects.filter(**filters)
        .values(*fields)
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .order_by()
    )


def hours_total(entries: list[TimeEntry]) -> Decimal:
    return sum((e.hours for e in entries), Decimal("0"))


def outbox_waiting(connection: Connection) -> int:
    return OutboxItem.objects.filter(
        connection=connection,
        status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS],
    ).count()


def bound_external_ids(connection: Connection, entity: str) -> dict[int, str]:
    return dict(
        Binding.objects.filter(connection=connection, entity=entity)
        .exclude(external_id="")
        .exclude(local_id__isnull=True)
        .values_list("local_id", "external_id")
    )


# A DATABASE OTHER PROCESSES CAN OPEN, AND THE SANDBOX IN ITS OWN PROCESS
# ------------------------------------------------------------------------------
# pytest-django gives SQLite tests an in-memory database ("file:memorydb_default?mode=memory
# &cache=shared"): no other process can open it. The crash and concurrency tests need workers
# in separate processes (SIGKILL is per process), so on SQLite `shared_db` copies the migrated
# test database into a file and points this thread's "default" connection at it for the
# test; workers and the sandbox (manage.py runserver) open the same file (WAL, busy timeout,
# BEGIN IMMEDIATE as in production). On PostgreSQL the test database is already shared: the
# processes connect to it by name. The whole suite keeps its fast in-memory database.
@dataclass
class SharedDb:
    env: dict[str, str]  # what a worker process needs to open this database
    path: Path | None = None


@pytest.fixture
def shared_db(transactional_db: None, tmp_path: Path) -> Iterator[SharedDb]:
    from django.db import connection, connections
    from django.db.backends.sqlite3.base import DatabaseWrapper

    if connection.vendor != "sqlite":
        db = connection.settings_dict
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        yield SharedDb(env={"DATABASE_URL": f"postgres://{auth}@{host}/{db['NAME']}"})
        return
    path = tmp_path / "shared.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    memory = connections["default"]
    settings_dict = {**memory.settings_dict, "NAME": str(path), "TEST": {"NAME": str(path)}}
    settings_dict["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    on_file = DatabaseWrapper(settings_dict, alias="default")
    connections["default"] = on_file
    try:
        yield SharedDb(env={"SQLITE_PATH": str(path)}, path=path)
    finally:
        on_file.close()
        connections["default"] = memory


def worker_env(db: SharedDb, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SQLITE_PATH")
    }
    env.update(db.env)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    env.update(extra)
    return env


@dataclass
class SandboxServer:
    url: str  # the 24SO base URL (…/sandbox/24so)
    process: subprocess.Popen


@pytest.fixture
def sandbox_server(shared_db: SharedDb, settings: Any) -> Iterator[SandboxServer]:
    """The sandbox under `manage.py runserver` (threaded) on the shared database."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "runserver",
            "--noreload",
            "--skip-checks",
            f"127.0.0.1:{port}",
        ],
        cwd=settings.BASE_DIR,
        env=worker_env(shared_db),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/sandbox/24so"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/authenticate/v001/authenticate.asmx", timeout=5)
                break
            except requests.RequestException:
                assert process.poll() is None, "runserver exited"
                assert time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.1)
        settings.TWENTYFOURSEVEN_API_BASE = url
        settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = url
        yield SandboxServer(url=url, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# A worker process: Django set up against the shared database, one job, then exit.
WORKER = """
import os, sys, json, django
django.setup()
from apps.integrations.models import Connection
from apps.integrations.sync import engine, outbox
connection = Connection.objects.get(pk=int(sys.argv[2]))
if sys.argv[1] == "pull":
    run = engine.sync_entity(connection=connection, entity=sys.argv[3], trigger="manual")
    print(json.dumps({"status": run.status, "fetched": run.fetched}))
else:
    while outbox.push_pending(connection=connection) is not None:
        pass
"""


def start_worker(db: SharedDb, server: SandboxServer, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, *args],
        cwd=str(Path(__file__).resolve().parents[2]),
        env=worker_env(
            db,
            TWENTYFOURSEVEN_API_BASE=server.url,
            TWENTYFOURSEVEN_WEBSERVICES_BASE=server.url,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
