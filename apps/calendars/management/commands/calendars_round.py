"""Runs a calendar round now: one person's (--email) or every account due one."""

from django.core.management.base import BaseCommand, CommandError

from apps.calendars import jobs, sync
from apps.calendars.models import CalendarAccount


class Command(BaseCommand):
    help = "Runs a round of a person's calendar (--email), or of every account due one."

    def add_arguments(self, parser):
        parser.add_argument("--email", help="The person whose calendar is read now.")
        parser.add_argument("--full", action="store_true", help="Read the whole window again.")

    def handle(self, *args, email=None, full=False, **options):
        if not email:
            self.stdout.write(jobs.round_all())
            return
        account = CalendarAccount.objects.filter(user__email__iexact=email).first()
        if account is None:
            raise CommandError(f"{email} has no calendar connected.")
        if full:
            from django.utils import timezone

            CalendarAccount.objects.filter(pk=account.pk).update(
                full_sync_requested_at=timezone.now()
            )
        self.stdout.write(sync.run_round(account.pk, reason="command").summary())
