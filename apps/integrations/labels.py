"""Words for the sync's code keys (object types, run kinds), for every screen and filter.

The models store keys (`work_type`, `push`); screens never show them raw.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

ENTITY_LABELS: dict[str, Any] = {
    "client": _("client"),
    "user": _("users"),
    "customer": _("customers"),
    "person": _("contact persons"),
    "project": _("projects"),
    "project_status": _("project statuses"),
    "project_role": _("project roles"),
    "participant": _("project members"),
    "task": _("tasks"),
    "work_type": _("work types"),
    "hour": _("hours"),
    "order": _("orders"),
}
# One record of each type, for sentences ("waiting for project 7012").
ENTITY_SINGULAR: dict[str, Any] = {
    "user": _("user"),
    "customer": _("customer"),
    "project": _("project"),
    "participant": _("project member"),
    "task": _("task"),
    "work_type": _("work type"),
    "hour": _("hour"),
    "order": _("order"),
}
KIND_LABELS: dict[str, Any] = {
    "pull": _("fetched from 24SevenOffice"),
    "push": _("sent to 24SevenOffice"),
    "reconcile": _("checked against 24SevenOffice"),
}


def entity_label(entity: str) -> str:
    """The object type in words ("work types"); an unknown key as words too."""
    return str(ENTITY_LABELS.get(entity) or entity.replace("_", " "))


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind) or kind.replace("_", " "))


def entity_choices() -> list[tuple[str, str]]:
    """(key, label) of the object types, for filters (evaluated per request: translated)."""
    return [(key, str(label)) for key, label in ENTITY_LABELS.items()]
