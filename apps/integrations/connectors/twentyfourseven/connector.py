"""The sync engine's 24SevenOffice connector: one client per connection, calls per entity.

What to fetch and how records map lives in `pull.py`/`push.py`/`mappers.py`; this class only
builds the client from a Connection and routes the engine's calls to them.
"""

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from apps.integrations.connectors.base import Rejected
from apps.integrations.connectors.twentyfourseven import CAPABILITIES
from apps.integrations.connectors.twentyfourseven.client import TwentyFourSevenClient
from apps.integrations.connectors.twentyfourseven.types import CallRecord, Credentials
from apps.integrations.sync.budget import DatabaseRequestBudget
from apps.integrations.sync.types import RemoteRecord


class ConnectionSessionStore:
    """Keeps the 24SO session id on the connection row, encrypted."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def get(self) -> str | None:
        return self._connection.session_id or None

    def set(self, session_id: str | None) -> None:
        # The field encrypts on save (also in update()): the plain value goes in, once.
        type(self._connection).objects.filter(pk=self._connection.pk).update(
            session_id=session_id or ""
        )
        self._connection.session_id = session_id or ""


def client_for(connection: Any, **overrides: Any) -> TwentyFourSevenClient:
    """A client logged in as the connection's integration user (or its login)."""
    username = connection.api_username or connection.username
    password = connection.api_password if connection.api_username else connection.password
    identity = UUID(connection.identity_id) if connection.identity_id else None
    return TwentyFourSevenClient(
        credentials=Credentials(username=username, password=password, identity_id=identity),
        session_store=ConnectionSessionStore(connection),
        budget=DatabaseRequestBudget(),
        budget_key=f"24so:{username.lower()}",
        **overrides,
    )


def request_budget(connection: Any) -> tuple[int, int]:
    """Requests counted against the connection's 24SO login in the last hour, and how many
    the sync may use in an hour (24SO's limit less the reserve kept for people working)."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    username = connection.api_username or connection.username
    used = DatabaseRequestBudget().used(
        f"24so:{username.lower()}", window=timedelta(hours=1), now=timezone.now()
    )
    limit = int(getattr(settings, "TWENTYFOURSEVEN_REQUESTS_PER_HOUR", 7200)) - int(
        getattr(settings, "TWENTYFOURSEVEN_BUDGET_RESERVE", 360)
    )
    return used, max(limit, 1)


class TwentyFourSevenConnector:
    capabilities = CAPABILITIES

    def __init__(self, connection: Any, **client_overrides: Any) -> None:
        self.connection = connection
        self.calls: Counter[str] = Counter()
        self.client = client_for(connection, on_request=self._count, **client_overrides)

    def _count(self, record: CallRecord) -> None:
        self.calls[f"{record.service}.{record.operation}"] += 1

    @property
    def requests(self) -> int:
        return sum(self.calls.values())

    def close(self) -> None:
        self.client.close()

    # --- pull -----------------------------------------------------------------------------
    def fetch(self, entity: str, *, since: datetime | None) -> Iterator[Sequence[RemoteRecord]]:
        from apps.integrations.connectors.twentyfourseven import pull

        return pull.fetch(self, entity, since=since)

    def fetch_ids(self, entity: str) -> set[str]:
        from apps.integrations.connectors.twentyfourseven import pull

        return pull.fetch_ids(self, entity)

    def fetch_one(self, entity: str, external_id: str) -> RemoteRecord | None:
        from apps.integrations.connectors.twentyfourseven import pull

        return pull.fetch_one(self, entity, external_id)

    # --- push -----------------------------------------------------------------------------
    def find(self, entity: str, values: dict[str, Any]) -> str | None:
        from apps.integrations.connectors.twentyfourseven import push

        return push.find(self, entity, values)

    def found_values(self, entity: str, external_id: str, values: dict[str, Any]) -> dict[str, Any]:
        from apps.integrations.connectors.twentyfourseven import push

        return push.found_values(self, entity, external_id, values)

    def create(self, entity: str, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        from apps.integrations.connectors.twentyfourseven import push

        if not self.capabilities.can_push(entity):
            raise Rejected(str(self.capabilities.notes.get(entity, f"{entity} cannot be pushed")))
        return push.create(self, entity, values)

    def update(self, entity: str, external_id: str, values: dict[str, Any]) -> dict[str, Any]:
        from apps.integrations.connectors.twentyfourseven import push

        return push.update(self, entity, external_id, values)

    def delete(self, entity: str, external_id: str) -> None:
        from apps.integrations.connectors.twentyfourseven import push

        push.delete(self, entity, external_id)
