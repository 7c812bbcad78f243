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
        client = getattr(connection, "client_name", "")
        return f"{self.display_name}: {client}" if client else self.display_name

    def explain(self, exc: ConnectorError) -> str | None:
        from apps.integrations.connectors.twentyfourseven.explain import explain

        return explain(exc)

    def request_budget(self, connection: Any) -> tuple[int, int] | None:
        from apps.integrations.connectors.twentyfourseven.connector import request_budget

        return request_budget(connection)


SPEC = TwentyFourSevenSpec()
