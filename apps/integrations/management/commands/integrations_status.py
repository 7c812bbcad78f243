"""manage.py integrations_status: how the sync is doing and what needs a human."""

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count, Min, Q
from django.utils import timezone

from apps.integrations.models import Connection, OutboxItem, SyncRun, Watermark
from apps.integrations.selectors import (
    STALE_AFTER,
    connection_list,
    dead_outbox_items,
    entity_health,
    hours_awaiting_transfer,
    open_conflicts,
    unmapped_users,
)
from apps.integrations.sync.outbox import push_order


def _when(run: SyncRun | None) -> str:
    if run is None:
        return "never"
    return _at(run.finished_at or run.started_at)


def _at(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


class Command(BaseCommand):
    help = (
        "Health per object type (last success, last error, stale), open conflicts, unmapped "
        "users, failed transfers and hours waiting to be transferred."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--system", help="Only this system.")

    def handle(self, *args: Any, **options: Any) -> None:
        connections = connection_list(active=None)
        if options["system"]:
            connections = connections.filter(system=options["system"])
        if not connections.exists():
            self.stdout.write("No ERP is connected.")
            return
        for connection in connections:
            self._connection(connection)

    def _connection(self, connection: Connection) -> None:
        state = "active" if connection.is_active else "inactive"
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                f"{connection} ({connection.system}, connection {connection.pk}, {state}); "
                "hour transfer: "
                f"{connection.hour_transfer}"
            )
        )
        stale_hours = int(STALE_AFTER.total_seconds() // 3600)
        for health in entity_health(connection=connection):
            line = (
                f"  {health.entity:<12} last success {_when(health.last_success)}"
                f"; last error {_when(health.last_error)}"
            )
            if health.last_error is not None and not health.ok:
                line += f" ({health.last_error.error_text[:120] or health.last_error.status})"
            if health.stale:
                line += f"; STALE (no success for over {stale_hours} h)"
            self.stdout.write(self.style.SUCCESS(line) if health.ok else self.style.WARNING(line))
        self._positions(connection)
        self.stdout.write(f"  open conflicts: {open_conflicts(connection=connection).count()}")
        self.stdout.write(f"  unmapped users: {unmapped_users(connection=connection).count()}")
        self.stdout.write(f"  failed transfers: {dead_outbox_items(connection=connection).count()}")
        self._waiting(connection)
        self.stdout.write(
            f"  hours awaiting transfer: {hours_awaiting_transfer(connection=connection).count()}"
        )
        self._transfer_progress(connection)

    def _positions(self, connection: Connection) -> None:
        """Where the next sync of each object type starts, as the connector says it."""
        marks = list(Watermark.objects.filter(connection=connection).order_by("entity"))
        if not marks:
            return
        self.stdout.write("  next sync starts:")
        for mark in marks:
            where = mark.describe()
            self.stdout.write(
                f"    {mark.entity}: " + (f"after {where}" if where else "from the beginning")
            )

    def _waiting(self, connection: Connection) -> None:
        """Local changes not in the ERP yet, per object type: how many, since when, and why
        the ones that failed before wait."""
        waiting = OutboxItem.objects.filter(
            connection=connection,
            status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS],
        )
        per_type = {
            row["entity"]: row
            for row in waiting.values("entity")
            .annotate(
                n=Count("id"),
                oldest=Min("created_at"),
                failed=Count("id", filter=Q(attempts__gt=0)),
                next_try=Min("next_attempt_at", filter=Q(attempts__gt=0)),
            )
            .order_by()
        }
        total = sum(row["n"] for row in per_type.values())
        self.stdout.write(f"  changes waiting to be pushed: {total}")
        for entity in sorted(per_type, key=push_order):
            row = per_type[entity]
            line = f"    {entity}: {row['n']}, oldest queued {_at(row['oldest'])}"
            if row["failed"]:
                last = (
                    waiting.filter(entity=entity, attempts__gt=0)
                    .order_by("-updated_at")
                    .values_list("last_error", flat=True)
                    .first()
                )
                line += (
                    f"; {row['failed']} failed before, next try {_at(row['next_try'])}"
                    f" (last error: {(last or '')[:120]})"
                )
            self.stdout.write(self.style.WARNING(line) if row["failed"] else line)

    def _transfer_progress(self, connection: Connection) -> None:
        """The hour backlog's progress and the request budget it is spread under."""
        from apps.integrations.adapters.hours import hour_transfer_progress

        counts = hour_transfer_progress(connection=connection)
        waiting = counts["pending"] + counts["ambiguous"]
        self.stdout.write(
            f"  hour transfer: {counts['done']} done, {waiting} waiting "
            f"({counts['ambiguous']} being checked), {counts['dead']} failed"
        )
        budget = connection.spec.request_budget(connection)
        if budget is None:
            return
        used, limit = budget
        line = f"  {connection.system_name} requests in the last hour: {used} of {limit}"
        if waiting > max(limit - used, 0):
            hours = -(-(waiting - max(limit - used, 0)) // limit)
            line += f"; at this budget the backlog takes about {hours} more hour(s)"
        self.stdout.write(line)
