"""Seeds the Unimicro sandbox's sign-in and pulls its token levers:

manage.py sandbox_unimicro_tokens                   # seed the fixed coordinates (idempotent)
manage.py sandbox_unimicro_tokens --expire-access   # every access token issued so far → 401
manage.py sandbox_unimicro_tokens --revoke-refresh  # every refresh token → invalid_grant
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.sandbox.unimicro.identity import seed, services


class Command(BaseCommand):
    help = "Seeds the Unimicro sandbox's sign-in; optionally expires access tokens or revokes refresh tokens."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--expire-access",
            action="store_true",
            help="Refuse every access token issued until now.",
        )
        parser.add_argument(
            "--revoke-refresh", action="store_true", help="Revoke every refresh token."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        made = seed.seed()
        self.stdout.write("Seeded: " + ", ".join(f"{k} {v}" for k, v in made.items()))
        if options["expire_access"]:
            count = services.access_tokens_expire_all()
            self.stdout.write(f"Access tokens issued until now are refused ({count} clients).")
        if options["revoke_refresh"]:
            count = services.refresh_tokens_revoke_all()
            self.stdout.write(f"Refresh tokens revoked: {count}.")
