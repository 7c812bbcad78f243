"""What a person's calendar pages read: their account, the suggestions of a week (apps/calendars/README.md §0),
flagged entries and refused changes. Every function reads one person's rows only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.calendars import common
from apps.calendars.models import CalendarAccount, CalendarEvent, CategoryRule, EntryEvent, Refusal
from apps.calendars.providers import TIDSBRO_CATEGORY

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.integrations.models import Connection

PRIVATE_SUBJECT = _("Private appointment")
PRIVATE_SENSITIVITIES = frozenset({"private", "confidential"})
# The sidebar asks on every page whether calendars are switched on: kept here for a minute,
# forgotten at once when a connection is saved or deleted (pages.connect).
SWITCHED_ON_CACHE_KEY = "calendars:switched-on"
SWITCHED_ON_SECONDS = 60


def calendar_systems() -> list[str]:
    """The systems whose connector serves each person's calendar (their spec has `calendar`)."""
    from apps.integrations import registry
    from apps.integrations.connectors.base import ConnectorSpec

    # The class is asked, not the value: a spec's `calendar` may import its provider lazily.
    return [
        spec.system
        for spec in registry.specs()
        if getattr(type(spec), "calendar", None) is not ConnectorSpec.calendar
    ]


def calendar_connection() -> Connection | None:
    """The office's active calendar connection, if calendars are switched on."""
    from apps.integrations.models import Connection

    systems = calendar_systems()
    if not systems:
        return None
    return Connection.objects.filter(is_active=True, system__in=systems).order_by("id").first()


def calendars_switched_on() -> bool:
    """Whether the office has an active calendar connection (cached: the sidebar asks it)."""
    flag = cache.get(SWITCHED_ON_CACHE_KEY)
    if flag is None:
        flag = calendar_connection() is not None
        cache.set(SWITCHED_ON_CACHE_KEY, flag, SWITCHED_ON_SECONDS)
    return flag


def forget_switched_on(**_kwargs: Any) -> None:
    """Forgets the flag now and again once the connection's change is committed (a page
    asking in between must not keep the old answer for a minute)."""
    cache.delete(SWITCHED_ON_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(SWITCHED_ON_CACHE_KEY))


provider_for = common.provider_of
office_allows_write = common.office_allows_write


def account_of(user: User) -> CalendarAccount | None:
    """The person's own calendar account (None when they have not connected one)."""
    return CalendarAccount.objects.select_related("connection").filter(user=user).first()


def is_private(event: CalendarEvent) -> bool:
    return (event.sensitivity or "").lower() in PRIVATE_SENSITIVITIES


def shown_subject(event: CalendarEvent) -> str:
    """The subject a page may show: never a private or confidential event's own."""
    if is_private(event):
        return str(PRIVATE_SUBJECT)
    return event.subject or str(_("(no subject)"))


def health_words(account: CalendarAccount) -> str:
    """The account's health as a sentence for its owner."""
    Health = CalendarAccount.Health
    if account.health == Health.OK:
        return str(_("Working: your calendar is kept in step."))
    if account.health == Health.RECONNECT:
        return str(_("Your calendar no longer accepts Tidsbro's sign-in: connect it again."))
    if account.health == Health.FAILING:
        return str(_("Tidsbro cannot reach your calendar right now; it tries again by itself."))
    return str(_("Disconnected."))


@dataclass
class Suggestion:
    """A meeting or appointment of the person's calendar that could become hours."""

    event: CalendarEvent
    day: date
    start: datetime  # in the person's zone
    end: datetime
    subject: str
    private: bool
    category: str
    project_id: int | None
    task_id: int | None
    work_type_id: int | None
    rule: bool  # pre-chosen by one of the person's rules

    @property
    def pk(self) -> int:
        return self.event.pk

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass
class Choices:
    """What a person may register hours on, loaded once for a page."""

    projects: list[Any]
    tasks: list[Any]
    work_types: list[Any]


def choices_for(*, user: User) -> Choices:
    """Projects, tasks and work types open for the person's time (three queries)."""
    from apps.timesheets.selectors import projects_open_for_time, tasks_open_for_time
    from apps.worktypes.models import WorkType

    return Choices(
        projects=list(projects_open_for_time(user=user)),
        tasks=list(tasks_open_for_time(user=user)),
        work_types=list(WorkType.objects.filter(is_active=True).order_by("name")),
    )


def _is_tidsbros_own(event: CalendarEvent) -> bool:
    return any(str(c).strip().lower() == TIDSBRO_CATEGORY.lower() for c in event.categories or [])


def suggestion_events(*, user: User, start: datetime, end: datetime) -> QuerySet[CalendarEvent]:
    """The person's mirrored events starting in [start, end) that may be suggested (the
    category test is done in Python: JSON containment is not portable)."""
    linked = EntryEvent.objects.filter(
        account_id=OuterRef("account_id"), event_id=OuterRef("event_id")
    )
    return (
        CalendarEvent.objects.filter(
            account__user=user,
            starts_at__gte=start,
            starts_at__lt=end,
            is_all_day=False,
            is_cancelled=False,
            dismissed_at__isnull=True,
        )
        .exclude(show_as__iexact="free")
        .exclude(response__iexact="declined")
        # Tidsbro's own events (TIDSBRO origin) and confirmed ones (CALENDAR origin).
        .exclude(Exists(linked))
        .order_by("starts_at", "id")
    )


def _prechoose(
    categories: list[str],
    *,
    rules: dict[str, CategoryRule],
    projects: dict[str, Any],
    work_types: dict[str, Any],
) -> tuple[int | None, int | None, int | None, bool, str]:
    """(project, task, work type, from a rule, the category used) for an event's categories."""
    names = [str(c).strip() for c in categories if str(c).strip()]
    for name in names:
        rule = rules.get(name.lower())
        if rule is not None:
            return rule.project_id, rule.task_id, rule.work_type_id, True, name
    for name in names:
        project = projects.get(name.lower())
        if project is not None:
            return project.pk, None, None, False, name
    for name in names:
        work_type = work_types.get(name.lower())
        if work_type is not None:
            return None, None, work_type.pk, False, name
    return None, None, None, False, names[0] if names else ""


def suggestions_for(
    *, user: User, start: date, end: date, choices: Choices | None = None
) -> list[Suggestion]:
    """The person's suggestions for the days [start, end) of their own zone, each with the
    project/task/work type pre-chosen: their rule for the event's category, else a project
    open for their time named or numbered like it, else a work type named like it.
    Flat: three or four queries, whatever the number of events."""
    tz = user.tzinfo
    lower = datetime.combine(start, time.min, tzinfo=tz)
    upper = datetime.combine(end, time.min, tzinfo=tz)
    events = [
        e for e in suggestion_events(user=user, start=lower, end=upper) if not _is_tidsbros_own(e)
    ]
    if not events:
        return []
    choices = choices or choices_for(user=user)
    open_projects = {p.pk for p in choices.projects}
    open_tasks = {t.pk for t in choices.tasks}
    rules = {r.category.strip().lower(): r for r in CategoryRule.objects.filter(user=user)}
    projects: dict[str, Any] = {}
    for project in choices.projects:
        projects.setdefault(project.name.strip().lower(), project)
        if project.number is not None:
            projects.setdefault(str(project.number), project)
    work_types = {w.name.strip().lower(): w for w in choices.work_types}
    out = []
    for event in events:
        project_id, task_id, work_type_id, by_rule, category = _prechoose(
            list(event.categories or []), rules=rules, projects=projects, work_types=work_types
        )
        if project_id is not None and project_id not in open_projects:
            project_id = task_id = None  # the rule's project is closed for them now
        if task_id is not None and task_id not in open_tasks:
            task_id = None
        local_start = timezone.localtime(event.starts_at, tz)
        out.append(
            Suggestion(
                event=event,
                day=local_start.date(),
                start=local_start,
                end=timezone.localtime(event.ends_at, tz),
                subject=shown_subject(event),
                private=is_private(event),
                category=category,
                project_id=project_id,
                task_id=task_id,
                work_type_id=work_type_id,
                rule=by_rule,
            )
        )
    return out


def suggestions_by_day(suggestions: list[Suggestion], *, start: date, days: int = 7) -> list[dict]:
    """The week's days that have suggestions, in order: [{"day", "items"}]."""
    by_day: dict[date, list[Suggestion]] = {}
    for suggestion in suggestions:
        by_day.setdefault(suggestion.day, []).append(suggestion)
    return [
        {"day": start + timedelta(days=i), "items": by_day[start + timedelta(days=i)]}
        for i in range(days)
        if start + timedelta(days=i) in by_day
    ]


def flagged_links(*, user: User) -> QuerySet[EntryEvent]:
    """The person's entries whose calendar event was deleted (the entries are kept)."""
    return (
        EntryEvent.objects.filter(
            account__user=user, event_deleted_at__isnull=False, entry__isnull=False
        )
        .select_related("entry__project", "entry__task")
        .order_by("-event_deleted_at", "-id")
    )


def open_refusals(*, user: User) -> QuerySet[Refusal]:
    """Calendar changes Tidsbro did not apply to the person's entries, not yet dismissed."""
    return Refusal.objects.filter(account__user=user, resolved_at__isnull=True).select_related(
        "entry"
    )


def categories_seen(*, user: User, limit: int = 200) -> list[str]:
    """The categories of the person's own calendar events (for typing a rule), Tidsbro's left out."""
    seen: dict[str, str] = {}
    rows = CalendarEvent.objects.filter(account__user=user).exclude(categories=[])
    for categories in rows.values_list("categories", flat=True).iterator():
        for category in categories or []:
            name = str(category).strip()
            if name and name.lower() != TIDSBRO_CATEGORY.lower():
                seen.setdefault(name.lower(), name)
        if len(seen) >= limit:
            break
    return sorted(seen.values(), key=str.lower)


def rules_of(*, user: User) -> QuerySet[CategoryRule]:
    return CategoryRule.objects.filter(user=user).select_related("project", "task", "work_type")


def week_links(*, user: User, start: date, end: date) -> list[EntryEvent]:
    """The person's entries of the days [start, end) tied to a live event of their calendar."""
    return list(
        EntryEvent.objects.filter(
            account__user=user,
            entry__user=user,
            entry__date__gte=start,
            entry__date__lt=end,
            event_deleted_at__isnull=True,
        )
        .exclude(event_id="")
        .select_related("entry__project")
        .order_by("entry__started_at", "entry__date", "id")
    )


def entry_link(*, entry: Any) -> EntryEvent | None:
    """The calendar link of an entry (with its event's web link), if it has one."""
    return (
        EntryEvent.objects.filter(entry=entry, account__user_id=entry.user_id)
        .select_related("account__connection")
        .first()
    )


def browser_link(*, connection: Connection | None, web_link: str) -> str:
    """The event's web link as the person's browser opens it ("" when there is none)."""
    if not web_link:
        return ""
    provider = provider_for(connection)
    if provider is None:
        return web_link
    return provider.browser_link(web_link)
