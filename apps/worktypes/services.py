"""Writes to the list of work types."""

from typing import Any

from django.db import transaction

from apps.core.hooks import local_change
from apps.core.services import model_update
from apps.worktypes.models import WorkType

EDITABLE_FIELDS = ["name", "description", "invoiceable", "price", "product_number", "is_active"]


def work_type_create(*, data: dict[str, Any]) -> WorkType:
    """Creates a work type."""
    work_type = WorkType()
    model_update(instance=work_type, data=data, fields=EDITABLE_FIELDS)
    work_type.full_clean()
    with transaction.atomic():
        work_type.save()
        local_change("work_type", work_type.pk, "created")
    return work_type


def work_type_update(*, work_type: WorkType, data: dict[str, Any]) -> WorkType:
    """Changes a work type."""
    changed = model_update(instance=work_type, data=data, fields=EDITABLE_FIELDS)
    if changed:
        work_type.full_clean()
        with transaction.atomic():
            work_type.save(update_fields=[*changed, "updated_at"])
            local_change("work_type", work_type.pk, "changed")
    return work_type
