"""What Tidsbro knows about Unimicro: its documents, its two modes, its wizard, its settings
boxes (Keys, orders, instant updates) and its failures in words (CONTRACT-17 §4)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.integrations.connectors.base import (
    AuthFailed,
    ConnectorError,
    ConnectorSpec,
    RateLimited,
    Rejected,
    Unavailable,
)
from apps.integrations.connectors.unimicro import MODE_API, MODE_CSV, SYSTEM
from apps.integrations.connectors.unimicro.rules import CAPABILITIES

_ISO = {"type": "string"}
_NULLABLE_ISO = {"type": ["string", "null"]}
KEY_SCHEMA = {
    "type": "object",
    "required": ["id", "name", "company_key", "company_name", "created_at"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1, "maxLength": 80},
        "company_key": {"type": "string", "minLength": 1},
        "company_name": {"type": "string"},
        "organisation_name": {"type": "string"},
        "user_name": {"type": "string"},
        "created_at": _ISO,
        "revoked_at": _NULLABLE_ISO,
    },
}
SETTINGS_SCHEMA = {
    "type": "object",
    "required": ["mode"],
    "properties": {
        "mode": {"enum": [MODE_API, MODE_CSV]},
        "auth": {"enum": ["login", "server"]},
        "issuer": {"type": "string"},
        "api_base": {"type": "string"},
        "company_key": {"type": "string"},
        "company_name": {"type": "string"},
        "organisation_name": {"type": "string"},
        "keys": {"type": "array", "items": KEY_SCHEMA},
        "active_key": {"type": "string"},
        "transfer_orders_to_invoice": {"type": "boolean"},
        "products_by_number": {"type": "boolean"},
        # The Unimicro user (id) whose worker gets the hours of people with no linked Unimicro
        # user, flagged (hours.py; chosen in the Hours box, settings_hours.py). None: refused.
        "integration_user": {"type": ["integer", "null"], "minimum": 1},
    },
    "if": {"properties": {"mode": {"const": MODE_API}}},
    "then": {"required": ["auth", "issuer", "api_base", "company_key", "keys", "active_key"]},
}
# Nothing the administrator typed: a login keeps only tokens (in the state).
CREDENTIALS_SCHEMA = {
    "type": "object",
    "properties": {"server": {"type": "boolean"}},
    "additionalProperties": False,
}

_INVALID_GRANT = re.compile(r"invalid_grant|log in to unimicro again|revoked", re.IGNORECASE)


class UnimicroSpec(ConnectorSpec):
    system = SYSTEM
    display_name = "Unimicro"
    description = _(
        "Tidsbro as the master: customers, projects and work types sent to Unimicro, approved "
        "hours as work items and orders as customer orders — or, without API access, orders "
        "exported as the file Unimicro imports."
    )
    capabilities = CAPABILITIES
    cursor_is_time = True
    credentials_schema = CREDENTIALS_SCHEMA
    settings_schema = SETTINGS_SCHEMA

    @property
    def onboarding(self) -> Any:  # type: ignore[override]
        """Activate: full integration (log in, company, key) or CSV export."""
        from apps.integrations.connectors.unimicro.onboarding import ONBOARDING

        return ONBOARDING

    @property
    def oauth(self) -> Any:  # type: ignore[override]
        """Unimicro's login on its own site (the wizard, and re-authorising a key)."""
        from apps.integrations.connectors.unimicro.onboarding import OAUTH

        return OAUTH

    @property
    def settings(self) -> Any:  # type: ignore[override]
        """The Keys box and the orders setting (instant updates: webhooks_screen)."""
        from apps.integrations.connectors.unimicro.screens import SETTINGS

        return SETTINGS

    @property
    def orders(self) -> Any:  # type: ignore[override]
        """Orders from approved hours → customer orders in Unimicro (orders.py, API mode)."""
        try:
            from apps.integrations.connectors.unimicro.orders import ORDERS
        except ImportError:  # the orders module is not there yet
            return None
        return ORDERS

    def connectable(self, settings: Mapping[str, Any]) -> frozenset[str] | None:
        """CSV export keeps nothing in step (only the file); the API everything it can."""
        if (settings or {}).get("mode") == MODE_CSV:
            return frozenset()
        return None

    def describe(self, connection: Any) -> str:
        settings = getattr(connection, "settings", None) or {}
        if settings.get("mode") == MODE_CSV:
            return gettext("Unimicro (CSV export)")
        company = settings.get("company_name") or ""
        key = next(
            (k for k in settings.get("keys") or [] if k.get("id") == settings.get("active_key")),
            None,
        )
        if company and key:
            return f"Unimicro: {company} ({key.get('name')})"
        return f"Unimicro: {company}" if company else "Unimicro"

    def explain(self, exc: ConnectorError) -> str | None:
        text = exc.message if isinstance(exc, ConnectorError) else str(exc)
        if isinstance(exc, AuthFailed) or _INVALID_GRANT.search(text):
            if isinstance(exc, AuthFailed) and "403" in text and not _INVALID_GRANT.search(text):
                return gettext(
                    "Unimicro refused Tidsbro access to this company: the user who logged in "
                    "needs access to the company in Unimicro. Log in to Unimicro again with such "
                    "a user: Connections → Unimicro → Keys → Re-authorise."
                )
            return gettext(
                "Log in to Unimicro again: Connections → Unimicro → Keys → Re-authorise. "
                "Unimicro no longer accepts the stored login (it was revoked, expired or used "
                "elsewhere); nothing is lost, the sync goes on after the new login."
            )
        if isinstance(exc, RateLimited):
            return gettext(
                "Unimicro asked Tidsbro to slow down; the sync continues by itself shortly."
            )
        if isinstance(exc, Unavailable):
            return gettext(
                "Unimicro could not be reached or did not answer in time; the sync tries again "
                "by itself."
            )
        if isinstance(exc, Rejected):
            reasons = "; ".join(m for m in exc.messages if m) or text
            return gettext("Unimicro refused the record: %(reasons)s") % {"reasons": reasons}
        return None

    @property
    def order_export(self) -> Any:
        """Orders as the file Unimicro imports (offered for connections in CSV mode)."""
        from apps.integrations.connectors.unimicro.export import EXPORT

        return EXPORT

    # Tidsbro is the master (CONTRACT-17 §5): customers, projects and tasks go to Unimicro,
    # work types both ways, users are Unimicro's (pulled and linked by e-mail).
    default_masters = {
        "customer": "tidsbro",
        "project": "tidsbro",
        "task": "tidsbro",
        "work_type": "both",
        "user": "erp",
    }

    @property
    def webhooks(self) -> Any:  # type: ignore[override]
        """Instant updates: an eventplan calls Tidsbro's receiver, signed (webhooks.py)."""
        from apps.integrations.connectors.unimicro.webhooks import WEBHOOKS

        return WEBHOOKS

    def connector(self, connection: Any, **overrides: Any) -> Any:
        from apps.integrations.connectors.unimicro.connector import UnimicroConnector

        return UnimicroConnector(connection, **overrides)


SPEC = UnimicroSpec()
