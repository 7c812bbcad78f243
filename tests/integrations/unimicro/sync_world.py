"""An office connected to the Unimicro sandbox over real HTTP (live_server; the key's access
token minted by the sandbox's identity server, as a login leaves it), for the sync flows: pull, push,
first transfer, conflicts, webhooks. Holds no tests itself.

"Unimicro" edits (what a person does in Unimicro) go through the sandbox's store, as its
admin does: stamps move and eventplan events fire exactly as for an API write.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apps.integrations.models import Binding, Connection, OutboxItem, SyncRun
from apps.integrations.sync import outbox
from apps.integrations.sync.engine import sync_entity

COMPANY_1 = "4b3e9a10-0000-4000-8000-000000000001"
SANDBOX_PERSON = None  # the store takes no caller for edits made "in Unimicro"
CONNECTED = ("customer", "project", "task", "work_type", "user")
# Tidsbro is the master (CONTRACT-17 §5).
MASTERS = {
    "customer": "tidsbro",
    "project": "tidsbro",
    "task": "tidsbro",
    "work_type": "both",
    "user": "erp",
}


@dataclass
class World:
    connection: Connection

    # --- Tidsbro's side ----------------------------------------------------------------------
    def pull(self, entity: str = "customer", *, full: bool = False, trigger: str = "manual"):
        run = sync_entity(connection=self.connection, entity=entity, trigger=trigger, full=full)
        assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
        return run

    def push(self) -> list[SyncRun]:
        """Pushes what waits now (backoffs included), as "sync now" does."""
        return outbox.push_runs(connection=self.connection, due_only=False)

    def binding(self, entity: str = "customer", **lookup: Any) -> Binding:
        return Binding.objects.get(connection=self.connection, entity=entity, **lookup)

    def outbox(self, entity: str, local_id: int) -> OutboxItem:
        return OutboxItem.objects.filter(
            connection=self.connection, entity=entity, local_id=local_id
        ).latest("id")

    # --- Unimicro's side ---------------------------------------------------------------------
    def erp_create(self, entity: str, data: dict[str, Any]) -> dict[str, Any]:
        from apps.sandbox.unimicro import store

        return store.create(COMPANY_1, entity, data, SANDBOX_PERSON, internal=True)

    def erp_update(self, entity: str, record_id: int, changes: dict[str, Any]) -> dict:
        from apps.sandbox.unimicro import store

        return store.update(COMPANY_1, entity, int(record_id), changes, SANDBOX_PERSON)

    def erp(self, entity: str, record_id: int | str, expand: str = "") -> dict | None:
        from apps.sandbox.unimicro import store

        return store.read(COMPANY_1, entity, int(record_id), expand=expand)

    def erp_all(self, entity: str) -> list[dict]:
        from apps.sandbox.unimicro import store

        return [store.to_json(row) for row in store.live(COMPANY_1, store._def(entity))]

    def erp_customer(self, number: int | None = None, **values: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "Info": {"Name": values.pop("name", f"Kunde {number}")},
            "OrgNumber": values.pop("org", None),
        }
        if number is not None:
            data["CustomerNumber"] = number
        data.update(values)
        return self.erp_create("Customer", data)

    def erp_customer_by_number(self, number: int | str) -> dict[str, Any] | None:
        found = [c for c in self.erp_all("Customer") if str(c.get("CustomerNumber")) == str(number)]
        if not found:
            return None
        return self.erp("Customer", found[0]["ID"], expand="Info")


@pytest.fixture
def no_kick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queued pushes wait for the test to drive them (no immediate push after commit)."""
    monkeypatch.setattr(outbox, "kick", lambda connection_id: None)


def connect(live_server: Any, *, connected: tuple[str, ...] = CONNECTED) -> Connection:
    """A connected connection (api mode, company …0001, one key) whose access token is
    minted by the sandbox's identity server for regnskap@tidsbro.no (as a login would
    leave it; no refresh token: the tests never run an hour)."""
    from apps.sandbox.unimicro.identity import gate

    issuer = f"{live_server.url}/sandbox/unimicro/identity"
    token = gate.test_token(company_key=COMPANY_1, issuer=issuer)
    key_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    connection = Connection(
        system="unimicro",
        connected=list(connected),
        masters=dict(MASTERS),
        is_active=True,
    )
    connection.settings = {
        "mode": "api",
        "auth": "login",
        "issuer": issuer,
        "api_base": f"{live_server.url}/sandbox/unimicro",
        "company_key": COMPANY_1,
        "company_name": "Tidsbro Rådgivning AS",
        "organisation_name": "Tidsbro Rådgivning AS",
        "keys": [
            {
                "id": key_id,
                "name": "Tidsbro",
                "company_key": COMPANY_1,
                "company_name": "Tidsbro Rådgivning AS",
                "organisation_name": "Tidsbro Rådgivning AS",
                "user_name": "regnskap@tidsbro.no",
                "created_at": now.isoformat(timespec="seconds"),
                "revoked_at": None,
            }
        ],
        "active_key": key_id,
        "transfer_orders_to_invoice": False,
        "products_by_number": True,
    }
    connection.state_doc = {
        "tokens": {
            key_id: {
                "access_token": token,
                "access_expires_at": (now + timedelta(minutes=50)).isoformat(timespec="seconds"),
                "last_used_at": None,
            }
        }
    }
    connection.save()
    return connection


@pytest.fixture
def world(live_server: Any, transactional_db: None, settings: Any) -> World:
    """The office connected with Tidsbro as master of customers, projects and tasks."""
    settings.UNIMICRO_ISSUER = f"{live_server.url}/sandbox/unimicro/identity"
    settings.UNIMICRO_API_BASE = f"{live_server.url}/sandbox/unimicro"
    settings.SANDBOX_UNIMICRO = {**settings.SANDBOX_UNIMICRO, "WEBHOOK_DELIVERY": "off"}
    return World(connection=connect(live_server))
