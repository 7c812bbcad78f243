from django.core.management.base import BaseCommand

from apps.sandbox.unimicro.seed import DEMO_COMPANY_KEY, reset, seed


class Command(BaseCommand):
    help = (
        "Seeds the Unimicro sandbox: the identity server (organisations, companies, users, "
        "clients) and each company's users; --demo-office adds a Norwegian office's customers "
        "(numbered from 100000), products, work types and people in company "
        f"{DEMO_COMPANY_KEY}; --reset first removes every business record. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-office",
            action="store_true",
            help=(
                "Also add 12 customers (4 with a Tidsbro demo customer's organisation number, "
                "6 with only its name, 2 only in Unimicro), the products of Tidsbro's demo work "
                "types, four work types and the demo office's people."
            ),
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="First remove every business record, number series and delivery.",
        )

    def handle(self, *args, **options):
        if options["reset"]:
            reset()
        created = seed(demo_office=options["demo_office"])
        made = ", ".join(f"{n} {kind}" for kind, n in sorted(created.items())) or "nothing new"
        self.stdout.write(
            self.style.SUCCESS(
                f"Unimicro sandbox seeded ({made}). Log in as regnskap@tidsbro.no / "
                "tidsbro-demo; client tidsbro-demo / tidsbro-demo-secret; demo company "
                f"{DEMO_COMPANY_KEY}."
            )
        )
