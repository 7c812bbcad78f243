"""Writes the sandbox admin makes while someone plays "the 24SO side" in a demo."""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone

from .models import Company, Hour, InvoiceOrder, Knobs, Project, Task
from .operations import next_number

# The number 24SO would hand out, per model: (field, first number).
NUMBERING = {
    Company: ("company_id", 10001),
    Project: ("project_id", 1001),
    Task: ("task_id", 1),
    Hour: ("hour_id", 100001),
    InvoiceOrder: ("order_id", 10001),
}


@transaction.atomic
def sandbox_record_save(*, obj: models.Model) -> models.Model:
    """Saves an admin edit like 24SO would: numbers new records, stamps DateChanged."""
    now = timezone.now()
    numbering = NUMBERING.get(type(obj))
    if numbering:
        field, start = numbering
        if getattr(obj, field) is None:
            queryset = type(obj).objects.filter(client=obj.client)
            setattr(obj, field, next_number(queryset, field, start))
    for field, value in (("date_created", now), ("date_registered", now), ("date_ordered", now)):
        if hasattr(obj, field) and getattr(obj, field) is None:
            setattr(obj, field, value)
    if hasattr(obj, "date_changed"):
        obj.date_changed = now
    if isinstance(obj, Hour) and obj.total_hours is None:
        obj.total_hours = (obj.stop_time - obj.start_time).total_seconds() / 3600
    obj.save()
    return obj


def sandbox_sessions_expire(*, knobs: Knobs) -> Knobs:
    """Expires every session seen until now (clients then get the not-authenticated fault)."""
    knobs.sessions_expire_before = timezone.now()
    knobs.save(update_fields=["sessions_expire_before"])
    return knobs
