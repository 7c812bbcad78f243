"""Creates or updates the calendars' background schedule (idempotent)."""

from django.core.management.base import BaseCommand

from apps.calendars.schedules import ensure_schedules


class Command(BaseCommand):
    help = "Creates or updates the calendars' schedule (a round every 5 minutes)."

    def handle(self, *args, **options):
        for name, what in ensure_schedules().items():
            self.stdout.write(f"{name}: {what}")
