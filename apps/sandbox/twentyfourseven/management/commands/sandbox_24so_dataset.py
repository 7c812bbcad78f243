import time

from django.core.management.base import BaseCommand

from apps.sandbox.twentyfourseven.dataset import SIZES, generate


class Command(BaseCommand):
    help = (
        "Empties the 24SO sandbox and fills it with a benchmark world of one size "
        "(S: 200 customers … L: 1M hours); bulk-inserted and deterministic."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=list(SIZES), default="S")

    def handle(self, *args, **options):
        started = time.perf_counter()
        counts = generate(options["size"], progress=lambda text: self.stdout.write(f"  {text}"))
        summary = ", ".join(f"{name}: {n}" for name, n in counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"24SO sandbox filled with size {options['size']} in "
                f"{time.perf_counter() - started:.1f} s ({summary})."
            )
        )
