"""The one knobs row every sandbox keeps (latency, faults, limits), made on first use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction

M = TypeVar("M")


def knobs_row(model: type[M], defaults: Callable[[], dict[str, Any]]) -> M:
    """Row 1 of `model`, created with `defaults()` (the sandbox's settings) when missing; safe
    when two threads ask at once."""
    row = model.objects.filter(pk=1).first()  # type: ignore[attr-defined]
    if row is None:
        try:
            with transaction.atomic():
                row, _ = model.objects.get_or_create(pk=1, defaults=defaults())  # type: ignore[attr-defined]
        except IntegrityError:  # another thread created it meanwhile
            row = model.objects.get(pk=1)  # type: ignore[attr-defined]
    return row
