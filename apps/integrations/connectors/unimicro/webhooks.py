"""Instant updates from Unimicro: an Eventplan (API-NOTES §9) calls Tidsbro's receiver when a
customer, project, task, work type, work item or customer order is created, changed or deleted
there, and the receiver pulls that record at once (`spec.webhooks`; the hourly poll by
`UpdatedAt` stays the safety net).

- One Eventplan per connection: PlanType 0 (webhook), ModelFilter `MODEL_FILTER`,
  OperationFilter "CUD", one Subscriber whose Endpoint is Tidsbro's receiver
  (`TIDSBRO_BASE_URL` + `/integrations/webhooks/unimicro/<connection id>/`). Tidsbro makes the
  SigningKey and keeps it, with the plan's id, in the connection's encrypted state
  (`state["webhook"] = {"eventplan_id", "signing_key"}`), written under the connection row's
  lock so a token refresh meanwhile is never lost.
- Every call is signed: header `Unimicro-Signature` (or `SoftRig-Signature`) =
  `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the SigningKey>`;
  refused (403) unless a v1 matches (constant-time) and |now − t| ≤ 300 s (`verify`).
- The body `{"EntityName", "EventType", "EntityID", "CompanyKey", "Entity"}` is only a hint:
  the record named is read as it is now, so a replay or a duplicate changes nothing a poll
  would not (`parse` → (object type, Unimicro ID)).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import Entity, Webhooks

logger = logging.getLogger(__name__)

SIGNATURE_HEADERS = ("Unimicro-Signature", "SoftRig-Signature")
TOLERANCE_SECONDS = 300
STATE_KEY = "webhook"
PLAN_NAME = "Tidsbro"
PLURAL = "eventplans"
# Unimicro's entity names → Tidsbro's object types (the receiver keeps only the types the
# connection pulls; work items and orders are Tidsbro's own pushes, named for completeness).
MODELS: dict[str, str] = {
    "Customer": Entity.CUSTOMER.value,
    "Project": Entity.PROJECT.value,
    "ProjectTask": Entity.TASK.value,
    "WorkType": Entity.WORK_TYPE.value,
    "WorkItem": Entity.HOUR.value,
    "CustomerOrder": Entity.ORDER.value,
}
MODEL_FILTER = ",".join(MODELS)
OPERATION_FILTER = "CUD"


def state_of(connection: Any) -> dict[str, Any]:
    found = (connection.state_doc or {}).get(STATE_KEY)
    return dict(found) if isinstance(found, Mapping) else {}


def signing_key(connection: Any) -> str:
    return str(state_of(connection).get("signing_key") or "")


def signature(key: str, timestamp: int | str, body: bytes) -> str:
    """The hex HMAC-SHA256 of "<t>.<body>" (what Unimicro sends as v1)."""
    message = f"{timestamp}.".encode() + (body or b"")
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def signature_header(key: str, body: bytes, *, now: float | None = None) -> str:
    """A header value as Unimicro writes it (for tests and the sandbox's deliveries)."""
    stamp = int(now if now is not None else time.time())
    return f"t={stamp},v1={signature(key, stamp, body)}"


def check(header: str, key: str, body: bytes, *, now: float | None = None) -> bool:
    """Whether `header` (`t=…,v1=…[,v1=…]`) signs `body` with `key` within the tolerance."""
    if not header or not key:
        return False
    stamp = ""
    candidates: list[str] = []
    for part in header.split(","):
        name, _sep, value = part.strip().partition("=")
        if name == "t":
            stamp = value.strip()
        elif name == "v1":
            candidates.append(value.strip())
    if not stamp.isdigit() or not candidates:
        return False
    moment = time.time() if now is None else now
    if abs(moment - int(stamp)) > TOLERANCE_SECONDS:
        return False
    expected = signature(key, stamp, body)
    # Every candidate is compared (no early exit on the first that fails).
    matches = [hmac.compare_digest(expected.encode(), c.encode()) for c in candidates]
    return any(matches)


class UnimicroWebhooks(Webhooks):
    """`spec.webhooks`: Unimicro signs its calls (`verify`), the body names one record."""

    def secret(self, connection: Any) -> str:
        return signing_key(connection)

    def verify(self, connection: Any, headers: Mapping[str, str], body: bytes) -> bool:
        key = signing_key(connection)
        for name in SIGNATURE_HEADERS:
            value = headers.get(name)
            if value:
                return check(value, key, body)
        return False

    def parse(self, connection: Any, body: bytes, content_type: str) -> list[tuple[str, str]]:
        try:
            doc = json.loads(body or b"")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError("not JSON") from exc
        events = doc if isinstance(doc, list) else [doc]
        company = str(connection.setting("company_key", "") or "").lower()
        pairs: list[tuple[str, str]] = []
        for event in events:
            if not isinstance(event, dict) or not isinstance(event.get("EntityName"), str):
                raise ValueError("no EntityName")
            entity = MODELS.get(event["EntityName"])
            if entity is None:
                continue  # a model Tidsbro does not follow
            sender = str(event.get("CompanyKey") or "").lower()
            if company and sender and sender != company:
                continue  # another company's event: not this connection's records
            record_id = event.get("EntityID")
            if isinstance(record_id, bool) or not str(record_id or "").strip().isdigit():
                raise ValueError("no EntityID")
            pairs.append((entity, str(int(str(record_id).strip()))))
        return pairs

    def enable(self, connection: Any) -> str:
        """After connecting (API mode): registers the eventplan when Tidsbro has a public
        address (else nothing; the settings box says why)."""
        if connection.setting("mode", "api") != "api":
            return "CSV mode: no instant updates"
        base = getattr(django_settings, "TIDSBRO_BASE_URL", "") or ""
        if not base.startswith(("http://", "https://")):
            return "no public address (TIDSBRO_BASE_URL): not registered"
        plan = register(connection)
        return f"eventplan {plan.get('ID')} registered"


WEBHOOKS = UnimicroWebhooks()


# Registering -------------------------------------------------------------------------------------


def receiver_url(connection: Any) -> str:
    from apps.integrations.webhooks import receiver_path

    base = (getattr(django_settings, "TIDSBRO_BASE_URL", "") or "").rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ApplicationError(
            _(
                "Tidsbro's public address is not set (TIDSBRO_BASE_URL), so Unimicro would not "
                "know where to send its updates. Ask the administrator of this Tidsbro."
            )
        )
    return base + receiver_path(system=connection.system, connection_id=connection.pk)


def save_state(connection: Any, value: dict[str, Any] | None) -> None:
    """Writes `state["webhook"]` under the connection row's lock, on the state as stored now
    (the tokens beside it may have been rotated by another process meanwhile)."""
    model = type(connection)
    with transaction.atomic():
        row = model.objects.select_for_update().get(pk=connection.pk)
        state = dict(row.state_doc or {})
        if value is None:
            state.pop(STATE_KEY, None)
        else:
            state[STATE_KEY] = value
        row.state_doc = state
        model.objects.filter(pk=row.pk).update(state=row.state)
    connection.state_doc = state


def _ours(plan: Mapping[str, Any], url: str, plan_id: Any) -> bool:
    if plan_id and plan.get("ID") == plan_id:
        return True
    return any(
        isinstance(s, Mapping) and s.get("Endpoint") == url and not s.get("Deleted")
        for s in plan.get("Subscribers") or []
    )


def find_plans(client: Any, url: str, plan_id: Any = None) -> list[dict[str, Any]]:
    """Tidsbro's eventplans for this connection (by id or by its endpoint)."""
    return [
        p
        for p in client.list(PLURAL, expand="Subscribers")
        if not p.get("Deleted") and _ours(p, url, plan_id)
    ]


def _body(url: str, key: str, current: Mapping[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Name": PLAN_NAME,
        "Active": True,
        "PlanType": 0,
        "ModelFilter": MODEL_FILTER,
        "OperationFilter": OPERATION_FILTER,
        "SigningKey": key,
    }
    subscribers = [s for s in (current or {}).get("Subscribers") or [] if isinstance(s, Mapping)]
    mine = next((s for s in subscribers if s.get("Endpoint") == url), None)
    if current is not None:
        body["ID"] = current.get("ID")
        # Other endpoints on the plan (a moved address) go; ours is kept or made.
        body["Subscribers"] = [
            {"ID": s.get("ID"), "Deleted": True} for s in subscribers if s is not mine
        ]
    else:
        body["Subscribers"] = []
    if mine is not None:
        body["Subscribers"].append({"ID": mine.get("ID"), "Active": True, "Endpoint": url})
    else:
        body["Subscribers"].append(
            {
                "ID": 0,
                "_createguid": secrets.token_hex(16),
                "Name": PLAN_NAME,
                "Endpoint": url,
                "Active": True,
            }
        )
    return body


def register(connection: Any, *, rotate: bool = False, client: Any = None) -> dict[str, Any]:
    """Registers (or repairs) the connection's eventplan: one plan with Tidsbro's endpoint,
    active, following `MODEL_FILTER`; a second one found for the same endpoint is removed.
    `rotate` makes a new SigningKey. Returns the plan as Unimicro holds it. Raises
    ApplicationError (no public address) and the connector's errors."""
    from apps.integrations.connectors.unimicro.connector import client_for

    url = receiver_url(connection)
    state = state_of(connection)
    key = str(state.get("signing_key") or "")
    if rotate or not key:
        key = secrets.token_hex(32)
    own = client is None
    client = client or client_for(connection)
    try:
        plans = find_plans(client, url, state.get("eventplan_id"))
        current = plans[0] if plans else None
        # Kept before Unimicro has it: a call signed with the old key meanwhile is refused
        # and its change arrives with the next poll.
        save_state(connection, {**state, "signing_key": key})
        if current is None:
            plan = client.create(PLURAL, _body(url, key, None))
        else:
            plan = client.update(PLURAL, current["ID"], _body(url, key, current))
        for extra in plans[1:]:
            client.delete(PLURAL, extra["ID"])
    finally:
        if own:
            client.close()
    plan_id = plan.get("ID") if isinstance(plan, Mapping) else None
    save_state(connection, {"eventplan_id": plan_id, "signing_key": key})
    logger.info("unimicro eventplan %s registered for connection %s", plan_id, connection.pk)
    return dict(plan) if isinstance(plan, Mapping) else {}


def unregister(connection: Any, *, client: Any = None) -> int:
    """Deletes Tidsbro's eventplans of the connection and forgets the key; how many."""
    from apps.integrations.connectors.unimicro.connector import client_for

    try:
        url = receiver_url(connection)
    except ApplicationError:
        url = ""
    own = client is None
    client = client or client_for(connection)
    try:
        plans = find_plans(client, url, state_of(connection).get("eventplan_id"))
        for plan in plans:
            client.delete(PLURAL, plan["ID"])
    finally:
        if own:
            client.close()
    save_state(connection, None)
    return len(plans)


def status(connection: Any, *, client: Any = None) -> dict[str, Any] | None:
    """The eventplan Unimicro holds for the connection now, or None."""
    from apps.integrations.connectors.unimicro.connector import client_for

    url = receiver_url(connection)
    own = client is None
    client = client or client_for(connection)
    try:
        plans = find_plans(client, url, state_of(connection).get("eventplan_id"))
    finally:
        if own:
            client.close()
    return plans[0] if plans else None


def is_on(connection: Any) -> bool:
    return bool(signing_key(connection))
