"""Graph's change notifications as the calendars receiver reads them.

- The validation handshake: `?validationToken=…` → answer 200 text/plain with the token
  (within 10 s), nothing else done.
- A delivery: JSON `{"value": [{subscriptionId, clientState, changeType | lifecycleEvent, …}]}`
  → a list of `providers.Notice` (the receiver matches the subscription and checks the
  client state in constant time). Anything else → ValueError.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from apps.calendars.providers import Notice

MAX_BODY = 1024 * 1024
LIFECYCLE_EVENTS = frozenset({"reauthorizationRequired", "subscriptionRemoved", "missed"})


def parse_notifications(request: Any) -> HttpResponse | list[Notice]:
    token = request.GET.get("validationToken")
    if token is not None:
        return HttpResponse(token, content_type="text/plain; charset=utf-8", status=200)
    body = request.body
    if len(body) > MAX_BODY:
        raise ValueError("the notification is too large")
    try:
        data = json.loads(body or b"")
    except (ValueError, RecursionError):
        raise ValueError("the notification is not JSON") from None
    values = data.get("value") if isinstance(data, dict) else None
    if not isinstance(values, list):
        raise ValueError("the notification has no list of changes")
    notices: list[Notice] = []
    for item in values:
        if not isinstance(item, dict):
            raise ValueError("a change is not an object")
        sub_id = item.get("subscriptionId")
        if not isinstance(sub_id, str) or not sub_id:
            raise ValueError("a change names no subscription")
        client_state = item.get("clientState")
        lifecycle = item.get("lifecycleEvent") or ""
        if lifecycle and lifecycle not in LIFECYCLE_EVENTS:
            raise ValueError("an unknown lifecycle event")
        notices.append(
            Notice(
                subscription_id=sub_id,
                client_state=client_state if isinstance(client_state, str) else "",
                lifecycle_event=lifecycle,
            )
        )
    return notices
