"""What the admin home shows a person: their week, hours waiting for them, people not mapped.

Each read is one query whatever the amount of data (pinned in tests/dashboard); the sync
health panel is the integration's own (apps/integrations/selectors.health_panel).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from apps.accounts.models import User
from apps.integrations.selectors import connection_with_users, unmapped_users
from apps.projects.selectors import project_ids_approved_by
from apps.timesheets.models import TimeEntry

ZERO = Decimal("0")


@dataclass(frozen=True)
class Day:
    """One day of the person's week: hours registered against the day's normal hours."""

    day: date
    hours: Decimal
    expected: Decimal
    is_today: bool
    is_past: bool

    @property
    def missing(self) -> Decimal:
        return max(self.expected - self.hours, ZERO)

    @property
    def is_short(self) -> bool:
        """A working day gone by (or today) with fewer hours than normal."""
        return (self.is_past or self.is_today) and self.missing > ZERO


@dataclass(frozen=True)
class Week:
    start: date
    days: list[Day]
    drafts: int  # entries of the week not submitted yet

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def total(self) -> Decimal:
        return sum((d.hours for d in self.days), ZERO)

    @property
    def expected(self) -> Decimal:
        return sum((d.expected for d in self.days), ZERO)

    @property
    def short_days(self) -> list[Day]:
        """Days gone by under their normal hours (today only once the day is over)."""
        return [d for d in self.days if d.is_past and d.missing > ZERO]

    @property
    def missing(self) -> Decimal:
        return sum((d.missing for d in self.short_days), ZERO)


def user_today(*, user: User) -> date:
    return timezone.now().astimezone(user.tzinfo).date()


def my_week(*, user: User, today: date | None = None) -> Week:
    """The person's hours per day of this week (Monday to Sunday, in their time zone)."""
    today = today or user_today(user=user)
    start = today - timedelta(days=today.weekday())
    rows = (
        TimeEntry.objects.filter(user=user, date__gte=start, date__lte=start + timedelta(days=6))
        .values("date")
        .annotate(
            hours=Sum("hours"),
            drafts=Count("pk", filter=Q(status=TimeEntry.Status.DRAFT)),
        )
        .order_by()
    )
    by_day = {row["date"]: row for row in rows}
    normal = Decimal(str(settings.TIDSBRO_NORMAL_DAY_HOURS))
    days = []
    for offset in range(7):
        day = start + timedelta(days=offset)
        row = by_day.get(day, {})
        days.append(
            Day(
                day=day,
                hours=row.get("hours") or ZERO,
                expected=normal if day.weekday() < 5 else ZERO,
                is_today=day == today,
                is_past=day < today,
            )
        )
    return Week(start=start, days=days, drafts=sum(r["drafts"] for r in by_day.values()))


@dataclass(frozen=True)
class Waiting:
    """Hours others have sent that this person can approve now."""

    entries: int
    hours: Decimal
    people: int


def approvals_waiting(*, user: User) -> Waiting | None:
    """Entries the person may approve at their step (None: they approve nothing)."""
    per_user = user.has_perm("timesheets.approve_user_timeentry")
    per_project = user.has_perm("timesheets.approve_project_timeentry")
    if not (per_user or per_project):
        return None
    steps = Q(pk__in=[])
    if per_user:
        steps |= Q(status=TimeEntry.Status.SUBMITTED)
    if per_project:
        on_projects = Q(status=TimeEntry.Status.USER_APPROVED)
        all_projects = user.is_superuser or user.has_perm("timesheets.view_all_timeentry")
        if not all_projects:
            on_projects &= Q(project_id__in=project_ids_approved_by(user=user))
        steps |= on_projects
    qs = TimeEntry.objects.filter(steps)
    if not user.is_superuser:  # nobody else approves their own hours
        qs = qs.exclude(user=user)
    totals = qs.aggregate(
        entries=Count("pk"), hours=Sum("hours"), people=Count("user_id", distinct=True)
    )
    return Waiting(
        entries=totals["entries"], hours=totals["hours"] or ZERO, people=totals["people"]
    )


@dataclass(frozen=True)
class Unmapped:
    count: int
    first: list[User]
    system: str = ""  # the connected system, as people know it

    @property
    def others(self) -> int:
        return self.count - len(self.first)


def unmapped_people(*, user: User, shown: int = 5) -> Unmapped | None:
    """Active people with no ERP user (their hours go on the integration user), for those
    who can map them; None without a connection or the permission."""
    if not user.has_perm("integrations.change_connection"):
        return None
    connection = connection_with_users()
    if connection is None:
        return None
    people = unmapped_users(connection=connection)
    return Unmapped(count=people.count(), first=list(people[:shown]), system=connection.system_name)
