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

    def connector(self, connection: Any, **overrides: Any) -> Any:
        from apps.integrations.connectors.unimicro.connector import UnimicroConnector

        return UnimicroConnector(connection, **overrides)


SPEC = UnimicroSpec()
