"""`manage.py demo_run`: serves on the port asked for, the URLs of every sandbox declared in
settings.SANDBOXES follow it, and SIGTERM or Ctrl+C stops the background worker with the
server (a real process, a real port)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from apps.demo.management.commands.demo_run import follow_served_address, served_base_url
from apps.demo.sandboxes import about_lines, installed_sandboxes

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent has not read its status yet.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_served_base_url_reaches_this_machine_for_wildcard_hosts():
    assert served_base_url("127.0.0.1", "8302") == "http://127.0.0.1:8302"
    assert served_base_url("0.0.0.0", "8302")  # noqa: S104 == "http://127.0.0.1:8302"
    assert served_base_url("::", "9000") == "http://[::1]:9000"
    assert served_base_url("localhost", "80") == "http://localhost:80"


@pytest.fixture
def local_sandboxes(settings):
    """The sandboxes as the demo's (local) settings declare them."""
    from config.settings.local import SANDBOXES

    settings.SANDBOXES = SANDBOXES
    return SANDBOXES


def test_the_connector_follows_the_served_address(local_sandboxes, settings, monkeypatch):
    monkeypatch.delenv("TWENTYFOURSEVEN_API_BASE", raising=False)
    monkeypatch.delenv("TWENTYFOURSEVEN_WEBSERVICES_BASE", raising=False)
    env = follow_served_address("http://127.0.0.1:8302")
    assert settings.TWENTYFOURSEVEN_API_BASE == "http://127.0.0.1:8302/sandbox/24so"
    assert settings.TWENTYFOURSEVEN_WEBSERVICES_BASE == "http://127.0.0.1:8302/sandbox/24so"
    assert env["TIDSBRO_BASE_URL"] == "http://127.0.0.1:8302"
    assert env["TWENTYFOURSEVEN_API_BASE"] == "http://127.0.0.1:8302/sandbox/24so"


def test_every_installed_sandbox_follows_the_served_address_and_is_described(
    local_sandboxes, settings, monkeypatch
):
    for entry in local_sandboxes:
        for name in entry["settings"]:
            monkeypatch.delenv(name, raising=False)
    assert len(installed_sandboxes()) == len(local_sandboxes) >= 2  # both are installed here

    env = follow_served_address("http://127.0.0.1:8302")

    for entry in local_sandboxes:
        for name, suffix in entry["settings"].items():
            expected = f"http://127.0.0.1:8302{entry['path']}{suffix}"
            assert getattr(settings, name) == env[name] == expected
    printed = "\n".join(about_lines("http://127.0.0.1:8302"))
    for entry in local_sandboxes:
        assert f"http://127.0.0.1:8302{entry['path']}/" in printed


def test_a_sandbox_that_is_not_installed_is_left_out(settings):
    settings.SANDBOXES = [
        {"app": "apps.sandbox.nowhere", "path": "/sandbox/nowhere", "settings": {"X_BASE": ""}}
    ]
    assert installed_sandboxes() == []
    assert "X_BASE" not in follow_served_address("http://127.0.0.1:8302")
    assert about_lines("http://127.0.0.1:8302") == []


def test_an_address_set_in_the_environment_is_kept(local_sandboxes, settings, monkeypatch):
    monkeypatch.setenv("TWENTYFOURSEVEN_API_BASE", "https://api.24sevenoffice.com")
    settings.TWENTYFOURSEVEN_API_BASE = "https://api.24sevenoffice.com"
    env = follow_served_address("http://127.0.0.1:8302")
    assert settings.TWENTYFOURSEVEN_API_BASE == "https://api.24sevenoffice.com"
    assert "TWENTYFOURSEVEN_API_BASE" not in env


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> dict[str, str]:
    """A migrated SQLite file for the demo process (the test database is in memory)."""
    path = tmp_path_factory.mktemp("demo") / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "SQLITE_PATH": str(path),
        "DATABASE_URL": "",
        "Q_WORKERS": "1",
    }
    env.pop("TWENTYFOURSEVEN_API_BASE", None)
    env.pop("TWENTYFOURSEVEN_WEBSERVICES_BASE", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    return env


def _start(env: dict[str, str], port: int) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "demo_run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    worker = None
    deadline = time.monotonic() + 60
    for line in process.stdout:
        match = re.search(r"Background worker: process (\d+)", line)
        if match:
            worker = int(match.group(1))
            break
        assert time.monotonic() < deadline, "demo_run did not start"
    assert worker is not None
    while True:  # until the server answers
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2)  # noqa: S310
            break
        except OSError:
            assert time.monotonic() < deadline, "the demo server did not answer"
            time.sleep(0.3)
    return process, worker


def _worker_env(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def _kill(process: subprocess.Popen, worker: int) -> None:
    """Whatever the test left running: demo_run's and the worker's process groups."""
    for pid in (process.pid, worker):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=5)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl+C"])
def test_stopping_demo_run_stops_its_worker_and_the_worker_follows_the_port(demo_db, sig):
    port = _free_port()
    process, worker = _start(demo_db, port)
    try:
        assert _alive(worker)
        # The worker syncs against the sandbox of the address served, not port 8000.
        env = _worker_env(worker)
        assert env["TWENTYFOURSEVEN_API_BASE"] == f"http://127.0.0.1:{port}/sandbox/24so"
        wsdl = urllib.request.urlopen(  # noqa: S310 - loopback
            f"http://127.0.0.1:{port}/sandbox/24so/authenticate/v001/authenticate.asmx?wsdl",
            timeout=5,
        ).read()
        assert f"127.0.0.1:{port}/sandbox/24so".encode() in wsdl

        process.send_signal(sig)  # Ctrl+C in a terminal is SIGINT to the server
        assert process.wait(timeout=30) == 0
        deadline = time.monotonic() + 20
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(worker), "the worker outlived demo_run"
    finally:
        _kill(process, worker)


def test_a_second_signal_while_stopping_still_stops_the_worker(demo_db):
    """An impatient second Ctrl+C (or a service manager repeating SIGTERM) used to interrupt
    the wait for the worker and leave it running, orphaned."""
    process, worker = _start(demo_db, _free_port())
    try:
        process.send_signal(signal.SIGTERM)
        time.sleep(0.05)  # demo_run is now stopping the worker, which takes a moment
        process.send_signal(signal.SIGINT)
        process.wait(timeout=40)
        deadline = time.monotonic() + 20
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(worker), "the worker outlived demo_run"
    finally:
        _kill(process, worker)


def test_local_settings_default_to_the_sandbox_on_this_server():
    assert settings.ROOT_URLCONF  # settings load; the local defaults are checked in a process
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django;django.setup();from django.conf import settings as s;"
            "print(s.TWENTYFOURSEVEN_API_BASE)",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("TWENTYFOURSEVEN_")},
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "TIDSBRO_BASE_URL": "http://127.0.0.1:8302",
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == "http://127.0.0.1:8302/sandbox/24so"
