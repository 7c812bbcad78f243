"""Unimicro's own boxes on the connection's settings screen (`spec.settings`): the **Keys**
(rename, re-authorise, revoke) and, for the API, the orders setting (invoice drafts too)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import ConnectorSettings, SettingsSection
from apps.integrations.connectors.unimicro import MODE_API, SYSTEM, keys
from apps.integrations.connectors.unimicro.settings_hours import SECTION as HOURS

TEMPLATES = "integrations/unimicro/settings"


def _api(connection: Any) -> bool:
    return (connection.settings or {}).get("mode") == MODE_API


class KeysSection(SettingsSection):
    """The Keys tab: each key with its company and last use; rename, re-authorise, revoke."""

    name = "keys"
    template = f"{TEMPLATES}/keys.html"

    def form(self, connection: Any, data: Any) -> Any:
        from apps.integrations.connectors.unimicro.forms import KeyActionForm

        return KeyActionForm(data)

    def save(self, connection: Any, form: Any, *, actor: Any) -> str:
        if not _api(connection):
            raise ApplicationError(_("A CSV-export connection has no keys."))
        key_id = form.cleaned_data["key"]
        action = form.cleaned_data["do"]
        if action == "rename":
            key = keys.key_rename(
                connection=connection, key_id=key_id, name=form.cleaned_data["name"], actor=actor
            )
            return _("The key is now called “%(name)s”.") % {"name": key["name"]}
        if action == "revoke":
            active = (connection.settings or {}).get("active_key") == key_id
            confirmed = keys.key_revoke(connection=connection, key_id=key_id, actor=actor)
            text = (
                _("The key was revoked in Unimicro and Tidsbro forgot its tokens.")
                if confirmed
                else _("Tidsbro forgot the key's tokens (Unimicro could not be told right now).")
            )
            if active:
                text += " " + _(
                    "It was the key the sync uses: nothing is sent to Unimicro until someone "
                    "logs in to Unimicro again (Re-authorise)."
                )
            return text
        raise ApplicationError(_("Re-authorising goes through Unimicro's login."))

    def context(self, connection: Any) -> dict[str, Any]:
        settings = connection.settings or {}
        rows = keys.key_list(connection=connection) if _api(connection) else []
        here = f"{reverse('admin:integrations_connection_settings')}?connection={connection.pk}"
        # Merged into the box's context (the template reads box.<name>).
        return {
            "api": _api(connection),
            "server": settings.get("auth") == "server",
            "key_rows": rows,
            "no_active": _api(connection) and not any(r.active and r.has_tokens for r in rows),
            "start_url": reverse("integrations_oauth_start", args=[SYSTEM]),
            "here": here,
            "connection_id": connection.pk,
        }


class OrdersSection(SettingsSection):
    """Orders in Unimicro: customer orders, optionally on to an invoice draft."""

    name = "unimicro_orders"
    template = f"{TEMPLATES}/orders.html"

    def form(self, connection: Any, data: Any) -> Any:
        from apps.integrations.connectors.unimicro.forms import OrdersForm

        return OrdersForm(
            data,
            initial={
                "transfer_orders_to_invoice": bool(
                    (connection.settings or {}).get("transfer_orders_to_invoice")
                )
            },
        )

    def save(self, connection: Any, form: Any, *, actor: Any) -> str:
        from apps.integrations import services

        if not _api(connection):
            raise ApplicationError(_("A CSV-export connection sends no orders to Unimicro."))
        value = form.cleaned_data["transfer_orders_to_invoice"]
        services.connection_update_settings(
            connection=connection, settings={"transfer_orders_to_invoice": value}, actor=actor
        )
        return (
            _("Orders sent to Unimicro become invoice drafts too.")
            if value
            else _("Orders sent to Unimicro stay customer orders.")
        )

    def context(self, connection: Any) -> dict[str, Any]:
        return {"api": _api(connection)}


class UnimicroSettings(ConnectorSettings):
    summary_template = f"{TEMPLATES}/summary.html"

    @property
    def sections(self) -> tuple[SettingsSection, ...]:  # type: ignore[override]
        """Keys, orders, and instant updates (the sync's webhooks box) where it is there."""
        found: list[SettingsSection] = [KEYS, ORDERS, HOURS]
        try:
            from apps.integrations.connectors.unimicro.webhooks_screen import SECTION
        except ImportError:
            pass
        else:
            found.append(SECTION)
        return tuple(found)

    def summary(self, connection: Any) -> dict[str, Any]:
        settings = connection.settings or {}
        rows = keys.key_list(connection=connection) if _api(connection) else []
        active = next((r for r in rows if r.active), None)
        # The screen passes this as `summary` to the template.
        return {
            "api": _api(connection),
            "company": settings.get("company_name") or "",
            "organisation": settings.get("organisation_name") or "",
            "key": active,
            "no_active": _api(connection) and (active is None or not active.has_tokens),
        }


KEYS = KeysSection()
ORDERS = OrdersSection()
SETTINGS = UnimicroSettings()
