from django.core.management.base import BaseCommand

from apps.sandbox.economic.seed import reset


class Command(BaseCommand):
    help = "Empties every e-conomic sandbox table (the knobs go back to settings)."

    def handle(self, *args, **options):
        reset()
        self.stdout.write(self.style.SUCCESS("e-conomic sandbox emptied."))
