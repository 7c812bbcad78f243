"""Which hours a person may see, and the list queries the admin and API share."""

from datetime import date

from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.projects.selectors import project_ids_approved_by
from apps.timesheets.models import TimeEntry


def time_entries_visible_to(*, user: User) -> QuerySet[TimeEntry]:
    """Everybody sees their own hours; approvers also those on their projects; admins all."""
    qs = TimeEntry.objects.all()
    if not user.is_authenticated or not user.has_perm("timesheets.view_timeentry"):
        return qs.none()
    if user.is_superuser or user.has_perm("timesheets.view_all_timeentry"):
        return qs
    visible = Q(user_id=user.pk)
    if user.has_perm("timesheets.approve_project_timeentry"):
        visible |= Q(project_id__in=project_ids_approved_by(user=user))
    return qs.filter(visible)


def time_entry_list(
    *,
    user: User,
    date_from: date | None = None,
    date_to: date | None = None,
    project_id: int | None = None,
    status: str | None = None,
    owner_id: int | None = None,
) -> QuerySet[TimeEntry]:
    """The entries a user may see, filtered, with what a list shows already joined."""
    qs = time_entries_visible_to(user=user).select_related(
        "user", "project", "project__customer", "task", "work_type"
    )
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    if project_id:
        qs = qs.filter(project_id=project_id)
    if status:
        qs = qs.filter(status=status)
    if owner_id:
        qs = qs.filter(user_id=owner_id)
    return qs
