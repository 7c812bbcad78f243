"""Which connector serves a system and which local adapter serves an object type."""

from collections.abc import Callable
from typing import Any

from apps.integrations.connectors.base import Capabilities
from apps.integrations.sync.types import Connector, LocalAdapter

_connectors: dict[str, Callable[[Any], Connector]] = {}
_capabilities: dict[str, Capabilities] = {}
_adapters: dict[str, LocalAdapter] = {}


def register_connector(
    system: str, factory: Callable[[Any], Connector], capabilities: Capabilities
) -> None:
    _connectors[system] = factory
    _capabilities[system] = capabilities


def connector_capabilities(system: str) -> Capabilities | None:
    return _capabilities.get(system)


def register_adapter(adapter: LocalAdapter) -> None:
    _adapters[adapter.entity] = adapter


def connector_for(connection: Any) -> Connector:
    """A new connector (own HTTP session) for one connection."""
    try:
        factory = _connectors[connection.system]
    except KeyError as exc:
        raise LookupError(f"No connector for system {connection.system!r}") from exc
    return factory(connection)


def adapter_for(entity: str) -> LocalAdapter:
    try:
        return _adapters[entity]
    except KeyError as exc:
        raise LookupError(f"No local adapter for {entity!r}") from exc


def adapters() -> dict[str, LocalAdapter]:
    return dict(_adapters)
