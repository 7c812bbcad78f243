from django.core.management.base import BaseCommand

from apps.sandbox.economic.seed import (
    AGREEMENT_GRANT_TOKEN,
    AGREEMENT_NUMBER,
    APP_PUBLIC_TOKEN,
    APP_SECRET_TOKEN,
    DEMO_LOGIN,
    DEMO_PASSWORD,
    seed,
)


class Command(BaseCommand):
    help = (
        "Creates the e-conomic sandbox's fixed agreement, app, grant and reference lists "
        "(customer groups, payment terms, VAT zones, currencies, layout, products, employees); "
        "--demo-office adds a small Danish office's customers. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-office",
            action="store_true",
            help="Also add a dozen Danish customers (some named like Tidsbro's demo customers).",
        )

    def handle(self, *args, **options):
        agreement = seed(demo_office=options["demo_office"])
        self.stdout.write(
            self.style.SUCCESS(
                f"e-conomic sandbox seeded: agreement {AGREEMENT_NUMBER} "
                f"({agreement.customers.count()} customers). "
                f"X-AppSecretToken: {APP_SECRET_TOKEN}, X-AgreementGrantToken: "
                f"{AGREEMENT_GRANT_TOKEN} (or demo/demo, read-only); app public token "
                f"{APP_PUBLIC_TOKEN}; grant page login {DEMO_LOGIN} / {DEMO_PASSWORD}."
            )
        )
