"""Words for the sync's code keys (object types, run kinds), for every screen and filter.

The models store keys (`work_type`, `push`); screens never show them raw. The object types'
words live in the entity registry (`apps.integrations.entities`); this is a view on it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.integrations.entities import ENTITIES, label, singular

ENTITY_LABELS: dict[str, Any] = {key: e.label for key, e in ENTITIES.items()}
# One record of each type, for sentences ("waiting for project 7012").
ENTITY_SINGULAR: dict[str, Any] = {key: e.singular for key, e in ENTITIES.items()}
# What a run did, without naming the other system (filters, lists of several systems).
KIND_LABELS: dict[str, Any] = {
    "pull": _("fetched"),
    "push": _("sent"),
    "reconcile": _("checked"),
    "partners_remote": _("partners created"),
    "partners_local": _("partners created in Tidsbro"),
}
# The same with the system the caller names ("fetched from <system>").
KIND_LABELS_WITH_SYSTEM: dict[str, Any] = {
    "pull": _("fetched from %(system)s"),
    "push": _("sent to %(system)s"),
    "reconcile": _("checked against %(system)s"),
    "partners_remote": _("partners created in %(system)s"),
    "partners_local": _("partners created in Tidsbro from %(system)s"),
}


def entity_label(entity: str) -> str:
    """The object type in words ("work types"); an unknown key as words too."""
    return label(entity)


def entity_singular(entity: str) -> str:
    """One record of the type in words ("work type")."""
    return singular(entity)


def kind_label(kind: str, system: str | None = None) -> str:
    """What a run did ("fetched"); with `system` ("fetched from %(system)s"), the caller's
    system name (`connection.system_name`)."""
    if system and kind in KIND_LABELS_WITH_SYSTEM:
        return str(KIND_LABELS_WITH_SYSTEM[kind]) % {"system": system}
    return str(KIND_LABELS.get(kind) or kind.replace("_", " "))


def entity_choices() -> list[tuple[str, str]]:
    """(key, label) of the object types, for filters (evaluated per request: translated)."""
    return [(key, str(e.label)) for key, e in ENTITIES.items()]
