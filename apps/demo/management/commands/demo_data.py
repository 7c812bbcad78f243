"""Loads the demo data: a Nordic consultancy with weeks of hours in every approval state."""

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.demo.office import DEMO_ADMIN_EMAIL, DEMO_PASSWORD, demo_data_load
from apps.demo.sandboxes import connect_office, installed_sandboxes


class Command(BaseCommand):
    help = (
        "Creates the demo data (customers, projects, people, hours). Safe to run again. "
        "--sandboxes also seeds every installed sandbox with the same office (settings.SANDBOXES)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--sandboxes",
            action="store_true",
            help="Also seed each installed ERP sandbox with the demo office, as `make demo` does.",
        )

    def handle(self, *args: Any, sandboxes: bool = False, **options: Any) -> None:
        started = time.monotonic()
        summary = demo_data_load()
        for line in summary.lines():
            self.stdout.write(line)
        if sandboxes:
            for sandbox in installed_sandboxes():
                if sandbox.seed:
                    call_command(*sandbox.seed, stdout=self.stdout, stderr=self.stderr)
            # Connections the office has from the start (e.g. each person's calendar).
            for line in connect_office():
                self.stdout.write(line)
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Log in as {DEMO_ADMIN_EMAIL} / {DEMO_PASSWORD} "
                "(employees: <firstname>@tidsbro.no, same password)."
            )
        )
