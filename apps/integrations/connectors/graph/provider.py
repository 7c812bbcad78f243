"""`PROVIDER`: Microsoft 365 calendars as the calendars app sees them (`CalendarProvider`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse

from apps.integrations.connectors.graph import SYSTEM, auth, notifications, transport
from apps.integrations.connectors.http import CallRecord


def callback_uri(request: Any) -> str:
    """The redirect URI registered with Microsoft (this Tidsbro's OAuth callback)."""
    path = reverse("integrations_oauth_callback", args=[SYSTEM])
    base = (getattr(settings, "TIDSBRO_BASE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


class GraphCalendar:
    # Outlook subscriptions may live 7 days; 3 keeps renewals well inside it.
    subscription_lifetime = timedelta(days=3)
    # Outlook's limit: 4 concurrent requests per app per mailbox.
    concurrency_limit = 4

    def scopes(self, *, write: bool) -> Sequence[str]:
        return auth.scopes(write=write)

    def login_url(self, request: Any, *, write: bool, next_url: str = "") -> str:
        """Microsoft's sign-in for the person (the flow waits in their session)."""
        from apps.integrations.models import Connection

        connection = Connection.objects.filter(system=SYSTEM, is_active=True).first()
        tenant = ((connection.settings or {}).get("tenant") if connection else "") or ""
        if next_url:
            request.session["graph_calendar_next"] = next_url
        return auth.login_start(
            request, tenant=tenant, write=write, redirect_uri=callback_uri(request)
        )

    def client(self, account: Any, *, on_request: Callable[[CallRecord], None] | None = None):
        from apps.integrations.connectors.graph.client import GraphClient

        return GraphClient(account, on_request=on_request)

    def browser_link(self, url: str) -> str:
        return transport.browser_link(url)

    def parse_notifications(self, request: Any) -> Any:
        return notifications.parse_notifications(request)


PROVIDER = GraphCalendar()
