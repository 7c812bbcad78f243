"""Reads for orders: which hours can be billed."""

import datetime

from django.db.models import QuerySet

from apps.customers.models import Customer
from apps.projects.models import Project
from apps.timesheets.models import TimeEntry

BILLABLE_STATES = (
    TimeEntry.Status.USER_APPROVED,
    TimeEntry.Status.PROJECT_APPROVED,
    TimeEntry.Status.LOCKED,
)


def order_billable_entries(
    *,
    customer: Customer | None = None,
    project: Project | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[TimeEntry]:
    """Approved hours not billed yet, of one project or of every project of a customer, in
    the period when one is given (both ends included)."""
    qs = TimeEntry.objects.filter(status__in=BILLABLE_STATES, order__isnull=True).select_related(
        "user", "project", "project__customer", "work_type", "task"
    )
    if project is not None:
        qs = qs.filter(project=project)
    elif customer is not None:
        qs = qs.filter(project__customer=customer)
    else:
        return qs.none()
    if date_from is not None:
        qs = qs.filter(date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(date__lte=date_to)
    return qs.order_by("project__name", "date", "id")
