"""The sync engine's 24SevenOffice connector: one client per connection, calls per entity.

What to fetch and how records map lives in `pull.py`/`push.py`/`mappers.py`; this class only
builds the client from a Connection and routes the engine's calls to them.
"""

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from apps.integrations.connectors.base import Rejected
from apps.integrations.connectors.twentyfourseven import CAPABILITIES
from apps.integrations.connectors.twentyfourseven.client import TwentyFourSevenClient
from apps.integrations.connectors.twentyfourseven.types import CallRecord, Credentials
from apps.integrations.sync.budget import DatabaseRequestBudget
from apps.integrations.sync.types import RemoteRecord

# How far before its cursor an incremental fetch starts: ChangedAfter is compared by the
# minute, so at least twice that (and never under two minutes) is read again.
OVERLAP = max(CAPABILITIES.watermark_resolution * 2, timedelta(minutes=2))


class ConnectionSessionStore:
    """Keeps the 24SO session id in the connection's encrypted state document."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def get(self) -> str | None:
        return self._connection.state_doc.get("session_id") or None

    def set(self, session_id: str | None) -> None:
        state = {**self._connection.state_doc, "session_id": session_id or ""}
        if not state["session_id"]:
            del state["session_id"]
        self._connection.state_doc = state
        # The field encrypts on save (also in update()): the plain document goes in, once.
        type(self._connection).objects.filter(pk=self._connection.pk).update(
            state=self._connection.state
        )


def sync_login(connection: Any) -> tuple[str, str]:
    """The username and password the sync logs in with: the integration user, else the login."""
    credentials = connection.credentials_doc
    api_username = credentials.get("api_username") or ""
    if api_username:
        return api_username, credentials.get("api_password") or ""
    return credentials.get("username") or "", credentials.get("password") or ""


def budget_key(username: str) -> str:
    """The request budget 24SO counts per login (shared by every client of that login)."""
    return f"24so:{username.strip().lower()}"


def client_for(connection: Any, **overrides: Any) -> TwentyFourSevenClient:
    """A client logged in as the connection's integration user (or its login)."""
    username, password = sync_login(connection)
    identity_id = connection.setting("identity_id")
    identity = UUID(identity_id) if identity_id else None
    return TwentyFourSevenClient(
        credentials=Credentials(username=username, password=password, identity_id=identity),
        session_store=ConnectionSessionStore(connection),
        budget=DatabaseRequestBudget(),
        budget_key=budget_key(username),
        **overrides,
    )


def request_budget(connection: Any) -> tuple[int, int]:
    """Requests counted against the connection's 24SO login in the last hour, and how many
    the sync may use in an hour (24SO's limit less the reserve kept for people working)."""

    from django.conf import settings
    from django.utils import timezone

    username, _password = sync_login(connection)
    used = DatabaseRequestBudget().used(
        budget_key(username), window=timedelta(hours=1), now=timezone.now()
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
    def fetch(self, entity: str, *, since: str | None) -> Iterator[Sequence[RemoteRecord]]:
        """Pages changed since the cursor (a time), read again from OVERLAP before it."""
        from apps.integrations.connectors.twentyfourseven import pull

        moment = self.connection.spec.cursor_as_time(since) if since else None
        return pull.fetch(self, entity, since=moment - OVERLAP if moment is not None else None)

    def next_cursor(self, entity: str, run_started: datetime) -> str:
        """The run's start: what changed while it read is read again next time."""
        return self.connection.spec.cursor_from_time(run_started)

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

    def create(
        self, entity: str, values: dict[str, Any], *, key: str = ""
    ) -> tuple[str, dict[str, Any]]:
        # 24SO has no idempotency keys: a retried create is found by `find` instead.
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
