"""e-conomic's webhooks service (`webhooksapi/v1.0.0`) in the sandbox, on the OpenAPI machinery
of `openapi.py` (tokens, token bucket, schema validation, problem+json, request log).

Paths: `GET /EventTypes` (a plain array), `GET /webhooks` (cursor), `GET /webhooks/paged`,
`GET /webhooks/count`, `POST /webhooks` (201 `{eventType}`), `PUT /webhooks` (204;
`objectVersion` required, a stale one is 409), `GET|DELETE /webhooks/{eventType}`.

Rules (API-NOTES §15, the Webhook schema of openapi-webhooks-api.json): one webhook per event
type per agreement (a second POST is 400 `WebhookAlreadyExists`; change it with PUT);
`eventType`, `name`, `url`, `contentType` required and their lengths checked by the schema; at
most 5 `customHeaders`; `lastDisabledDate` and `lastUpdated` read-only. The sandbox's own
choices where e-conomic says nothing: only event types `GET /EventTypes` lists are accepted
(`InvalidEventType`), `url` must be an absolute http(s) address, the cursor of `GET /webhooks`
is the next page's first event type (webhooks are listed by event type).

Deliveries (`deliveries.py`) are made for events `events.emit` raises.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from .endpoint import Outcome
from .events import EVENT_TYPES
from .models_webhooks import Webhook
from .openapi import (
    WEBHOOKS,
    Call,
    Collection,
    Problem,
    bump,
    compact,
    count,
    error_entry,
    filtered,
    invalid,
    next_version,
    not_found,
    paged,
    require_version,
    updated,
    version_token,
)

SCHEMA = "Webhook"
MAX_HEADERS = 5
EVENT_TYPE_PATTERN = re.compile(r"^[A-Z0-9_]+$")


def webhook_json(webhook: Webhook) -> dict[str, Any]:
    return compact(
        {
            "eventType": webhook.event_type,
            "name": webhook.name,
            "url": webhook.url,
            "contentType": webhook.content_type,
            "postData": webhook.post_data,
            "customHeaders": [
                {"key": h.get("key"), "value": h.get("value")} for h in webhook.custom_headers or []
            ]
            or None,
            "isDisabled": webhook.is_disabled,
            "lastDisabledDate": updated(webhook.last_disabled_date)
            if webhook.last_disabled_date
            else None,
            "lastUpdated": updated(webhook.last_updated),
            "objectVersion": version_token(webhook.object_version),
        }
    )


class WebhookCollection(Collection):
    def queryset(self, call: Call):
        return Webhook.objects.filter(agreement=call.agreement)


WEBHOOK_COLLECTION = WebhookCollection(
    service=WEBHOOKS,
    schema=SCHEMA,
    model=Webhook,
    render=webhook_json,
    columns={
        "eventType": ("event_type", "str"),
        "name": ("name", "str"),
        "url": ("url", "str"),
        "isDisabled": ("is_disabled", "bool"),
        "lastDisabledDate": ("last_disabled_date", "datetime"),
        "lastUpdated": ("last_updated", "datetime"),
    },
    label="Webhook",
    key_column="event_type",
)


def _problems(entries: list[dict]) -> Problem:
    return Problem(
        400,
        "Bad request.",
        error_code=entries[0]["errorCode"],
        detail="; ".join(e["message"] for e in entries),
        errors=entries,
    )


def webhook_values(doc: dict[str, Any]) -> dict[str, Any]:
    """Model values of a Webhook document the schema accepted; 400 for what it cannot say."""
    entries: list[dict] = []
    event_type = doc["eventType"]
    if event_type not in EVENT_TYPES:
        entries.append(
            error_entry(
                f"Unknown event type '{event_type}'; GET /EventTypes lists them.",
                "InvalidEventType",
                "eventType",
            )
        )
    parts = urlsplit(doc["url"])
    if parts.scheme not in ("http", "https") or not parts.netloc:
        entries.append(
            error_entry("url must be an absolute http or https address.", "InvalidUrl", "url")
        )
    headers = doc.get("customHeaders") or []
    if len(headers) > MAX_HEADERS:
        entries.append(
            error_entry(
                f"At most {MAX_HEADERS} custom headers are allowed.",
                "TooManyCustomHeaders",
                "customHeaders",
            )
        )
    cleaned: list[dict[str, str]] = []
    for pair in headers:
        key, value = (pair.get("key") or "").strip(), pair.get("value") or ""
        if not key or ":" in key or any(c in key + value for c in "\r\n"):
            entries.append(
                error_entry(
                    "Each custom header needs a valid name and a one-line value.",
                    "InvalidCustomHeader",
                    "customHeaders",
                )
            )
            continue
        cleaned.append({"key": key, "value": value})
    if entries:
        raise _problems(entries)
    return {
        "event_type": event_type,
        "name": doc["name"],
        "url": doc["url"],
        "content_type": doc["contentType"],
        "post_data": doc.get("postData") or "",
        "custom_headers": cleaned,
        "is_disabled": bool(doc.get("isDisabled", False)),
    }


@WEBHOOKS.route("GET", "/EventTypes")
def event_types(call: Call) -> Outcome:
    return Outcome(
        200,
        [
            {
                "name": name,
                "description": description,
                "mergeFields": [{"fieldName": f, "description": d} for f, d in merge_fields],
            }
            for name, (description, merge_fields) in EVENT_TYPES.items()
        ],
    )


@WEBHOOKS.route("GET", "/webhooks")
def webhooks_list(call: Call) -> Outcome:
    """`{items, cursor}` by event type; the cursor is the next page's first event type."""
    size = WEBHOOK_COLLECTION.page_size
    qs = filtered(call, WEBHOOK_COLLECTION)
    raw = call.params.get("cursor")
    if raw:
        if not EVENT_TYPE_PATTERN.match(raw):
            raise invalid(f"The cursor '{raw[:50]}' is not valid.", "InvalidCursor", "cursor")
        qs = qs.filter(event_type__gte=raw)
    rows = list(qs.order_by("event_type")[: size + 1])
    body: dict[str, Any] = {"items": [webhook_json(w) for w in rows[:size]]}
    if len(rows) > size:
        body["cursor"] = rows[size].event_type
    return Outcome(200, body)


WEBHOOKS.route("GET", "/webhooks/paged")(lambda call: paged(call, WEBHOOK_COLLECTION))
WEBHOOKS.route("GET", "/webhooks/count")(lambda call: count(call, WEBHOOK_COLLECTION))


def _one(call: Call, event_type: str, *, for_update: bool = False) -> Webhook:
    qs = Webhook.objects.filter(agreement=call.agreement, event_type=event_type)
    webhook = (qs.select_for_update() if for_update else qs).first()
    if webhook is None:
        raise not_found(f"Webhook {event_type}")
    return webhook


@WEBHOOKS.route("GET", "/webhooks/{eventType}")
def webhook_get(call: Call, eventType: str) -> Outcome:  # noqa: N803 - the path's name
    return Outcome(200, webhook_json(_one(call, eventType)))


@WEBHOOKS.route("DELETE", "/webhooks/{eventType}")
def webhook_delete(call: Call, eventType: str) -> Outcome:  # noqa: N803 - the path's name
    _one(call, eventType).delete()
    return Outcome(204)


@WEBHOOKS.route("POST", "/webhooks")
def webhook_create(call: Call) -> Outcome:
    values = webhook_values(call.body)
    taken = invalid(
        f"The agreement already has a webhook for {values['event_type']}: only one webhook per "
        "event type is allowed (change it with PUT).",
        "WebhookAlreadyExists",
        "eventType",
    )
    if Webhook.objects.filter(agreement=call.agreement, event_type=values["event_type"]).exists():
        raise taken
    now = timezone.now()
    try:
        with transaction.atomic():
            Webhook.objects.create(
                agreement=call.agreement,
                last_updated=now,
                last_disabled_date=now if values["is_disabled"] else None,
                object_version=next_version(),
                **values,
            )
    except IntegrityError:  # a concurrent POST for the same event type won
        raise taken from None
    return Outcome(201, {"eventType": values["event_type"]})


@WEBHOOKS.route("PUT", "/webhooks")
def webhook_replace(call: Call) -> Outcome:
    values = webhook_values(call.body)
    webhook = _one(call, values["event_type"], for_update=True)
    require_version(call.body, webhook)
    now = timezone.now()
    if values["is_disabled"] and not webhook.is_disabled:
        webhook.last_disabled_date = now
    for column, value in values.items():
        setattr(webhook, column, value)
    webhook.last_updated = now
    bump(webhook)
    webhook.save()
    return Outcome(204)
