from django.core.management.base import BaseCommand

from apps.sandbox.twentyfourseven.seed import APPLICATION_ID, DEMO_USERNAME, seed


class Command(BaseCommand):
    help = "Creates the demo 24SO world in the sandbox where it is missing (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-office",
            action="store_true",
            help="Make the default client the Tidsbro demo office (same people, customers, "
            "projects and work types as `manage.py demo_data`), as `make demo` does.",
        )

    def handle(self, *args, demo_office=False, **options):
        office = None
        if demo_office:
            from apps.sandbox.twentyfourseven.demo_world import erp_world

            office = erp_world()
        counts = seed(office=office)
        summary = ", ".join(f"{name}: {n}" for name, n in counts.items())
        self.stdout.write(self.style.SUCCESS(f"24SO sandbox seeded ({summary})."))
        self.stdout.write(f"Login {DEMO_USERNAME}, ApplicationId {APPLICATION_ID}.")
