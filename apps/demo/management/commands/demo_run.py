"""Serves the demo: the web server (threaded, so the app can call its sandboxes on itself) and a
worker. Which sandboxes it points the connectors at, and what it prints about them, each sandbox
declares in settings.SANDBOXES (apps.demo.sandboxes)."""

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.demo.office import DEMO_ADMIN_EMAIL, DEMO_PASSWORD
from apps.demo.sandboxes import about_lines, follow_served_address

__all__ = ["DEMO_ADMIN_EMAIL", "DEMO_PASSWORD", "follow_served_address", "served_base_url"]


def served_base_url(host: str, port: str) -> str:
    """The address the app reaches itself on when serving on host:port (a wildcard host
    means this machine)."""
    if host in ("", "0.0.0.0"):  # noqa: S104 - read, not bound
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = "Runs the demo web server and a django-q2 worker until Ctrl+C or SIGTERM."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args: Any, host: str, port: str, **options: Any) -> None:
        if not settings.DEBUG:
            self.stderr.write("demo_run is for the demo settings only.")
            sys.exit(2)
        base_url = served_base_url(host, port)
        env = {**os.environ, **follow_served_address(base_url)}
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "qcluster"], env=env, start_new_session=True
        )

        def stop(signum: int, frame: Any) -> None:
            # SIGTERM ends the server the way Ctrl+C does, so the worker is stopped below; a
            # second Ctrl+C or SIGTERM while stopping must not interrupt that.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        sandboxes = "".join(f"  {line}\n" for line in about_lines(base_url))
        self.stdout.write(
            self.style.SUCCESS(
                f"\nTidsbro demo: {base_url}/admin/\n"
                f"  log in as {DEMO_ADMIN_EMAIL} / {DEMO_PASSWORD}\n"
                f"  (employees: <firstname>@tidsbro.no, same password)\n"
                f"  API docs: {base_url}/api/docs/\n"
                f"{sandboxes}"
                f"  Background worker: process {worker.pid}.\n"
                "  Stop with Ctrl+C.\n"
            )
        )
        self.stdout.flush()
        try:
            call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            stop_worker(worker)


def stop_worker(worker: subprocess.Popen) -> None:
    """Stops the worker's whole process group: politely, then for good after 15 s."""
    try:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    worker.wait(timeout=5)
