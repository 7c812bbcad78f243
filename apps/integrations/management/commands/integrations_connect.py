"""manage.py integrations_connect: connects an ERP from the command line, checked live.

The generic options (system, what to connect, hour transfer, SSO) are here; each connector adds
its own (`spec.onboarding.add_arguments`), e.g. a login and the name of the environment variable
holding its password. Secrets come from the environment, never from argv.
"""

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.exceptions import ApplicationError
from apps.integrations import registry
from apps.integrations.models import HourTransfer
from apps.integrations.services import ENTITY_NAMES, connection_create, entities_from_names
from apps.integrations.webhooks import enable_after_connect


def _connectable() -> list[Any]:
    return [spec for spec in registry.specs() if spec.onboarding is not None]


def _masters(pairs: list[str]) -> dict[str, str]:
    """`--master customers=both` pairs as {entity: master}; a typo is refused."""
    masters: dict[str, str] = {}
    for pair in pairs:
        name, _sep, who = pair.partition("=")
        if not who.strip():
            raise ApplicationError(f"--master takes TYPE=WHO, e.g. customers=both (got {pair!r})")
        [entity] = entities_from_names([name])
        masters[entity] = who.strip().lower()
    return masters


class Command(BaseCommand):
    help = (
        "Connects Tidsbro to an ERP: checks the login live (the system's own options below), "
        "chooses what is kept in step and stores the credentials encrypted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        systems = [spec.system for spec in _connectable()]
        parser.add_argument(
            "--system",
            choices=systems,
            help="The system to connect (needed when Tidsbro knows more than one).",
        )
        parser.add_argument(
            "--connect",
            default="",
            help=f"Comma-separated object types: {', '.join(ENTITY_NAMES)}.",
        )
        parser.add_argument(
            "--master",
            action="append",
            default=[],
            metavar="TYPE=WHO",
            help="Who owns an object type, e.g. customers=both (erp, tidsbro or both); "
            "repeat for several types. Default: the ERP for customers, work types and users, "
            "both for projects and tasks.",
        )
        parser.add_argument("--sso", action="store_true", help="Allow logging in with the ERP.")
        parser.add_argument(
            "--hour-transfer", default=HourTransfer.ON_APPROVAL, choices=HourTransfer.values
        )
        for spec in _connectable():
            try:
                spec.onboarding.add_arguments(parser)
            except argparse.ArgumentError:
                pass  # an option another system declared too (e.g. --username): shared

    def handle(self, *args: Any, **options: Any) -> None:
        specs = _connectable()
        if options["system"]:
            spec = registry.spec_for(options["system"])
        elif len(specs) == 1:
            spec = specs[0]
        else:
            raise CommandError(
                "Choose the system with --system: " + ", ".join(s.system for s in specs)
            )
        try:
            names = [n for n in options["connect"].split(",") if n.strip()]
            entities_from_names(names)  # refuse a typo before any request is made
            masters = _masters(options["master"])
            documents = spec.onboarding.documents_from_options(options, out=self.stdout)
            connection = connection_create(
                system=spec.system,
                credentials=documents.credentials,
                settings=documents.settings,
                state=documents.state,
                connected=names,
                masters=masters,
                sso=options["sso"],
                hour_transfer=options["hour_transfer"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        # Instant updates (the system's webhooks), where it offers them: queued.
        enable_after_connect(connection=connection)
        self.stdout.write(
            self.style.SUCCESS(f"Connected {connection} as connection {connection.pk}.")
        )
        login = spec.onboarding.describe_login(connection)
        if login:
            self.stdout.write(login)
        self.stdout.write(f"Connected: {', '.join(connection.connected) or 'nothing'}")
        masters = ", ".join(f"{k}={v}" for k, v in sorted(connection.masters.items()))
        self.stdout.write(f"Masters: {masters}")
        self.stdout.write(
            f"Hour transfer: {connection.hour_transfer}; SSO: {connection.sso_allowed}"
        )
        self.stdout.write("Run `manage.py integrations_sync` to import everything now.")
