"""A SQLite database named by DATABASE_URL=sqlite:///… gets the same settings as SQLITE_PATH
(WAL, a 20 s busy timeout, BEGIN IMMEDIATE): before, it got SQLite's defaults, and a worker
failed with "database is locked" whenever another process wrote for more than 5 s.

Both tests run Django in separate processes, as manage.py and the worker do (the settings are
read once, at start-up), each on a SQLite file of its own: the same on either suite database.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
django.setup()
from django.db import connection
options = connection.settings_dict["OPTIONS"]
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
    cursor.execute("PRAGMA busy_timeout")
    busy = cursor.fetchone()[0]
print(json.dumps({
    "journal_mode": journal,
    "busy_timeout_ms": busy,
    "transaction_mode": options.get("transaction_mode"),
}))
"""


def env_for(database: dict[str, str], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env.update(database, DJANGO_SETTINGS_MODULE="config.settings.test", **extra)
    return env


def url_of(path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{path}"}  # an absolute path: sqlite:////tmp/…


@pytest.mark.parametrize("named_by", ["SQLITE_PATH", "DATABASE_URL"])
def test_every_sqlite_database_gets_wal_a_long_busy_timeout_and_immediate_writes(
    tmp_path: Path, named_by: str
):
    path = tmp_path / "probe.sqlite3"
    database = {"SQLITE_PATH": str(path)} if named_by == "SQLITE_PATH" else url_of(path)

    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env_for(database),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "journal_mode": "wal",
        "busy_timeout_ms": 20000,
        "transaction_mode": "IMMEDIATE",
    }


# A WORKER ON DATABASE_URL=sqlite:///… WHILE ANOTHER PROCESS HOLDS THE WRITE LOCK
# ------------------------------------------------------------------------------
SETUP = """
import json, django
django.setup()
from apps.integrations.sync import engine, outbox
from apps.projects.models import Project
from apps.projects.services import project_update
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from tests.integrations.factories import connection_24so

seed()
connection = connection_24so(username=DEMO_USERNAME, password=DEMO_PASSWORD,
    connected=["customer", "project"], masters={"customer": "erp"},
)
for entity in ("customer", "project"):
    run = engine.sync_entity(connection=connection, entity=entity, trigger="manual", full=True)
    assert run.status == "succeeded", run.error_text
# The change waits for the worker: no kick in this process (as if the web had lost it).
outbox.kick = lambda connection_id: None
project = Project.objects.exclude(number=None).order_by("number").first()
project_update(project=project, data={"name": "Omdøpt under lås"})
print(json.dumps({"connection": connection.pk, "number": project.number}))
"""

WORKER = """
import sys, django
django.setup()
from apps.integrations.models import Connection
from apps.integrations.sync import outbox
connection = Connection.objects.get(pk=int(sys.argv[1]))
while outbox.push_pending(connection=connection) is not None:
    pass
"""

HOLD_SECONDS = 8  # longer than SQLite's default 5 s busy timeout, shorter than the 20 s set


@pytest.fixture
def sandbox_on_url(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A migrated SQLite file named by DATABASE_URL, and the sandbox served on it."""
    path = tmp_path / "office.sqlite3"
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=env_for(url_of(path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "runserver",
            "--noreload",
            "--skip-checks",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env_for(url_of(path)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/sandbox/24so"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/authenticate/v001/authenticate.asmx", timeout=5)
                break
            except requests.RequestException:
                assert server.poll() is None, "runserver exited"
                assert time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.1)
        yield path, url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def test_a_worker_on_a_database_url_waits_out_a_long_write_and_pushes(sandbox_on_url):
    path, url = sandbox_on_url
    erp = {"TWENTYFOURSEVEN_API_BASE": url, "TWENTYFOURSEVEN_WEBSERVICES_BASE": url}
    setup = subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=ROOT,
        env=env_for(url_of(path), **erp),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    made = json.loads(setup.stdout.strip().splitlines()[-1])

    # Another process (the web, an import) writes for longer than 5 s while the worker starts.
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE integrations_connection SET updated_at = updated_at")
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(made["connection"])],
        cwd=ROOT,
        env=env_for(url_of(path), **erp),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(HOLD_SECONDS)
        still_waiting = worker.poll() is None
    finally:
        holder.execute("COMMIT")
        holder.close()
    out, err = worker.communicate(timeout=60)

    assert still_waiting, f"the worker gave up while the lock was held: {err[-2000:]}"
    assert worker.returncode == 0, err[-2000:]
    db = sqlite3.connect(path)
    try:
        waiting = db.execute(
            "SELECT status, last_error FROM integrations_outboxitem WHERE status != 'done'"
        ).fetchall()
        renamed = db.execute(
            "SELECT project_id FROM sandbox_24so_project WHERE name = ?", ["Omdøpt under lås"]
        ).fetchall()
    finally:
        db.close()
    assert waiting == []
    assert renamed == [(made["number"],)]
