from django.core.management.base import BaseCommand

from apps.sandbox.twentyfourseven.seed import reset


class Command(BaseCommand):
    help = "Empties the 24SO sandbox (all its data, sessions, logs and knobs)."

    def handle(self, *args, **options):
        reset()
        self.stdout.write(self.style.SUCCESS("24SO sandbox emptied."))
