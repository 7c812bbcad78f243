"""Change notifications: subscriptions (validation handshake, expiry, renewal), the POSTs Graph
makes to the subscriber on each change, and lifecycle events.

- Creating a subscription POSTs `?validationToken=…` to `notificationUrl` (and to
  `lifecycleNotificationUrl` when given); the subscriber must answer 200 `text/plain` with the
  token, URL-decoded, within `validation_timeout_seconds` (10 s), or the creation fails with 400.
- Every write to a mailbox's calendar (API, admin, seed: the one write path in events.py)
  queues one notification per live subscription whose `changeType` covers the change:
  `{"value": [{subscriptionId, subscriptionExpirationDateTime, changeType, resource,
  resourceData {@odata.type, @odata.id, @odata.etag, id}, clientState, tenantId}]}`.
- Lifecycle events (`reauthorizationRequired`, `subscriptionRemoved`, `missed`) go to the
  `lifecycleNotificationUrl` (admin action); `subscriptionRemoved` also ends the subscription.
- A delivery not answered 2xx is tried again `notification_retry_seconds` later (doubling),
  `notification_max_attempts` times in all.

Who sends: setting `SANDBOX_GRAPH["NOTIFICATION_DELIVERY"]` — "thread" (default): a background
thread of the process that made the change; "inline": at once, in the thread that made it,
right after its commit (tests); "off": only when `deliver_due()` is called.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Any

import requests
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.sandbox.background import DeliveryThread

from . import ids
from .errors import GraphError
from .models import App, Event, Mailbox, Notification, Subscription
from .runtime import configured, knobs_get, tenant_id
from .timezones import parse_wall, utc_iso

logger = logging.getLogger(__name__)

MODES = ("thread", "inline", "off")
CHANGE_TYPES = ("created", "updated", "deleted")
LIFECYCLE_EVENTS = ("reauthorizationRequired", "subscriptionRemoved", "missed")
USER_AGENT = "Microsoft-Graph-ChangeTracking (Tidsbro sandbox)"
TICK_SECONDS = 5.0


def mode() -> str:
    chosen = configured().get("NOTIFICATION_DELIVERY", "thread")
    return chosen if chosen in MODES else "thread"


# Subscriptions ---------------------------------------------------------------------------


def _resource_ok(resource: str, mailbox: Mailbox) -> bool:
    parts = [p for p in resource.strip("/").split("/") if p]
    lowered = [p.lower() for p in parts]
    if lowered in (["me", "events"], ["me", "calendar", "events"]):
        return True
    if len(parts) in (3, 4) and lowered[0] == "users" and lowered[-1] == "events":
        who = parts[1].lower()
        if who in (mailbox.user_principal_name.lower(), str(mailbox.object_id)):
            return len(parts) == 3 or lowered[2] == "calendar"
    return False


def _expiration(value: Any) -> dt.datetime:
    if not value:
        raise GraphError(400, "InvalidRequest", "expirationDateTime is required.")
    try:
        moment = parse_wall(str(value))
    except ValueError:
        raise GraphError(400, "InvalidRequest", f"Invalid expirationDateTime '{value}'.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    now = timezone.now()
    longest = knobs_get().subscription_max_minutes
    if moment <= now:
        raise GraphError(
            400, "ExtensionError", "Subscription expiration can only be in the future."
        )
    if moment > now + dt.timedelta(minutes=longest):
        raise GraphError(
            400,
            "ExtensionError",
            f"Subscription expiration can only be {longest} minutes in the future.",
        )
    return moment


def _validate_url(url: str) -> None:
    """The validation handshake: the subscriber must echo the token (plain text, 200)."""
    token = f"Validation: Testing client application reachability for subscription Request-Id: {uuid.uuid4()}"
    failed = GraphError(
        400,
        "ValidationError",
        "Subscription validation request failed. Notification endpoint must respond with "
        "200 OK to validation request.",
    )
    try:
        response = requests.post(
            url,
            params={"validationToken": token},
            data=b"",
            headers={"Content-Type": "text/plain; charset=utf-8", "User-Agent": USER_AGENT},
            timeout=knobs_get().validation_timeout_seconds,
            allow_redirects=False,
        )
    except requests.RequestException:
        raise failed from None
    kind = response.headers.get("Content-Type", "")
    if response.status_code != 200 or response.text != token or not kind.startswith("text/plain"):
        raise failed


def subscription_create(*, mailbox: Mailbox, app: App, data: dict, immutable: bool) -> Subscription:
    """A new subscription on the mailbox's events, after the validation handshake."""
    if not isinstance(data, dict):
        raise GraphError(400, "InvalidRequest", "The request body must be a JSON object.")
    change_type = str(data.get("changeType") or "")
    kinds = [k.strip() for k in change_type.split(",") if k.strip()]
    if not kinds or any(k not in CHANGE_TYPES for k in kinds):
        raise GraphError(
            400, "InvalidRequest", f"'{change_type}' is not a valid changeType for events."
        )
    resource = str(data.get("resource") or "")
    if not _resource_ok(resource, mailbox):
        raise GraphError(
            400, "ExtensionError", f"Resource '{resource}' is not supported by the sandbox."
        )
    url = str(data.get("notificationUrl") or "")
    if not url.startswith(("https://", "http://")):
        raise GraphError(400, "InvalidRequest", "notificationUrl must be an absolute URL.")
    lifecycle_url = str(data.get("lifecycleNotificationUrl") or "")
    expiration = _expiration(data.get("expirationDateTime"))
    _validate_url(url)
    if lifecycle_url:
        _validate_url(lifecycle_url)
    return Subscription.objects.create(
        mailbox=mailbox,
        app=app,
        resource=resource,
        change_type=",".join(kinds),
        notification_url=url,
        lifecycle_notification_url=lifecycle_url,
        client_state=str(data.get("clientState") or "")[:255],
        immutable_ids=immutable,
        expiration=expiration,
    )


def subscription_renew(*, subscription: Subscription, data: dict) -> Subscription:
    """PATCH: a new expirationDateTime (the same limit as on creation)."""
    subscription.expiration = _expiration((data or {}).get("expirationDateTime"))
    subscription.save(update_fields=["expiration"])
    return subscription


def subscription_delete(*, subscription: Subscription) -> None:
    subscription.removed_at = timezone.now()
    subscription.save(update_fields=["removed_at"])


def subscription_find(*, app: App, mailbox: Mailbox, value: str) -> Subscription:
    try:
        key = uuid.UUID(value)
    except ValueError:
        key = None
    found = (
        Subscription.objects.filter(
            subscription_id=key, app=app, mailbox=mailbox, removed_at__isnull=True
        ).first()
        if key
        else None
    )
    if found is None:
        raise GraphError(404, "ResourceNotFound", f"The object '{value}' doesn't exist.")
    return found


def render_subscription(sub: Subscription, base: str) -> dict:
    return {
        "@odata.context": f"{base}/v1.0/$metadata#subscriptions/$entity",
        "id": str(sub.subscription_id),
        "resource": sub.resource,
        "applicationId": sub.app.client_id,
        "changeType": sub.change_type,
        "clientState": sub.client_state or None,
        "notificationUrl": sub.notification_url,
        "notificationQueryOptions": None,
        "lifecycleNotificationUrl": sub.lifecycle_notification_url or None,
        "expirationDateTime": utc_iso(sub.expiration),
        "creatorId": str(sub.mailbox.object_id),
        "includeResourceData": False,
        "latestSupportedTlsVersion": "v1_2",
        "encryptionCertificate": None,
        "encryptionCertificateId": None,
        "notificationUrlAppId": None,
    }


# Notifications ---------------------------------------------------------------------------


def notify_change(*, mailbox_id: int, event_id: int, change_type: str) -> list[Notification]:
    """Queues a change notification for each live subscription of the mailbox that covers
    `change_type` and has them sent."""
    now = timezone.now()
    event = Event.objects.select_related("mailbox").filter(pk=event_id).first()
    if event is None:
        return []
    subs = Subscription.objects.filter(
        mailbox_id=mailbox_id, removed_at__isnull=True, expiration__gt=now
    ).select_related("mailbox")
    made: list[Notification] = []
    delay = dt.timedelta(seconds=max(0.0, knobs_get().notification_delay_seconds))
    for sub in subs:
        if change_type not in sub.change_type.split(","):
            continue
        graph_id = ids.graph_id(
            mailbox_id, str(event.pk), event.folder_generation, sub.immutable_ids
        )
        resource = f"Users/{sub.mailbox.object_id}/Events/{graph_id}"
        item = {
            "subscriptionId": str(sub.subscription_id),
            "subscriptionExpirationDateTime": utc_iso(sub.expiration),
            "changeType": change_type,
            "resource": resource,
            "resourceData": {
                "@odata.type": "#Microsoft.Graph.Event",
                "@odata.id": resource,
                "@odata.etag": f'W/"{event.change_key}"',
                "id": graph_id,
            },
            "clientState": sub.client_state or None,
            "tenantId": tenant_id(),
        }
        made.append(
            Notification.objects.create(
                subscription=sub,
                mailbox_id=mailbox_id,
                kind=Notification.Kind.CHANGE,
                label=f"{change_type} {event.subject or event.pk}"[:100],
                url=sub.notification_url,
                body=json.dumps({"value": [item]}),
                due_at=now + delay,
            )
        )
    if made:
        dispatch()
    return made


def lifecycle_send(*, subscription: Subscription, event: str) -> Notification | None:
    """Queues a lifecycle event for a subscription (None: it has no lifecycle URL);
    `subscriptionRemoved` also ends the subscription."""
    if event not in LIFECYCLE_EVENTS:
        raise ValueError(event)
    with transaction.atomic():
        if event == "subscriptionRemoved":
            subscription_delete(subscription=subscription)
        if not subscription.lifecycle_notification_url:
            return None
        item = {
            "subscriptionId": str(subscription.subscription_id),
            "subscriptionExpirationDateTime": utc_iso(subscription.expiration),
            "tenantId": tenant_id(),
            "clientState": subscription.client_state or None,
            "lifecycleEvent": event,
        }
        made = Notification.objects.create(
            subscription=subscription,
            mailbox=subscription.mailbox,
            kind=Notification.Kind.LIFECYCLE,
            label=event,
            url=subscription.lifecycle_notification_url,
            body=json.dumps({"value": [item]}),
            due_at=timezone.now(),
        )
        transaction.on_commit(dispatch)
    return made


def dispatch() -> None:
    """Has due notifications sent, as the setting says (thread, inline or off)."""
    _worker.dispatch(mode())


def deliver_due(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Sends every waiting notification due by `now`, oldest first; returns how many."""
    now = now or timezone.now()
    due = list(
        Notification.objects.filter(status=Notification.Status.PENDING, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if deliver(pk))


def next_due() -> dt.datetime | None:
    return (
        Notification.objects.filter(status=Notification.Status.PENDING)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )


def deliver(pk: int) -> bool:
    """POSTs one waiting notification now and records how it went (False: claimed by another
    worker or not waiting)."""
    current = Notification.objects.filter(pk=pk).values_list("attempts", flat=True).first()
    if current is None:
        return False
    claimed = Notification.objects.filter(
        pk=pk, status=Notification.Status.PENDING, attempts=current
    ).update(attempts=F("attempts") + 1, sent_at=timezone.now())
    if not claimed:
        return False
    note = Notification.objects.get(pk=pk)
    knobs = knobs_get()
    code: int | None = None
    error = ""
    try:
        response = requests.post(
            note.url,
            data=note.body.encode(),
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
            timeout=knobs.notification_timeout_seconds,
            allow_redirects=False,
        )
        code = response.status_code
        response.close()
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except requests.RequestException as exc:
        error = type(exc).__name__
    if not error:
        Notification.objects.filter(pk=pk).update(
            status=Notification.Status.DELIVERED, response_code=code, error=""
        )
        return True
    if note.attempts >= max(1, knobs.notification_max_attempts):
        Notification.objects.filter(pk=pk).update(
            status=Notification.Status.FAILED, response_code=code, error=error[:300]
        )
        return True
    wait = knobs.notification_retry_seconds * 2 ** (note.attempts - 1)
    Notification.objects.filter(pk=pk).update(
        response_code=code, error=error[:300], due_at=timezone.now() + dt.timedelta(seconds=wait)
    )
    return True


def redeliver(*, notification: Notification) -> Notification:
    """Sends a notification again (admin): waiting, due now."""
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.PENDING, due_at=timezone.now(), attempts=0, error=""
    )
    dispatch()
    notification.refresh_from_db()
    return notification


_worker = DeliveryThread(
    "graph-sandbox-notify", lambda: deliver_due(), lambda: next_due(), tick=TICK_SECONDS
)


def wait_idle(timeout: float = 10.0) -> bool:
    """Waits for this process's delivery thread to finish (tests, shutdown)."""
    return _worker.join(timeout)
