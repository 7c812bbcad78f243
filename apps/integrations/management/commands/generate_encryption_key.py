"""manage.py generate_encryption_key: prints a new key for TIDSBRO_ENCRYPTION_KEYS."""

from typing import Any

from django.core.management.base import BaseCommand

from apps.core.crypto import generate_key


class Command(BaseCommand):
    help = (
        "Prints a new Fernet key. Put it first in TIDSBRO_ENCRYPTION_KEYS (keep the old ones "
        "after it), run `manage.py rotate_keys`, then drop the old keys."
    )
    # Runs without system checks: it is how a missing or broken key list gets its first key.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(generate_key())
