"""Serves the demo: the web server (threaded, so the app can call the sandbox on itself) and a worker."""

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

DEMO_ADMIN_EMAIL = "admin@tidsbro.no"
DEMO_PASSWORD = "tidsbro-demo"  # noqa: S105 - the published demo login, not a secret


class Command(BaseCommand):
    help = "Runs the demo web server and a django-q2 worker until Ctrl+C."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args: Any, host: str, port: str, **options: Any) -> None:
        if not settings.DEBUG:
            self.stderr.write("demo_run is for the demo settings only.")
            sys.exit(2)
        env = {**os.environ, "TIDSBRO_BASE_URL": f"http://{host}:{port}"}
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "qcluster"], env=env, start_new_session=True
        )
        url = f"http://{host}:{port}/admin/"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nTidsbro demo: {url}\n"
                f"  log in as {DEMO_ADMIN_EMAIL} / {DEMO_PASSWORD}\n"
                f"  (employees: <firstname>@tidsbro.no, same password)\n"
                f"  API docs: http://{host}:{port}/api/docs/\n"
                f'  The 24SO side: the admin\'s "24SO sandbox" section; SOAP at '
                f"http://{host}:{port}/sandbox/24so/<real 24SO path>\n"
                "  (login demo@tidsbro.no / tidsbro-demo)\n"
                "  Stop with Ctrl+C.\n"
            )
        )
        try:
            call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
        finally:
            try:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(worker.pid, signal.SIGKILL)
