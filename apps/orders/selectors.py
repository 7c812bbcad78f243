"""Reads for orders: which hours can be billed."""

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
    *, customer: Customer | None = None, project: Project | None = None
) -> QuerySet[TimeEntry]:
    """Approved hours not billed yet, of one project or of every project of a customer."""
    qs = TimeEntry.objects.filter(status__in=BILLABLE_STATES, order__isnull=True).select_related(
        "user", "project", "project__customer", "work_type", "task"
    )
    if project is not None:
        qs = qs.filter(project=project)
    elif customer is not None:
        qs = qs.filter(project__customer=customer)
    else:
        return qs.none()
    return qs.order_by("project__name", "date", "id")
