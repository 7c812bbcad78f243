import time

from django.core.management.base import BaseCommand

from apps.sandbox.economic.dataset import SIZES, generate


class Command(BaseCommand):
    help = (
        "Replaces the e-conomic sandbox agreement's customers with a benchmark list "
        "(S: 500, M: 5,000, L: 20,000) and its projects, activities, employees and time "
        "entries in proportion (S: 50/10/20, M: 500/20/100, L: 2,000/40/300, five time entries "
        "a project); bulk-inserted and deterministic."
    )

    def add_arguments(self, parser):
        parser.add_argument("size", choices=list(SIZES))

    def handle(self, *args, **options):
        started = time.perf_counter()
        count = generate(options["size"], progress=lambda text: self.stdout.write(f"  {text}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"e-conomic sandbox filled with size {options['size']}: {count} customers in "
                f"{time.perf_counter() - started:.1f} s."
            )
        )
