"""The engine's tests use the Microsoft 365 sandbox world of the connector's tests."""

from tests.integrations.graph.conftest import (  # noqa: F401 - fixtures
    calendar_account,
    graph_connection,
    graph_sandbox,
)
