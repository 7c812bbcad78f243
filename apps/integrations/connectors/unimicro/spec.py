"""What Tidsbro knows about Unimicro (skeleton: see CONTRACT-17; owned by the auth helper)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.integrations.connectors.base import ConnectorSpec
from apps.integrations.connectors.unimicro import SYSTEM
from apps.integrations.connectors.unimicro.rules import CAPABILITIES


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
