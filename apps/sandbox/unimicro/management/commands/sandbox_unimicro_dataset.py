from django.core.management.base import BaseCommand

from apps.sandbox.unimicro.dataset import SIZES, generate


class Command(BaseCommand):
    help = (
        "Replaces the demo company's customers, projects, work types, workers and work items "
        "with a benchmark-sized set (S, M or L), deterministic apart from the timestamps."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="S")

    def handle(self, *args, **options):
        count = generate(options["size"], progress=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(f"Unimicro sandbox dataset {options['size']}: {count} customers.")
        )
