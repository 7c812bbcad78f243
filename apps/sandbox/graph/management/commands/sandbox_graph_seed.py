from django.core.management.base import BaseCommand

from apps.sandbox.graph.models import App, Knobs, Mailbox, RequestLog, SigningKey
from apps.sandbox.graph.seed import seed


class Command(BaseCommand):
    help = (
        "Seeds the Microsoft 365 sandbox (idempotent): the app registrations and mailboxes with "
        "seeded calendars (four people, or the demo office's people with --demo-office)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--demo-office", action="store_true", help="Every demo office person.")
        parser.add_argument("--reset", action="store_true", help="Empty the sandbox first.")

    def handle(self, *args, **options):
        if options["reset"]:
            for model in (Mailbox, App, Knobs, RequestLog, SigningKey):
                model.objects.all().delete()
        made = seed(demo_office=options["demo_office"])
        self.stdout.write(
            f"Microsoft 365 sandbox: {made['mailboxes']} mailboxes, {made['events']} new events."
        )
