"""List filters and columns that show the sync's code keys (object type, run kind) as
translated words (apps.integrations.labels), never `work_type` or `push`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.integrations.labels import KIND_LABELS, entity_choices, entity_label, kind_label


class EntityFilter(admin.SimpleListFilter):
    title = _("object type")
    parameter_name = "entity"
    field = "entity"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        present = set(
            model_admin.get_queryset(request).values_list(self.field, flat=True).distinct()
        )
        return [(key, label.capitalize()) for key, label in entity_choices() if key in present]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(**{self.field: value}) if value else queryset


class BindingEntityFilter(EntityFilter):
    parameter_name = "binding__entity"
    field = "binding__entity"


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, str(label).capitalize()) for key, label in KIND_LABELS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(kind=value) if value else queryset


class LabelledColumns:
    """`entity_shown` and `kind_shown` columns for model admins of sync records."""

    @admin.display(description=_("object type"), ordering="entity")
    def entity_shown(self, obj: Any) -> str:
        return entity_label(obj.entity).capitalize()

    @admin.display(description=_("kind"), ordering="kind")
    def kind_shown(self, obj: Any) -> str:
        # Names the system when the row's connection is loaded already (no query per row).
        connection = obj._state.fields_cache.get("connection")
        return kind_label(obj.kind, system=connection.system_name if connection else None)


ACTION_LABELS: dict[str, Any] = {
    "created": _("created"),
    "pushed": _("sent"),
    "updated": _("updated"),
    "deleted_remotely": _("deleted in %(system)s"),
    "waiting": _("waiting"),
    "conflict": _("conflict"),
    "linked": _("linked"),
}


def action_label(action: str, connection: Any = None) -> str:
    """A run's change in words; the system is named from `connection` (else the only one)."""
    label = str(ACTION_LABELS.get(action) or action.replace("_", " "))
    if "%(system)s" in label:
        from apps.integrations.explain import system_name

        label = label % {"system": system_name(connection)}
    return label
