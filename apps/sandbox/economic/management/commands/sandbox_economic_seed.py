from django.core.management.base import BaseCommand

from apps.sandbox.economic.seed import (
    AGREEMENT_GRANT_TOKEN,
    AGREEMENT_NUMBER,
    APP_PUBLIC_TOKEN,
    APP_SECRET_TOKEN,
    DEMO_LOGIN,
    DEMO_PASSWORD,
    SALES_AGREEMENT_NUMBER,
    SALES_GRANT_TOKEN,
    SALES_LOGIN,
    seed,
)


class Command(BaseCommand):
    help = (
        "Creates the e-conomic sandbox's fixed agreement (with the Project module), app, grant "
        "and reference lists (customer groups, payment terms, VAT zones, currencies, layout, "
        "products, employees, project and activity groups, project statuses, activities), and "
        "a second agreement without the Project module; --demo-office adds a small Danish "
        "office's customers, colleagues, projects and hours. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-office",
            action="store_true",
            help=(
                "Also add a dozen Danish customers (some named like Tidsbro's demo customers), "
                "the office's colleagues, six projects and some hours."
            ),
        )

    def handle(self, *args, **options):
        agreement = seed(demo_office=options["demo_office"])
        self.stdout.write(
            self.style.SUCCESS(
                f"e-conomic sandbox seeded: agreement {AGREEMENT_NUMBER} "
                f"({agreement.customers.count()} customers). "
                f"X-AppSecretToken: {APP_SECRET_TOKEN}, X-AgreementGrantToken: "
                f"{AGREEMENT_GRANT_TOKEN} (or demo/demo, read-only); app public token "
                f"{APP_PUBLIC_TOKEN}; grant page login {DEMO_LOGIN} / {DEMO_PASSWORD}. "
                f"Agreement {SALES_AGREEMENT_NUMBER} without the Project module: "
                f"X-AgreementGrantToken {SALES_GRANT_TOKEN}, login {SALES_LOGIN} / {DEMO_PASSWORD}."
            )
        )
