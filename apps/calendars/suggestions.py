"""A person turns their calendar into hours: confirm or dismiss a suggestion, keep category
rules, dismiss a refused change. Only the owner acts on their own calendar."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.calendars.models import CalendarEvent, CategoryRule, EntryEvent, Refusal
from apps.calendars.selectors import is_private
from apps.core.exceptions import ApplicationError

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.projects.models import Project
    from apps.tasks.models import Task
    from apps.timesheets.models import TimeEntry
    from apps.worktypes.models import WorkType

ALREADY_REGISTERED = gettext_lazy("This meeting is already registered as hours.")


def _owner_only(*, actor: User, user: User) -> None:
    if actor.pk != user.pk:
        raise ApplicationError(_("Only the owner of a calendar can turn it into hours."))


def _description(event: CalendarEvent) -> str:
    if is_private(event):
        return ""
    return (event.subject or "")[:500]


def confirm(
    *,
    actor: User,
    user: User,
    event_pk: int,
    project: Project,
    task: Task | None = None,
    work_type: WorkType | None = None,
) -> TimeEntry:
    """Registers the event as a draft entry with its times (the subject as description, unless
    private) and ties the two (CALENDAR origin), in one transaction. Writes an entry and a link."""
    from apps.timesheets.services import time_entry_create

    _owner_only(actor=actor, user=user)
    try:
        with transaction.atomic():
            event = (
                CalendarEvent.objects.select_for_update()
                .select_related("account")
                .filter(pk=event_pk, account__user=user)
                .first()
            )
            if event is None:
                raise ApplicationError(_("This meeting is no longer in your calendar."))
            account = event.account
            if EntryEvent.objects.filter(account=account, event_id=event.event_id).exists():
                raise ApplicationError(str(ALREADY_REGISTERED))
            entry = time_entry_create(
                actor=actor,
                user=user,
                project=project,
                task=task,
                work_type=work_type,
                started_at=event.starts_at,
                ended_at=event.ends_at,
                description=_description(event),
            )
            # The entry's own "created" hook may already have tied it for writing to the
            # calendar (the person saves their hours there): it is this event, not a new one.
            EntryEvent.objects.update_or_create(
                account=account,
                entry_ref=entry.pk,
                defaults={
                    "entry": entry,
                    "origin": EntryEvent.Origin.CALENDAR,
                    "event_id": event.event_id,
                    "change_key": event.change_key,
                    "web_link": event.web_link,
                    "push_status": EntryEvent.Push.NONE,
                    "push_operation": "",
                    "event_deleted_at": None,
                },
            )
    except IntegrityError:  # confirmed at the same moment elsewhere (one link per event)
        raise ApplicationError(str(ALREADY_REGISTERED)) from None
    return entry


def dismiss(*, actor: User, event_pk: int) -> CalendarEvent:
    """Hides the suggestion of one of the actor's own events. Writes the event's mark."""
    event = CalendarEvent.objects.filter(pk=event_pk, account__user=actor).first()
    if event is None:
        raise ApplicationError(_("This meeting is no longer in your calendar."))
    if event.dismissed_at is None:
        event.dismissed_at = timezone.now()
        event.save(update_fields=["dismissed_at", "updated_at"])
    return event


def _check_rule_targets(
    *, actor: User, project: Project, task: Task | None, work_type: WorkType | None
) -> None:
    from apps.timesheets.selectors import projects_open_for_time

    if project is None:
        raise ApplicationError(_("Choose a project."), field="project")
    if not projects_open_for_time(user=actor).filter(pk=project.pk).exists():
        raise ApplicationError(
            _("You cannot register hours on %(project)s.") % {"project": project},
            field="project",
        )
    if task is not None and task.project_id != project.pk:
        raise ApplicationError(_("The task belongs to another project."), field="task")
    if work_type is not None and not work_type.is_active:
        raise ApplicationError(_("The work type is not in use."), field="work_type")


def rule_save(
    *,
    actor: User,
    category: str,
    project: Project,
    task: Task | None = None,
    work_type: WorkType | None = None,
) -> CategoryRule:
    """Keeps (adds or replaces) the actor's rule for a calendar category. Writes one rule."""
    category = (category or "").strip()
    if not category:
        raise ApplicationError(_("Give the calendar category."), field="category")
    if len(category) > CategoryRule._meta.get_field("category").max_length:
        raise ApplicationError(_("The category name is too long."), field="category")
    _check_rule_targets(actor=actor, project=project, task=task, work_type=work_type)
    with transaction.atomic():
        rule = CategoryRule.objects.filter(user=actor, category__iexact=category).first()
        if rule is None:
            rule = CategoryRule(user=actor)
        rule.category, rule.project, rule.task, rule.work_type = category, project, task, work_type
        rule.full_clean(validate_unique=False)
        rule.save()
    return rule


def rule_delete(*, actor: User, rule_pk: int) -> None:
    """Deletes one of the actor's own rules."""
    deleted, _rows = CategoryRule.objects.filter(pk=rule_pk, user=actor).delete()
    if not deleted:
        raise ApplicationError(_("This rule is already gone."))


def refusal_dismiss(*, actor: User, refusal_pk: int) -> Refusal:
    """Takes a refused change off the actor's list. Writes its resolution time."""
    refusal = Refusal.objects.filter(pk=refusal_pk, account__user=actor).first()
    if refusal is None:
        raise ApplicationError(_("This refused change is already gone."))
    if refusal.resolved_at is None:
        refusal.resolved_at = timezone.now()
        refusal.save(update_fields=["resolved_at"])
    return refusal


def suggestion_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    """The confirm() keywords of a cleaned SuggestionForm."""
    return {
        "event_pk": data["event"],
        "project": data["project"],
        "task": data.get("task"),
        "work_type": data.get("work_type"),
    }
