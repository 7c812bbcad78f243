"""What Tidsbro knows about Microsoft 365 calendars (apps/calendars/README.md §4)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from apps.integrations.connectors.base import (
    AuthFailed,
    Capabilities,
    ConnectorError,
    ConnectorSpec,
    RateLimited,
    Rejected,
    Unavailable,
)
from apps.integrations.connectors.graph import SYSTEM

CAPABILITIES = Capabilities(system=SYSTEM, pull=frozenset())

SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        # The office's Microsoft Entra tenant (id or domain), or "organizations".
        "tenant": {"type": "string", "minLength": 1, "maxLength": 100},
        # Whether people may save their hours in their calendar (Calendars.ReadWrite).
        "allow_write": {"type": "boolean"},
    },
}


class GraphSpec(ConnectorSpec):
    system = SYSTEM
    display_name = _("Microsoft 365 calendars")
    description = _(
        "Each person's Outlook calendar and their hours, both ways and in real time: meetings "
        "become suggested hours with one click, and hours can be saved as calendar events."
    )
    capabilities = CAPABILITIES
    credentials_schema = {"type": "object", "additionalProperties": False}
    settings_schema = SETTINGS_SCHEMA

    @property
    def calendar(self) -> Any:
        """The CalendarProvider the calendars app uses (provider.py)."""
        try:
            from apps.integrations.connectors.graph.provider import PROVIDER
        except ImportError:  # not written yet
            return None
        return PROVIDER

    @property
    def oauth(self) -> Any:  # type: ignore[override]
        """A person's sign-in on Microsoft's page (My calendar → Connect): oauth.py."""
        try:
            from apps.integrations.connectors.graph.oauth import OAUTH
        except ImportError:
            return None
        return OAUTH

    @property
    def onboarding(self) -> Any:  # type: ignore[override]
        """Activate for the office (tenant, whether hours may be written): onboarding.py."""
        try:
            from apps.integrations.connectors.graph.onboarding import ONBOARDING
        except ImportError:
            return None
        return ONBOARDING

    @property
    def settings(self) -> Any:  # type: ignore[override]
        """The office's settings and each person's calendar health: screens.py."""
        try:
            from apps.integrations.connectors.graph.screens import SETTINGS
        except ImportError:
            return None
        return SETTINGS

    def describe(self, connection: Any) -> str:
        return str(self.display_name)

    def explain(self, exc: ConnectorError) -> str | None:
        """A calendar failure in words the person (and the health panel) can act on."""
        from apps.calendars.providers import SyncReset

        if isinstance(exc, SyncReset):
            return gettext(
                "Microsoft 365 asked for a full synchronisation of the calendar. Tidsbro reads "
                "the calendar again; suggestions and hours stay as they are meanwhile."
            )
        if isinstance(exc, AuthFailed):
            if "HTTP 403" in exc.message:
                return gettext(
                    "Connect your calendar again: Microsoft refused because the permission "
                    "Tidsbro holds does not cover this (saving hours in the calendar needs "
                    "write access)."
                )
            if "app registration" in exc.message:
                return gettext(
                    "Connect your calendar again: Microsoft refused Tidsbro's app registration. "
                    "Ask your administrator to check it."
                )
            return gettext(
                "Connect your calendar again: Microsoft no longer accepts Tidsbro's access to "
                "your calendar (the permission was withdrawn, the password changed or the "
                "sign-in expired). My calendar → Connect my Outlook calendar."
            )
        if isinstance(exc, RateLimited):
            seconds = max(int(round(exc.retry_after or 0)), 1)
            return ngettext(
                "Microsoft 365 asked Tidsbro to slow down; the calendar is read again in "
                "%(seconds)d second.",
                "Microsoft 365 asked Tidsbro to slow down; the calendar is read again in "
                "%(seconds)d seconds.",
                seconds,
            ) % {"seconds": seconds}
        if isinstance(exc, Unavailable):
            return gettext(
                "Microsoft 365 could not be reached or did not answer properly; Tidsbro tries "
                "again by itself."
            )
        if isinstance(exc, Rejected):
            return gettext("Microsoft 365 refused a change to the calendar: %(reason)s") % {
                "reason": exc.message
            }
        return None


SPEC = GraphSpec()
