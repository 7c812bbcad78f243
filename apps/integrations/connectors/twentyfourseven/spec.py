"""What Tidsbro knows about 24SevenOffice: its name, capabilities and optional features."""

from functools import cached_property
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.integrations.connectors.base import ConnectorError, ConnectorSpec
from apps.integrations.connectors.twentyfourseven import CAPABILITIES, SYSTEM


class TwentyFourSevenSpec(ConnectorSpec):
    system = SYSTEM
    display_name = "24SevenOffice"
    description = _(
        "Customers, projects, tasks, work types, users and hours kept in step with "
        "24SevenOffice; approved hours become invoice orders."
    )
    capabilities = CAPABILITIES
    # The office's login, and optionally a separate integration user the sync logs in as.
    credentials_schema = {
        "type": "object",
        "properties": {
            "username": {"type": "string", "minLength": 1, "maxLength": 255},
            "password": {"type": "string", "minLength": 1},
            "api_username": {"type": "string", "maxLength": 255},
            "api_password": {"type": "string"},
        },
        "required": ["username", "password"],
        "additionalProperties": False,
    }
    # The client (identity) the sync works in, and the 24SO user unmapped hours go on.
    settings_schema = {
        "type": "object",
        "properties": {
            "identity_id": {"type": "string", "maxLength": 64},
            "client_name": {"type": "string", "maxLength": 255},
            "client_id": {"type": "string", "maxLength": 64},
            "integration_user_external_id": {"type": "string", "maxLength": 64},
        },
        "additionalProperties": False,
    }
    cursor_is_time = True

    # The optional capabilities, loaded when first asked (forms and checks import Django).
    @cached_property
    def onboarding(self) -> Any:
        from apps.integrations.connectors.twentyfourseven.screens import (
            TwentyFourSevenOnboarding,
        )

        return TwentyFourSevenOnboarding()

    @cached_property
    def settings(self) -> Any:
        from apps.integrations.connectors.twentyfourseven.screens import TwentyFourSevenSettings

        return TwentyFourSevenSettings()

    @cached_property
    def sso(self) -> Any:
        from apps.integrations.connectors.twentyfourseven.sso import TwentyFourSevenSso

        return TwentyFourSevenSso()

    @cached_property
    def setup(self) -> Any:
        from apps.integrations.connectors.twentyfourseven.setup import TwentyFourSevenSetup

        return TwentyFourSevenSetup()

    @cached_property
    def orders(self) -> Any:
        from apps.integrations.connectors.twentyfourseven.orders import TwentyFourSevenOrders

        return TwentyFourSevenOrders()

    def connector(self, connection: Any, **overrides: Any) -> Any:
        from apps.integrations.connectors.twentyfourseven.connector import (
            TwentyFourSevenConnector,
        )

        return TwentyFourSevenConnector(connection, **overrides)

    def describe(self, connection: Any) -> str:
        client = (getattr(connection, "settings", None) or {}).get("client_name", "")
        name = getattr(connection, "display_name", "") or self.display_name
        return f"{name}: {client}" if client else name

    def explain(self, exc: ConnectorError) -> str | None:
        from apps.integrations.connectors.twentyfourseven.explain import explain

        return explain(exc)

    def request_budget(self, connection: Any) -> tuple[int, int] | None:
        from apps.integrations.connectors.twentyfourseven.connector import request_budget

        return request_budget(connection)


SPEC = TwentyFourSevenSpec()
