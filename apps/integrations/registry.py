"""Which connector serves a system and which local adapter serves an object type."""

from collections.abc import Callable
from typing import Any

from apps.integrations.connectors.base import Capabilities, ConnectorSpec
from apps.integrations.sync.types import Connector, LocalAdapter

_connectors: dict[str, Callable[[Any], Connector]] = {}
_capabilities: dict[str, Capabilities] = {}
_specs: dict[str, ConnectorSpec] = {}
_adapters: dict[str, LocalAdapter] = {}


def register(spec: ConnectorSpec) -> None:
    """Called by a connector package's `register()` (listed in settings.TIDSBRO_CONNECTORS)."""
    _specs[spec.system] = spec
    _connectors[spec.system] = spec.connector
    _capabilities[spec.system] = spec.capabilities


def spec_for(system: str) -> ConnectorSpec:
    try:
        return _specs[system]
    except KeyError as exc:
        raise LookupError(f"No connector for system {system!r}") from exc


def specs() -> list[ConnectorSpec]:
    """Every system Tidsbro can connect to, in registration order."""
    return list(_specs.values())


def system_choices() -> list[tuple[str, str]]:
    return [(spec.system, str(spec.display_name)) for spec in _specs.values()]


def load_connectors(paths: list[str]) -> None:
    """Imports each connector package and calls its `register()` (from IntegrationsConfig)."""
    from importlib import import_module

    for path in paths:
        import_module(path).register()


def register_connector(
    system: str, factory: Callable[[Any], Connector], capabilities: Capabilities
) -> None:
    _connectors[system] = factory
    _capabilities[system] = capabilities


def connector_capabilities(system: str) -> Capabilities | None:
    return _capabilities.get(system)


def local_create_refused(entity: str) -> str | None:
    """Why `entity` records cannot be created here (an active connection keeps them in step
    and its ERP cannot take new ones, e.g. 24SO's work types), or None when they can."""
    from apps.integrations.selectors import connection_for_entity

    connection = connection_for_entity(entity=entity)
    if connection is None:
        return None
    capabilities = connector_capabilities(connection.system)
    if capabilities is None or capabilities.can_push(entity):
        return None
    return str(capabilities.notes.get(entity) or "") or f"{connection} cannot take new {entity}"


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
