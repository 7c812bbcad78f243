"""Loads the demo data: a Nordic consultancy with weeks of hours in every approval state."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from apps.core.demo import demo_data_load
from apps.core.management.commands.demo_run import DEMO_ADMIN_EMAIL, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Creates the demo data (customers, projects, people, hours). Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        summary = demo_data_load()
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Log in as {DEMO_ADMIN_EMAIL} / {DEMO_PASSWORD} "
                "(employees: <firstname>@tidsbro.no, same password)."
            )
        )
