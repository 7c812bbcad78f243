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
    """Registers a system's spec (see `load_connectors`; settings.TIDSBRO_CONNECTORS)."""
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
    """Registers each listed connector package (from IntegrationsConfig): the `SPEC` of its
    `spec` module, else (older packages) what its `register()` registers.

    Reading `<package>.spec` from here keeps the package's `__init__` free of imports of its
    own modules (they import it: the other way round would be a circle)."""
    from importlib import import_module
    from importlib.util import find_spec

    for path in paths:
        package = import_module(path)
        if find_spec(f"{path}.spec") is not None:
            module = import_module(f"{path}.spec")
            if hasattr(module, "SPEC"):
                register(module.SPEC)
                continue
        package.register()


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
