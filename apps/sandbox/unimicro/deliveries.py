"""The sandbox delivering eventplan events: a signed POST to each subscriber's endpoint.

- `queue_event` (after the write's commit, from `events.emit`): one `EventplanDelivery` per
  active subscriber of every matching eventplan, body = `events.payload(...)` as JSON.
- `deliver` sends one attempt: `POST <Endpoint>` with `Content-Type: application/json`, the
  subscriber's `Authorization` (when set) and `Headers` ("Name: value" lines or a JSON object),
  and the signature header (knob `signature_header`, default `Unimicro-Signature`; Unimicro's
  production page names it `SoftRig-Signature`): `t=<unix seconds>,v1=<hex HMAC-SHA256 of
  "<t>.<body>" keyed with the eventplan's SigningKey>` — signed afresh on every attempt.
- A delivery without a 2xx is tried again after RETRY_SECONDS, doubling, at most MAX_ATTEMPTS
  times (the sandbox's rule: Unimicro does not publish one, API-NOTES §9).
- After BLOCK_AFTER_401 consecutive 401 answers from one URL the sandbox blocks that exact URL
  (API-NOTES §9 quirk: change the URL, e.g. add `?v=2`, or unblock it in the admin); deliveries
  to a blocked URL fail with "blocked".
- `deliver_again(delivery)` queues a copy of a delivery (same body, new signature): the
  admin's "Deliver again" for testing that replays and duplicates are harmless.

Who sends: setting `SANDBOX_UNIMICRO["WEBHOOK_DELIVERY"]` — "thread" (default): a background
thread of the process that raised the event; "inline": right after the write's commit in the
same thread (tests); "off": only when `deliver_due()` is called.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import requests
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from apps.sandbox.background import DeliveryThread

from . import eventplans as events
from .models_domain import BlockedEndpoint, EventplanDelivery

logger = logging.getLogger(__name__)

USER_AGENT = "Unimicro eventplans (Tidsbro sandbox)"
MODES = ("thread", "inline", "off")
DEFAULT_SIGNATURE_HEADER = "Unimicro-Signature"
SIGNATURE_HEADERS = ("Unimicro-Signature", "SoftRig-Signature")
MAX_ATTEMPTS = 4
RETRY_SECONDS = 2.0
BLOCK_AFTER_401 = 5
TIMEOUT_SECONDS = 5.0
TICK_SECONDS = 5.0


def _knobs() -> Any:
    from .models import Knobs

    return Knobs.objects.filter(pk=1).first() or Knobs.objects.order_by("pk").first()


def mode() -> str:
    """The knob `webhook_delivery` when set, else SANDBOX_UNIMICRO["WEBHOOK_DELIVERY"]."""
    knobs = _knobs()
    chosen = getattr(knobs, "webhook_delivery", "") or ""
    if not chosen:
        chosen = (getattr(settings, "SANDBOX_UNIMICRO", {}) or {}).get("WEBHOOK_DELIVERY", "")
    return chosen if chosen in MODES else "thread"


def signature_header() -> str:
    """The header name deliveries are signed in (knob `signature_header`)."""
    name = getattr(_knobs(), "signature_header", "") or ""
    return name if name in SIGNATURE_HEADERS else DEFAULT_SIGNATURE_HEADER


def sign(signing_key: str, body: str, *, timestamp: int | None = None) -> str:
    """The signature header's value for `body` (pure but for the clock)."""
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(
        signing_key.encode("utf-8"), f"{stamp}.{body}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={stamp},v1={digest}"


def _records(company_key: str, entity: str, **fields: Any) -> list[dict]:
    from .entities import find

    return find(company_key, entity, **fields)


def queue_event(
    *, company_key: str, entity_name: str, entity_id: int, op: str, entity: dict
) -> list[EventplanDelivery]:
    """Stores the deliveries one change owes the company's matching eventplans and has them
    sent (see "who sends")."""
    made = []
    body = json.dumps(
        events.payload(company_key, entity_name, entity_id, op, entity),
        default=str,
        ensure_ascii=False,
    )
    for plan in _records(company_key, "Eventplan"):
        filters = _records(company_key, "ExpressionFilter", EventplanID=plan["ID"])
        if not events.plan_matches(plan, entity_name, op, entity, filters):
            continue
        for subscriber in _records(company_key, "EventSubscriber", EventplanID=plan["ID"]):
            if not subscriber.get("Active", True) or not subscriber.get("Endpoint"):
                continue
            made.append(
                EventplanDelivery.objects.create(
                    company_key=company_key,
                    eventplan_id=plan["ID"],
                    subscriber_id=subscriber["ID"],
                    url=str(subscriber["Endpoint"]),
                    entity_name=entity_name,
                    entity_id=entity_id,
                    event_type=events.EVENT_TYPES[op],
                    body=body,
                    due_at=timezone.now(),
                )
            )
    if made:
        dispatch()
    return made


def deliver_again(delivery: EventplanDelivery) -> EventplanDelivery:
    """A copy of `delivery` (same body) queued now: a replay the receiver must shrug off."""
    copy = EventplanDelivery.objects.create(
        company_key=delivery.company_key,
        eventplan_id=delivery.eventplan_id,
        subscriber_id=delivery.subscriber_id,
        url=delivery.url,
        entity_name=delivery.entity_name,
        entity_id=delivery.entity_id,
        event_type=delivery.event_type,
        body=delivery.body,
        due_at=timezone.now(),
        replay_of=delivery,
    )
    dispatch()
    return copy


def dispatch() -> None:
    """Has due deliveries sent, as the setting says (thread, inline or off)."""
    _worker.dispatch(mode())


def deliver_due(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Sends every pending delivery due by `now`, oldest first; returns how many were tried."""
    now = now or timezone.now()
    due = list(
        EventplanDelivery.objects.filter(status=EventplanDelivery.Status.PENDING, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    tried = 0
    for pk in due:
        delivery = EventplanDelivery.objects.filter(pk=pk).first()
        if delivery is not None and deliver(delivery):
            tried += 1
    return tried


def next_due() -> dt.datetime | None:
    return (
        EventplanDelivery.objects.filter(status=EventplanDelivery.Status.PENDING)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )


def _extra_headers(subscriber: dict) -> dict[str, str]:
    headers: dict[str, str] = {}
    raw = subscriber.get("Headers")
    if isinstance(raw, dict):
        headers.update({str(k): str(v) for k, v in raw.items()})
    elif isinstance(raw, str) and raw.strip():
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            headers.update({str(k): str(v) for k, v in parsed.items()})
        else:
            for line in raw.replace(";", "\n").splitlines():
                name, sep, value = line.partition(":")
                if sep and name.strip():
                    headers[name.strip()] = value.strip()
    if subscriber.get("Authorization"):
        headers["Authorization"] = str(subscriber["Authorization"])
    return headers


def deliver(delivery: EventplanDelivery) -> bool:
    """Sends one attempt now and records how it went; False when another worker claimed it
    first or it is no longer pending."""
    claimed = EventplanDelivery.objects.filter(
        pk=delivery.pk, status=EventplanDelivery.Status.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1, sent_at=timezone.now())
    if not claimed:
        return False
    delivery.refresh_from_db()
    done = EventplanDelivery.objects.filter(pk=delivery.pk)
    if BlockedEndpoint.objects.filter(url=delivery.url, blocked_at__isnull=False).exists():
        done.update(status=EventplanDelivery.Status.FAILED, error="blocked")
        return True
    from .entities import get

    plan = get(delivery.company_key, "Eventplan", delivery.eventplan_id)
    subscriber = get(delivery.company_key, "EventSubscriber", delivery.subscriber_id)
    if plan is None or subscriber is None:
        done.update(
            status=EventplanDelivery.Status.FAILED, error="the eventplan or subscriber is gone"
        )
        return True
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        **_extra_headers(subscriber),
    }
    headers[signature_header()] = sign(str(plan.get("SigningKey") or ""), delivery.body)
    code: int | None = None
    error = ""
    try:
        response = requests.post(
            delivery.url,
            data=delivery.body.encode("utf-8"),
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        code = response.status_code
        response.close()
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except requests.RequestException as exc:
        error = type(exc).__name__
    _count_401(delivery.url, code)
    if not error:
        done.update(status=EventplanDelivery.Status.DELIVERED, response_code=code, error="")
        return True
    if delivery.attempts >= MAX_ATTEMPTS:
        done.update(status=EventplanDelivery.Status.FAILED, response_code=code, error=error[:300])
        return True
    wait = RETRY_SECONDS * 2 ** (delivery.attempts - 1)
    done.update(
        response_code=code,
        error=error[:300],
        due_at=timezone.now() + dt.timedelta(seconds=wait),
    )
    return True


def _count_401(url: str, code: int | None) -> None:
    """Counts consecutive 401s per URL; BLOCK_AFTER_401 in a row block it."""
    state, _ = BlockedEndpoint.objects.get_or_create(url=url)
    if code == 401:
        BlockedEndpoint.objects.filter(pk=state.pk).update(consecutive_401=F("consecutive_401") + 1)
        state.refresh_from_db()
        if state.consecutive_401 >= BLOCK_AFTER_401 and state.blocked_at is None:
            BlockedEndpoint.objects.filter(pk=state.pk).update(blocked_at=timezone.now())
            EventplanDelivery.objects.filter(
                url=url, status=EventplanDelivery.Status.PENDING
            ).update(status=EventplanDelivery.Status.FAILED, error="blocked")
            logger.info("Unimicro sandbox blocked %s after %s 401s", url, state.consecutive_401)
    elif state.consecutive_401:
        BlockedEndpoint.objects.filter(pk=state.pk).update(consecutive_401=0)


def unblock(url: str) -> None:
    """Lets deliveries to `url` through again."""
    BlockedEndpoint.objects.filter(url=url).update(blocked_at=None, consecutive_401=0)


_worker = DeliveryThread(
    "unimicro-sandbox-eventplans", lambda: deliver_due(), lambda: next_due(), tick=TICK_SECONDS
)
