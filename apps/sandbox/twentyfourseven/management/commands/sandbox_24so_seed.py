from django.core.management.base import BaseCommand

from apps.sandbox.twentyfourseven.seed import APPLICATION_ID, DEMO_USERNAME, seed


class Command(BaseCommand):
    help = "Creates the demo 24SO world in the sandbox where it is missing (idempotent)."

    def handle(self, *args, **options):
        counts = seed()
        summary = ", ".join(f"{name}: {n}" for name, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"24SO sandbox seeded ({summary})."))
        self.stdout.write(f"Login {DEMO_USERNAME}, ApplicationId {APPLICATION_ID}.")
