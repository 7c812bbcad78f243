"""The sandbox delivering webhook events: a POST of the rendered `postData` to the webhook's URL.

- `queue` (after the write's commit, from `events.emit`): one `Delivery` per event for the
  agreement's webhook of that type, due after the knob `delay_seconds`; seeded knobs drop an
  event (never sent) or double it (sent twice).
- `deliver_due` sends what is due; a delivery is claimed by a conditional UPDATE, so two
  workers never send the same attempt. The body is the webhook's `postData` with each merge
  field `[NAME]` replaced by its value (an empty template sends `{"eventType": …, NAME: …}`),
  sent with the webhook's `contentType` and `customHeaders`.
- A delivery that does not get a 2xx is tried again `retry_seconds` later (doubling each
  time); after `max_attempts` the webhook is disabled (`isDisabled`, `lastDisabledDate`). This is
  the sandbox's rule: e-conomic does not publish its retry and disable rules (API-NOTES §15).

Who sends: setting `SANDBOX_ECONOMIC["WEBHOOK_DELIVERY"]` — "thread" (default): a short-lived
background thread of the process that raised the event, alive while deliveries wait; "inline":
at once in the thread that raised the event, right after its commit (tests: the write's answer
comes back after the receiver's); "off": only when `deliver_due()` is called.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from typing import Any

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.sandbox.background import DeliveryThread

from .models_webhooks import Delivery, Webhook, WebhookKnobs

logger = logging.getLogger(__name__)

USER_AGENT = "e-conomic webhooks (Tidsbro sandbox)"
MODES = ("thread", "inline", "off")
# While deliveries wait, the worker thread sleeps until the next is due, at most this long
# (a new event wakes it at once).
TICK_SECONDS = 5.0


def mode() -> str:
    chosen = (getattr(settings, "SANDBOX_ECONOMIC", {}) or {}).get("WEBHOOK_DELIVERY", "thread")
    return chosen if chosen in MODES else "thread"


def knobs_get() -> WebhookKnobs:
    """The webhook knobs row (made with the defaults on first use)."""
    knobs = WebhookKnobs.objects.filter(pk=1).first()
    if knobs is None:
        try:
            with transaction.atomic():
                knobs, _ = WebhookKnobs.objects.get_or_create(pk=1)
        except IntegrityError:  # made by another thread meanwhile
            knobs = WebhookKnobs.objects.get(pk=1)
    return knobs


def fate(*, seed: int, sequence: int, drop_rate: float, duplicate_rate: float) -> str:
    """ "drop", "duplicate" or "deliver" for event `sequence` (pure, seeded: the same seed and
    sequence always give the same answer)."""
    rng = random.Random(f"{seed}:{sequence}")
    if drop_rate > 0 and rng.random() < drop_rate:
        return "drop"
    if duplicate_rate > 0 and rng.random() < duplicate_rate:
        return "duplicate"
    return "deliver"


def render(template: str, event_type: str, fields: dict[str, Any]) -> str:
    """The body of a delivery: `template` with `[NAME]` replaced by each merge field's value
    (pure). An empty template gives a JSON object of the event type and the fields."""
    if not template:
        return json.dumps({"eventType": event_type, **fields}, default=str)
    body = template
    for name, value in fields.items():
        body = body.replace(f"[{name}]", "" if value is None else str(value))
    return body


def queue(*, agreement_id: int, event_type: str, fields: dict[str, Any]) -> list[Delivery]:
    """Stores the deliveries one event owes the agreement's webhook of its type (none without
    an enabled webhook) and has them sent (see the module's "who sends")."""
    webhook = Webhook.objects.filter(
        agreement_id=agreement_id, event_type=event_type, is_disabled=False
    ).first()
    if webhook is None:
        return []
    knobs = knobs_get()
    WebhookKnobs.objects.filter(pk=knobs.pk).update(sequence=F("sequence") + 1)
    sequence = WebhookKnobs.objects.filter(pk=knobs.pk).values_list("sequence", flat=True)[0]
    outcome = fate(
        seed=knobs.seed,
        sequence=sequence,
        drop_rate=knobs.drop_rate,
        duplicate_rate=knobs.duplicate_rate,
    )
    now = timezone.now()
    common = {
        "agreement_id": agreement_id,
        "webhook": webhook,
        "event_type": event_type,
        "sequence": sequence,
        "url": webhook.url,
        "body": render(webhook.post_data, event_type, fields),
        "due_at": now + dt.timedelta(seconds=max(0.0, knobs.delay_seconds)),
    }
    if outcome == "drop":
        return [
            Delivery.objects.create(
                **common, status=Delivery.Status.DROPPED, error="dropped (knob drop_rate)"
            )
        ]
    made = [Delivery.objects.create(**common)]
    if outcome == "duplicate":
        made.append(Delivery.objects.create(**common, duplicate=True))
    dispatch()
    return made


def dispatch() -> None:
    """Has due deliveries sent, as the setting says (thread, inline or off)."""
    _worker.dispatch(mode())


def deliver_due(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Sends every pending delivery due by `now`, oldest first; returns how many were tried."""
    now = now or timezone.now()
    due = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    tried = 0
    for pk in due:
        delivery = Delivery.objects.filter(pk=pk).select_related("webhook").first()
        if delivery is not None and deliver(delivery, now=now):
            tried += 1
    return tried


def next_due() -> dt.datetime | None:
    """When the next pending delivery is due (None: nothing waits)."""
    return (
        Delivery.objects.filter(status=Delivery.Status.PENDING)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )


def deliver(delivery: Delivery, *, now: dt.datetime | None = None) -> bool:
    """Sends one delivery now (whatever its due time: tests use it to deliver out of order)
    and records how it went; False when another worker claimed it first or it is not pending."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status=Delivery.Status.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1, sent_at=timezone.now())
    if not claimed:
        return False
    delivery.refresh_from_db()
    webhook = delivery.webhook
    if webhook is None or webhook.is_disabled:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.FAILED,
            error="the webhook was deleted" if webhook is None else "the webhook is disabled",
        )
        return True
    headers = {"Content-Type": webhook.content_type, "User-Agent": USER_AGENT}
    for pair in webhook.custom_headers or []:
        if isinstance(pair, dict) and pair.get("key"):
            headers[str(pair["key"])] = str(pair.get("value") or "")
    knobs = knobs_get()
    code: int | None = None
    error = ""
    try:
        response = requests.post(
            delivery.url,
            data=delivery.body.encode("utf-8"),
            headers=headers,
            timeout=knobs.timeout_seconds,
            allow_redirects=False,
        )
        code = response.status_code
        response.close()
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except requests.RequestException as exc:
        error = type(exc).__name__
    if not error:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.DELIVERED, response_code=code, error=""
        )
        return True
    attempts = delivery.attempts
    if attempts >= max(1, knobs.max_attempts):
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.FAILED, response_code=code, error=error[:300]
        )
        disable(webhook)
        return True
    wait = knobs.retry_seconds * 2 ** (attempts - 1)
    Delivery.objects.filter(pk=delivery.pk).update(
        response_code=code,
        error=error[:300],
        due_at=timezone.now() + dt.timedelta(seconds=wait),
    )
    return True


def disable(webhook: Webhook) -> None:
    """Disables a webhook whose deliveries keep failing (its waiting deliveries fail with it)."""
    now = timezone.now()
    Webhook.objects.filter(pk=webhook.pk).update(
        is_disabled=True,
        last_disabled_date=now,
        last_updated=now,
        # A version no earlier one had (openapi.next_version's rule).
        object_version=max(webhook.object_version + 1, int(now.timestamp())),
    )
    Delivery.objects.filter(webhook=webhook, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED, error="the webhook was disabled"
    )
    logger.info("e-conomic sandbox disabled webhook %s after failed deliveries", webhook.pk)


_worker = DeliveryThread(
    "econ-sandbox-webhooks", lambda: deliver_due(), lambda: next_due(), tick=TICK_SECONDS
)
