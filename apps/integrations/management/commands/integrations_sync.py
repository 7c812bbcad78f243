"""manage.py integrations_sync: runs a sync now, in this process, and prints what it did."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.exceptions import ApplicationError
from apps.integrations.models import Connection, SyncRun
from apps.integrations.registry import adapters
from apps.integrations.selectors import connection_active, entities_in_sync_order
from apps.integrations.services import ENTITY_NAMES, entities_from_names
from apps.integrations.sync import engine, outbox

# Items one command pushes; a longer backlog (hours) is the worker's, spread under the budget.
PUSH_LIMIT = 1000


def run_summary(run: SyncRun) -> str:
    """One line per run: status, counts, requests and duration."""
    duration = run.duration.total_seconds() if run.duration is not None else 0.0
    line = (
        f"{run.entity} {run.kind}: {run.status} — fetched {run.fetched}, created {run.created}, "
        f"updated {run.updated}, pushed {run.pushed}, unchanged {run.skipped}, "
        f"conflicts {run.conflicts}, errors {run.errors}; {run.requests} requests "
        f"in {duration:.1f} s"
    )
    if run.error_text:
        line += f"\n  error: {run.error_text}"
    return line


class Command(BaseCommand):
    help = (
        "Runs a sync now in this process: one object type with --object, else every connected "
        "type in dependency order; then pushes the local changes waiting for the ERP (of that "
        "type, else all), backoff or not. Exits non-zero when a run fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        from apps.integrations.registry import specs

        parser.add_argument(
            "--system",
            choices=[spec.system for spec in specs()],
            help="The connected system (needed when several are active).",
        )
        parser.add_argument("--object", choices=list(ENTITY_NAMES), dest="object")
        parser.add_argument(
            "--full", action="store_true", help="Fetch everything, not only changes."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        connection = self._connection(options["system"])
        if options["object"]:
            try:
                (entity,) = entities_from_names([options["object"]])
            except ApplicationError as exc:
                raise CommandError(exc.message) from None
            if not connection.is_connected(entity):
                raise CommandError(
                    f"{options['object']} is not connected to {connection}; "
                    f"connected: {', '.join(connection.connected) or 'nothing'}."
                )
            if entity != "hour" and entity not in adapters():
                raise CommandError(f"Tidsbro cannot sync {options['object']} yet.")
            entities = [entity]
        else:
            entities = entities_in_sync_order(connection=connection)
            if "hour" in (connection.connected or []):
                entities.append("hour")
            if not entities:
                raise CommandError(f"Nothing is connected to {connection}.")

        failed = []
        for entity in entities:
            if entity == "hour":
                continue  # hours are only pushed (below)
            if entity not in adapters():
                self.stdout.write(f"{entity}: skipped, Tidsbro cannot sync it yet")
                continue
            run = engine.sync_entity(
                connection=connection,
                entity=entity,
                trigger=SyncRun.Trigger.COMMAND,
                full=options["full"],
            )
            if not self._report(run):
                failed.append(entity)
        # What waits for the ERP goes now, whatever is connected or backed off: hours follow
        # the transfer mode, not the connected list, and a change the worker could not push
        # (no worker, a failure) would otherwise wait for the next sweep.
        runs = outbox.push_runs(
            connection=connection,
            entities=[entities[0]] if options["object"] else None,
            due_only=False,
            limit=PUSH_LIMIT,
        )
        if not runs:
            self.stdout.write("push: nothing waiting")
        for run in runs:
            if not self._report(run):
                failed.append(f"{run.entity} push")
        if failed:
            raise CommandError(f"The sync failed for: {', '.join(failed)}.")

    def _report(self, run: SyncRun) -> bool:
        ok = run.status == SyncRun.Status.SUCCEEDED
        style = self.style.SUCCESS if ok else self.style.ERROR
        self.stdout.write(style(run_summary(run)))
        return ok

    def _connection(self, system: str | None) -> Connection:
        connections = Connection.objects.filter(is_active=True)
        if system:
            connections = connections.filter(system=system)
        if connections.count() > 1:
            raise CommandError("Several systems are connected: choose one with --system.")
        connection = connection_active(system=system)
        if connection is None:
            raise CommandError(
                "No active connection"
                + (f" to {system}" if system else "")
                + ": connect one with `manage.py integrations_connect`."
            )
        return connection
