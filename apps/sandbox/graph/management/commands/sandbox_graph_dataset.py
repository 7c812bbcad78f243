import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from apps.sandbox.graph.dataset import dataset
from apps.sandbox.graph.models import Mailbox
from apps.sandbox.graph.seed import mailbox_for


class Command(BaseCommand):
    help = (
        "Adds a year of events (seeded) to a mailbox of the Microsoft 365 sandbox, for "
        "benchmarks. The mailbox is made when it does not exist (password tidsbro-demo)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, required=True)
        parser.add_argument("--mailbox", required=True, help="user principal name (e-mail)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--start", default="", help="first day (YYYY-MM-DD); default: half a year ago"
        )
        parser.add_argument("--time-zone", default="Europe/Oslo")

    def handle(self, *args, **options):
        if options["events"] < 1:
            raise CommandError("--events must be at least 1")
        upn = options["mailbox"].lower()
        mailbox = Mailbox.objects.filter(user_principal_name=upn).first()
        if mailbox is None:
            name = upn.split("@")[0].replace(".", " ").title()
            mailbox = mailbox_for(name, "", upn, options["time_zone"])
        start = dt.date.fromisoformat(options["start"]) if options["start"] else None
        made = dataset(mailbox=mailbox, events=options["events"], seed=options["seed"], start=start)
        self.stdout.write(f"Microsoft 365 sandbox: {made} events added to {upn}.")
