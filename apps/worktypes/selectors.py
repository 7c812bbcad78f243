"""Reads of work types."""

from django.db.models import QuerySet

from apps.worktypes.models import WorkType


def work_type_list(*, active: bool | None = None) -> QuerySet[WorkType]:
    qs = WorkType.objects.all()
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs
