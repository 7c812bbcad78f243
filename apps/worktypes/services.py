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


# BULK WRITES FROM THE ERP (the sync engine's work type adapter)
# ------------------------------------------------------------------------------
def work_types_create_from_erp(*, rows: list[dict[str, Any]]) -> list[WorkType]:
    """Creates work types fetched from the ERP in bulk (validated, one INSERT), in order."""
    work_types = []
    for data in rows:
        work_type = WorkType()
        model_update(instance=work_type, data=data, fields=EDITABLE_FIELDS)
        work_type.full_clean(validate_unique=False, validate_constraints=False)
        work_types.append(work_type)
    with transaction.atomic():
        return WorkType.objects.bulk_create(work_types)


def work_types_update_from_erp(*, changes: list[tuple[WorkType, dict[str, Any]]]) -> list[WorkType]:
    """Applies ERP values to work types in bulk (validated, one UPDATE); returns the changed."""
    from django.utils import timezone

    changed: list[WorkType] = []
    fields: set[str] = set()
    for work_type, data in changes:
        names = model_update(instance=work_type, data=data, fields=EDITABLE_FIELDS)
        if names:
            work_type.full_clean(validate_unique=False, validate_constraints=False)
            changed.append(work_type)
            fields.update(names)
    if not changed:
        return []
    now = timezone.now()
    for work_type in changed:
        work_type.updated_at = now
    with transaction.atomic():
        WorkType.objects.bulk_update(changed, [*sorted(fields), "updated_at"])
    return changed


def work_types_deactivate_from_erp(*, work_types: list[WorkType]) -> int:
    """Marks work types the ERP no longer has as inactive; returns how many."""
    from django.utils import timezone

    ids = [w.pk for w in work_types if w.is_active]
    for work_type in work_types:
        work_type.is_active = False
    if not ids:
        return 0
    with transaction.atomic():
        return WorkType.objects.filter(pk__in=ids).update(
            is_active=False, updated_at=timezone.now()
        )
