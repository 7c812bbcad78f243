"""The Microsoft 365 sandbox world's fixtures (tests/integrations/graph/conftest.py)."""

from tests.integrations.graph.conftest import graph_connection, graph_sandbox  # noqa: F401
