"""One person's Outlook calendar over Microsoft Graph (`CalendarClient` of
`apps.calendars.providers`), on the connector's HTTP base (`connectors.http.RestClient`).

Every request carries `Prefer: odata.maxpagesize=100, IdType="ImmutableId",
outlook.timezone="UTC"` (ids survive folder moves; times come in UTC). The access token is a
secret header (redacted from every message) and is renewed once on a 401 before giving up.
Requests go strictly one at a time per client.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from django.conf import settings

from apps.calendars.providers import DeltaPage, EventWrite, RemoteEvent, Removed, SyncReset
from apps.integrations.connectors.base import AuthFailed, Unavailable
from apps.integrations.connectors.graph import SYSTEM, mappers
from apps.integrations.connectors.graph.auth import TokenKeeper
from apps.integrations.connectors.graph.transport import GraphSession
from apps.integrations.connectors.http import CallRecord, HttpLimits, Reply, RestClient

PAGE_SIZE = 100
PREFER = f'odata.maxpagesize={PAGE_SIZE}, IdType="ImmutableId", outlook.timezone="UTC"'
RESET_CODES = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})


def graph_time(value: datetime) -> str:
    """An aware datetime as Graph's UTC text (7 fractional digits, Z)."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}0Z"


def _error_code(body: Any) -> str:
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        return str(body["error"].get("code") or "")
    return ""


class GraphClient(RestClient):
    system = SYSTEM
    label = "Microsoft Graph"
    user_agent = "Tidsbro calendar connector"

    def __init__(
        self,
        account: Any,
        *,
        on_request: Callable[[CallRecord], None] | None = None,
        limits: HttpLimits | None = None,
    ) -> None:
        super().__init__(
            base_url=f"{settings.GRAPH_API_BASE.rstrip('/')}/v1.0",
            headers={"Prefer": PREFER},
            limits=limits
            or HttpLimits(
                connect_timeout=float(getattr(settings, "GRAPH_CONNECT_TIMEOUT", 5.0)),
                read_timeout=float(getattr(settings, "GRAPH_READ_TIMEOUT", 30.0)),
            ),
            on_request=on_request,
        )
        # The routing session (the sandbox's https name → its real address), shared with MSAL.
        session = GraphSession()
        session.headers.update(self._http.headers)
        self._http.close()
        self._http = session
        self.keeper = TokenKeeper(account, session=session)
        self._lock = threading.Lock()
        self._reset_location = ""

    # HTTP
    # --------------------------------------------------------------------------
    def _authorize(self, token: str) -> None:
        self._http.headers["Authorization"] = f"Bearer {token}"
        self._secrets = tuple({*self._secrets, token})

    def call(self, method: str, path: str, **kwargs: Any) -> Reply:
        """One Graph request with a fresh token; a 401 renews it once and retries."""
        with self._lock:
            token = self.keeper.token()
            self._authorize(token)
            try:
                return self.request(method, path, **kwargs)
            except AuthFailed:
                if self._status != 401:
                    raise
            token = self.keeper.renew(rejected=token)
            self._authorize(token)
            try:
                return self.request(method, path, **kwargs)
            except AuthFailed as exc:
                if self._status == 401:
                    raise AuthFailed(
                        "Microsoft Graph refused the renewed sign-in; connect the calendar again",
                        operation=exc.operation,
                    ) from None
                raise

    def error_messages(self, status: int, body: Any) -> tuple[str, ...]:
        if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
            error = body["error"]
            code, message = str(error.get("code") or ""), str(error.get("message") or "")
            return (f"{code}: {message}" if code and message else code or message,)
        return super().error_messages(status, body)

    def _judge(self, status, headers, body, operation, write, *, expect, allow_nf):  # type: ignore[override]
        if status in (400, 404, 410):
            try:
                parsed = json.loads(body) if body.strip() else None
            except (ValueError, RecursionError):
                parsed = None
            code = _error_code(parsed).lower()
            if status == 410 or code in RESET_CODES:
                location = headers.get("Location") or ""
                raise SyncReset(
                    f"Microsoft Graph no longer knows the change cursor (HTTP {status} "
                    f"{_error_code(parsed)})".replace(" )", ")"),
                    operation=operation,
                    restart_link=location,
                )
        return super()._judge(
            status, headers, body, operation, write, expect=expect, allow_nf=allow_nf
        )

    # CALENDAR
    # --------------------------------------------------------------------------
    def delta_page(self, *, link: str, window: tuple[datetime, datetime]) -> DeltaPage:
        if link:
            reply = self.call("GET", link, operation="GET /me/calendarView/delta")
        else:
            start, end = window
            reply = self.call(
                "GET",
                "me/calendarView/delta",
                params={"startDateTime": graph_time(start), "endDateTime": graph_time(end)},
            )
        data = reply.data or {}
        values = data.get("value")
        if not isinstance(values, list):
            raise Unavailable("Microsoft Graph sent a delta page without a list of events")
        items: list[RemoteEvent | Removed] = [mappers.remote_event(v) for v in values]
        next_link = data.get("@odata.nextLink") or ""
        delta_link = data.get("@odata.deltaLink") or ""
        if not isinstance(next_link, str) or not isinstance(delta_link, str):
            raise Unavailable("Microsoft Graph sent an unreadable paging link")
        if not next_link and not delta_link:
            raise Unavailable("Microsoft Graph sent a delta page without a next or delta link")
        return DeltaPage(items=items, next_link=next_link, delta_link=delta_link)

    def _event(self, data: Any) -> RemoteEvent:
        item = mappers.remote_event(data)
        if isinstance(item, Removed):
            raise Unavailable("Microsoft Graph answered with a removed event")
        return item

    @staticmethod
    def _path(event_id: str) -> str:
        if not event_id:
            raise ValueError("an event id is needed")
        return f"me/events/{quote(event_id, safe='')}"

    def get_event(self, event_id: str) -> RemoteEvent | None:
        reply = self.call(
            "GET", self._path(event_id), allow_not_found=True, operation="GET /me/events/{id}"
        )
        return None if reply.status == 404 else self._event(reply.data)

    def create_event(self, write: EventWrite) -> RemoteEvent:
        reply = self.call("POST", "me/events", json_body=mappers.event_body(write))
        return self._event(reply.data)

    def update_event(self, event_id: str, write: EventWrite) -> RemoteEvent:
        reply = self.call(
            "PATCH",
            self._path(event_id),
            json_body=mappers.event_body(write),
            operation="PATCH /me/events/{id}",
        )
        return self._event(reply.data)

    def delete_event(self, event_id: str) -> None:
        self.call(
            "DELETE",
            self._path(event_id),
            allow_not_found=True,
            expect=None,
            operation="DELETE /me/events/{id}",
        )

    # SUBSCRIPTIONS
    # --------------------------------------------------------------------------
    def subscribe(
        self, *, notification_url: str, lifecycle_url: str, client_state: str, expires_at: datetime
    ) -> tuple[str, datetime]:
        self._secrets = tuple({*self._secrets, client_state})
        body = {
            "changeType": "created,updated,deleted",
            "notificationUrl": notification_url,
            "resource": "me/events",
            "expirationDateTime": graph_time(expires_at),
            "clientState": client_state,
        }
        if lifecycle_url:
            body["lifecycleNotificationUrl"] = lifecycle_url
        data = self.call("POST", "subscriptions", json_body=body).data or {}
        sub_id = data.get("id")
        if not isinstance(sub_id, str) or not sub_id:
            raise Unavailable("Microsoft Graph sent a subscription without an id", ambiguous=True)
        return sub_id, self._expiry(data, expires_at)

    def renew_subscription(self, subscription_id: str, expires_at: datetime) -> datetime:
        data = (
            self.call(
                "PATCH",
                f"subscriptions/{quote(subscription_id, safe='')}",
                json_body={"expirationDateTime": graph_time(expires_at)},
                operation="PATCH /subscriptions/{id}",
            ).data
            or {}
        )
        return self._expiry(data, expires_at)

    def unsubscribe(self, subscription_id: str) -> None:
        self.call(
            "DELETE",
            f"subscriptions/{quote(subscription_id, safe='')}",
            allow_not_found=True,
            expect=None,
            operation="DELETE /subscriptions/{id}",
        )

    @staticmethod
    def _expiry(data: Mapping[str, Any], asked: datetime) -> datetime:
        value = data.get("expirationDateTime")
        return mappers.parse_datetime(value) if value else asked.astimezone(UTC)
