"""manage.py integrations_connect: connects the ERP from the command line, checked live."""

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.exceptions import ApplicationError
from apps.integrations.models import HourTransfer, System
from apps.integrations.services import (
    ENTITY_NAMES,
    connection_create,
    connection_identities,
    entities_from_names,
)


def _secret(env_name: str | None, *, option: str) -> str:
    # Passwords come from the environment, never from argv (visible in `ps` and shell history).
    if not env_name:
        raise CommandError(f"{option} is required (the name of an environment variable).")
    value = os.environ.get(env_name, "")
    if not value:
        raise CommandError(f"The environment variable {env_name} ({option}) is empty or unset.")
    return value


class Command(BaseCommand):
    help = (
        "Connects Tidsbro to the ERP: checks the login live, lists or chooses the client, "
        "checks the integration user and stores the credentials encrypted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--system", default=System.TWENTYFOURSEVEN, choices=System.values)
        parser.add_argument("--username", required=True, help="The ERP login (e-mail).")
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help="Name of the environment variable holding the password.",
        )
        parser.add_argument(
            "--client", help="Name (or number) of the client to connect; omit to list them."
        )
        parser.add_argument("--identity-id", help="The identity id of the client, instead.")
        parser.add_argument("--api-username", help="A separate integration user (optional).")
        parser.add_argument("--api-password-env", metavar="VAR")
        parser.add_argument(
            "--connect",
            default="",
            help=f"Comma-separated object types: {', '.join(ENTITY_NAMES)}.",
        )
        parser.add_argument("--sso", action="store_true", help="Allow logging in with the ERP.")
        parser.add_argument(
            "--hour-transfer", default=HourTransfer.ON_APPROVAL, choices=HourTransfer.values
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = _secret(options["password_env"], option="--password-env")
        api_password = None
        if options["api_username"]:
            api_password = _secret(options["api_password_env"], option="--api-password-env")
        try:
            names = [n for n in options["connect"].split(",") if n.strip()]
            entities_from_names(names)  # refuse a typo before any request is made
            if not options["client"] and not options["identity_id"]:
                self._list_clients(options["username"], password)
                raise CommandError("Choose the client with --client.")
            connection = connection_create(
                system=options["system"],
                username=options["username"],
                password=password,
                client_name=options["client"],
                identity_id=options["identity_id"],
                api_username=options["api_username"],
                api_password=api_password,
                connect=names,
                sso=options["sso"],
                hour_transfer=options["hour_transfer"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Connected {connection.get_system_display()} client {connection.client_name} "
                f"({connection.client_id}) as connection {connection.pk}."
            )
        )
        sync_user = connection.api_username or connection.username
        self.stdout.write(f"Syncing as: {sync_user}")
        self.stdout.write(f"Connected: {', '.join(connection.connected) or 'nothing'}")
        masters = ", ".join(f"{k}={v}" for k, v in sorted(connection.masters.items()))
        self.stdout.write(f"Masters: {masters}")
        self.stdout.write(
            f"Hour transfer: {connection.hour_transfer}; SSO: {connection.sso_allowed}"
        )
        self.stdout.write("Run `manage.py integrations_sync` to import everything now.")

    def _list_clients(self, username: str, password: str) -> None:
        choices = connection_identities(username=username, password=password)
        self.stdout.write(f"{username} can reach these clients:")
        for c in choices:
            flags = [f for f, on in (("default", c.is_default), ("blocked", c.is_disabled)) if on]
            suffix = f" ({', '.join(flags)})" if flags else ""
            self.stdout.write(f"  {c.client_name} [{c.client_id}] identity {c.identity_id}{suffix}")
