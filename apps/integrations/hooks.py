"""Turns local changes into outbox rows for every connection that pushes that object type."""

from django.db.models import Q

from apps.core import hooks
from apps.integrations import entities
from apps.integrations.models import Binding, Connection, HourTransfer, OutboxItem

# Object types whose pushes follow the connection's "connected" list and master setting:
# the entity registry's two-way types (hours follow the transfer mode instead).
_TWO_WAY = frozenset(
    key for key, e in entities.ENTITIES.items() if {entities.PULL, entities.PUSH} <= e.directions
)
# Hour events that transfer hours when the connection transfers "on approval".
_APPROVED = {"user_approved", "project_approved"}


def connect() -> None:
    hooks.subscribe(on_local_change)


def on_local_change(entity: str, pk: int, event: str) -> None:
    from apps.integrations.sync.outbox import enqueue

    for connection in Connection.objects.filter(is_active=True):
        if entity in _TWO_WAY:
            if not connection.is_connected(entity):
                continue
            if not entities.can_push(connection, entity):
                continue  # the ERP is master here, or the system cannot take the type
            enqueue(connection=connection, entity=entity, local_id=pk)
        elif entity == "hour":
            if not connection.spec.capabilities.can_push("hour"):
                continue  # a connection that takes no hours (e.g. each person's calendar)
            _hour_changed(connection, pk, event, enqueue)


def _push_was_tried(connection: Connection, pk: int) -> bool:
    """Whether a push of the hour failed or ended with its outcome unknown (no binding)."""
    return (
        OutboxItem.objects.filter(connection=connection, entity="hour", local_id=pk)
        .filter(Q(attempts__gt=0) | Q(status=OutboxItem.Status.AMBIGUOUS))
        .exists()
    )


def _hour_changed(connection: Connection, pk: int, event: str, enqueue) -> None:
    binding = Binding.objects.filter(connection=connection, entity="hour", local_id=pk).first()
    if event == "deleted":
        if binding is not None and binding.external_id:
            enqueue(
                connection=connection,
                entity="hour",
                local_id=pk,
                operation=OutboxItem.Operation.DELETE,
                external_id=binding.external_id,
            )
        elif _push_was_tried(connection, pk):
            # A create whose answer was lost may have made it: the delete looks it up (by the
            # hour's reference) rather than leave it behind in the ERP.
            enqueue(
                connection=connection,
                entity="hour",
                local_id=pk,
                operation=OutboxItem.Operation.DELETE,
            )
        return
    transferred = binding is not None and bool(binding.external_id)
    if transferred and event in _APPROVED:
        # Changes to hours the ERP already has follow them there when they are approved
        # again, whatever the mode is now (switching to "never" stops new transfers, not the
        # hours already there). A reopened hour's edits ("changed": drafts only) wait for
        # that approval: the ERP keeps the approved version meanwhile (see `hold_back`).
        enqueue(connection=connection, entity="hour", local_id=pk)
    elif connection.hour_transfer == HourTransfer.NEVER:
        return
    elif connection.hour_transfer == HourTransfer.ON_APPROVAL and event in _APPROVED:
        enqueue(connection=connection, entity="hour", local_id=pk)
    elif connection.hour_transfer == HourTransfer.ON_ORDER and event == "ordered":
        enqueue(connection=connection, entity="hour", local_id=pk)
