"""The local side of every synced object type, registered with the engine at start-up.

Each module defines one adapter (see apps.integrations.sync.types.LocalAdapter) and is listed
in ADAPTER_MODULES.
"""

from importlib import import_module

ADAPTER_MODULES: list[str] = [
    "hours",
    "customers",
    "projects",
    "worktypes",
    "tasks",
    "users",
    "participants",
]


def register_all() -> None:
    from apps.integrations.registry import register_adapter

    for name in ADAPTER_MODULES:
        module = import_module(f"apps.integrations.adapters.{name}")
        register_adapter(module.ADAPTER)
