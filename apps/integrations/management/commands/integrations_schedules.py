"""manage.py integrations_schedules: creates or updates the sync's django-q2 schedules."""

from typing import Any

from django.core.management.base import BaseCommand

from apps.integrations.schedules import ensure_schedules


class Command(BaseCommand):
    help = (
        "Creates or updates the sync schedules by name (idempotent): hourly pull, daily full "
        "sync, nightly reconciliation, outbox sweep every minute."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for name, outcome in ensure_schedules().items():
            self.stdout.write(f"{outcome:<9} {name}")
