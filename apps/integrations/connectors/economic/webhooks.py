"""Instant updates from e-conomic: its webhooks (`webhooksapi/v1.0.0`, API-NOTES §15) call
Tidsbro's receiver when a customer, project, employee or activity changes there, and the
receiver pulls that record at once (`spec.webhooks`; polling stays the safety net).

- e-conomic allows one webhook per event type per agreement, and signs nothing: each webhook
  carries a secret Tidsbro made (`customHeaders`: `X-Tidsbro-Webhook-Secret`), kept in the
  connection's encrypted state document as `webhook_secret`.
- Registered: `CUSTOMER_CREATED`/`_UPDATED` always, and the project, employee and activity
  ones when the agreement has the Project module — each only for an object type the connection
  keeps in step. Deletions are not followed: the nightly reconciliation finds them.
- The body is Tidsbro's own template (`postData`), `{"eventType": "…", "number": "[…NUMBER]"}`:
  the record's number, never its values — the receiver reads the record as it is now.
- A webhook already there for an event type that is not Tidsbro's (another app's) is never
  overwritten: it is reported and that event type is left to polling. Tidsbro's own (at its
  address, or carrying its secret: the address moved) is updated in place (PUT with the
  `objectVersion` it read), which also turns a webhook e-conomic disabled back on, points it at
  the current address and carries a new secret (`rotate`).
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings as django_settings
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import Entity, Webhooks

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Tidsbro-Webhook-Secret"  # noqa: S105 - a header name
STATE_SECRET = "webhook_secret"  # noqa: S105 - the state document's key, not a secret
STATE_EVENTS = "webhook_events"
CONTENT_TYPE = "application/json"
NAME = "Tidsbro"

# Object type → (its events, the merge field holding the record's number).
FOLLOWED: dict[str, tuple[tuple[str, ...], str]] = {
    Entity.CUSTOMER.value: (("CUSTOMER_CREATED", "CUSTOMER_UPDATED"), "CUSTOMERNUMBER"),
    Entity.PROJECT.value: (("PROJECT_CREATED", "PROJECT_UPDATED"), "PROJECTNUMBER"),
    Entity.USER.value: (("EMPLOYEE_CREATED", "EMPLOYEE_UPDATED"), "EMPLOYEENUMBER"),
    Entity.WORK_TYPE.value: (("ACTIVITY_CREATED", "ACTIVITY_UPDATED"), "ACTIVITYNUMBER"),
}
EVENT_ENTITY = {event: entity for entity, (events, _f) in FOLLOWED.items() for event in events}
# Object types e-conomic serves through the Projects service (the Project module).
PROJECT_MODULE = frozenset({Entity.PROJECT.value, Entity.USER.value, Entity.WORK_TYPE.value})


def post_data(event_type: str) -> str:
    """The body template e-conomic fills for `event_type` (pure)."""
    _events, merge_field = FOLLOWED[EVENT_ENTITY[event_type]]
    return json.dumps({"eventType": event_type, "number": f"[{merge_field}]"})


def wanted_events(connection: Any) -> list[str]:
    """The event types to register for the connection: its pulled object types (pure)."""
    pull = connection.spec.capabilities.pull
    module = connection.setting("project_module", False) is True
    events: list[str] = []
    for entity, (names, _field) in FOLLOWED.items():
        if not connection.is_connected(entity) or entity not in pull:
            continue
        if entity in PROJECT_MODULE and not module:
            continue
        events.extend(names)
    return events


def receiver_url(connection: Any) -> str:
    """Where e-conomic calls: the site's address (`TIDSBRO_BASE_URL`) and the receiver path."""
    from apps.integrations.webhooks import receiver_path

    base = (getattr(django_settings, "TIDSBRO_BASE_URL", "") or "").rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ApplicationError(
            _(
                "Tidsbro's public address is not set (TIDSBRO_BASE_URL), so e-conomic would not "
                "know where to send its updates. Ask the administrator of this Tidsbro."
            )
        )
    return base + receiver_path(system=connection.system, connection_id=connection.pk)


class EconomicWebhooks(Webhooks):
    """`spec.webhooks`: the secret to expect and how to read e-conomic's call."""

    def secret(self, connection: Any) -> str:
        return str(connection.state_doc.get(STATE_SECRET) or "")

    def parse(self, connection: Any, body: bytes, content_type: str) -> list[tuple[str, str]]:
        try:
            doc = json.loads(body or b"")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError("not JSON") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("eventType"), str):
            raise ValueError("no eventType")
        entity = EVENT_ENTITY.get(doc["eventType"])
        if entity is None:
            return []  # an event Tidsbro does not follow (or no longer)
        number = doc.get("number")
        text = str(number).strip() if isinstance(number, int | str) else ""
        if isinstance(number, bool) or not text.isdigit():
            raise ValueError("no record number")
        return [(entity, str(int(text)))]

    def enable(self, connection: Any) -> str:
        """After connecting: registers the webhooks when Tidsbro has a public address (else
        nothing; the settings box says why)."""
        base = getattr(django_settings, "TIDSBRO_BASE_URL", "") or ""
        if not base.startswith(("http://", "https://")):
            return "no public address (TIDSBRO_BASE_URL): not registered"
        found = register(connection)
        return f"registered {', '.join(found.registered) or 'nothing'}"


WEBHOOKS = EconomicWebhooks()


# Registering -------------------------------------------------------------------------------------


@dataclass
class Registration:
    """What e-conomic holds for the connection, event type by event type."""

    ours: dict[str, dict[str, Any]] = field(default_factory=dict)  # event → webhook
    others: dict[str, str] = field(default_factory=dict)  # event → the other address

    @property
    def registered(self) -> list[str]:
        return sorted(self.ours)

    @property
    def disabled(self) -> list[str]:
        return sorted(e for e, w in self.ours.items() if w.get("isDisabled"))


def _ours(hook: dict[str, Any], url: str, secret: str) -> bool:
    """Tidsbro's webhook for this connection: at its address, or carrying its secret (the
    address moved since, or is not known here)."""
    if url and hook.get("url") == url:
        return True
    headers = hook.get("customHeaders") or []
    return bool(secret) and any(
        isinstance(h, dict) and h.get("key") == SECRET_HEADER and h.get("value") == secret
        for h in headers
    )


def _read(apis: Any, url: str, secret: str) -> Registration:
    """Every webhook of the agreement, sorted into Tidsbro's (see `_ours`) and others'."""
    from apps.integrations.connectors.economic.apis import WEBHOOKS as SERVICE

    found = Registration()
    for page in apis.iter_pages(SERVICE, "webhooks"):
        for hook in page:
            event = str(hook.get("eventType") or "")
            if _ours(hook, url, secret):
                found.ours[event] = hook
            elif event in EVENT_ENTITY:
                found.others[event] = str(hook.get("url") or "")
    return found


def _document(event_type: str, url: str, secret: str, current: dict | None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "eventType": event_type,
        "name": NAME,
        "url": url,
        "contentType": CONTENT_TYPE,
        "postData": post_data(event_type),
        "customHeaders": [{"key": SECRET_HEADER, "value": secret}],
        "isDisabled": False,
    }
    if current is not None:
        document["objectVersion"] = current.get("objectVersion")
    return document


def _save_state(connection: Any, **values: Any) -> None:
    """Writes the webhook keys of the connection's encrypted state (None removes one)."""
    state = dict(connection.state_doc)
    for key, value in values.items():
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value
    connection.state_doc = state
    # The field encrypts on save (also in update()): the plain document goes in, once.
    type(connection).objects.filter(pk=connection.pk).update(state=connection.state)


def register(connection: Any, *, rotate: bool = False, apis: Any = None) -> Registration:
    """Registers (or refreshes) Tidsbro's webhooks for the connection's followed event types
    and removes its own for event types no longer followed; `rotate` makes a new secret.
    Writes the secret and the registered event types to the connection's state. Raises
    ApplicationError (no public address) and the connector's errors."""
    from apps.integrations.connectors.economic.apis import WEBHOOKS as SERVICE
    from apps.integrations.connectors.economic.apis import StaleVersion, apis_for

    url = receiver_url(connection)
    old = WEBHOOKS.secret(connection)
    secret = old
    if rotate or not secret:
        secret = secrets.token_urlsafe(32)
    # Stored before e-conomic has it: a call carrying the old secret meanwhile is refused and
    # its change arrives with the next poll.
    _save_state(connection, **{STATE_SECRET: secret})
    own = apis is None
    apis = apis or apis_for(connection)
    try:
        found = _read(apis, url, old)
        wanted = wanted_events(connection)
        # One key per registration round: a lost answer within the round is replayed, but a
        # later round (e.g. after the webhooks were removed in e-conomic) really creates them
        # again. Two rounds cannot make two of one: e-conomic keeps one webhook per event type,
        # and each round reads what is there first.
        round_id = secrets.token_hex(6)
        for event in wanted:
            if event in found.others:
                continue  # another app's: never overwritten (reported)
            current = found.ours.get(event)
            if current is None:
                apis.post(
                    SERVICE,
                    "webhooks",
                    _document(event, url, secret, None),
                    key=f"tidsbro-webhook-{connection.pk}-{event}-{round_id}",
                )
            else:
                try:
                    apis.replace(SERVICE, "webhooks", _document(event, url, secret, current))
                except StaleVersion:  # changed meanwhile: once more with what it holds now
                    current = apis.get(SERVICE, f"webhooks/{event}") or current
                    apis.replace(SERVICE, "webhooks", _document(event, url, secret, current))
        for event in set(found.ours) - set(wanted):
            apis.delete(SERVICE, f"webhooks/{event}")
        result = _read(apis, url, secret)
    finally:
        if own:
            apis.close()
    _save_state(connection, **{STATE_EVENTS: result.registered})
    logger.info(
        "e-conomic webhooks of connection %s: %d registered, %d taken by others",
        connection.pk,
        len(result.ours),
        len(result.others),
    )
    return result


def unregister(connection: Any, *, apis: Any = None) -> int:
    """Deletes Tidsbro's webhooks of the connection in e-conomic (never others') and forgets
    the secret; returns how many were deleted."""
    from apps.integrations.connectors.economic.apis import WEBHOOKS as SERVICE
    from apps.integrations.connectors.economic.apis import apis_for

    try:
        url = receiver_url(connection)
    except ApplicationError:  # no public address now: Tidsbro's are known by their secret
        url = ""
    own = apis is None
    apis = apis or apis_for(connection)
    try:
        found = _read(apis, url, WEBHOOKS.secret(connection))
        deleted = sum(1 for event in found.ours if apis.delete(SERVICE, f"webhooks/{event}"))
    finally:
        if own:
            apis.close()
    _save_state(connection, **{STATE_SECRET: None, STATE_EVENTS: None})
    return deleted


def status(connection: Any, *, apis: Any = None) -> Registration:
    """What e-conomic holds now for the connection (one request below 1,000 webhooks)."""
    from apps.integrations.connectors.economic.apis import apis_for

    url = receiver_url(connection)
    own = apis is None
    apis = apis or apis_for(connection)
    try:
        return _read(apis, url, WEBHOOKS.secret(connection))
    finally:
        if own:
            apis.close()


def is_on(connection: Any) -> bool:
    """Whether instant updates are switched on for the connection (a secret is kept)."""
    return bool(WEBHOOKS.secret(connection))
