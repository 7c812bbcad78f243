"""Which hours a person may see, and the list queries the admin and API share."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from apps.accounts.models import User
from apps.projects.models import Project
from apps.projects.selectors import project_ids_approved_by
from apps.tasks.models import Task
from apps.timesheets.models import TimeEntry
from apps.worktypes.models import WorkType


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


# --- the week timesheet ------------------------------------------------------------------

DAYS_IN_WEEK = 7


def week_start_of(day: date) -> date:
    """The Monday of the ISO week `day` falls in."""
    return day - timedelta(days=day.weekday())


def projects_open_for_time(*, user: User) -> QuerySet[Project]:
    """Active projects `user` is a member of: the ones they may register hours on."""
    return (
        Project.objects.filter(status=Project.Status.ACTIVE, memberships__user=user)
        .select_related("default_work_type")
        .distinct()
        .order_by("name", "id")
    )


def tasks_open_for_time(*, user: User) -> QuerySet[Task]:
    """Tasks on active projects that `user` is an assignee of (labelled with their project)."""
    return (
        Task.objects.filter(project__status=Project.Status.ACTIVE, assignees=user)
        .select_related("project")
        .distinct()
        .order_by("project__name", "name", "id")
    )


RowKey = tuple[int, int | None, int]  # project, task, work type


@dataclass
class WeekRow:
    """One line of the week: a project, task and work type, with the entries of each day."""

    key: RowKey
    project: Project
    task: Task | None
    work_type: WorkType
    cells: list[list[TimeEntry]] = field(default_factory=lambda: [[] for _ in range(7)])

    @property
    def total(self) -> Decimal:
        return sum((e.hours for cell in self.cells for e in cell), Decimal("0"))


@dataclass
class WeekSheet:
    """A person's week: the days, the rows and the totals."""

    user: User
    start: date
    rows: list[WeekRow]

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(DAYS_IN_WEEK)]

    @property
    def day_totals(self) -> list[Decimal]:
        return [
            sum((e.hours for row in self.rows for e in row.cells[i]), Decimal("0"))
            for i in range(DAYS_IN_WEEK)
        ]

    @property
    def total(self) -> Decimal:
        return sum(self.day_totals, Decimal("0"))

    @property
    def entries(self) -> list[TimeEntry]:
        return [e for row in self.rows for cell in row.cells for e in cell]


def timesheet_week(*, user: User, week_start: date) -> WeekSheet:
    """The person's entries of the week starting on `week_start`, as rows (one query)."""
    entries = (
        TimeEntry.objects.filter(
            user=user, date__gte=week_start, date__lt=week_start + timedelta(days=DAYS_IN_WEEK)
        )
        .select_related("project", "task", "work_type")
        .order_by("date", "id")
    )
    rows: dict[RowKey, WeekRow] = {}
    for entry in entries:
        key = (entry.project_id, entry.task_id, entry.work_type_id)
        row = rows.get(key)
        if row is None:
            row = rows[key] = WeekRow(key, entry.project, entry.task, entry.work_type)
        row.cells[(entry.date - week_start).days].append(entry)
    ordered = sorted(
        rows.values(),
        key=lambda r: (r.project.name, r.task.name if r.task else "", r.work_type.name, r.key),
    )
    return WeekSheet(user=user, start=week_start, rows=ordered)


def week_rows_to_copy(*, user: User, week_start: date) -> list[RowKey]:
    """The rows of the person's previous week that they may still log on (one query)."""
    previous = week_start - timedelta(days=DAYS_IN_WEEK)
    keys = (
        TimeEntry.objects.filter(
            user=user,
            date__gte=previous,
            date__lt=week_start,
            project__status=Project.Status.ACTIVE,
        )
        .values_list("project_id", "task_id", "work_type_id")
        .order_by("project__name", "task__name", "work_type__name")
    )
    return list(dict.fromkeys(keys))


# --- approvals ----------------------------------------------------------------------------


def entries_waiting_for(*, user: User) -> QuerySet[TimeEntry]:
    """Hours waiting for `user`'s approval: submitted ones if they approve per user, and
    user-approved ones on the projects whose hours they approve. Never their own (except a
    superuser's, as the services allow)."""
    Status = TimeEntry.Status
    waiting = Q(pk__in=[])
    if user.has_perm("timesheets.approve_user_timeentry"):
        waiting |= Q(status=Status.SUBMITTED)
    if user_approves_every_project(user=user):
        waiting |= Q(status=Status.USER_APPROVED)
    elif user.has_perm("timesheets.approve_project_timeentry"):
        waiting |= Q(status=Status.USER_APPROVED, project_id__in=project_ids_approved_by(user=user))
    qs = TimeEntry.objects.filter(waiting)
    if not user.is_superuser:
        qs = qs.exclude(user_id=user.pk)
    return qs


def user_approves_every_project(*, user: User) -> bool:
    """Admins approve hours on every project (the same test as `user_can_approve_project`)."""
    return user.is_superuser or (
        user.has_perm("timesheets.view_all_timeentry")
        and user.has_perm("timesheets.approve_project_timeentry")
    )


@dataclass
class ApprovalWeek:
    """One person's week of hours waiting for the approver."""

    user: User
    start: date
    day_hours: list[Decimal]
    entries: int = 0
    projects: list[str] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)

    @property
    def hours(self) -> Decimal:
        return sum(self.day_hours, Decimal("0"))

    @property
    def key(self) -> str:
        return f"{self.user.pk}:{self.start.isoformat()}"


def approval_weeks(*, user: User) -> list[ApprovalWeek]:
    """Hours waiting for `user`'s approval, per person and week (three queries)."""
    waiting = entries_waiting_for(user=user)
    per_day = waiting.values("user_id", "date", "status").annotate(
        hours=Sum("hours"), n=Count("id")
    )
    weeks: dict[tuple[int, date], dict[str, Any]] = {}
    for row in per_day.order_by():
        start = week_start_of(row["date"])
        week = weeks.setdefault(
            (row["user_id"], start),
            {"days": [Decimal("0")] * DAYS_IN_WEEK, "n": 0, "statuses": set()},
        )
        week["days"][(row["date"] - start).days] += row["hours"]
        week["n"] += row["n"]
        week["statuses"].add(row["status"])
    if not weeks:
        return []
    people = User.objects.in_bulk({uid for uid, _start in weeks})
    projects: dict[tuple[int, date], set[str]] = {}
    for uid, day, name in (
        waiting.values_list("user_id", "date", "project__name").distinct().order_by()
    ):
        projects.setdefault((uid, week_start_of(day)), set()).add(name)
    result = [
        ApprovalWeek(
            user=people[uid],
            start=start,
            day_hours=week["days"],
            entries=week["n"],
            projects=sorted(projects.get((uid, start), ())),
            statuses=week["statuses"],
        )
        for (uid, start), week in weeks.items()
    ]
    result.sort(key=lambda w: (w.start, str(w.user).lower(), w.user.pk))
    return result


def entries_waiting_in_week(*, approver: User, owner_id: int, week_start: date) -> QuerySet:
    """The hours of one person's week that wait for `approver`."""
    return entries_waiting_for(user=approver).filter(
        user_id=owner_id,
        date__gte=week_start,
        date__lt=week_start + timedelta(days=DAYS_IN_WEEK),
    )
